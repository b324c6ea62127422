/*
 * store_chat.h - a room's chat lines. Ids increase by one per room
 * (rooms.chat_seq); appending trims the oldest beyond 'keep'.
 */
#ifndef CODEROOM_STORE_CHAT_H
#define CODEROOM_STORE_CHAT_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct store_chat {
	uint64_t id;
	const char *member;
	const char *name;
	const char *text;
	size_t text_len;
	int64_t ts;		/* ms since 1970 */
};

typedef int (*store_chat_fn)(void *arg, const struct store_chat *c);

/* Sets c->id. -ENOENT without the room. */
int store_chat_append(struct store *s, const char *room, struct store_chat *c,
		      size_t keep);
/* The newest n lines, oldest first. */
int store_chat_recent(struct store *s, const char *room, size_t n,
		      store_chat_fn fn, void *arg);

#endif
