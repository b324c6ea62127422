/*
 * cluster.h - cluster mode: this process as one node of a cluster that
 * shares a Redis (--redis URL, --role gateway|worker|all, --node-id).
 * Without --redis none of this exists and coderoom is a complete single
 * node, as before.
 *
 * Where it sits: cluster/ is a client of the run engine and of the rooms,
 * and reaches the dialects only through them: proto -> cluster -> room,
 * run -> sandbox -> lib. A gateway sets the run engine's backend
 * (run.h, "Remote runs"): every run a dialect starts becomes a job in
 * Redis and a remote run here, which behaves for the dialect exactly like
 * a local one (output, state, stage, exited, input, resize, kill, attach
 * with scrollback). A worker takes jobs when it has a free slot, runs
 * them on its own engine (run_request.here) and follows each with a
 * subscriber that writes the run's events to Redis. So the dialects'
 * diffs stay small (a reattach's "attached" arrives when the scrollback
 * has come from Redis; a lost Redis link is shown), and nothing below
 * proto learns a JSON dialect: Redis carries run requests, output bytes,
 * input and exits, in cluster/job.h's and cluster/entry.h's encodings.
 *
 * The pieces, one a file:
 *   redis_url.c   the URL (pure)        redis_uv.c    hiredis on libuv
 *   redis_link.c  a self-healing link   scripts.c     the Lua scripts
 *   reader.c      XREAD over many streams
 *   job.c, entry.c, wire.c              the encodings (pure)
 *   node.c        the node table (heartbeats, who is alive)
 *   worker.c      a worker: claims jobs, exports its runs
 *   remote.c      a gateway: remote runs, the engine's backend
 *   room_store.c, room_bus.c, room_wire.c (pure)   rooms across gateways
 *   cluster.c     this: the links, the heartbeat, the reaper, health
 *
 * Links per node (each reconnects on its own): "cmd" for commands,
 * "reader" for the blocking XREAD, and on workers "jobs" for the blocking
 * XREADGROUP. Errors are 0 or -errno.
 */
#ifndef CODEROOM_CLUSTER_H
#define CODEROOM_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "cluster/node.h"
#include "cluster/reader.h"
#include "cluster/redis_link.h"
#include "cluster/redis_url.h"
#include "run/run.h"

struct run_engine;
struct lang_table;
struct worker;
struct remote;
struct room_cluster;

enum cluster_role {
	CLUSTER_GATEWAY = 1,
	CLUSTER_WORKER = 2,
	CLUSTER_ALL = 3,	/* both bits */
};

struct cluster_config {
	const char *url;	/* --redis */
	enum cluster_role role;
	const char *node_id;	/* NULL: hostname-pid */
	/* by run class (run.h): interactive, batch */
	unsigned queue_max[RUN_NCLASS];	/* jobs waiting before a refusal */
	unsigned slots[RUN_NCLASS];	/* worker: runs at once */
	uint64_t linger_ms;	/* a finished run's record stays this long */
};

struct cluster {
	uv_loop_t *loop;
	struct redis_url url;
	char url_shown[REDIS_URL_MAX + 32];	/* without the password */
	char node_id[NODE_ID_MAX + 1];
	enum cluster_role role;
	unsigned queue_max[RUN_NCLASS], slots[RUN_NCLASS];
	uint64_t linger_ms;
	uint64_t started_ms;
	struct run_engine *engine;
	struct lang_table *langs;

	struct redis_link cmd;		/* commands */
	struct redis_link rlink;	/* the reader's blocking XREAD */
	struct redis_link jlink;	/* a worker's blocking XREADGROUP */
	struct reader reader;
	struct node_table nodes;
	bool heartbeat_out;		/* a heartbeat is waiting for its reply */
	bool heard;			/* a heartbeat answered since the link
					   came up: the table is current */
	int durable;			/* Redis's appendonly/appendfsync are
					   yes/always (1), not (0), unknown (-1) */
	char durable_why[96];
	uint64_t reaped_lost, reaped_requeued;
	uv_timer_t timer;		/* heartbeat */
	unsigned open_handles;

	struct worker *worker;		/* the worker role, or NULL */
	struct remote *remote;		/* the gateway role, or NULL */
	struct room_cluster *rooms;	/* the gateway role: rooms on Redis */

	bool closing;
	int leave_phase;		/* 0 draining, 1 farewell, 2 closing */
	uint64_t close_deadline;
	unsigned links_open;
	void (*closed_cb)(struct cluster *c);
};

/*
 * Prepares c: parses the URL, picks the node id, and (gateway role) sets
 * itself as engine's backend. Does not connect yet. 0, or -EINVAL /
 * -EPROTONOSUPPORT with a sentence in err.
 */
int cluster_init(struct cluster *c, uv_loop_t *loop,
		 const struct cluster_config *cfg, struct run_engine *engine,
		 struct lang_table *langs, char *err, size_t errlen);
/* Connects (and stays connected). */
void cluster_start(struct cluster *c);
/*
 * Leaves the cluster: a worker stops taking jobs and, once its runs have
 * ended (the engine kills them at shutdown) and their last events are in
 * Redis (or after a few seconds), deletes its record and its consumer;
 * then the links close and done(c) is called from the loop.
 */
void cluster_shutdown(struct cluster *c, void (*done)(struct cluster *c));

const char *cluster_role_name(enum cluster_role role);
/* Parses "gateway", "worker", "all". 0 or -EINVAL. */
int cluster_role_parse(const char *s, enum cluster_role *out);
bool cluster_is_gateway(const struct cluster *c);
bool cluster_is_worker(const struct cluster *c);

/* For health: the command link's state, and how long it has been so. */
bool cluster_link_up(const struct cluster *c);
const char *cluster_link_state(const struct cluster *c);
const char *cluster_link_why(const struct cluster *c);
uint64_t cluster_link_since_ms(const struct cluster *c);
/* The live nodes as last seen (may be empty while Redis is down). */
const struct node_table *cluster_nodes(const struct cluster *c);
/* 1: Redis keeps every answered write across a restart (appendonly yes,
 * appendfsync always); 0: it does not (why says what); -1: unknown (CONFIG
 * is not allowed, as on some managed Redis). */
int cluster_durable(const struct cluster *c, const char **why);
/* Remote runs this gateway shows; runs this worker holds. */
unsigned cluster_following(const struct cluster *c);
unsigned cluster_running(const struct cluster *c);

/* ---- for worker.c and remote.c ----------------------------------------- */

/* The node table changed (after each heartbeat). */
void cluster__nodes_changed(struct cluster *c);
/* Keys: "coderoom:ev:RUN", "coderoom:run:RUN", "coderoom:ctl:NODE". */
void cluster__key(char *out, size_t len, const char *kind, const char *id);

#endif
