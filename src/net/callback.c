/*
 * callback.c - HTTP PUT callbacks on a raw non-blocking libuv TCP socket.
 *
 * A request: resolve (uv_getaddrinfo) -> check the address -> connect to
 * it -> write the whole request -> read until the status line is in ->
 * close. A timer bounds each try. The request holds two handles (tcp,
 * timer) and is freed once both have closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/log.h"
#include "net/callback.h"

#define RESP_MAX 512	/* we only read the status line */

struct callback_req {
	struct callbacks *cb;
	struct callback_req *next;
	char url[256];			/* for the log (cut) */
	char host[256], path[1024];
	uint16_t port;
	char *req;			/* the whole HTTP request */
	size_t reqlen;
	unsigned tries;
	uv_getaddrinfo_t gai;
	struct sockaddr_storage addr;
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_write_t wr;
	uv_timer_t timer;
	char resp[RESP_MAX];
	size_t resplen;
	bool resolving, tcp_open, timer_open, done;
	bool retry;			/* start again once tcp has closed */
};

/* ---- pure parts ------------------------------------------------------ */

int callback_url_parse(const char *url, char *host, size_t hostlen,
		       uint16_t *port, char *path, size_t pathlen)
{
	const char *p, *hs, *he, *ps;
	size_t n;

	if (strncasecmp(url, "http://", 7))
		return -EINVAL;
	p = hs = url + 7;
	if (*p == '[') {
		hs = ++p;
		if (!(he = strchr(p, ']')))
			return -EINVAL;
		p = he + 1;
	} else {
		while (*p && !strchr(":/?#@[]", *p))
			p++;
		he = p;
	}
	if (*p == '@' || he == hs)
		return -EINVAL;
	n = (size_t)(he - hs);
	if (n >= hostlen)
		return -EINVAL;
	memcpy(host, hs, n);
	host[n] = '\0';
	/* a DNS name or an IPv4 address; inside brackets an IPv6 one (no
	 * zone): nothing else reaches the resolver or the Host header */
	for (size_t i = 0; i < n; i++) {
		char ch = host[i];
		bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
			   (ch >= 'A' && ch <= 'F');
		bool ok = hs != url + 7 ? hex || ch == ':' || ch == '.' :
			  hex || (ch >= 'g' && ch <= 'z') ||
			  (ch >= 'G' && ch <= 'Z') || ch == '-' || ch == '.' ||
			  ch == '_';
		if (!ok)
			return -EINVAL;
	}
	*port = 80;
	if (*p == ':') {
		unsigned long v = 0;
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned long)(*p++ - '0');
			if (v > 65535)
				return -EINVAL;
		}
		if (!v)
			return -EINVAL;
		*port = (uint16_t)v;
	}
	if (*p && *p != '/' && *p != '?')
		return -EINVAL;
	ps = *p ? p : "/";
	if (*ps == '?') {	/* "http://h?x" -> "/?x" */
		if (snprintf(path, pathlen, "/%s", ps) >= (int)pathlen)
			return -EINVAL;
	} else if (snprintf(path, pathlen, "%s", ps) >= (int)pathlen) {
		return -EINVAL;
	}
	/* the fragment is not sent; nothing that could split the request */
	if ((ps = strchr(path, '#')))
		path[ps - path] = '\0';
	for (const char *q = path; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return -EINVAL;
	return 0;
}

bool callback_host_allowed(const struct callback_policy *p, const char *host)
{
	for (const char *const *h = p ? p->hosts : NULL; h && *h; h++)
		if (!strcasecmp(*h, host))
			return true;
	return false;
}

static bool v4_private(uint32_t a)	/* host order */
{
	return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
	       (a >> 16) == 0xa9fe ||			/* 169.254/16 */
	       (a >> 20) == 0xac1 ||			/* 172.16/12 */
	       (a >> 16) == 0xc0a8 ||			/* 192.168/16 */
	       (a >> 22) == (100u << 2 | 1) ||		/* 100.64/10 */
	       (a >> 8) == 0xc00000 ||			/* 192.0.0/24 */
	       (a >> 17) == (198u << 7 | 9) ||		/* 198.18/15 */
	       (a >> 28) >= 0xe;			/* multicast, 240/4 */
}

bool callback_addr_private(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return v4_private(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;
		const uint8_t *b = a->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a)) {
			uint32_t v = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
				     (uint32_t)b[14] << 8 | b[15];
			return v4_private(v);
		}
		return IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
		       IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_SITELOCAL(a) ||
		       IN6_IS_ADDR_MULTICAST(a) || (b[0] & 0xfe) == 0xfc ||
		       (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff &&
			b[3] == 0x9b) ||	/* NAT64 */
		       (b[0] == 0x20 && b[1] == 0x02);	/* 6to4 */
	}
	return true;	/* not an internet address */
}

int callback_check(const struct callback_policy *p, const char *url,
		   char *why, size_t whylen)
{
	char host[256], path[1024];
	uint16_t port;

	if (callback_url_parse(url, host, sizeof(host), &port, path,
			       sizeof(path))) {
		snprintf(why, whylen, "must be an http:// URL (http://HOST"
			 "[:PORT]/PATH)");
		return -EINVAL;
	}
	if (!callback_host_allowed(p, host)) {
		snprintf(why, whylen, "host '%.100s' is not allowed on this "
			 "server (the operator lists the hosts with "
			 "--callback-allow)", host);
		return -EACCES;
	}
	return 0;
}

/* ---- the request ----------------------------------------------------- */

static void req_unlink(struct callback_req *r)
{
	for (struct callback_req **p = &r->cb->live; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
}

static void maybe_free(struct callback_req *r)
{
	if (r->resolving || r->tcp_open || r->timer_open)
		return;
	free(r->req);
	free(r);
}

static void start_try(struct callback_req *r);

static void on_tcp_closed(uv_handle_t *h)
{
	struct callback_req *r = h->data;

	r->tcp_open = false;
	if (r->retry && !r->done) {
		r->retry = false;
		start_try(r);
		return;
	}
	maybe_free(r);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct callback_req *r = h->data;

	r->timer_open = false;
	maybe_free(r);
}

static void close_tcp(struct callback_req *r)
{
	if (r->tcp_open && !uv_is_closing((uv_handle_t *)&r->tcp))
		uv_close((uv_handle_t *)&r->tcp, on_tcp_closed);
}

/* The end of a request: logged, unlinked, its handles closed. */
static void finish(struct callback_req *r, int status, const char *why)
{
	if (r->done)
		return;
	r->done = true;
	if (status >= 200 && status < 300) {
		r->cb->sent++;
		log_info("callback: PUT %s -> %d", r->url, status);
	} else {
		r->cb->failed++;
		if (status > 0)
			log_warn("callback: PUT %s -> %d", r->url, status);
		else
			log_warn("callback: PUT %s failed: %s", r->url, why);
	}
	req_unlink(r);
	close_tcp(r);
	if (r->timer_open && !uv_is_closing((uv_handle_t *)&r->timer))
		uv_close((uv_handle_t *)&r->timer, on_timer_closed);
	maybe_free(r);
}

/* A try failed (no connection, no answer in time): again, or the end. */
static void try_failed(struct callback_req *r, const char *why)
{
	if (r->done)
		return;
	if (r->tries > 1 && !r->cb->closing) {
		r->tries--;
		log_info("callback: PUT %s: %s; trying again", r->url, why);
		uv_timer_stop(&r->timer);
		if (r->tcp_open) {
			r->retry = true;	/* on_tcp_closed() starts it */
			close_tcp(r);
		} else {
			start_try(r);
		}
		return;
	}
	finish(r, 0, why);
}

static void on_timeout(uv_timer_t *t)
{
	try_failed(t->data, "timed out");
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct callback_req *r = h->data;

	b->base = r->resp + r->resplen;
	b->len = sizeof(r->resp) - 1 - r->resplen;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct callback_req *r = s->data;
	int status;

	if (n > 0) {
		r->resplen += (size_t)n;
		r->resp[r->resplen] = '\0';
	}
	if (strstr(r->resp, "\r\n") || (n < 0 && r->resplen) ||
	    r->resplen + 1 >= sizeof(r->resp)) {
		if (sscanf(r->resp, "HTTP/%*d.%*d %d", &status) == 1 &&
		    status >= 100 && status < 600)
			finish(r, status, NULL);
		else
			finish(r, 0, "not an HTTP answer");
		return;
	}
	if (n < 0)
		try_failed(r, n == UV_EOF ? "closed without an answer"
					  : uv_strerror((int)n));
}

static void on_written(uv_write_t *w, int status)
{
	struct callback_req *r = w->data;

	if (status) {
		if (status != UV_ECANCELED)
			try_failed(r, uv_strerror(status));
		return;
	}
	if (!r->done)
		uv_read_start((uv_stream_t *)&r->tcp, on_alloc, on_read);
}

static void on_connected(uv_connect_t *c, int status)
{
	struct callback_req *r = c->data;
	uv_buf_t b = uv_buf_init(r->req, (unsigned)r->reqlen);

	if (status) {
		if (status != UV_ECANCELED)
			try_failed(r, uv_strerror(status));
		return;
	}
	if (r->done)
		return;
	r->wr.data = r;
	if (uv_write(&r->wr, (uv_stream_t *)&r->tcp, &b, 1, on_written))
		try_failed(r, "cannot write");
}

static void start_try(struct callback_req *r)
{
	int err;

	r->resplen = 0;
	r->resp[0] = '\0';
	if ((err = uv_tcp_init(r->cb->loop, &r->tcp))) {
		finish(r, 0, uv_strerror(err));
		return;
	}
	r->tcp.data = r;
	r->tcp_open = true;
	r->conn.data = r;
	uv_timer_start(&r->timer, on_timeout, r->cb->policy->timeout_ms, 0);
	if ((err = uv_tcp_connect(&r->conn, &r->tcp,
				  (const struct sockaddr *)&r->addr,
				  on_connected)))
		try_failed(r, uv_strerror(err));
}

static void on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *ai)
{
	struct callback_req *r = g->data;
	struct addrinfo *a;

	r->resolving = false;
	if (r->done) {		/* abandoned meanwhile */
		uv_freeaddrinfo(ai);
		maybe_free(r);
		return;
	}
	if (r->cb->closing) {
		uv_freeaddrinfo(ai);
		finish(r, 0, "shutting down");
		return;
	}
	if (status || !ai) {
		uv_freeaddrinfo(ai);
		finish(r, 0, status ? uv_strerror(status) : "no address");
		return;
	}
	/* every address must pass: a name that also points inside is not
	 * a public host */
	for (a = ai; a; a = a->ai_next)
		if (!r->cb->policy->allow_private &&
		    callback_addr_private(a->ai_addr))
			break;
	if (a) {
		uv_freeaddrinfo(ai);
		finish(r, 0, "the host resolves to a loopback, private or "
			     "link-local address (--callback-allow-private "
			     "allows it)");
		return;
	}
	memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
	uv_freeaddrinfo(ai);
	start_try(r);
}

void callbacks_init(struct callbacks *cb, uv_loop_t *loop,
		    const struct callback_policy *p)
{
	memset(cb, 0, sizeof(*cb));
	cb->loop = loop;
	cb->policy = p;
}

int callback_put(struct callbacks *cb, const char *url, const char *body,
		 size_t len)
{
	struct callback_req *r;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	char why[256], port[8];
	int err;

	if (cb->closing)
		return -ESHUTDOWN;
	if ((err = callback_check(cb->policy, url, why, sizeof(why))))
		return err;
	if (!(r = calloc(1, sizeof(*r))))
		return -ENOMEM;
	r->cb = cb;
	snprintf(r->url, sizeof(r->url), "%s", url);
	callback_url_parse(url, r->host, sizeof(r->host), &r->port, r->path,
			   sizeof(r->path));
	if (asprintf(&r->req, "PUT %s HTTP/1.1\r\nHost: %s%s%s:%u\r\n"
		     "User-Agent: coderoom\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     r->path, strchr(r->host, ':') ? "[" : "", r->host,
		     strchr(r->host, ':') ? "]" : "", r->port, len) < 0) {
		free(r);
		return -ENOMEM;
	}
	size_t hl = strlen(r->req);
	char *full = realloc(r->req, hl + len + 1);
	if (!full) {
		free(r->req);
		free(r);
		return -ENOMEM;
	}
	memcpy(full + hl, body, len);
	full[hl + len] = '\0';
	r->req = full;
	r->reqlen = hl + len;
	r->tries = cb->policy->tries ? cb->policy->tries : 1;
	uv_timer_init(cb->loop, &r->timer);
	r->timer.data = r;
	r->timer_open = true;
	r->gai.data = r;
	snprintf(port, sizeof(port), "%u", r->port);
	r->next = cb->live;
	cb->live = r;
	r->resolving = true;
	if ((err = uv_getaddrinfo(cb->loop, &r->gai, on_resolved, r->host, port,
				  &hints))) {
		r->resolving = false;
		finish(r, 0, uv_strerror(err));
	}
	return 0;
}

void callbacks_close(struct callbacks *cb)
{
	cb->closing = true;
	while (cb->live) {
		struct callback_req *r = cb->live;
		if (r->resolving)
			uv_cancel((uv_req_t *)&r->gai);
		finish(r, 0, "shutting down");
	}
}
