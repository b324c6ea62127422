/*
 * eio_request.h - the checks an Engine.IO v4 HTTP request or WebSocket
 * upgrade passes before it reaches a session, pure.
 *
 * The client puts everything in the query string of /socket.io/:
 *   EIO=4             protocol version (mandatory, only 4 is served)
 *   transport=...     "polling" or "websocket"
 *   sid=...           the session, once the handshake gave one
 *   t=...             cache buster (polling), ignored
 *   b64=1             the client cannot take binary frames, ignored (we
 *                     never send binary)
 * plus whatever the application added (the client's 'query' option),
 * ignored here. The verdicts follow the reference server:
 *   unknown transport                      0 "Transport unknown"
 *   sid not in our format                  1 "Session ID unknown"
 *   handshake (no sid) by a POST, PUT, ... 2 "Bad handshake method"
 *   malformed query, repeated parameter,
 *   WebSocket transport without an upgrade
 *   (or an upgrade asking for polling)     3 "Bad request"
 *   EIO missing or not 4                   5 "Unsupported protocol version"
 * A sid in the right format that names no session is the caller's to
 * answer with EIO_ERR_UNKNOWN_SID, and a polling request for a session
 * already upgraded is the session's (eio_session_on_get() answers 400).
 */
#ifndef CODEROOM_EIO_REQUEST_H
#define CODEROOM_EIO_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "proto/eio_packet.h"
#include "proto/eio_session.h"

enum eio_error {
	EIO_ERR_UNKNOWN_TRANSPORT = 0,
	EIO_ERR_UNKNOWN_SID = 1,
	EIO_ERR_BAD_HANDSHAKE_METHOD = 2,
	EIO_ERR_BAD_REQUEST = 3,
	EIO_ERR_FORBIDDEN = 4,
	EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION = 5,
};

enum eio_method { EIO_METHOD_GET, EIO_METHOD_POST, EIO_METHOD_OTHER };

#define EIO_QUERY_MAX 4096 /* longer query strings are a bad request */

struct eio_request {
	enum eio_transport transport;
	char sid[EIO_SID_MAX + 1]; /* "" for a handshake */
};

/*
 * Checks a request to the Engine.IO path. query is what follows '?' (NULL
 * or empty for none), still percent-encoded; upgrade says the request
 * asks for a WebSocket. Returns 0 with *r filled, or -EINVAL with *code.
 */
int eio_request_parse(const char *query, size_t len, enum eio_method method,
		      bool upgrade, struct eio_request *r,
		      enum eio_error *code);

/* "Transport unknown", ... as the reference server words them. */
const char *eio_error_message(enum eio_error code);

/*
 * The reference server's refusal: *status 400 (403 for FORBIDDEN) and the
 * body {"code":N,"message":"..."} (Content-Type application/json)
 * appended to out. Returns 0 or buf_append()'s error.
 */
int eio_error_reply(enum eio_error code, struct buf *out, int *status);

#endif
