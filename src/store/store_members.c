/*
 * store_members.c - the members rooms remember.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/store_members.h"

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int store_members_put(struct store *s, const char *room,
		      const struct store_member *m, size_t keep,
		      const char *host)
{
	static const char up[] =
		"INSERT INTO room_members (room, id, name, role, color,"
		" token_hash, created_ms, seen_ms) VALUES (?,?,?,?,?,?,?,?)"
		" ON CONFLICT (room, id) DO UPDATE SET name = excluded.name,"
		" role = excluded.role, color = excluded.color,"
		" seen_ms = excluded.seen_ms";
	static const char forget[] =
		"DELETE FROM room_members WHERE room = ?1 AND id != ?2 AND id IN"
		" (SELECT id FROM room_members WHERE room = ?1"
		" ORDER BY seen_ms DESC LIMIT -1 OFFSET ?3)";
	int64_t now = wall_ms();
	sqlite3_stmt *st = store_stmt(s, up);
	int err;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, m->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, m->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, m->role, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, m->color, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 6, m->token_hash, STORE_HASH_LEN,
			  SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, now);
	if ((err = store_exec_stmt(s, st)))
		return err;
	if (!keep)
		return 0;
	if (!(st = store_stmt(s, forget)))
		return -EIO;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, host ? host : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)keep);
	return store_exec_stmt(s, st);
}

int store_members_by_token(struct store *s, const char *room,
			   const unsigned char hash[STORE_HASH_LEN],
			   struct store_member *out)
{
	static const char sql[] =
		"SELECT id, name, role, color FROM room_members"
		" WHERE room = ? AND token_hash = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc, err = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, hash, STORE_HASH_LEN, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		snprintf(out->id, sizeof(out->id), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		snprintf(out->name, sizeof(out->name), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		snprintf(out->role, sizeof(out->role), "%s",
			 (const char *)sqlite3_column_text(st, 2));
		snprintf(out->color, sizeof(out->color), "%s",
			 (const char *)sqlite3_column_text(st, 3));
		memcpy(out->token_hash, hash, STORE_HASH_LEN);
	} else {
		err = rc == SQLITE_DONE ? -ENOENT : store_err(s, rc, "member");
	}
	sqlite3_reset(st);
	return err;
}

int store_members_exists(struct store *s, const char *room, const char *id,
			 bool *exists)
{
	static const char sql[] =
		"SELECT 1 FROM room_members WHERE room = ? AND id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	*exists = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	       store_err(s, rc, "member id");
}
