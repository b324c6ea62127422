/*
 * store_rooms.c - the rooms table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_rooms.h"
#include "store/store_snap.h"

static void copy_col(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

int store_rooms_create(struct store *s, const struct store_room *r,
		       const char *text, size_t len)
{
	static const char sql[] =
		"INSERT INTO rooms (id, language, open_edit, host, version,"
		" chat_seq, created_ms, updated_ms, entry, next_file)"
		" VALUES (?,?,?,?,0,0,?,?,0,1)";
	static const char file0[] =
		"INSERT INTO room_files (room, file, name, version, created_ms)"
		" VALUES (?,0,NULL,0,?)";
	sqlite3_stmt *st;
	int err;

	if ((err = store_begin(s)))
		return err;
	if (!(st = store_stmt(s, sql))) {
		err = -EIO;
		goto out_rollback;
	}
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->language, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, r->open_edit);
	if (r->host[0])
		sqlite3_bind_text(st, 4, r->host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, r->created_ms);
	sqlite3_bind_int64(st, 6, r->created_ms);
	if ((err = store_exec_stmt(s, st)))
		goto out_rollback;
	if (!(st = store_stmt(s, file0))) {
		err = -EIO;
		goto out_rollback;
	}
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, r->created_ms);
	if ((err = store_exec_stmt(s, st)) ||
	    (err = store_snap_put(s, r->id, 0, 0, text, len)))
		goto out_rollback;
	return store_commit(s);

out_rollback:
	store_rollback(s);
	return err;
}

int store_rooms_get(struct store *s, const char *id, struct store_room *out)
{
	static const char sql[] =
		"SELECT id, language, open_edit, host, version, chat_seq,"
		" created_ms, updated_ms, entry, next_file FROM rooms"
		" WHERE id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc, err = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		copy_col(st, 0, out->id, sizeof(out->id));
		copy_col(st, 1, out->language, sizeof(out->language));
		out->open_edit = sqlite3_column_int(st, 2) != 0;
		copy_col(st, 3, out->host, sizeof(out->host));
		out->version = (uint64_t)sqlite3_column_int64(st, 4);
		out->chat_seq = (uint64_t)sqlite3_column_int64(st, 5);
		out->created_ms = sqlite3_column_int64(st, 6);
		out->updated_ms = sqlite3_column_int64(st, 7);
		out->entry = (uint32_t)sqlite3_column_int64(st, 8);
		out->next_file = (uint32_t)sqlite3_column_int64(st, 9);
	} else {
		err = rc == SQLITE_DONE ? -ENOENT : store_err(s, rc, "get room");
	}
	sqlite3_reset(st);
	return err;
}

int store_rooms_count(struct store *s, uint64_t *n)
{
	static const char sql[] = "SELECT count(*) FROM rooms";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc;

	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : store_err(s, rc, "count rooms");
}

int store_rooms_settings(struct store *s, const struct store_room *r)
{
	static const char sql[] =
		"UPDATE rooms SET language = ?, open_edit = ?, host = ?,"
		" updated_ms = ?, entry = ? WHERE id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int err;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, r->language, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, r->open_edit);
	if (r->host[0])
		sqlite3_bind_text(st, 3, r->host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, r->updated_ms);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)r->entry);
	sqlite3_bind_text(st, 6, r->id, -1, SQLITE_TRANSIENT);
	if ((err = store_exec_stmt(s, st)))
		return err;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}
