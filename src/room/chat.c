/*
 * chat.c - a room's newest chat lines, and the checks on what members
 * say.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "room/chat.h"

int chat_ring_init(struct chat_ring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if (!cap)
		cap = 1;
	r->v = calloc(cap, sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	r->cap = cap;
	return 0;
}

static void line_free(struct room_chat_line *l)
{
	free(l->name);
	free(l->text);
	memset(l, 0, sizeof(*l));
}

void chat_ring_release(struct chat_ring *r)
{
	for (size_t i = 0; i < r->cap && r->v; i++)
		line_free(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

int chat_ring_push(struct chat_ring *r, uint64_t id, const char *member,
		   const char *name, const char *text, size_t text_len,
		   int64_t ts)
{
	char *n = strdup(name), *t = malloc(text_len + 1);
	struct room_chat_line *l;

	if (!n || !t) {
		free(n);
		free(t);
		return -ENOMEM;
	}
	memcpy(t, text, text_len);
	t[text_len] = '\0';
	if (r->n == r->cap) {
		l = &r->v[r->head];
		line_free(l);
		r->head = (r->head + 1) % r->cap;
	} else {
		l = &r->v[(r->head + r->n) % r->cap];
		r->n++;
	}
	l->id = id;
	strncpy(l->member, member, ROOM_MEMBER_ID_LEN);
	l->member[ROOM_MEMBER_ID_LEN] = '\0';
	l->name = n;
	l->text = t;
	l->text_len = text_len;
	l->ts = ts;
	return 0;
}

const struct room_chat_line *chat_ring_at(const struct chat_ring *r, size_t i)
{
	return i < r->n ? &r->v[(r->head + i) % r->cap] : NULL;
}

static bool is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

int chat_line_check(const char *text, size_t len, size_t max)
{
	bool any = false;

	if (len > max)
		return -E2BIG;
	if (utf8_valid_prefix(text, len) != len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if ((ch < 0x20 && !is_space(ch)) || ch == 0x7f)
			return -EINVAL;
		if (!is_space(ch))
			any = true;
	}
	return any ? 0 : -EINVAL;
}

int chat_name_clean(const char *name, size_t len, char *out, size_t outlen)
{
	size_t chars = 0;

	while (len && is_space((unsigned char)*name))
		name++, len--;
	while (len && is_space((unsigned char)name[len - 1]))
		len--;
	if (!len || len >= outlen || len > ROOM_NAME_MAX ||
	    utf8_valid_prefix(name, len) != len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch < 0x20 || ch == 0x7f)
			return -EINVAL;
		if ((ch & 0xc0) != 0x80)
			chars++;
	}
	if (chars > 64)
		return -EINVAL;
	memcpy(out, name, len);
	out[len] = '\0';
	return 0;
}
