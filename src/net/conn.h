/*
 * conn.h - one client connection (HTTP or WebSocket) and what it may say.
 *
 * lws allocates a struct conn per connection (its per-session data) and
 * frees it after the CLOSED callback. A WebSocket's dialect keeps its own
 * state behind 'proto': its open() sets it, its closed() (called before the
 * conn goes) cancels what points at the conn and frees it. The net layer
 * knows no dialect and no run.
 * Handlers never call lws_write(): they queue frames with conn_send_*(),
 * and server.c writes them one per WRITEABLE callback.
 */
#ifndef CODEROOM_CONN_H
#define CODEROOM_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/outq.h"

struct lws;
struct server;
struct ws_dialect;

/* A client that lets its queue grow past this (control frames included)
 * is disconnected. */
#define CONN_QUEUE_MAX (8 * 1024 * 1024)

struct http_req;

struct conn {
	struct server *srv;
	struct lws *wsi;
	const struct ws_dialect *dialect; /* a WebSocket's dialect, or NULL */
	bool ws;			/* upgraded to WebSocket */
	struct conn *next, **pprev;	/* srv->conns (WebSockets) */
	char peer[64];			/* for logs */
	char client[64];		/* who it is, for quotas:
					   conn_client_key() of peer */
	uint64_t id;			/* for logs */

	struct outq q;			/* frames waiting for WRITEABLE */
	struct buf rx;			/* a message being reassembled */
	bool rx_binary;
	bool rx_too_large;		/* skip to the end of this message */
	bool closing;			/* close once q is flushed */
	bool close_sent;		/* the close has been handed to lws */
	bool lingering;			/* it is out: reading until the peer
					   closes (net/server.c) */
	uint16_t close_code;
	char close_reason[64];

	uint64_t last_rx_ms;		/* anything from the peer (pongs too) */
	bool ping_due;			/* write a ping before the next frame */
	bool ping_sent;			/* one is out, not answered yet */
	bool dead;			/* silent too long: close at once */
	uint64_t tx_ms;			/* the peer last took output, or had
					   none waiting (net/server.c) */
	uint64_t tx_writes, tx_writes_seen; /* frames written; by the
					   sweep's last look */
	size_t tx_kernel, tx_queued;	/* what was waiting then: in the
					   kernel, in q */

	uint64_t rate_window_ms;	/* control-message rate limiting */
	unsigned rate_count;

	double rx_tokens;		/* read rate: bytes it may still send */
	uint64_t rx_ms;			/* when rx_tokens was last refilled */
	bool rx_paused;			/* not read until the bucket refills */

	void *proto;			/* the dialect's state, or NULL */
	struct http_req *http;		/* HTTP request state, or NULL */
};

void conn_init(struct conn *c, struct server *srv, struct lws *wsi);
/* Releases everything the conn holds; called from the CLOSED callbacks. */
void conn_closed(struct conn *c);

/* Queue a WebSocket frame. Returns 0 or -errno (the conn is then closing). */
int conn_send_text(struct conn *c, const char *s, size_t n);
/*
 * Who a client is, for quotas (rooms it creates, WebSockets it holds):
 * its address, an IPv4-mapped IPv6 address as IPv4, and for IPv6 the /64
 * (one host commonly has a whole /64 to pick addresses from). Pure.
 */
void conn_client_key(const char *peer, char *out, size_t len);
/* Serialises and queues 'j', then drops the reference. */
int conn_send_json(struct conn *c, json_t *j);
/*
 * A frame of terminal output: 'tag', then p[0..n). Output queued behind
 * other frames (a busy socket) joins the previous frame of the same tag,
 * up to CONN_MERGE_MAX bytes: the client gets the same bytes in fewer
 * frames, and a burst of small writes costs fewer sends. A lone frame
 * (a keystroke's echo) is never held back for that.
 */
#define CONN_MERGE_ROOM (16 * 1024)
#define CONN_MERGE_MAX (64 * 1024)
int conn_send_binary(struct conn *c, unsigned char tag, const void *p,
		     size_t n);
/* {"type":"error","code":code,"message":msg[,"field":field]} */
int conn_send_error(struct conn *c, const char *code, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Close with 'code' once everything queued has been written. */
void conn_close(struct conn *c, uint16_t code, const char *reason);

/*
 * Rate limit for control messages (at most CONN_RATE_MAX a second; the
 * first one over gets a rate_limited error). Dialects call it for every
 * message but terminal input and acknowledgements, which the run's input
 * buffer and flow control bound instead. False: drop the message.
 */
#define CONN_RATE_MAX 64
bool conn_rate_ok(struct conn *c);

/* Bytes queued and not yet written (the dialects' flow control). */
size_t conn_queued(const struct conn *c);

#endif
