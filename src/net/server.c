/*
 * server.c - lws on our libuv loop: routing, framing, back-pressure.
 *
 * One callback serves every protocol entry. HTTP requests go to http.c;
 * WebSocket upgrades are accepted only on the paths of ws.h's dialects and
 * from a same-origin page (or a client that sends no Origin, like curl or a
 * bot), unless the dialect decides itself (ws_dialect.accept); messages
 * are reassembled here, size-limited, and handed to the dialect whole.
 * Frames are written from the conn's queue in the WRITEABLE callback, as
 * many a call as the socket takes whole, or at once when a frame finds an
 * idle socket outside lws (server_ws_kick()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "lib/log.h"
#include "net/conn.h"
#include "net/http.h"
#include "net/lwsinc.h"
#include "net/server.h"
#include "net/ws.h"

/* lws 4.1 writes close frames for this write type (its private
 * LWS_WRITE_CLOSE) but no longer names it in its public header. */
#define WRITE_CLOSE ((enum lws_write_protocol)4)

uint64_t server_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t server_uptime_s(const struct server *s)
{
	return (server_now_ms() - s->start_ms) / 1000;
}

const struct ws_dialect *ws_dialect_for(const struct server *s,
					const char *path)
{
	for (const struct ws_dialect *const *d = s->dialects; d && *d; d++) {
		size_t n = strlen((*d)->path);
		if ((*d)->prefix ? strncmp(path, (*d)->path, n) == 0
				 : strcmp(path, (*d)->path) == 0)
			return *d;
	}
	return NULL;
}

/*
 * Answer a request that never reaches http.c (a refused WebSocket upgrade,
 * a request during the shutdown) at once: 'status' and {"error": msg},
 * JSON like every other error. 'msg' is a constant: nothing to escape. The
 * caller then refuses the connection, which lws closes.
 */
static void refuse_now(struct lws *wsi, unsigned status, const char *msg)
{
	unsigned char head[LWS_PRE + 512], body[LWS_PRE + 256];
	unsigned char *p = head + LWS_PRE, *end = head + sizeof(head) - 1;
	char *b = (char *)body + LWS_PRE;
	int n = snprintf(b, sizeof(body) - LWS_PRE, "{\"error\":\"%s\"}", msg);

	if (n < 0 || (size_t)n >= sizeof(body) - LWS_PRE ||
	    lws_add_http_common_headers(wsi, status, "application/json",
					(lws_filepos_t)n, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end))
		return;
	if (lws_write(wsi, head + LWS_PRE, (size_t)lws_ptr_diff(p, head + LWS_PRE),
		      LWS_WRITE_HTTP_HEADERS) < 0)
		return;
	lws_write(wsi, (unsigned char *)b, (size_t)n, LWS_WRITE_HTTP_FINAL);
}

/* Whether the upgrade on wsi may go ahead; 1 refuses it. */
static int filter_upgrade(struct server *s, struct conn *c, struct lws *wsi)
{
	const struct ws_dialect *d;
	unsigned status = 0;
	char uri[256];

	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 || !c)
		return 1;
	/* Answered, not dropped: a client with a wrong URL (a path given
	 * twice) or one arriving at a shutdown learns which. */
	if (!(d = ws_dialect_for(s, uri))) {
		log_info("server: no websocket endpoint at '%s' (404)", uri);
		refuse_now(wsi, 404, "no WebSocket endpoint at this path");
		return 1;
	}
	if (s->shutting_down) {
		refuse_now(wsi, 503, "the server is shutting down");
		return 1;
	}
	if (!c->srv) {	/* the dialect reads headers through a conn */
		conn_init(c, s, wsi);
		s->connections++;
	}
	if (d->accept ? d->accept(c, &status) : http_same_origin(c))
		return 0;
	if (!d->accept)
		log_warn("server: refused a cross-origin websocket to '%s'",
			 uri);
	if (!status)
		status = 403;
	refuse_now(wsi, status,
		   status == 403   ? "a WebSocket from a page of another "
				     "origin"
		   : status == 503 ? "unavailable; try again shortly"
		   : status == 400 ? "bad request"
				   : "refused");
	return 1;
}

/* The read-rate bucket of a WebSocket, refilled up to 'now'. */
static void rx_refill(struct conn *c, uint64_t now)
{
	const struct config *cfg = c->srv->cfg;
	double burst = 2.0 * (double)cfg->max_message_bytes;

	if (!c->rx_ms) {
		c->rx_tokens = burst;
	} else {
		c->rx_tokens += (double)(now - c->rx_ms) *
				(double)cfg->ws_read_rate / 1000.0;
		if (c->rx_tokens > burst)
			c->rx_tokens = burst;
	}
	c->rx_ms = now;
}

/* 'len' bytes came in: past the rate, stop reading until the sweep finds
 * the bucket refilled (server.h). */
static void rx_charge(struct conn *c, size_t len)
{
	if (!c->srv->cfg->ws_read_rate)
		return;
	rx_refill(c, server_now_ms());
	c->rx_tokens -= (double)len;
	if (c->rx_tokens < 0 && !c->rx_paused) {
		c->rx_paused = true;
		c->srv->ws_throttled++;
		lws_rx_flow_control(c->wsi, 0);
		log_debug("conn %llu: %s sends faster than %llu bytes a second: "
			  "reading paused", (unsigned long long)c->id, c->peer,
			  (unsigned long long)c->srv->cfg->ws_read_rate);
	}
}

/*
 * The buffer a message is reassembled in is kept for the next one while
 * it is this small (keystrokes, control messages: no malloc each), and
 * freed once the message is handled when it grew larger: a socket that
 * sent one 1 MiB program would otherwise hold 1 MiB until it closes.
 */
#define WS_RX_KEEP 1024

static void ws_receive(struct conn *c, const void *in, size_t len)
{
	struct lws *wsi = c->wsi;

	if (lws_is_first_fragment(wsi)) {
		buf_reset(&c->rx);
		c->rx_binary = lws_frame_is_binary(wsi);
		c->rx_too_large = false;
	}
	if (!c->rx_too_large && buf_append(&c->rx, in, len)) {
		c->rx_too_large = true;
		buf_release(&c->rx);
		if (!c->dialect->raw)
			conn_send_error(c, "too_large", NULL,
					"message larger than %zu bytes",
					c->srv->cfg->max_message_bytes);
	}
	if (!lws_is_final_fragment(wsi))
		return;
	if (c->rx_too_large) {
		/* read to the end of the message first: closing with unread
		 * bytes would reset the connection and lose the close frame */
		conn_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
			   "message too large");
		return;
	}

	c->dialect->message(c, c->rx.data ? c->rx.data : "", c->rx.len,
			    c->rx_binary);
	if (c->rx.cap > WS_RX_KEEP)
		buf_release(&c->rx);
	else
		buf_reset(&c->rx);
}

/*
 * Writes queued frames while the socket takes each one whole, up to
 * WRITE_BUDGET bytes (a busy socket must not hold the loop): one
 * WRITEABLE round trip per burst, not per frame. lws buffers the part of
 * a frame the kernel did not take; nothing more is written until that
 * went out (lws_partial_buffered()). -1: the socket is broken.
 */
#define WRITE_BUDGET (256 * 1024)

/* Every frame of a WebSocket goes out here: the count tells the sweep
 * whether anything can be waiting in the kernel since it last looked. */
static int ws_send(struct conn *c, unsigned char *p, size_t n,
		   enum lws_write_protocol proto)
{
	c->tx_writes++;
	return lws_write(c->wsi, p, n, proto);
}

static int ws_write_frames(struct conn *c)
{
	struct outq_frame *f;
	size_t sent = 0;

	while ((f = outq_peek(&c->q)) && sent < WRITE_BUDGET) {
		enum lws_write_protocol proto =
			f->kind == OUTQ_BINARY ? LWS_WRITE_BINARY : LWS_WRITE_TEXT;
		if (ws_send(c, f->payload, f->len, proto) < 0)
			return -1;
		sent += f->len;
		outq_pop(&c->q);
		if (lws_partial_buffered(c->wsi))
			break;
	}
	if (!outq_empty(&c->q) || c->closing)
		lws_callback_on_writable(c->wsi);
	if (sent && c->dialect->drained)
		c->dialect->drained(c);
	return 0;
}

/*
 * Our close frame is out: shut the socket for writing (the peer gets the
 * frame, then FIN) and go on reading, dropping what comes, until the peer
 * closes too or CLOSE_LINGER_S passes. Closed at once with input unread,
 * a socket is reset; a client still writing (stdin a program does not
 * read) then fails its write, and a WebSocket library that gives up its
 * socket on that never reads the error and the close code already in it.
 */
#define CLOSE_LINGER_S 2

static void linger_close(struct conn *c)
{
	int fd = lws_get_socket_fd(c->wsi);

	c->lingering = true;
	log_debug("conn %llu: close sent to %s; reading until it closes too",
		  (unsigned long long)c->id, c->peer);
	if (fd >= 0)
		shutdown(fd, SHUT_WR);
	if (c->rx_paused) {
		c->rx_paused = false;
		lws_rx_flow_control(c->wsi, 1);
	}
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, CLOSE_LINGER_S);
}

static int ws_writeable(struct conn *c)
{
	struct outq_frame *f = outq_peek(&c->q);

	if (c->dead)
		return -1;
	if (c->ping_due && !c->close_sent) {
		/* with a payload: lws 4.1 calls back for no empty pong */
		unsigned char ping[LWS_PRE + 4] = { [LWS_PRE] = 'p', 'i', 'n', 'g' };
		c->ping_due = false;
		if (ws_send(c, ping + LWS_PRE, 4, LWS_WRITE_PING) < 0)
			return -1;
		if (f || c->closing)
			lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (f)
		return ws_write_frames(c);
	if (c->closing && !c->close_sent) {
		/*
		 * lws skips the close frame when WRITEABLE returns -1 (it
		 * takes that for a broken socket: clients see 1006, as ttyd's
		 * do), so the frame is written here; on the next WRITEABLE
		 * it is out, and the socket lingers (linger_close()).
		 */
		unsigned char frame[LWS_PRE + 2 + sizeof(c->close_reason)];
		size_t rl = strlen(c->close_reason);
		frame[LWS_PRE] = (unsigned char)(c->close_code >> 8);
		frame[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
		memcpy(frame + LWS_PRE + 2, c->close_reason, rl);
		c->close_sent = true;
		if (ws_send(c, frame + LWS_PRE, 2 + rl, WRITE_CLOSE) < 0)
			return -1;
		lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->close_sent && !c->lingering)
		linger_close(c);
	return 0;
}

void server_ws_kick(struct conn *c)
{
	struct server *s = c->srv;

	/*
	 * Outside lws's callbacks (a run's output arrives from its own
	 * poll), a frame that finds the queue otherwise empty and the socket
	 * with nothing buffered goes out now: a lone keystroke's echo costs
	 * one send(), not a poll change, a loop turn and a WRITEABLE. Inside
	 * a callback lws may be writing this socket itself (its handshake, a
	 * pong), so the frame waits for WRITEABLE as every other one does.
	 */
	if (c->ws && !s->in_callback && c->q.frames == 1 && !c->closing &&
	    !c->dead && !c->ping_due && !lws_partial_buffered(c->wsi)) {
		if (ws_write_frames(c) == 0)
			return;
		/* broken: the next WRITEABLE closes it */
		c->dead = true;
	}
	lws_callback_on_writable(c->wsi);
}

static void link_conn(struct server *s, struct conn *c)
{
	c->next = s->conns;
	if (s->conns)
		s->conns->pprev = &c->next;
	c->pprev = &s->conns;
	s->conns = c;
}

static void unlink_conn(struct conn *c)
{
	if (!c->pprev)
		return;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	c->pprev = NULL;
	c->next = NULL;
}

/* A WebSocket over --ws-per-client: it gets nothing but the close. */
static void refused_open(struct conn *c) {}
static void refused_message(struct conn *c, const char *p, size_t n,
			    bool binary) {}
static void refused_closed(struct conn *c) {}
static const struct ws_dialect refused = {
	.open = refused_open, .message = refused_message,
	.closed = refused_closed,
};

/* The WebSockets open from c's client (c not among them yet). */
static unsigned ws_of_client(const struct server *s, const struct conn *c)
{
	unsigned n = 0;

	for (const struct conn *o = s->conns; o; o = o->next)
		n += !strcmp(o->client, c->client);
	return n;
}

static void release(struct server *s, struct conn *c)
{
	if (!c || !c->srv)
		return;
	if (c->ws) {
		c->dialect->closed(c);
		unlink_conn(c);
		log_info("conn %llu: closed websocket from %s",
			 (unsigned long long)c->id, c->peer);
	}
	conn_closed(c);
	c->srv = NULL;
	s->connections--;
}

static int serve(struct lws *wsi, enum lws_callback_reasons reason,
		 void *user, void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct server *s = ctx ? lws_context_user(ctx) : NULL;
	struct conn *c = user;
	char uri[256];

	switch (reason) {
	case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
		if (c && !c->srv) {
			conn_init(c, s, wsi);
			s->connections++;
		}
		return 0;

	case LWS_CALLBACK_HTTP:
		if (!c)
			return -1;
		if (!c->srv) {
			conn_init(c, s, wsi);
			s->connections++;
		}
		if (s->shutting_down) {
			refuse_now(wsi, 503, "the server is shutting down");
			return -1;
		}
		return http_on_request(c, in);

	case LWS_CALLBACK_HTTP_BODY:
		return c && c->srv ? http_on_body(c, in, len) : -1;

	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return c && c->srv ? http_on_body_done(c) : -1;

	case LWS_CALLBACK_HTTP_WRITEABLE:
		return c && c->srv ? http_on_writeable(c) : -1;

	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		release(s, c);
		return 0;

	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return filter_upgrade(s, c, wsi);

	case LWS_CALLBACK_ESTABLISHED: {
		const struct ws_dialect *d;
		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
		    !(d = ws_dialect_for(s, uri)))
			return -1;
		if (c->srv)	/* the HTTP state of the upgrade request */
			release(s, c);
		conn_init(c, s, wsi);
		c->dialect = d;
		c->ws = true;
		s->connections++;
		unsigned held = ws_of_client(s, c);
		if (s->cfg->ws_per_client && held >= s->cfg->ws_per_client) {
			s->ws_refused++;
			log_warn("server: refused a websocket from %s: it holds "
				 "%u (--ws-per-client)", c->peer, held);
			c->dialect = &refused;
			conn_close(c, 1008, "too many WebSockets from this "
				   "address");
			return 0;
		}
		link_conn(s, c);
		c->last_rx_ms = server_now_ms();
		log_info("conn %llu: websocket %s from %s",
			 (unsigned long long)c->id, d->path, c->peer);
		d->open(c);
		return 0;
	}

	case LWS_CALLBACK_RECEIVE:
		if (c && c->srv && c->ws) {
			c->last_rx_ms = server_now_ms();
			c->ping_sent = false;
			if (!c->closing) {	/* once closing: read, dropped */
				rx_charge(c, len);
				ws_receive(c, in, len);
			}
		}
		return 0;

	case LWS_CALLBACK_RECEIVE_PONG:
		if (c && c->srv && c->ws) {
			c->last_rx_ms = server_now_ms();
			c->ping_sent = false;
		}
		return 0;

	case LWS_CALLBACK_SERVER_WRITEABLE:
		return c && c->srv && c->ws ? ws_writeable(c) : 0;

	case LWS_CALLBACK_CLOSED:
		release(s, c);
		return 0;

	default:
		return 0;
	}
}

/* serve(), with the server marked as inside lws (server_ws_kick()). */
static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct server *s = ctx ? lws_context_user(ctx) : NULL;
	int r;

	if (!s)
		return serve(wsi, reason, user, in, len);
	s->in_callback++;
	r = serve(wsi, reason, user, in, len);
	s->in_callback--;
	return r;
}

/*
 * lws (4.1) gives each WebSocket a receive buffer of WS_RX_PIECE bytes
 * (its rx_buffer_size) for the socket's whole life. On a server it holds
 * only control frames (at most 125 bytes): a data frame's payload goes to
 * RECEIVE straight from the loop's read buffer, in pieces of at most this
 * size, and ws_receive() reassembles them up to --max-message-bytes
 * whatever their size. At 64 KiB it was 64 KiB of heap per socket, and
 * with its chunk headers on pages of their own, most of an idle
 * WebSocket's resident memory (docs/operations.md, Sizing).
 * But lws also reads a WebSocket at most this many bytes (+ LWS_PRE) a
 * read(): with 512, a 1 MiB message took ~2000 reads and loop turns and
 * ~20% more server CPU than with 64 KiB; with 1 KiB the difference is
 * lost in the noise (and --ws-read-rate holds a socket to 256 KiB/s of
 * input anyway), for ~0.5 KiB more per socket.
 * Writes are sized separately: lws would cap each send at rx_buffer_size
 * too unless tx_packet_size says otherwise.
 */
#define WS_RX_PIECE 1024
#define WS_TX_PACKET (64 * 1024)

static const struct lws_protocols protocols[] = {
	/* protocols[0] also takes every WebSocket without a subprotocol */
	{ "http", callback, sizeof(struct conn), WS_RX_PIECE, 0, NULL,
	  WS_TX_PACKET },
	{ "coderoom.v1", callback, sizeof(struct conn), WS_RX_PIECE, 0, NULL,
	  WS_TX_PACKET },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void lws_log(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_warn("lws: %.*s", (int)n, line);
	else
		log_debug("lws: %.*s", (int)n, line);
}

/*
 * Drops a peer that neither answers nor reads. Asked to close, lws would
 * wait for the backlog it holds for the socket to drain, which a peer
 * that does not read never lets happen: socket, conn and run held for
 * ever. Shut for writing, the socket polls writable, lws's next send fails
 * and it closes; with linger 0 that close resets the connection and
 * throws away what the kernel still holds for the peer.
 */
static void abort_conn(struct conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = lws_get_socket_fd(c->wsi);

	c->dead = true;
	outq_release(&c->q);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		shutdown(fd, SHUT_WR);
	}
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/*
 * Whether c's peer has taken none of the output waiting for it for
 * 'limit' ms. A peer that stops reading but keeps sending (unasked pongs,
 * messages) answers for itself, so the heartbeat never drops it; what it
 * does not take stays in the kernel, in lws and in q (or, past
 * CONN_QUEUE_MAX, a close that cannot be written) and its run blocked, for
 * as long as it likes. Progress is any change of what waits: the kernel's
 * unacknowledged bytes (SIOCOUTQ) or q; both stop changing once a peer
 * takes nothing. A peer reading slowly but steadily keeps changing them.
 */
static bool tx_stalled(struct conn *c, uint64_t now, uint64_t limit)
{
	int fd = lws_get_socket_fd(c->wsi), kernel = 0;
	bool held = !outq_empty(&c->q) || c->closing ||
		    lws_partial_buffered(c->wsi);	/* on our side */
	bool waiting, wrote = c->tx_writes != c->tx_writes_seen;

	c->tx_writes_seen = c->tx_writes;
	if (!wrote && !c->tx_kernel && !held) {
		/* the kernel had nothing for it and got nothing since: an
		 * idle socket costs the sweep no system call */
		c->tx_ms = now;
		c->tx_queued = 0;
		return false;
	}
	if (fd < 0 || ioctl(fd, SIOCOUTQ, &kernel) < 0)
		kernel = 0;
	waiting = kernel > 0 || held;
	if (!waiting || (size_t)kernel != c->tx_kernel ||
	    c->q.bytes != c->tx_queued || !c->tx_ms) {
		c->tx_ms = now;
		c->tx_kernel = (size_t)kernel;
		c->tx_queued = c->q.bytes;
		return false;
	}
	return now - c->tx_ms >= limit;
}

/* Pings silent WebSockets and drops the ones that stay silent, and those
 * that take none of their output; reads again from those whose read rate
 * has refilled. */
static void on_sweep(uv_timer_t *t)
{
	struct server *s = t->data;
	uint64_t now = server_now_ms();

	for (struct conn *c = s->conns; c; c = c->next) {
		uint64_t quiet;
		if (c->dead)
			continue;
		if (s->cfg->ws_ping_ms && s->cfg->ws_timeout_ms &&
		    tx_stalled(c, now, s->cfg->ws_timeout_ms)) {
			log_info("conn %llu: %s took none of its output for "
				 "%llu ms: dropped", (unsigned long long)c->id,
				 c->peer, (unsigned long long)(now - c->tx_ms));
			abort_conn(c);
			continue;
		}
		if (c->close_sent)
			continue;
		if (c->rx_paused) {
			rx_refill(c, now);
			if (c->rx_tokens < 0)
				continue;	/* silent because we do not read */
			c->rx_paused = false;
			c->last_rx_ms = now;
			lws_rx_flow_control(c->wsi, 1);
		}
		if (!s->cfg->ws_ping_ms || !s->cfg->ws_timeout_ms)
			continue;
		quiet = now - c->last_rx_ms;
		if (quiet >= s->cfg->ws_timeout_ms) {
			log_info("conn %llu: no answer from %s for %llu ms: "
				 "dropped", (unsigned long long)c->id, c->peer,
				 (unsigned long long)quiet);
			abort_conn(c);
		} else if (quiet >= s->cfg->ws_ping_ms && !c->ping_sent) {
			c->ping_sent = c->ping_due = true;
			lws_callback_on_writable(c->wsi);
		}
	}
}

int server_start(struct server *s)
{
	struct lws_context_creation_info info;
	void *loops[1] = { s->loop };

	memset(&info, 0, sizeof(info));
	lws_set_log_level(LLL_ERR | (log_enabled(LOG_DEBUG) ? LLL_WARN | LLL_NOTICE : 0),
			  lws_log);
	info.options = LWS_SERVER_OPTION_LIBUV |
		       LWS_SERVER_OPTION_VALIDATE_UTF8 |
		       LWS_SERVER_OPTION_DISABLE_IPV6 * (strchr(s->cfg->host, ':') == NULL);
	info.foreign_loops = loops;
	info.port = s->cfg->port;
	info.iface = s->cfg->host;
	info.protocols = protocols;
	info.user = s;
	info.pcontext = &s->ctx;
	info.max_http_header_data = 8192;
	info.timeout_secs = 20;
	info.ka_time = 0;
	info.pt_serv_buf_size = 64 * 1024;
	info.vhost_name = "coderoom";
	info.server_string = "coderoom";

	s->ctx = lws_create_context(&info);
	if (!s->ctx) {
		log_error("server: cannot listen on %s:%d", s->cfg->host,
			  s->cfg->port);
		return -EADDRINUSE;
	}
	struct lws_vhost *vh = lws_get_vhost_by_name(s->ctx, "coderoom");
	s->port = vh ? lws_get_vhost_listen_port(vh) : s->cfg->port;
	if ((s->cfg->ws_ping_ms && s->cfg->ws_timeout_ms) ||
	    s->cfg->ws_read_rate) {
		/* pings, and sockets whose reading paused (250 ms steps, so
		 * a paused client is not held much past its rate) */
		uint64_t every = 250;
		if (s->cfg->ws_ping_ms && s->cfg->ws_ping_ms < every)
			every = s->cfg->ws_ping_ms;
		if (s->cfg->ws_ping_ms && s->cfg->ws_timeout_ms &&
		    s->cfg->ws_timeout_ms / 4 < every)
			every = s->cfg->ws_timeout_ms / 4 ? s->cfg->ws_timeout_ms / 4
							  : 1;
		uv_timer_init(s->loop, &s->sweep);
		s->sweep.data = s;
		uv_timer_start(&s->sweep, on_sweep, every, every);
		uv_unref((uv_handle_t *)&s->sweep);
		s->sweep_started = true;
	}
	return 0;
}

void server_begin_shutdown(struct server *s)
{
	s->shutting_down = true;
	for (struct conn *c = s->conns; c; c = c->next)
		conn_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
}

/*
 * lws (4.1) on a foreign loop destroys its context in steps as its
 * handles close, and sets s->ctx (info.pcontext) to NULL when it is done;
 * when its static handles happen to close after its last connection, it
 * waits for lws_context_destroy() to be called again instead. So: call it
 * here, run the loop, then call server_finish().
 */
void server_stop(struct server *s)
{
	if (s->sweep_started) {
		uv_timer_stop(&s->sweep);
		uv_close((uv_handle_t *)&s->sweep, NULL);
		s->sweep_started = false;
	}
	if (s->ctx)
		lws_context_destroy(s->ctx);
}

void server_finish(struct server *s)
{
	if (s->ctx)
		lws_context_destroy(s->ctx);	/* completes it (ctx = NULL) */
	s->ctx = NULL;
}
