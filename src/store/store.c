/*
 * store.c - the embedded SQLite database: open, migrate, cached
 * statements, transactions.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "store/store.h"

static int map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW: return 0;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_CONSTRAINT: return -EEXIST;
	case SQLITE_READONLY:
	case SQLITE_PERM: return -EROFS;
	default: return -EIO;
	}
}

int store_err(struct store *s, int rc, const char *what)
{
	int e = map_rc(rc);

	if (e && e != -EEXIST)
		log_warn("store: %s: %s", what,
			 s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return e;
}

static int exec(struct store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		log_warn("store: %s: %s", what, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return map_rc(rc) ? map_rc(rc) : -EIO;
	}
	return 0;
}

int store_schema_version(struct store *s)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int migrate(struct store *s)
{
	int have = store_schema_version(s), latest = 0, err;
	char sql[64];

	for (const struct store_migration *m = store_migrations; m->version; m++)
		latest = m->version;
	if (have < 0)
		return -EIO;
	if (have > latest) {
		log_error("store: the database is at schema %d, newer than this "
			  "binary's %d: refusing to touch it", have, latest);
		return -EPROTO;
	}
	for (const struct store_migration *m = store_migrations; m->version; m++) {
		if (m->version <= have)
			continue;
		if ((err = exec(s, "BEGIN IMMEDIATE", "migrate")))
			return err;
		if ((err = exec(s, m->sql, m->what))) {
			exec(s, "ROLLBACK", "migrate");
			return err;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", m->version);
		if ((err = exec(s, sql, "migrate")) ||
		    (err = exec(s, "COMMIT", "migrate"))) {
			exec(s, "ROLLBACK", "migrate");
			return err;
		}
		log_info("store: schema %d: %s", m->version, m->what);
	}
	return 0;
}

int store_open_path(struct store *s, const char *path)
{
	int rc, err;

	memset(s, 0, sizeof(*s));
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_error("store: cannot open '%s': %s", path,
			  s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		err = store_err(NULL, rc, "open");
		sqlite3_close(s->db);
		s->db = NULL;
		return err ? err : -EIO;
	}
	sqlite3_busy_timeout(s->db, 2000);
	sqlite3_extended_result_codes(s->db, 1);
	if (!(s->path = strdup(path))) {
		store_close(s);
		return -ENOMEM;
	}
	if ((err = exec(s, "PRAGMA journal_mode = WAL", "WAL")) ||
	    (err = exec(s, "PRAGMA synchronous = NORMAL", "synchronous")) ||
	    (err = exec(s, "PRAGMA foreign_keys = ON", "foreign keys")) ||
	    (err = exec(s, "PRAGMA temp_store = MEMORY", "temp store")) ||
	    (err = migrate(s))) {
		store_close(s);
		return err;
	}
	return 0;
}

int store_open(struct store *s, const char *dir)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, STORE_FILE) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	return store_open_path(s, path);
}

void store_close(struct store *s)
{
	s->closing = true;
	while (s->ckpt_running && s->loop)	/* its callback clears it */
		uv_run(s->loop, UV_RUN_ONCE);
	if (s->ckpt_db) {
		sqlite3_close(s->ckpt_db);
		s->ckpt_db = NULL;
	}
	free(s->path);
	s->path = NULL;
	for (size_t i = 0; i < s->nstmt; i++)
		sqlite3_finalize(s->stmt[i].st);
	s->nstmt = 0;
	if (s->db) {
		/* leaves the WAL checkpointed and removed when it can */
		sqlite3_close(s->db);
		s->db = NULL;
	}
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < s->nstmt; i++) {
		if (s->stmt[i].sql == sql) {
			st = s->stmt[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (s->nstmt == STORE_STMT_MAX) {
		log_error("store: more than %d cached statements", STORE_STMT_MAX);
		return NULL;
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
				NULL);
	if (rc != SQLITE_OK) {
		log_error("store: cannot prepare '%.60s': %s", sql,
			  sqlite3_errmsg(s->db));
		return NULL;
	}
	s->stmt[s->nstmt].sql = sql;
	s->stmt[s->nstmt].st = st;
	s->nstmt++;
	return st;
}

int store_exec_stmt(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int err = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 :
		  store_err(s, rc, "write");

	sqlite3_reset(st);
	return err;
}

int store_begin(struct store *s)
{
	static const char sql[] = "BEGIN IMMEDIATE";
	sqlite3_stmt *st = store_stmt(s, sql);
	int err;

	if (!st)
		return -EIO;
	if (s->in_tx)
		return -EBUSY;
	if ((err = store_exec_stmt(s, st)))
		return err;
	s->in_tx = true;
	return 0;
}

int store_commit(struct store *s)
{
	static const char sql[] = "COMMIT";
	sqlite3_stmt *st = store_stmt(s, sql);
	int err;

	if (!st)
		return -EIO;
	if ((err = store_exec_stmt(s, st))) {
		store_rollback(s);
		return err;
	}
	s->in_tx = false;
	s->commits++;
	return 0;
}

void store_rollback(struct store *s)
{
	static const char sql[] = "ROLLBACK";
	sqlite3_stmt *st;

	if (!s->in_tx)
		return;
	s->in_tx = false;
	/* after SQLITE_FULL, IOERR, NOMEM... SQLite may have rolled the
	 * transaction back itself; a ROLLBACK then only logs a false error */
	if (sqlite3_get_autocommit(s->db))
		return;
	if ((st = store_stmt(s, sql)))
		store_exec_stmt(s, st);
	else
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_bind_text(sqlite3_stmt *st, int i, const char *p, size_t n)
{
	if (n > INT_MAX)
		return -E2BIG;
	return sqlite3_bind_text(st, i, p ? p : "", (int)n, SQLITE_TRANSIENT) ==
	       SQLITE_OK ? 0 : -ENOMEM;
}

/* ---- background checkpoints ---- */

static void ckpt_work(uv_work_t *w)
{
	struct store *s = w->data;
	int rc;

	if (!s->ckpt_db) {
		rc = sqlite3_open_v2(s->path, &s->ckpt_db,
				     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
				     NULL);
		if (rc != SQLITE_OK) {
			sqlite3_close(s->ckpt_db);
			s->ckpt_db = NULL;
			return;
		}
		sqlite3_busy_timeout(s->ckpt_db, 1000);
	}
	/* PASSIVE: never waits for the loop's writers, copies what it can */
	sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE,
				  NULL, NULL);
}

static void ckpt_start(struct store *s);

static void ckpt_done(uv_work_t *w, int status)
{
	struct store *s = w->data;

	s->ckpt_running = false;
	s->checkpoints++;
	if (!s->ckpt_db)
		log_warn("store: cannot open '%s' for checkpoints", s->path);
	if (s->ckpt_wanted && !s->closing)
		ckpt_start(s);
}

static void ckpt_start(struct store *s)
{
	s->ckpt_wanted = false;
	s->work.data = s;
	if (uv_queue_work(s->loop, &s->work, ckpt_work, ckpt_done) == 0)
		s->ckpt_running = true;
}

/* After each commit on the loop's connection: pages now in the WAL. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *s = arg;

	s->wal_pages = pages;
	if (pages < STORE_CHECKPOINT_PAGES || s->closing)
		return SQLITE_OK;
	/* Under writes without a pause, a checkpoint beside them never
	 * catches up and the WAL would only grow (it restarts from its
	 * beginning only once wholly copied back): then copy it here,
	 * between two transactions, as SQLite itself would. */
	if (pages >= 4 * STORE_CHECKPOINT_PAGES) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
					  NULL, NULL);
		s->checkpoints++;
		return SQLITE_OK;
	}
	if (s->ckpt_running)
		s->ckpt_wanted = true;
	else
		ckpt_start(s);
	return SQLITE_OK;
}

int store_checkpoints_start(struct store *s, uv_loop_t *loop)
{
	int err;

	if (!s->db || !s->path || strcmp(s->path, ":memory:") == 0)
		return -EINVAL;
	if ((err = exec(s, "PRAGMA wal_autocheckpoint = 0", "checkpoints")))
		return err;
	s->loop = loop;
	sqlite3_wal_hook(s->db, wal_hook, s);
	return 0;
}
