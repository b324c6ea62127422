/*
 * api_runs.c - the native batch API (docs/api.md).
 *
 *   POST /api/runs   {language, version?, code | files[], stdin?, args?,
 *                     compile_flags?, limits?, compile_limits?, tests?}
 *
 * parse_runs() validates the request (every problem is a 400 naming the
 * field), batch.c runs it, and this file maps the result: per step (compile,
 * run) status, exit code, signal, output (stdout, stderr, interleaved),
 * times, memory and truncation flags; with 'tests', one run per case
 * (compiled once) and whether its output matched.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lib/semver.h"
#include "net/conn.h"
#include "net/http.h"
#include "proto/api.h"
#include "proto/app.h"
#include "proto/batch.h"
#include "proto/parse.h"
#include "proto/report.h"
#include "run/cache.h"


static json_t *step_json(const struct run_step_result *s,
			 const struct batch_out *o)
{
	return json_pack(
		"{s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:b, s:b, s:I, s:I, s:I}",
		"status", run_status_name(s->status),
		"exit_code", s->exit_code >= 0 ? json_integer(s->exit_code)
					       : json_null(),
		"signal", report_signal(s->signal),
		"message", s->message,
		"stdout", report_text(&o->b[RUN_STDOUT]),
		"stderr", report_text(&o->b[RUN_STDERR]),
		"output", report_text(&o->b[0]),
		"stdout_truncated", s->truncated[RUN_STDOUT],
		"stderr_truncated", s->truncated[RUN_STDERR],
		"cpu_ms", (json_int_t)s->cpu_ms,
		"wall_ms", (json_int_t)s->wall_ms,
		"memory_bytes", (json_int_t)s->memory_bytes);
}

static json_t *compile_json(const struct batch_job *j)
{
	if (!j->lang->compile)
		return json_null();
	if (j->have_compile) {
		json_t *o = step_json(&j->compile_res.compile, &j->compile_out);
		json_object_set_new(o, "cached", json_false());
		return o;
	}
	/* the artefact came from the cache: nothing ran */
	struct run_step_result s = { .status = RUN_OK, .exit_code = 0 };
	snprintf(s.message, sizeof(s.message), "compiled earlier (cache)");
	json_t *o = step_json(&s, &j->compile_out);
	json_object_set_new(o, "cached", json_true());
	return o;
}

static void on_done(struct batch_job *j)
{
	struct conn *c = j->owner;
	const struct batch_case *first = &j->cases[0];
	const struct run_result *last = &j->cases[0].res;
	struct run_step_result s;
	unsigned passed = 0, failed = 0;
	bool compile_failed = first->res.status == RUN_COMPILE_ERROR;

	for (size_t i = 0; i < j->ncases; i++)
		if (j->cases[i].done)
			last = &j->cases[i].res;
	json_t *resp = json_pack("{s:s, s:s, s:s, s:s, s:o}",
				 "language", j->lang->id,
				 "version", j->lang->version,
				 "status", run_status_name(last->status),
				 "message", last->message,
				 "compile", compile_json(j));
	if (j->tests) {
		json_t *arr = json_array();
		for (size_t i = 0; i < j->ncases; i++) {
			const struct batch_case *k = &j->cases[i];
			json_t *t = json_object();
			json_t *run = json_null();
			json_t *ok = json_null();
			if (k->done && k->res.ran) {
				run_main_step(&k->res, &s);
				run = step_json(&s, &k->out);
			}
			if (k->expected) {
				bool m = k->done && k->res.ran &&
					 k->res.status == RUN_OK &&
					 batch_output_matches(
						 k->out.b[RUN_STDOUT].data,
						 k->out.b[RUN_STDOUT].len,
						 k->expected, k->expected_len);
				ok = json_boolean(m);
				m ? passed++ : failed++;
			}
			json_object_set_new(t, "status", json_string(
				k->done ? run_status_name(k->res.status)
					: "not_run"));
			json_object_set_new(t, "passed", ok);
			json_object_set_new(t, "run", run);
			json_array_append_new(arr, t);
		}
		json_object_set_new(resp, "tests", arr);
		json_object_set_new(resp, "passed", json_integer(passed));
		json_object_set_new(resp, "failed", json_integer(failed));
	} else if (!compile_failed && first->res.ran) {
		run_main_step(&first->res, &s);
		json_object_set_new(resp, "run", step_json(&s, &first->out));
	} else {
		json_object_set_new(resp, "run", json_null());
	}
	if (last->start_error) {	/* cluster: refused once queued */
		json_decref(resp);
		http_reply_error(c, run_start_retryable(last->start_error) ? 503
				 : 500, NULL, "%s", run_start_error(last->start_error));
		return;
	}
	if (last->status == RUN_WORKER_LOST)	/* cluster: an error */
		json_object_set_new(resp, "error", json_string(last->message));
	http_reply_json(c, last->status == RUN_INTERNAL_ERROR ? 500 :
			   last->status == RUN_WORKER_LOST ? 503 : 200, resp);
}

void api_runs(struct conn *c)
{
	struct app *a = app_of(c);
	struct api_ctx ctx = app_api_ctx(a);
	struct api_err e;
	struct batch_job *j;
	json_t *body;
	int err;

	if (!app_authorized(c))
		return;
	if (!(body = http_body_json(c)))
		return;
	j = parse_runs(&ctx, body, &e);
	json_decref(body);
	if (!j) {
		http_reply_error(c, e.status, e.field[0] ? e.field : NULL, "%s",
				 e.message);
		return;
	}
	app_http_own(c, j);
	app_client(c, j->client, sizeof(j->client));
	err = batch_start(j, a->engine, on_done, c);
	if (err == -EDQUOT)
		http_reply_error(c, 503, NULL, "you have %u runs waiting "
				 "already; retry when one is done",
				 a->engine->q[RUN_BATCH].client_queue_max);
	else if ((err == -EBUSY || err == -EAGAIN) && !a->cluster)
		http_reply_error(c, 503, NULL, "the server is busy (%u runs "
				 "waiting); retry shortly",
				 a->engine->q[RUN_BATCH].waiting);
	else if (run_start_retryable(err))
		http_reply_error(c, 503, NULL, "%s", run_start_error(err));
	else if (err == -EINVAL)
		http_reply_error(c, 400, "files", "the files cannot be written "
				 "(duplicate or invalid names)");
	else if (err)
		http_reply_error(c, 500, NULL, "cannot start the run: %s",
				 run_start_error(err));
}
