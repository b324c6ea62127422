/*
 * store_files.c - the room_files table.
 */
#include <errno.h>
#include <time.h>

#include "store/store.h"
#include "store/store_files.h"
#include "store/store_snap.h"

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int store_files_each(struct store *s, const char *room, store_file_fn fn,
		     void *arg)
{
	static const char sql[] =
		"SELECT file, name, version FROM room_files WHERE room = ?"
		" ORDER BY file";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc, err = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_file f = {
			.file = (uint32_t)sqlite3_column_int64(st, 0),
			.name = (const char *)sqlite3_column_text(st, 1),
			.version = (uint64_t)sqlite3_column_int64(st, 2),
		};
		if ((err = fn(arg, &f)))
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_err(s, rc, "room files");
	sqlite3_reset(st);
	return err;
}

int store_files_add(struct store *s, const char *room, uint32_t file,
		    const char *name, const char *text, size_t len)
{
	static const char ins[] =
		"INSERT INTO room_files (room, file, name, version, created_ms)"
		" VALUES (?,?,?,0,?)";
	static const char next[] =
		"UPDATE rooms SET next_file = ?, updated_ms = ? WHERE id = ?"
		" AND next_file <= ?";
	int64_t now = wall_ms();
	sqlite3_stmt *st;
	int err;

	if ((err = store_begin(s)))
		return err;
	if (!(st = store_stmt(s, next))) {
		err = -EIO;
		goto out_rollback;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)file + 1);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)file);
	if ((err = store_exec_stmt(s, st)))
		goto out_rollback;
	if (!sqlite3_changes(s->db)) {	/* no room, or an id already used */
		err = -EEXIST;
		goto out_rollback;
	}
	if (!(st = store_stmt(s, ins))) {
		err = -EIO;
		goto out_rollback;
	}
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)file);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	if ((err = store_exec_stmt(s, st)) ||
	    (err = store_snap_put(s, room, file, 0, text, len)))
		goto out_rollback;
	return store_commit(s);

out_rollback:
	store_rollback(s);
	return err;
}

int store_files_rename(struct store *s, const char *room, uint32_t file,
		       const char *name)
{
	static const char sql[] =
		"UPDATE room_files SET name = ? WHERE room = ? AND file = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int err;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)file);
	if ((err = store_exec_stmt(s, st)))
		return err;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int store_files_delete(struct store *s, const char *room, uint32_t file)
{
	static const char *const sql[] = {
		"DELETE FROM room_updates WHERE room = ? AND file = ?",
		"DELETE FROM room_snapshots WHERE room = ? AND file = ?",
		"DELETE FROM room_files WHERE room = ? AND file = ?",
	};
	sqlite3_stmt *st;
	int err;

	if ((err = store_begin(s)))
		return err;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if (!(st = store_stmt(s, sql[i]))) {
			err = -EIO;
			goto out_rollback;
		}
		sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)file);
		if ((err = store_exec_stmt(s, st)))
			goto out_rollback;
	}
	if (!sqlite3_changes(s->db)) {
		err = -ENOENT;
		goto out_rollback;
	}
	return store_commit(s);

out_rollback:
	store_rollback(s);
	return err;
}
