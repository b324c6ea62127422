/*
 * ws.h - the WebSocket dialects coderoom speaks, one file each.
 *
 *   ws_native.c    /ws           coderoom.v1 (docs/protocol.md)
 *   ws_execute.c   /ws/execute   the seed systems' protocol
 *   ws_piston.c    /api/v2/connect   Piston v2's interactive protocol
 *
 * server.c reassembles messages, enforces size and rate limits, and hands
 * each whole message to the dialect of the connection's path.
 */
#ifndef CODEROOM_WS_H
#define CODEROOM_WS_H

#include <stdbool.h>
#include <stddef.h>

#include "net/conn.h"

struct ws_dialect {
	const char *path;
	enum conn_kind kind;
	void (*open)(struct conn *c);
	void (*message)(struct conn *c, const char *p, size_t n, bool binary);
	/* the socket is gone: cancel what points at c */
	void (*closed)(struct conn *c);
	/* the send queue shrank (flow control) */
	void (*drained)(struct conn *c);
};

extern const struct ws_dialect ws_native;
extern const struct ws_dialect ws_execute;
extern const struct ws_dialect ws_piston;

/* The dialect for a request path, or NULL. */
const struct ws_dialect *ws_dialect_for(const char *path);

#endif
