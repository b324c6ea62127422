/*
 * sio_runner.c - the interactive runner's Socket.IO events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/utf8.h"
#include "proto/app.h"
#include "proto/report.h"
#include "proto/sio_runner.h"
#include "proto/stream.h"
#include "run/run.h"

#define PROMPT_MAX 1024

/* A socket's state (sio_socket_state()). */
struct runner {
	struct sio_socket *s;
	struct stream st;
	struct utf8_decoder dec[3];	     /* by stream */
	struct buf line;		     /* stdout since the last newline */
	bool ready;			     /* set up by connect() */
	const struct sio_run_target *target; /* a room's run, or NULL */
	void *target_ctx;
	bool skip_replay;  /* re-attaching after a lag: what the
			      scrollback repeats is dropped */
	bool started_sent; /* "started" went out for this run */
};

#define runner_of_stream(stp)                                                  \
	((struct runner *)((char *)(stp)-offsetof(struct runner, st)))
#define runner_of_sub(subp) runner_of_stream(stream_of(subp))

static size_t queued(const struct stream *st)
{
	return sio_socket_queued(runner_of_stream(st)->s);
}

static void send_text(struct runner *x, enum run_stream stream,
		      const struct buf *text)
{
	if (text->len == 0)
		return;
	sio_emit(x->s, "output",
		 json_pack("{s:s%, s:s}", "data", text->data, text->len,
			   "stream",
			   stream == RUN_STDERR ? "stderr" : "stdout"));
}

static void reset_text(struct runner *x)
{
	for (int i = 0; i < 3; i++)
		utf8_decoder_init(&x->dec[i]);
	buf_reset(&x->line);
}

static void on_output(struct run_sub *sub, enum run_stream stream,
		      const char *p, size_t n)
{
	struct runner *x = runner_of_sub(sub);
	struct buf text;

	if (x->skip_replay)
		return;
	buf_init(&text, 4 * n + 16);
	if (utf8_decode(&x->dec[stream], p, n, &text) == 0) {
		if (stream == RUN_STDOUT)
			buf_track_line(&x->line, text.data, text.len);
		send_text(x, stream, &text);
	}
	buf_release(&text);
	stream_flow_update(&x->st);
}

static void on_state(struct run_sub *sub, enum run_state state)
{
	struct runner *x = runner_of_sub(sub);

	if (state == RUN_WAITING)
		sio_emit(x->s, "input_request",
			 json_pack("{s:s%}", "prompt", buf_str(&x->line),
				   x->line.len));
}

static void on_exited(struct run_sub *sub, const struct run_result *res)
{
	struct runner *x = runner_of_sub(sub);

	for (int s = RUN_STDOUT; s <= RUN_STDERR; s++) {
		struct buf text;
		buf_init(&text, 16);
		if (utf8_finish(&x->dec[s], &text) == 0)
			send_text(x, (enum run_stream)s, &text);
		buf_release(&text);
	}
	if (res->status == RUN_INTERNAL_ERROR || res->status == RUN_SERVER_BUSY)
		sio_emit(x->s, "error",
			 json_pack("{s:s}", "message", res->message));
	sio_emit(x->s, "exit",
		 json_pack("{s:o, s:o, s:s, s:I, s:I}", "code",
			   res->exit_code >= 0 ? json_integer(res->exit_code)
					       : json_null(),
			   "signal", report_signal(res->signal), "status",
			   run_status_name(res->status), "wall_ms",
			   (json_int_t)res->wall_ms, "cpu_ms",
			   (json_int_t)res->cpu_ms));
	stream_unpause(&x->st);
	x->st.run_id[0] = '\0';
}

static void emit_started(struct runner *x, struct run *run)
{
	x->started_sent = true;
	sio_emit(x->s, "started",
		 json_pack("{s:s, s:s}", "run", x->st.run_id, "language",
			   run_lang(run)->id));
}

/* The server is full: the run waits in the admission queue ("queued" is
 * an addition to the original's events; pages that do not listen for it
 * ignore it). */
static void emit_queued(struct runner *x, unsigned ahead)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "waiting for a free slot: %u ahead", ahead);
	sio_emit(x->s, "queued",
		 json_pack("{s:s, s:i, s:s}", "run", x->st.run_id, "ahead",
			   (int)ahead, "message", msg));
}

static void on_queued(struct run_sub *sub, unsigned ahead)
{
	emit_queued(runner_of_sub(sub), ahead);
}

static void on_admitted(struct run_sub *sub)
{
	struct runner *x = runner_of_sub(sub);

	if (x->st.sub.run && !x->started_sent)
		emit_started(x, x->st.sub.run);
}

static const struct run_sub_ops sub_ops = {
    .output = on_output,
    .state = on_state,
    .exited = on_exited,
    .queued = on_queued,
    .admitted = on_admitted,
};

static void runner_connect(struct sio_socket *s, void *state)
{
	struct runner *x = state;
	const struct lang_table *t = sio_socket_app(s)->langs;
	json_t *langs = json_array();

	x->s = s;
	stream_init_queue(&x->st, queued, &sub_ops);
	buf_init(&x->line, PROMPT_MAX);
	for (int i = 0; i < 3; i++)
		utf8_decoder_init(&x->dec[i]);
	x->ready = true;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].available)
			json_array_append_new(langs, json_string(t->v[i].id));
	sio_emit(s, "connected",
		 json_pack("{s:s, s:o}", "sid", sio_socket_id(s), "languages",
			   langs));
}

static void runner_disconnect(struct sio_socket *s, void *state)
{
	struct runner *x = state;

	if (!x->ready)
		return;
	/* nothing can re-attach to it: a pipe run ends with its last
	 * subscriber (run.h) */
	stream_release(&x->st);
	buf_release(&x->line);
	x->ready = false;
}

static void runner_drained(struct sio_socket *s, void *state)
{
	struct runner *x = state;

	if (x->ready)
		stream_drained(&x->st);
}

/* The payload object, or NULL after refusing the call. */
static json_t *payload(struct sio_socket *s, struct sio_call *call)
{
	if (!json_is_object(call->arg)) {
		sio_fail(s, call, "'%s' wants an object argument", call->event);
		return NULL;
	}
	return call->arg;
}

/* start_interactive in a room: the room's run. */
static void start_target(struct sio_socket *s, struct runner *x,
			 struct sio_call *call, json_t *code, json_t *lang)
{
	const char *why;

	if ((code && !json_is_null(code) && !json_is_string(code)) ||
	    (lang && !json_is_null(lang) && !json_is_string(lang))) {
		sio_fail(s, call, "'code' and 'language' must be strings");
		return;
	}
	why = x->target->start(x->target_ctx,
			       json_is_string(code) ? json_string_value(code)
						    : NULL,
			       json_string_length(code),
			       json_is_string(lang) && json_string_length(lang)
				   ? json_string_value(lang)
				   : NULL);
	if (why) {
		sio_fail(s, call, "%s", why);
		return;
	}
	sio_ack(s, call,
		json_pack("{s:b, s:s, s:s}", "ok", 1, "run", x->st.run_id,
			  "language",
			  x->st.sub.run ? run_lang(x->st.sub.run)->id : ""));
}

static void on_start(struct sio_socket *s, void *state, struct sio_call *call)
{
	struct runner *x = state;
	struct app *app = sio_socket_app(s);
	json_t *msg = payload(s, call), *code, *lang;
	struct run *run;
	int err;

	if (!msg)
		return;
	code = json_object_get(msg, "code");
	lang = json_object_get(msg, "language");
	if (x->target) {
		start_target(s, x, call, code, lang);
		return;
	}
	if (stream_active_run(&x->st)) {
		sio_fail(s, call,
			 "a program is already running; stop it first");
		return;
	}
	if (!json_is_string(code)) {
		sio_fail(s, call, "'code' must be a string");
		return;
	}
	if (lang && !json_is_null(lang) && !json_is_string(lang)) {
		sio_fail(s, call, "'language' must be a string");
		return;
	}
	const char *name = json_is_string(lang) && json_string_length(lang)
			       ? json_string_value(lang)
			       : "python";
	const struct lang *l = lang_find(app->langs, name);
	if (!l || !l->available) {
		sio_fail(s, call,
			 l ? "language '%.64s' is not installed on "
			     "this server"
			   : "unsupported language '%.64s'",
			 name);
		return;
	}
	struct run_request req = {
	    .lang = l,
	    .code = json_string_value(code),
	    .code_len = json_string_length(code),
	    .mode = RUN_PIPES,
	    .keep_stdin = true,
	    .interactive = true, /* a person types: not batch limits */
	    .cls = RUN_INTERACTIVE,
	    .client = sio_socket_client(s),
	};
	stream_reset(&x->st, false);
	reset_text(x);
	err = run_start(app->engine, &req, &x->st.sub, &run);
	if (err == -EAGAIN || err == -EBUSY) {
		sio_fail(s, call, "the server is full; try again later");
		return;
	}
	if (err == -EDQUOT) {
		sio_fail(s, call,
			 "too many runs from your address (or token) are "
			 "waiting already; try again when one has started");
		return;
	}
	if (err) {
		sio_fail(s, call, "cannot start the program: %s",
			 strerror(-err));
		return;
	}
	snprintf(x->st.run_id, sizeof(x->st.run_id), "%s", run_id(run));
	x->started_sent = false;
	if (run_queue_ahead(run) >= 0) /* "started" once admitted */
		emit_queued(x, (unsigned)run_queue_ahead(run));
	else
		emit_started(x, run);
	sio_ack(s, call,
		json_pack("{s:b, s:s, s:s}", "ok", 1, "run", x->st.run_id,
			  "language", l->id));
}

/* send_input in a room: the text and a newline, at once. */
static void input_target(struct sio_socket *s, struct runner *x,
			 struct sio_call *call, json_t *text)
{
	size_t n = json_string_length(text);
	char *line = malloc(n + 1);
	const char *why;

	if (!line) {
		sio_fail(s, call, "out of memory");
		return;
	}
	memcpy(line, json_string_value(text), n);
	line[n] = '\n';
	why = x->target->input(x->target_ctx, line, n + 1);
	free(line);
	if (why)
		sio_fail(s, call, "%s", why);
}

static void on_input(struct sio_socket *s, void *state, struct sio_call *call)
{
	struct runner *x = state;
	struct run *run = stream_active_run(&x->st);
	json_t *text = NULL;
	int err;

	if (json_is_string(call->arg)) /* a bare string: lenient */
		text = call->arg;
	else if (json_is_object(call->arg))
		text = json_object_get(call->arg, "input")
			   ? json_object_get(call->arg, "input")
			   : json_object_get(call->arg, "data");
	if (!json_is_string(text)) {
		sio_fail(s, call, "'send_input' wants {\"input\": \"text\"}");
		return;
	}
	if (x->target) {
		input_target(s, x, call, text);
		return;
	}
	if (!run) {
		sio_fail(s, call, "no program is running");
		return;
	}
	buf_reset(&x->line); /* the next prompt starts here */
	err = run_input(run, json_string_value(text), json_string_length(text));
	if (!err)
		err = run_input(run, "\n", 1);
	if (err)
		sio_fail(s, call,
			 err == -ENOBUFS
			     ? "the program is not reading its input"
			     : "the program's input is closed");
}

static void on_stop(struct sio_socket *s, void *state, struct sio_call *call)
{
	struct runner *x = state;
	struct run *run = stream_active_run(&x->st);
	const char *why;

	if (x->target) {
		if ((why = x->target->stop(x->target_ctx)))
			sio_fail(s, call, "%s", why);
		return;
	}
	if (!run) {
		sio_fail(s, call, "no program is running");
		return;
	}
	run_kill(run, RUN_KILL_USER);
}

void sio_runner_set_target(struct sio_socket *s, const struct sio_run_target *t,
			   void *ctx)
{
	struct runner *x = sio_socket_state(s, &sio_runner);

	if (!x || !x->ready)
		return;
	x->target = t;
	x->target_ctx = t ? ctx : NULL;
}

/* The socket fell behind a room's run: detached rather than pausing the
 * run for every member (stream.h). */
static void on_lagged(struct stream *st)
{
	struct runner *x = runner_of_stream(st);

	sio_emit(
	    x->s, "error",
	    json_pack("{s:s}", "message",
		      "this page fell behind the session's run: its output is "
		      "skipped until the page has caught up"));
}

/* ... and caught up: live output again. Unlike a terminal, a page that
 * appends output cannot take the scrollback a second time: it is
 * skipped, so the output resumes where the room's run is now. */
static void on_caught_up(struct stream *st)
{
	struct runner *x = runner_of_stream(st);
	struct run *run = run_find(sio_socket_app(x->s)->engine, st->run_id);

	if (!run) {
		sio_emit(
		    x->s, "error",
		    json_pack(
			"{s:s}", "message",
			"the session's run ended while this page was behind"));
		return;
	}
	x->skip_replay = true;
	run_attach(run, &st->sub); /* an exited run: exit at once */
	x->skip_replay = false;
}

void sio_runner_watch(struct sio_socket *s, struct run *run)
{
	struct runner *x = sio_socket_state(s, &sio_runner);

	if (!x || !x->ready)
		return;
	stream_reset(&x->st, false);
	/* one of the room's watchers: lag rather than pause (stream.h) */
	x->st.shared = true;
	x->st.lagged = on_lagged;
	x->st.caught_up = on_caught_up;
	reset_text(x);
	snprintf(x->st.run_id, sizeof(x->st.run_id), "%s", run_id(run));
	emit_started(x, run);
	run_attach(run, &x->st.sub); /* the scrollback first, if any */
}

void sio_runner_unwatch(struct sio_socket *s)
{
	struct runner *x = sio_socket_state(s, &sio_runner);

	if (!x || !x->ready)
		return;
	stream_reset(&x->st, false);
	x->st.run_id[0] = '\0';
}

bool sio_runner_busy(const struct sio_socket *s)
{
	const struct runner *x = sio_socket_state(s, &sio_runner);

	return x && x->ready && !x->target && stream_active_run(&x->st);
}

static const struct sio_event events[] = {
    {"start_interactive", on_start},
    {"send_input", on_input},
    {"stop", on_stop},
    {NULL, NULL},
};

const struct sio_module sio_runner = {
    .name = "runner",
    .state_size = sizeof(struct runner),
    .connect = runner_connect,
    .disconnect = runner_disconnect,
    .drained = runner_drained,
    .events = events,
};
