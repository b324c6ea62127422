/*
 * store.h - the embedded SQLite database in --data-dir.
 *
 * One connection, used from the loop thread only. Opened in WAL mode with
 * synchronous=NORMAL: a commit is in the WAL (the OS's page cache) when
 * store_commit() returns, so a crash of the process (kill -9) never loses
 * it; a power cut may lose the last few (operations.md says so). A busy
 * timeout covers another process holding the file (sqlite3 shell, a
 * backup).
 *
 * The schema is versioned (PRAGMA user_version) and migrated forward at
 * open by the list in store_schema.c; a database newer than this binary is
 * refused. Every module that owns tables (store_rooms.c, store_log.c, ...,
 * and later ones) adds its migration there and keeps to its own tables.
 *
 * Checkpoints: with store_checkpoints_start(), the WAL is copied back into
 * the database by a second connection on libuv's thread pool once it holds
 * STORE_CHECKPOINT_PAGES pages, instead of by whichever commit crosses
 * SQLite's threshold on the loop (a checkpoint fsyncs: milliseconds on a
 * busy disk, in the middle of someone's keystroke). Should writes never
 * pause long enough for it to catch up, the loop's connection checkpoints
 * itself at four times the threshold, so the WAL stays bounded. Without
 * store_checkpoints_start() SQLite's own automatic checkpoints stay on.
 *
 * Statements are prepared once and kept: store_stmt() returns the cached
 * statement for a static SQL string, reset and unbound. Errors are 0 or
 * -errno (store_err() maps SQLite's codes: -ENOSPC disk full, -EBUSY
 * locked, -ENOMEM, -EEXIST constraint, -EIO anything else) and are logged
 * with SQLite's message.
 */
#ifndef CODEROOM_STORE_H
#define CODEROOM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>
#include <uv.h>

#define STORE_FILE "coderoom.db"
#define STORE_STMT_MAX 64	/* distinct cached statements */
#define STORE_CHECKPOINT_PAGES 1000 /* WAL pages before a checkpoint */

struct store {
	sqlite3 *db;
	struct {
		const char *sql;	/* the key: a static string */
		sqlite3_stmt *st;
	} stmt[STORE_STMT_MAX];
	size_t nstmt;
	bool in_tx;		/* store_begin() .. commit/rollback */
	uint64_t commits;	/* for health and benches */
	/* background checkpoints */
	char *path;		/* the database file */
	uv_loop_t *loop;	/* NULL: SQLite's automatic checkpoints */
	uv_work_t work;
	sqlite3 *ckpt_db;	/* used by one worker thread at a time */
	bool ckpt_running, ckpt_wanted, closing;
	int wal_pages;		/* as the last commit left it */
	uint64_t checkpoints;
	/* store_judge0.c: the bytes its rows hold, kept as they change */
	uint64_t judge0_bytes;
	bool judge0_counted;	/* judge0_bytes is known */
};

/* One step of the schema: 'sql' takes the database from version - 1. */
struct store_migration {
	int version;
	const char *what;	/* for the log */
	const char *sql;
};
extern const struct store_migration store_migrations[]; /* ends with version 0 */

/* Opens (creating) dir/coderoom.db and migrates it. 0 or -errno. */
int store_open(struct store *s, const char *dir);
/* Same, on any path (":memory:" for tests). */
int store_open_path(struct store *s, const char *path);
/* Closes; a running background checkpoint is waited for. */
void store_close(struct store *s);
/* Moves checkpoints to the thread pool of 'loop' (see above). */
int store_checkpoints_start(struct store *s, uv_loop_t *loop);
/* The schema version the database is at. */
int store_schema_version(struct store *s);

/* The cached statement for sql (a string literal), reset with no
 * bindings; NULL (logged) when it cannot be prepared. */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. Not nested. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Runs one statement with no result rows (bound already), resets it. */
int store_exec_stmt(struct store *s, sqlite3_stmt *st);

/* -errno for an SQLite result code, logging 'what' and the message. */
int store_err(struct store *s, int rc, const char *what);

/* Binding helpers: text of n bytes (copied by SQLite). */
int store_bind_text(sqlite3_stmt *st, int i, const char *p, size_t n);

#endif
