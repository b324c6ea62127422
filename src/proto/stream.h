/*
 * stream.h - one run's output followed by one WebSocket, with flow control.
 *
 * Every dialect that shows a run to a socket keeps a struct stream in its
 * connection state. The stream owns the run subscription: the dialect's
 * run_sub_ops callbacks receive &st->sub and find their state with
 * stream_of(). Back-pressure: the run is paused while the socket's send
 * queue, or (in ack mode) the bytes the client has not acknowledged yet,
 * are above the high watermark, and resumed below the low one. The send
 * queue is the conn's, or what a 'queued' function reports (a transport
 * of its own, such as an Engine.IO session that is polled over HTTP).
 *
 * A shared run (a room's: several sockets watch it) is never paused for
 * one socket: a socket that falls behind by more than the high watermark
 * (queue or unacknowledged bytes) is detached from the live output
 * instead ("lagging"), and once its queue drains and its acks catch up,
 * caught_up() re-attaches it (the dialect replays the scrollback), so
 * one slow member does not stall the others.
 */
#ifndef CODEROOM_STREAM_H
#define CODEROOM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run/run.h"

struct conn;

/* A socket whose queue holds more than HIGH pauses the run; below LOW it
 * resumes. Unacknowledged bytes (ack mode) use HIGH and HIGH / 2. */
#define STREAM_HIGH (256 * 1024)
#define STREAM_LOW (64 * 1024)

struct stream {
	struct conn *c;			/* NULL when 'queued' is set */
	size_t (*queued)(const struct stream *st); /* bytes waiting to go
					   out, or NULL: conn_queued(c) */
	struct run_sub sub;
	char run_id[33];		/* the run started or attached, or "" */
	bool ack_mode;			/* the client acknowledges output */
	uint64_t sent_bytes;		/* output bytes queued since it began */
	uint64_t acked_bytes;
	bool queue_paused;		/* paused for our send queue */
	bool ack_paused;		/* paused for missing acks */
	bool shared;			/* others watch the run: lag, never pause */
	bool lagging;			/* detached until it catches up */
	void (*lagged)(struct stream *st);	/* shared: it was detached */
	void (*caught_up)(struct stream *st);	/* shared: attach it again */
};

#define stream_of(subp) \
	((struct stream *)((char *)(subp) - offsetof(struct stream, sub)))

void stream_init(struct stream *st, struct conn *c,
		 const struct run_sub_ops *ops);
/* The same for a socket whose queue 'queued' measures. */
void stream_init_queue(struct stream *st,
		       size_t (*queued)(const struct stream *st),
		       const struct run_sub_ops *ops);
/* Leaves the run it follows (if any) and starts counting afresh for the
 * next one, with or without acknowledgements. */
void stream_reset(struct stream *st, bool ack_mode);
/* The run followed, if it has not ended yet; else NULL. */
struct run *stream_active_run(const struct stream *st);
/* n output bytes were queued to the socket. */
void stream_sent(struct stream *st, size_t n);
/* The client acknowledged 'total' bytes since the run began. */
void stream_ack(struct stream *st, uint64_t total);
/* Re-evaluates the pause after the queue or the acks changed. */
void stream_flow_update(struct stream *st);
/* The queue shrank: resume if it was the reason for the pause. */
void stream_drained(struct stream *st);
/* The run ended or the socket goes: nothing is paused any more. */
void stream_unpause(struct stream *st);
/* Leaves the run; call before the socket's state is freed. */
void stream_release(struct stream *st);

#endif
