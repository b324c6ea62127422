/*
 * store_snap.c - snapshots of a room's text.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/store_snap.h"

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int store_snap_put(struct store *s, const char *room, uint32_t file,
		   uint64_t version, const char *text, size_t len)
{
	static const char ins[] =
		"INSERT OR REPLACE INTO room_snapshots (room, file, version,"
		" text, created_ms) VALUES (?,?,?,?,?)";
	static const char del[] =
		"DELETE FROM room_snapshots WHERE room = ? AND file = ?"
		" AND version < ?";
	sqlite3_stmt *st;
	int err;

	if (len > INT_MAX)
		return -E2BIG;
	if (!(st = store_stmt(s, ins)))
		return -EIO;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)file);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)version);
	sqlite3_bind_blob(st, 4, len ? text : "", (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, wall_ms());
	if ((err = store_exec_stmt(s, st)))
		return err;
	sqlite3_clear_bindings(st);	/* 'text' is the caller's */
	if (!(st = store_stmt(s, del)))
		return -EIO;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)file);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)version);
	return store_exec_stmt(s, st);
}

int store_snap_get(struct store *s, const char *room, uint32_t file,
		   uint64_t *version, char **text, size_t *len)
{
	static const char sql[] =
		"SELECT version, text FROM room_snapshots WHERE room = ?"
		" AND file = ? ORDER BY version DESC LIMIT 1";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc, err = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)file);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		char *t = malloc(n + 1);
		if (!t) {
			err = -ENOMEM;
		} else {
			if (n)
				memcpy(t, p, n);
			t[n] = '\0';
			*text = t;
			*len = n;
			*version = (uint64_t)sqlite3_column_int64(st, 0);
		}
	} else {
		err = rc == SQLITE_DONE ? -ENOENT : store_err(s, rc, "snapshot");
	}
	sqlite3_reset(st);
	return err;
}
