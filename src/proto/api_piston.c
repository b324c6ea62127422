/*
 * api_piston.c - Piston v2 over HTTP, every path under /api/v2/:
 *
 *   GET  /api/v2/runtimes    the installed languages
 *   POST /api/v2/execute     a job (piston.h has the shapes, validation)
 *   GET  /api/v2/packages    the languages as Piston's package manager
 *                            lists them, all installed
 *   POST/DELETE /api/v2/packages   refused: the operator manages them
 *
 * Every error is Piston's {"message"}: an invalid job 400; an unknown path
 * 404 "Not Found"; a wrong method 405; 401 without a token when tokens are
 * configured; 503 (Retry-After) when the run queue is full, where Piston
 * would wait without bound. The route is registered with 'message_errors',
 * so the errors http.c answers itself on these paths (411, 413, bad JSON)
 * have that shape too.
 */
#include <errno.h>
#include <string.h>

#include "net/conn.h"
#include "net/http.h"
#include "proto/api.h"
#include "proto/app.h"
#include "proto/piston.h"

static void reply_message(struct conn *c, unsigned status, const char *msg,
			  const char *extra)
{
	json_t *j = json_pack("{s:s}", "message", msg);
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	http_reply(c, status, "application/json", s, s ? strlen(s) : 0, extra);
	free(s);
}

static json_t *aliases_of(const struct lang *l)
{
	json_t *aliases = json_array();

	if (strcmp(l->id, l->piston))
		json_array_append_new(aliases, json_string(l->id));
	for (char **a = l->aliases; a && *a; a++)
		if (strcmp(*a, l->piston))
			json_array_append_new(aliases, json_string(*a));
	return aliases;
}

static void runtimes(struct conn *c)
{
	const struct lang_table *t = app_of(c)->langs;
	json_t *arr = json_array();
	char v[64];

	for (size_t i = 0; i < t->n; i++) {
		const struct lang *l = &t->v[i];
		if (!l->available)
			continue;
		piston_version(l, v, sizeof(v));
		json_t *o = json_pack("{s:s, s:s, s:o}", "language", l->piston,
				      "version", v, "aliases", aliases_of(l));
		if (l->runtime[0])
			json_object_set_new(o, "runtime", json_string(l->runtime));
		json_array_append_new(arr, o);
	}
	http_reply_json(c, 200, arr);
}

/* GET /api/v2/packages: Piston's package list, every one installed. */
static void packages(struct conn *c)
{
	const struct lang_table *t = app_of(c)->langs;
	json_t *arr;
	char v[64];

	if (c->http->method != HTTP_GET && c->http->method != HTTP_HEAD) {
		reply_message(c, 400, "packages are managed by the operator of "
			      "this server (its languages are Debian "
			      "packages): install and uninstall are not "
			      "available over the API", NULL);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < t->n; i++) {
		const struct lang *l = &t->v[i];
		if (!l->available)
			continue;
		piston_version(l, v, sizeof(v));
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:b}", "language", l->piston,
			"language_version", v, "installed", 1));
	}
	http_reply_json(c, 200, arr);
}

static void on_done(struct batch_job *j)
{
	struct conn *c = j->owner;
	const struct run_result *r = &j->cases[0].res;
	struct run_step_result s;
	char v[64];
	json_t *compile = NULL, *run;

	if (r->start_error) {	/* cluster: refused once queued */
		reply_message(c, 503, "the server is busy; retry shortly",
			      "Retry-After: 1\r\n");
		return;
	}
	if (r->status == RUN_WORKER_LOST) {	/* cluster: an error */
		reply_message(c, 503, r->message, "Retry-After: 1\r\n");
		return;
	}
	piston_version(j->lang, v, sizeof(v));
	if (j->lang->compile) {
		if (j->have_compile) {
			compile = piston_stage_json(&j->compile_res.compile,
						    &j->compile_out);
		} else {	/* cached: a clean, instant compile */
			struct run_step_result ok = { .status = RUN_OK };
			compile = piston_stage_json(&ok, &j->compile_out);
		}
	}
	if (r->status == RUN_COMPILE_ERROR || !r->ran) {
		/* Piston: "run" is a copy of "compile" when it did not run */
		run = compile ? json_deep_copy(compile) : NULL;
		if (!run) {
			run_main_step(r, &s);
			run = piston_stage_json(&s, &j->cases[0].out);
		}
	} else {
		run_main_step(r, &s);
		run = piston_stage_json(&s, &j->cases[0].out);
	}
	json_t *resp = json_pack("{s:s, s:s, s:o}", "language", j->lang->piston,
				 "version", v, "run", run);
	if (compile)
		json_object_set_new(resp, "compile", compile);
	if (r->status == RUN_INTERNAL_ERROR && !r->ran && !compile) {
		json_decref(resp);
		reply_message(c, 500, r->message, NULL);
		return;
	}
	http_reply_json(c, 200, resp);
}

static void execute(struct conn *c)
{
	struct http_req *h = c->http;
	struct app *a = app_of(c);
	struct api_ctx ctx = app_api_ctx(a);
	struct api_err e;
	struct batch_job *j;
	json_error_t jerr;
	json_t *body;
	int err;

	if (!app_authorized(c))
		return;
	/* Piston's own client sends text/plain: parse whatever came */
	body = json_loadb(h->body.data ? h->body.data : "", h->body.len, 0,
			  &jerr);
	if (!body || !json_is_object(body)) {
		reply_message(c, 400, body ? "the body must be a JSON object"
					   : "the body is not valid JSON", NULL);
		json_decref(body);
		return;
	}
	j = piston_job(&ctx, body, &e);
	json_decref(body);
	if (!j) {
		reply_message(c, e.status, e.message, NULL);
		return;
	}
	app_http_own(c, j);
	app_client(c, j->client, sizeof(j->client));
	err = batch_start(j, a->engine, on_done, c);
	if (err == -EBUSY || err == -EAGAIN || err == -EDQUOT)
		reply_message(c, 503, "the server is busy; retry shortly",
			      "Retry-After: 1\r\n");
	else if (run_start_retryable(err))
		reply_message(c, 503, run_start_error(err), "Retry-After: 1\r\n");
	else if (err)
		reply_message(c, 500, run_start_error(err), NULL);
}

void api_piston(struct conn *c)
{
	static const struct {
		const char *path;
		unsigned methods;
		void (*fn)(struct conn *c);
	} routes[] = {
		{ "/api/v2/runtimes", HTTP_GET, runtimes },
		{ "/api/v2/execute", HTTP_POST, execute },
		{ "/api/v2/packages", HTTP_GET | HTTP_POST | HTTP_DELETE,
		  packages },
	};
	const char *path = c->http->path;
	unsigned m = c->http->method == HTTP_HEAD ? HTTP_GET : c->http->method;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(path, routes[i].path))
			continue;
		if (!(m & routes[i].methods)) {
			reply_message(c, 405, "Method Not Allowed",
				      routes[i].methods == HTTP_GET ?
				      "Allow: GET, HEAD\r\n" :
				      routes[i].methods == HTTP_POST ?
				      "Allow: POST\r\n" :
				      "Allow: GET, HEAD, POST, DELETE\r\n");
			return;
		}
		routes[i].fn(c);
		return;
	}
	reply_message(c, 404, "Not Found", NULL);
}
