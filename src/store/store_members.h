/*
 * store_members.h - the members a room remembers, and their tokens.
 *
 * A member's token is a secret the client keeps; only its SHA-256 is
 * stored, and a member is found again by that hash. A room remembers at
 * most 'keep' members: putting one more forgets the least recently seen
 * (never the room's host).
 */
#ifndef CODEROOM_STORE_MEMBERS_H
#define CODEROOM_STORE_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_HASH_LEN 32

struct store_member {
	char id[9];		/* 8 hex digits */
	char name[257];
	char role[8];		/* "host", "writer", "reader" */
	char color[8];
	unsigned char token_hash[STORE_HASH_LEN];
};

/* Insert, or update name, role and color (and the seen time). */
int store_members_put(struct store *s, const char *room,
		      const struct store_member *m, size_t keep,
		      const char *host);
/* -ENOENT when no member of the room has this token hash. */
int store_members_by_token(struct store *s, const char *room,
			   const unsigned char hash[STORE_HASH_LEN],
			   struct store_member *out);
int store_members_exists(struct store *s, const char *room, const char *id,
			 bool *exists);

#endif
