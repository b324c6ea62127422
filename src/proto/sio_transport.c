/*
 * sio_transport.c - Engine.IO v4 on /socket.io/: long-polling and
 * WebSocket, for every session of the server.
 *
 * Handles given to eio_session are the glue's own pointers: a struct
 * sio_req (hung on the HTTP request's 'api', so its api_free tells us when
 * a held request's connection went away) or the WebSocket's struct conn
 * (whose 'proto' points back at the session). After every input from the
 * network or the timer, pump() pops the session's actions and carries
 * them out; actions may feed new inputs (a delivered message makes the
 * Socket.IO layer emit), which the same loop pops. What the Socket.IO
 * layer asks for from elsewhere (a run's output, a room's broadcast) is
 * pumped on the next turn of the loop (kick()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "lib/config.h"
#include "lib/log.h"
#include "net/conn.h"
#include "net/http.h"
#include "proto/app.h"
#include "proto/auth.h"
#include "proto/cors.h"
#include "proto/eio_request.h"
#include "proto/eio_session.h"
#include "proto/sio_transport.h"

#define NEVER	  UINT64_MAX
#define EXTRA_MAX 512 /* extra reply header lines (http_req.headers) */
/* the CORS lines leave room for no-store and Retry-After: an origin too
 * long for them gets none (its browser refuses) rather than a cut line */
#define CORS_MAX	 (EXTRA_MAX - 64)
#define NO_STORE	 "Cache-Control: no-store\r\n"
#define SIO_MAX_BUFFERED (4u << 20)

struct sio_hub {
	uv_loop_t *loop;
	struct app *app;
	struct eio_config ecfg;
	struct sio_socket_config scfg;
	const char *const *cors; /* --cors-origin */
	unsigned max_sessions;
	struct sio_session *sessions;
	struct sio_stats st;
	bool closing;
};

/* One polling request a session holds (http_req.api). */
struct sio_req {
	struct sio_session *ss; /* NULL once answered or orphaned */
	struct conn *c;
	struct sio_req *next, **pprev; /* in ss->reqs */
	char cors[EXTRA_MAX];	       /* CORS headers for the reply */
	bool body_pending;	       /* a POST whose body is still coming */
};

struct sio_session {
	struct sio_hub *hub;
	struct eio_session *es;
	struct sio_socket *sock;
	struct sio_session *next, **pprev; /* hub->sessions */
	struct sio_req *reqs;		   /* polling requests it holds */
	struct conn *ws[2];		   /* WebSockets naming it */
	uv_timer_t timer;
	bool pumping; /* inside pump(): it pops what follows */
	bool dead;    /* EIO_ACT_CLOSED done; freed when the
			 timer has closed */
	bool polling; /* began on long-polling */
	bool upgraded;
	char peer[64];
};

static uint64_t now_ms(const struct sio_hub *h)
{
	return uv_now(h->loop);
}

/* ---- the table */

static struct sio_session *find(const struct sio_hub *h, const char *sid)
{
	for (struct sio_session *ss = h->sessions; ss; ss = ss->next)
		if (strcmp(eio_session_sid(ss->es), sid) == 0)
			return ss;
	return NULL;
}

static bool table_full(const struct sio_hub *h)
{
	return h->st.sessions >= h->max_sessions;
}

static void link_session(struct sio_hub *h, struct sio_session *ss)
{
	ss->next = h->sessions;
	if (h->sessions)
		h->sessions->pprev = &ss->next;
	ss->pprev = &h->sessions;
	h->sessions = ss;
	h->st.sessions++;
}

static void unlink_session(struct sio_session *ss)
{
	if (!ss->pprev)
		return;
	*ss->pprev = ss->next;
	if (ss->next)
		ss->next->pprev = ss->pprev;
	ss->pprev = NULL;
	ss->next = NULL;
	ss->hub->st.sessions--;
}

static void link_req(struct sio_session *ss, struct sio_req *q)
{
	q->ss = ss;
	q->next = ss->reqs;
	if (ss->reqs)
		ss->reqs->pprev = &q->next;
	q->pprev = &ss->reqs;
	ss->reqs = q;
}

static void unlink_req(struct sio_req *q)
{
	if (!q->ss)
		return;
	*q->pprev = q->next;
	if (q->next)
		q->next->pprev = q->pprev;
	q->ss = NULL;
	q->next = NULL;
	q->pprev = NULL;
}

static void add_ws(struct sio_session *ss, struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (!ss->ws[i]) {
			ss->ws[i] = c;
			c->proto = ss;
			return;
		}
	}
}

static void drop_ws(struct sio_session *ss, struct conn *c)
{
	for (int i = 0; i < 2; i++)
		if (ss->ws[i] == c)
			ss->ws[i] = NULL;
	c->proto = NULL;
}

/* ---- replies outside a session */

static void reply(struct conn *c, unsigned status, const char *type,
		  const char *body, size_t len, const char *extra)
{
	char headers[EXTRA_MAX + 64];

	snprintf(headers, sizeof(headers), NO_STORE "%s", extra ? extra : "");
	http_reply(c, status, type, body, len, headers);
}

/* The reference server's error: 400 {"code":N,"message":"..."}. */
static void reply_eio_error(struct conn *c, enum eio_error code,
			    const char *extra)
{
	struct buf b;
	int status = 400;

	buf_init(&b, 256);
	if (eio_error_reply(code, &b, &status) == 0)
		reply(c, (unsigned)status, "application/json", b.data, b.len,
		      extra);
	else
		reply(c, 500, "application/json", "{}", 2, extra);
	buf_release(&b);
}

static void reply_busy(struct conn *c, const char *extra)
{
	static const char body[] =
	    "{\"code\":4,\"message\":\"Too many sessions\"}";
	char headers[EXTRA_MAX + 32];

	snprintf(headers, sizeof(headers), "Retry-After: 1\r\n%s",
		 extra ? extra : "");
	reply(c, 503, "application/json", body, sizeof(body) - 1, headers);
}

/* ---- carrying out the session's actions */

static void session_end(struct sio_session *ss, const char *reason);
static void arm_timer(struct sio_session *ss);

static void reply_req(struct sio_session *ss, const struct eio_action *a)
{
	struct sio_req *q = a->to;
	struct conn *c = q->c;

	unlink_req(q);
	if (!c->http || c->http->api != q || c->http->answered)
		return;
	/* answered before its body was read: the rest of the body would
	 * be taken for the next request */
	if (q->body_pending)
		c->http->close_after = true;
	reply(c, (unsigned)a->status, a->content_type, a->data, a->len,
	      q->cors);
}

static void count_end(struct sio_hub *h, const char *reason)
{
	static const char *const quiet[] = {
	    "client closed",	    "transport close", "transport error",
	    "server shutting down", "connect timeout", NULL,
	};

	if (strcmp(reason, "ping timeout") == 0) {
		h->st.timed_out++;
		return;
	}
	for (const char *const *q = quiet; *q; q++)
		if (strcmp(reason, *q) == 0)
			return;
	h->st.errors++;
}

static void pump(struct sio_session *ss)
{
	struct eio_action a;

	if (ss->pumping || ss->dead)
		return;
	ss->pumping = true;
	while (!ss->dead && eio_session_pop(ss->es, &a)) {
		switch (a.type) {
		case EIO_ACT_HTTP_REPLY:
			reply_req(ss, &a);
			/* a poll took packets: the queue shrank */
			if (a.status == 200 && a.len > 1)
				sio_socket_drained(ss->sock);
			break;
		case EIO_ACT_WS_SEND:
			if (a.binary) /* we never send binary messages */
				log_warn("sio %s: dropped a binary frame",
					 eio_session_sid(ss->es));
			else
				conn_send_text(a.to, a.data, a.len);
			break;
		case EIO_ACT_WS_CLOSE:
			drop_ws(ss, a.to);
			conn_close(a.to, (uint16_t)a.ws_code, a.reason);
			break;
		case EIO_ACT_DELIVER:
			sio_socket_on_message(ss->sock, a.data, a.len, a.binary,
					      now_ms(ss->hub));
			break;
		case EIO_ACT_CLOSED:
			session_end(ss, a.reason ? a.reason : "closed");
			break;
		}
	}
	ss->pumping = false;
	if (ss->dead)
		return;
	if (!ss->upgraded && ss->polling &&
	    eio_session_state(ss->es) == EIO_S_WEBSOCKET) {
		ss->upgraded = true;
		ss->hub->st.upgraded++;
		log_debug("sio %s: upgraded to websocket",
			  eio_session_sid(ss->es));
	}
	arm_timer(ss);
}

static void on_timer(uv_timer_t *t)
{
	struct sio_session *ss = t->data;
	uint64_t now = now_ms(ss->hub);

	if (ss->dead)
		return;
	eio_session_tick(ss->es, now);
	sio_socket_tick(ss->sock, now);
	pump(ss);
}

static void arm_timer(struct sio_session *ss)
{
	uint64_t d = eio_session_deadline(ss->es);
	uint64_t c = sio_socket_deadline(ss->sock);
	uint64_t now = now_ms(ss->hub);

	if (c < d)
		d = c;
	if (d == NEVER) {
		uv_timer_stop(&ss->timer);
		return;
	}
	uv_timer_start(&ss->timer, on_timer, d > now ? d - now : 0, 0);
}

static void on_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

/*
 * The session is over: the Socket.IO layer lets go (its runs end), the
 * requests and WebSockets that still name it forget it, and it leaves the
 * table. Memory goes when the timer has closed.
 */
static void session_end(struct sio_session *ss, const char *reason)
{
	struct sio_hub *h = ss->hub;

	if (ss->dead)
		return;
	ss->dead = true;
	unlink_session(ss);
	count_end(h, reason);
	log_info("sio %s: closed (%s)", eio_session_sid(ss->es), reason);
	sio_socket_free(ss->sock);
	ss->sock = NULL;
	while (ss->reqs) { /* none after CLOSED, but when memory ran
			      out or at sio_hub_free */
		struct sio_req *q = ss->reqs;
		struct conn *c = q->c;
		unlink_req(q);
		if (c->http && c->http->api == q && !c->http->answered)
			reply_eio_error(c, EIO_ERR_UNKNOWN_SID, q->cors);
	}
	for (int i = 0; i < 2; i++) {
		struct conn *c = ss->ws[i];
		if (c) {
			drop_ws(ss, c);
			conn_close(c, 1000, reason);
		}
	}
	eio_session_free(ss->es);
	ss->es = NULL;
	uv_timer_stop(&ss->timer);
	uv_close((uv_handle_t *)&ss->timer, on_timer_closed);
}

/* A new session; its first actions (the handshake) are popped by the
 * caller's pump(). NULL on error (logged). */
static struct sio_session *session_new(struct sio_hub *h, enum eio_transport t,
				       void *handle, const char *peer)
{
	struct sio_session *ss = calloc(1, sizeof(*ss));
	unsigned char raw[EIO_SID_RAW];
	char sid[EIO_SID_LEN + 1];
	uint64_t now = now_ms(h);

	if (!ss)
		return NULL;
	do {
		if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
			log_warn("sio: no random bytes for a session id: %s",
				 strerror(errno));
			free(ss);
			return NULL;
		}
		eio_sid_format(raw, sid);
	} while (find(h, sid));
	ss->hub = h;
	ss->polling = t == EIO_POLLING;
	snprintf(ss->peer, sizeof(ss->peer), "%s", peer);
	ss->es = eio_session_new(&h->ecfg, sid, t, handle, now);
	if (!ss->es) {
		free(ss);
		return NULL;
	}
	ss->sock = sio_socket_new(ss, sid, &h->scfg, h->app, now);
	if (!ss->sock) {
		eio_session_free(ss->es);
		free(ss);
		return NULL;
	}
	uv_timer_init(h->loop, &ss->timer);
	ss->timer.data = ss;
	link_session(h, ss);
	h->st.opened++;
	log_info("sio %s: open (%s) from %s", sid,
		 t == EIO_POLLING ? "polling" : "websocket", peer);
	return ss;
}

/*
 * The API token a handshake presents (Authorization, X-Api-Token, or the
 * query argument "token": the client's 'query' option), and who the
 * client is. Without one, CONNECT may still give it (sio_socket.c).
 */
static void identify(struct sio_session *ss, struct conn *c)
{
	const struct auth *a = app_of(c)->auth;
	char v[600], client[APP_CLIENT_MAX];
	int t = -1;

	if (auth_enabled(a)) {
		if (http_header(c, "authorization", v, sizeof(v)) > 0)
			t = auth_find(a, v);
		if (t < 0 && http_header(c, "x-api-token", v, sizeof(v)) > 0)
			t = auth_find(a, v);
		if (t < 0 && http_query(c, "token", v, sizeof(v)) > 0)
			t = auth_find(a, v);
	}
	auth_client_key(t, c->peer, client, sizeof(client));
	sio_socket_set_client(ss->sock, t, client);
}

/* ---- requests */

/*
 * What every request and upgrade passes first: the origin (same origin,
 * no Origin, or --cors-origin; the CORS reply headers go to 'extra'), and
 * the query. False: refused (*status, *code, or both set).
 */
static bool check_origin(struct sio_hub *h, struct conn *c, char *extra,
			 size_t len, char *origin, size_t olen)
{
	extra[0] = '\0';
	origin[0] = '\0';
	if (http_header(c, "origin", origin, olen) <= 0)
		return true; /* not a browser */
	if (cors_allowed(h->cors, origin)) {
		cors_headers(extra, len < CORS_MAX ? len : CORS_MAX, origin,
			     false, NULL, NULL);
		return true;
	}
	return http_same_origin(c);
}

static int parse_query(struct conn *c, enum eio_method m, bool upgrade,
		       struct eio_request *r, enum eio_error *code)
{
	char q[EIO_QUERY_MAX + 1];
	int n = http_query_string(c, q, sizeof(q));

	if (n < 0) {
		*code = EIO_ERR_BAD_REQUEST;
		return -EINVAL;
	}
	return eio_request_parse(q, (size_t)n, m, upgrade, r, code);
}

static enum eio_method method_of(const struct http_req *h)
{
	return h->method == HTTP_GET	? EIO_METHOD_GET
	       : h->method == HTTP_POST ? EIO_METHOD_POST
					: EIO_METHOD_OTHER;
}

static struct sio_req *new_req(struct conn *c, const char *extra)
{
	struct sio_req *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->c = c;
	snprintf(q->cors, sizeof(q->cors), "%s", extra);
	return q;
}

static void req_free(void *p)
{
	struct sio_req *q = p;
	struct sio_session *ss = q->ss;

	if (ss) { /* held, and its connection went away */
		unlink_req(q);
		if (!ss->dead) {
			eio_session_on_request_gone(ss->es, q, now_ms(ss->hub));
			pump(ss);
		}
	}
	free(q);
}

static void hang(struct conn *c, struct sio_req *q)
{
	c->http->api = q;
	c->http->api_free = req_free;
}

/*
 * lws 4.1 loses a request header whose name begins like one it knows
 * (Access-Control-Request-Headers shares "access-control-" with a
 * response header of its table), so the headers a preflight may ask for
 * cannot be echoed: these are allowed, what the official client and
 * pages commonly add.
 */
#define PREFLIGHT_HEADERS "Content-Type, Authorization, X-Requested-With"

static void preflight(struct sio_hub *h, struct conn *c, const char *origin)
{
	char extra[EXTRA_MAX];

	extra[0] = '\0';
	if (origin[0] && cors_allowed(h->cors, origin))
		cors_headers(extra, CORS_MAX, origin, true,
			     "GET, POST, OPTIONS", PREFLIGHT_HEADERS);
	reply(c, 204, NULL, NULL, 0, extra);
}

/* Starts a request: origin, OPTIONS, query. The session it names (or NULL
 * for a handshake) in *out; false when it was answered. */
static bool begin(struct sio_hub *h, struct conn *c, char *extra, size_t elen,
		  struct sio_session **out)
{
	struct eio_request r;
	enum eio_error code;
	char origin[256];

	*out = NULL;
	if (!check_origin(h, c, extra, elen, origin, sizeof(origin))) {
		log_warn("sio: refused a request from origin '%s' (not this "
			 "server's; see --cors-origin)",
			 origin);
		reply_eio_error(c, EIO_ERR_FORBIDDEN, NULL);
		return false;
	}
	if (c->http->method == HTTP_OPTIONS) {
		preflight(h, c, origin);
		return false;
	}
	if (parse_query(c, method_of(c->http), false, &r, &code)) {
		reply_eio_error(c, code, extra);
		return false;
	}
	if (r.sid[0]) {
		*out = find(h, r.sid);
		if (!*out) {
			reply_eio_error(c, EIO_ERR_UNKNOWN_SID, extra);
			return false;
		}
	}
	return true;
}

static void handshake(struct sio_hub *h, struct conn *c, const char *extra)
{
	struct sio_session *ss;
	struct sio_req *q;

	if (h->closing || table_full(h)) {
		if (!h->closing) {
			h->st.refused++;
			log_warn("sio: %u sessions open, refusing %s",
				 h->st.sessions, c->peer);
		}
		reply_busy(c, extra);
		return;
	}
	if (!(q = new_req(c, extra))) {
		reply(c, 500, "application/json", "{}", 2, extra);
		return;
	}
	ss = session_new(h, EIO_POLLING, q, c->peer);
	if (!ss) {
		free(q);
		reply(c, 500, "application/json", "{}", 2, extra);
		return;
	}
	identify(ss, c);
	link_req(ss, q);
	hang(c, q);
	pump(ss);
}

void sio_http(struct conn *c)
{
	struct sio_hub *h = app_of(c)->sio;
	struct http_req *hr = c->http;
	struct sio_session *ss;
	struct sio_req *q;
	char extra[EXTRA_MAX];

	if (!h) {
		reply(c, 503, "application/json", "{}", 2, NULL);
		return;
	}
	if (hr->api) { /* a POST begun at its headers: the body is in */
		q = hr->api;
		q->body_pending = false;
		ss = q->ss;
		if (!ss || ss->dead) {
			reply_eio_error(c, EIO_ERR_UNKNOWN_SID, q->cors);
			return;
		}
		eio_session_on_post_body(ss->es, q,
					 hr->body.data ? hr->body.data : "",
					 hr->body.len, now_ms(h));
		pump(ss);
		return;
	}
	if (!begin(h, c, extra, sizeof(extra), &ss))
		return;
	if (!ss) {
		handshake(h, c, extra);
		return;
	}
	if (hr->method == HTTP_POST) {
		/* only when the headers hook did not run: cannot happen */
		reply_eio_error(c, EIO_ERR_BAD_REQUEST, extra);
		return;
	}
	if (!(q = new_req(c, extra))) {
		reply(c, 500, "application/json", "{}", 2, extra);
		return;
	}
	link_req(ss, q);
	hang(c, q);
	/* answered within a ping interval (a ping, at worst) */
	http_hold(c,
		  (h->ecfg.ping_interval_ms + h->ecfg.ping_timeout_ms) / 1000 +
		      10);
	if (eio_session_on_get(ss->es, q, now_ms(h))) {
		unlink_req(q);
		reply_eio_error(c, EIO_ERR_UNKNOWN_SID, extra);
	}
	pump(ss);
}

void sio_http_headers(struct conn *c)
{
	struct sio_hub *h = app_of(c)->sio;
	struct http_req *hr = c->http;
	struct sio_session *ss;
	struct sio_req *q;
	char extra[EXTRA_MAX], type[128];
	bool binary;

	if (!h) {
		reply(c, 503, "application/json", "{}", 2, NULL);
		return;
	}
	if (!begin(h, c, extra, sizeof(extra), &ss))
		return;
	if (!ss || hr->method != HTTP_POST) { /* eio_request_parse()
						 refused these already */
		reply_eio_error(c, EIO_ERR_BAD_REQUEST, extra);
		return;
	}
	if (!(q = new_req(c, extra))) {
		reply(c, 500, "application/json", "{}", 2, extra);
		return;
	}
	binary = http_header(c, "content-type", type, sizeof(type)) > 0 &&
		 strncasecmp(type, "application/octet-stream", 24) == 0;
	q->body_pending = hr->content_length > 0;
	link_req(ss, q);
	hang(c, q);
	if (eio_session_on_post_start(ss->es, q, hr->content_length, binary,
				      now_ms(h))) {
		unlink_req(q);
		reply_eio_error(c, EIO_ERR_UNKNOWN_SID, extra);
	}
	pump(ss);
}

/* ---- WebSocket */

static bool ws_accept(struct conn *c, unsigned *status)
{
	struct sio_hub *h = app_of(c)->sio;
	struct eio_request r;
	enum eio_error code;
	char extra[EXTRA_MAX], origin[256];

	if (!h || h->closing) {
		*status = 503;
		return false;
	}
	if (!check_origin(h, c, extra, sizeof(extra), origin, sizeof(origin))) {
		log_warn("sio: refused a websocket from origin '%s' (not this "
			 "server's; see --cors-origin)",
			 origin);
		*status = 403;
		return false;
	}
	if (parse_query(c, EIO_METHOD_GET, true, &r, &code)) {
		*status = 400;
		return false;
	}
	if (r.sid[0] ? !find(h, r.sid) : table_full(h)) {
		if (!r.sid[0])
			h->st.refused++;
		*status = r.sid[0] ? 400 : 503;
		return false;
	}
	return true;
}

static void ws_open(struct conn *c)
{
	struct sio_hub *h = app_of(c)->sio;
	struct sio_session *ss;
	struct eio_request r;
	enum eio_error code;
	int err;

	c->proto = NULL;
	if (!h || h->closing ||
	    parse_query(c, EIO_METHOD_GET, true, &r, &code)) {
		conn_close(c, 1011, "refused");
		return;
	}
	if (!r.sid[0]) { /* a WebSocket-only session */
		if (table_full(h)) {
			h->st.refused++;
			conn_close(c, 1013, "too many sessions");
			return;
		}
		ss = session_new(h, EIO_WEBSOCKET, c, c->peer);
		if (!ss) {
			conn_close(c, 1011, "cannot open a session");
			return;
		}
		identify(ss, c);
		add_ws(ss, c);
		pump(ss);
		return;
	}
	ss = find(h, r.sid);
	if (!ss) {
		conn_close(c, 1008, "session ID unknown");
		return;
	}
	err = eio_session_ws_attach(ss->es, c, now_ms(h));
	if (err) {
		conn_close(c, 1008,
			   err == -EBUSY ? "already upgraded"
					 : "session closed");
		return;
	}
	add_ws(ss, c);
	pump(ss);
}

static void ws_message(struct conn *c, const char *p, size_t n, bool binary)
{
	struct sio_session *ss = c->proto;

	if (!ss || ss->dead)
		return;
	eio_session_on_ws_frame(ss->es, c, p, n, binary, now_ms(ss->hub));
	pump(ss);
}

static void ws_closed(struct conn *c)
{
	struct sio_session *ss = c->proto;

	if (!ss)
		return;
	drop_ws(ss, c);
	if (ss->dead)
		return;
	eio_session_on_ws_closed(ss->es, c, now_ms(ss->hub));
	pump(ss);
}

static void ws_drained(struct conn *c)
{
	struct sio_session *ss = c->proto;

	if (ss && !ss->dead && !ss->pumping)
		sio_socket_drained(ss->sock);
}

const struct ws_dialect sio_ws = {
    .path = "/socket.io/",
    .prefix = true,
    .accept = ws_accept,
    .raw = true,
    .open = ws_open,
    .message = ws_message,
    .closed = ws_closed,
    .drained = ws_drained,
};

/* ---- the Socket.IO layer's side */

/*
 * What the Socket.IO layer asks for is carried out on the next turn of
 * the loop, not inside its call: the caller may be a run's output
 * callback or a room's broadcast to every member, and a pump that ended
 * the session there would free the state they are walking (a room's
 * member list, a run's subscribers). Emits of one turn also share one
 * polling response.
 */
static void kick(struct sio_session *ss)
{
	if (!ss->pumping && !ss->dead)
		uv_timer_start(&ss->timer, on_timer, 0, 0);
}

int sio_session_send(struct sio_session *ss, const char *data, size_t len)
{
	int r;

	if (ss->dead)
		return -EPIPE;
	r = eio_session_send(ss->es, data, len, false, now_ms(ss->hub));
	if (r == 0)
		kick(ss);
	return r;
}

void sio_session_close(struct sio_session *ss, const char *reason)
{
	if (ss->dead)
		return;
	eio_session_close(ss->es, reason, now_ms(ss->hub));
	kick(ss);
}

size_t sio_session_queued(const struct sio_session *ss)
{
	size_t n;

	if (ss->dead)
		return 0;
	n = eio_session_buffered(ss->es);
	for (int i = 0; i < 2; i++)
		if (ss->ws[i])
			n += conn_queued(ss->ws[i]);
	return n;
}

/* ---- the hub */

struct sio_hub *sio_hub_new(uv_loop_t *loop, struct app *app,
			    const struct sio_module *const *modules)
{
	const struct config *cfg = app->cfg;
	struct sio_hub *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->loop = loop;
	h->app = app;
	eio_config_default(&h->ecfg);
	h->ecfg.ping_interval_ms = (uint32_t)cfg->sio_ping_interval_ms;
	h->ecfg.ping_timeout_ms = (uint32_t)cfg->sio_ping_timeout_ms;
	/* what the HTTP and WebSocket layers let through, at most the
	 * reference's 1e6 */
	if (h->ecfg.max_payload > cfg->max_body_bytes)
		h->ecfg.max_payload = cfg->max_body_bytes;
	if (h->ecfg.max_payload > cfg->max_message_bytes)
		h->ecfg.max_payload = cfg->max_message_bytes;
	sio_limits_default(&h->scfg.limits);
	h->scfg.limits.max_packet = h->ecfg.max_payload;
	/* what waits for a client that does not read: flow control keeps
	 * it near 256 KiB (runs) or one text (rooms); this is the hard cap,
	 * and one event may take half of it (a whole session document) */
	h->ecfg.max_buffered = SIO_MAX_BUFFERED;
	h->scfg.max_emit = SIO_MAX_BUFFERED / 2;
	h->scfg.connect_timeout_ms = cfg->sio_connect_timeout_ms;
	h->scfg.modules = modules;
	h->cors = cfg->cors_origins;
	h->max_sessions = cfg->sio_max_sessions;
	h->st.max_sessions = h->max_sessions;
	return h;
}

void sio_hub_shutdown(struct sio_hub *h)
{
	struct sio_session *ss, *next;

	if (!h)
		return;
	h->closing = true;
	for (ss = h->sessions; ss; ss = next) {
		next = ss->next; /* pump() may end ss, not the next */
		eio_session_close(ss->es, "server shutting down", now_ms(h));
		pump(ss);
	}
}

void sio_hub_free(struct sio_hub *h)
{
	if (!h)
		return;
	h->closing = true;
	while (h->sessions)
		session_end(h->sessions, "server shutting down");
	free(h);
}

void sio_hub_stats(const struct sio_hub *h, struct sio_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!h)
		return;
	*out = h->st;
	for (const struct sio_session *ss = h->sessions; ss; ss = ss->next)
		if (eio_session_state(ss->es) != EIO_S_WEBSOCKET)
			out->polling++;
}
