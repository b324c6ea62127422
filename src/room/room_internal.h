/*
 * room_internal.h - what room.c, room_doc.c and room_run.c share.
 */
#ifndef CODEROOM_ROOM_INTERNAL_H
#define CODEROOM_ROOM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "room/room.h"

struct room;
struct room_member;

int64_t room_wall_ms(void);
void room_broadcast_members(struct room *r);
/* The others' presence() for 'who' (its selection, or gone). */
void room_broadcast_presence(struct room *r, const struct room_member *who);

struct room_file;

/* room_doc.c: the files from the store (each one's snapshot, log after
 * it, and history before it), a last snapshot of each when the room
 * closes, and freeing them. */
int room_doc_load(struct room *r);
void room_doc_unload(struct room *r);
void room_doc_free(struct room *r);
/* One file from the store ('version': what the room says it has). */
int room_file_open(struct room *r, uint32_t id, const char *name,
		   uint64_t version, struct room_file **out);
void room_file_free(struct room_file *f);
/* "\r\n" and "\r" -> "\n" in place; the new length. */
size_t room_text_lf(char *s, size_t len);
/* valid UTF-8 */
int room_text_check(const char *s, size_t len);
/* A copy of text[0..*len) as the store keeps it: room_text_lf() applied
 * (*len updated) and checked. *out is the caller's to free; NULL for empty
 * text, and on an error (-ENOMEM or room_text_check()'s). */
int room_text_copy(const char *text, size_t *len, char **out);

/* room_doc.c: pushes in cluster mode */
struct room_push_wait {
	struct room_push_wait *next;
	struct room_member *m;		/* NULL once it left */
	json_t *updates;		/* a reference */
	uint32_t file;
	uint64_t version;
};
/* Drops m's waiting pushes (it leaves). */
void room_push_forget(struct room *r, const struct room_member *m);
/* Frees every waiting push (the room closes). */
void room_push_release(struct room *r);

/* room.c: a join waiting for its room's fetch (cluster mode) */
struct room_join_wait {
	struct room_join_wait *next;
	struct rooms *reg;
	char room[ROOM_ID_LEN + 1];
	struct room_member *m;
	char name[ROOM_NAME_MAX + 1];
	size_t name_len;
	char token[ROOM_TOKEN_LEN + 1];
	bool has_token;
};

/* room_run.c */
void room_run_init(struct room *r);
void room_run_release(struct room *r);

#endif
