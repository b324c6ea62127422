/*
 * ws_execute.c - /ws/execute, the seed systems' interactive protocol.
 *
 * JSON only. The program runs on pipes, so stdout and stderr stay apart;
 * output is sent as UTF-8 text (a character split across two reads is
 * carried over, invalid bytes become U+FFFD). When the program blocks
 * reading stdin, an input_request carries the text printed since the last
 * newline. After "complete" the server closes the socket with 1000.
 * An interactive run like /ws's: when the server is full it waits in the
 * queue, and the client gets {"type":"queued","ahead":N,"message"} (not a
 * seed message: seed clients ignore it) until it starts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/utf8.h"
#include "net/conn.h"
#include "net/ws.h"
#include "proto/app.h"
#include "proto/batch.h"
#include "proto/parse.h"
#include "proto/routes.h"
#include "proto/stream.h"

/* A connection's state (c->proto). */
struct exec {
	struct stream st;
	struct utf8_decoder dec[3];	/* by stream */
	struct buf line;		/* stdout since the last newline */
	uint64_t start_ns;		/* when "execute" came, or 0 */
	char client[APP_CLIENT_MAX];	/* who it is (app_client()) */
};

#define exec_of(c) ((struct exec *)(c)->proto)
#define exec_of_sub(subp) \
	((struct exec *)((char *)stream_of(subp) - offsetof(struct exec, st)))

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void send_text(struct conn *c, enum run_stream stream,
		      const struct buf *text)
{
	if (text->len == 0)
		return;
	conn_send_json(c, json_pack("{s:s, s:s, s:s%}", "type", "output",
				    "stream",
				    stream == RUN_STDERR ? "stderr" : "stdout",
				    "data", text->data, text->len));
}

static void on_output(struct run_sub *sub, enum run_stream stream,
		      const char *p, size_t n)
{
	struct exec *x = exec_of_sub(sub);
	struct buf text;

	buf_init(&text, 4 * n + 16);
	if (utf8_decode(&x->dec[stream], p, n, &text) == 0) {
		if (stream == RUN_STDOUT)
			buf_track_line(&x->line, text.data, text.len);
		send_text(x->st.c, stream, &text);
	}
	buf_release(&text);
	stream_flow_update(&x->st);
}

static void on_state(struct run_sub *sub, enum run_state state)
{
	struct exec *x = exec_of_sub(sub);

	if (state == RUN_WAITING)
		conn_send_json(x->st.c, json_pack("{s:s, s:s%}", "type",
						  "input_request", "prompt",
						  buf_str(&x->line),
						  x->line.len));
}

static void on_exited(struct run_sub *sub, const struct run_result *res)
{
	struct exec *x = exec_of_sub(sub);
	struct conn *c = x->st.c;
	double secs = (double)(now_ns() - x->start_ns) / 1e9;

	for (int s = RUN_STDOUT; s <= RUN_STDERR; s++) {
		struct buf text;
		buf_init(&text, 16);
		if (utf8_finish(&x->dec[s], &text) == 0)
			send_text(c, (enum run_stream)s, &text);
		buf_release(&text);
	}
	if (res->status == RUN_INTERNAL_ERROR ||
	    res->status == RUN_WORKER_LOST ||
	    res->status == RUN_SERVER_BUSY)
		conn_send_json(c, json_pack("{s:s, s:s}", "type", "error",
					    "message", res->message));
	conn_send_json(c, json_pack(
		"{s:s, s:i, s:f, s:s, s:s, s:I, s:I}",
		"type", "complete",
		"exit_code", res->exit_code >= 0 ? res->exit_code : -res->signal,
		"execution_time", secs,
		"status", run_status_name(res->status),
		"message", res->message,
		"wall_ms", (json_int_t)res->wall_ms,
		"cpu_ms", (json_int_t)res->cpu_ms));
	if (app_of(c)->engine->closing)
		conn_close(c, 1001, "server shutting down");
	else
		conn_close(c, 1000, "complete");
}

static void send_queued(struct conn *c, unsigned ahead)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "waiting for a free slot: %u ahead", ahead);
	conn_send_json(c, json_pack("{s:s, s:i, s:s}", "type", "queued",
				    "ahead", (int)ahead, "message", msg));
}

static void on_queued(struct run_sub *sub, unsigned ahead)
{
	send_queued(exec_of_sub(sub)->st.c, ahead);
}

static void on_admitted(struct run_sub *sub)
{
	/* execution_time counts from the start, not from the queue */
	exec_of_sub(sub)->start_ns = now_ns();
}

static const struct run_sub_ops sub_ops = {
	.output = on_output,
	.state = on_state,
	.exited = on_exited,
	.queued = on_queued,
	.admitted = on_admitted,
};

static void error(struct conn *c, const char *msg)
{
	conn_send_json(c, json_pack("{s:s, s:s}", "type", "error", "message",
				    msg));
}

static void do_execute(struct conn *c, json_t *msg)
{
	struct exec *x = exec_of(c);
	struct api_ctx ctx = app_api_ctx(app_of(c));
	struct api_err e;
	struct batch_job *j;
	struct run *run;
	int err;

	if (x->st.sub.run || x->start_ns) {
		error(c, "a program is already running on this connection");
		return;
	}
	if (!(j = parse_seed(&ctx, msg, PARSE_SEED_WS, &e))) {
		error(c, e.message);
		return;
	}
	struct run_request req = {
		.lang = j->lang,
		.files = j->files,
		.nfiles = j->nfiles,
		.mode = RUN_PIPES,
		.keep_stdin = true,
		.cls = RUN_INTERACTIVE,
		.interactive = true,	/* a person types its input */
		.client = x->client,
	};
	x->start_ns = now_ns();
	err = run_start(app_of(c)->engine, &req, &x->st.sub, &run);
	batch_job_free(j);	/* run_start copied what it needs */
	if (err) {
		x->start_ns = 0;
		error(c, err == -EAGAIN || err == -EBUSY ?
			 "the server is full; try again later" :
			 err == -EDQUOT ?
			 "too many runs from your address are waiting already; "
			 "try again when one has started" :
			 run_start_error(err));
		return;
	}
	snprintf(x->st.run_id, sizeof(x->st.run_id), "%s", run_id(run));
	if (run_queue_ahead(run) >= 0)
		send_queued(c, (unsigned)run_queue_ahead(run));
}

static void execute_message(struct conn *c, const char *p, size_t n,
			    bool binary)
{
	struct exec *x = exec_of(c);
	json_error_t jerr;
	json_t *msg, *type;
	const char *t;

	if (binary) {
		error(c, "binary messages are not part of this protocol");
		return;
	}
	msg = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	type = msg ? json_object_get(msg, "type") : NULL;
	if (!msg || !json_is_object(msg) || !json_is_string(type)) {
		error(c, msg ? "a message must be an object with a string 'type'"
			     : "invalid JSON");
		json_decref(msg);
		return;
	}
	t = json_string_value(type);
	if (strcmp(t, "input_response") && !conn_rate_ok(c)) {
		json_decref(msg);
		return;
	}
	if (strcmp(t, "execute") == 0) {
		do_execute(c, msg);
	} else if (strcmp(t, "input_response") == 0) {
		json_t *d = json_object_get(msg, "data");
		if (!json_is_string(d)) {
			error(c, "'data' must be a string");
		} else if (!x->st.sub.run) {
			error(c, "no program is running");
		} else {
			size_t len = json_string_length(d);
			const char *s = json_string_value(d);
			buf_reset(&x->line);	/* the next prompt starts here */
			int err = run_input(x->st.sub.run, s, len);
			if (!err && (len == 0 || s[len - 1] != '\n'))
				err = run_input(x->st.sub.run, "\n", 1);
			if (err)
				error(c, err == -ENOBUFS ?
				      "the program is not reading its input" :
				      "the program's input is closed");
		}
	} else {
		char text[128];
		snprintf(text, sizeof(text), "unknown message type '%.64s'", t);
		error(c, text);
	}
	json_decref(msg);
}

static void execute_open(struct conn *c)
{
	struct exec *x = calloc(1, sizeof(*x));

	if (!x) {
		conn_close(c, 1011, "out of memory");
		return;
	}
	stream_init(&x->st, c, &sub_ops);
	buf_init(&x->line, 1024);
	for (int i = 0; i < 3; i++)
		utf8_decoder_init(&x->dec[i]);
	c->proto = x;
	if (!app_token_ok(c)) {
		error(c, "a valid API token is required: the 'token' query "
		      "argument, or an Authorization or X-Api-Token header");
		conn_close(c, 4001, "unauthorized");
		return;
	}
	app_client(c, x->client, sizeof(x->client));
}

static void execute_closed(struct conn *c)
{
	struct exec *x = exec_of(c);

	if (!x)
		return;
	stream_release(&x->st);
	buf_release(&x->line);
	free(x);
	c->proto = NULL;
}

static void execute_drained(struct conn *c)
{
	if (exec_of(c))
		stream_drained(&exec_of(c)->st);
}

const struct ws_dialect ws_execute = {
	.path = "/ws/execute",
	.open = execute_open,
	.message = execute_message,
	.closed = execute_closed,
	.drained = execute_drained,
};
