/*
 * cluster.c - this process as a node of the cluster (see cluster.h): the
 * links, the heartbeat and the node table, the reaping of dead workers,
 * the languages a gateway offers, the orderly leave, health.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/entry.h"
#include "cluster/remote.h"
#include "cluster/room_cache.h"
#include "cluster/rooms.h"
#include "cluster/scripts.h"
#include "cluster/worker.h"
#include "lib/log.h"
#include "run/lang.h"
#include "run/run.h"

#define LEAVE_MS 3000		/* how long a leaving node waits for Redis */
#define DEAD_MAX 16

void cluster__key(char *out, size_t len, const char *kind, const char *id)
{
	snprintf(out, len, KEY_PREFIX "%s:%s", kind, id);
}

const char *cluster_role_name(enum cluster_role role)
{
	switch (role) {
	case CLUSTER_GATEWAY: return "gateway";
	case CLUSTER_WORKER: return "worker";
	case CLUSTER_ALL: return "all";
	}
	return "?";
}

int cluster_role_parse(const char *s, enum cluster_role *out)
{
	if (!strcmp(s, "gateway"))
		*out = CLUSTER_GATEWAY;
	else if (!strcmp(s, "worker"))
		*out = CLUSTER_WORKER;
	else if (!strcmp(s, "all"))
		*out = CLUSTER_ALL;
	else
		return -EINVAL;
	return 0;
}

bool cluster_is_gateway(const struct cluster *c)
{
	return c->role & CLUSTER_GATEWAY;
}

bool cluster_is_worker(const struct cluster *c)
{
	return c->role & CLUSTER_WORKER;
}

/* ---- languages ---------------------------------------------------------- */

/* The version a worker reports for 'id' in "id=version,...", or NULL. */
static const char *langs_version(const char *list, const char *id,
				 char *out, size_t len)
{
	size_t idlen = strlen(id);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > idlen && !strncmp(p, id, idlen) && p[idlen] == '=') {
			size_t v = n - idlen - 1;
			if (v >= len)
				v = len - 1;
			memcpy(out, p + idlen + 1, v);
			out[v] = '\0';
			return out;
		}
		p = end ? end + 1 : p + n;
	}
	return NULL;
}

/* A gateway offers what its live workers can run. */
static void update_langs(struct cluster *c)
{
	static const char none[] = "no worker of the cluster that is up has "
				   "it installed";

	if (c->role != CLUSTER_GATEWAY)
		return;	/* role all: this node's own probe says */
	if (!node_workers(&c->nodes)) {
		/* nobody to ask: a run is told "no worker is up" instead */
		for (size_t i = 0; i < c->langs->n; i++)
			c->langs->v[i].available = true;
		return;
	}
	for (size_t i = 0; i < c->langs->n; i++) {
		struct lang *l = &c->langs->v[i];
		char v[64];
		const char *found = NULL;
		for (size_t k = 0; k < c->nodes.n && !found; k++)
			if (node_is_worker(&c->nodes.v[k]))
				found = langs_version(c->nodes.v[k].langs, l->id, v,
						      sizeof(v));
		l->available = found != NULL;
		if (found && strcmp(l->version, found)) {
			char *nv = strdup(found);
			if (nv) {
				free(l->version);
				l->version = nv;
			}
		}
		if (!found && (!l->why || strcmp(l->why, none))) {
			char *w = strdup(none);
			if (w) {
				free(l->why);
				l->why = w;
			}
		}
	}
}

/* ---- heartbeat and reaping ---------------------------------------------- */

static void on_reaped(struct redis_link *l, redisReply *r, void *data)
{
	struct cluster *c = data;

	(void)l;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY ||
	    r->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < r->element[0]->elements; i++) {
		const redisReply *e = r->element[0]->element[i];
		if (e->type == REDIS_REPLY_STRING)
			log_warn("cluster: run %.32s: its worker died: "
				 "worker_lost", e->str);
	}
	for (size_t i = 0; i < r->element[1]->elements; i++) {
		const redisReply *e = r->element[1]->element[i];
		if (e->type == REDIS_REPLY_STRING)
			log_info("cluster: run %.32s: its worker died before it "
				 "started: queued again", e->str);
	}
	c->reaped_lost += r->element[0]->elements;
	c->reaped_requeued += r->element[1]->elements;
}

static void reap(struct cluster *c, const char *dead)
{
	struct run_event ev = { .type = EVENT_EXIT };
	struct buf evb, rb;
	char linger[24];

	ev.result.status = RUN_WORKER_LOST;
	ev.result.exit_code = -1;
	ev.result.ran = true;
	snprintf(ev.result.message, sizeof(ev.result.message), "the worker "
		 "running it ('%.60s') stopped answering (killed, or its "
		 "machine is gone); its output may be cut short", dead);
	buf_init(&evb, 4096);
	buf_init(&rb, 4096);
	if (event_encode(&ev, &evb) || result_encode(&ev.result, &rb))
		goto out;
	snprintf(linger, sizeof(linger), "%llu",
		 (unsigned long long)c->linger_ms);
	const char *argv[] = { "EVAL", SCRIPT_REAP, "0", dead, evb.data, rb.data,
			       linger };
	size_t lens[] = { 4, strlen(SCRIPT_REAP), 1, strlen(dead), evb.len,
			  rb.len, strlen(linger) };
	log_info("cluster: node '%s' has no heartbeat: reclaiming its jobs",
		 dead);
	redis_link_cmd(&c->cmd, on_reaped, c, 0, 7, argv, lens);
out:
	buf_release(&evb);
	buf_release(&rb);
}

void cluster__nodes_changed(struct cluster *c)
{
	update_langs(c);
	if (c->worker)
		worker_nodes_changed(c->worker);
	if (c->remote)
		remote_nodes_changed(c->remote);
	if (c->rooms)
		room_cluster_nodes_changed(c->rooms);
}

static void on_heartbeat(struct redis_link *l, redisReply *r, void *data)
{
	struct cluster *c = data;
	char dead[DEAD_MAX][NODE_ID_MAX + 1];
	size_t ndead = 0;
	bool first = !c->heard;

	(void)l;
	c->heartbeat_out = false;
	if (!r)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		log_warn("cluster: the heartbeat failed: %.200s", r->str);
		return;
	}
	if (node_table_parse(&c->nodes, r, dead, DEAD_MAX, &ndead)) {
		log_warn("cluster: a malformed heartbeat reply");
		return;
	}
	c->heard = true;
	for (size_t i = 0; i < ndead; i++)
		if (strcmp(dead[i], c->node_id))
			reap(c, dead[i]);
	cluster__nodes_changed(c);
	if (first && c->worker && !c->closing)
		worker_ready(c->worker);
}

static void heartbeat(struct cluster *c)
{
	char ttl[16], slots[16], used[16], bslots[16], bused[16];
	char following[16], pid[16], up[24];
	char host[64] = "";
	char *langs = NULL;
	const char *argv[32];
	size_t lens[32];
	int n = 0;

	if (c->heartbeat_out || !redis_link_up(&c->cmd) || c->closing)
		return;
	gethostname(host, sizeof(host) - 1);
	snprintf(ttl, sizeof(ttl), "%d", NODE_TTL_MS);
	/* slots and used: both classes; bslots and bused: the batch ones */
	snprintf(slots, sizeof(slots), "%u", c->worker ? c->slots[RUN_INTERACTIVE] +
						       c->slots[RUN_BATCH] : 0);
	snprintf(used, sizeof(used), "%u", c->worker ?
		 worker_used(c->worker, RUN_INTERACTIVE) +
		 worker_used(c->worker, RUN_BATCH) : 0);
	snprintf(bslots, sizeof(bslots), "%u",
		 c->worker ? c->slots[RUN_BATCH] : 0);
	snprintf(bused, sizeof(bused), "%u",
		 c->worker ? worker_used(c->worker, RUN_BATCH) : 0);
	snprintf(following, sizeof(following), "%u",
		 c->remote ? remote_count(c->remote) : 0);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(up, sizeof(up), "%llu", (unsigned long long)c->started_ms);
	argv[n++] = "EVAL";
	argv[n++] = SCRIPT_HEARTBEAT;
	argv[n++] = "0";
	argv[n++] = c->node_id;
	argv[n++] = ttl;
	argv[n++] = "role";
	argv[n++] = cluster_role_name(c->role);
	argv[n++] = "slots";
	argv[n++] = slots;
	argv[n++] = "used";
	argv[n++] = used;
	argv[n++] = "bslots";
	argv[n++] = bslots;
	argv[n++] = "bused";
	argv[n++] = bused;
	argv[n++] = "following";
	argv[n++] = following;
	argv[n++] = "pid";
	argv[n++] = pid;
	argv[n++] = "host";
	argv[n++] = host;
	argv[n++] = "version";
	argv[n++] = CODEROOM_VERSION;
	argv[n++] = "up";
	argv[n++] = up;
	if (c->worker && (langs = worker_langs(c->worker))) {
		argv[n++] = "langs";
		argv[n++] = langs;
	}
	for (int i = 0; i < n; i++)
		lens[i] = strlen(argv[i]);
	if (redis_link_cmd(&c->cmd, on_heartbeat, c, 0, n, argv, lens) == 0)
		c->heartbeat_out = true;
	free(langs);
}

static void on_timer(uv_timer_t *t)
{
	heartbeat(t->data);
}

/* ---- links -------------------------------------------------------------- */

/* CONFIG GET appendonly / appendfsync: {name, value}. */
static void on_config(struct redis_link *l, redisReply *r, void *data)
{
	struct cluster *c = l->data;
	const char *want = data;

	if (!r)
		return;
	if (r->type == REDIS_REPLY_ERROR || r->type != REDIS_REPLY_ARRAY ||
	    r->elements != 2 || r->element[1]->type != REDIS_REPLY_STRING) {
		c->durable = -1;	/* CONFIG refused: cannot tell */
		snprintf(c->durable_why, sizeof(c->durable_why),
			 "CONFIG GET is not allowed: cannot check");
		return;
	}
	if (strcmp(r->element[1]->str, want)) {
		if (c->durable != 0)
			log_error("cluster: Redis has %s %s: a Redis restart may "
				  "lose confirmed room edits and queued jobs "
				  "(docs/operations.md: appendonly yes, "
				  "appendfsync always)", r->element[0]->str,
				  r->element[1]->str);
		c->durable = 0;
		snprintf(c->durable_why, sizeof(c->durable_why), "%s is %s",
			 r->element[0]->str, r->element[1]->str);
	} else if (c->durable != 0 && !strcmp(want, "always")) {
		c->durable = 1;
		c->durable_why[0] = '\0';
	}
}

static void check_durable(struct cluster *c)
{
	static char yes[] = "yes", always[] = "always";
	const char *a[] = { "CONFIG", "GET", "appendonly", NULL };
	const char *b[] = { "CONFIG", "GET", "appendfsync", NULL };

	c->durable = -1;
	redis_link_cmdv(&c->cmd, on_config, yes, 0, a);
	redis_link_cmdv(&c->cmd, on_config, always, 0, b);
}

static void cmd_up(struct redis_link *l, void *data)
{
	struct cluster *c = data;

	check_durable(c);

	c->heard = false;
	c->heartbeat_out = false;
	heartbeat(c);
	if (c->worker)
		worker_cmd_up(c->worker);
	if (c->remote)
		remote_link_up(c->remote);
	if (c->rooms)
		room_cluster_link_up(c->rooms);
	/* the reader may be waiting to unblock its XREAD */
	reader_link_up(&c->reader);
}

static void cmd_down(struct redis_link *l, void *data)
{
	struct cluster *c = data;

	c->heard = false;
	c->heartbeat_out = false;
	if (c->remote)
		remote_link_down(c->remote);
}

static void reader_up(struct redis_link *l, void *data)
{
	reader_link_up(&((struct cluster *)data)->reader);
}

static void reader_down(struct redis_link *l, void *data)
{
	reader_link_down(&((struct cluster *)data)->reader);
}

static void jobs_up(struct redis_link *l, void *data)
{
	struct cluster *c = data;

	if (c->worker)
		worker_jobs_up(c->worker);
}

static const struct redis_link_ops cmd_ops = { .up = cmd_up, .down = cmd_down };
static const struct redis_link_ops reader_ops = { .up = reader_up,
						  .down = reader_down };
static const struct redis_link_ops jobs_ops = { .up = jobs_up };

/* ---- start, stop -------------------------------------------------------- */

/* hostname-pid, in node id characters. */
static void default_node_id(char *out, size_t len)
{
	char host[64] = "node";
	char suffix[16];
	size_t n;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		      *p == '_'))
			*p = '_';
	snprintf(suffix, sizeof(suffix), "-%d", (int)getpid());
	n = NODE_ID_MAX - strlen(suffix);
	if (strlen(host) > n)
		host[n] = '\0';
	snprintf(out, len, "%s%s", host[0] ? host : "node", suffix);
}

int cluster_init(struct cluster *c, uv_loop_t *loop,
		 const struct cluster_config *cfg, struct run_engine *engine,
		 struct lang_table *langs, char *err, size_t errlen)
{
	struct timespec ts;
	int e;

	memset(c, 0, sizeof(*c));
	if ((e = redis_url_parse(cfg->url, &c->url, err, errlen)))
		return e;
	if (cfg->node_id && !node_id_valid(cfg->node_id)) {
		snprintf(err, errlen, "--node-id must be 1 to %d letters, digits, "
			 "'.', '_' or '-'", NODE_ID_MAX);
		return -EINVAL;
	}
	c->loop = loop;
	c->role = cfg->role ? cfg->role : CLUSTER_ALL;
	if (cfg->node_id)
		snprintf(c->node_id, sizeof(c->node_id), "%s", cfg->node_id);
	else
		default_node_id(c->node_id, sizeof(c->node_id));
	redis_url_redacted(&c->url, c->url_shown, sizeof(c->url_shown));
	for (int k = 0; k < RUN_NCLASS; k++) {
		c->queue_max[k] = cfg->queue_max[k] ? cfg->queue_max[k] : 64;
		c->slots[k] = cfg->slots[k] ? cfg->slots[k] : 1;
	}
	c->linger_ms = cfg->linger_ms ? cfg->linger_ms : 60000;
	c->engine = engine;
	c->langs = langs;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->started_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	c->durable = -1;
	srand((unsigned)(ts.tv_nsec ^ getpid()));

	redis_link_init(&c->cmd, loop, &c->url, c->node_id, "cmd", &cmd_ops, c);
	redis_link_init(&c->rlink, loop, &c->url, c->node_id, "reader",
			&reader_ops, c);
	reader_init(&c->reader, &c->rlink, &c->cmd);
	c->links_open = 2;
	if (cluster_is_worker(c)) {
		redis_link_init(&c->jlink, loop, &c->url, c->node_id, "jobs",
				&jobs_ops, c);
		c->links_open++;
		if (!(c->worker = worker_new(c)))
			return -ENOMEM;
	}
	if (cluster_is_gateway(c)) {
		if (!(c->remote = remote_new(c)) ||
		    !(c->rooms = room_cluster_new(c)))
			return -ENOMEM;
		c->links_open++;	/* the rooms' pub/sub link */
		/* until the workers say what they run, every language is
		 * taken: a run then finds out what is wrong (Redis down, no
		 * worker) rather than a language "missing" on this gateway */
		if (c->role == CLUSTER_GATEWAY)
			for (size_t i = 0; i < langs->n; i++)
				langs->v[i].available = true;
	}
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 1;
	return 0;
}

void cluster_start(struct cluster *c)
{
	log_info("cluster: node '%s', role %s, Redis %s", c->node_id,
		 cluster_role_name(c->role), c->url_shown);
	redis_link_start(&c->cmd);
	redis_link_start(&c->rlink);
	if (c->worker)
		redis_link_start(&c->jlink);
	if (c->rooms)
		room_cluster_start(c->rooms);
	uv_timer_start(&c->timer, on_timer, HEARTBEAT_MS, HEARTBEAT_MS);
}

static void maybe_done(struct cluster *c)
{
	if (c->links_open || c->open_handles || !c->closed_cb)
		return;
	worker_free(c->worker);
	c->worker = NULL;
	remote_free(c->remote);
	c->remote = NULL;
	room_cluster_free(c->rooms);
	c->rooms = NULL;
	node_table_release(&c->nodes);
	void (*cb)(struct cluster *) = c->closed_cb;
	c->closed_cb = NULL;
	cb(c);
}

static void on_link_closed(struct redis_link *l)
{
	struct cluster *c = l->data;


	c->links_open--;
	maybe_done(c);
}

static void on_rooms_link_closed(struct redis_link *l)
{
	struct cluster *c = ((struct room_cluster *)l->data)->c;

	c->links_open--;
	maybe_done(c);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct cluster *c = h->data;

	c->open_handles--;
	maybe_done(c);
}

static void close_all(struct cluster *c)
{
	uv_timer_stop(&c->timer);
	if (uv_is_closing((uv_handle_t *)&c->timer))
		return;
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
	redis_link_close(&c->cmd, on_link_closed);
	redis_link_close(&c->rlink, on_link_closed);
	if (c->worker)
		redis_link_close(&c->jlink, on_link_closed);
	if (c->rooms)
		room_cluster_close(c->rooms, on_rooms_link_closed);
}

static void on_left(struct redis_link *l, redisReply *r, void *data)
{
	(void)l;
	(void)r;
	(void)data;
}

/* Sends the farewell: no more heartbeat record; a drained worker's
 * consumer and control stream go too (otherwise the reaper ends what it
 * still holds, once its record has expired). */
static void farewell(struct cluster *c, bool drained)
{
	char key[128];

	cluster__key(key, sizeof(key), "node", c->node_id);
	const char *del[] = { "DEL", key, NULL };
	const char *zrem[] = { "ZREM", KEY_NODES, c->node_id, NULL };
	redis_link_cmdv(&c->cmd, on_left, NULL, 0, del);
	redis_link_cmdv(&c->cmd, on_left, NULL, 0, zrem);
	if (c->worker && drained) {
		cluster__key(key, sizeof(key), "ctl", c->node_id);
		const char *dc[] = { "XGROUP", "DELCONSUMER", KEY_JOBS_I,
				     JOBS_GROUP, c->node_id, NULL };
		const char *db[] = { "XGROUP", "DELCONSUMER", KEY_JOBS_B,
				     JOBS_GROUP, c->node_id, NULL };
		const char *dk[] = { "DEL", key, NULL };
		redis_link_cmdv(&c->cmd, on_left, NULL, 0, dc);
		redis_link_cmdv(&c->cmd, on_left, NULL, 0, db);
		redis_link_cmdv(&c->cmd, on_left, NULL, 0, dk);
	}
	log_info("cluster: node '%s' leaves the cluster%s", c->node_id,
		 drained ? "" : " (the ends of some runs are not in Redis)");
}

/* Ticks while leaving: first until what matters is in Redis (or it is
 * too late, or Redis is gone), then until the farewell is answered. */
static void on_leave_tick(uv_timer_t *t)
{
	struct cluster *c = t->data;
	bool drained = (!c->worker || worker_drained(c->worker)) &&
		       (!c->remote || remote_drained(c->remote));
	bool late = redis_now_ms() >= c->close_deadline;
	bool up = redis_link_up(&c->cmd);

	if (c->leave_phase == 0) {
		if (up && !late && (!drained || c->cmd.pending))
			return;
		if (!up) {
			c->leave_phase = 2;
			close_all(c);
			return;
		}
		farewell(c, drained);
		c->leave_phase = 1;
		c->close_deadline = redis_now_ms() + 1000;
		return;
	}
	if (c->leave_phase == 1 && (!c->cmd.pending || late || !up)) {
		c->leave_phase = 2;
		close_all(c);
	}
}

void cluster_shutdown(struct cluster *c, void (*done)(struct cluster *c))
{
	c->closing = true;
	c->closed_cb = done;
	c->close_deadline = redis_now_ms() + LEAVE_MS;
	if (c->worker)
		worker_stop(c->worker);
	uv_timer_stop(&c->timer);
	uv_timer_start(&c->timer, on_leave_tick, 20, 20);
}

/* ---- health --------------------------------------------------------------- */

bool cluster_link_up(const struct cluster *c)
{
	return redis_link_up(&c->cmd);
}

const char *cluster_link_state(const struct cluster *c)
{
	return redis_link_state_name(&c->cmd);
}

const char *cluster_link_why(const struct cluster *c)
{
	return c->cmd.why;
}

uint64_t cluster_link_since_ms(const struct cluster *c)
{
	uint64_t since = redis_link_up(&c->cmd) ? c->cmd.up_since_ms
						: c->cmd.down_since_ms;
	uint64_t now = redis_now_ms();

	return since && now > since ? now - since : 0;
}

const struct node_table *cluster_nodes(const struct cluster *c)
{
	return &c->nodes;
}

unsigned cluster_following(const struct cluster *c)
{
	return c->remote ? remote_count(c->remote) : 0;
}

int cluster_durable(const struct cluster *c, const char **why)
{
	*why = c->durable_why;
	return c->durable;
}

unsigned cluster_running(const struct cluster *c)
{
	return c->worker ? worker_used(c->worker, RUN_INTERACTIVE) +
			   worker_used(c->worker, RUN_BATCH) : 0;
}
