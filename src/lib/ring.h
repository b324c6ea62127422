/*
 * ring.h - fixed-size byte ring that keeps the newest bytes.
 *
 * The scrollback of a run: writes never fail, the oldest bytes fall out.
 * 'total' counts every byte ever written, so a reader can tell how much it
 * missed (total - ring_len()).
 */
#ifndef CODEROOM_RING_H
#define CODEROOM_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
	char *data;	/* size bytes, allocated by ring_init() */
	size_t size;	/* capacity */
	size_t head;	/* next write position */
	size_t len;	/* bytes held, <= size */
	uint64_t total;	/* bytes ever written */
};

/* Returns 0 or -ENOMEM. A size of 0 keeps nothing. */
int ring_init(struct ring *r, size_t size);
void ring_release(struct ring *r);
void ring_write(struct ring *r, const void *p, size_t n);
size_t ring_len(const struct ring *r);
/*
 * Copies the held bytes, oldest first, into out (at most outlen bytes, the
 * newest ones if it is shorter). Returns the bytes copied.
 */
size_t ring_copy(const struct ring *r, void *out, size_t outlen);

#endif
