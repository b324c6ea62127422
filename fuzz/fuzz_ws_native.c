/*
 * fuzz_ws_native.c - the coderoom.v1 message path (src/proto/ws_native.c)
 * without the network.
 *
 * ws_native.c and stream.c are linked as they are; what they call in
 * conn.c and run.c is replaced here by a small model (a link seam):
 * replies are collected as JSON, and a fake run engine starts, feeds, stops
 * and re-attaches one run so the exited/attach/input paths run too.
 *
 * Input: messages separated by '\n'; a message whose first byte is 0x01 is
 * a binary frame of the rest (0x00 first is terminal input), any other a
 * text frame. Checks: every reply is a JSON object with a string "type",
 * every error has a string "code" and "message", a message that is not
 * input/ack gets at least one reply (an error message that jansson
 * refuses would leave the client without an answer), and nothing leaks.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "lib/utf8.h"
#include "net/conn.h"
#include "net/server.h"
#include "net/ws.h"
#include "proto/app.h"
#include "proto/native.h"
#include "proto/routes.h"
#include "run/lang.h"
#include "run/run.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

static unsigned replies; /* JSON replies sent for the current message */
static int rate_left;	 /* control messages left this "second" */

/* ---- conn.c, modelled ---------------------------------------------------- */

int conn_send_json(struct conn *c, json_t *j)
{
	CHECK(j != NULL); /* ws_native passes what json_pack built */
	CHECK(json_is_object(j));
	CHECK(json_is_string(json_object_get(j, "type")));
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
	CHECK(s != NULL);
	CHECK(utf8_valid_prefix(s, strlen(s)) == strlen(s));
	free(s);
	json_decref(j);
	replies++;
	return 0;
}

int conn_send_error(struct conn *c, const char *code, const char *field,
		    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* as conn.c does: a "%.64s" or the 512-byte buffer can cut a
	 * character of the client's text in two, and json_pack() would fail
	 * (the client then got no error at all; corpus/ws_native/utf8-cut-*) */
	msg[utf8_valid_prefix(msg, strlen(msg))] = '\0';
	CHECK(utf8_valid_prefix(msg, strlen(msg)) == strlen(msg));
	json_t *j = json_pack("{s:s, s:s, s:s}", "type", "error", "code", code,
			      "message", msg);
	CHECK(j != NULL);
	if (field)
		json_object_set_new(j, "field", json_string(field));
	return conn_send_json(c, j);
}

int conn_send_binary(struct conn *c, unsigned char tag, const void *p, size_t n)
{
	CHECK(tag == RUN_STDOUT || tag == RUN_STDERR);
	c->q.bytes += n; /* the model's queue only counts */
	return 0;
}

bool conn_rate_ok(struct conn *c)
{
	if (rate_left-- > 0)
		return true;
	if (rate_left == -1) /* the first one over is told */
		conn_send_error(c, "rate_limited", NULL, "too many");
	return false;
}

size_t conn_queued(const struct conn *c)
{
	return c->q.bytes;
}

void conn_close(struct conn *c, uint16_t code, const char *reason)
{
	c->closing = true;
}

/* ---- run.c, modelled: at most one run, kept until the input ends ------ */

struct run {
	char id[33];
	const struct lang *lang;
	bool queued;		/* "QUE": it waits in the queue */
	enum run_mode mode;	/* RUN_PIPES with "stdin" */
	enum run_state state;
	struct limits lim;
	struct run_result res;
	struct run_sub *sub;
	bool live;
};

static struct run the_run;
static struct run_engine engine;

const char *run_status_name(enum run_status s)
{
	return s == RUN_OK ? "ok" : "killed";
}

const char *run_start_error(int err)
{
	return err == -EAGAIN ? "busy" : "error";
}

enum run_state run_get_state(const struct run *r)
{
	return r->state;
}
const char *run_id(const struct run *r)
{
	return r->id;
}
const struct limits *run_limits(const struct run *r)
{
	return &r->lim;
}
const struct lang *run_lang(const struct run *r)
{
	return r->lang;
}
enum run_mode run_get_mode(const struct run *r)
{
	return r->mode;
}
const char *run_entry_name(const struct lang *l, const char *given)
{
	return l->entry_named && given && *given ? given : l->file;
}
int run_queue_ahead(const struct run *r)
{
	return r->queued && r->state != RUN_EXITED ? 2 : -1;
}

/* The rooms (ws_room.c) are fuzz_room_msg.c's: here no message is a room
 * message, so "join" and the others take the unknown-type path. */
bool ws_room_message(struct conn *c, const char *type, json_t *msg)
{
	(void)c, (void)type, (void)msg;
	return false;
}
void ws_room_input(struct conn *c, const char *p, size_t n)
{
	(void)c, (void)p, (void)n;
}
void ws_room_closed(struct conn *c)
{
	(void)c;
}

/* ---- app.c, modelled: no tokens, one client ---------------------------- */

bool app_token_ok(const struct conn *c)
{
	return true;
}

void app_client(const struct conn *c, char *out, size_t len)
{
	snprintf(out, len, "a127.0.0.1");
}

int run_start(struct run_engine *e, const struct run_request *req,
	      struct run_sub *sub, struct run **out)
{
	CHECK(req->lang && (req->code || req->nfiles));
	CHECK(!req->code || !req->nfiles);
	for (size_t i = 0; i < req->nfiles; i++)
		CHECK(req->files[i].name &&
		      sandbox_path_ok(req->files[i].name,
				      strlen(req->files[i].name)));
	CHECK(req->mode == RUN_TTY || req->mode == RUN_PIPES);
	CHECK(req->mode == RUN_TTY || req->stdin_data);
	for (size_t i = 0; req->args && req->args[i]; i++)
		CHECK(i < 256 && strlen(req->args[i]) <= 4096);
	CHECK(req->rows >= 1 && req->rows <= 1000);
	CHECK(req->cols >= 1 && req->cols <= 1000);
	CHECK(sub->run == NULL);
	if (req->code_len == 3 && !memcmp(req->code, "BSY", 3))
		return -EAGAIN;
	if (req->code_len == 3 && !memcmp(req->code, "ERR", 3))
		return -ENOMEM;
	if (req->code_len == 3 && !memcmp(req->code, "FUL", 3))
		return -EBUSY;
	if (req->code_len == 3 && !memcmp(req->code, "QTA", 3))
		return -EDQUOT;
	if (the_run.sub) /* another conn would hold it: not modelled */
		return -EAGAIN;
	memset(&the_run, 0, sizeof(the_run));
	snprintf(the_run.id, sizeof(the_run.id), "%032x", 0xC0DE);
	the_run.state = RUN_RUNNING;
	the_run.lang = req->lang;
	the_run.mode = req->mode;
	the_run.queued = req->code_len == 3 && !memcmp(req->code, "QUE", 3);
	the_run.lim = e->max_tty;
	the_run.live = true;
	the_run.sub = sub;
	sub->run = &the_run;
	*out = &the_run;
	return 0;
}

struct run *run_find(struct run_engine *e, const char *id)
{
	return the_run.live && !strcmp(id, the_run.id) ? &the_run : NULL;
}

void run_detach(struct run_sub *sub)
{
	if (!sub->run)
		return;
	CHECK(sub->run == &the_run && the_run.sub == sub);
	the_run.sub = NULL;
	sub->run = NULL;
	sub->paused = false;
}

static void run_end(struct run *r, enum run_status st, const char *msg)
{
	struct run_sub *s = r->sub;

	r->state = RUN_EXITED;
	r->res.status = st;
	r->res.exit_code = st == RUN_OK ? 0 : -1;
	r->res.signal = st == RUN_OK ? 0 : 9;
	snprintf(r->res.message, sizeof(r->res.message), "%s", msg);
	if (s) {
		r->sub = NULL;
		s->run = NULL;
		s->paused = false;
		s->ops->exited(s, &r->res);
	}
}

void run_attach(struct run *r, struct run_sub *sub)
{
	CHECK(sub->run == NULL && r->sub == NULL);
	static const char scrollback[] = "scrollback\r\n";
	if (r->state == RUN_EXITED) {
		sub->ops->exited(sub, &r->res);
		return;
	}
	r->sub = sub;
	sub->run = r;
	sub->ops->output(sub, RUN_STDOUT, scrollback, sizeof(scrollback) - 1);
	if (sub->run == r && sub->ops->attached)	/* the replay is over */
		sub->ops->attached(sub, r->state);
}

void run_sub_pause(struct run_sub *sub, bool paused)
{
	sub->paused = paused;
}

int run_input(struct run *r, const char *p, size_t n)
{
	CHECK(r == &the_run && r->state != RUN_EXITED);
	if (n > 8192)
		return -ENOBUFS;
	/* the program echoes its input, and ends on "exit" */
	if (r->sub)
		r->sub->ops->output(r->sub, RUN_STDOUT, p, n);
	if (n == 4 && !memcmp(p, "exit", 4))
		run_end(r, RUN_OK, "exited with code 0");
	else if (n == 4 && !memcmp(p, "wait", 4) && r->sub)
		r->sub->ops->state(r->sub, RUN_WAITING);
	return 0;
}

bool run_tty_canonical(struct run *r)
{
	CHECK(r == &the_run && r->state != RUN_EXITED);
	return true;
}

int run_resize(struct run *r, uint16_t rows, uint16_t cols)
{
	CHECK(rows >= 1 && rows <= 1000 && cols >= 1 && cols <= 1000);
	return 0;
}

void run_kill(struct run *r, enum run_kill_reason why)
{
	CHECK(r->state != RUN_EXITED);
	run_end(r, RUN_KILLED, "stopped");
}

/* ---- the driver ---------------------------------------------------------- */

static struct lang_table langs;
static struct config cfg;
static struct server srv;
static struct app app;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const js[] = {
	    "{\"id\": \"python\", \"name\": \"Python\", \"aliases\": [\"py\"],"
	    " \"file\": \"main.py\", \"run\": [\"/usr/bin/python3\"]}",
	    "{\"id\": \"ghost\", \"file\": \"g\", \"run\": [\"/nonexistent\"]}",
	};
	char err[128];

	langs.n = 2;
	langs.v = calloc(2, sizeof(*langs.v));
	for (size_t i = 0; i < 2; i++) {
		json_t *o = json_loads(js[i], 0, NULL);
		if (!o || lang_parse(o, &langs.v[i], err, sizeof(err)))
			abort();
		json_decref(o);
	}
	langs.v[0].available = true; /* no probe: python "is there" */
	limit_default_interactive(&engine.max_tty);
	srv.cfg = &cfg;
	srv.app = &app;
	app.cfg = &cfg;
	app.engine = &engine;
	app.langs = &langs;
	return 0;
}

static bool is_quiet(const char *p, size_t n)
{
	/* input and ack answer only on error; stop/resize/attach may be
	 * silent when they succeed, a run/ping never is */
	json_t *m =
	    json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	const char *t = json_string_value(json_object_get(m, "type"));
	bool quiet = t && (!strcmp(t, "input") || !strcmp(t, "ack") ||
			   !strcmp(t, "stop") || !strcmp(t, "resize") ||
			   !strcmp(t, "attach"));
	json_decref(m);
	return quiet;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn c;
	const char *p = (const char *)data, *end = p + size;

	if (!langs.v)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size > 1 << 16)
		return 0;
	memset(&c, 0, sizeof(c));
	memset(&the_run, 0, sizeof(the_run));
	c.srv = &srv;
	c.dialect = &ws_native;
	c.ws = true;
	rate_left = CONN_RATE_MAX;

	replies = 0;
	ws_native.open(&c);
	CHECK(replies == 1); /* hello */
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		bool binary = n && p[0] == 0x01;

		int before = rate_left;
		replies = 0;
		if (binary)
			ws_native.message(&c, p + 1, n - 1, true);
		else
			ws_native.message(&c, p, n, false);
		if (!binary && before > 0 && !is_quiet(p, n))
			CHECK(replies >= 1);
		if (c.q.bytes > (1u << 20))
			c.q.bytes = 0; /* "drained" */
		ws_native.drained(&c);
		if (!nl)
			break;
		p = nl + 1;
	}
	ws_native.closed(&c);
	CHECK(c.proto == NULL);
	CHECK(the_run.sub == NULL);
	return 0;
}
