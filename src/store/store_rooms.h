/*
 * store_rooms.h - the rooms table: one row a room (its settings, its
 * version, its last chat id). A room is created with its first snapshot
 * in one transaction.
 */
#ifndef CODEROOM_STORE_ROOMS_H
#define CODEROOM_STORE_ROOMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct store_room {
	char id[21];		/* [a-z0-9], 20 */
	char language[33];
	bool open_edit;
	char host[9];		/* a member id, "" when none */
	uint64_t version;	/* no longer written (schema 3): files */
	uint64_t chat_seq;
	int64_t created_ms, updated_ms;
	uint32_t entry;		/* the file that runs first */
	uint32_t next_file;	/* the next file's id */
};

/* A room with its file 0 ('text' as its first snapshot); -EEXIST when
 * the id is taken. */
int store_rooms_create(struct store *s, const struct store_room *r,
		       const char *text, size_t len);
/* -ENOENT when there is no such room. */
int store_rooms_get(struct store *s, const char *id, struct store_room *out);
int store_rooms_count(struct store *s, uint64_t *n);
/* language, open_edit, host and entry of r->id; -ENOENT when gone. */
int store_rooms_settings(struct store *s, const struct store_room *r);

#endif
