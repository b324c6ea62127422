/*
 * http.h - HTTP requests: body collection, routing, responses.
 *
 * server.c feeds the lws HTTP callbacks in; the route table main registers
 * (struct server.routes) says which handler answers a path; paths no route
 * claims are the IDE's static files. A handler answers with http_reply*(),
 * at once or later (an execute request answers when its run ends); what it
 * keeps meanwhile hangs on 'api' and is freed with the request.
 * Responses are written by http_writeable(), one lws_write() per
 * WRITEABLE callback. Every error is JSON: {"error": "...", "field"?: ...}.
 *
 * Answers waiting to be sent: a body is held whole until the client has
 * read it, so a client asking for big answers (a Judge0 submission with
 * its outputs is ~4 MiB) on many connections and never reading would
 * hold the server's memory. All the bodies held at once stay under
 * cfg->http_out_bytes; an answer over HTTP_OUT_SMALL that would pass it
 * becomes 503 + Retry-After (logged, counted in srv->http_out_refused).
 * Smaller answers (errors, tokens) always go. A client that takes no part
 * of an answer waiting for it for cfg->http_send_timeout_s is closed, so
 * the bodies held are those of clients still reading; a stream waits
 * under the same rule, and without one while all it had was taken (it
 * may pause for as long as its producer does).
 */
#ifndef CODEROOM_HTTP_H
#define CODEROOM_HTTP_H

#define HTTP_OUT_SMALL (64 * 1024)	/* never refused */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/buf.h"
#include "net/chunked.h"

struct conn;

enum http_method {
	HTTP_GET = 1, HTTP_HEAD = 2, HTTP_POST = 4, HTTP_PUT = 8,
	HTTP_DELETE = 16, HTTP_PATCH = 32, HTTP_OPTIONS = 64, HTTP_OTHER = 128,
};

struct http_req {
	enum http_method method;
	char path[512];			/* decoded path, no query */
	struct buf body;		/* request body (capped) */
	bool has_body;			/* POST/PUT/PATCH with a body to read */
	bool chunked;			/* ... in the chunked transfer coding */
	struct chunked dechunk;		/* its decoder */
	long long content_length;	/* as announced, or -1 (chunked) */
	uint64_t start_ms;		/* headers in (server_now_ms()) */
	bool answered;			/* a reply is queued or sent */
	uint64_t t0_ms;			/* when it arrived (access log) */

	/* the response */
	unsigned status;
	const char *content_type;
	struct buf resp;		/* owned body */
	const char *borrowed;		/* or a static file's bytes */
	size_t resp_len, sent;
	bool headers_sent;
	bool close_after;		/* Connection: close */
	size_t held;			/* of resp, in srv->http_out_bytes */
	char headers[512];		/* extra "Name: value\r\n" lines */

	/* a streamed response (http_stream_begin()): 'resp' holds the bytes
	 * not yet written, from 'sent' on; each write is one chunk */
	bool streaming;
	bool stream_ended;		/* http_stream_end() was called */
	void (*stream_drained)(struct conn *c);	/* the queue fell low */

	struct conn *conn;		/* the connection it came on */
	const struct http_route *route;	/* the route of 'path', or NULL */

	void *api;			/* the handler's state, or NULL */
	void (*api_free)(void *api);	/* frees it with the request */
};

/*
 * One entry of the route table. 'path' matches exactly, or as a prefix when
 * 'prefix' is set (then the handler reads the rest of c->http->path). A
 * method outside 'methods' gets 405 with an Allow header; HEAD is answered
 * as GET. The table ends with an entry whose path is NULL.
 * 'message_errors': every error answered on this route's paths, by http.c
 * (405, 411, 413, bad JSON) or with http_reply_error(), is
 * {"message": "..."} instead of {"error": "...", "field"?} (the shape
 * Piston's clients read).
 *
 * 'handle' runs once the body is in. 'headers', when set, runs before it,
 * as soon as the headers of a request with a body (a POST, PUT, PATCH,
 * with a Content-Length or chunked) have arrived and before the body is
 * read or checked against the size limit; if it answers, the body is
 * dropped unread, the connection closed after the answer, and 'handle'
 * is not called.
 */
struct http_route {
	const char *path;
	bool prefix;
	unsigned methods;		/* enum http_method bits */
	void (*handle)(struct conn *c);
	bool message_errors;
	void (*headers)(struct conn *c);
};

/* lws callback glue (server.c). Each returns 0, or -1 to close. */
int http_on_request(struct conn *c, const char *uri);
int http_on_body(struct conn *c, const void *p, size_t n);
int http_on_body_done(struct conn *c);
int http_on_writeable(struct conn *c);
void http_on_closed(struct conn *c);

/*
 * The handler answers later than lws's request timeout (20 s) allows: the
 * connection waits up to 'secs' seconds for the answer before it is
 * dropped (0: no limit).
 */
void http_hold(struct conn *c, unsigned secs);

/* Responses. 'extra' is more header lines ("Name: value\r\n"), or NULL. */
void http_reply(struct conn *c, unsigned status, const char *type,
		const void *body, size_t len, const char *extra);
/* Serialises and drops the reference to 'j'. */
void http_reply_json(struct conn *c, unsigned status, json_t *j);
void http_reply_error(struct conn *c, unsigned status, const char *field,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Streamed responses (server-sent events, JSON lines): the body is sent as
 * it is produced, in the chunked transfer coding, on a keep-alive
 * connection. http_stream_begin() answers with 'status' and 'type' (and
 * 'extra' header lines, or NULL); http_stream_write() queues bytes, each
 * call becoming one chunk on the wire; http_stream_end() ends the body.
 * Back-pressure: a producer keeps http_stream_queued() below
 * HTTP_STREAM_HIGH (it stops reading its source above it) and 'drained'
 * is called, when not NULL, once the queue falls below HTTP_STREAM_LOW.
 * A write that would take the queue past HTTP_STREAM_MAX is refused
 * (-ENOBUFS). If the client goes away, the request is freed as always
 * (its api_free cancels the producer). A HEAD request gets the headers
 * only. Returns 0, or -EALREADY when the request was answered already.
 */
#define HTTP_STREAM_HIGH (64 * 1024)
#define HTTP_STREAM_LOW (16 * 1024)
/* one event may be big: /api/generate's "done" holds its whole text,
 * up to 1 MiB (--ai-max-bytes) that JSON escaping can make 6 MiB */
#define HTTP_STREAM_MAX (8 * 1024 * 1024)
int http_stream_begin(struct conn *c, unsigned status, const char *type,
		      const char *extra, void (*drained)(struct conn *c));
int http_stream_write(struct conn *c, const void *p, size_t n);
void http_stream_end(struct conn *c);
size_t http_stream_queued(const struct conn *c);

/* Answers with the IDE's file for the request's path (what a path that no
 * route claims gets): a route that serves the IDE for some requests. */
void http_serve_static(struct conn *c);

/* Whether the client asked for JSON rather than a page: its Accept header
 * names application/json and not text/html (a browser's navigation names
 * text/html; a health checker or an API client names JSON). */
bool http_wants_json(const struct conn *c);

/*
 * Parses the body as a JSON object, answering 400 itself when it is not.
 * Returns a new reference or NULL.
 */
json_t *http_body_json(struct conn *c);

/*
 * Copies request header 'name' (lower case, without the colon, e.g.
 * "authorization", "x-api-token") of an HTTP request or a WebSocket
 * upgrade into 'out', NUL-terminated. Returns its length, or -1 when it
 * is missing or longer than 'len' - 1.
 */
int http_header(const struct conn *c, const char *name, char *out,
		size_t len);
/*
 * The query string of the request (what followed '?'), percent-encoded
 * again in a canonical form: lws hands out its arguments URL-decoded, so
 * every byte but RFC 3986's unreserved ones is written as %XX ("a b&c"
 * arrives as "a%20b%26c"). "" when there is none. Returns its length, or
 * -1 when it does not fit in 'len' - 1 bytes.
 */
int http_query_string(const struct conn *c, char *out, size_t len);

/* Whether the request (HTTP or a WebSocket upgrade) carries no Origin
 * (not a browser) or one naming the host it was sent to. */
bool http_same_origin(const struct conn *c);

/*
 * Copies the value of query parameter 'name' (?name=value, URL-decoded)
 * into 'out', NUL-terminated. Returns its length, or -1 when it is absent
 * or longer than 'len' - 1.
 */
int http_query(const struct conn *c, const char *name, char *out,
	       size_t len);

#endif
