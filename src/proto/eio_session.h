/*
 * eio_session.h - one Engine.IO v4 session as a pure state machine.
 *
 * The glue (lws callbacks) feeds it what happened - a polling GET or POST
 * arrived, a WebSocket frame arrived, a connection went away, time
 * passed, the layer above has a message to send - and then drains the
 * actions it must carry out with eio_session_pop(): answer this HTTP
 * request with this body, send this frame on this WebSocket, close it,
 * hand this message up, the session is over. The session never does I/O,
 * never reads a clock (every input carries 'now' in milliseconds, from any
 * monotonic clock) and never sees a socket: requests and WebSockets are
 * opaque handles ('void *', the glue's own pointers) that it only stores,
 * compares and hands back in actions.
 *
 * States
 *   POLLING    HTTP long-polling. At most one GET is held, waiting for
 *              data; outgoing packets wait in the session until a GET
 *              takes them (at most max_payload bytes per response).
 *   UPGRADING  polling still carries the traffic while a WebSocket with
 *              the same sid probes: "2probe" -> "3probe", then any held
 *              (or new) GET is answered at once (buffered packets, else
 *              a noop "6") so the client can pause polling; "5" switches.
 *   WEBSOCKET  every packet is one frame on the WebSocket.
 *   CLOSING    the server closed a polling session while no GET was
 *              held: the next GET gets the buffered packets and "1";
 *              close_timeout_ms later the session ends anyway.
 *   CLOSED     over; EIO_ACT_CLOSED was (or is about to be) popped.
 *
 * Rules enforced, as the reference server (engine.io 6) does:
 *   - one outstanding GET: a second one closes the session (the held GET
 *     gets "1", the new one 400) - same for two POSTs at once;
 *   - the server pings every ping_interval_ms (counted from the last
 *     pong) and closes the session when no pong arrives within
 *     ping_timeout_ms; a ping from the client is a protocol error (v4);
 *   - a "1" from the client closes the session (a held GET gets "6");
 *   - polling requests on an upgraded session get 400 and change nothing;
 *     a second WebSocket for the session is refused (-EBUSY);
 *   - anything but "2probe" or "5" on a probing WebSocket closes that
 *     WebSocket (the session stays on polling), as does
 *     upgrade_timeout_ms without "5";
 *   - a malformed packet or payload closes the session ("parse error");
 *   - a POST body or frame larger than max_payload closes it (413);
 *   - more than 'burst' incoming packets at once, or more than 'rate'
 *     per second sustained, closes it ("rate limit");
 *   - outgoing packets buffered while the client is not polling are
 *     capped at max_buffered bytes: eio_session_send() returns -ENOBUFS
 *     and the caller decides (drop, pause its source, close).
 *
 * Ownership: the caller owns the session and frees it with
 * eio_session_free() - after popping EIO_ACT_CLOSED, or at any time
 * (shutdown: requests still held are then the glue's to answer or drop).
 * Handles must stay valid while the session may name them: a request
 * until it was answered (an EIO_ACT_HTTP_REPLY naming it) or reported
 * gone, a WebSocket until EIO_ACT_WS_CLOSE named it or it was reported
 * closed.
 *
 * Errors: inputs return 0 or -errno: -EINVAL (a NULL or unknown handle,
 * a call that makes no sense in this state), -EPIPE (session closed or
 * closing), -ENOBUFS, -ENOMEM. Protocol violations by the client are not
 * errors of the call: they become actions (an HTTP error reply, a close).
 */
#ifndef CODEROOM_EIO_SESSION_H
#define CODEROOM_EIO_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/eio_packet.h"

struct eio_config {
	uint32_t ping_interval_ms;   /* 25000: a ping this long after the
					last pong (or the open) */
	uint32_t ping_timeout_ms;    /* 20000: the pong must follow within */
	uint32_t upgrade_timeout_ms; /* 10000: probe to "5" */
	uint32_t close_timeout_ms;   /* 30000: CLOSING waits this long for a
					GET to carry "1" */
	size_t max_payload;	     /* 1000000: advertised; bigger POST
					bodies and frames are refused; also
					the size of one GET response */
	size_t max_buffered;	     /* 1 MiB: outgoing bytes waiting for
					the client */
	size_t max_packets;	     /* 1000: packets in one POST body */
	uint32_t rate;		     /* 200: incoming packets per second,
					sustained */
	uint32_t burst;		     /* 1000: incoming packets at once */
	bool allow_upgrade;	     /* offer "websocket" to polling
					sessions */
};

/* The values above: the reference server's timings and maxPayload. */
void eio_config_default(struct eio_config *c);

enum eio_transport { EIO_POLLING, EIO_WEBSOCKET };

enum eio_state {
	EIO_S_POLLING,
	EIO_S_UPGRADING,
	EIO_S_WEBSOCKET,
	EIO_S_CLOSING,
	EIO_S_CLOSED,
};

enum eio_action_type {
	EIO_ACT_HTTP_REPLY, /* answer request 'to': status, content_type,
			       body data[0..len) */
	EIO_ACT_WS_SEND,    /* send data[0..len) on WebSocket 'to' as one
			       frame, binary or text */
	EIO_ACT_WS_CLOSE,   /* close WebSocket 'to' with ws_code, after the
			       frames already sent to it; the session no
			       longer names it */
	EIO_ACT_DELIVER,    /* a message for the layer above (Socket.IO):
			       data[0..len), binary or text */
	EIO_ACT_CLOSED,     /* the session is over ('reason'); always the
			       last action; free the session */
};

struct eio_action {
	enum eio_action_type type;
	void *to;		  /* the request or WebSocket handle */
	int status;		  /* HTTP_REPLY: 200, 400, 413 */
	const char *content_type; /* HTTP_REPLY */
	const char *data;	  /* valid until the next eio_session_pop()
				     or eio_session_free() */
	size_t len;
	bool binary;		  /* WS_SEND, DELIVER */
	int ws_code;		  /* WS_CLOSE: 1000 normal, 1002 protocol
				     error, 1008 rate limit, 1009 too big,
				     1011 out of memory */
	const char *reason;	  /* WS_CLOSE, CLOSED, error replies: why
				     (a static string) */
};

struct eio_session;

/*
 * A new session, handshake included. transport EIO_POLLING: 'conn' is the
 * handshake GET, answered with the open packet at the first pop.
 * EIO_WEBSOCKET: 'conn' is the WebSocket, the open packet its first
 * frame. The sid (eio_sid_valid()) is copied. The config is copied; its
 * values are clamped to at least 1 (ms, bytes, packets). Returns NULL on
 * ENOMEM or EINVAL (errno set).
 */
struct eio_session *eio_session_new(const struct eio_config *cfg,
				    const char *sid, enum eio_transport t,
				    void *conn, uint64_t now);
void eio_session_free(struct eio_session *s);

const char *eio_session_sid(const struct eio_session *s);
enum eio_state eio_session_state(const struct eio_session *s);
const char *eio_state_name(enum eio_state st);
/* Bytes of outgoing packets waiting for the client (polling). */
size_t eio_session_buffered(const struct eio_session *s);

/* ---- inputs */

/* A polling GET for this session. */
int eio_session_on_get(struct eio_session *s, void *req, uint64_t now);

/*
 * A polling POST: first its headers (content_length as sent, or -1;
 * binary: Content-Type application/octet-stream, which v4 forbids), then,
 * if no reply to 'req' was queued, its complete body. The reply ("ok", or
 * an error) is always queued by on_post_body() or before it.
 */
int eio_session_on_post_start(struct eio_session *s, void *req,
			      long long content_length, bool binary,
			      uint64_t now);
int eio_session_on_post_body(struct eio_session *s, void *req,
			     const char *body, size_t len, uint64_t now);

/*
 * A request the session holds (a GET, a started POST) lost its connection
 * before it was answered: the session closes ("transport error"), as the
 * reference server does. An unknown req is ignored (returns -EINVAL).
 */
int eio_session_on_request_gone(struct eio_session *s, void *req,
				uint64_t now);

/*
 * A WebSocket carrying this session's sid (an upgrade). -EBUSY: the
 * session already has one, or is not on polling: close the new
 * WebSocket, the session is unchanged. -EPIPE: closing/closed.
 */
int eio_session_ws_attach(struct eio_session *s, void *ws, uint64_t now);

/* A complete WebSocket message (reassembled by the glue). */
int eio_session_on_ws_frame(struct eio_session *s, void *ws, const char *data,
			    size_t len, bool binary, uint64_t now);

/*
 * A WebSocket of the session closed (the peer, an error). Once
 * EIO_ACT_WS_CLOSE named it the session has forgotten it, and reporting
 * its close returns -EINVAL, harmlessly.
 */
int eio_session_on_ws_closed(struct eio_session *s, void *ws, uint64_t now);

/*
 * Time passed: the ping, ping timeout, upgrade timeout and closing timeout
 * fire here. Call it at eio_session_deadline() (calling early or often is
 * harmless).
 */
int eio_session_tick(struct eio_session *s, uint64_t now);

/* When eio_session_tick() next has work; UINT64_MAX for never. */
uint64_t eio_session_deadline(const struct eio_session *s);

/*
 * A message for the client (a Socket.IO packet, or with binary a binary
 * attachment). Copied. -ENOBUFS: over max_buffered (nothing queued);
 * -EPIPE: the session is closing or closed.
 */
int eio_session_send(struct eio_session *s, const char *data, size_t len,
		     bool binary, uint64_t now);

/*
 * The server ends the session ('reason' is a static string). Queued
 * packets still go out first: on the WebSocket before its close; on
 * polling with "1" in the held GET, or in the next GET (state CLOSING).
 */
int eio_session_close(struct eio_session *s, const char *reason,
		      uint64_t now);

/* ---- outputs */

/*
 * The next action, in order; false when there is none now. Pop until
 * false after every input. The action's data stays valid until the next
 * pop or eio_session_free().
 */
bool eio_session_pop(struct eio_session *s, struct eio_action *a);

#endif
