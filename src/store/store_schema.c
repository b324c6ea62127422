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
	{ 3, "rooms: several files a room",
	  /* store_files.c: a room's files; file 0 is the document every
	   * room had before (its name NULL: the room language's file name);
	   * version: updates ever accepted into that file. rooms.entry: the
	   * file that runs first; rooms.next_file: the next file's id (ids
	   * are never reused). rooms.version is no longer written. */
	  "CREATE TABLE room_files ("
	  " room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
	  " file INTEGER NOT NULL,"
	  " name TEXT,"
	  " version INTEGER NOT NULL DEFAULT 0,"
	  " created_ms INTEGER NOT NULL,"
	  " PRIMARY KEY (room, file)"
	  ") WITHOUT ROWID;"
	  "INSERT INTO room_files (room, file, name, version, created_ms)"
	  " SELECT id, 0, NULL, version, created_ms FROM rooms;"
	  "ALTER TABLE rooms ADD COLUMN entry INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE rooms ADD COLUMN next_file INTEGER NOT NULL DEFAULT 1;"
	  /* the log and the snapshots, by file */
	  "CREATE TABLE room_updates_3 ("
	  " room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
	  " file INTEGER NOT NULL,"
	  " version INTEGER NOT NULL,"
	  " client_id TEXT NOT NULL,"
	  " member TEXT NOT NULL,"
	  " changes TEXT NOT NULL,"
	  " PRIMARY KEY (room, file, version)"
	  ") WITHOUT ROWID;"
	  "INSERT INTO room_updates_3 SELECT room, 0, version, client_id,"
	  " member, changes FROM room_updates;"
	  "DROP TABLE room_updates;"
	  "ALTER TABLE room_updates_3 RENAME TO room_updates;"
	  "CREATE TABLE room_snapshots_3 ("
	  " room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
	  " file INTEGER NOT NULL,"
	  " version INTEGER NOT NULL,"
	  " text BLOB NOT NULL,"
	  " created_ms INTEGER NOT NULL,"
	  " PRIMARY KEY (room, file, version)"
	  ") WITHOUT ROWID;"
	  "INSERT INTO room_snapshots_3 SELECT room, 0, version, text,"
	  " created_ms FROM room_snapshots;"
	  "DROP TABLE room_snapshots;"
	  "ALTER TABLE room_snapshots_3 RENAME TO room_snapshots;" },
	{ 0, NULL, NULL },
};
