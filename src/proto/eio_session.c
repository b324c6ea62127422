/*
 * eio_session.c - one Engine.IO v4 session as a pure state machine.
 *
 * Two queues: 'out' holds the packets for the client (handshake, pings,
 * messages, the final "1") until a transport takes them; 'acts' holds the
 * actions decided so far (replies, frames, deliveries, closes). pop()
 * serves 'acts' first, then turns 'out' into a frame (WebSocket) or the
 * reply to the held GET (polling), so messages sent between two pops
 * share one polling response. Every path that ends the session goes
 * through end_session(), which answers what is held and queues
 * EIO_ACT_CLOSED last.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/eio_session.h"
#include "lib/utf8.h"

#define NEVER UINT64_MAX

#define CT_TEXT "text/plain; charset=UTF-8"
#define CT_HTML "text/html" /* the reference's "ok": no download dialog */
#define CT_JSON "application/json"

struct out_pkt {
	struct out_pkt *next;
	enum eio_type type;
	bool binary;
	size_t len;
	char data[];
};

struct act_node {
	struct act_node *next;
	struct eio_action a;
	char *own; /* what a.data points into, if owned */
};

struct eio_session {
	struct eio_config cfg;
	char sid[EIO_SID_MAX + 1];
	enum eio_state state;
	void *get;   /* the held GET, or NULL */
	void *post;  /* a POST between start and body, or NULL */
	void *ws;    /* the WebSocket transport (WEBSOCKET) */
	void *probe; /* the probing WebSocket (UPGRADING) */
	bool probed; /* "3probe" sent on it */
	const char *close_reason; /* CLOSING: for EIO_ACT_CLOSED */

	struct out_pkt *out_head, *out_tail;
	size_t out_bytes;
	struct act_node *act_head, *act_tail;
	struct act_node *cur; /* the last popped action, freed at next pop */

	uint64_t next_ping;	    /* NEVER while a pong is awaited */
	uint64_t pong_deadline;	    /* NEVER unless a ping is out */
	uint64_t upgrade_deadline;  /* UPGRADING */
	uint64_t close_deadline;    /* CLOSING */
	uint64_t tokens;	    /* rate bucket, in 1/1000 packets */
	uint64_t tokens_at;	    /* when it was last filled */
	bool oom;		    /* an action was lost: closed, and pop()
				       reports EIO_ACT_CLOSED by itself */
	bool oom_told;
};

void eio_config_default(struct eio_config *c)
{
	c->ping_interval_ms = 25000;
	c->ping_timeout_ms = 20000;
	c->upgrade_timeout_ms = 10000;
	c->close_timeout_ms = 30000;
	c->max_payload = 1000000;
	c->max_buffered = 1 << 20;
	c->max_packets = 1000;
	c->rate = 200;
	c->burst = 1000;
	c->allow_upgrade = true;
}

static const char *const state_names[] = {
	"polling", "upgrading", "websocket", "closing", "closed",
};

const char *eio_state_name(enum eio_state st)
{
	if ((unsigned)st < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[st];
	return "?";
}

const char *eio_session_sid(const struct eio_session *s)
{
	return s->sid;
}

enum eio_state eio_session_state(const struct eio_session *s)
{
	return s->state;
}

size_t eio_session_buffered(const struct eio_session *s)
{
	return s->out_bytes;
}

/* ---- the two queues */

static int out_push(struct eio_session *s, enum eio_type type, bool binary,
		    const char *data, size_t len)
{
	struct out_pkt *p = malloc(sizeof(*p) + len + 1);

	if (!p)
		return -ENOMEM;
	p->next = NULL;
	p->type = type;
	p->binary = binary;
	p->len = len;
	if (len)
		memcpy(p->data, data, len);
	p->data[len] = '\0';
	if (s->out_tail)
		s->out_tail->next = p;
	else
		s->out_head = p;
	s->out_tail = p;
	s->out_bytes += len;
	return 0;
}

static struct out_pkt *out_take(struct eio_session *s)
{
	struct out_pkt *p = s->out_head;

	if (p) {
		s->out_head = p->next;
		if (!s->out_head)
			s->out_tail = NULL;
		s->out_bytes -= p->len;
	}
	return p;
}

static void out_clear(struct eio_session *s)
{
	struct out_pkt *p;

	while ((p = out_take(s)))
		free(p);
}

static void as_packet(const struct out_pkt *o, struct eio_packet *p)
{
	memset(p, 0, sizeof(*p));
	p->type = o->type;
	p->binary = o->binary;
	p->data = o->data;
	p->len = o->len;
}

/*
 * Out of memory while deciding an action: the session cannot keep its
 * promises, so it is over. pop() serves what was queued, then CLOSED;
 * requests and WebSockets it held are the glue's to close.
 */
static void fail_oom(struct eio_session *s)
{
	s->oom = true;
	s->state = EIO_S_CLOSED;
	s->get = s->post = s->ws = s->probe = NULL;
}

/* Queues an action. 'own' (malloc'd, may be NULL) passes to the queue;
 * a.data points into it or at static text. */
static void act_push(struct eio_session *s, const struct eio_action *a,
		     char *own)
{
	struct act_node *n = malloc(sizeof(*n));

	if (!n) {
		free(own);
		fail_oom(s);
		return;
	}
	n->next = NULL;
	n->a = *a;
	n->own = own;
	if (s->act_tail)
		s->act_tail->next = n;
	else
		s->act_head = n;
	s->act_tail = n;
}

static void push_reply(struct eio_session *s, void *req, int status,
		       const char *ctype, const char *body, size_t len,
		       char *own, const char *reason)
{
	struct eio_action a = {
		.type = EIO_ACT_HTTP_REPLY,
		.to = req,
		.status = status,
		.content_type = ctype,
		.data = body,
		.len = len,
		.reason = reason,
	};
	act_push(s, &a, own);
}

/* 400 (or 413) with the reference server's body shape: code 3 is "Bad
 * request"; the message says what was wrong. */
static void push_error(struct eio_session *s, void *req, int status,
		       const char *reason)
{
	char *body;
	int n;

	n = asprintf(&body, "{\"code\":3,\"message\":\"%s\"}", reason);
	if (n < 0) {
		push_reply(s, req, status, CT_TEXT, "", 0, NULL, reason);
		return;
	}
	push_reply(s, req, status, CT_JSON, body, (size_t)n, body, reason);
}

static void push_text_reply(struct eio_session *s, void *req, const char *text)
{
	push_reply(s, req, 200, CT_TEXT, text, strlen(text), NULL, NULL);
}

static void push_ws_close(struct eio_session *s, void *ws, int code,
			  const char *reason)
{
	struct eio_action a = {
		.type = EIO_ACT_WS_CLOSE,
		.to = ws,
		.ws_code = code,
		.reason = reason,
	};
	act_push(s, &a, NULL);
}

/* Encodes one out packet as a WebSocket frame action. */
static void push_ws_frame(struct eio_session *s, void *ws, struct out_pkt *o)
{
	struct eio_action a = { .type = EIO_ACT_WS_SEND, .to = ws };
	struct eio_packet p;
	struct buf b;
	bool bin;

	as_packet(o, &p);
	buf_init(&b, o->len + 2);
	if (eio_packet_encode_ws(&p, &b, &bin)) { /* only ENOMEM */
		buf_release(&b);
		fail_oom(s);
		return;
	}
	a.data = buf_str(&b);
	a.len = b.len;
	a.binary = bin;
	act_push(s, &a, b.data); /* the node owns b's memory now */
}

/*
 * Moves out packets into a polling payload: all of them ('all'), or as
 * many as fit in max_payload (at least one). The payload's memory is
 * returned in *own.
 */
static int build_payload(struct eio_session *s, bool all, struct buf *b)
{
	struct out_pkt *o;
	int r;

	/* base64 grows binary by 4/3: twice the buffered bytes is enough */
	buf_init(b, 2 * (s->out_bytes + s->cfg.max_payload) + 64);
	while ((o = s->out_head)) {
		struct eio_packet p;
		as_packet(o, &p);
		if (!all && b->len &&
		    b->len + 1 + eio_payload_size(&p) > s->cfg.max_payload)
			break;
		if ((r = eio_payload_append(b, &p)))
			return r;
		free(out_take(s));
	}
	return 0;
}

static void end_session(struct eio_session *s, const char *reason,
			int ws_code, const char *get_reply);

/* Answers req with the buffered packets (or a noop if there are none). */
static void push_payload_reply(struct eio_session *s, void *req, bool all)
{
	struct buf b;

	if (build_payload(s, all, &b)) { /* ENOMEM: packets were lost */
		buf_release(&b);
		push_text_reply(s, req, "1");
		end_session(s, "out of memory", 1011, "1");
		return;
	}
	if (!b.len) {
		buf_release(&b);
		push_text_reply(s, req, "6");
		return;
	}
	push_reply(s, req, 200, CT_TEXT, b.data, b.len, b.data, NULL);
}

/*
 * Ends the session now. The held GET gets 'get_reply' ("1": the server
 * closes; "6": the client closed, just release it); a started POST 400;
 * WebSockets are closed; unsent packets are dropped; CLOSED goes last.
 */
static void end_session(struct eio_session *s, const char *reason,
			int ws_code, const char *get_reply)
{
	if (s->state == EIO_S_CLOSED)
		return;
	if (s->probe)
		push_ws_close(s, s->probe, 1000, reason);
	if (s->ws)
		push_ws_close(s, s->ws, ws_code, reason);
	if (s->get)
		push_text_reply(s, s->get, get_reply);
	if (s->post)
		push_error(s, s->post, 400, reason);
	s->probe = s->ws = s->get = s->post = NULL;
	out_clear(s);
	s->state = EIO_S_CLOSED;
	if (!s->oom) { /* else pop() reports CLOSED by itself */
		struct eio_action a = { .type = EIO_ACT_CLOSED,
					.reason = reason };
		act_push(s, &a, NULL);
	}
}

/* ---- life */

static uint32_t at_least_1(uint32_t v)
{
	return v ? v : 1;
}

struct eio_session *eio_session_new(const struct eio_config *cfg,
				    const char *sid, enum eio_transport t,
				    void *conn, uint64_t now)
{
	struct eio_session *s;
	struct buf hs;
	int r;

	if (!cfg || !sid || !conn || !eio_sid_valid(sid, strlen(sid)) ||
	    (t != EIO_POLLING && t != EIO_WEBSOCKET)) {
		errno = EINVAL;
		return NULL;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		errno = ENOMEM;
		return NULL;
	}
	s->cfg = *cfg;
	s->cfg.ping_interval_ms = at_least_1(cfg->ping_interval_ms);
	s->cfg.ping_timeout_ms = at_least_1(cfg->ping_timeout_ms);
	s->cfg.upgrade_timeout_ms = at_least_1(cfg->upgrade_timeout_ms);
	s->cfg.close_timeout_ms = at_least_1(cfg->close_timeout_ms);
	s->cfg.rate = at_least_1(cfg->rate);
	s->cfg.burst = at_least_1(cfg->burst);
	if (!s->cfg.max_payload)
		s->cfg.max_payload = 1;
	if (!s->cfg.max_buffered)
		s->cfg.max_buffered = 1;
	if (!s->cfg.max_packets)
		s->cfg.max_packets = 1;
	strcpy(s->sid, sid);

	buf_init(&hs, 256);
	r = eio_handshake_encode(&hs, sid,
				 t == EIO_POLLING && s->cfg.allow_upgrade,
				 s->cfg.ping_interval_ms, s->cfg.ping_timeout_ms,
				 s->cfg.max_payload);
	if (!r) /* the open packet is "0" + JSON: queue its data */
		r = out_push(s, EIO_OPEN, false, buf_str(&hs) + 1, hs.len - 1);
	buf_release(&hs);
	if (r) {
		free(s);
		errno = -r;
		return NULL;
	}
	if (t == EIO_POLLING) {
		s->state = EIO_S_POLLING;
		s->get = conn;
	} else {
		s->state = EIO_S_WEBSOCKET;
		s->ws = conn;
	}
	s->next_ping = now + s->cfg.ping_interval_ms;
	s->pong_deadline = NEVER;
	s->upgrade_deadline = NEVER;
	s->close_deadline = NEVER;
	s->tokens = (uint64_t)s->cfg.burst * 1000;
	s->tokens_at = now;
	return s;
}

static void act_free(struct act_node *n)
{
	if (n) {
		free(n->own);
		free(n);
	}
}

void eio_session_free(struct eio_session *s)
{
	struct act_node *n;

	if (!s)
		return;
	out_clear(s);
	while ((n = s->act_head)) {
		s->act_head = n->next;
		act_free(n);
	}
	act_free(s->cur);
	free(s);
}

/* ---- incoming packets */

/* Takes one packet from the rate bucket; false when it is empty. */
static bool rate_take(struct eio_session *s, uint64_t now)
{
	uint64_t cap = (uint64_t)s->cfg.burst * 1000;

	if (now > s->tokens_at) {
		uint64_t ms = now - s->tokens_at;
		if (ms > 1000000000)
			ms = 1000000000;
		s->tokens += ms * s->cfg.rate;
		if (s->tokens > cap)
			s->tokens = cap;
	}
	s->tokens_at = now > s->tokens_at ? now : s->tokens_at;
	if (s->tokens < 1000)
		return false;
	s->tokens -= 1000;
	return true;
}

static void on_pong(struct eio_session *s, uint64_t now)
{
	/* as the reference: any pong re-arms the interval */
	s->pong_deadline = NEVER;
	s->next_ping = now + s->cfg.ping_interval_ms;
}

static void deliver(struct eio_session *s, const struct eio_packet *p)
{
	struct eio_action a = { .type = EIO_ACT_DELIVER, .binary = p->binary };
	char *own = malloc(p->len + 1);

	if (!own) {
		end_session(s, "out of memory", 1011, "1");
		return;
	}
	memcpy(own, p->data, p->len);
	own[p->len] = '\0';
	a.data = own;
	a.len = p->len;
	act_push(s, &a, own);
}

/* What a packet from the client does to a live session. */
enum verdict { V_OK = 0, V_CLIENT_CLOSE = 1, V_PING = 2, V_RATE = 3 };

static enum verdict take_packet(struct eio_session *s,
				const struct eio_packet *p, uint64_t now)
{
	if (!rate_take(s, now))
		return V_RATE;
	switch (p->type) {
	case EIO_PONG:
		on_pong(s, now);
		return V_OK;
	case EIO_MESSAGE:
		deliver(s, p);
		return V_OK;
	case EIO_CLOSE:
		return V_CLIENT_CLOSE;
	case EIO_PING: /* v4: only the server pings */
		return V_PING;
	case EIO_OPEN:
	case EIO_UPGRADE:
	case EIO_NOOP:
		return V_OK; /* ignored, as the reference does */
	}
	return V_OK;
}

struct post_ctx {
	struct eio_session *s;
	uint64_t now;
};

static int post_packet(void *ctx, const struct eio_packet *p)
{
	struct post_ctx *c = ctx;

	if (c->s->state == EIO_S_CLOSED)
		return -ENOMEM; /* a delivery ran out of memory: stop */
	return (int)take_packet(c->s, p, c->now);
}

/* ---- inputs */

static bool live(const struct eio_session *s)
{
	return s->state == EIO_S_POLLING || s->state == EIO_S_UPGRADING ||
	       s->state == EIO_S_WEBSOCKET;
}

int eio_session_on_get(struct eio_session *s, void *req, uint64_t now)
{
	if (!req)
		return -EINVAL;
	switch (s->state) {
	case EIO_S_CLOSED:
		return -EPIPE;
	case EIO_S_WEBSOCKET: /* upgraded: polling is over for this sid */
		push_error(s, req, 400, "transport mismatch");
		return 0;
	case EIO_S_CLOSING:
		push_payload_reply(s, req, true);
		end_session(s, s->close_reason, 1000, "1");
		return 0;
	case EIO_S_POLLING:
	case EIO_S_UPGRADING:
		break;
	}
	if (s->get) {
		push_error(s, req, 400, "overlapping poll");
		end_session(s, "overlapping poll", 1002, "1");
		return 0;
	}
	s->get = req; /* answered by pop() when there is something to say */
	return 0;
}

int eio_session_on_post_start(struct eio_session *s, void *req,
			      long long content_length, bool binary,
			      uint64_t now)
{
	if (!req)
		return -EINVAL;
	if (s->state == EIO_S_CLOSED)
		return -EPIPE;
	if (s->state == EIO_S_WEBSOCKET) {
		push_error(s, req, 400, "transport mismatch");
		return 0;
	}
	if (s->post) {
		push_error(s, req, 400, "overlapping POST");
		if (s->state == EIO_S_CLOSING)
			return 0;
		end_session(s, "overlapping POST", 1002, "1");
		return 0;
	}
	if (s->state == EIO_S_CLOSING) {
		s->post = req; /* answered "ok" when its body is in */
		return 0;
	}
	if (binary) {
		push_error(s, req, 400, "binary POST body");
		end_session(s, "binary POST body", 1002, "1");
		return 0;
	}
	if (content_length >= 0 &&
	    (unsigned long long)content_length > s->cfg.max_payload) {
		push_error(s, req, 413, "payload too large");
		end_session(s, "payload too large", 1009, "1");
		return 0;
	}
	s->post = req;
	return 0;
}

int eio_session_on_post_body(struct eio_session *s, void *req,
			     const char *body, size_t len, uint64_t now)
{
	struct post_ctx c = { .s = s, .now = now };
	const char *err = NULL;
	int r;

	if (!req || req != s->post)
		return s->state == EIO_S_CLOSED ? -EPIPE : -EINVAL;
	if (s->state == EIO_S_CLOSING) { /* the server is closing: ignore */
		s->post = NULL;
		push_reply(s, req, 200, CT_HTML, "ok", 2, NULL, NULL);
		return 0;
	}
	if (len > s->cfg.max_payload) {
		s->post = NULL;
		push_error(s, req, 413, "payload too large");
		end_session(s, "payload too large", 1009, "1");
		return 0;
	}
	/* s->post stays set while the packets are taken: if the session
	 * ends meanwhile (out of memory), end_session() answers it */
	r = eio_payload_decode(body, len, s->cfg.max_packets, post_packet, &c,
			       &err);
	if (s->state == EIO_S_CLOSED)
		return 0;
	s->post = NULL;
	switch (r) {
	case 0:
		push_reply(s, req, 200, CT_HTML, "ok", 2, NULL, NULL);
		return 0;
	case V_CLIENT_CLOSE:
		push_reply(s, req, 200, CT_HTML, "ok", 2, NULL, NULL);
		end_session(s, "client closed", 1000, "6");
		return 0;
	case V_PING:
		push_error(s, req, 400, "ping from the client");
		end_session(s, "ping from the client", 1002, "1");
		return 0;
	case V_RATE:
		push_error(s, req, 400, "rate limit");
		end_session(s, "rate limit", 1008, "1");
		return 0;
	default: /* -EINVAL, -E2BIG from the decoder; -ENOMEM */
		push_error(s, req, 400, r == -ENOMEM ? "out of memory" : err);
		end_session(s, "parse error", 1002, "1");
		return 0;
	}
}

int eio_session_on_request_gone(struct eio_session *s, void *req,
				uint64_t now)
{
	if (!req || (req != s->get && req != s->post))
		return -EINVAL;
	if (req == s->get)
		s->get = NULL;
	else
		s->post = NULL;
	if (s->state != EIO_S_CLOSING)
		end_session(s, "transport error", 1000, "1");
	return 0;
}

int eio_session_ws_attach(struct eio_session *s, void *ws, uint64_t now)
{
	if (!ws)
		return -EINVAL;
	if (!live(s))
		return -EPIPE;
	if (s->state != EIO_S_POLLING || !s->cfg.allow_upgrade)
		return -EBUSY;
	s->state = EIO_S_UPGRADING;
	s->probe = ws;
	s->probed = false;
	s->upgrade_deadline = now + s->cfg.upgrade_timeout_ms;
	return 0;
}

static void probe_fail(struct eio_session *s, int code, const char *reason)
{
	push_ws_close(s, s->probe, code, reason);
	s->probe = NULL;
	s->probed = false;
	s->state = EIO_S_POLLING;
	s->upgrade_deadline = NEVER;
}

static int probe_frame(struct eio_session *s, const char *data, size_t len,
		       bool binary, uint64_t now)
{
	struct eio_packet p;
	const char *err;

	if (len > s->cfg.max_payload) {
		probe_fail(s, 1009, "message too big");
		return 0;
	}
	if (eio_packet_decode(data, len, binary, &p, &err)) {
		probe_fail(s, 1002, err);
		return 0;
	}
	if (p.type == EIO_PING && !p.binary && p.len == 5 &&
	    !memcmp(p.data, "probe", 5)) {
		struct eio_action a = { .type = EIO_ACT_WS_SEND,
					.to = s->probe,
					.data = "3probe",
					.len = 6 };
		act_push(s, &a, NULL);
		s->probed = true; /* pop() now releases the held GET */
	} else if (p.type == EIO_UPGRADE && !p.binary) {
		/* the switch: polling is discarded, a held GET released */
		if (s->get)
			push_text_reply(s, s->get, "6");
		s->get = NULL;
		s->ws = s->probe;
		s->probe = NULL;
		s->probed = false;
		s->state = EIO_S_WEBSOCKET;
		s->upgrade_deadline = NEVER;
	} else {
		probe_fail(s, 1002, "unexpected packet during upgrade");
	}
	eio_packet_release(&p);
	return 0;
}

int eio_session_on_ws_frame(struct eio_session *s, void *ws, const char *data,
			    size_t len, bool binary, uint64_t now)
{
	struct eio_packet p;
	const char *err;

	if (!ws)
		return -EINVAL;
	if (ws == s->probe)
		return probe_frame(s, data, len, binary, now);
	if (ws != s->ws)
		return s->state == EIO_S_CLOSED ? -EPIPE : -EINVAL;
	if (len > s->cfg.max_payload) {
		end_session(s, "message too big", 1009, "1");
		return 0;
	}
	if (eio_packet_decode(data, len, binary, &p, &err)) {
		end_session(s, "parse error", 1002, "1");
		return 0;
	}
	switch (take_packet(s, &p, now)) {
	case V_OK:
		break;
	case V_CLIENT_CLOSE:
		end_session(s, "client closed", 1000, "6");
		break;
	case V_PING:
		end_session(s, "ping from the client", 1002, "1");
		break;
	case V_RATE:
		end_session(s, "rate limit", 1008, "1");
		break;
	}
	eio_packet_release(&p);
	return 0;
}

int eio_session_on_ws_closed(struct eio_session *s, void *ws, uint64_t now)
{
	if (!ws)
		return -EINVAL;
	if (ws == s->probe) {
		s->probe = NULL;
		s->probed = false;
		s->state = EIO_S_POLLING;
		s->upgrade_deadline = NEVER;
		return 0;
	}
	if (ws == s->ws) {
		s->ws = NULL; /* gone: no WS_CLOSE for it */
		end_session(s, "transport close", 1000, "1");
		return 0;
	}
	return -EINVAL;
}

int eio_session_tick(struct eio_session *s, uint64_t now)
{
	if (s->state == EIO_S_CLOSED)
		return 0;
	if (s->state == EIO_S_CLOSING) {
		if (now >= s->close_deadline)
			end_session(s, s->close_reason, 1000, "1");
		return 0;
	}
	if (now >= s->pong_deadline) {
		end_session(s, "ping timeout", 1000, "1");
		return 0;
	}
	if (now >= s->next_ping) {
		int r = out_push(s, EIO_PING, false, NULL, 0);
		if (r)
			return r; /* tried again at the next tick */
		s->next_ping = NEVER;
		s->pong_deadline = now + s->cfg.ping_timeout_ms;
	}
	if (s->state == EIO_S_UPGRADING && now >= s->upgrade_deadline)
		probe_fail(s, 1000, "upgrade timeout");
	return 0;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

uint64_t eio_session_deadline(const struct eio_session *s)
{
	switch (s->state) {
	case EIO_S_CLOSED:
		return NEVER;
	case EIO_S_CLOSING:
		return s->close_deadline;
	case EIO_S_UPGRADING:
		return min64(min64(s->next_ping, s->pong_deadline),
			     s->upgrade_deadline);
	case EIO_S_POLLING:
	case EIO_S_WEBSOCKET:
		break;
	}
	return min64(s->next_ping, s->pong_deadline);
}

int eio_session_send(struct eio_session *s, const char *data, size_t len,
		     bool binary, uint64_t now)
{
	if (!live(s))
		return -EPIPE;
	if (!data && len)
		return -EINVAL;
	if (!binary && (memchr(data, EIO_SEPARATOR, len) ||
			utf8_valid_prefix(data, len) != len))
		return -EINVAL; /* would break the payload framing */
	if (len > s->cfg.max_buffered - s->out_bytes ||
	    s->out_bytes > s->cfg.max_buffered)
		return -ENOBUFS;
	return out_push(s, EIO_MESSAGE, binary, data, len);
}

int eio_session_close(struct eio_session *s, const char *reason,
		      uint64_t now)
{
	if (!live(s))
		return -EPIPE;
	if (!reason)
		reason = "server close";
	if (s->state == EIO_S_WEBSOCKET) {
		struct out_pkt *o;
		while ((o = out_take(s))) { /* what was queued goes first */
			push_ws_frame(s, s->ws, o);
			free(o);
		}
		end_session(s, reason, 1000, "1");
		return 0;
	}
	if (s->probe)
		probe_fail(s, 1000, reason);
	if (out_push(s, EIO_CLOSE, false, NULL, 0)) {
		end_session(s, reason, 1000, "1");
		return 0;
	}
	if (s->get) {
		void *req = s->get;
		s->get = NULL;
		push_payload_reply(s, req, true);
		end_session(s, reason, 1000, "1");
		return 0;
	}
	s->state = EIO_S_CLOSING;
	s->close_reason = reason;
	s->close_deadline = now + s->cfg.close_timeout_ms;
	return 0;
}

/* ---- outputs */

static bool serve(struct eio_session *s, struct act_node *n,
		  struct eio_action *a)
{
	s->cur = n;
	*a = n->a;
	return true;
}

bool eio_session_pop(struct eio_session *s, struct eio_action *a)
{
	struct act_node *n;

	act_free(s->cur);
	s->cur = NULL;
	if ((n = s->act_head)) {
		s->act_head = n->next;
		if (!s->act_head)
			s->act_tail = NULL;
		return serve(s, n, a);
	}
	if (s->state == EIO_S_WEBSOCKET && s->ws && s->out_head) {
		struct out_pkt *o = out_take(s);
		push_ws_frame(s, s->ws, o);
		free(o);
		return eio_session_pop(s, a);
	}
	if ((s->state == EIO_S_POLLING || s->state == EIO_S_UPGRADING) &&
	    s->get && (s->out_head || (s->state == EIO_S_UPGRADING &&
				       s->probed))) {
		void *req = s->get;
		s->get = NULL;
		push_payload_reply(s, req, false);
		return eio_session_pop(s, a);
	}
	if (s->oom && !s->oom_told) {
		static const struct eio_action closed = {
			.type = EIO_ACT_CLOSED,
			.reason = "out of memory",
		};
		s->oom_told = true;
		*a = closed;
		return true;
	}
	return false;
}
