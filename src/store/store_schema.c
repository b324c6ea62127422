/*
 * store_schema.c - the database schema, as the list of its migrations.
 *
 * Append a step to change the schema; never edit a released one (a
 * database that ran it would not run it again). Each table belongs to one
 * module, named beside it.
 */
#include <stddef.h>

#include "store/store.h"

const struct store_migration store_migrations[] = {
	{ 1, "rooms: rooms, update log, snapshots, chat, members",
	  /* store_rooms.c: one row a room. version: updates ever accepted;
	   * chat_seq: the last chat line's id. */
	  "CREATE TABLE rooms ("
	  " id TEXT PRIMARY KEY,"
	  " language TEXT NOT NULL,"
	  " open_edit INTEGER NOT NULL DEFAULT 0,"
	  " host TEXT,"
	  " version INTEGER NOT NULL DEFAULT 0,"
	  " chat_seq INTEGER NOT NULL DEFAULT 0,"
	  " created_ms INTEGER NOT NULL,"
	  " updated_ms INTEGER NOT NULL"
	  ") WITHOUT ROWID;"
	  /* store_log.c: the update that took the document from 'version'
	   * to version + 1 */
	  "CREATE TABLE room_updates ("
	  " room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
	  " version INTEGER NOT NULL,"
	  " client_id TEXT NOT NULL,"
	  " member TEXT NOT NULL,"
	  " changes TEXT NOT NULL,"
	  " PRIMARY KEY (room, version)"
	  ") WITHOUT ROWID;"
	  /* store_snap.c: the text at 'version' (the latest only) */
	  "CREATE TABLE room_snapshots ("
	  " room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
	  " version INTEGER NOT NULL,"
	  " text BLOB NOT NULL,"
	  " created_ms INTEGER NOT NULL,"
	  " PRIMARY KEY (room, version)"
	  ") WITHOUT ROWID;"
	  /* store_chat.c */
	  "CREATE TABLE room_chat ("
	  " room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
	  " id INTEGER NOT NULL,"
	  " member TEXT NOT NULL,"
	  " name TEXT NOT NULL,"
	  " text TEXT NOT NULL,"
	  " ts INTEGER NOT NULL,"
	  " PRIMARY KEY (room, id)"
	  ") WITHOUT ROWID;"
	  /* store_members.c: token_hash is SHA-256 of the member's token */
	  "CREATE TABLE room_members ("
	  " room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
	  " id TEXT NOT NULL,"
	  " name TEXT NOT NULL,"
	  " role TEXT NOT NULL,"
	  " color TEXT NOT NULL,"
	  " token_hash BLOB NOT NULL,"
	  " created_ms INTEGER NOT NULL,"
	  " seen_ms INTEGER NOT NULL,"
	  " PRIMARY KEY (room, id)"
	  ") WITHOUT ROWID;"
	  "CREATE UNIQUE INDEX room_members_token ON room_members(room, token_hash);"
	  "CREATE INDEX room_members_seen ON room_members(room, seen_ms);" },
	{ 2, "judge0: submissions",
	  /* store_judge0.c: one row a Judge0 submission. attrs: what it
	   * asked for (JSON); result: time, memory, exit... (JSON); the texts
	   * as bytes (NULL: null); finished_ms NULL while it waits or runs */
	  "CREATE TABLE judge0_submissions ("
	  " token TEXT PRIMARY KEY,"
	  " created_ms INTEGER NOT NULL,"
	  " finished_ms INTEGER,"
	  " status_id INTEGER NOT NULL,"
	  " attrs TEXT NOT NULL,"
	  " result TEXT,"
	  " source_code BLOB, stdin BLOB, expected_output BLOB,"
	  " stdout BLOB, stderr BLOB, compile_output BLOB"
	  ") WITHOUT ROWID;"
	  "CREATE INDEX judge0_submissions_finished"
	  " ON judge0_submissions(finished_ms);" },
	{ 0, NULL, NULL },
};
