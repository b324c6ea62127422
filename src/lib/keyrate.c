/*
 * keyrate.c - token buckets per key in a bounded table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/keyrate.h"

int keyrate_init(struct keyrate *k, size_t cap, double per_minute,
		 double burst)
{
	memset(k, 0, sizeof(*k));
	if (!cap || per_minute <= 0 || burst < 1)
		return -EINVAL;
	if (!(k->v = calloc(cap, sizeof(*k->v))))
		return -ENOMEM;
	k->cap = cap;
	k->per_minute = per_minute;
	k->burst = burst;
	return 0;
}

void keyrate_release(struct keyrate *k)
{
	free(k->v);
	memset(k, 0, sizeof(*k));
}

static void refill(const struct keyrate *k, struct keyrate_entry *e,
		   uint64_t now)
{
	if (now > e->ms) {
		e->tokens += (double)(now - e->ms) * k->per_minute / 60000.0;
		if (e->tokens > k->burst)
			e->tokens = k->burst;
	}
	e->ms = now;
}

/* The entry of 'key', or the slot it takes: a free one, one whose bucket
 * is full again, or the least recently seen. */
static struct keyrate_entry *slot(struct keyrate *k, const char *key,
				  uint64_t now)
{
	struct keyrate_entry *oldest = NULL;

	for (size_t i = 0; i < k->n; i++) {
		struct keyrate_entry *e = &k->v[i];
		if (!strcmp(e->key, key))
			return e;
	}
	if (k->n < k->cap) {
		oldest = &k->v[k->n++];
	} else {
		oldest = &k->v[0];	/* cap > 0 (keyrate_init) */
		for (size_t i = 0; i < k->n; i++) {
			struct keyrate_entry *e = &k->v[i];
			refill(k, e, now);
			if (e->tokens >= k->burst) {
				oldest = e;
				break;
			}
			if (e->ms < oldest->ms)
				oldest = e;
		}
	}
	snprintf(oldest->key, sizeof(oldest->key), "%s", key);
	oldest->tokens = k->burst;
	oldest->ms = now;
	return oldest;
}

bool keyrate_take(struct keyrate *k, const char *key, uint64_t now_ms,
		  uint64_t *retry_ms)
{
	char cut[KEYRATE_KEY_MAX];
	struct keyrate_entry *e;

	snprintf(cut, sizeof(cut), "%s", key);
	e = slot(k, cut, now_ms);
	refill(k, e, now_ms);
	if (e->tokens >= 1.0) {
		e->tokens -= 1.0;
		return true;
	}
	k->refused++;
	if (retry_ms)
		*retry_ms = (uint64_t)((1.0 - e->tokens) * 60000.0 /
				       k->per_minute) + 1;
	return false;
}
