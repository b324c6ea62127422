/*
 * ws_piston.c - /api/v2/connect, Piston v2's interactive protocol.
 *
 * The client sends "init" (a job, as POST /api/v2/execute takes) within
 * 1 s, then "data" (stdin) and "signal" messages; the server answers
 * "runtime", then per stage "stage", "data" (stdout/stderr) and "exit",
 * and closes with 4999 "Job Completed". Protocol errors close the socket
 * with Piston's codes: 4000 Already Initialized, 4001 Initialization
 * Timeout, 4002 Notified Error (after an "error" message), 4003 Not yet
 * initialized, 4004 Can only write to stdin, 4005 Invalid signal.
 * Unlike the reference server, "signal" reaches the program. Output is
 * capped as in batch runs (the run ends with status OL/EL at the cap).
 * Every "error" message is followed by the 4002 close, as Piston's
 * clients expect (an "error" means the job is over), also the one for
 * stdin that the program does not read fast enough.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/utf8.h"
#include "net/conn.h"
#include "net/ws.h"
#include "proto/app.h"
#include "proto/piston.h"
#include "proto/report.h"
#include "proto/routes.h"
#include "proto/stream.h"

#define INIT_TIMEOUT_MS 1000

/* A connection's state (c->proto). It outlives the socket until its timer
 * has closed: 'c' is NULL from then on. */
struct piston_ws {
	uv_timer_t timer;	/* the init deadline */
	struct conn *c;		/* NULL once the socket is gone */
	struct stream st;
	struct utf8_decoder dec[3];	/* by stream */
	bool inited;
	bool done;		/* the job ended: ignore further messages */
	bool compile_stage;	/* a compile stage was announced */
	const struct lang *lang;
	char client[APP_CLIENT_MAX];	/* who asks (app_client()) */
};

#define piston_of(c) ((struct piston_ws *)(c)->proto)
#define piston_of_sub(subp) ((struct piston_ws *)((char *)stream_of(subp) - \
					      offsetof(struct piston_ws, st)))

static void send_json(struct conn *c, json_t *j)
{
	conn_send_json(c, j);
}

static void fail(struct conn *c, const char *msg)
{
	send_json(c, json_pack("{s:s, s:s}", "type", "error", "message", msg));
	conn_close(c, 4002, "Notified Error");
}

static void send_exit(struct conn *c, const char *stage,
		      const struct run_step_result *s)
{
	const char *st = piston_status(s);
	bool limit = s->status == RUN_CPU_LIMIT || s->status == RUN_WALL_LIMIT ||
		     s->status == RUN_OUTPUT_LIMIT;
	int sig = s->signal ? s->signal : limit ? SIGKILL : 0;

	send_json(c, json_pack("{s:s, s:s, s:o, s:o, s:o, s:s}",
			       "type", "exit", "stage", stage,
			       "code", s->exit_code >= 0 && !limit ?
				       json_integer(s->exit_code) : json_null(),
			       "signal", report_signal(sig),
			       "status", st ? json_string(st) : json_null(),
			       "message", s->message));
}

static void flush_text(struct piston_ws *w, enum run_stream stream,
		       bool final, const char *p, size_t n)
{
	struct conn *c = w->c;
	struct buf text;

	buf_init(&text, 4 * n + 16);
	if (final)
		utf8_finish(&w->dec[stream], &text);
	else
		utf8_decode(&w->dec[stream], p, n, &text);
	if (text.len)
		send_json(c, json_pack("{s:s, s:s, s:s%}", "type", "data",
				       "stream", stream == RUN_STDERR ? "stderr"
								      : "stdout",
				       "data", text.data, text.len));
	buf_release(&text);
}

static void on_output(struct run_sub *sub, enum run_stream stream,
		      const char *p, size_t n)
{
	struct piston_ws *w = piston_of_sub(sub);

	flush_text(w, stream, false, p, n);
	stream_flow_update(&w->st);
}

static void on_stage(struct run_sub *sub, enum run_step step)
{
	struct piston_ws *w = piston_of_sub(sub);
	struct conn *c = w->c;

	for (int s = RUN_STDOUT; s <= RUN_STDERR; s++)
		flush_text(w, (enum run_stream)s, true, NULL, 0);
	if (step == RUN_STEP_COMPILE) {
		w->compile_stage = true;
		send_json(c, json_pack("{s:s, s:s}", "type", "stage", "stage",
				       "compile"));
		return;
	}
	if (w->lang->compile) {
		/* the compile stage ended well (or its artefact was cached) */
		struct run_step_result ok = { .status = RUN_OK };
		if (!w->compile_stage)
			send_json(c, json_pack("{s:s, s:s}", "type", "stage",
					       "stage", "compile"));
		send_exit(c, "compile", &ok);
	}
	send_json(c, json_pack("{s:s, s:s}", "type", "stage", "stage", "run"));
}

static void on_exited(struct run_sub *sub, const struct run_result *res)
{
	struct piston_ws *w = piston_of_sub(sub);
	struct conn *c = w->c;
	struct run_step_result s;

	for (int i = RUN_STDOUT; i <= RUN_STDERR; i++)
		flush_text(w, (enum run_stream)i, true, NULL, 0);
	w->done = true;
	if (res->status == RUN_COMPILE_ERROR ||
	    (!res->ran && res->compile_ran)) {
		send_exit(c, "compile", &res->compile);
	} else if ((res->status == RUN_INTERNAL_ERROR && !res->ran) ||
		   res->status == RUN_WORKER_LOST) {
		fail(c, res->message);
		return;
	} else {
		run_main_step(res, &s);
		send_exit(c, "run", &s);
	}
	bool closing = app_of(c)->engine->closing;
	conn_close(c, closing ? 1001 : 4999,
		   closing ? "server shutting down" : "Job Completed");
}

static const struct run_sub_ops sub_ops = {
	.output = on_output,
	.exited = on_exited,
	.stage = on_stage,
};

static void on_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void on_init_timeout(uv_timer_t *t)
{
	struct piston_ws *w = t->data;

	if (w->c && !w->inited)
		conn_close(w->c, 4001, "Initialization Timeout");
}

static void do_init(struct conn *c, json_t *msg)
{
	struct piston_ws *w = piston_of(c);
	struct api_ctx ctx = app_api_ctx(app_of(c));
	struct api_err e;
	struct batch_job *j;
	struct run *run;
	char v[64];
	int err;

	if (w->inited) {
		conn_close(c, 4000, "Already Initialized");
		return;
	}
	j = piston_job(&ctx, msg, &e);
	if (!j) {
		fail(c, e.message);
		return;
	}
	w->inited = true;
	w->lang = j->lang;
	uv_timer_stop(&w->timer);
	piston_version(j->lang, v, sizeof(v));
	send_json(c, json_pack("{s:s, s:s, s:s}", "type", "runtime",
			       "language", j->lang->piston, "version", v));
	struct run_request req = {
		.lang = j->lang,
		.files = j->files,
		.nfiles = j->nfiles,
		.args = (const char *const *)j->args,
		.compile_limits = j->compile_limits,
		.limits = j->limits,
		.mode = RUN_PIPES,
		.keep_stdin = true,	/* stdin comes from "data" messages */
		.cls = RUN_BATCH,
		.client = w->client,
	};
	for (int s = 0; s < 3; s++)
		utf8_decoder_init(&w->dec[s]);
	err = run_start(app_of(c)->engine, &req, &w->st.sub, &run);
	batch_job_free(j);	/* run_start copied what it needs */
	if (err) {
		w->done = true;
		fail(c, err == -EBUSY || err == -EAGAIN || err == -EDQUOT ?
			"the server is busy; retry shortly" :
			run_start_error(err));
		return;
	}
	snprintf(w->st.run_id, sizeof(w->st.run_id), "%s", run_id(run));
}

static void piston_message(struct conn *c, const char *p, size_t n,
			   bool binary)
{
	struct piston_ws *w = piston_of(c);
	json_error_t jerr;
	json_t *msg, *type;
	const char *t;

	if (w->done)
		return;
	msg = json_loadb(p, n, 0, &jerr);
	if (!msg || !json_is_object(msg)) {
		fail(c, msg ? "a message must be a JSON object"
			    : "Unexpected token in JSON");
		json_decref(msg);
		return;
	}
	type = json_object_get(msg, "type");
	t = json_is_string(type) ? json_string_value(type) : "";
	if (strcmp(t, "data") && !conn_rate_ok(c)) {
		json_decref(msg);
		return;
	}
	if (!strcmp(t, "init")) {
		do_init(c, msg);
	} else if (!strcmp(t, "data")) {
		json_t *stream = json_object_get(msg, "stream");
		json_t *data = json_object_get(msg, "data");
		if (!w->inited) {
			conn_close(c, 4003, "Not yet initialized");
		} else if (!json_is_string(stream) ||
			   strcmp(json_string_value(stream), "stdin")) {
			conn_close(c, 4004, "Can only write to stdin");
		} else if (json_is_string(data) && w->st.sub.run) {
			int err = run_input(w->st.sub.run, json_string_value(data),
					    json_string_length(data));
			if (err == -ENOBUFS) {
				w->done = true;
				fail(c, "stdin buffer full: the program is not "
					"reading its input");
			}
		}
	} else if (!strcmp(t, "signal")) {
		json_t *sig = json_object_get(msg, "signal");
		int s = json_is_string(sig) ? piston_signal(json_string_value(sig))
					    : 0;
		if (!w->inited)
			conn_close(c, 4003, "Not yet initialized");
		else if (!s)
			conn_close(c, 4005, "Invalid signal");
		else if (w->st.sub.run)
			run_signal(w->st.sub.run, s);
	}
	/* Piston ignores any other type */
	json_decref(msg);
}

static void piston_open(struct conn *c)
{
	struct piston_ws *w = calloc(1, sizeof(*w));

	if (!w) {
		conn_close(c, 1011, "out of memory");
		return;
	}
	w->c = c;
	stream_init(&w->st, c, &sub_ops);
	c->proto = w;
	uv_timer_init(c->srv->loop, &w->timer);
	w->timer.data = w;
	if (!app_token_ok(c)) {
		w->done = true;
		fail(c, "a valid API token is required");
		return;
	}
	app_client(c, w->client, sizeof(w->client));
	uv_timer_start(&w->timer, on_init_timeout, INIT_TIMEOUT_MS, 0);
}

static void piston_closed(struct conn *c)
{
	struct piston_ws *w = piston_of(c);

	if (!w)
		return;
	stream_release(&w->st);
	w->c = NULL;
	uv_timer_stop(&w->timer);
	uv_close((uv_handle_t *)&w->timer, on_timer_closed);
	c->proto = NULL;
}

static void piston_drained(struct conn *c)
{
	if (piston_of(c))
		stream_drained(&piston_of(c)->st);
}

const struct ws_dialect ws_piston = {
	.path = "/api/v2/connect",
	.open = piston_open,
	.message = piston_message,
	.closed = piston_closed,
	.drained = piston_drained,
};
