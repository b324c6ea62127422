/*
 * worker.h - the worker role: takes jobs from the cluster's queue when it
 * has a free slot, runs them on this node's engine, and exports each run
 * to Redis (its events stream) while taking its control entries (input,
 * resize, kill, signal, the gateways' acks and byes) from its own
 * control stream.
 *
 * Jobs come in two streams, one per run class (run.h: interactive and
 * batch), and a worker has slots of each, as a single node has (--max-runs
 * and --api-concurrency). It claims (XREADGROUP, at most one job a stream
 * at a time) only from the streams of the classes it has a free slot of,
 * and from none while its engine holds a run of that class back (memory
 * or processes short), so a busy worker never hoards: what it has not
 * taken, another worker may take. A claimed job is admitted by the
 * engine's own admission like a local run, never refused for a full
 * queue (it was queued already); per-client caps and fairness between
 * clients stay a single node's: the cluster's queues are first come,
 * first served.
 *
 * Flow control: a run's output is in Redis until every gateway following
 * it has acknowledged it (and, for a terminal, the last 'scrollback'
 * bytes stay for reattaching). When the slowest gateway is WORKER_WINDOW
 * bytes behind, or Redis cannot take the output (the link is down), the
 * run is paused exactly as a slow local viewer pauses it: the program
 * blocks in write(). So a program cannot fill Redis: a run's stream
 * holds at most scrollback + WORKER_WINDOW bytes (and at most 10000
 * entries, a safety cap). A gateway that stops acknowledging (its client
 * is slow) holds the run; a gateway that dies is dropped from the run's
 * readers when its heartbeat expires. A run nobody follows any more is
 * killed after the reattach grace (terminal) or at once (pipes), as a
 * local run with no subscriber.
 *
 * What Redis has not confirmed is kept (bounded by the window) and sent
 * again after a reconnect; a gateway drops the repeated bytes by offset.
 */
#ifndef CODEROOM_WORKER_H
#define CODEROOM_WORKER_H

#include <stdbool.h>

#include "run/run.h"

#define WORKER_WINDOW (512u * 1024)	/* unacknowledged output per run */
#define WORKER_CHUNK (16u * 1024)	/* output bytes per event */

struct cluster;
struct worker;

struct worker *worker_new(struct cluster *c);
void worker_free(struct worker *w);
/* The cluster can be worked for (the first heartbeat was answered). */
void worker_ready(struct worker *w);
/* The command link / the jobs link came up. */
void worker_cmd_up(struct worker *w);
void worker_jobs_up(struct worker *w);
/* The node table changed: drop readers that died. */
void worker_nodes_changed(struct worker *w);
/* Runs of class cls held (claimed and not yet reported finished). */
unsigned worker_used(const struct worker *w, enum run_class cls);
/* "id=version,..." of the languages this worker can run; malloc'd. */
char *worker_langs(const struct worker *w);
/* Stop taking jobs (shutdown). */
void worker_stop(struct worker *w);
/* Everything said: no run left whose end is not in Redis. */
bool worker_drained(const struct worker *w);

#endif
