/*
 * store_judge0.c - the judge0_submissions table.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_judge0.h"

#define COLS "token, created_ms, finished_ms, status_id, attrs, result, " \
	     "source_code, stdin, expected_output, stdout, stderr, " \
	     "compile_output"

static int bind_blob(sqlite3_stmt *st, int i, const char *p, size_t n)
{
	if (!p)
		return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -ENOMEM;
	if (n > INT_MAX)
		return -E2BIG;
	return sqlite3_bind_blob(st, i, n ? p : "", (int)n, SQLITE_TRANSIENT) ==
	       SQLITE_OK ? 0 : -ENOMEM;
}

int store_judge0_put(struct store *s, const struct store_judge0 *r)
{
	static const char sql[] = "INSERT OR REPLACE INTO judge0_submissions ("
				  COLS ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";
	sqlite3_stmt *st = store_stmt(s, sql);
	int err = 0;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, r->token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, r->created_ms);
	if (r->finished_ms)
		sqlite3_bind_int64(st, 3, r->finished_ms);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int(st, 4, r->status_id);
	err = store_bind_text(st, 5, r->attrs, strlen(r->attrs));
	if (!err && r->result)
		err = store_bind_text(st, 6, r->result, strlen(r->result));
	for (int i = 0; i < STORE_JUDGE0_TEXTS && !err; i++)
		err = bind_blob(st, 7 + i, r->text[i].p, r->text[i].n);
	if (err) {
		sqlite3_reset(st);
		return err;
	}
	return store_exec_stmt(s, st);
}

static char *col_dup(sqlite3_stmt *st, int i, size_t *n)
{
	const void *p;
	size_t len;
	char *d;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	p = sqlite3_column_blob(st, i);
	len = (size_t)sqlite3_column_bytes(st, i);
	if (!(d = malloc(len + 1)))
		return NULL;
	if (len)
		memcpy(d, p, len);
	d[len] = '\0';
	if (n)
		*n = len;
	return d;
}

static int read_row(sqlite3_stmt *st, struct store_judge0 *r)
{
	const char *tok = (const char *)sqlite3_column_text(st, 0);

	memset(r, 0, sizeof(*r));
	snprintf(r->token, sizeof(r->token), "%s", tok ? tok : "");
	r->created_ms = sqlite3_column_int64(st, 1);
	r->finished_ms = sqlite3_column_int64(st, 2);
	r->status_id = sqlite3_column_int(st, 3);
	r->attrs = col_dup(st, 4, NULL);
	r->result = col_dup(st, 5, NULL);
	if (!r->attrs)
		goto out_nomem;
	if (sqlite3_column_type(st, 5) != SQLITE_NULL && !r->result)
		goto out_nomem;
	for (int i = 0; i < STORE_JUDGE0_TEXTS; i++) {
		r->text[i].p = col_dup(st, 6 + i, &r->text[i].n);
		if (!r->text[i].p && sqlite3_column_type(st, 6 + i) !=
				     SQLITE_NULL)
			goto out_nomem;
	}
	return 0;
out_nomem:
	store_judge0_release(r);
	return -ENOMEM;
}

int store_judge0_get(struct store *s, const char *token,
		     struct store_judge0 *out)
{
	static const char sql[] = "SELECT " COLS " FROM judge0_submissions "
				  "WHERE token = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc, err;

	memset(out, 0, sizeof(*out));
	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = read_row(st, out);
	else
		err = rc == SQLITE_DONE ? -ENOENT : store_err(s, rc, "judge0 get");
	sqlite3_reset(st);
	return err;
}

int store_judge0_delete(struct store *s, const char *token)
{
	static const char sql[] = "DELETE FROM judge0_submissions WHERE "
				  "token = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int err;

	if (!st)
		return -EIO;
	sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT);
	if ((err = store_exec_stmt(s, st)))
		return err;
	return sqlite3_changes(s->db) ? 0 : -ENOENT;
}

int store_judge0_expire(struct store *s, int64_t before_ms, unsigned *n)
{
	static const char sql[] = "DELETE FROM judge0_submissions WHERE "
				  "finished_ms IS NOT NULL AND finished_ms < ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int err;

	*n = 0;
	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, before_ms);
	if ((err = store_exec_stmt(s, st)))
		return err;
	*n = (unsigned)sqlite3_changes(s->db);
	return 0;
}

int store_judge0_unfinished(struct store *s, store_judge0_fn fn, void *arg)
{
	static const char sql[] = "SELECT " COLS " FROM judge0_submissions "
				  "WHERE finished_ms IS NULL "
				  "ORDER BY created_ms";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct store_judge0 r;
	int rc, err = 0;

	if (!st)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = read_row(st, &r)))
			break;
		err = fn(arg, &r);
		store_judge0_release(&r);
		if (err)
			break;
	}
	if (!err && rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = store_err(s, rc, "judge0 unfinished");
	sqlite3_reset(st);
	return err;
}

void store_judge0_release(struct store_judge0 *r)
{
	free(r->attrs);
	free(r->result);
	for (int i = 0; i < STORE_JUDGE0_TEXTS; i++)
		free(r->text[i].p);
	memset(r, 0, sizeof(*r));
}
