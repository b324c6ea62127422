/*
 * keyrate.h - a token bucket per key (a client), in a table of bounded
 * size: how often one client may do something costly (create a room).
 *
 * Each key may take 'burst' tokens at once and gets 'per_minute' back a
 * minute. The table holds at most 'cap' keys: a new key takes the slot of
 * one whose bucket has refilled (it has nothing to remember), else of
 * the one seen least recently, so memory stays bounded whatever the
 * number of clients. Pure (time is passed in), for tests.
 */
#ifndef CODEROOM_KEYRATE_H
#define CODEROOM_KEYRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYRATE_KEY_MAX 64

struct keyrate {
	struct keyrate_entry {
		char key[KEYRATE_KEY_MAX];	/* "" : free */
		double tokens;
		uint64_t ms;			/* of the last refill */
	} *v;
	size_t n, cap;
	double per_minute, burst;
	uint64_t refused;			/* takes refused, for health */
};

/* 0, -EINVAL (cap, per_minute or burst 0), -ENOMEM. */
int keyrate_init(struct keyrate *k, size_t cap, double per_minute,
		 double burst);
void keyrate_release(struct keyrate *k);
/*
 * Takes one token for 'key' (cut to KEYRATE_KEY_MAX - 1 bytes) at
 * 'now_ms'. True when it had one; false when the key must wait, with
 * *retry_ms (may be NULL) how long until it has one again.
 */
bool keyrate_take(struct keyrate *k, const char *key, uint64_t now_ms,
		  uint64_t *retry_ms);

#endif
