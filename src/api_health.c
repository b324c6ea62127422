/*
 * api_health.c - GET /api/health and GET /api/languages.
 */
#include "api.h"
#include "conn.h"
#include "http.h"
#include "sandbox/sandbox.h"
#include "server.h"

static json_t *sandbox_json(const struct sandbox_features *f)
{
	if (!f)
		return json_null();
	return json_pack("{s:b, s:s, s:s, s:{s:b, s:b, s:b, s:b, s:b, s:b, s:b,"
			 " s:b, s:b}}",
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
			 "cgroup_kill", f->cgroup_kill);
}

void api_health(struct conn *c)
{
	struct server *s = c->srv;

	http_reply_json(c, 200, json_pack(
		"{s:s, s:s, s:I, s:i, s:i, s:I, s:o}",
		"status", "ok",
		"version", CODEROOM_VERSION,
		"uptime_s", (json_int_t)server_uptime_s(s),
		"runs_active", (int)s->engine->active,
		"connections", (int)s->connections,
		"runs_total", (json_int_t)s->engine->started_total,
		"sandbox", sandbox_json(s->sb ? sandbox_features(s->sb) : NULL)));
}

void api_languages(struct conn *c)
{
	http_reply_json(c, 200, lang_table_json(c->srv->langs, false));
}
