/*
 * room_store.h - what a room needs from its persistence, and nothing more.
 *
 * The room layer (room.c) never speaks SQL: it calls these operations
 * through a struct room_store, so that another back end can stand in for
 * the embedded one. room_sqlite.c implements them on SQLite (store/); a
 * cluster back end keeps the same contract with the update log in Redis
 * (log_append is then its atomic compare-and-append).
 *
 * Contract, for every back end:
 *  - An operation that returns 0 is durable: a crash of this process
 *    afterwards does not undo it. The room broadcasts only after that
 *    (write before broadcast).
 *  - log_append is a compare-and-append: it adds updates base .. base+n-1
 *    only if the stored version is 'base', and sets it to base + n, all
 *    or nothing. -ESTALE when the stored version is not 'base' (another
 *    node appended first: reload and retry), -ENOENT when the room is gone.
 *  - snapshot_put stores the whole text at 'version' and may then forget
 *    log entries older than 'keep_from' (the log a reconnecting client
 *    may still need stays).
 *  - chat_append assigns the line's id (the room's next one) and keeps at
 *    least the newest 'keep' lines.
 *  - Tokens never reach the store: members carry SHA-256(token).
 *  - Strings handed to callbacks are valid only during the callback.
 *  - A store shared by several nodes (cluster/room_store.c) may answer
 *    log_append and chat_append with -EINPROGRESS: the write is out for
 *    its place in the room's order, and its outcome comes back through
 *    the bus (room_bus.h) to every node, this one included: the updates
 *    or the line as room_apply_*(), the end of a push as
 *    room_push_stored().
 * Errors are 0 or -errno: -ENOENT (no such room or member), -ESTALE (see
 * above), -ENOSPC (disk full), -EBUSY (locked), -EIO, -ENOMEM.
 */
#ifndef CODEROOM_ROOM_STORE_H
#define CODEROOM_ROOM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROOM_ID_LEN 20		/* [a-z0-9] */
#define ROOM_MEMBER_ID_LEN 8	/* hex */
#define ROOM_LANG_MAX 32
#define ROOM_NAME_MAX 256	/* bytes of a member's name (64 characters) */
#define ROOM_HASH_LEN 32	/* SHA-256 */

enum room_role { ROOM_READER = 0, ROOM_WRITER = 1, ROOM_HOST = 2 };

/* A room's row. */
struct room_record {
	char id[ROOM_ID_LEN + 1];
	char language[ROOM_LANG_MAX + 1];
	bool open_edit;			/* newcomers join as writers */
	char host[ROOM_MEMBER_ID_LEN + 1]; /* "" until someone joined */
	uint64_t version;		/* file 0's updates (a back end without
				   the file_* ops); else unused */
	uint64_t chat_seq;		/* the newest chat line's id */
	int64_t created_ms, updated_ms;	/* wall clock */
	uint32_t entry;			/* the file that runs first */
	uint32_t next_file;		/* the next file's id (never reused) */
};

/* One file of a room (the file_* ops). */
struct room_file_record {
	uint32_t id;
	const char *name;		/* NULL: the language's file name */
	uint64_t version;		/* updates ever accepted into it */
};

/* The update that took a file from 'version' to version + 1. */
struct room_log_entry {
	uint64_t version;
	const char *client_id;
	const char *member;		/* who pushed it */
	const char *changes;		/* ChangeSet JSON text */
	size_t changes_len;
};

struct room_member_record {
	char id[ROOM_MEMBER_ID_LEN + 1];
	char name[ROOM_NAME_MAX + 1];
	enum room_role role;		/* as last set; ROOM_HOST follows
					   room_record.host */
	char color[8];			/* "#rrggbb" */
	unsigned char token_hash[ROOM_HASH_LEN];
};

struct room_chat_record {
	uint64_t id;			/* assigned by chat_append */
	char member[ROOM_MEMBER_ID_LEN + 1];
	const char *name;
	const char *text;
	size_t text_len;
	int64_t ts;			/* ms since 1970 */
};

typedef int (*room_log_fn)(void *arg, const struct room_log_entry *e);
typedef int (*room_chat_fn)(void *arg, const struct room_chat_record *c);
typedef int (*room_file_fn)(void *arg, const struct room_file_record *f);

struct room_store_ops {
	/* A new room with its text as the snapshot at version 0. -EEXIST if
	 * the id is taken. */
	int (*create)(void *impl, const struct room_record *r,
		      const char *text, size_t len);
	int (*get)(void *impl, const char *id, struct room_record *out);
	/* Rooms stored. */
	int (*count)(void *impl, uint64_t *n);
	/* language, open_edit, host of r->id */
	int (*settings_put)(void *impl, const struct room_record *r);

	/* The newest snapshot: *text is malloc'd (NUL-terminated), the
	 * caller frees it. */
	int (*snapshot_get)(void *impl, const char *id, uint64_t *version,
			    char **text, size_t *len);
	int (*snapshot_put)(void *impl, const char *id, uint64_t version,
			    const char *text, size_t len, uint64_t keep_from);

	int (*log_append)(void *impl, const char *id, uint64_t base,
			  const struct room_log_entry *e, size_t n);
	/* Calls fn for each stored entry with from <= version < to, in
	 * increasing order, or decreasing when 'desc'; fn's non-zero return
	 * stops the walk and is returned. */
	int (*log_each)(void *impl, const char *id, uint64_t from, uint64_t to,
			bool desc, room_log_fn fn, void *arg);

	int (*chat_append)(void *impl, const char *id,
			   struct room_chat_record *line, size_t keep);
	/* The newest n lines, oldest first. */
	int (*chat_recent)(void *impl, const char *id, size_t n,
			   room_chat_fn fn, void *arg);

	/* Inserts or updates a member (name, role, color; the token hash
	 * only on insert), and forgets the least recently seen members of
	 * the room beyond 'keep' (never the host). */
	int (*member_put)(void *impl, const char *room,
			  const struct room_member_record *m, size_t keep);
	int (*member_by_token)(void *impl, const char *room,
			       const unsigned char hash[ROOM_HASH_LEN],
			       struct room_member_record *out);
	/* Whether the id is taken in the room (member ids are random). */
	int (*member_exists)(void *impl, const char *room, const char *id,
			     bool *exists);

	/*
	 * Several files a room. A back end without them leaves every one
	 * NULL: its rooms have file 0 only, kept through the snapshot and
	 * log ops above (which are file 0's), and the room refuses to add
	 * files (-EOPNOTSUPP). With them, file_snapshot_* and file_log_*
	 * are the ops above for any file (the same contract), settings_put
	 * also stores 'entry', and file_add stores the file, its text as its
	 * snapshot at version 0 and next_file = file + 1, all or nothing
	 * (-EEXIST when the id was used).
	 */
	int (*files_each)(void *impl, const char *id, room_file_fn fn,
			  void *arg);
	int (*file_add)(void *impl, const char *id, uint32_t file,
			const char *name, const char *text, size_t len);
	int (*file_rename)(void *impl, const char *id, uint32_t file,
			   const char *name);
	int (*file_delete)(void *impl, const char *id, uint32_t file);
	int (*file_snapshot_get)(void *impl, const char *id, uint32_t file,
				 uint64_t *version, char **text, size_t *len);
	int (*file_snapshot_put)(void *impl, const char *id, uint32_t file,
				 uint64_t version, const char *text,
				 size_t len, uint64_t keep_from);
	int (*file_log_append)(void *impl, const char *id, uint32_t file,
			       uint64_t base, const struct room_log_entry *e,
			       size_t n);
	int (*file_log_each)(void *impl, const char *id, uint32_t file,
			     uint64_t from, uint64_t to, bool desc,
			     room_log_fn fn, void *arg);
};

struct room_store {
	const struct room_store_ops *ops;
	void *impl;
};

#endif
