/*
 * store_chat.c - chat lines of rooms.
 */
#include <errno.h>

#include "store/store.h"
#include "store/store_chat.h"

int store_chat_append(struct store *s, const char *room, struct store_chat *c,
		      size_t keep)
{
	static const char seq[] =
		"UPDATE rooms SET chat_seq = chat_seq + 1 WHERE id = ?"
		" RETURNING chat_seq";
	static const char ins[] =
		"INSERT INTO room_chat (room, id, member, name, text, ts)"
		" VALUES (?,?,?,?,?,?)";
	static const char trim[] =
		"DELETE FROM room_chat WHERE room = ? AND id <= ?";
	sqlite3_stmt *st;
	int err, rc;

	if ((err = store_begin(s)))
		return err;
	if (!(st = store_stmt(s, seq))) {
		err = -EIO;
		goto out_rollback;
	}
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		c->id = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		err = rc == SQLITE_DONE ? -ENOENT : store_err(s, rc, "chat id");
		goto out_rollback;
	}
	if (!(st = store_stmt(s, ins))) {
		err = -EIO;
		goto out_rollback;
	}
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)c->id);
	sqlite3_bind_text(st, 3, c->member, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, c->name, -1, SQLITE_TRANSIENT);
	if ((err = store_bind_text(st, 5, c->text, c->text_len)))
		goto out_rollback;
	sqlite3_bind_int64(st, 6, c->ts);
	if ((err = store_exec_stmt(s, st)))
		goto out_rollback;
	if (keep && c->id > keep) {
		if (!(st = store_stmt(s, trim))) {
			err = -EIO;
			goto out_rollback;
		}
		sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)(c->id - keep));
		if ((err = store_exec_stmt(s, st)))
			goto out_rollback;
	}
	return store_commit(s);

out_rollback:
	store_rollback(s);
	return err;
}

int store_chat_recent(struct store *s, const char *room, size_t n,
		      store_chat_fn fn, void *arg)
{
	static const char sql[] =
		"SELECT id, member, name, text, ts FROM (SELECT * FROM room_chat"
		" WHERE room = ? ORDER BY id DESC LIMIT ?) ORDER BY id";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc, err = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, room, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_chat c = {
			.id = (uint64_t)sqlite3_column_int64(st, 0),
			.member = (const char *)sqlite3_column_text(st, 1),
			.name = (const char *)sqlite3_column_text(st, 2),
			.text = (const char *)sqlite3_column_text(st, 3),
			.text_len = (size_t)sqlite3_column_bytes(st, 3),
			.ts = sqlite3_column_int64(st, 4),
		};
		if (!c.member || !c.name || !c.text) {
			err = -EIO;
			break;
		}
		if ((err = fn(arg, &c)))
			break;
	}
	if (!err && rc != SQLITE_DONE)
		err = store_err(s, rc, "read the chat");
	sqlite3_reset(st);
	return err;
}
