/*
 * test_store.c - the SQLite store: the schema is migrated once and a
 * newer one refused; the update log is a compare-and-append (-ESTALE when
 * the version moved, -ENOENT without the room, all or nothing); trims;
 * snapshots keep the newest; chat ids increase and old lines go; members
 * are found by their token hash only and the least recently seen are
 * forgotten beyond the cap, never the host; background checkpoints keep
 * the WAL bounded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/store_chat.h"
#include "store/store_files.h"
#include "store/store_log.h"
#include "store/store_members.h"
#include "store/store_rooms.h"
#include "store/store_snap.h"

static char dir[64];
static struct store st;

static int setup(void **state)
{
	struct store_room r = { .id = "room0", .language = "python" };

	snprintf(dir, sizeof(dir), "/tmp/coderoom-test-store-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(&st, dir), 0);
	assert_int_equal(store_rooms_create(&st, &r, "hello", 5), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	store_close(&st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* The newest schema version: the last step of the migration list. */
static int latest_version(void)
{
	int v = 0;

	for (const struct store_migration *m = store_migrations; m->sql; m++)
		v = m->version;
	return v;
}

static void test_schema(void **state)
{
	struct store_room r = { .id = "room0", .language = "c" };
	int latest = latest_version();

	assert_true(latest >= 1);
	assert_int_equal(store_schema_version(&st), latest);
	assert_int_equal(store_rooms_create(&st, &r, "", 0), -EEXIST);
	store_close(&st);
	assert_int_equal(store_open(&st, dir), 0);	/* again: no migration */
	assert_int_equal(store_schema_version(&st), latest);
	assert_int_equal(sqlite3_exec(st.db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL), SQLITE_OK);
	store_close(&st);
	assert_int_equal(store_open(&st, dir), -EPROTO);	/* newer: refused */
	assert_int_equal(store_open_path(&st, ":memory:"), 0);
}

static int count(void *arg, const struct store_update *u)
{
	(*(int *)arg)++;
	return 0;
}

static int version_of(void *arg, const struct store_file *f)
{
	if (f->file == 0)
		*(uint64_t *)arg = f->version;
	return 0;
}

/* file 0's version */
static uint64_t file0_version(const char *room)
{
	uint64_t v = UINT64_MAX;

	assert_int_equal(store_files_each(&st, room, version_of, &v), 0);
	return v;
}

static void test_log_cas(void **state)
{
	struct store_update u[2] = {
		{ 0, "c1", "m1", "[5,[0,\"!\"]]", 11 },
		{ 1, "c1", "m1", "[6,[0,\"?\"]]", 11 },
	};
	int n = 0;

	assert_int_equal(store_log_append(&st, "room0", 0, 0, u, 2), 0);
	assert_int_equal(file0_version("room0"), 2);
	assert_int_equal(store_log_append(&st, "room0", 0, 0, u, 2), -ESTALE);
	assert_int_equal(store_log_append(&st, "room0", 0, 5, u, 1), -ESTALE);
	assert_int_equal(store_log_append(&st, "nope", 0, 0, u, 1), -ENOENT);
	/* a conflicting row: nothing of the push stays, version unchanged */
	struct store_update dup = { 1, "c2", "m2", "[7]", 3 };
	assert_int_equal(sqlite3_exec(st.db, "UPDATE room_files SET version = 1",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(store_log_append(&st, "room0", 0, 1, &dup, 1), 0);
	assert_int_equal(file0_version("room0"), 1);
	assert_int_equal(store_log_each(&st, "room0", 0, 0, UINT64_MAX, false,
					count, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_log_trim(&st, "room0", 0, 1), 0);
	n = 0;
	assert_int_equal(store_log_each(&st, "room0", 0, 0, UINT64_MAX, true,
					count, &n), 0);
	assert_int_equal(n, 1);
}

static void test_snapshots(void **state)
{
	uint64_t v;
	char *t;
	size_t n;

	assert_int_equal(store_snap_get(&st, "room0", 0, &v, &t, &n), 0);
	assert_int_equal(v, 0);
	assert_string_equal(t, "hello");
	free(t);
	assert_int_equal(store_snap_put(&st, "room0", 0, 7, "a\0b", 3), 0);
	assert_int_equal(store_snap_get(&st, "room0", 0, &v, &t, &n), 0);
	assert_int_equal(v, 7);
	assert_int_equal(n, 3);
	assert_memory_equal(t, "a\0b", 3);
	free(t);
	assert_int_equal(store_snap_get(&st, "nope", 0, &v, &t, &n), -ENOENT);
}

static int first_text(void *arg, const struct store_chat *c)
{
	char *out = arg;

	if (!out[0])
		snprintf(out, 32, "%s", c->text);
	return 0;
}

static void test_chat(void **state)
{
	char first[32] = "";

	for (int i = 0; i < 12; i++) {
		char t[16];
		snprintf(t, sizeof(t), "line %d", i);
		struct store_chat c = { .member = "m", .name = "Ada", .text = t,
					.text_len = strlen(t), .ts = 1 };
		assert_int_equal(store_chat_append(&st, "room0", &c, 5), 0);
		assert_int_equal(c.id, (uint64_t)i + 1);
	}
	assert_int_equal(store_chat_recent(&st, "room0", 100, first_text, first), 0);
	assert_string_equal(first, "line 7");	/* 5 kept */
	struct store_chat c = { .member = "m", .name = "x", .text = "y", .text_len = 1 };
	assert_int_equal(store_chat_append(&st, "nope", &c, 5), -ENOENT);
}

static void test_members(void **state)
{
	struct store_member m = { .role = "writer", .color = "#000000" }, out;
	bool exists;

	for (int i = 0; i < 6; i++) {
		snprintf(m.id, sizeof(m.id), "0000000%d", i);
		snprintf(m.name, sizeof(m.name), "n%d", i);
		memset(m.token_hash, i + 1, sizeof(m.token_hash));
		/* at most 3 remembered; member 0 is the host */
		assert_int_equal(store_members_put(&st, "room0", &m, 3, "00000000"), 0);
		usleep(2000);	/* distinct seen times */
	}
	unsigned char h[STORE_HASH_LEN];
	memset(h, 1, sizeof(h));
	assert_int_equal(store_members_by_token(&st, "room0", h, &out), 0);
	assert_string_equal(out.id, "00000000");	/* the host stays */
	memset(h, 2, sizeof(h));
	assert_int_equal(store_members_by_token(&st, "room0", h, &out), -ENOENT);
	memset(h, 6, sizeof(h));
	assert_int_equal(store_members_by_token(&st, "room0", h, &out), 0);
	assert_string_equal(out.name, "n5");
	assert_int_equal(store_members_exists(&st, "room0", "00000001", &exists), 0);
	assert_false(exists);
	memset(h, 9, sizeof(h));
	assert_int_equal(store_members_by_token(&st, "other", h, &out), -ENOENT);
}

/* Checkpoints on the thread pool keep the WAL bounded without SQLite's
 * automatic ones (which run on the writer, inside a commit). */
static void test_background_checkpoints(void **state)
{
	uv_loop_t loop;
	struct stat sb;
	char wal[96];
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(store_checkpoints_start(&st, &loop), 0);
	for (int i = 0; i < 6000; i++) {
		struct store_update u = { (uint64_t)i, "c", "m", big, strlen(big) };
		assert_int_equal(store_log_append(&st, "room0", 0, (uint64_t)i, &u, 1), 0);
		uv_run(&loop, UV_RUN_NOWAIT);
	}
	while (st.ckpt_running)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(st.checkpoints >= 3);
	snprintf(wal, sizeof(wal), "%s/coderoom.db-wal", dir);
	assert_int_equal(stat(wal, &sb), 0);
	/* 6000 commits of a 3 KB row without checkpoints: > 18 MB of WAL;
	 * bounded: 4 x 1000 pages of 4 KiB, and a little more */
	assert_true(sb.st_size < 18 * 1024 * 1024);
	store_close(&st);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(store_open(&st, dir), 0);	/* for teardown */
	assert_int_equal(file0_version("room0"), 6000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_log_cas, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snapshots, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chat, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_members, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_background_checkpoints, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
