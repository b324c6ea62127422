/*
 * http.h - HTTP requests: body collection, routing, responses.
 *
 * server.c feeds the lws HTTP callbacks in; a route's handler answers with
 * http_reply*(), at once or later (an execute request answers when its run
 * ends). Responses are written by http_writeable(), one lws_write() per
 * WRITEABLE callback. Every error is JSON: {"error": "...", "field"?: ...}.
 */
#ifndef CODEROOM_HTTP_H
#define CODEROOM_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"
#include "run/run.h"

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
	bool answered;			/* a reply is queued or sent */

	/* the response */
	unsigned status;
	const char *content_type;
	struct buf resp;		/* owned body */
	const char *borrowed;		/* or a static file's bytes */
	size_t resp_len, sent;
	bool headers_sent;
	bool close_after;		/* Connection: close */
	char headers[512];		/* extra "Name: value\r\n" lines */

	struct conn *conn;		/* the connection it came on */

	/* a batch run this request waits for (api_execute.c) */
	struct run_sub sub;
	struct buf out[3];		/* by stream; out[0] interleaved */
	void *api;			/* an API file's state (batch.h) */
	void (*api_free)(void *api);	/* frees it with the request */
};

/* lws callback glue (server.c). Each returns 0, or -1 to close. */
int http_on_request(struct conn *c, const char *uri);
int http_on_body(struct conn *c, const void *p, size_t n);
int http_on_body_done(struct conn *c);
int http_on_writeable(struct conn *c);
void http_on_closed(struct conn *c);

/* Responses. 'extra' is more header lines ("Name: value\r\n"), or NULL. */
void http_reply(struct conn *c, unsigned status, const char *type,
		const void *body, size_t len, const char *extra);
/* Serialises and drops the reference to 'j'. */
void http_reply_json(struct conn *c, unsigned status, json_t *j);
void http_reply_error(struct conn *c, unsigned status, const char *field,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Parses the body as a JSON object, answering 400 itself when it is not.
 * Returns a new reference or NULL.
 */
json_t *http_body_json(struct conn *c);

/*
 * API tokens (auth.h): true when the request may use the run APIs; else
 * answers 401 itself and returns false.
 */
bool http_authorized(struct conn *c);
/* Whether the request's Authorization / X-Api-Token header is valid
 * (HTTP or a WebSocket upgrade). */
bool http_token_ok(const struct conn *c);

#endif
