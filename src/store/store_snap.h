/*
 * store_snap.h - snapshots: the whole text of a room's file at a version.
 * Only the newest is kept; the update log after it (store_log.h) gives
 * the rest.
 */
#ifndef CODEROOM_STORE_SNAP_H
#define CODEROOM_STORE_SNAP_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* Stores the text at 'version' and drops older snapshots. Runs inside the
 * caller's transaction when there is one. */
int store_snap_put(struct store *s, const char *room, uint32_t file,
		   uint64_t version, const char *text, size_t len);
/* The newest snapshot; *text is malloc'd and NUL-terminated. -ENOENT. */
int store_snap_get(struct store *s, const char *room, uint32_t file,
		   uint64_t *version, char **text, size_t *len);

#endif
