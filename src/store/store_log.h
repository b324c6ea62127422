/*
 * store_log.h - the update log of a room's files: the update that took a
 * file from 'version' to version + 1, with who pushed it.
 *
 * store_log_append() is a compare-and-append in one transaction: the rows
 * base .. base+n-1 go in and the file's version becomes base + n only if
 * it was 'base' (-ESTALE otherwise, -ENOENT without the room or file).
 */
#ifndef CODEROOM_STORE_LOG_H
#define CODEROOM_STORE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct store_update {
	uint64_t version;
	const char *client_id;
	const char *member;
	const char *changes;	/* JSON text */
	size_t changes_len;
};

typedef int (*store_update_fn)(void *arg, const struct store_update *u);

int store_log_append(struct store *s, const char *room, uint32_t file,
		     uint64_t base, const struct store_update *u, size_t n);
/* Each row of 'file' with from <= version < to, increasing (or decreasing
 * when desc); a non-zero return of fn stops the walk and is returned. */
int store_log_each(struct store *s, const char *room, uint32_t file,
		   uint64_t from, uint64_t to, bool desc, store_update_fn fn,
		   void *arg);
/* Forgets the rows of 'file' older than 'before'. */
int store_log_trim(struct store *s, const char *room, uint32_t file,
		   uint64_t before);

#endif
