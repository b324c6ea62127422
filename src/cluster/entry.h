/*
 * entry.h - the entries of a run's event stream and of a worker's control
 * stream, as compact bytes. Pure.
 *
 * A run's event stream (worker -> gateways) carries, in order:
 *   claimed  the worker that took the job (node id)
 *   stage    a step begins (compile, run)
 *   output   bytes of stdout or stderr, with their offset: the count of
 *            output bytes of the run before them (both streams, every step)
 *   state    running or waiting for input; whether the terminal reads
 *            lines (ICANON); how many input bytes the program has taken
 *   exit     the run's result (struct run_result)
 *   usage    a sample of what the run uses now (struct run_usage), only
 *            once asked (job.h's 'usage', or a usage control entry
 *            later); the worker keeps at most one in the stream (it
 *            deletes the one before), so a reader that is behind skips
 *            samples, never output
 * A worker's control stream (gateways -> worker) carries, each for one run:
 *   input, eof (close stdin), resize, kill, signal, and the gateways'
 *   flow control: ack (this gateway has taken the output up to an offset)
 *   and bye (this gateway follows the run no longer); usage (a client
 *   that wants usage samples attached: send them from now on).
 *
 * Decoders point into the input (strings are NUL-terminated there) and
 * check everything: types, ranges of enums, run ids, sizes, no trailing
 * bytes. Each entry is one field "e" of a Redis stream entry.
 */
#ifndef CODEROOM_ENTRY_H
#define CODEROOM_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "run/run.h"

#define ENTRY_NODE_MAX 255	/* a node id */
#define ENTRY_DATA_MAX (1u << 20)	/* bytes in one output or input entry */
/* The last run status a result may carry (run.h's enum run_status). */
#define ENTRY_STATUS_MAX RUN_SERVER_BUSY

enum event_type {
	EVENT_CLAIMED = 1,
	EVENT_STAGE,
	EVENT_OUTPUT,
	EVENT_STATE,
	EVENT_EXIT,
	EVENT_USAGE,
};

struct run_event {
	enum event_type type;
	const char *worker;		/* claimed */
	enum run_step step;		/* stage */
	enum run_stream stream;		/* output */
	uint64_t offset;		/* output: bytes before these */
	const char *data;		/* output */
	size_t len;
	enum run_state state;		/* state: RUNNING or WAITING */
	bool canonical;			/* state: the tty reads lines */
	uint64_t input_done;		/* state: input bytes taken */
	struct run_result result;	/* exit */
	struct run_usage usage;		/* usage */
};

enum ctl_type {
	CTL_INPUT = 1,
	CTL_EOF,
	CTL_RESIZE,
	CTL_KILL,
	CTL_SIGNAL,
	CTL_ACK,
	CTL_BYE,
	CTL_USAGE,
};

struct ctl {
	enum ctl_type type;
	const char *run;		/* the cluster run id (32 hex) */
	const char *data;		/* input */
	size_t len;
	uint16_t rows, cols;		/* resize: 1..1000 */
	enum run_kill_reason reason;	/* kill */
	int sig;			/* signal: 1..64 */
	const char *gateway;		/* ack, bye: the gateway's node id */
	uint64_t offset;		/* ack */
};

/* Append an encoding to out. 0, -ENOBUFS, -ENOMEM or -EINVAL (a value out
 * of range, a missing string). */
int event_encode(const struct run_event *ev, struct buf *out);
int ctl_encode(const struct ctl *c, struct buf *out);
/* 0 or -EINVAL. */
int event_decode(const void *p, size_t n, struct run_event *ev);
int ctl_decode(const void *p, size_t n, struct ctl *c);

/* A run result alone (what the exit event carries), for the run's record
 * in Redis: the same bytes as inside an exit event. */
int result_encode(const struct run_result *res, struct buf *out);
int result_decode(const void *p, size_t n, struct run_result *res);

#endif
