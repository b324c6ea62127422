/*
 * ring.c - fixed-size byte ring that keeps the newest bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ring.h"

int ring_init(struct ring *r, size_t size)
{
	memset(r, 0, sizeof(*r));
	if (size == 0)
		return 0;
	r->data = malloc(size);
	if (!r->data)
		return -ENOMEM;
	r->size = size;
	return 0;
}

void ring_release(struct ring *r)
{
	free(r->data);
	memset(r, 0, sizeof(*r));
}

void ring_write(struct ring *r, const void *p, size_t n)
{
	const char *s = p;

	r->total += n;
	if (r->size == 0)
		return;
	if (n >= r->size) {	/* only the tail survives */
		memcpy(r->data, s + n - r->size, r->size);
		r->head = 0;
		r->len = r->size;
		return;
	}
	size_t first = r->size - r->head;
	if (first > n)
		first = n;
	memcpy(r->data + r->head, s, first);
	memcpy(r->data, s + first, n - first);
	r->head = (r->head + n) % r->size;
	r->len = r->len + n > r->size ? r->size : r->len + n;
}

size_t ring_len(const struct ring *r)
{
	return r->len;
}

size_t ring_copy(const struct ring *r, void *out, size_t outlen)
{
	size_t n = r->len < outlen ? r->len : outlen;
	/* start of the newest n bytes */
	size_t start = (r->head + r->size - n) % (r->size ? r->size : 1);
	char *o = out;

	if (n == 0)
		return 0;
	size_t first = r->size - start;
	if (first > n)
		first = n;
	memcpy(o, r->data + start, first);
	memcpy(o + first, r->data, n - first);
	return n;
}
