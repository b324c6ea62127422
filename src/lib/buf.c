/*
 * buf.c - growable byte buffer with a hard cap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int grow(struct buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need + 1)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int r;

	if (n > b->max - b->len)
		return -ENOBUFS;
	r = grow(b, b->len + n);
	if (r)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

size_t buf_append_some(struct buf *b, const void *p, size_t n)
{
	size_t room = b->max - b->len;

	if (n > room)
		n = room;
	if (buf_append(b, p, n))
		return 0;
	return n;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void buf_track_line(struct buf *b, const char *p, size_t n)
{
	const char *nl = memrchr(p, '\n', n);
	const char *from = nl ? nl + 1 : p;

	n -= (size_t)(from - p);
	if (nl)
		buf_reset(b);
	if (b->len + n > b->max)
		buf_consume(b, b->len + n - b->max);
	if (n > b->max)
		from += n - b->max, n = b->max;
	buf_append(b, from, n);
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}
