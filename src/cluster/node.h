/*
 * node.h - the cluster's nodes as this node sees them: its own heartbeat,
 * the table of live nodes, and the reaping of dead workers' jobs.
 *
 * Every HEARTBEAT_MS each node writes its record (role, slots, load, the
 * languages a worker can run, version, host, pid) with a time to live of
 * NODE_TTL_MS, and reads back every live node and the length of the job
 * queue (one atomic script: cluster/scripts.c). A node whose record
 * expired is dead: Redis's own clock decides, so the nodes' clocks do not
 * matter. The script also names the job consumers whose node is dead;
 * this node then reaps each (SCRIPT_REAP: their started runs end with
 * worker_lost, their unstarted jobs go back to the queue). Any node may
 * reap; the script is atomic, so two reapers cannot both act on a job.
 * Detection takes at most NODE_TTL_MS + HEARTBEAT_MS after the last
 * heartbeat.
 */
#ifndef CODEROOM_NODE_H
#define CODEROOM_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#define HEARTBEAT_MS 1000
#define NODE_TTL_MS 3000
#define NODE_ID_MAX 64

struct node_info {
	char id[NODE_ID_MAX + 1];
	char role[16];		/* gateway, worker, all */
	unsigned slots;		/* worker: runs it takes at once (both
				   classes) */
	unsigned used;		/* worker: runs it holds */
	unsigned batch_slots;	/* worker: of them, for batch runs */
	unsigned batch_used;
	unsigned following;	/* gateway: remote runs it shows */
	unsigned pid;
	char host[64];
	char version[32];
	char *langs;		/* worker: "id=version,..." (owned) */
	uint64_t seen_ms;	/* its last heartbeat, Redis's clock */
	uint64_t up_ms;		/* when it started, its clock */
};

struct node_table {
	struct node_info *v;
	size_t n;
	uint64_t waiting;	/* jobs not yet taken by a worker */
	uint64_t now_ms;	/* Redis's clock at the last refresh */
	uint64_t refreshes;
};

/* Whether the node is a worker (role worker or all). */
bool node_is_worker(const struct node_info *n);
const struct node_info *node_find(const struct node_table *t, const char *id);
/* Free worker slots across the live workers. */
unsigned node_free_slots(const struct node_table *t);
unsigned node_workers(const struct node_table *t);
void node_table_release(struct node_table *t);

/*
 * Parses the heartbeat script's reply into t (replacing what it held) and
 * the dead consumers into dead[] (at most ndead, ids copied; *n_dead set).
 * Pure. 0 or -EINVAL (a malformed reply: t unchanged).
 */
int node_table_parse(struct node_table *t, const redisReply *r,
		     char dead[][NODE_ID_MAX + 1], size_t ndead,
		     size_t *n_dead);

/* Whether s is a node id: 1..NODE_ID_MAX of [A-Za-z0-9._-]. */
bool node_id_valid(const char *s);

#endif
