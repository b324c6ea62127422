/*
 * stream.c - one run's output followed by one WebSocket, with flow control.
 */
#include <string.h>

#include "net/conn.h"
#include "proto/stream.h"

void stream_init(struct stream *st, struct conn *c,
		 const struct run_sub_ops *ops)
{
	memset(st, 0, sizeof(*st));
	st->c = c;
	st->sub.ops = ops;
}

void stream_init_queue(struct stream *st,
		       size_t (*queued)(const struct stream *st),
		       const struct run_sub_ops *ops)
{
	memset(st, 0, sizeof(*st));
	st->queued = queued;
	st->sub.ops = ops;
}

void stream_reset(struct stream *st, bool ack_mode)
{
	run_detach(&st->sub);
	st->sent_bytes = st->acked_bytes = 0;
	st->ack_mode = ack_mode;
	st->queue_paused = st->ack_paused = false;
	st->shared = st->lagging = false;
}

struct run *stream_active_run(const struct stream *st)
{
	struct run *r = st->sub.run;

	return r && run_get_state(r) != RUN_EXITED ? r : NULL;
}

void stream_sent(struct stream *st, size_t n)
{
	st->sent_bytes += n;
	stream_flow_update(st);
}

void stream_ack(struct stream *st, uint64_t total)
{
	if (total > st->sent_bytes)
		total = st->sent_bytes;
	if (total > st->acked_bytes)
		st->acked_bytes = total;
	stream_flow_update(st);
}

/* A shared run: detach a socket that fell behind, re-attach it later. */
static void shared_update(struct stream *st, size_t queued)
{
	uint64_t unacked = st->sent_bytes > st->acked_bytes ?
		st->sent_bytes - st->acked_bytes : 0;
	bool behind = queued > STREAM_HIGH ||
		      (st->ack_mode && unacked > STREAM_HIGH);

	if (!st->lagging && behind && st->sub.run) {
		st->lagging = true;
		run_detach(&st->sub);	/* keeps run_id */
		if (st->lagged)
			st->lagged(st);
	} else if (st->lagging && queued < STREAM_LOW &&
		   (!st->ack_mode || unacked < STREAM_HIGH / 2)) {
		st->lagging = false;
		if (st->caught_up)
			st->caught_up(st);
	}
}

void stream_flow_update(struct stream *st)
{
	size_t queued = st->queued ? st->queued(st) : conn_queued(st->c);
	bool qp = st->queue_paused, ap = false;

	if (st->shared) {
		shared_update(st, queued);
		return;
	}
	if (queued > STREAM_HIGH)
		qp = true;
	else if (queued < STREAM_LOW)
		qp = false;
	if (st->ack_mode) {
		uint64_t unacked = st->sent_bytes > st->acked_bytes ?
			st->sent_bytes - st->acked_bytes : 0;
		ap = st->ack_paused;
		if (unacked > STREAM_HIGH)
			ap = true;
		else if (unacked < STREAM_HIGH / 2)
			ap = false;
	}
	st->queue_paused = qp;
	st->ack_paused = ap;
	run_sub_pause(&st->sub, qp || ap);
}

void stream_drained(struct stream *st)
{
	if (st->queue_paused || st->lagging)
		stream_flow_update(st);
}

void stream_unpause(struct stream *st)
{
	st->queue_paused = st->ack_paused = false;
}

void stream_release(struct stream *st)
{
	run_detach(&st->sub);
}
