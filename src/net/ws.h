/*
 * ws.h - how the net layer hands WebSocket messages to a dialect.
 *
 * A dialect (src/proto/ws_*.c, and others) is a path and four callbacks.
 * main registers the dialects in struct server; server.c accepts an
 * upgrade only on a registered path, reassembles messages, enforces size
 * and rate limits, and hands each whole message to the connection's
 * dialect. The net layer includes no dialect's header.
 */
#ifndef CODEROOM_WS_H
#define CODEROOM_WS_H

#include <stdbool.h>
#include <stddef.h>

#include "net/conn.h"

struct server;

struct ws_dialect {
	const char *path;
	bool prefix;		/* 'path' matches as a prefix (then the
				   dialect reads the rest of the URI) */
	/*
	 * Optional: decides on an upgrade before it is accepted, in place of
	 * the same-origin rule (which it may apply with http_same_origin()).
	 * It may read the request's headers and query (http.h). False
	 * refuses: the client gets an HTTP 'status' (403 when it is left 0)
	 * and no WebSocket.
	 */
	bool (*accept)(struct conn *c, unsigned *status);
	/* Frames are not coderoom JSON: a message over the size limit closes
	 * the socket (1009) without an error frame before it. */
	bool raw;
	/* the socket is open: set up c->proto */
	void (*open)(struct conn *c);
	/* one whole message */
	void (*message)(struct conn *c, const char *p, size_t n, bool binary);
	/* the socket is gone: cancel what points at c, free c->proto */
	void (*closed)(struct conn *c);
	/* the send queue shrank (flow control); may be NULL */
	void (*drained)(struct conn *c);
};

/* The registered dialect for a request path (no query), or NULL. */
const struct ws_dialect *ws_dialect_for(const struct server *s,
					const char *path);

#endif
