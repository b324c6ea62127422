/*
 * run_queue.c - admission: which run starts now, which waits, which is
 * turned away.
 *
 * Two classes (run.h): interactive runs hold a slot of e->q[RUN_INTERACTIVE]
 * (sized by memory and processes: a program at input() costs no CPU), batch
 * runs one of e->q[RUN_BATCH] (about one per CPU). Each class's queue is
 * fair between clients (fairq.h). Whatever the class, a run is admitted
 * only while every run together stays within the memory and processes the
 * engine may give them: the spawner's measure of what they use now, but at
 * least 'reserve' a run (a run that has just started has not grown yet).
 *
 * The tick (every second while runs live): interactive runs past their
 * queue deadline end with RUN_SERVER_BUSY, interactive runs waiting for
 * input with nobody typing for 'idle_ms' are killed, and the queue is
 * pumped again (memory may have come back without a run ending).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "run/run_internal.h"

#define TICK_MS 1000

#define run_of_entry(ep) \
	((struct run *)((char *)(ep) - offsetof(struct run, qe)))

uint64_t run__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Whether one more run fits in the memory and processes of all runs. */
static bool resources_ok(struct run_engine *e)
{
	const struct run_admission *a = &e->adm;
	struct sandbox_usage u;
	uint64_t n = (uint64_t)e->q[RUN_INTERACTIVE].active +
		     e->q[RUN_BATCH].active + 1;
	uint64_t mem, pids;

	sandbox_usage(e->sb, &u);
	mem = n * a->run_memory_reserve;
	if (u.known && u.memory_bytes + a->run_memory_reserve > mem)
		mem = u.memory_bytes + a->run_memory_reserve;
	pids = n * a->run_pids_reserve;
	if (u.known && u.pids + a->run_pids_reserve > pids)
		pids = u.pids + a->run_pids_reserve;
	e->held = (a->runs_memory && mem > a->runs_memory) ||
		  (a->runs_pids && pids > a->runs_pids);
	return !e->held;
}

static void tell_position(struct fairq_entry *ep, void *arg);

int run__admit(struct run *r, bool continues)
{
	struct run_engine *e = r->e;
	struct fairq *q = &e->q[r->cls];
	struct fairq_client *cl = fairq_client(q, r->client, false);
	enum fairq_verdict v;

	/* a new client holds nothing: check it as one before creating it */
	static const struct fairq_client none;
	v = fairq_check(q, cl ? cl : &none, resources_ok(e));
	if (continues && (v == FAIRQ_QUEUE_FULL || v == FAIRQ_CLIENT_FULL))
		v = FAIRQ_WAIT;
	if (v == FAIRQ_QUEUE_FULL || v == FAIRQ_CLIENT_FULL) {
		e->refused[r->cls]++;
		return v == FAIRQ_QUEUE_FULL ? -EBUSY : -EDQUOT;
	}
	if (!cl && !(cl = fairq_client(q, r->client, true)))
		return -ENOMEM;
	if (v == FAIRQ_START) {
		fairq_take(q, cl);
		r->admitted = true;
		run__count_admitted(r, 0);
		return 0;
	}
	fairq_push(q, cl, &r->qe);
	r->queued = true;
	r->queued_ns = uv_hrtime();
	if (r->cls == RUN_INTERACTIVE && e->adm.queue_wait_ms)
		r->queue_deadline_ms = run__now_ms() + e->adm.queue_wait_ms;
	/* a newcomer may go before others (it holds fewer runs): tell them;
	 * it has no subscriber yet, run_queue_ahead() tells its own */
	fairq_positions(q, false, tell_position, NULL);
	log_info("run %s: waiting for a slot (%u ahead, %u waiting)", r->id,
		 r->qe.ahead, q->waiting);
	run__tick_start(e);
	return 1;
}

/* Tells the subscribers of the queued run of 'ep' where it stands. */
static void tell_position(struct fairq_entry *ep, void *arg)
{
	struct run *r = run_of_entry(ep);

	(void)arg;
	for (struct run_sub *s = r->subs, *n; s; s = n) {
		n = s->next;
		if (s->ops->queued)
			s->ops->queued(s, ep->ahead);
	}
}

void run__dequeue(struct run *r)
{
	struct fairq *q = &r->e->q[r->cls];

	if (!r->queued)
		return;
	fairq_remove(q, &r->qe);
	r->queued = false;
	fairq_positions(q, false, tell_position, NULL);
}

void run__slot_release(struct run *r)
{
	struct fairq *q = &r->e->q[r->cls];

	if (!r->admitted)
		return;
	r->admitted = false;
	fairq_give(q, fairq_client(q, r->client, false));
}

int run_queue_ahead(const struct run *r)
{
	return r->queued ? (int)r->qe.ahead : -1;
}

/* r got its slot: it starts, or ends at once if it cannot. */
static void start_admitted(struct run *r)
{
	int err;

	for (struct run_sub *s = r->subs, *n; s; s = n) {
		n = s->next;
		if (s->ops->admitted)
			s->ops->admitted(s);
	}
	if (r->exited)	/* a subscriber stopped it */
		return;
	err = run__start_first(r);
	if (err) {
		struct sandbox_result sres = { .error = err };
		run_verdict(&sres, RUN_KILL_NONE, &r->run_lim, false,
			    &r->result);
		run__end(r);
	}
}

void run__pump_queue(struct run_engine *e)
{
	if (e->pumping || e->closing)
		return;
	e->pumping = true;
	/* a run that cannot start ends at once and frees its slot (maybe of
	 * the other class): go round until nothing moves */
	for (bool again = true; again && !e->closing;) {
		again = false;
		for (int c = 0; c < RUN_NCLASS; c++) {
			struct fairq *q = &e->q[c];
			struct fairq_entry *ep;
			bool moved = false;

			while ((ep = fairq_next(q)) && resources_ok(e)) {
				struct run *r = run_of_entry(ep);
				fairq_admit(q, ep);
				r->queued = false;
				r->admitted = true;
				moved = again = true;
				run__count_admitted(r, uv_hrtime() - r->queued_ns);
				log_info("run %s: admitted after waiting", r->id);
				start_admitted(r);
			}
			if (moved)
				fairq_positions(q, false, tell_position, NULL);
		}
	}
	e->pumping = false;
}

/* An interactive run waited for a slot past the queue's bound. */
static void time_out(struct run *r)
{
	struct run_engine *e = r->e;
	char a[32];

	run__dequeue(r);
	memset(&r->result, 0, sizeof(r->result));
	r->result.status = RUN_SERVER_BUSY;
	r->result.exit_code = -1;
	snprintf(r->result.message, sizeof(r->result.message),
		 "the server is full: no free slot within %s; try again later",
		 limit_fmt_ms(e->adm.queue_wait_ms, a, sizeof(a)));
	e->timed_out++;
	run__end(r);
}

static void on_tick(uv_timer_t *t)
{
	struct run_engine *e = t->data;
	uint64_t now = run__now_ms();
	struct run *r, *next;

	for (r = e->runs; r; r = next) {
		next = r->next;
		/* a remote run's worker ticks for it */
		if (r->exited || r->freeing || r->remote ||
		    r->cls != RUN_INTERACTIVE)
			continue;
		if (r->queued && r->queue_deadline_ms &&
		    now >= r->queue_deadline_ms) {
			time_out(r);	/* may free r, not the next one */
			continue;
		}
		if (e->adm.idle_ms && r->state == RUN_WAITING &&
		    r->kill_reason == RUN_KILL_NONE &&
		    now - r->idle_since_ms >= e->adm.idle_ms) {
			log_info("run %s: waited for input %llu ms with nobody "
				 "typing, killing", r->id,
				 (unsigned long long)(now - r->idle_since_ms));
			e->idle_killed++;
			run_kill(r, RUN_KILL_IDLE);
		}
	}
	run__pump_queue(e);
	if (!e->active)
		uv_timer_stop(&e->tick);
}

void run__tick_start(struct run_engine *e)
{
	if (!e->tick_init || uv_is_active((uv_handle_t *)&e->tick))
		return;
	uv_timer_start(&e->tick, on_tick, TICK_MS, TICK_MS);
}
