/*
 * chat.h - the newest lines of a room's chat, in memory (a ring).
 *
 * Pure: no I/O. A line's strings are copied in and freed when it falls
 * out of the ring. Line ids come from the store (increasing per room).
 */
#ifndef CODEROOM_ROOM_CHAT_H
#define CODEROOM_ROOM_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "room/room_store.h"

struct room_chat_line {
	uint64_t id;
	char member[ROOM_MEMBER_ID_LEN + 1];
	char *name;
	char *text;			/* valid UTF-8, text_len bytes */
	size_t text_len;
	int64_t ts;			/* ms since 1970 */
};

struct chat_ring {
	struct room_chat_line *v;	/* cap slots */
	size_t cap, n, head;		/* head: the oldest */
};

int chat_ring_init(struct chat_ring *r, size_t cap);
void chat_ring_release(struct chat_ring *r);
/* Copies the line in, dropping the oldest when full. 0 or -ENOMEM. */
int chat_ring_push(struct chat_ring *r, uint64_t id, const char *member,
		   const char *name, const char *text, size_t text_len,
		   int64_t ts);
/* The i-th line, oldest first (i < r->n). */
const struct room_chat_line *chat_ring_at(const struct chat_ring *r, size_t i);

/*
 * Checks a chat line: valid UTF-8, 1..max bytes, not only white space,
 * no control characters (C0 but tab and line ends, DEL, C1). Text in any
 * script and its direction marks stay: clients show a line isolated
 * (docs/protocol.md). 0, -EINVAL or -E2BIG.
 */
int chat_line_check(const char *text, size_t len, size_t max);
/*
 * Cleans a member's name into out (at most ROOM_NAME_MAX bytes): trims
 * white space, refuses control characters (C0, DEL, C1), characters that
 * change the direction or the lines of the text around them or show
 * nothing (bidi embeddings, overrides, isolates and marks, U+2028/9,
 * zero-width space, BOM), invalid UTF-8, empty names and more than 64
 * characters. 0 or -EINVAL.
 */
int chat_name_clean(const char *name, size_t len, char *out, size_t outlen);

#endif
