/*
 * sio_transport.h - Engine.IO v4 on /socket.io/: HTTP long-polling and
 * WebSocket, for every session of the server (the hub).
 *
 * The glue between lws (net/) and the pure eio_session: each request and
 * WebSocket is fed to its session with the loop's time, and the actions
 * the session pops are carried out (answer this held GET, send this
 * frame, close, deliver a message to the Socket.IO layer, the session is
 * over). One uv timer per session fires at eio_session_deadline() (or the
 * Socket.IO connect timeout, whichever is first).
 *
 *   GET  /socket.io/?EIO=4&transport=polling         handshake, or a poll
 *                                                     (held until there is
 *                                                     something to send)
 *   POST /socket.io/?EIO=4&transport=polling&sid=S    packets; overlapping
 *                                                     and oversized POSTs
 *                                                     are refused at their
 *                                                     headers
 *   OPTIONS                                           CORS preflight
 *   WS   /socket.io/?EIO=4&transport=websocket[&sid=S]  WebSocket-only
 *                                                     session, or the
 *                                                     upgrade of S
 *
 * Pages from another origin are refused (403, code 4) unless listed with
 * --cors-origin; the sessions table is capped (--sio-max-sessions: 503 past
 * it); a session whose client stops polling or answering pings ends at
 * its ping timeout ("reaped"), as does one that never joins a namespace.
 *
 * Ownership: main creates the hub (sio_hub_new) after the app and frees
 * it (sio_hub_free) before the lws context is destroyed. A session is
 * freed from its timer's close callback, after EIO_ACT_CLOSED, so code
 * that fed it an input may still look at it (it is then marked dead).
 */
#ifndef CODEROOM_SIO_TRANSPORT_H
#define CODEROOM_SIO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "net/ws.h"
#include "proto/sio_socket.h"

struct app;
struct config;
struct conn;
struct sio_hub;
struct sio_session;

struct sio_stats {
	unsigned sessions; /* open now */
	unsigned polling;  /* of which on long-polling */
	unsigned max_sessions;
	uint64_t opened;    /* since start */
	uint64_t refused;   /* handshakes refused: table full */
	uint64_t upgraded;  /* polling sessions moved to WebSocket */
	uint64_t timed_out; /* ended by ping timeout (stopped polling,
			       or stopped answering pings) */
	uint64_t errors;    /* ended by a protocol error or a limit */
};

/* The hub for 'app' (whose cfg it reads); NULL on ENOMEM. 'modules' are
 * the Socket.IO event modules (NULL-terminated), kept by pointer. */
struct sio_hub *sio_hub_new(uv_loop_t *loop, struct app *app,
			    const struct sio_module *const *modules);
/* Shutdown, first step: every session is closed the way a client takes
 * as "transport close" (it will reconnect to the next server). */
void sio_hub_shutdown(struct sio_hub *h);
/* Frees every session left and the hub; held requests are dropped with
 * their connections. Run the loop afterwards (timers close). */
void sio_hub_free(struct sio_hub *h);
void sio_hub_stats(const struct sio_hub *h, struct sio_stats *out);

/* The route (prefix /socket.io/, every method) and its POST headers
 * hook, and the WebSocket dialect on the same path. */
void sio_http(struct conn *c);
void sio_http_headers(struct conn *c);
extern const struct ws_dialect sio_ws;

/* ---- for the Socket.IO layer */

/*
 * Both are carried out on the next turn of the loop (the caller may be a
 * run's or a room's callback, whose state a session ending now would
 * pull from under it); the session stays allocated until then.
 */
/* Queues one message (copied). 0, -EPIPE (closing or over), -ENOBUFS
 * (the client's queue is full), -EINVAL, -ENOMEM. */
int sio_session_send(struct sio_session *ss, const char *data, size_t len);
/* Ends the session; what was queued goes first. */
void sio_session_close(struct sio_session *ss, const char *reason);
/* Bytes waiting for the client: the session's buffer (polling) plus the
 * WebSocket's send queue. */
size_t sio_session_queued(const struct sio_session *ss);

#endif
