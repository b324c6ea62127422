/*
 * http.c - HTTP requests: body collection, routing, responses.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "lib/utf8.h"
#include "net/conn.h"
#include "net/http.h"
#include "net/lwsinc.h"
#include "net/server.h"
#include "net/webroot.h"

#define CHUNK (16 * 1024)

static void req_free(struct http_req *h)
{
	if (!h)
		return;
	if (h->api && h->api_free)
		h->api_free(h->api);
	if (h->held)
		h->conn->srv->http_out_bytes -= h->held;
	buf_release(&h->body);
	buf_release(&h->resp);
	free(h);
}

static enum http_method method_of(struct lws *wsi)
{
	static const struct { enum lws_token_indexes tok; enum http_method m; }
	tokens[] = {
		{ WSI_TOKEN_GET_URI, HTTP_GET },
		{ WSI_TOKEN_POST_URI, HTTP_POST },
		{ WSI_TOKEN_HEAD_URI, HTTP_HEAD },
		{ WSI_TOKEN_PUT_URI, HTTP_PUT },
		{ WSI_TOKEN_PATCH_URI, HTTP_PATCH },
		{ WSI_TOKEN_DELETE_URI, HTTP_DELETE },
		{ WSI_TOKEN_OPTIONS_URI, HTTP_OPTIONS },
	};
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		if (lws_hdr_total_length(wsi, tokens[i].tok) > 0)
			return tokens[i].m;
	return HTTP_OTHER;
}

static const char *allow_header(unsigned methods, char *out, size_t len)
{
	static const struct { unsigned m; const char *name; } names[] = {
		{ HTTP_GET, "GET, HEAD" }, { HTTP_POST, "POST" },
		{ HTTP_PUT, "PUT" }, { HTTP_PATCH, "PATCH" },
		{ HTTP_DELETE, "DELETE" }, { HTTP_OPTIONS, "OPTIONS" },
	};
	size_t n = (size_t)snprintf(out, len, "Allow:");

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && n < len; i++)
		if (methods & names[i].m)
			n += (size_t)snprintf(out + n, len - n, "%s %s",
					      n > 6 ? "," : "", names[i].name);
	if (n < len)
		snprintf(out + n, len - n, "\r\n");
	return out;
}

static void method_not_allowed(struct conn *c, const char *allow)
{
	static const char body[] = "{\"error\":\"method not allowed\"}";
	static const char msg[] = "{\"message\":\"Method Not Allowed\"}";
	bool m = c->http->route && c->http->route->message_errors;

	http_reply(c, 405, "application/json", m ? msg : body,
		   (m ? sizeof(msg) : sizeof(body)) - 1, allow);
}

static void reply_error_extra(struct conn *c, unsigned status,
			      const char *field, const char *extra,
			      const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Any other path is a page of the IDE, GET only. Said in the error: a
 * client with a wrong base URL (a Judge0 client posting to /submissions
 * of a server without --judge0-root) learns why, not only "no". */
static void page_method_not_allowed(struct conn *c)
{
	reply_error_extra(c, 405, NULL, "Allow: GET, HEAD\r\n",
			  "method not allowed: '%.300s' is a page of the IDE "
			  "(GET only); no API is served at this path",
			  c->http->path);
}

static void serve_static(struct conn *c)
{
	struct http_req *h = c->http;
	const struct webroot *w = c->srv->web;
	const struct webfile *f = webroot_find(w, h->path);
	char extra[256], inm[64];

	if (!f) {
		const char *base = strrchr(h->path, '/');
		/* a missing asset is a 404; any other path is a client-side
		 * route of the IDE */
		if (base && strchr(base, '.')) {
			http_reply_error(c, 404, NULL, "no such file '%s'", h->path);
			return;
		}
		f = webroot_find(w, "/index.html");
		if (!f) {
			http_reply_error(c, 404, NULL,
					 "the IDE is not built (no index.html in "
					 "the web root)");
			return;
		}
	}
	snprintf(extra, sizeof(extra), "Cache-Control: %s\r\nETag: %s\r\n",
		 f->immutable ? "public, max-age=31536000, immutable"
			      : "no-cache",
		 f->etag);
	if (lws_hdr_copy(c->wsi, inm, sizeof(inm), WSI_TOKEN_HTTP_IF_NONE_MATCH) > 0 &&
	    strcmp(inm, f->etag) == 0) {
		http_reply(c, 304, NULL, NULL, 0, extra);
		return;
	}
	h->borrowed = f->data;
	http_reply(c, 200, f->mime, NULL, f->len, extra);
}

void http_serve_static(struct conn *c)
{
	serve_static(c);
}

bool http_wants_json(const struct conn *c)
{
	char accept[512];

	if (http_header(c, "accept", accept, sizeof(accept)) < 0)
		return false;
	for (char *p = accept; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	return strstr(accept, "application/json") &&
	       !strstr(accept, "text/html");
}

static bool route_matches(const struct http_route *r, const char *path)
{
	size_t n = strlen(r->path);

	return r->prefix ? strncmp(path, r->path, n) == 0
			 : strcmp(path, r->path) == 0;
}

static const struct http_route *find_route(const struct conn *c,
					   const char *path)
{
	for (const struct http_route *r = c->srv->routes; r && r->path; r++)
		if (route_matches(r, path))
			return r;
	return NULL;
}

static bool method_allowed(const struct http_route *r, enum http_method m)
{
	return ((m == HTTP_HEAD ? HTTP_GET : m) & r->methods) != 0;
}

static void dispatch(struct conn *c)
{
	struct http_req *h = c->http;
	const struct http_route *r = h->route;
	char allow[96];

	if (r) {
		if (!method_allowed(r, h->method)) {
			method_not_allowed(c, allow_header(r->methods, allow,
							   sizeof(allow)));
			return;
		}
		r->handle(c);
		return;
	}
	if (strncmp(h->path, "/api/", 5) == 0 || strcmp(h->path, "/api") == 0) {
		http_reply_error(c, 404, NULL, "no such endpoint '%s'", h->path);
		return;
	}
	if (h->method != HTTP_GET && h->method != HTTP_HEAD) {
		page_method_not_allowed(c);
		return;
	}
	serve_static(c);
}

int http_on_request(struct conn *c, const char *uri)
{
	struct http_req *h;
	char len[32];

	req_free(c->http);
	h = c->http = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	buf_init(&h->body, c->srv->cfg->max_body_bytes);
	buf_init(&h->resp, SIZE_MAX / 2);
	h->conn = c;
	h->t0_ms = server_now_ms();
	h->content_length = -1;
	h->start_ms = server_now_ms();
	h->method = method_of(c->wsi);
	snprintf(h->path, sizeof(h->path), "%s", uri && *uri ? uri : "/");
	h->route = find_route(c, h->path);

	if (h->method & (HTTP_POST | HTTP_PUT | HTTP_PATCH)) {
		int n = lws_hdr_copy(c->wsi, len, sizeof(len),
				     WSI_TOKEN_HTTP_CONTENT_LENGTH);
		char te[32];
		bool chunked = n <= 0 &&
			lws_hdr_copy(c->wsi, te, sizeof(te),
				     WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0 &&
			!strcasecmp(te, "chunked");
		unsigned long long v = 0;
		if (!chunked && n <= 0) {
			/* no length and not chunked: say what is needed */
			h->close_after = true;
			http_reply_error(c, 411, NULL,
					 "a request body needs a Content-Length "
					 "header");
			return 0;
		}
		if (!chunked) {
			char *end;
			errno = 0;
			v = strtoull(len, &end, 10);
			if (errno || *end || len[0] == '-' || v > LLONG_MAX) {
				h->close_after = true;
				http_reply_error(c, 400, NULL,
						 "bad Content-Length");
				return 0;
			}
			h->content_length = (long long)v;
		}
		if (h->route && h->route->headers &&
		    method_allowed(h->route, h->method)) {
			h->route->headers(c);
			if (h->answered) {
				/* the body stays unread: the connection
				 * cannot carry another request */
				if (chunked || v > 0)
					h->close_after = true;
				return 0;
			}
		}
		if (chunked) {
			/* lws hands us the framed bytes as a body of
			 * unknown length; decoded here, capped (413), and
			 * the connection closes after it (lws would take
			 * what follows for more body) */
			h->has_body = true;
			h->chunked = true;
			h->close_after = true;
			chunked_init(&h->dechunk);
			return 0;
		}
		if (v > c->srv->cfg->max_body_bytes) {
			h->close_after = true;
			http_reply_error(c, 413, NULL,
					 "request body of %llu bytes is larger "
					 "than the limit of %zu bytes", v,
					 c->srv->cfg->max_body_bytes);
			return 0;
		}
		if (v > 0) {
			h->has_body = true;
			return 0;	/* dispatch once the body is in */
		}
	}
	dispatch(c);
	return 0;
}

/*
 * lws restarts its own timeout on every piece of a body, so a client that
 * sends one byte every few seconds would keep its connection for ever
 * (slowloris): a body must be whole within request_timeout_ms of the
 * headers. The check runs as pieces arrive; a client that sends nothing
 * more is closed by lws's timeout (timeout_secs) anyway.
 */
static bool body_too_slow(struct conn *c)
{
	uint64_t limit = c->srv->cfg->request_timeout_ms;

	if (!limit || server_now_ms() - c->http->start_ms <= limit)
		return false;
	c->http->close_after = true;
	c->srv->http_timeouts++;
	http_reply_error(c, 408, NULL, "the request body did not arrive "
			 "within %llu ms", (unsigned long long)limit);
	return true;
}

int http_on_body(struct conn *c, const void *p, size_t n)
{
	struct http_req *h = c->http;

	if (!h || h->answered)
		return 0;
	if (body_too_slow(c))
		return 0;
	if (h->chunked) {
		long used = chunked_feed(&h->dechunk, p, n, &h->body);
		if (used == -ENOBUFS) {
			http_reply_error(c, 413, NULL, "request body too large "
					 "(at most %zu bytes)",
					 c->srv->cfg->max_body_bytes);
		} else if (used < 0) {
			http_reply_error(c, 400, NULL, "bad chunked request "
					 "body");
		} else if (h->dechunk.done) {
			dispatch(c);
		}
		return 0;
	}
	if (buf_append(&h->body, p, n)) {
		h->close_after = true;
		http_reply_error(c, 413, NULL, "request body too large");
	}
	return 0;
}

int http_on_body_done(struct conn *c)
{
	struct http_req *h = c->http;

	if (!h || h->answered)
		return 0;
	dispatch(c);
	return 0;
}

void http_hold(struct conn *c, unsigned secs)
{
	lws_set_timeout(c->wsi, secs ? PENDING_TIMEOUT_USER_OK
				     : NO_PENDING_TIMEOUT, (int)secs);
}

/*
 * The send timeout: while some of an answer waits for the client (on
 * lws's idle timeout, so lws closes the connection when it passes), or
 * none when nothing waits (a stream whose producer pauses). Restarted by
 * every piece written: a client reading, however slowly, keeps it off.
 */
static void send_timeout(struct conn *c, bool waiting)
{
	if (waiting)
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK,
				(int)c->srv->cfg->http_send_timeout_s);
	else
		lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
}

void http_reply(struct conn *c, unsigned status, const char *type,
		const void *body, size_t len, const char *extra)
{
	struct http_req *h = c->http;

	if (!h || h->answered)
		return;
	struct server *srv = c->srv;
	if (body && len > HTTP_OUT_SMALL &&
	    srv->http_out_bytes + len > srv->cfg->http_out_bytes) {
		char path[128];
		srv->http_out_refused++;
		log_warn("http: a %zu-byte answer to %s %s refused: %llu bytes "
			 "of answers are waiting to be sent (--http-out-bytes)",
			 len, c->peer, log_safe(h->path, path, sizeof(path)),
			 (unsigned long long)srv->http_out_bytes);
		http_reply_error(c, 503, NULL, "the server has too many answers "
				 "waiting to be sent to slow clients; try again "
				 "in a moment");
		return;
	}
	h->answered = true;
	h->status = status;
	h->content_type = type;
	if (body && len && buf_append(&h->resp, body, len)) {
		h->status = 500;
		h->content_type = "application/json";
		buf_reset(&h->resp);
		buf_append(&h->resp, "{\"error\":\"out of memory\"}", 25);
		len = h->resp.len;
	}
	h->resp_len = len;
	h->held = h->resp.len;
	srv->http_out_bytes += h->held;
	snprintf(h->headers, sizeof(h->headers), "%s", extra ? extra : "");
	/* held for a client that reads it: one that stops is closed (a
	 * request held for its answer, as a long poll, is answered now) */
	send_timeout(c, true);
	lws_callback_on_writable(c->wsi);
}

/* http_reply_json() with header lines 'extra' (or NULL). */
static void reply_json_extra(struct conn *c, unsigned status, json_t *j,
			     const char *extra)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (!s) {
		http_reply(c, 500, "application/json",
			   "{\"error\":\"cannot encode the reply\"}", 35, NULL);
		return;
	}
	http_reply(c, status, "application/json", s, strlen(s), extra);
	free(s);
}

void http_reply_json(struct conn *c, unsigned status, json_t *j)
{
	reply_json_extra(c, status, j, NULL);
}

/* http_reply_error() with header lines 'extra' (or NULL; a 503 then says
 * Retry-After). */
static void reply_error_v(struct conn *c, unsigned status, const char *field,
			  const char *extra, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
static void reply_error_v(struct conn *c, unsigned status, const char *field,
			  const char *extra, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[utf8_valid_prefix(msg, strlen(msg))] = '\0';	/* JSON needs UTF-8 */
	bool m = c->http && c->http->route && c->http->route->message_errors;
	json_t *j = json_pack("{s:s}", m ? "message" : "error", msg);
	if (field && !m)
		json_object_set_new(j, "field", json_string(field));
	if (!extra && status == 503 && c->http)
		extra = "Retry-After: 1\r\n";
	reply_json_extra(c, status, j, extra);
}

static void reply_error_extra(struct conn *c, unsigned status,
			      const char *field, const char *extra,
			      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error_v(c, status, field, extra, fmt, ap);
	va_end(ap);
}

void http_reply_error(struct conn *c, unsigned status, const char *field,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error_v(c, status, field, NULL, fmt, ap);
	va_end(ap);
}

int http_stream_begin(struct conn *c, unsigned status, const char *type,
		      const char *extra, void (*drained)(struct conn *c))
{
	struct http_req *h = c->http;

	if (!h || h->answered)
		return -EALREADY;
	h->answered = true;
	h->streaming = true;
	h->status = status;
	h->content_type = type;
	h->stream_drained = drained;
	buf_release(&h->resp);
	buf_init(&h->resp, HTTP_STREAM_MAX);
	snprintf(h->headers, sizeof(h->headers), "%s", extra ? extra : "");
	send_timeout(c, true);		/* the headers wait */
	lws_callback_on_writable(c->wsi);
	return 0;
}

int http_stream_write(struct conn *c, const void *p, size_t n)
{
	struct http_req *h = c->http;

	if (!h || !h->streaming || h->stream_ended)
		return -EPIPE;
	if (!n)
		return 0;
	/* the written part goes first: keep the queue's memory bounded */
	if (h->sent && h->sent == h->resp.len) {
		buf_reset(&h->resp);
		h->sent = 0;
	} else if (h->sent > h->resp.len / 2) {
		memmove(h->resp.data, h->resp.data + h->sent,
			h->resp.len - h->sent);
		h->resp.len -= h->sent;
		h->sent = 0;
	}
	bool idle = h->headers_sent && h->sent == h->resp.len;
	if (buf_append(&h->resp, p, n))
		return -ENOBUFS;
	h->resp_len += n;
	if (idle)	/* something waits for the client again */
		send_timeout(c, true);
	lws_callback_on_writable(c->wsi);
	return 0;
}

void http_stream_end(struct conn *c)
{
	struct http_req *h = c->http;

	if (!h || !h->streaming || h->stream_ended)
		return;
	h->stream_ended = true;
	lws_callback_on_writable(c->wsi);
}

size_t http_stream_queued(const struct conn *c)
{
	const struct http_req *h = c->http;

	return h && h->streaming ? h->resp.len - h->sent : 0;
}

json_t *http_body_json(struct conn *c)
{
	struct http_req *h = c->http;
	json_error_t err;
	json_t *j;

	if (h->body.len == 0) {
		http_reply_error(c, 400, NULL, "the request body is empty; "
				 "send a JSON object");
		return NULL;
	}
	j = json_loadb(h->body.data, h->body.len, JSON_REJECT_DUPLICATES, &err);
	if (!j) {
		http_reply_error(c, 400, NULL, "invalid JSON: %s (at byte %d)",
				 err.text, err.position);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_reply_error(c, 400, NULL, "the body must be a JSON object");
		return NULL;
	}
	return j;
}

/* Adds the "Name: value\r\n" lines of 'lines' to the header block. */
static int add_headers(struct lws *wsi, const char *lines, unsigned char **p,
		       unsigned char *end)
{
	while (*lines) {
		const char *colon = strchr(lines, ':');
		const char *eol = strstr(lines, "\r\n");
		char name[64];

		if (!colon || !eol || colon > eol ||
		    (size_t)(colon - lines + 2) > sizeof(name))
			return -1;
		size_t nl = (size_t)(colon - lines) + 1;
		memcpy(name, lines, nl);
		name[nl] = '\0';
		const char *v = colon + 1;
		while (*v == ' ')
			v++;
		if (lws_add_http_header_by_name(wsi, (unsigned char *)name,
						(const unsigned char *)v,
						(int)(eol - v), p, end))
			return -1;
		lines = eol + 2;
	}
	return 0;
}

static const char *method_name(enum http_method m)
{
	switch (m) {
	case HTTP_GET: return "GET";
	case HTTP_HEAD: return "HEAD";
	case HTTP_POST: return "POST";
	case HTTP_PUT: return "PUT";
	case HTTP_DELETE: return "DELETE";
	case HTTP_PATCH: return "PATCH";
	case HTTP_OPTIONS: return "OPTIONS";
	default: return "OTHER";
	}
}

/*
 * The Content-Security-Policy of every page (the IDE, in a room or not):
 * scripts only from this server and never inline, so a member's name or
 * chat line can never run code in another member's browser, even if a
 * page showed it as markup by mistake. Styles: see docs/operations.md
 * ("Content-Security-Policy") for why style elements are allowed.
 */
static const char page_policy[] =
	"Content-Security-Policy: default-src 'none'; script-src 'self'; "
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
	"font-src 'self'; connect-src 'self'; manifest-src 'self'; "
	"base-uri 'none'; form-action 'self'; frame-ancestors 'self'\r\n";

static int finish_transaction(struct conn *c)
{
	bool close_after = c->http->close_after;
	char path[128];

	log_safe(c->http->path, path, sizeof(path));
	struct log_kv kv[] = {
		LOG_STR("peer", c->peer),
		LOG_STR("method", method_name(c->http->method)),
		LOG_STR("path", path),
		LOG_NUM("status", c->http->status),
		LOG_NUM("bytes", c->http->resp_len),
		LOG_NUM("ms", server_now_ms() - c->http->t0_ms),
	};
	log_event(LOG_INFO, "access", kv, sizeof(kv) / sizeof(kv[0]),
		  "http: %s %s %s %u %zu", c->peer,
		  method_name(c->http->method), path, c->http->status,
		  c->http->resp_len);
	req_free(c->http);
	c->http = NULL;
	if (close_after)
		return -1;
	return lws_http_transaction_completed(c->wsi) ? -1 : 0;
}

static int stream_headers(struct conn *c)
{
	struct http_req *h = c->http;
	unsigned char buf[LWS_PRE + 2048];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	static const char security[] =
		"X-Content-Type-Options: nosniff\r\n"
		"Referrer-Policy: no-referrer\r\n"
		"X-Frame-Options: SAMEORIGIN\r\n"
		"Cache-Control: no-store\r\n"
		"Transfer-Encoding: chunked\r\n";

	if (lws_add_http_header_status(c->wsi, h->status, &p, end) ||
	    (h->content_type &&
	     lws_add_http_header_by_token(c->wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
					  (const unsigned char *)h->content_type,
					  (int)strlen(h->content_type), &p, end)) ||
	    add_headers(c->wsi, security, &p, end) ||
	    add_headers(c->wsi, h->headers, &p, end) ||
	    lws_finalize_write_http_header(c->wsi, start, &p, end))
		return -1;
	h->headers_sent = true;
	return 0;
}

/*
 * One WRITEABLE of a streamed response: the headers, or one chunk of what
 * is queued, or the last chunk once the producer ended it. Chunks are
 * framed here (lws 4.1 writes HTTP/1.1 bodies as they are given).
 */
static int stream_writeable(struct conn *c)
{
	struct http_req *h = c->http;
	unsigned char buf[LWS_PRE + 16 + CHUNK + 2];
	unsigned char *start = buf + LWS_PRE;
	size_t n, hl;

	if (!h->headers_sent) {
		if (stream_headers(c))
			return -1;
		if (h->method == HTTP_HEAD)
			return finish_transaction(c);
		lws_callback_on_writable(c->wsi);
		return 0;
	}
	n = h->resp.len - h->sent;
	if (n == 0) {
		if (!h->stream_ended) {
			/* all taken: the stream may now pause for as
			 * long as its producer does */
			send_timeout(c, false);
			return 0;	/* the next write asks again */
		}
		memcpy(start, "0\r\n\r\n", 5);
		if (lws_write(c->wsi, start, 5, LWS_WRITE_HTTP_FINAL) != 5)
			return -1;
		return finish_transaction(c);
	}
	if (n > CHUNK)
		n = CHUNK;
	hl = (size_t)snprintf((char *)start, 16, "%zx\r\n", n);
	memcpy(start + hl, h->resp.data + h->sent, n);
	memcpy(start + hl + n, "\r\n", 2);
	if (lws_write(c->wsi, start, hl + n + 2, LWS_WRITE_HTTP) !=
	    (int)(hl + n + 2))
		return -1;
	h->sent += n;
	/* a piece was taken; restarted while more waits */
	send_timeout(c, h->sent < h->resp.len || h->stream_ended);
	if (h->sent < h->resp.len || h->stream_ended)
		lws_callback_on_writable(c->wsi);
	if (h->stream_drained && h->resp.len - h->sent < HTTP_STREAM_LOW &&
	    h->resp.len - h->sent + n >= HTTP_STREAM_LOW)
		h->stream_drained(c);
	return 0;
}

int http_on_writeable(struct conn *c)
{
	struct http_req *h = c->http;
	unsigned char buf[LWS_PRE + CHUNK];
	unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;

	if (!h || !h->answered)
		return 0;
	if (h->streaming)
		return stream_writeable(c);
	if (!h->headers_sent) {
		static const char security[] =
			"X-Content-Type-Options: nosniff\r\n"
			"Referrer-Policy: no-referrer\r\n"
			"X-Frame-Options: SAMEORIGIN\r\n";
		bool html = h->content_type &&
			    strncmp(h->content_type, "text/html", 9) == 0;
		if (lws_add_http_common_headers(c->wsi, h->status,
						h->content_type, h->resp_len,
						&p, end) ||
		    add_headers(c->wsi, security, &p, end) ||
		    (html && add_headers(c->wsi, page_policy, &p, end)) ||
		    add_headers(c->wsi, h->headers, &p, end))
			return -1;
		if (h->close_after &&
		    lws_add_http_header_by_token(c->wsi, WSI_TOKEN_CONNECTION,
						 (const unsigned char *)"close",
						 5, &p, end))
			return -1;
		bool bodyless = h->resp_len == 0 || h->method == HTTP_HEAD ||
				h->status == 304;
		if (lws_finalize_http_header(c->wsi, &p, end))
			return -1;
		h->headers_sent = true;
		/* a body that fits after the headers goes with them: one
		 * send and one WRITEABLE for a whole API answer */
		size_t body = bodyless ? 0 : h->resp_len;
		if (body && body <= (size_t)(end - p)) {
			memcpy(p, h->borrowed ? h->borrowed : h->resp.data, body);
			p += body;
			h->sent = body;
		}
		int n = (int)(p - start);
		if (lws_write(c->wsi, start, (size_t)n,
			      bodyless || h->sent == h->resp_len ?
			      LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP_HEADERS) != n)
			return -1;
		if (bodyless || h->sent == h->resp_len)
			return finish_transaction(c);
		send_timeout(c, true);
		lws_callback_on_writable(c->wsi);
		return 0;
	}
	size_t n = h->resp_len - h->sent;
	if (n > CHUNK)
		n = CHUNK;
	memcpy(start, (h->borrowed ? h->borrowed : h->resp.data) + h->sent, n);
	bool last = h->sent + n == h->resp_len;
	if (lws_write(c->wsi, start, n,
		      last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	h->sent += n;
	if (last)
		return finish_transaction(c);
	send_timeout(c, true);
	lws_callback_on_writable(c->wsi);
	return 0;
}

void http_on_closed(struct conn *c)
{
	req_free(c->http);
	c->http = NULL;
}

bool http_same_origin(const struct conn *c)
{
	char origin[256], host[256];
	const char *o;

	if (lws_hdr_copy(c->wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0)
		return true;	/* not a browser */
	if (lws_hdr_copy(c->wsi, host, sizeof(host), WSI_TOKEN_HOST) <= 0)
		return false;
	o = strstr(origin, "://");
	o = o ? o + 3 : origin;
	return strcasecmp(o, host) == 0;
}

/* Appends s[0..n) to out[*at..len) percent-encoding all but RFC 3986's
 * unreserved characters; false when it does not fit. */
static bool query_encode(const char *s, size_t n, char *out, size_t len,
			 size_t *at)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
			     ch == '.' || ch == '~';
		if (*at + (plain ? 1 : 3) >= len)
			return false;
		if (plain) {
			out[(*at)++] = (char)ch;
		} else {
			out[(*at)++] = '%';
			out[(*at)++] = hex[ch >> 4];
			out[(*at)++] = hex[ch & 15];
		}
	}
	return true;
}

int http_query_string(const struct conn *c, char *out, size_t len)
{
	char frag[1024];
	size_t at = 0;

	if (len == 0)
		return -1;
	out[0] = '\0';
	for (int i = 0;; i++) {
		int fl = lws_hdr_fragment_length(c->wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
		if (fl <= 0)
			break;
		if ((size_t)fl >= sizeof(frag) ||
		    lws_hdr_copy_fragment(c->wsi, frag, sizeof(frag),
					  WSI_TOKEN_HTTP_URI_ARGS, i) != fl)
			return -1;
		/* lws decoded "name=value": encode both halves again */
		char *eq = memchr(frag, '=', (size_t)fl);
		size_t nl = eq ? (size_t)(eq - frag) : (size_t)fl;
		if (i > 0) {
			if (at + 1 >= len)
				return -1;
			out[at++] = '&';
		}
		if (!query_encode(frag, nl, out, len, &at))
			return -1;
		if (eq) {
			if (at + 1 >= len)
				return -1;
			out[at++] = '=';
			if (!query_encode(eq + 1, (size_t)fl - nl - 1, out, len,
					  &at))
				return -1;
		}
	}
	out[at] = '\0';
	return (int)at;
}

int http_header(const struct conn *c, const char *name, char *out,
		size_t len)
{
	static const struct { const char *name; enum lws_token_indexes tok; }
	known[] = {
		{ "authorization", WSI_TOKEN_HTTP_AUTHORIZATION },
		{ "origin", WSI_TOKEN_ORIGIN },
		{ "host", WSI_TOKEN_HOST },
		{ "content-type", WSI_TOKEN_HTTP_CONTENT_TYPE },
		{ "accept", WSI_TOKEN_HTTP_ACCEPT },
		{ "cookie", WSI_TOKEN_HTTP_COOKIE },
		{ "user-agent", WSI_TOKEN_HTTP_USER_AGENT },
		{ "if-none-match", WSI_TOKEN_HTTP_IF_NONE_MATCH },
		{ "sec-websocket-protocol", WSI_TOKEN_PROTOCOL },
		{ "transfer-encoding", WSI_TOKEN_HTTP_TRANSFER_ENCODING },
		/* a header lws knows (Judge0's): never a custom one */
		{ "x-auth-token", WSI_TOKEN_X_AUTH_TOKEN },
	};
	char custom[72];
	int n;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(name, known[i].name))
			continue;
		if (lws_hdr_total_length(c->wsi, known[i].tok) >= (int)len)
			return -1;
		n = lws_hdr_copy(c->wsi, out, (int)len, known[i].tok);
		return n > 0 ? n : -1;
	}
	/* lws matches custom headers with their colon, in lower case */
	n = snprintf(custom, sizeof(custom), "%s:", name);
	if (n <= 1 || (size_t)n >= sizeof(custom))
		return -1;
	if (lws_hdr_custom_length(c->wsi, custom, n) >= (int)len)
		return -1;
	n = lws_hdr_custom_copy(c->wsi, out, (int)len, custom, n);
	return n > 0 ? n : -1;
}

int http_query(const struct conn *c, const char *name, char *out,
	       size_t len)
{
	char frag[4096];
	size_t nl = strlen(name);

	if (!len)
		return -1;
	for (int i = 0; i < 64; i++) {
		int n = lws_hdr_copy_fragment(c->wsi, frag, sizeof(frag),
					      WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			return -1;
		if ((size_t)n > nl && !strncmp(frag, name, nl) &&
		    frag[nl] == '=') {
			if ((size_t)n - nl - 1 >= len)
				return -1;
			memcpy(out, frag + nl + 1, (size_t)n - nl);
			return n - (int)nl - 1;
		}
		if ((size_t)n == nl && !strcmp(frag, name)) {
			out[0] = '\0';
			return 0;
		}
	}
	return -1;
}
