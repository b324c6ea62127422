/*
 * api_health.c - GET /api/health, GET /api/languages, and GET / for a
 * client that asks for JSON.
 */
#include "cluster/cluster.h"
#include "lib/sizing.h"
#include "net/conn.h"
#include "net/http.h"
#include "net/server.h"
#include "proto/api.h"
#include "proto/api_judge0.h"
#include "proto/app.h"
#include "lib/keyrate.h"
#include "proto/auth.h"
#include "proto/generate.h"
#include "proto/sio_transport.h"
#include "room/room.h"
#include "run/cache.h"
#include "run/run.h"
#include "sandbox/sandbox.h"

#include <string.h>

static json_t *sandbox_json(const struct sandbox_features *f)
{
	if (!f)
		return json_null();
	return json_pack("{s:b, s:s, s:s, s:{s:b, s:b, s:b, s:b, s:b, s:b, s:b,"
			 " s:b, s:b, s:b}, s:{s:I, s:I, s:b}}",
			 "strong", f->strong,
			 "cgroup", f->cgroup_backend ? f->cgroup_backend : "none",
			 "missing", f->missing,
			 "features",
			 "userns", f->userns, "pidns", f->pidns,
			 "netns", f->netns, "mountns", f->mountns,
			 "seccomp", f->seccomp,
			 "cgroup_memory", f->cgroup_memory,
			 "cgroup_pids", f->cgroup_pids,
			 "cgroup_cpu", f->cgroup_cpu,
			 "cgroup_kill", f->cgroup_kill,
			 "cgroup_cpu_weight", f->cgroup_cpu_weight,
			 "run_uids",
			 "first", (json_int_t)f->uid_first,
			 "last", (json_int_t)f->uid_last,
			 "configured", f->uids_configured);
}

static json_t *spawner_json(const struct sandbox *sb)
{
	struct sandbox_status st;

	if (!sb)
		return json_null();
	sandbox_status(sb, &st);
	return json_pack("{s:s, s:i, s:I, s:i, s:i}",
			 "state", st.state,
			 "restarts", (int)st.restarts,
			 "lost_runs", (json_int_t)st.lost_runs,
			 "pid", (int)st.spawner_pid,
			 "queued_requests", (int)st.pending);
}

static json_t *cache_json(const struct cache *k, const struct run_engine *e)
{
	if (!k)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "entries", (json_int_t)k->n,
			 "bytes", (json_int_t)k->used_bytes,
			 "max_bytes", (json_int_t)k->max_bytes,
			 "hits", (json_int_t)k->hits,
			 "misses", (json_int_t)k->misses,
			 "evictions", (json_int_t)k->evictions,
			 "forged", (json_int_t)k->forged,
			 "compiles", (json_int_t)e->compiles);
}

/* {"id", "role", ...} of one node as the heartbeats show it. */
static json_t *node_json(const struct node_table *t, const struct node_info *n,
			 bool full)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:{s:i, s:i}, s:I}",
			      "id", n->id,
			      "role", n->role, "slots", (int)n->slots,
			      "used", (int)n->used,
			      "batch", "slots", (int)n->batch_slots,
			      "used", (int)n->batch_used,
			      "seen_ms_ago", (json_int_t)(t->now_ms > n->seen_ms ?
							  t->now_ms - n->seen_ms
							  : 0));
	if (!full)
		return o;
	json_object_set_new(o, "following", json_integer(n->following));
	json_object_set_new(o, "host", json_string(n->host));
	json_object_set_new(o, "pid", json_integer(n->pid));
	json_object_set_new(o, "version", json_string(n->version));
	json_object_set_new(o, "up_since_ms", json_integer((json_int_t)n->up_ms));
	json_t *langs = json_array();
	for (const char *p = n->langs; p && *p;) {
		const char *eq = strchr(p, '='), *end = strchr(p, ',');
		size_t len = eq && (!end || eq < end) ? (size_t)(eq - p)
			     : end ? (size_t)(end - p) : strlen(p);
		json_array_append_new(langs, json_stringn(p, len));
		p = end ? end + 1 : p + strlen(p);
	}
	json_object_set_new(o, "languages", langs);
	return o;
}

/* This node's part in the cluster; null for a single node. */
static json_t *cluster_json(const struct cluster *cl, bool all_nodes)
{
	const struct node_table *t;
	json_t *nodes, *o;

	if (!cl)
		return json_null();
	t = cluster_nodes(cl);
	nodes = json_array();
	for (size_t i = 0; i < t->n; i++)
		if (all_nodes || node_is_worker(&t->v[i]))
			json_array_append_new(nodes, node_json(t, &t->v[i],
							       all_nodes));
	o = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:I}, s:I, s:i, s:i}",
		      "node", cl->node_id,
		      "role", cluster_role_name(cl->role),
		      "redis",
		      "url", cl->url_shown,
		      "link", cluster_link_state(cl),
		      "error", cluster_link_up(cl) ? "" : cluster_link_why(cl),
		      "for_ms", (json_int_t)cluster_link_since_ms(cl),
		      "queue_waiting", (json_int_t)t->waiting,
		      "following", (int)cluster_following(cl),
		      "running", (int)cluster_running(cl));
	json_object_set_new(o, all_nodes ? "nodes" : "workers", nodes);
	const char *why;
	int d = cluster_durable(cl, &why);
	json_t *redis = json_object_get(o, "redis");
	json_object_set_new(redis, "durable", d < 0 ? json_null()
						    : json_boolean(d));
	if (d == 0)
		json_object_set_new(redis, "not_durable_because", json_string(why));
	return o;
}

void api_cluster(struct conn *c)
{
	const struct app *a = app_of(c);

	if (!a->cluster) {
		http_reply_error(c, 404, NULL, "this server is a single node, not "
				 "part of a cluster (start it with --redis)");
		return;
	}
	http_reply_json(c, 200, cluster_json(a->cluster, true));
}

static json_t *class_json(const struct run_engine *e, enum run_class k)
{
	const struct fairq *q = &e->q[k];

	return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:I}",
			 "running", (int)q->active,
			 "waiting", (int)q->waiting,
			 "slots", (int)q->slots,
			 "max_waiting", (int)q->queue_max,
			 "client_runs", (int)(q->client_max ? q->client_max
							    : q->slots),
			 "client_max_waiting", (int)q->client_queue_max,
			 "refused", (json_int_t)e->refused[k]);
}

/* What admits runs, what they use, and what the machine has. */
static json_t *admission_json(const struct app *a)
{
	const struct run_engine *e = a->engine;
	const struct host_facts *h = a->host;
	struct sandbox_usage u;
	json_t *j, *in;

	sandbox_usage(a->sb, &u);
	in = class_json(e, RUN_INTERACTIVE);
	json_object_set_new(in, "queue_wait_ms",
			    json_integer((json_int_t)e->adm.queue_wait_ms));
	json_object_set_new(in, "idle_timeout_ms",
			    json_integer((json_int_t)e->adm.idle_ms));
	json_object_set_new(in, "timed_out",
			    json_integer((json_int_t)e->timed_out));
	json_object_set_new(in, "idle_killed",
			    json_integer((json_int_t)e->idle_killed));
	j = json_pack("{s:o, s:o, s:{s:I, s:o, s:I}, s:{s:I, s:o, s:I}, s:b}",
		      "interactive", in,
		      "batch", class_json(e, RUN_BATCH),
		      "memory",
		      "limit", (json_int_t)e->adm.runs_memory,
		      "used", u.known ? json_integer((json_int_t)u.memory_bytes)
				      : json_null(),
		      "reserve_per_run", (json_int_t)e->adm.run_memory_reserve,
		      "pids",
		      "limit", (json_int_t)e->adm.runs_pids,
		      "used", u.known ? json_integer((json_int_t)u.pids)
				      : json_null(),
		      "reserve_per_run", (json_int_t)e->adm.run_pids_reserve,
		      "held", e->held);
	if (a->sizing)
		json_object_set_new(j, "bound",
				    json_string(a->sizing->bound ?
						a->sizing->bound : "?"));
	if (h)
		json_object_set_new(j, "host", json_pack(
			"{s:i, s:I, s:I, s:I, s:I, s:I, s:I}",
			"cpus", (int)h->cpus,
			"memory_bytes", (json_int_t)h->mem_total,
			"cgroup_memory_bytes", (json_int_t)h->mem_cgroup,
			"pid_max", (json_int_t)h->pid_max,
			"threads_max", (json_int_t)h->threads_max,
			"cgroup_pids_max", (json_int_t)h->pids_cgroup,
			"open_files", (json_int_t)h->nofile));
	return j;
}

static json_t *sio_json(const struct sio_hub *h)
{
	struct sio_stats st;

	sio_hub_stats(h, &st);
	return json_pack("{s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I}",
			 "sessions", (int)st.sessions,
			 "polling", (int)st.polling,
			 "max_sessions", (int)st.max_sessions,
			 "opened", (json_int_t)st.opened,
			 "refused", (json_int_t)st.refused,
			 "upgraded", (json_int_t)st.upgraded,
			 "timed_out", (json_int_t)st.timed_out,
			 "errors", (json_int_t)st.errors);
}

void api_health(struct conn *c)
{
	struct server *s = c->srv;
	const struct app *a = app_of(c);
	const struct run_engine *e = a->engine;
	size_t avail = 0;
	json_t *j;

	for (size_t i = 0; i < a->langs->n; i++)
		avail += a->langs->v[i].available;
	j = json_pack(
		"{s:s, s:s, s:I, s:i, s:i, s:I, s:o, s:o, s:{s:i, s:i, s:i, s:i},"
		" s:o, s:{s:i, s:i}, s:b, s:o, s:o, s:I}",
		"status", "ok",
		"version", CODEROOM_VERSION,
		"uptime_s", (json_int_t)server_uptime_s(s),
		"runs_active", (int)e->active,
		"connections", (int)s->connections,
		"runs_total", (json_int_t)e->started_total,
		"sandbox", sandbox_json(a->sb ? sandbox_features(a->sb) : NULL),
		"spawner", spawner_json(a->sb),
		"queue",	/* the batch class, as before "admission" */
		"running", (int)e->q[RUN_BATCH].active,
		"waiting", (int)e->q[RUN_BATCH].waiting,
		"slots", (int)e->q[RUN_BATCH].slots,
		"max_waiting", (int)e->q[RUN_BATCH].queue_max,
		"compile_cache", cache_json(e->cache, e),
		"languages", "available", (int)avail, "total", (int)a->langs->n,
		"api_tokens", auth_enabled(a->auth),
		"admission", admission_json(a),
		"socketio", sio_json(a->sio),
		"server_memory_bytes", (json_int_t)a->cfg->server_memory_bytes);
	if (j)	/* what the limits on hostile clients refused */
		json_object_set_new(j, "limited", json_pack(
			"{s:I, s:I, s:I, s:I, s:I, s:I}",
			"ws_reads_paused", (json_int_t)s->ws_throttled,
			"ws_refused", (json_int_t)s->ws_refused,
			"http_timeouts", (json_int_t)s->http_timeouts,
			"http_out_bytes", (json_int_t)s->http_out_bytes,
			"http_out_refused", (json_int_t)s->http_out_refused,
			"rooms_refused", (json_int_t)(a->room_creates ?
						      a->room_creates->refused : 0)));
	if (j && a->judge0) {
		struct judge0_stats js;
		judge0_stats(a->judge0, &js);
		json_object_set_new(j, "judge0", json_pack(
			"{s:I, s:I, s:I, s:I, s:I, s:I}", "stored_bytes",
			(json_int_t)js.stored_bytes, "max_bytes",
			(json_int_t)a->cfg->judge0_max_bytes, "evicted",
			(json_int_t)js.evicted, "refused",
			(json_int_t)js.refused, "callbacks_in_flight",
			(json_int_t)js.callbacks_in_flight, "callbacks_dropped",
			(json_int_t)js.callbacks_dropped));
	}
	if (j && a->rooms)
		json_object_set_new(j, "rooms", json_pack(
			"{s:i, s:I, s:I, s:I, s:I, s:I, s:I}",
			"open", (int)a->rooms->open,
			"loads", (json_int_t)a->rooms->loads,
			"pushes", (json_int_t)a->rooms->pushes,
			"updates", (json_int_t)a->rooms->updates,
			"push_p50_us", (json_int_t)rooms_push_quantile_us(a->rooms, 0.5),
			"push_p99_us", (json_int_t)rooms_push_quantile_us(a->rooms, 0.99),
			"push_max_us", (json_int_t)(a->rooms->push_max_ns / 1000)));
	if (j && a->gen)
		json_object_set_new(j, "generate", a->gen->enabled ?
			json_pack("{s:b, s:s, s:s, s:i, s:I, s:I}",
				  "enabled", 1, "endpoint", a->gen->base,
				  "model", a->gen->model,
				  "active", (int)a->gen->active,
				  "total", (json_int_t)a->gen->total,
				  "failed", (json_int_t)a->gen->failed) :
			json_pack("{s:b}", "enabled", 0));
	if (j)
		json_object_set_new(j, "cluster", cluster_json(a->cluster, false));
	http_reply_json(c, 200, j);
}

void api_languages(struct conn *c)
{
	http_reply_json(c, 200, lang_table_json(app_of(c)->langs, false));
}

void api_root(struct conn *c)
{
	/* The Next.js runner answered its health check at "/": a checker
	 * that asks for JSON gets the health; everyone else the IDE. */
	if (http_wants_json(c))
		api_health(c);
	else
		http_serve_static(c);
}
