/*
 * fairq.c - admission of one class of runs, fair between clients.
 */
#include <stdlib.h>
#include <string.h>

#include "run/fairq.h"

static unsigned hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % FAIRQ_BUCKETS;
}

static unsigned cap(const struct fairq *q)
{
	return q->client_max ? q->client_max : q->slots;
}

void fairq_init(struct fairq *q, unsigned slots, unsigned queue_max,
		unsigned client_max, unsigned client_queue_max)
{
	memset(q, 0, sizeof(*q));
	q->slots = slots;
	q->queue_max = queue_max;
	q->client_max = client_max;
	q->client_queue_max = client_queue_max;
}

void fairq_release(struct fairq *q)
{
	for (unsigned i = 0; i < FAIRQ_BUCKETS; i++) {
		while (q->buckets[i]) {
			struct fairq_client *c = q->buckets[i];
			q->buckets[i] = c->hnext;
			free(c);
		}
	}
	q->nclients = 0;
	q->waiters = NULL;
}

struct fairq_client *fairq_client(struct fairq *q, const char *key,
				  bool create)
{
	char k[FAIRQ_KEY_MAX];
	struct fairq_client *c;
	unsigned h;

	strncpy(k, key ? key : "", sizeof(k) - 1);
	k[sizeof(k) - 1] = '\0';
	h = hash(k);
	for (c = q->buckets[h]; c; c = c->hnext)
		if (!strcmp(c->key, k))
			return c;
	if (!create || !(c = calloc(1, sizeof(*c))))
		return NULL;
	memcpy(c->key, k, sizeof(k));
	c->hnext = q->buckets[h];
	q->buckets[h] = c;
	q->nclients++;
	return c;
}

/* Frees 'c' when it holds nothing and waits for nothing. */
static void maybe_free(struct fairq *q, struct fairq_client *c)
{
	struct fairq_client **pp;

	if (c->active || c->waiting)
		return;
	for (pp = &q->buckets[hash(c->key)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			q->nclients--;
			free(c);
			return;
		}
	}
}

enum fairq_verdict fairq_check(const struct fairq *q,
			       const struct fairq_client *cl, bool ready)
{
	/* a free slot that a waiting run may take is theirs to be shared
	 * fairly (fairq_next()), not the newcomer's */
	if (ready && q->active < q->slots && cl->active < cap(q) &&
	    !fairq_next(q))
		return FAIRQ_START;
	if (q->waiting >= q->queue_max)
		return FAIRQ_QUEUE_FULL;
	if (cl->waiting >= q->client_queue_max)
		return FAIRQ_CLIENT_FULL;
	return FAIRQ_WAIT;
}

void fairq_take(struct fairq *q, struct fairq_client *cl)
{
	q->active++;
	cl->active++;
	cl->served = ++q->serves;
}

void fairq_give(struct fairq *q, struct fairq_client *cl)
{
	q->active--;
	cl->active--;
	maybe_free(q, cl);
}

static void waiters_add(struct fairq *q, struct fairq_client *c)
{
	c->wnext = q->waiters;
	if (q->waiters)
		q->waiters->wprev = &c->wnext;
	c->wprev = &q->waiters;
	q->waiters = c;
}

static void waiters_del(struct fairq_client *c)
{
	*c->wprev = c->wnext;
	if (c->wnext)
		c->wnext->wprev = c->wprev;
	c->wnext = NULL;
	c->wprev = NULL;
}

void fairq_push(struct fairq *q, struct fairq_client *cl,
		struct fairq_entry *e)
{
	e->cl = cl;
	e->next = NULL;
	e->seq = ++q->seq;
	e->ahead = 0;
	if (cl->tail)
		cl->tail->next = e;
	else
		cl->head = e;
	cl->tail = e;
	if (cl->waiting++ == 0)
		waiters_add(q, cl);
	q->waiting++;
}

/* Unlinks 'e' from its client's list; the client may be left empty. */
static void unlink_entry(struct fairq *q, struct fairq_entry *e)
{
	struct fairq_client *cl = e->cl;
	struct fairq_entry **pp;

	for (pp = &cl->head; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	cl->tail = NULL;
	for (struct fairq_entry *x = cl->head; x; x = x->next)
		cl->tail = x;
	e->next = NULL;
	e->cl = NULL;
	if (--cl->waiting == 0)
		waiters_del(cl);
	q->waiting--;
}

void fairq_remove(struct fairq *q, struct fairq_entry *e)
{
	struct fairq_client *cl = e->cl;

	if (!cl)
		return;
	unlink_entry(q, e);
	maybe_free(q, cl);
}

/* A client's standing for the next slot. */
struct standing {
	unsigned active;		/* slots it holds */
	uint64_t served;		/* when it last got one */
	const struct fairq_entry *next;	/* its next waiting run */
};

/* Whether a goes before b: under its cap first, then fewer slots held,
 * then served longer ago, then waiting longer. */
static bool before(const struct fairq *q, struct standing a,
		   struct standing b)
{
	bool capa = a.active >= cap(q), capb = b.active >= cap(q);

	if (capa != capb)
		return !capa;
	if (a.active != b.active)
		return a.active < b.active;
	if (a.served != b.served)
		return a.served < b.served;
	return a.next->seq < b.next->seq;
}

static struct standing now_of(const struct fairq_client *c)
{
	return (struct standing){c->active, c->served, c->head};
}

static struct standing sim_of(const struct fairq_client *c)
{
	return (struct standing){c->sim_active, c->sim_served, c->sim_next};
}

struct fairq_entry *fairq_next(const struct fairq *q)
{
	const struct fairq_client *best = NULL;

	if (q->active >= q->slots)
		return NULL;
	for (const struct fairq_client *c = q->waiters; c; c = c->wnext) {
		if (c->active >= cap(q))
			continue;
		if (!best || before(q, now_of(c), now_of(best)))
			best = c;
	}
	return best ? best->head : NULL;
}

void fairq_admit(struct fairq *q, struct fairq_entry *e)
{
	struct fairq_client *cl = e->cl;

	unlink_entry(q, e);
	fairq_take(q, cl);
}

void fairq_positions(struct fairq *q, bool all,
		     void (*changed)(struct fairq_entry *e, void *arg),
		     void *arg)
{
	unsigned n = 0;
	uint64_t serves = q->serves;

	for (struct fairq_client *c = q->waiters; c; c = c->wnext) {
		c->sim_active = c->active;
		c->sim_served = c->served;
		c->sim_next = c->head;
	}
	for (;;) {
		struct fairq_client *best = NULL;
		for (struct fairq_client *c = q->waiters; c; c = c->wnext) {
			if (!c->sim_next)
				continue;
			if (!best || before(q, sim_of(c), sim_of(best)))
				best = c;
		}
		if (!best)
			break;
		struct fairq_entry *e = best->sim_next;
		best->sim_next = e->next;
		best->sim_active++;
		best->sim_served = ++serves;
		if (all || e->ahead != n) {
			e->ahead = n;
			if (changed)
				changed(e, arg);
		}
		n++;
	}
}
