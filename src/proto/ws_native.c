/*
 * ws_native.c - /ws, the coderoom.v1 protocol (docs/protocol.md).
 *
 * A connection owns at most one run at a time and may watch one it
 * re-attached to. Terminal bytes travel as binary frames tagged with their
 * stream; everything else is JSON. Back-pressure: the run is paused while
 * this socket's queue, or (with "ack": true) the client's unacknowledged
 * bytes, are above the high watermark. The room messages, and the run
 * messages of a connection in a room, are ws_room.c's.
 *
 * With API tokens configured, a connection without one (header, "token"
 * query argument or "coderoom.token.TOKEN" subprotocol) gets an error and
 * close 4001. A run that finds the server full waits in the queue: the
 * client sees "queued" (with how many are ahead, again as that changes),
 * then "started".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "net/conn.h"
#include "net/ws.h"
#include "proto/app.h"
#include "proto/generate.h"
#include "proto/native.h"
#include "proto/report.h"
#include "proto/rules.h"
#include "proto/routes.h"
#include "proto/stream.h"

#define native_of_sub(subp) \
	((struct native *)((char *)stream_of(subp) - offsetof(struct native, st)))

static void on_output(struct run_sub *sub, enum run_stream stream,
		      const char *p, size_t n)
{
	struct native *nc = native_of_sub(sub);

	conn_send_binary(nc->st.c, (unsigned char)stream, p, n);
	stream_sent(&nc->st, n);
}

static void on_state(struct run_sub *sub, enum run_state state)
{
	struct native *nc = native_of_sub(sub);

	conn_send_json(nc->st.c, json_pack("{s:s, s:s}", "type",
					   state == RUN_WAITING ?
					   "waiting_for_input" : "running",
					   "run", nc->st.run_id));
}

static void send_queued(struct native *nc, unsigned ahead);

/* "attached" follows the scrollback replay, before live output. */
static void send_attached(struct native *nc, enum run_state state)
{
	nc->attaching = false;
	struct run *run = nc->st.sub.run;

	conn_send_json(nc->st.c, json_pack("{s:s, s:s, s:s}", "type",
					   "attached", "run", nc->st.run_id,
					   "state",
					   state == RUN_EXITED ? "exited" :
					   state == RUN_WAITING ?
					   "waiting_for_input" :
					   run && run_queue_ahead(run) >= 0 ?
					   "queued" : "running"));
	if (run && run_queue_ahead(run) >= 0)
		send_queued(nc, (unsigned)run_queue_ahead(run));
}

static void on_exited(struct run_sub *sub, const struct run_result *res)
{
	struct native *nc = native_of_sub(sub);
	struct conn *c = nc->st.c;

	if (nc->attaching)	/* attached to a run that had already ended */
		send_attached(nc, RUN_EXITED);
	if (res->start_error == -EBUSY || res->start_error == -EAGAIN)
		/* cluster: refused once queued, as run_start() refuses */
		conn_send_error(c, "server_busy", NULL, "%s",
				run_start_error(res->start_error));
	conn_send_json(c, json_pack(
		"{s:s, s:s, s:o, s:o, s:s, s:s, s:I, s:I, s:I, s:I, s:b}",
		"type", "exited", "run", nc->st.run_id,
		"code", res->exit_code >= 0 ? json_integer(res->exit_code)
					    : json_null(),
		"signal", report_signal(res->signal),
		"status", run_status_name(res->status),
		"message", res->message,
		"wall_ms", (json_int_t)res->wall_ms,
		"cpu_ms", (json_int_t)res->cpu_ms,
		"memory_bytes", (json_int_t)res->memory_bytes,
		"output_bytes", (json_int_t)(res->bytes[1] + res->bytes[2]),
		"truncated", res->truncated[1] || res->truncated[2]));
	stream_unpause(&nc->st);
}

/* A usage sample: dropped rather than queued behind output the client
 * has not read (the next one is a quarter of a second away). */
static void on_usage(struct run_sub *sub, const struct run_usage *u)
{
	struct native *nc = native_of_sub(sub);

	if (conn_queued(nc->st.c) > STREAM_LOW)
		return;
	conn_send_json(nc->st.c, json_pack(
		"{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:i}",
		"type", "usage", "run", nc->st.run_id,
		"step", u->step == RUN_STEP_COMPILE ? "compile" : "run",
		"cpu_ms", (json_int_t)u->cpu_ms,
		"wall_ms", (json_int_t)u->wall_ms,
		"memory_bytes", (json_int_t)u->memory_bytes,
		"memory_peak", (json_int_t)u->memory_peak,
		"pids", (int)u->pids));
}

/* The scrollback is replayed: live output follows. */
static void on_attached(struct run_sub *sub, enum run_state state)
{
	struct native *nc = native_of_sub(sub);

	if (nc->attaching)
		send_attached(nc, state);
}

/* Cluster mode: the run attached to by id exists nowhere. */
static void on_missing(struct run_sub *sub)
{
	struct native *nc = native_of_sub(sub);

	nc->attaching = false;
	conn_send_error(nc->st.c, "no_such_run", "run", "no run '%s' (it "
			"ended, or never was)", nc->st.run_id);
	nc->st.run_id[0] = '\0';
}

/* Cluster mode: the link to the run's cluster went down or came back. */
static void on_link(struct run_sub *sub, bool up)
{
	struct native *nc = native_of_sub(sub);

	if (up)
		conn_send_json(nc->st.c, json_pack("{s:s, s:s}", "type",
						   "reconnected", "run",
						   nc->st.run_id));
	else
		conn_send_json(nc->st.c, json_pack(
			"{s:s, s:s, s:s}", "type", "reconnecting", "run",
			nc->st.run_id, "message", "the server lost its link to "
			"the cluster; the program goes on and its output will "
			"follow when the link is back"));
}

static void send_queued(struct native *nc, unsigned ahead)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "waiting for a free slot: %u ahead", ahead);
	conn_send_json(nc->st.c, json_pack("{s:s, s:s, s:i, s:s}", "type",
					   "queued", "run", nc->st.run_id,
					   "ahead", (int)ahead,
					   "message", msg));
}

static void on_queued(struct run_sub *sub, unsigned ahead)
{
	send_queued(native_of_sub(sub), ahead);
}

static json_t *limits_json(const struct limits *l);

static void send_started(struct native *nc, struct run *run)
{
	conn_send_json(nc->st.c, json_pack("{s:s, s:s, s:s, s:o, s:s}", "type",
					   "started", "run", nc->st.run_id,
					   "language", run_lang(run)->id,
					   "limits", limits_json(run_limits(run)),
					   "input", run_get_mode(run) == RUN_PIPES ?
					   "stdin" : "terminal"));
}

static void on_admitted(struct run_sub *sub)
{
	struct native *nc = native_of_sub(sub);

	if (sub->run)
		send_started(nc, sub->run);
}

static const struct run_sub_ops sub_ops = {
	.output = on_output,
	.state = on_state,
	.exited = on_exited,
	.usage = on_usage,
	.attached = on_attached,
	.missing = on_missing,
	.link = on_link,
	.queued = on_queued,
	.admitted = on_admitted,
};

static json_t *limits_json(const struct limits *l)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:i}",
			 "cpu_ms", (json_int_t)l->cpu_ms,
			 "wall_ms", (json_int_t)l->wall_ms,
			 "memory_bytes", (json_int_t)l->memory_bytes,
			 "output_bytes", (json_int_t)l->output_bytes,
			 "output_rate", (json_int_t)l->output_rate,
			 "output_burst", (json_int_t)l->output_burst,
			 "pids", (int)l->pids);
}

static void native_open(struct conn *c)
{
	struct native *nc = calloc(1, sizeof(*nc));

	if (!nc) {
		conn_close(c, 1011, "out of memory");
		return;
	}
	stream_init(&nc->st, c, &sub_ops);
	c->proto = nc;
	if (!app_token_ok(c)) {
		conn_send_error(c, "unauthorized", NULL, "a valid API token is "
				"required: the 'token' query argument, the "
				"subprotocol 'coderoom.token.TOKEN', or an "
				"Authorization header");
		conn_close(c, 4001, "unauthorized");
		return;
	}
	app_client(c, nc->client, sizeof(nc->client));
	const struct generator *g = app_of(c)->gen;
	conn_send_json(c, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}",
				    "type", "hello",
				    "version", CODEROOM_VERSION,
				    "protocol", "coderoom.v1",
				    "languages",
				    lang_table_json(app_of(c)->langs, true),
				    "limits",
				    limits_json(&app_of(c)->engine->max_tty),
				    "generate",
				    g && g->enabled ?
				    json_pack("{s:s}", "model", g->model) :
				    json_null()));
}

/* An optional integer field in [lo, hi]; false (and an error sent) if bad. */
static bool opt_int(struct conn *c, json_t *msg, const char *key, long lo,
		    long hi, long *out)
{
	json_t *v = json_object_get(msg, key);

	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		conn_send_error(c, "bad_field", key,
				"'%s' must be an integer from %ld to %ld", key,
				lo, hi);
		return false;
	}
	*out = (long)json_integer_value(v);
	return true;
}

/* An optional boolean field; false (and an error sent) if not one. */
static bool opt_bool(struct conn *c, json_t *msg, const char *key, bool *out)
{
	json_t *v = json_object_get(msg, key);

	if (!v)
		return true;
	if (!json_is_boolean(v)) {
		conn_send_error(c, "bad_field", key, "'%s' must be a boolean",
				key);
		return false;
	}
	*out = json_is_true(v);
	return true;
}

/*
 * The program's arguments: an array of at most NATIVE_ARGS_MAX strings of
 * at most NATIVE_ARG_BYTES bytes each, without NUL. Fills 'argv' (NULL-
 * terminated, borrowing the JSON's strings). False (and an error sent)
 * if bad.
 */
#define NATIVE_ARGS_MAX 256
#define NATIVE_ARG_BYTES 4096
static bool parse_args(struct conn *c, json_t *msg,
		       const char *argv[NATIVE_ARGS_MAX + 1])
{
	json_t *a = json_object_get(msg, "args"), *v;
	size_t i;

	argv[0] = NULL;
	if (!a)
		return true;
	if (!json_is_array(a) || json_array_size(a) > NATIVE_ARGS_MAX) {
		conn_send_error(c, "bad_field", "args", "'args' must be an "
				"array of at most %d strings",
				NATIVE_ARGS_MAX);
		return false;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) ||
		    json_string_length(v) > NATIVE_ARG_BYTES ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			conn_send_error(c, "bad_field", "args", "args[%zu] must "
					"be a string of at most %d bytes, "
					"without NUL", i, NATIVE_ARG_BYTES);
			return false;
		}
		argv[i] = json_string_value(v);
	}
	argv[i] = NULL;
	return true;
}

/*
 * A project: "files" [{name, content}], the entry file first, under the
 * rules every API shares (rules.h): relative paths (sandbox_path_ok()),
 * none clashing with another, the entry named as run_entry_name() says,
 * at most RULES_MAX_FILES. Contents are UTF-8 text. Fills 'out' (names and
 * data borrowed from the JSON, or the language's file name). False (and an
 * error sent) if bad.
 */
static bool parse_files(struct conn *c, json_t *files, const struct lang *l,
			struct sandbox_file out[RULES_MAX_FILES], size_t *n)
{
	char field[48];
	const char *key;
	json_t *f, *v;
	size_t i;

	if (!json_is_array(files) || !json_array_size(files) ||
	    json_array_size(files) > RULES_MAX_FILES) {
		conn_send_error(c, "bad_field", "files", "'files' must be an "
				"array of 1 to %d {name, content}",
				RULES_MAX_FILES);
		return false;
	}
	json_array_foreach(files, i, f) {
		json_t *name = json_object_get(f, "name");
		json_t *content = json_object_get(f, "content");

		snprintf(field, sizeof(field), "files[%zu]", i);
		if (!json_is_object(f) || !json_is_string(content) ||
		    !json_is_string(name)) {
			conn_send_error(c, "bad_field", field, "'%s' must be "
					"{name, content}, both strings", field);
			return false;
		}
		json_object_foreach(f, key, v) {
			if (strcmp(key, "name") && strcmp(key, "content")) {
				conn_send_error(c, "bad_field", field, "'%s' "
						"has an unknown field '%.32s'",
						field, key);
				return false;
			}
		}
		snprintf(field, sizeof(field), "files[%zu].name", i);
		const char *nm = json_string_value(name);
		size_t nl = json_string_length(name);
		if (strlen(nm) != nl || !sandbox_path_ok(nm, nl)) {
			conn_send_error(c, "bad_field", field, "%s is not a "
					"valid file path: relative, '/' between "
					"directories, no '.' or '..' or empty "
					"parts, no control characters, at most "
					"%d bytes", field, SANDBOX_PATH_MAX);
			return false;
		}
		if (i == 0)
			nm = run_entry_name(l, nm);
		for (size_t k = 0; k < i; k++) {
			if (sandbox_paths_clash(out[k].name, nm)) {
				conn_send_error(c, "bad_field", field, "%s "
						"clashes with files[%zu]: the "
						"same name, or a file and a "
						"directory of that name", field,
						k);
				return false;
			}
		}
		out[i] = (struct sandbox_file){
			.name = nm,
			.data = json_string_value(content),
			.len = json_string_length(content),
			.mode = 0644,
		};
	}
	*n = i;
	return true;
}

static void do_run(struct conn *c, json_t *msg)
{
	struct native *nc = native_of(c);
	json_t *code = json_object_get(msg, "code");
	json_t *lang = json_object_get(msg, "language");
	json_t *ack = json_object_get(msg, "ack");
	json_t *in = json_object_get(msg, "stdin");
	json_t *files = json_object_get(msg, "files");
	struct sandbox_file fv[RULES_MAX_FILES];
	size_t nfiles = 0;
	const char *argv[NATIVE_ARGS_MAX + 1];
	long rows = 24, cols = 80;
	bool usage = false;
	struct run *run;
	int err;

	if (stream_active_run(&nc->st)) {
		conn_send_error(c, "busy", NULL,
				"a run is already active on this connection; "
				"stop it first");
		return;
	}
	if (code && files) {
		conn_send_error(c, "bad_field", "files", "send 'code' or "
				"'files', not both");
		return;
	}
	if (!files && !json_is_string(code)) {
		conn_send_error(c, "bad_field", "code",
				"'code' must be a string (or send 'files')");
		return;
	}
	if (lang && !json_is_string(lang)) {
		conn_send_error(c, "bad_field", "language",
				"'language' must be a string");
		return;
	}
	if (ack && !json_is_boolean(ack)) {
		conn_send_error(c, "bad_field", "ack", "'ack' must be a boolean");
		return;
	}
	if (in && !json_is_string(in)) {
		conn_send_error(c, "bad_field", "stdin",
				"'stdin' must be a string");
		return;
	}
	if (!opt_int(c, msg, "rows", 1, 1000, &rows) ||
	    !opt_int(c, msg, "cols", 1, 1000, &cols) ||
	    !opt_bool(c, msg, "usage", &usage) || !parse_args(c, msg, argv))
		return;
	const char *name = lang ? json_string_value(lang) : "python";
	const struct lang *l = lang_find(app_of(c)->langs, name);
	if (!l || !l->available) {
		conn_send_error(c, "unknown_language", "language",
				l ? "language '%s' is not installed on this "
				    "server" : "unknown language '%s'", name);
		return;
	}
	if (files && !parse_files(c, files, l, fv, &nfiles))
		return;
	struct run_request req = {
		.lang = l,
		.code = files ? NULL : json_string_value(code),
		.code_len = files ? 0 : json_string_length(code),
		.files = files ? fv : NULL,
		.nfiles = nfiles,
		.args = argv,
		/* prepared input: pipes, not the terminal (the limits stay
		 * the interactive ones: a person is watching) */
		.mode = in ? RUN_PIPES : RUN_TTY,
		.interactive = in != NULL,
		.stdin_data = in ? json_string_value(in) : NULL,
		.stdin_len = in ? json_string_length(in) : 0,
		.rows = (uint16_t)rows,
		.cols = (uint16_t)cols,
		.cls = RUN_INTERACTIVE,
		.client = nc->client,
	};
	const struct run_engine *e = app_of(c)->engine;
	stream_reset(&nc->st, ack && json_is_true(ack));
	nc->usage = usage;
	nc->st.sub.usage = usage;
	err = run_start(app_of(c)->engine, &req, &nc->st.sub, &run);
	if ((err == -EBUSY || err == -EAGAIN) && !app_of(c)->cluster) {
		conn_send_error(c, "server_busy", NULL,
				"the server is full and %u runs are waiting "
				"already; try again later",
				e->q[RUN_INTERACTIVE].waiting);
		return;
	}
	if (err == -EBUSY || err == -EAGAIN) {
		conn_send_error(c, "server_busy", NULL, "%s", run_start_error(err));
		return;
	}
	if (err == -ENOTCONN || err == -EHOSTUNREACH) {
		conn_send_error(c, "unavailable", NULL, "%s", run_start_error(err));
		return;
	}
	if (err == -EDQUOT) {
		conn_send_error(c, "too_many_runs", NULL,
				"%u runs from your address (or token) are "
				"waiting already; try again when one has "
				"started", e->q[RUN_INTERACTIVE].client_queue_max);
		return;
	}
	if (err) {
		conn_send_error(c, "internal", NULL, "cannot start the run: %s",
				run_start_error(err));
		return;
	}
	snprintf(nc->st.run_id, sizeof(nc->st.run_id), "%s", run_id(run));
	if (run_queue_ahead(run) >= 0)
		send_queued(nc, (unsigned)run_queue_ahead(run));
	else
		send_started(nc, run);
}

/* A room member fell behind the room's run: detached until it catches up. */
static void on_lagged(struct stream *st)
{
	conn_send_json(st->c, json_pack("{s:s, s:s}", "type", "lagging", "run",
					st->run_id));
}

/* ... and caught up: the scrollback again, then live output. */
static void on_caught_up(struct stream *st)
{
	struct run *run = run_find(app_of(st->c)->engine, st->run_id);

	if (!run) {
		conn_send_error(st->c, "no_such_run", "run", "the run ended "
				"while this connection was behind");
		return;
	}
	native_watch(st->c, run, true, NULL);
}

void native_watch(struct conn *c, struct run *run, bool replay,
		  const char *by)
{
	struct native *nc = native_of(c);

	stream_reset(&nc->st, nc->ack);
	nc->st.sub.usage = nc->usage;
	nc->st.shared = true;
	nc->st.lagged = on_lagged;
	nc->st.caught_up = on_caught_up;
	snprintf(nc->st.run_id, sizeof(nc->st.run_id), "%s", run_id(run));
	if (!replay) {
		/* a remote run followed by id may not know its language
		 * yet (cluster mode): the room's is the client's guess */
		const struct lang *l = run_lang(run);
		json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "type", "started",
				      "run", nc->st.run_id, "language",
				      l ? json_string(l->id) : json_null(),
				      "limits", limits_json(run_limits(run)));
		if (j && by)
			json_object_set_new(j, "by", json_string(by));
		conn_send_json(c, j);
		run_attach(run, &nc->st.sub);
		return;
	}
	nc->attaching = true;
	run_attach(run, &nc->st.sub);	/* replays the scrollback */
	if (nc->attaching)
		send_attached(nc, run_get_state(run));
}

static void do_attach(struct conn *c, json_t *msg)
{
	struct native *nc = native_of(c);
	json_t *id = json_object_get(msg, "run");
	json_t *ack = json_object_get(msg, "ack");
	bool usage = false;
	struct run *run;

	if (!json_is_string(id)) {
		conn_send_error(c, "bad_field", "run", "'run' must be a string");
		return;
	}
	if (!opt_bool(c, msg, "usage", &usage))
		return;
	run = run_find(app_of(c)->engine, json_string_value(id));
	if (!run) {
		conn_send_error(c, "no_such_run", "run",
				"no run '%s' (it ended, or never was)",
				json_string_value(id));
		return;
	}
	if (nc->st.sub.run == run)
		return;
	if (stream_active_run(&nc->st)) {
		conn_send_error(c, "busy", NULL,
				"a run is already active on this connection");
		return;
	}
	stream_reset(&nc->st, ack && json_is_true(ack));
	nc->usage = usage;
	nc->st.sub.usage = usage;
	snprintf(nc->st.run_id, sizeof(nc->st.run_id), "%s", run_id(run));
	nc->attaching = true;
	/* replays the scrollback, then on_attached(); a remote run's comes
	 * from the cluster, later */
	run_attach(run, &nc->st.sub);
}

/* The longest run of bytes without a line end in p[0..n). */
static size_t longest_line(const char *p, size_t n)
{
	size_t best = 0, cur = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n' || p[i] == 4 /* ^D */)
			cur = 0;
		else if (++cur > best)
			best = cur;
	}
	return best;
}

static void do_input(struct conn *c, const char *p, size_t n)
{
	struct run *run = stream_active_run(&native_of(c)->st);
	int err;

	if (!run) {
		conn_send_error(c, "no_run", NULL, "no run to send input to");
		return;
	}
	/* A pasted line longer than the terminal's line buffer is cut by
	 * the kernel: say so rather than lose it silently. */
	if (n > RUN_TTY_LINE_MAX && longest_line(p, n) > RUN_TTY_LINE_MAX &&
	    run_tty_canonical(run))
		conn_send_error(c, "line_too_long", NULL,
				"a terminal line holds at most %d bytes: the "
				"program reads only the first %d of this one",
				RUN_TTY_LINE_MAX, RUN_TTY_LINE_MAX);
	err = run_input(run, p, n);
	if (err == -ENOBUFS)
		conn_send_error(c, "input_overflow", NULL,
				"the program is not reading its input; "
				"%zu bytes dropped", n);
	else if (err)
		conn_send_error(c, "no_run", NULL, "the program's input is closed");
}

static void native_message(struct conn *c, const char *p, size_t n,
			   bool binary)
{
	struct native *nc = native_of(c);
	json_error_t jerr;
	json_t *msg, *type;
	const char *t;

	if (binary) {
		if (n == 0 || p[0] != 0x00) {
			conn_send_error(c, "bad_message", NULL,
					"binary frames must start with 0x00 "
					"(terminal input)");
			return;
		}
		if (nc->member.room)
			ws_room_input(c, p + 1, n - 1);
		else
			do_input(c, p + 1, n - 1);
		return;
	}
	msg = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!msg) {
		conn_send_error(c, "bad_json", NULL, "invalid JSON: %s", jerr.text);
		return;
	}
	type = json_object_get(msg, "type");
	if (!json_is_object(msg) || !json_is_string(type)) {
		conn_send_error(c, "bad_message", "type",
				"a message must be an object with a string "
				"'type'");
		goto out;
	}
	t = json_string_value(type);
	if (strcmp(t, "input") && strcmp(t, "ack") && !conn_rate_ok(c))
		goto out;
	if (ws_room_message(c, t, msg))
		goto out;
	if (strcmp(t, "run") == 0) {
		do_run(c, msg);
	} else if (strcmp(t, "stop") == 0) {
		if (stream_active_run(&nc->st))
			run_kill(nc->st.sub.run, RUN_KILL_USER);
		else
			conn_send_error(c, "no_run", NULL, "no run to stop");
	} else if (strcmp(t, "input") == 0) {
		json_t *d = json_object_get(msg, "data");
		if (!json_is_string(d))
			conn_send_error(c, "bad_field", "data",
					"'data' must be a string");
		else
			do_input(c, json_string_value(d), json_string_length(d));
	} else if (strcmp(t, "resize") == 0) {
		long rows = 0, cols = 0;
		if (!json_object_get(msg, "rows") || !json_object_get(msg, "cols"))
			conn_send_error(c, "bad_field", "rows",
					"'rows' and 'cols' are required");
		else if (opt_int(c, msg, "rows", 1, 1000, &rows) &&
			 opt_int(c, msg, "cols", 1, 1000, &cols) &&
			 stream_active_run(&nc->st))
			run_resize(nc->st.sub.run, (uint16_t)rows, (uint16_t)cols);
	} else if (strcmp(t, "ack") == 0) {
		json_t *b = json_object_get(msg, "bytes");
		if (!json_is_integer(b) || json_integer_value(b) < 0) {
			conn_send_error(c, "bad_field", "bytes",
					"'bytes' must be a non-negative integer");
		} else {
			stream_ack(&nc->st, (uint64_t)json_integer_value(b));
		}
	} else if (strcmp(t, "attach") == 0) {
		do_attach(c, msg);
	} else if (strcmp(t, "ping") == 0) {
		json_object_set_new(msg, "type", json_string("pong"));
		conn_send_json(c, json_incref(msg));
	} else {
		conn_send_error(c, "unknown_type", "type",
				"unknown message type '%.64s'", t);
	}
out:
	json_decref(msg);
}

static void native_closed(struct conn *c)
{
	struct native *nc = native_of(c);

	if (!nc)
		return;
	ws_room_closed(c);
	stream_release(&nc->st);
	free(nc);
	c->proto = NULL;
}

static void native_drained(struct conn *c)
{
	if (native_of(c))
		stream_drained(&native_of(c)->st);
}

const struct ws_dialect ws_native = {
	.path = "/ws",
	.open = native_open,
	.message = native_message,
	.closed = native_closed,
	.drained = native_drained,
};
