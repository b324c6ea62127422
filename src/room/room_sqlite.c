/*
 * room_sqlite.c - room_store.h on SQLite: each operation is one of the
 * store/ modules' functions (a snapshot and the log trim it allows share
 * one transaction).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "room/room_sqlite.h"
#include "store/store.h"
#include "store/store_chat.h"
#include "store/store_files.h"
#include "store/store_log.h"
#include "store/store_members.h"
#include "store/store_rooms.h"
#include "store/store_snap.h"

static const char *const role_names[] = { "reader", "writer", "host" };

static void to_row(const struct room_record *r, struct store_room *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%s", r->id);
	snprintf(o->language, sizeof(o->language), "%s", r->language);
	o->open_edit = r->open_edit;
	snprintf(o->host, sizeof(o->host), "%s", r->host);
	o->version = r->version;
	o->chat_seq = r->chat_seq;
	o->created_ms = r->created_ms;
	o->updated_ms = r->updated_ms;
	o->entry = r->entry;
	o->next_file = r->next_file;
}

static int op_create(void *impl, const struct room_record *r,
		     const char *text, size_t len)
{
	struct store_room row;

	to_row(r, &row);
	return store_rooms_create(impl, &row, text, len);
}

static int op_get(void *impl, const char *id, struct room_record *out)
{
	struct store_room row;
	int err = store_rooms_get(impl, id, &row);

	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", row.id);
	snprintf(out->language, sizeof(out->language), "%s", row.language);
	out->open_edit = row.open_edit;
	snprintf(out->host, sizeof(out->host), "%s", row.host);
	out->version = row.version;
	out->chat_seq = row.chat_seq;
	out->created_ms = row.created_ms;
	out->updated_ms = row.updated_ms;
	out->entry = row.entry;
	out->next_file = row.next_file;
	return 0;
}

static int op_count(void *impl, uint64_t *n)
{
	return store_rooms_count(impl, n);
}

static int op_settings_put(void *impl, const struct room_record *r)
{
	struct store_room row;

	to_row(r, &row);
	return store_rooms_settings(impl, &row);
}

static int op_file_snapshot_get(void *impl, const char *id, uint32_t file,
				uint64_t *version, char **text, size_t *len)
{
	return store_snap_get(impl, id, file, version, text, len);
}

static int op_snapshot_get(void *impl, const char *id, uint64_t *version,
			   char **text, size_t *len)
{
	return op_file_snapshot_get(impl, id, 0, version, text, len);
}

static int op_file_snapshot_put(void *impl, const char *id, uint32_t file,
				uint64_t version, const char *text, size_t len,
				uint64_t keep_from)
{
	struct store *s = impl;
	int err;

	if ((err = store_begin(s)))
		return err;
	if ((err = store_snap_put(s, id, file, version, text, len)) ||
	    (err = store_log_trim(s, id, file, keep_from))) {
		store_rollback(s);
		return err;
	}
	return store_commit(s);
}

static int op_snapshot_put(void *impl, const char *id, uint64_t version,
			   const char *text, size_t len, uint64_t keep_from)
{
	return op_file_snapshot_put(impl, id, 0, version, text, len,
				    keep_from);
}

static int op_file_log_append(void *impl, const char *id, uint32_t file,
			      uint64_t base, const struct room_log_entry *e,
			      size_t n)
{
	struct store_update *u = calloc(n ? n : 1, sizeof(*u));
	int err;

	if (!u)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		u[i].version = e[i].version;
		u[i].client_id = e[i].client_id;
		u[i].member = e[i].member;
		u[i].changes = e[i].changes;
		u[i].changes_len = e[i].changes_len;
	}
	err = store_log_append(impl, id, file, base, u, n); /* one transaction */
	free(u);
	return err;
}

static int op_log_append(void *impl, const char *id, uint64_t base,
			 const struct room_log_entry *e, size_t n)
{
	return op_file_log_append(impl, id, 0, base, e, n);
}

struct each_ctx {
	room_log_fn fn;
	void *arg;
};

static int each_one(void *arg, const struct store_update *u)
{
	struct each_ctx *x = arg;
	struct room_log_entry e = {
		.version = u->version, .client_id = u->client_id,
		.member = u->member, .changes = u->changes,
		.changes_len = u->changes_len,
	};

	return x->fn(x->arg, &e);
}

static int op_file_log_each(void *impl, const char *id, uint32_t file,
			    uint64_t from, uint64_t to, bool desc,
			    room_log_fn fn, void *arg)
{
	struct each_ctx x = { fn, arg };

	return store_log_each(impl, id, file, from, to, desc, each_one, &x);
}

static int op_log_each(void *impl, const char *id, uint64_t from, uint64_t to,
		       bool desc, room_log_fn fn, void *arg)
{
	return op_file_log_each(impl, id, 0, from, to, desc, fn, arg);
}

struct files_ctx {
	room_file_fn fn;
	void *arg;
};

static int file_one(void *arg, const struct store_file *f)
{
	struct files_ctx *x = arg;
	struct room_file_record r = {
		.id = f->file, .name = f->name, .version = f->version,
	};

	return x->fn(x->arg, &r);
}

static int op_files_each(void *impl, const char *id, room_file_fn fn,
			 void *arg)
{
	struct files_ctx x = { fn, arg };

	return store_files_each(impl, id, file_one, &x);
}

static int op_file_add(void *impl, const char *id, uint32_t file,
		       const char *name, const char *text, size_t len)
{
	return store_files_add(impl, id, file, name, text, len);
}

static int op_file_rename(void *impl, const char *id, uint32_t file,
			  const char *name)
{
	return store_files_rename(impl, id, file, name);
}

static int op_file_delete(void *impl, const char *id, uint32_t file)
{
	return store_files_delete(impl, id, file);
}

static int op_chat_append(void *impl, const char *id,
			  struct room_chat_record *line, size_t keep)
{
	struct store_chat c = {
		.member = line->member, .name = line->name, .text = line->text,
		.text_len = line->text_len, .ts = line->ts,
	};
	int err = store_chat_append(impl, id, &c, keep);

	if (!err)
		line->id = c.id;
	return err;
}

struct chat_ctx {
	room_chat_fn fn;
	void *arg;
};

static int chat_one(void *arg, const struct store_chat *c)
{
	struct chat_ctx *x = arg;
	struct room_chat_record r = {
		.id = c->id, .name = c->name, .text = c->text,
		.text_len = c->text_len, .ts = c->ts,
	};

	snprintf(r.member, sizeof(r.member), "%s", c->member);
	return x->fn(x->arg, &r);
}

static int op_chat_recent(void *impl, const char *id, size_t n,
			  room_chat_fn fn, void *arg)
{
	struct chat_ctx x = { fn, arg };

	return store_chat_recent(impl, id, n, chat_one, &x);
}

static int op_member_put(void *impl, const char *room,
			 const struct room_member_record *m, size_t keep)
{
	struct store_member row;
	struct store_room r;
	int err;

	memset(&row, 0, sizeof(row));
	snprintf(row.id, sizeof(row.id), "%s", m->id);
	snprintf(row.name, sizeof(row.name), "%s", m->name);
	snprintf(row.role, sizeof(row.role), "%s",
		 role_names[m->role <= ROOM_HOST ? m->role : 0]);
	snprintf(row.color, sizeof(row.color), "%s", m->color);
	memcpy(row.token_hash, m->token_hash, sizeof(row.token_hash));
	if ((err = store_rooms_get(impl, room, &r)))
		return err;
	return store_members_put(impl, room, &row, keep, r.host);
}

static int op_member_by_token(void *impl, const char *room,
			      const unsigned char hash[ROOM_HASH_LEN],
			      struct room_member_record *out)
{
	struct store_member row;
	int err = store_members_by_token(impl, room, hash, &row);

	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", row.id);
	snprintf(out->name, sizeof(out->name), "%s", row.name);
	out->role = ROOM_READER;
	for (int i = 0; i <= ROOM_HOST; i++)
		if (strcmp(row.role, role_names[i]) == 0)
			out->role = (enum room_role)i;
	snprintf(out->color, sizeof(out->color), "%s", row.color);
	memcpy(out->token_hash, hash, ROOM_HASH_LEN);
	return 0;
}

static int op_member_exists(void *impl, const char *room, const char *id,
			    bool *exists)
{
	return store_members_exists(impl, room, id, exists);
}

static const struct room_store_ops sqlite_ops = {
	.create = op_create,
	.get = op_get,
	.count = op_count,
	.settings_put = op_settings_put,
	.snapshot_get = op_snapshot_get,
	.snapshot_put = op_snapshot_put,
	.log_append = op_log_append,
	.log_each = op_log_each,
	.chat_append = op_chat_append,
	.chat_recent = op_chat_recent,
	.member_put = op_member_put,
	.member_by_token = op_member_by_token,
	.member_exists = op_member_exists,
	.files_each = op_files_each,
	.file_add = op_file_add,
	.file_rename = op_file_rename,
	.file_delete = op_file_delete,
	.file_snapshot_get = op_file_snapshot_get,
	.file_snapshot_put = op_file_snapshot_put,
	.file_log_append = op_file_log_append,
	.file_log_each = op_file_log_each,
};

void room_sqlite_init(struct room_store *rs, struct store *s)
{
	rs->ops = &sqlite_ops;
	rs->impl = s;
}
