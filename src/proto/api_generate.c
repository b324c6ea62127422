/*
 * api_generate.c - POST /api/generate {prompt, language, code?}: a model's
 * answer, streamed to the client as server-sent events.
 *
 * The request goes to the model endpoint (generate.h) with the server's
 * key; its answer (an OpenAI-compatible event stream, proto/openai.h)
 * comes back piece by piece and each piece, without its Markdown fences
 * (proto/fence.h), goes on to the client at once:
 *
 *   data: {"type":"start","model":"..."}
 *   data: {"type":"delta","text":"..."}             (any number)
 *   data: {"type":"done","text":"<the whole code>","finish_reason":"stop",
 *          "truncated":false}
 * or, when something fails after the start,
 *   data: {"type":"error","code":"...","message":"..."}
 *
 * "done"'s text is the final one (fence_strip() on the whole answer):
 * when the model wrote a sentence before its fenced code, the deltas let
 * it through and "done" does not. Failures before the start are plain
 * JSON errors with a status: 400 (the request), 429 (this client's rate),
 * 503 (not configured, or busy, or the model endpoint rate limits us),
 * 502 (the model endpoint failed or refused us), 504 (no answer in time).
 * Back-pressure: the model's answer is read only as fast as the client
 * takes ours (http_stream_*). A client that leaves cancels the request.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/sse.h"
#include "lib/utf8.h"
#include "net/conn.h"
#include "net/http.h"
#include "net/httpc.h"
#include "net/server.h"
#include "proto/api.h"
#include "proto/app.h"
#include "proto/fence.h"
#include "proto/generate.h"
#include "proto/openai.h"
#include "run/lang.h"

#define ERR_BODY_MAX 4096		/* of a failed answer, kept to explain */
#define SSE_LINE_MAX (256 * 1024)	/* one event line of the model's */

struct gen {
	struct conn *c;
	struct generator *g;
	struct httpc *up;		/* the request to the model, or NULL */
	char addr[64];			/* the client, for the rate */
	uint64_t start_ms;
	unsigned status;		/* the model endpoint's */
	unsigned retry_after;		/* its Retry-After, 0: none */
	bool streaming;			/* our answer has begun */
	bool ended;			/* ... and is over */
	struct buf errbody;		/* a failed answer's body */
	struct sse sse;
	struct fence fence;
	struct buf answer;		/* the text, as the model wrote it */
	struct buf out;			/* the fence's output, per delta */
	bool truncated;
	char finish[32];
	size_t sent;			/* code bytes sent in deltas */
};

static void gen_free(void *p)
{
	struct gen *x = p;

	httpc_close(x->up);
	x->up = NULL;
	generate_done(x->g, x->addr);
	sse_release(&x->sse);
	buf_release(&x->errbody);
	buf_release(&x->answer);
	buf_release(&x->out);
	free(x);
}

/* ---- our answer ------------------------------------------------------- */

/* One event, in one write: a refused write leaves no part of it behind. */
static void send_event(struct gen *x, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	char *ev = NULL;
	size_t n;

	json_decref(j);
	if (!s || x->ended)
		goto out;
	n = strlen(s);
	ev = malloc(n + 8);
	if (ev) {
		memcpy(ev, "data: ", 6);
		memcpy(ev + 6, s, n);
		memcpy(ev + 6 + n, "\n\n", 2);
	}
	if (!ev || http_stream_write(x->c, ev, n + 8)) {
		/* out of memory, or the client stopped reading far
		 * behind: give up */
		x->ended = true;
		http_stream_end(x->c);
	}
	if (x->up && http_stream_queued(x->c) > HTTP_STREAM_HIGH)
		httpc_pause(x->up, true);
out:
	free(ev);
	free(s);
}

static void on_drained(struct conn *c)
{
	struct gen *x = c->http ? c->http->api : NULL;

	if (x && x->up)
		httpc_pause(x->up, false);
}

static void log_end(struct gen *x, const char *how)
{
	char path[64];

	log_info("generate: %s %s: %s (%zu bytes of code in %llu ms)", x->addr,
		 log_safe(x->g->model, path, sizeof(path)), how,
		 x->sent, (unsigned long long)(server_now_ms() - x->start_ms));
}

/* Ends our answer with an error event (after the start) or a JSON error. */
static void fail(struct gen *x, unsigned status, const char *code,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fail(struct gen *x, unsigned status, const char *code,
		 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg[utf8_valid_prefix(msg, strlen(msg))] = '\0';
	httpc_close(x->up);
	x->up = NULL;
	x->g->failed++;
	log_end(x, msg);
	if (x->ended)
		return;
	if (!x->streaming) {
		char extra[64] = "";
		json_t *j = json_pack("{s:s, s:s}", "error", msg, "code", code);
		char *s = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (x->retry_after)
			snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
				 x->retry_after);
		http_reply(x->c, status, "application/json", s,
			   s ? strlen(s) : 0, extra);
		free(s);
		x->ended = true;
		return;
	}
	send_event(x, json_pack("{s:s, s:s, s:s}", "type", "error", "code",
				code, "message", msg));
	x->ended = true;
	http_stream_end(x->c);
}

/* The model finished: the last held bytes, then "done". */
static void finish(struct gen *x)
{
	struct buf final;

	httpc_close(x->up);
	x->up = NULL;
	if (x->ended)
		return;
	buf_reset(&x->out);
	if (fence_finish(&x->fence, &x->out) == 0 && x->out.len) {
		x->sent += x->out.len;
		send_event(x, json_pack("{s:s, s:s%}", "type", "delta", "text",
					x->out.data, x->out.len));
	}
	buf_init(&final, x->g->max_bytes + 1);
	fence_strip(buf_str(&x->answer), x->answer.len, &final);
	send_event(x, json_pack("{s:s, s:s%, s:s, s:b}", "type", "done",
				"text", buf_str(&final), final.len,
				"finish_reason",
				x->finish[0] ? x->finish : "stop",
				"truncated", x->truncated));
	buf_release(&final);
	x->g->total++;
	log_end(x, x->truncated ? "done, cut at the size cap" : "done");
	x->ended = true;
	http_stream_end(x->c);
}

/* A piece of the model's text: kept, and what the fence lets through
 * goes to the client. */
static void delta(struct gen *x, const char *p, size_t n)
{
	size_t room = x->g->max_bytes - x->answer.len;

	if (n > room) {
		n = utf8_valid_prefix(p, room);
		x->truncated = true;
	}
	buf_append(&x->answer, p, n);
	buf_reset(&x->out);
	if (fence_feed(&x->fence, p, n, &x->out)) {
		fail(x, 502, "too_large", "the answer is too large");
		return;
	}
	if (x->out.len) {
		x->sent += x->out.len;
		send_event(x, json_pack("{s:s, s:s%}", "type", "delta", "text",
					x->out.data, x->out.len));
	}
	if (x->truncated) {
		snprintf(x->finish, sizeof(x->finish), "length");
		finish(x);
	}
}

/* ---- the model's answer ----------------------------------------------- */

static int on_sse(void *arg, const char *type, const char *data, size_t len)
{
	struct gen *x = arg;
	struct openai_event ev;
	int r = openai_parse_event(type, data, len, &ev);

	if (r) {
		fail(x, 502, "malformed", "the model endpoint sent something "
		     "that is not an OpenAI-compatible chat stream");
		return 1;
	}
	switch (ev.kind) {
	case OPENAI_DONE:
		finish(x);
		r = 1;
		break;
	case OPENAI_ERROR:
		fail(x, 502, "model_error", "the model endpoint reported an "
		     "error: %.300s", ev.text);
		r = 1;
		break;
	case OPENAI_DELTA:
		if (ev.finish[0])
			snprintf(x->finish, sizeof(x->finish), "%s", ev.finish);
		if (ev.len)
			delta(x, ev.text, ev.len);
		r = x->ended ? 1 : 0;
		break;
	}
	openai_event_release(&ev);
	return r;
}

static void up_head(void *data, const struct httpc_head *h)
{
	struct gen *x = data;

	x->status = h->status;
	x->retry_after = h->retry_after > 0 ? (unsigned)h->retry_after : 0;
	if (h->status != 200)
		return;	/* the body says why: see up_done() */
	if (!strstr(h->content_type, "text/event-stream")) {
		fail(x, 502, "malformed", "the model endpoint did not answer "
		     "with a stream (Content-Type '%.64s'); is --ai-url an "
		     "OpenAI-compatible API?", h->content_type);
		return;
	}
	if (http_stream_begin(x->c, 200, "text/event-stream; charset=utf-8",
			      "X-Accel-Buffering: no\r\n", on_drained)) {
		fail(x, 500, "internal", "cannot answer");
		return;
	}
	x->streaming = true;
	send_event(x, json_pack("{s:s, s:s}", "type", "start", "model",
				x->g->model));
}

static void up_body(void *data, const char *p, size_t n)
{
	struct gen *x = data;
	int r;

	if (x->status != 200) {
		buf_append_some(&x->errbody, p, n);
		return;
	}
	if (x->ended)
		return;
	r = sse_feed(&x->sse, p, n, on_sse, x);
	if (r == -E2BIG)
		fail(x, 502, "malformed", "the model endpoint sent an event "
		     "over %d bytes", SSE_LINE_MAX);
}

/* Why a non-200 answer failed, in words, and what we answer for it. */
static void upstream_status(struct gen *x)
{
	char said[320], why[400];
	unsigned s = x->status;

	openai_error_text(x->errbody.data, x->errbody.len, said, sizeof(said));
	snprintf(why, sizeof(why), "%s%s", said[0] ? ": " : "", said);
	if (s == 401 || s == 403)
		fail(x, 502, "unauthorized", "the model endpoint refused the "
		     "server's API key (%u)%s", s, why);
	else if (s == 429) {
		if (!x->retry_after)
			x->retry_after = 10;
		fail(x, 503, "rate_limited", "the model endpoint is rate "
		     "limiting this server (429): try again in a moment%s", why);
	} else if (s == 404)
		fail(x, 502, "not_found", "the model endpoint has no such "
		     "model or path (404)%s", why);
	else if (s >= 500)
		fail(x, 502, "upstream", "the model endpoint failed (%u)%s", s,
		     why);
	else
		fail(x, 502, "upstream", "the model endpoint refused the "
		     "request (%u)%s", s, why);
}

static void up_done(void *data, int err, const char *why)
{
	struct gen *x = data;

	if (x->ended)
		return;
	if (err == -ETIMEDOUT) {
		fail(x, 504, "timeout", "the model endpoint did not finish its "
		     "answer in time (%s)", why);
		return;
	}
	if (err) {
		fail(x, 502, "unreachable", "cannot reach the model endpoint: %s",
		     why);
		return;
	}
	if (x->status != 200) {
		upstream_status(x);
		return;
	}
	/* the body ended without "[DONE]" */
	if (x->finish[0] && !sse_pending(&x->sse))
		finish(x);	/* a finish reason came: the answer is whole */
	else
		fail(x, 502, "cut", "the model endpoint ended its answer "
		     "before it was complete");
}

static const struct httpc_ops up_ops = {
	.head = up_head,
	.body = up_body,
	.done = up_done,
};

/* ---- the request ------------------------------------------------------ */

void api_generate(struct conn *c)
{
	struct app *a = app_of(c);
	struct generator *g = a->gen;
	struct generate_req req;
	char msg[256], *system = NULL, *user = NULL, *body = NULL;
	const char *field = NULL;
	unsigned retry;
	bool busy;
	struct gen *x;
	json_t *j, *rq;
	int r;

	if (!g || !g->enabled) {
		static const char off[] =
			"{\"error\":\"code generation is not configured on this "
			"server (it needs --ai-url and --ai-model, see "
			"docs/operations.md)\",\"code\":\"not_configured\"}";
		http_reply(c, 503, "application/json", off, sizeof(off) - 1,
			   NULL);
		return;
	}
	if (!(j = http_body_json(c)))
		return;
	if (generate_parse(j, a->langs, &req, &field, msg, sizeof(msg))) {
		http_reply_error(c, 400, field[0] ? field : NULL, "%s", msg);
		json_decref(j);
		return;
	}
	if (!generate_admit(g, c->peer, server_now_ms(), &retry, &busy)) {
		char extra[48];
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
			 retry ? retry : 5);
		json_t *e = json_pack("{s:s, s:s}", "code",
				      busy ? "busy" : "rate_limited", "error",
				      busy ? "the server is generating for many "
					     "people at once; try again shortly"
				      : retry ? "too many generations from this "
					  "address; try again in a moment"
				      : "this address has generations running "
					"already; wait for them to end");
		char *s = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		http_reply(c, busy ? 503 : 429, "application/json", s,
			   s ? strlen(s) : 0, extra);
		free(s);
		json_decref(j);
		return;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		generate_done(g, c->peer);
		json_decref(j);
		http_reply_error(c, 500, NULL, "out of memory");
		return;
	}
	x->c = c;
	x->g = g;
	snprintf(x->addr, sizeof(x->addr), "%s", c->peer);
	x->start_ms = server_now_ms();
	buf_init(&x->errbody, ERR_BODY_MAX);
	buf_init(&x->answer, g->max_bytes + 1);
	buf_init(&x->out, g->max_bytes + 1);
	sse_init(&x->sse, SSE_LINE_MAX, SSE_LINE_MAX);
	fence_init(&x->fence);
	c->http->api = x;
	c->http->api_free = gen_free;

	size_t plen = strlen(req.prompt);
	bool with_code = req.code != NULL;
	const char *lang_id = req.lang->id;	/* the table's, not the JSON's */

	r = generate_messages(&req, &system, &user);
	rq = r ? NULL : openai_chat_request(g->model, system, user);
	body = rq ? json_dumps(rq, JSON_COMPACT) : NULL;
	json_decref(rq);
	free(system);
	free(user);
	json_decref(j);	/* req pointed into it */
	if (!body) {
		fail(x, 500, "internal", "cannot build the request");
		return;
	}
	char headers[4096];
	snprintf(headers, sizeof(headers),
		 "Content-Type: application/json\r\n"
		 "Accept: text/event-stream\r\n"
		 "User-Agent: coderoom/%s\r\n%s", CODEROOM_VERSION,
		 g->auth ? g->auth : "");
	struct httpc_request hr = {
		.url = &g->url,
		.method = "POST",
		.headers = headers,
		.body = body,
		.len = strlen(body),
		.timeout_ms = g->timeout_ms,
		.tls = g->tls,
	};
	r = httpc_start(g->loop, &hr, &up_ops, x, &x->up);
	explicit_bzero(headers, sizeof(headers));
	free(body);
	if (r) {
		x->up = NULL;
		fail(x, 502, "unreachable", "cannot reach the model endpoint: %s",
		     strerror(-r));
		return;
	}
	log_info("generate: %s: %s for '%s' (prompt %zu bytes%s)", x->addr,
		 g->model, lang_id, plen, with_code ? ", with code" : "");
}
