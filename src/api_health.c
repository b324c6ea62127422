/*
 * api_health.c - GET /api/health and GET /api/languages.
 */
#include "api.h"
#include "auth.h"
#include "cache.h"
#include "conn.h"
#include "http.h"
#include "sandbox/sandbox.h"
#include "server.h"

static json_t *sandbox_json(const struct sandbox_features *f)
{
	if (!f)
		return json_null();
	return json_pack("{s:b, s:s, s:s, s:{s:b, s:b, s:b, s:b, s:b, s:b, s:b,"
			 " s:b, s:b}, s:{s:I, s:I, s:b}}",
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
			 "run_uids",
			 "first", (json_int_t)f->uid_first,
			 "last", (json_int_t)f->uid_last,
			 "configured", f->uids_configured);
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

void api_health(struct conn *c)
{
	struct server *s = c->srv;
	const struct run_engine *e = s->engine;
	size_t avail = 0;

	for (size_t i = 0; i < s->langs->n; i++)
		avail += s->langs->v[i].available;
	http_reply_json(c, 200, json_pack(
		"{s:s, s:s, s:I, s:i, s:i, s:I, s:o, s:{s:i, s:i, s:i, s:i},"
		" s:o, s:{s:i, s:i}, s:b, s:I}",
		"status", "ok",
		"version", CODEROOM_VERSION,
		"uptime_s", (json_int_t)server_uptime_s(s),
		"runs_active", (int)e->active,
		"connections", (int)s->connections,
		"runs_total", (json_int_t)e->started_total,
		"sandbox", sandbox_json(s->sb ? sandbox_features(s->sb) : NULL),
		"queue",
		"running", (int)e->batch_active, "waiting", (int)e->queued,
		"slots", (int)e->batch_slots, "max_waiting", (int)e->queue_max,
		"compile_cache", cache_json(e->cache, e),
		"languages", "available", (int)avail, "total", (int)s->langs->n,
		"api_tokens", auth_enabled(s->auth),
		"server_memory_bytes", (json_int_t)s->cfg->server_memory_bytes));
}

void api_languages(struct conn *c)
{
	http_reply_json(c, 200, lang_table_json(c->srv->langs, false));
}
