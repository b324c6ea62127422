/*
 * reader.h - many Redis streams followed through one blocking XREAD.
 *
 * A node follows many streams at once (each run it shows, its own control
 * stream) but has one connection for blocking reads: the reader sends one
 * XREAD BLOCK naming every stream that is not paused, each from the last
 * entry it took, and hands the entries to each stream's owner in order.
 * When the set changes (a stream added or resumed) while an XREAD blocks,
 * the reader interrupts it with CLIENT UNBLOCK on the command link and
 * sends a new one. A paused stream is simply left out: its owner's
 * producer sees no progress and slows down (cluster/worker.c).
 *
 * Entries carry one field, "e" (cluster/entry.h); entry() gets its value.
 * batch_end() follows the entries of one stream from one XREAD. Owners
 * may add, remove or pause any stream from inside the callbacks; a
 * removed stream gets no callback after reader_remove() returned.
 * After a reconnect, reading resumes from each stream's last entry.
 */
#ifndef CODEROOM_READER_H
#define CODEROOM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/redis_link.h"

struct reader_sub;

struct reader_sub_ops {
	void (*entry)(struct reader_sub *s, const char *id, const char *e,
		      size_t len);
	void (*batch_end)(struct reader_sub *s);	/* optional */
};

struct reader_sub {
	struct reader_sub *next;
	char key[160];
	char last[48];			/* the last entry taken, "0-0" at first */
	bool paused;
	bool linked;
	const struct reader_sub_ops *ops;
	void *data;
};

struct reader {
	struct redis_link *link;	/* dedicated: it blocks */
	struct redis_link *cmd;		/* for CLIENT UNBLOCK */
	struct reader_sub *subs;
	unsigned count;			/* per stream per XREAD */
	uint64_t block_ms;
	bool reading;			/* an XREAD is out */
	bool unblocking;		/* and a CLIENT UNBLOCK after it */
	bool stale;			/* the set changed since it was sent */
	uint64_t reads, entries;	/* counters */
};

void reader_init(struct reader *rd, struct redis_link *link,
		 struct redis_link *cmd);
/* Follows s->key from s->last (set them first; "0-0": from the start). */
void reader_add(struct reader *rd, struct reader_sub *s);
void reader_remove(struct reader *rd, struct reader_sub *s);
void reader_pause(struct reader *rd, struct reader_sub *s, bool paused);
/* The reader link is up (again): read. */
void reader_link_up(struct reader *rd);
/* The link went down: the XREAD out is gone. */
void reader_link_down(struct reader *rd);

#endif
