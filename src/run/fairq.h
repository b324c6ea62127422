/*
 * fairq.h - admission of one class of runs: slots, per-client caps, and a
 * queue that is fair between clients.
 *
 * A class has 'slots' runs at once. A client (an API token, or an address
 * when anonymous: a string key) holds at most 'client_max' of them (0: no
 * cap of its own) and has at most 'client_queue_max' runs waiting; the
 * class has at most 'queue_max' waiting. When a slot frees, it goes to the
 * waiting client with the fewest runs holding a slot, ties to the one
 * served least recently (then to the longest waiting): round robin between
 * clients, and a client's own runs go in their order. One client with a
 * hundred queued runs delays another's first run by at most one run, not
 * a hundred.
 *
 * Pure bookkeeping: no clock, no I/O, no callbacks. The caller owns the
 * entries (embedded in its own objects) and decides when to admit (it may
 * hold admission back, e.g. for memory). Clients are created on demand and
 * freed when they hold nothing and wait for nothing.
 */
#ifndef CODEROOM_FAIRQ_H
#define CODEROOM_FAIRQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAIRQ_KEY_MAX 64	/* bytes of a client key, with its NUL */
#define FAIRQ_BUCKETS 1024

struct fairq_client {
	char key[FAIRQ_KEY_MAX];
	unsigned active;		/* its runs holding a slot */
	unsigned waiting;		/* its runs in the queue */
	uint64_t served;		/* when it last got a slot (q->serves) */
	struct fairq_entry *head, *tail; /* its waiting runs, oldest first */
	struct fairq_client *hnext;	/* hash chain */
	struct fairq_client *wnext, **wprev; /* clients with waiting runs */
	/* scratch for fairq_positions() */
	unsigned sim_active;
	uint64_t sim_served;
	struct fairq_entry *sim_next;
};

struct fairq_entry {
	struct fairq_client *cl;	/* NULL when not in a queue */
	struct fairq_entry *next;	/* in cl's list */
	uint64_t seq;			/* arrival order in the class */
	unsigned ahead;			/* set by fairq_positions() */
};

struct fairq {
	unsigned slots;			/* runs at once */
	unsigned queue_max;		/* runs waiting, at most */
	unsigned client_max;		/* one client's runs at once; 0: slots */
	unsigned client_queue_max;	/* one client's runs waiting */
	unsigned active;		/* runs holding a slot */
	unsigned waiting;		/* runs in the queue */
	unsigned nclients;
	uint64_t seq;
	uint64_t serves;		/* slots handed out, ever */
	struct fairq_client *waiters;	/* clients with waiting runs */
	struct fairq_client *buckets[FAIRQ_BUCKETS];
};

enum fairq_verdict {
	FAIRQ_START,		/* a slot is free for it: fairq_take() */
	FAIRQ_WAIT,		/* join the queue: fairq_push() */
	FAIRQ_QUEUE_FULL,	/* the class's queue is full (said first) */
	FAIRQ_CLIENT_FULL,	/* this client has client_queue_max waiting */
};

void fairq_init(struct fairq *q, unsigned slots, unsigned queue_max,
		unsigned client_max, unsigned client_queue_max);
/* Frees every client record; entries still queued are forgotten. */
void fairq_release(struct fairq *q);

/* The client with this key (truncated to FAIRQ_KEY_MAX - 1 bytes),
 * created when 'create'. NULL: none, or out of memory. */
struct fairq_client *fairq_client(struct fairq *q, const char *key,
				  bool create);

/*
 * What a new run of client 'cl' gets. 'ready' is the caller's own gate
 * (false: hold everything back, e.g. no memory to spare). A run starts at
 * once only when a slot is free that no waiting run may take, its client
 * is under its cap and 'ready'; else it waits, if the queue and its
 * client's share of it have room.
 */
enum fairq_verdict fairq_check(const struct fairq *q,
			       const struct fairq_client *cl, bool ready);

/* 'cl' takes a slot (after FAIRQ_START, or for a run that must not wait). */
void fairq_take(struct fairq *q, struct fairq_client *cl);
/* 'cl' gives a slot back; frees cl when it holds and waits for nothing. */
void fairq_give(struct fairq *q, struct fairq_client *cl);

/* Queues 'e' for 'cl' (at the end of cl's runs). */
void fairq_push(struct fairq *q, struct fairq_client *cl,
		struct fairq_entry *e);
/* Takes 'e' out of the queue (it leaves without a slot); frees its client
 * when it holds and waits for nothing. */
void fairq_remove(struct fairq *q, struct fairq_entry *e);

/*
 * The entry that gets the next free slot: of the clients under their cap
 * with runs waiting, the one holding fewest slots, ties to the one served
 * least recently, then the longest waiting; NULL when no slot is free or nobody may go. The caller admits
 * it with fairq_admit().
 */
struct fairq_entry *fairq_next(const struct fairq *q);
/* Takes 'e' out of the queue and gives its client a slot. */
void fairq_admit(struct fairq *q, struct fairq_entry *e);

/*
 * Sets every waiting entry's 'ahead': how many runs would be admitted
 * before it if no run ended, in the order fairq_next() would pick them
 * (clients at their cap last: their runs wait for their own to end).
 * Calls changed(e, arg) for each entry whose 'ahead' changed, and for
 * every entry when 'all'. O(waiting x clients waiting).
 */
void fairq_positions(struct fairq *q, bool all,
		     void (*changed)(struct fairq_entry *e, void *arg),
		     void *arg);

#endif
