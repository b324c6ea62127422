/*
 * api_execute.c - the seed systems' batch endpoints.
 *
 *   POST /api/execute  {"code", "language"?, "stdin"?}
 *   POST /run_code     {"code"}
 *   GET  /api/execute  {"status":"ok","message","platform"}
 *
 * The program runs on pipes with its stdin from the request; the reply
 * comes when it ends: {"success","output","error","status","return_code",
 * "stdout","stderr","wall_ms","cpu_ms",...}. Output is kept up to the
 * batch output limit per stream, and "truncated" says when it was cut.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/conn.h"
#include "net/http.h"
#include "proto/api.h"
#include "proto/app.h"
#include "proto/batch.h"
#include "proto/parse.h"
#include "proto/report.h"
#include "run/run.h"

/* A request waiting for its run (http_req.api). */
struct exec_req {
	struct conn *c;
	struct run_sub sub;
	struct buf out[3];		/* by stream; out[0] interleaved */
};

#define exec_of(subp) \
	((struct exec_req *)((char *)(subp) - offsetof(struct exec_req, sub)))

static void exec_free(void *p)
{
	struct exec_req *x = p;

	run_detach(&x->sub);
	for (int i = 0; i < 3; i++)
		buf_release(&x->out[i]);
	free(x);
}

static void on_output(struct run_sub *sub, enum run_stream stream,
		      const char *p, size_t n)
{
	struct exec_req *x = exec_of(sub);

	buf_append_some(&x->out[stream], p, n);
	buf_append_some(&x->out[0], p, n);
}

static const char *seed_status(enum run_status s)
{
	switch (s) {
	case RUN_OK: return "completed";
	case RUN_RUNTIME_ERROR: return "error";
	case RUN_SIGNAL: return "error";
	case RUN_CPU_LIMIT: return "timeout";
	case RUN_WALL_LIMIT: return "timeout";
	case RUN_MEMORY_LIMIT: return "memory_limit";
	case RUN_OUTPUT_LIMIT: return "output_limit";
	case RUN_PIDS_LIMIT: return "pids_limit";
	case RUN_KILLED: return "killed";
	case RUN_INTERNAL_ERROR: return "internal_error";
	case RUN_COMPILE_ERROR: return "compile_error";
	case RUN_WORKER_LOST: return "worker_lost";
	case RUN_SERVER_BUSY: return "busy";
	}
	return "error";
}

static void on_exited(struct run_sub *sub, const struct run_result *res)
{
	struct exec_req *x = exec_of(sub);
	struct buf *out = x->out;

	if (res->start_error) {	/* cluster: refused once queued */
		http_reply_error(x->c, run_start_retryable(res->start_error) ?
				 503 : 500, NULL, "%s",
				 run_start_error(res->start_error));
		return;
	}
	json_t *j = json_pack(
		"{s:b, s:o, s:o, s:s, s:i, s:o, s:o, s:o, s:o, s:s, s:I, s:I, "
		"s:I, s:b, s:s}",
		"success", res->status == RUN_OK,
		"output", report_text(&out[RUN_STDOUT]),
		"error", report_text(&out[RUN_STDERR]),
		"status", seed_status(res->status),
		"return_code", res->exit_code >= 0 ? res->exit_code : -res->signal,
		"stdout", report_text(&out[RUN_STDOUT]),
		"stderr", report_text(&out[RUN_STDERR]),
		"combined", report_text(&out[0]),
		"signal", report_signal(res->signal),
		"message", res->message,
		"wall_ms", (json_int_t)res->wall_ms,
		"cpu_ms", (json_int_t)res->cpu_ms,
		"memory_bytes", (json_int_t)res->memory_bytes,
		"truncated", res->truncated[1] || res->truncated[2],
		"verdict", run_status_name(res->status));
	http_reply_json(x->c, res->status == RUN_INTERNAL_ERROR ? 500 :
			      res->status == RUN_WORKER_LOST ? 503 : 200, j);
}

static const struct run_sub_ops sub_ops = {
	.output = on_output,
	.exited = on_exited,
};

static void start(struct conn *c, bool seed_run_code)
{
	struct app *a = app_of(c);
	struct api_ctx ctx = app_api_ctx(a);
	struct api_err e;
	struct exec_req *x;
	struct batch_job *j;
	json_t *body;
	struct run *run;
	char client[APP_CLIENT_MAX];
	int err;

	if (!app_authorized(c))
		return;
	app_client(c, client, sizeof(client));
	body = http_body_json(c);
	if (!body)
		return;
	j = parse_seed(&ctx, body, seed_run_code ? PARSE_SEED_RUN_CODE
						 : PARSE_SEED_EXECUTE, &e);
	json_decref(body);
	if (!j) {
		http_reply_error(c, e.status, e.field[0] ? e.field : NULL, "%s",
				 e.message);
		return;
	}
	struct run_request req = {
		.lang = j->lang,
		.files = j->files,
		.nfiles = j->nfiles,
		.stdin_data = j->cases[0].stdin_len ? j->cases[0].stdin_data
						    : NULL,
		.stdin_len = j->cases[0].stdin_len,
		.mode = RUN_PIPES,
		.cls = RUN_BATCH,	/* waits its turn with the other API runs */
		.client = client,
	};
	const struct limits *lim = &a->engine->max_pipes;
	if (!(x = calloc(1, sizeof(*x)))) {
		http_reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	x->c = c;
	for (int i = 0; i < 3; i++)
		buf_init(&x->out[i], (size_t)lim->output_bytes * (i ? 1 : 2));
	x->sub.ops = &sub_ops;
	c->http->api = x;
	c->http->api_free = exec_free;
	err = run_start(a->engine, &req, &x->sub, &run);
	if (err == -EAGAIN || err == -EBUSY || err == -EDQUOT)
		http_reply_error(c, 503, NULL, "the server is busy; "
				 "retry shortly");
	else if (run_start_retryable(err))
		http_reply_error(c, 503, NULL, "%s", run_start_error(err));
	else if (err)
		http_reply_error(c, 500, NULL, "cannot start the run: %s",
				 run_start_error(err));
out:
	batch_job_free(j);	/* run_start copied what it needs */
}

static void execute_info(struct conn *c)
{
	http_reply_json(c, 200, json_pack("{s:s, s:s, s:s, s:s}",
					  "status", "ok",
					  "message", "coderoom execute API: "
					  "POST {\"code\", \"language\", "
					  "\"stdin\"} to run a program",
					  "platform", "linux",
					  "version", CODEROOM_VERSION));
}

void api_execute(struct conn *c)
{
	if (c->http->method == HTTP_POST)
		start(c, false);
	else
		execute_info(c);
}

void api_run_code(struct conn *c)
{
	start(c, true);
}
