/*
 * store_judge0.h - Judge0 submissions in the database, one row each, so a
 * token stays valid across restarts until the submission expires.
 *
 * A row holds what the submission asked for ('attrs', JSON text), its
 * texts as bytes (source, stdin, expected output, stdout, stderr,
 * compiler output; NULL is null), and once finished its result ('result',
 * JSON text) and finished_ms. What the JSON holds is judge0.c's business;
 * this file only keeps it. Errors are 0 or -errno as store.h says.
 */
#ifndef CODEROOM_STORE_JUDGE0_H
#define CODEROOM_STORE_JUDGE0_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_JUDGE0_TEXTS 6

struct store_judge0 {
	char token[37];
	int64_t created_ms;
	int64_t finished_ms;		/* 0 while waiting or running */
	int status_id;
	char *attrs;			/* JSON text */
	char *result;			/* JSON text, or NULL */
	struct {
		char *p;		/* NULL: null; else NUL-terminated */
		size_t n;
	} text[STORE_JUDGE0_TEXTS];
};

/* Inserts the row, or replaces the one with its token. Copies. */
int store_judge0_put(struct store *s, const struct store_judge0 *r);
/* Fills *out (malloc'd strings: store_judge0_release()). -ENOENT. */
int store_judge0_get(struct store *s, const char *token,
		     struct store_judge0 *out);
/* -ENOENT when there is no such row. */
int store_judge0_delete(struct store *s, const char *token);
/* Deletes the rows finished before 'before_ms'; *n of them. */
int store_judge0_expire(struct store *s, int64_t before_ms, unsigned *n);
/* Calls fn for each row not finished (oldest first); a non-zero return
 * stops the walk and is returned. The row is released after fn. */
typedef int (*store_judge0_fn)(void *arg, struct store_judge0 *r);
int store_judge0_unfinished(struct store *s, store_judge0_fn fn, void *arg);
void store_judge0_release(struct store_judge0 *r);

#endif
