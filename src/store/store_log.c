/*
 * store_log.c - the update log of rooms.
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"
#include "store/store_log.h"

int store_log_append(struct store *s, const char *room, uint32_t file,
		     uint64_t base, const struct store_update *u, size_t n)
{
	static const char cas[] =
		"UPDATE room_files SET version = ?"
		" WHERE room = ? AND file = ? AND version = ?";
	static const char touch[] =
		"UPDATE rooms SET updated_ms = ? WHERE id = ?";
	static const char exists[] =
		"SELECT version FROM room_files WHERE room = ? AND file = ?";
	static const char ins[] =
		"INSERT INTO room_updates (room, file, version, client_id,"
		" member, changes) VALUES (?,?,?,?,?,?)";
	struct timespec ts;
	sqlite3_stmt *st;
	int err, rc;

	if (n == 0)
		return 0;
	if ((err = store_begin(s)))
		return err;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!(st = store_stmt(s, cas))) {
		err = -EIO;
		goto out_rollback;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(base + n));
	sqlite3_bind_text(st, 2, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)file);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)base);
	if ((err = store_exec_stmt(s, st)))
		goto out_rollback;
	if (sqlite3_changes(s->db) != 1) {
		if (!(st = store_stmt(s, exists))) {
			err = -EIO;
			goto out_rollback;
		}
		sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)file);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		err = rc == SQLITE_ROW ? -ESTALE : -ENOENT;
		goto out_rollback;
	}
	if (!(st = store_stmt(s, touch))) {
		err = -EIO;
		goto out_rollback;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)ts.tv_sec * 1000 +
				  ts.tv_nsec / 1000000);
	sqlite3_bind_text(st, 2, room, -1, SQLITE_TRANSIENT);
	if ((err = store_exec_stmt(s, st)))
		goto out_rollback;
	for (size_t i = 0; i < n; i++) {
		if (!(st = store_stmt(s, ins))) {
			err = -EIO;
			goto out_rollback;
		}
		sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)file);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)(base + i));
		sqlite3_bind_text(st, 4, u[i].client_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, u[i].member, -1, SQLITE_TRANSIENT);
		if ((err = store_bind_text(st, 6, u[i].changes,
					   u[i].changes_len)) ||
		    (err = store_exec_stmt(s, st)))
			goto out_rollback;
	}
	return store_commit(s);

out_rollback:
	store_rollback(s);
	return err;
}

int store_log_each(struct store *s, const char *room, uint32_t file,
		   uint64_t from, uint64_t to, bool desc, store_update_fn fn,
		   void *arg)
{
	static const char asc_sql[] =
		"SELECT version, client_id, member, changes FROM room_updates"
		" WHERE room = ? AND file = ? AND version >= ? AND version < ?"
		" ORDER BY version";
	static const char desc_sql[] =
		"SELECT version, client_id, member, changes FROM room_updates"
		" WHERE room = ? AND file = ? AND version >= ? AND version < ?"
		" ORDER BY version DESC";
	sqlite3_stmt *st = store_stmt(s, desc ? desc_sql : asc_sql);
	int rc, err = 0;

	if (!st)
		return -EIO;
	if (to > INT64_MAX)
		to = INT64_MAX;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)file);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_update u = {
			.version = (uint64_t)sqlite3_column_int64(st, 0),
			.client_id = (const char *)sqlite3_column_text(st, 1),
			.member = (const char *)sqlite3_column_text(st, 2),
			.changes = (const char *)sqlite3_column_text(st, 3),
			.changes_len = (size_t)sqlite3_column_bytes(st, 3),
		};
		if (!u.client_id || !u.member || !u.changes) {
			err = -EIO;
			break;
		}
		if ((err = fn(arg, &u)))
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_err(s, rc, "read the update log");
	sqlite3_reset(st);
	return err;
}

int store_log_trim(struct store *s, const char *room, uint32_t file,
		   uint64_t before)
{
	static const char sql[] =
		"DELETE FROM room_updates WHERE room = ? AND file = ?"
		" AND version < ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)file);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)before);
	return store_exec_stmt(s, st);
}
