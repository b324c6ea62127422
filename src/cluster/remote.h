/*
 * remote.h - the gateway role: the run engine's backend (run.h, "Remote
 * runs"). Each run a dialect starts becomes a job in the cluster's queue
 * and a remote run here; its events stream feeds the run's subscribers;
 * input, resize, kill and signal go to its worker's control stream.
 *
 * A run attached to by id that this gateway does not hold (a client that
 * reconnected to another gateway) is looked up in Redis: its record, then
 * its retained events, which give the scrollback; then it is followed
 * live like any other. Following means acknowledging: this gateway tells
 * the worker how far it has taken the output (cluster/worker.h has the
 * flow control); while a subscriber is paused (its client is slow), the
 * gateway stops reading the run's stream and so stops acknowledging.
 *
 * Before a worker has claimed the job, input, resize, signal and a kill
 * wait here (bounded by the engine's input_max); a kill of a waiting job
 * takes it out of the queue. While Redis is unreachable, new runs are
 * refused (-ENOTCONN), subscribers are told (run_sub_ops.link), what they
 * send waits, and on the reconnect a job that Redis lost is queued again.
 * A run whose worker is gone without the reaper having ended it (Redis
 * lost the job) is ended here with worker_lost.
 */
#ifndef CODEROOM_REMOTE_H
#define CODEROOM_REMOTE_H

struct cluster;
struct remote;

struct remote *remote_new(struct cluster *c);
void remote_free(struct remote *rm);
void remote_link_up(struct remote *rm);
void remote_link_down(struct remote *rm);
void remote_nodes_changed(struct remote *rm);
/* Remote runs held. */
unsigned remote_count(const struct remote *rm);
/* Nothing owed to Redis (byes, releases) is left unsent. */
bool remote_drained(const struct remote *rm);

#endif
