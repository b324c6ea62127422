/*
 * run_queue.c - admission: batch runs share 'batch_slots' and wait their
 * turn in a bounded FIFO queue.
 *
 * A run that asks for admission (run_request.queue) and finds every batch
 * slot taken, or others already waiting, joins the queue's tail; more than
 * 'queue_max' waiting and run_start() refuses it (-EBUSY). Each run's end
 * gives its slot back and starts the runs at the head. Without batch slots
 * configured, every run starts at once.
 */
#include <errno.h>

#include "lib/log.h"
#include "run/run_internal.h"

static bool must_wait(const struct run_engine *e)
{
	return e->batch_active >= e->batch_slots || e->queue_head;
}

bool run__queue_full(const struct run_engine *e, bool queue)
{
	return queue && e->batch_slots && e->queued >= e->queue_max &&
	       must_wait(e);
}

bool run__queue_wait(struct run *r, bool queue)
{
	struct run_engine *e = r->e;

	if (!queue || !e->batch_slots)
		return false;
	if (must_wait(e)) {
		r->queued = true;
		r->queued_ns = uv_hrtime();
		if (e->queue_tail)
			e->queue_tail->qnext = r;
		else
			e->queue_head = r;
		e->queue_tail = r;
		e->queued++;
		log_debug("run %s: queued (%u waiting)", r->id, e->queued);
		return true;
	}
	r->admitted = true;
	e->batch_active++;
	run__count_admitted(r, 0);
	return false;
}

void run__dequeue(struct run *r)
{
	struct run_engine *e = r->e;

	for (struct run **pp = &e->queue_head; *pp; pp = &(*pp)->qnext) {
		if (*pp == r) {
			*pp = r->qnext;
			break;
		}
	}
	e->queue_tail = NULL;
	for (struct run *q = e->queue_head; q; q = q->qnext)
		e->queue_tail = q;
	r->qnext = NULL;
	r->queued = false;
	e->queued--;
}

void run__slot_release(struct run *r)
{
	if (r->admitted) {
		r->admitted = false;
		r->e->batch_active--;
	}
}

void run__pump_queue(struct run_engine *e)
{
	while (e->queue_head && e->batch_active < e->batch_slots &&
	       !e->closing) {
		struct run *r = e->queue_head;
		int err;

		run__dequeue(r);
		r->admitted = true;
		e->batch_active++;
		err = run__start_first(r);
		if (err == -EAGAIN) {
			/* every sandbox slot is busy (interactive runs): wait
			 * at the head for the next end */
			run__slot_release(r);
			r->queued = true;
			r->qnext = e->queue_head;
			e->queue_head = r;
			if (!e->queue_tail)
				e->queue_tail = r;
			e->queued++;
			return;
		}
		run__count_admitted(r, uv_hrtime() - r->queued_ns);
		if (err) {
			struct sandbox_result sres = { .error = err };
			run_verdict(&sres, RUN_KILL_NONE, &r->run_lim, false,
				    &r->result);
			run__end(r);
		}
	}
}
