/*
 * outq.c - a connection's queue of outgoing frames.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/outq.h"

void outq_init(struct outq *q, size_t pre)
{
	memset(q, 0, sizeof(*q));
	q->pre = pre;
}

void outq_release(struct outq *q)
{
	while (q->head)
		outq_pop(q);
}

struct outq_frame *outq_frame_new(const struct outq *q, enum outq_kind kind,
				  size_t n)
{
	struct outq_frame *f = malloc(sizeof(*f) + q->pre + n + 1);

	if (!f)
		return NULL;
	f->next = NULL;
	f->kind = kind;
	f->len = n;
	f->cap = n;
	f->mergeable = false;
	f->payload = (unsigned char *)(f + 1) + q->pre;
	return f;
}

void outq_push_frame(struct outq *q, struct outq_frame *f)
{
	f->next = NULL;
	if (q->tail)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
	q->bytes += f->len;
	q->frames++;
}

int outq_push(struct outq *q, enum outq_kind kind, const void *prefix,
	      size_t nprefix, const void *p, size_t n)
{
	struct outq_frame *f = outq_frame_new(q, kind, nprefix + n);

	if (!f)
		return -ENOMEM;
	if (nprefix)
		memcpy(f->payload, prefix, nprefix);
	if (n)
		memcpy(f->payload + nprefix, p, n);
	outq_push_frame(q, f);
	return 0;
}

int outq_append(struct outq *q, unsigned char tag, const void *p, size_t n,
		size_t room, size_t max)
{
	struct outq_frame *t = q->tail, *f;
	size_t cap = n + 1;

	if (t && t->mergeable && t->payload[0] == tag && t->len + n <= t->cap) {
		memcpy(t->payload + t->len, p, n);
		t->len += n;
		q->bytes += n;
		return 0;
	}
	if (q->head && room > cap)
		cap = room < max ? room : max;
	if (cap < n + 1)
		cap = n + 1;
	f = outq_frame_new(q, OUTQ_BINARY, cap);
	if (!f)
		return -ENOMEM;
	f->len = n + 1;
	f->mergeable = true;
	f->payload[0] = tag;
	memcpy(f->payload + 1, p, n);
	outq_push_frame(q, f);
	return 0;
}

struct outq_frame *outq_peek(const struct outq *q)
{
	return q->head;
}

void outq_pop(struct outq *q)
{
	struct outq_frame *f = q->head;

	if (!f)
		return;
	q->head = f->next;
	if (!q->head)
		q->tail = NULL;
	q->bytes -= f->len;
	q->frames--;
	free(f);
}

bool outq_empty(const struct outq *q)
{
	return q->head == NULL;
}
