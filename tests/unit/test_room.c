/*
 * test_room.c - rooms over the real SQLite store (in a temporary
 * directory), with members whose ops record what they are told:
 * roles on join, write before broadcast (a store that fails makes the
 * push fail and nobody hears of it), re-sends that change nothing, a
 * room reloaded from its snapshot and log, chat history, tokens; a store
 * shared by several nodes (the cluster's: one file a room, edits ordered
 * elsewhere) refuses file operations and keeps its pushes on file 0.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "room/room.h"
#include "room/room_sqlite.h"
#include "run/lang.h"
#include "store/store.h"

struct fake {
	struct room_member m;	/* first: the ops get &f->m */
	int updates, members, chats, presences, removed, files, last_event;
	int done, done_err;
	uint32_t last_file, done_file;
	uint64_t last_from;
	size_t last_n;
};

static void op_updates(struct room_member *m, uint32_t file, uint64_t from,
		       const struct collab_update *u, size_t n,
		       const struct room_member *by)
{
	struct fake *f = (struct fake *)m;
	f->updates++;
	f->last_file = file;
	f->last_from = from;
	f->last_n = n;
}
static void op_presence(struct room_member *m, const struct room_member *w) { ((struct fake *)m)->presences++; }
static void op_members(struct room_member *m) { ((struct fake *)m)->members++; }
static void op_chat(struct room_member *m, const struct room_chat_line *l) { ((struct fake *)m)->chats++; }
static void op_removed(struct room_member *m, const char *why) { ((struct fake *)m)->removed++; }
static void op_files(struct room_member *m, int ev, uint32_t file, const struct room_member *by)
{
	struct fake *f = (struct fake *)m;
	f->files++;
	f->last_event = ev;
	f->last_file = file;
}

static void op_push_done(struct room_member *m, int err, uint32_t file,
			 uint64_t version)
{
	struct fake *f = (struct fake *)m;
	f->done++;
	f->done_err = err;
	f->done_file = file;
}

static const struct room_member_ops fake_ops = {
	.updates = op_updates, .presence = op_presence, .members = op_members,
	.chat = op_chat, .removed = op_removed, .files = op_files,
	.push_done = op_push_done,
};

/* A store whose log_append fails on demand, around the real one. */
static struct room_store real;
static int fail_append;
static int failing_append(void *impl, const char *id, uint64_t base,
			  const struct room_log_entry *e, size_t n)
{
	if (fail_append)
		return -ENOSPC;
	return real.ops->log_append(impl, id, base, e, n);
}
static int failing_file_append(void *impl, const char *id, uint32_t file,
			       uint64_t base, const struct room_log_entry *e,
			       size_t n)
{
	if (fail_append)
		return -ENOSPC;
	return real.ops->file_log_append(impl, id, file, base, e, n);
}

struct fixture {
	char dir[64];
	struct store st;
	struct room_store_ops ops;
	struct room_store rs;
	struct rooms reg;
	struct lang py;
	struct lang_table langs;
};

static struct fixture *fx;

static void open_rooms(struct fixture *f)
{
	struct room_limits lim;

	assert_int_equal(store_open(&f->st, f->dir), 0);
	room_sqlite_init(&real, &f->st);
	f->ops = *real.ops;
	f->ops.log_append = failing_append;
	f->ops.file_log_append = failing_file_append;
	f->rs.ops = &f->ops;
	f->rs.impl = real.impl;
	room_limits_default(&lim);
	lim.snapshot_every = 3;
	assert_int_equal(rooms_init(&f->reg, &f->rs, &lim, NULL, &f->langs), 0);
}

static int setup(void **state)
{
	fx = calloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/coderoom-test-room-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->py.id = (char *)"python";
	fx->py.file = (char *)"main.py";
	fx->py.available = true;
	fx->langs.v = &fx->py;
	fx->langs.n = 1;
	fail_append = 0;
	open_rooms(fx);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	rooms_release(&fx->reg);
	store_close(&fx->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void join(struct fake *f, const char *id, const char *name,
		 const char *token, char *token_out)
{
	char tok[ROOM_TOKEN_LEN + 1];

	memset(f, 0, sizeof(*f));
	f->m.ops = &fake_ops;
	assert_int_equal(room_join(&fx->reg, id, name, strlen(name), token, &f->m,
				   token_out ? token_out : tok), 0);
}

static json_t *updates_json(const char *client, const char *changes)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "[{\"clientID\":\"%s\",\"changes\":%s}]",
		 client, changes);
	return json_loads(buf, 0, NULL);
}

static void test_roles_on_join(void **state)
{
	char id[ROOM_ID_LEN + 1];
	struct fake a, b;

	assert_int_equal(rooms_create(&fx->reg, NULL, "x\r\n", 3, id), 0);
	assert_true(room_id_valid(id));
	join(&a, id, "Ada", NULL, NULL);
	join(&b, id, " Bob ", NULL, NULL);
	assert_int_equal(room_role_of(a.m.room, &a.m), ROOM_HOST);
	assert_int_equal(room_role_of(b.m.room, &b.m), ROOM_READER);
	assert_string_equal(b.m.name, "Bob");
	assert_int_equal(a.members, 1);		/* Bob's arrival */
	assert_int_equal(b.members, 0);		/* its welcome is the caller's */
	assert_string_not_equal(a.m.color, b.m.color);
	size_t len;
	assert_string_equal(room_text(a.m.room, &len, NULL), "x\n");
	room_leave(&b.m);
	assert_int_equal(a.members, 2);
	room_leave(&a.m);
	assert_null(rooms_find(&fx->reg, id));	/* freed with its last member */
}

static void test_write_before_broadcast(void **state)
{
	char id[ROOM_ID_LEN + 1];
	struct fake a, b;
	json_t *u;
	uint64_t v;
	size_t len;

	assert_int_equal(rooms_create(&fx->reg, NULL, "abc", 3, id), 0);
	join(&a, id, "Ada", NULL, NULL);
	join(&b, id, "Bob", NULL, NULL);
	u = updates_json("c1", "[3,[0,\"d\"]]");
	assert_int_equal(room_push(&b.m, 0, u, NULL), -EACCES);	/* a reader */
	fail_append = 1;
	assert_int_equal(room_push(&a.m, 0, u, NULL), -ENOSPC);
	assert_int_equal(a.updates + b.updates, 0);	/* nobody heard of it */
	assert_string_equal(room_text(a.m.room, &len, &v), "abc");
	assert_int_equal(v, 0);
	fail_append = 0;
	size_t acc;
	assert_int_equal(room_push(&a.m, 0, u, &acc), 0);
	assert_int_equal(acc, 1);
	assert_int_equal(a.updates, 1);
	assert_int_equal(b.updates, 1);
	assert_int_equal(a.last_from, 0);
	assert_string_equal(room_text(a.m.room, &len, &v), "abcd");
	/* the same push again: a re-send, nothing new, nobody told */
	assert_int_equal(room_push(&a.m, 0, u, &acc), 0);
	assert_int_equal(acc, 0);
	assert_int_equal(b.updates, 1);
	assert_string_equal(room_text(a.m.room, &len, &v), "abcd");
	assert_int_equal(v, 1);
	/* another member may not use a's clientID */
	assert_int_equal(room_set_role(&a.m, b.m.id, ROOM_WRITER), 0);
	json_t *u2 = updates_json("c1", "[4,[0,\"e\"]]");
	assert_int_equal(room_push(&b.m, 1, u2, NULL), -EPERM);
	json_decref(u2);
	json_decref(u);
	room_leave(&a.m);
	room_leave(&b.m);
}

static void test_reload_from_store(void **state)
{
	char id[ROOM_ID_LEN + 1], tok[ROOM_TOKEN_LEN + 1];
	struct fake a, a2;
	size_t len;
	uint64_t v;

	assert_int_equal(rooms_create(&fx->reg, NULL, "", 0, id), 0);
	join(&a, id, "Ada", NULL, tok);
	for (int i = 0; i < 10; i++) {	/* snapshots every 3 */
		char ch[32];
		snprintf(ch, sizeof(ch), "[%d,[0,\"%d\"]]", i, i);
		json_t *u = updates_json("c", ch);
		assert_int_equal(room_push(&a.m, (uint64_t)i, u, NULL), 0);
		json_decref(u);
	}
	assert_int_equal(room_chat(&a.m, "hi 👋", strlen("hi 👋")), 0);
	assert_int_equal(a.chats, 1);
	assert_int_equal(room_chat(&a.m, "", 0), -EINVAL);
	room_leave(&a.m);
	/* a new process: close everything, open again */
	rooms_release(&fx->reg);
	store_close(&fx->st);
	open_rooms(fx);
	join(&a2, id, "Ada", tok, NULL);
	assert_string_equal(a2.m.id, a.m.id);
	assert_int_equal(room_role_of(a2.m.room, &a2.m), ROOM_HOST);
	assert_string_equal(room_text(a2.m.room, &len, &v), "0123456789");
	assert_int_equal(v, 10);
	assert_int_equal(a2.m.room->chat.n, 1);
	assert_string_equal(chat_ring_at(&a2.m.room->chat, 0)->text, "hi 👋");
	/* old versions are still in the log window: a pull from 2 works */
	json_t *out = NULL;
	assert_int_equal(room_pull(&a2.m, 0, 2, &out), 0);
	assert_int_equal(json_array_size(out), 8);
	json_decref(out);
	room_leave(&a2.m);
}

static void test_token_replaces_connection(void **state)
{
	char id[ROOM_ID_LEN + 1], tok[ROOM_TOKEN_LEN + 1];
	struct fake a, a2, b;

	assert_int_equal(rooms_create(&fx->reg, NULL, "", 0, id), 0);
	join(&a, id, "Ada", NULL, tok);
	join(&b, id, "Bob", NULL, NULL);
	join(&a2, id, "Ada", tok, NULL);
	assert_int_equal(a.removed, 1);
	assert_null(a.m.room);
	assert_int_equal(a2.m.room->nmembers, 2);
	room_leave(&a.m);	/* safe: in no room */
	room_leave(&a2.m);
	room_leave(&b.m);
}

static void test_caps(void **state)
{
	char id[ROOM_ID_LEN + 1];
	struct fake f[3];
	char big[2001];

	fx->reg.lim.members = 2;
	assert_int_equal(rooms_create(&fx->reg, NULL, "", 0, id), 0);
	join(&f[0], id, "a", NULL, NULL);
	join(&f[1], id, "b", NULL, NULL);
	memset(&f[2], 0, sizeof(f[2]));
	f[2].m.ops = &fake_ops;
	char tok[ROOM_TOKEN_LEN + 1];
	assert_int_equal(room_join(&fx->reg, id, "c", 1, NULL, &f[2].m, tok), -EUSERS);
	assert_int_equal(room_join(&fx->reg, id, "", 0, NULL, &f[2].m, tok), -EINVAL);
	assert_int_equal(room_join(&fx->reg, "nope", "c", 1, NULL, &f[2].m, tok), -ENOENT);
	memset(big, 'x', sizeof(big));
	assert_int_equal(room_chat(&f[0].m, big, 2000), 0);
	assert_int_equal(room_chat(&f[0].m, big, 2001), -E2BIG);
	room_leave(&f[0].m);
	room_leave(&f[1].m);
	fx->reg.lim.stored_rooms = 1;
	assert_int_equal(rooms_create(&fx->reg, NULL, "", 0, id), -EDQUOT);
}

/* Names and chat lines (room/chat.c): what a member may call itself and
 * say, byte by byte. */
static void test_names_and_lines(void **state)
{
	static const struct { const char *s; int ok; } names[] = {
		{ "Ada", 1 }, { "  Ada  ", 1 }, { "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", 1 },
		{ "\xd8\xaf\xd8\xa7\xd9\x86\xd8\xa7", 1 },	/* Arabic */
		{ "m\xdb\x8c\xe2\x80\x8c\xd8\xae", 1 },	/* ZWNJ */
		{ "", 0 }, { "   ", 0 }, { "a\tb", 0 }, { "a\x7f", 0 },
		{ "a\xc2\x85", 0 },			/* U+0085 NEL */
		{ "a\xc2\x9b" "31m", 0 },		/* U+009B CSI */
		{ "\xe2\x80\xae" "adA", 0 },		/* U+202E RLO */
		{ "a\xe2\x80\xaa", 0 },		/* U+202A LRE */
		{ "a\xe2\x81\xa6" "b", 0 },		/* U+2066 LRI */
		{ "a\xe2\x81\xa9", 0 },		/* U+2069 PDI */
		{ "a\xe2\x80\x8f", 0 },		/* U+200F RLM */
		{ "a\xd8\x9c", 0 },			/* U+061C ALM */
		{ "Ada\xe2\x80\x8b", 0 },		/* U+200B ZWSP */
		{ "a\xe2\x80\xa8" "b", 0 },		/* U+2028 */
		{ "\xef\xbb\xbf" "Ada", 0 },		/* U+FEFF */
		{ "a\xef\xbf\xb9", 0 },		/* U+FFF9 */
		{ "\xed\xa0\x80", 0 },			/* a surrogate in UTF-8 */
		{ "\xff", 0 },
	};
	static const struct { const char *s; int ret; } lines[] = {
		{ "hi", 0 }, { "two\nlines\tand tab", 0 },
		{ "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 0 },	/* Hebrew */
		{ "mark \xe2\x80\x8f ok", 0 },		/* RLM in a line is text */
		{ "bell\x07", -EINVAL }, { "csi\xc2\x9b" "2J", -EINVAL },
		{ "nel\xc2\x85", -EINVAL }, { " \n ", -EINVAL }, { "\xc3", -EINVAL },
	};
	char out[ROOM_NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int r = chat_name_clean(names[i].s, strlen(names[i].s), out,
					sizeof(out));
		if ((r == 0) != names[i].ok)
			fail_msg("name %zu: %d", i, r);
	}
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int r = chat_line_check(lines[i].s, strlen(lines[i].s), 100);
		if (r != lines[i].ret)
			fail_msg("line %zu: %d", i, r);
	}
}

/* "upload:<id>" is that member's (room_replace_text()): another writer
 * may not push with it, and so cannot make its uploads fail. */
static void test_upload_client_id(void **state)
{
	char id[ROOM_ID_LEN + 1], c1[64], c2[64];
	struct fake a, b;
	json_t *u;

	assert_int_equal(rooms_create(&fx->reg, NULL, "x", 1, id), 0);
	join(&a, id, "a", NULL, NULL);
	join(&b, id, "b", NULL, NULL);
	assert_int_equal(room_set_role(&a.m, b.m.id, ROOM_WRITER), 0);
	snprintf(c1, sizeof(c1), "upload:%s", a.m.id);
	snprintf(c2, sizeof(c2), "upload:%s", b.m.id);
	u = updates_json(c1, "[1,[0,\"y\"]]");
	assert_int_equal(room_push(&b.m, 0, u, NULL), -EPERM);
	json_decref(u);
	u = updates_json(c2, "[1,[0,\"y\"]]");
	assert_int_equal(room_push(&b.m, 0, u, NULL), 0);
	json_decref(u);
	assert_int_equal(room_replace_text(&a.m, 0, "new", 3), 0);
	assert_string_equal(room_text(a.m.room, NULL, NULL), "new");
	room_leave(&a.m);
	room_leave(&b.m);
}

/* Several files: each its own version and log, writers only, names
 * checked, file 0 stays, the entry follows a deletion, and a new process
 * loads every file with its text. */
static void test_files(void **state)
{
	char id[ROOM_ID_LEN + 1], tok[ROOM_TOKEN_LEN + 1];
	struct fake a, b, a2;
	uint32_t f1, f2;
	uint64_t v;
	size_t len;
	json_t *u;

	assert_int_equal(rooms_create(&fx->reg, NULL, "main", 4, id), 0);
	join(&a, id, "Ada", NULL, tok);
	join(&b, id, "Bob", NULL, NULL);
	assert_true(room_files_supported(a.m.room));
	assert_int_equal(room_file_add(&b.m, "util.py", 7, "", 0, &f1), -EACCES);
	assert_int_equal(room_file_add(&a.m, "util.py", 7, "x=1\r\n", 5, &f1), 0);
	assert_int_equal(f1, 1);
	assert_int_equal(b.files, 1);
	assert_int_equal(b.last_event, ROOM_FILE_ADDED);
	assert_int_equal(room_file_add(&a.m, "util.py", 7, "", 0, &f2), -EEXIST);
	assert_int_equal(room_file_add(&a.m, "main.py", 7, "", 0, &f2), -EEXIST);
	assert_int_equal(room_file_add(&a.m, "../x", 4, "", 0, &f2), -EINVAL);
	assert_int_equal(room_file_add(&a.m, "util.py/x", 9, "", 0, &f2), -EEXIST);
	assert_int_equal(room_file_add(&a.m, "lib/a.py", 8, "", 0, &f2), 0);
	assert_int_equal(f2, 2);
	/* file 1 has its own version */
	u = updates_json("c", "[4,[0,\"2\"]]");
	assert_int_equal(room_push_file(&a.m, f1, 0, u, NULL), 0);
	assert_int_equal(b.last_file, f1);
	assert_int_equal(room_push_file(&a.m, 9, 0, u, NULL), -ENOENT);
	json_decref(u);
	assert_string_equal(room_file_text(room_file_find(a.m.room, f1), &len, &v),
			    "x=1\n2");
	assert_int_equal(v, 1);
	room_text(a.m.room, &len, &v);
	assert_int_equal(v, 0);
	assert_int_equal(room_file_rename(&a.m, f2, "main.py", 7), -EEXIST);
	assert_int_equal(room_file_rename(&a.m, f2, "b.py", 4), 0);
	assert_int_equal(room_file_entry(&b.m, f2), -EACCES);
	assert_int_equal(room_file_entry(&a.m, f2), 0);
	assert_int_equal(a.m.room->rec.entry, f2);
	assert_int_equal(room_file_delete(&a.m, 0), -EPERM);
	assert_int_equal(room_file_delete(&b.m, f2), -EACCES);
	assert_int_equal(room_file_delete(&a.m, f2), 0);
	assert_int_equal(a.m.room->rec.entry, 0);
	assert_null(room_file_find(a.m.room, f2));
	assert_int_equal(room_file_rename(&a.m, 0, "app.py", 6), 0);
	room_leave(&a.m);
	room_leave(&b.m);
	/* a new process */
	rooms_release(&fx->reg);
	store_close(&fx->st);
	open_rooms(fx);
	join(&a2, id, "Ada", tok, NULL);
	assert_int_equal(a2.m.room->nfiles, 2);
	assert_string_equal(room_file_label(a2.m.room, a2.m.room->files[0]), "app.py");
	assert_string_equal(room_file_text(room_file_find(a2.m.room, f1), &len, &v),
			    "x=1\n2");
	assert_int_equal(v, 1);
	assert_string_equal(room_text(a2.m.room, &len, NULL), "main");
	/* ids are never reused */
	assert_int_equal(room_file_add(&a2.m, "c.py", 4, "", 0, &f2), 0);
	assert_int_equal(f2, 3);
	room_leave(&a2.m);
}

/* The cluster's store, as the room layer sees it: no per-file ops, and an
 * append that goes out for its place in the shared order (-EINPROGRESS). */
static int appends_out;
static uint64_t append_base;
static int shared_append(void *impl, const char *id, uint64_t base,
			 const struct room_log_entry *e, size_t n)
{
	appends_out++;
	append_base = base;
	return -EINPROGRESS;
}

static void test_shared_store_one_file(void **state)
{
	char id[ROOM_ID_LEN + 1];
	struct fake a, b;
	uint32_t f1;
	uint64_t v;
	size_t len;

	assert_int_equal(rooms_create(&fx->reg, NULL, "abc", 3, id), 0);
	fx->ops.files_each = NULL;
	fx->ops.file_add = NULL;
	fx->ops.file_rename = NULL;
	fx->ops.file_delete = NULL;
	fx->ops.file_snapshot_get = NULL;
	fx->ops.file_snapshot_put = NULL;
	fx->ops.file_log_append = NULL;
	fx->ops.file_log_each = NULL;
	fx->ops.log_append = shared_append;
	appends_out = 0;
	join(&a, id, "Ada", NULL, NULL);
	join(&b, id, "Bob", NULL, NULL);
	struct room *r = a.m.room;
	assert_false(room_files_supported(r));
	assert_int_equal(r->nfiles, 1);
	assert_int_equal(room_file_add(&a.m, "u.py", 4, "", 0, &f1), -EOPNOTSUPP);
	assert_int_equal(room_file_rename(&a.m, 0, "app.py", 6), -EOPNOTSUPP);
	assert_int_equal(room_file_entry(&a.m, 0), -EOPNOTSUPP);
	json_t *u1 = updates_json("c1", "[3,[0,\"d\"]]");
	json_t *u2 = updates_json("c1", "[4,[0,\"e\"]]");
	assert_int_equal(room_push_file(&a.m, 1, 0, u1, NULL), -ENOENT);
	/* out to the shared store: nothing changed here yet */
	assert_int_equal(room_push(&a.m, 0, u1, NULL), -EINPROGRESS);
	assert_int_equal(appends_out, 1);
	assert_int_equal(append_base, 0);
	assert_string_equal(room_text(r, &len, &v), "abc");
	assert_int_equal(a.updates + b.updates, 0);
	/* the next push waits behind it */
	assert_int_equal(room_push(&a.m, 1, u2, NULL), -EINPROGRESS);
	assert_int_equal(appends_out, 1);
	/* the store took it; it comes back as every node's updates, file 0 */
	room_push_stored(r, 0, 1);
	const char *cid[] = { "c1" }, *chg[] = { "[3,[0,\"d\"]]" };
	size_t lens[] = { strlen(chg[0]) };
	assert_int_equal(room_apply_updates(r, 0, a.m.id, 1, cid, chg, lens), 0);
	assert_string_equal(room_text(r, &len, &v), "abcd");
	assert_int_equal(v, 1);
	assert_int_equal(b.updates, 1);
	assert_int_equal(b.last_file, 0);
	assert_int_equal(a.updates, 1);
	/* the waiting push went out, on file 0 at version 1; refused there */
	assert_int_equal(appends_out, 2);
	assert_int_equal(append_base, 1);
	room_push_stored(r, -ENOSPC, 0);
	assert_int_equal(a.done, 1);
	assert_int_equal(a.done_err, -ENOSPC);
	assert_int_equal(a.done_file, 0);
	assert_string_equal(room_text(r, &len, NULL), "abcd");
	json_decref(u1);
	json_decref(u2);
	room_leave(&a.m);
	room_leave(&b.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_and_lines),
	    cmocka_unit_test_setup_teardown(test_upload_client_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roles_on_join, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_before_broadcast, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload_from_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_replaces_connection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_store_one_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
