/*
 * httpc.c - an outbound HTTP/1.1 request on a non-blocking libuv socket,
 * TLS through OpenSSL memory BIOs.
 *
 * Steps: resolve (uv_getaddrinfo, thread pool) -> connect to each address
 * in turn until one answers -> TLS handshake (https) -> write the request
 * -> read: the head (httpc_parse.c), then the body, de-chunked by
 * chunked.c or counted by Content-Length or read to the end -> done().
 * A timer bounds the whole. The request holds up to three things that
 * end asynchronously (the timer, the name lookup, the socket); it is
 * freed when the caller has closed it and all three are over.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lib/buf.h"
#include "net/chunked.h"
#include "net/httpc.h"

struct wreq {
	uv_write_t w;
	struct httpc *c;
	char data[];
};

struct httpc {
	uv_loop_t *loop;
	const struct httpc_ops *ops;
	void *data;
	struct httpc_url url;
	char *req;			/* the whole request */
	size_t reqlen;
	uint64_t timeout_ms;

	uv_timer_t timer;
	uv_getaddrinfo_t gai;
	struct addrinfo *ai, *ai_next;	/* the addresses, the next to try */
	uv_tcp_t tcp;
	uv_connect_t conn;
	unsigned refs;			/* timer, lookup, socket not yet over */
	bool gai_pending, tcp_open;
	bool retry;			/* connect to the next address once
					   the socket has closed */
	int last_err;			/* of the last connect */

	SSL *ssl;			/* owns rbio and wbio */
	BIO *rbio, *wbio;
	bool handshaken;

	bool connected, paused;
	bool finished;			/* done() was called */
	bool closed;			/* httpc_close(): no more callbacks */

	struct buf head;		/* the response head, until parsed */
	bool have_head;
	struct httpc_head h;
	struct chunked dechunk;
	struct buf dec;			/* de-chunked bytes, handed on */
	int64_t left;			/* Content-Length left, -1: to EOF */

	char rbuf[64 * 1024];		/* one socket read */
	char plain[16 * 1024];		/* one SSL_read */
};

static void try_connect(struct httpc *c);
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

/* ---- TLS context ------------------------------------------------------ */

SSL_CTX *httpc_tls_new(const char *ca_file, char *why, size_t whylen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		snprintf(why, whylen, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		ERR_clear_error();	/* no system store: the CA file may do */
	if (ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		unsigned long e = ERR_get_error();
		snprintf(why, whylen, "cannot read the CA certificates in '%s': %s",
			 ca_file, e ? ERR_reason_error_string(e) : "unknown error");
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

void httpc_tls_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

/* ---- lifetime --------------------------------------------------------- */

static void maybe_free(struct httpc *c)
{
	if (!c->closed || c->refs)
		return;
	if (c->ai)
		uv_freeaddrinfo(c->ai);
	SSL_free(c->ssl);
	buf_release(&c->head);
	buf_release(&c->dec);
	free(c->req);
	free(c);
}

static void on_handle_closed(uv_handle_t *h);

static void on_tcp_closed(uv_handle_t *h)
{
	struct httpc *c = h->data;

	c->tcp_open = false;
	c->refs--;
	if (c->retry && !c->closed) {
		c->retry = false;
		try_connect(c);
	}
	maybe_free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct httpc *c = h->data;

	c->refs--;
	maybe_free(c);
}

/* The end, told once (unless the caller closed it first). */
static void finish(struct httpc *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void finish(struct httpc *c, int err, const char *fmt, ...)
{
	char why[320];
	va_list ap;

	if (c->finished || c->closed)
		return;
	c->finished = true;
	uv_timer_stop(&c->timer);
	if (c->tcp_open)
		uv_read_stop((uv_stream_t *)&c->tcp);
	why[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
	}
	c->ops->done(c->data, err, why);
}

void httpc_close(struct httpc *c)
{
	if (!c || c->closed)
		return;
	c->closed = true;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_handle_closed);
	if (c->gai_pending)
		uv_cancel((uv_req_t *)&c->gai);
	if (c->tcp_open && !uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
	maybe_free(c);
}

void httpc_pause(struct httpc *c, bool paused)
{
	if (c->paused == paused)
		return;
	c->paused = paused;
	if (!c->connected || c->finished || c->closed || !c->tcp_open)
		return;
	if (paused)
		uv_read_stop((uv_stream_t *)&c->tcp);
	else
		uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* ---- writing ---------------------------------------------------------- */

static void on_write(uv_write_t *w, int status)
{
	struct wreq *wr = (struct wreq *)w;
	struct httpc *c = wr->c;

	free(wr);
	if (status < 0 && status != UV_ECANCELED)
		finish(c, status, "cannot send the request to %s: %s",
		       c->url.authority, uv_strerror(status));
}

static void write_raw(struct httpc *c, const char *p, size_t n)
{
	struct wreq *wr = malloc(sizeof(*wr) + n);
	uv_buf_t b;
	int r;

	if (!wr) {
		finish(c, -ENOMEM, "out of memory");
		return;
	}
	wr->c = c;
	memcpy(wr->data, p, n);
	b = uv_buf_init(wr->data, (unsigned)n);
	if ((r = uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_write))) {
		free(wr);
		finish(c, r, "cannot send the request to %s: %s",
		       c->url.authority, uv_strerror(r));
	}
}

/* What OpenSSL has for the wire, out. */
static void flush_tls(struct httpc *c)
{
	char tmp[16 * 1024];
	int n;

	while (!c->closed && (n = BIO_read(c->wbio, tmp, sizeof(tmp))) > 0)
		write_raw(c, tmp, (size_t)n);
}

/* ---- the response ----------------------------------------------------- */

static void body(struct httpc *c, const char *p, size_t n)
{
	if (n && !c->closed && !c->finished)
		c->ops->body(c->data, p, n);
}

static void feed_body(struct httpc *c, const char *p, size_t n)
{
	if (c->h.chunked) {
		while (n && !c->closed && !c->finished) {
			long used = chunked_feed(&c->dechunk, p, n, &c->dec);
			if (used < 0) {
				finish(c, -EBADMSG, "the answer of %s has a bad "
				       "chunked framing", c->url.authority);
				return;
			}
			body(c, c->dec.data, c->dec.len);
			buf_reset(&c->dec);
			p += used;
			n -= (size_t)used;
			if (c->dechunk.done) {
				finish(c, 0, NULL);
				return;
			}
		}
		return;
	}
	if (c->left >= 0) {
		size_t k = (uint64_t)c->left < n ? (size_t)c->left : n;
		body(c, p, k);
		c->left -= (int64_t)k;
		if (!c->left)
			finish(c, 0, NULL);
		return;
	}
	body(c, p, n);	/* to the end of the connection */
}

static void feed(struct httpc *c, const char *p, size_t n)
{
	long r;

	if (c->have_head) {
		feed_body(c, p, n);
		return;
	}
	if (buf_append(&c->head, p, n)) {
		finish(c, -E2BIG, "the answer of %s has a head over %d bytes",
		       c->url.authority, HTTPC_HEAD_MAX);
		return;
	}
	for (;;) {
		r = httpc_head_parse(c->head.data, c->head.len, &c->h);
		if (r == 0)
			return;
		if (r < 0) {
			finish(c, (int)r, r == -E2BIG ?
			       "the answer of %s has a head over 16 KiB" :
			       "the answer of %s is not HTTP/1.x",
			       c->url.authority);
			return;
		}
		if (c->h.status >= 200)
			break;
		buf_consume(&c->head, (size_t)r);	/* 1xx: the real one follows */
	}
	c->have_head = true;
	c->left = c->h.chunked ? -1 : c->h.content_length;
	chunked_init(&c->dechunk);
	c->ops->head(c->data, &c->h);
	if (c->closed || c->finished)
		return;
	size_t rest = c->head.len - (size_t)r;
	if (!c->h.chunked && c->left == 0) {
		finish(c, 0, NULL);
		return;
	}
	if (rest)
		feed_body(c, c->head.data + r, rest);
	buf_release(&c->head);
}

static void on_eof(struct httpc *c)
{
	if (!c->have_head)
		finish(c, -EPIPE, "%s closed the connection without an answer",
		       c->url.authority);
	else if (c->h.chunked || c->left > 0)
		finish(c, -EPIPE, "%s closed the connection before the end of "
		       "its answer", c->url.authority);
	else
		finish(c, 0, NULL);
}

static void tls_fail(struct httpc *c)
{
	long v = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (v != X509_V_OK)
		finish(c, -EPROTO, "TLS with %s: certificate verify failed (%s)",
		       c->url.authority, X509_verify_cert_error_string(v));
	else
		finish(c, -EPROTO, "TLS with %s failed: %s", c->url.authority,
		       e ? ERR_reason_error_string(e) : "the handshake broke off");
}

/* New bytes from the wire went into rbio: handshake, then plain text. */
static void tls_progress(struct httpc *c)
{
	int r, e;

	if (!c->handshaken) {
		r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				flush_tls(c);
				return;
			}
			tls_fail(c);
			return;
		}
		c->handshaken = true;
		if (SSL_write(c->ssl, c->req, (int)c->reqlen) != (int)c->reqlen) {
			tls_fail(c);
			return;
		}
		flush_tls(c);
	}
	while (!c->closed && !c->finished) {
		r = SSL_read(c->ssl, c->plain, sizeof(c->plain));
		if (r > 0) {
			feed(c, c->plain, (size_t)r);
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			break;
		if (e == SSL_ERROR_ZERO_RETURN)	/* close_notify */
			on_eof(c);
		else
			tls_fail(c);
		return;
	}
	if (!c->closed)
		flush_tls(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct httpc *c = h->data;

	*b = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct httpc *c = s->data;

	if (c->closed || c->finished || n == 0)
		return;
	if (n == UV_EOF) {
		if (c->ssl && !c->handshaken)
			tls_fail(c);
		else
			on_eof(c);	/* no close_notify: the framing decides */
		return;
	}
	if (n < 0) {
		finish(c, (int)n, "the connection to %s broke: %s",
		       c->url.authority, uv_strerror((int)n));
		return;
	}
	if (!c->ssl) {
		feed(c, b->base, (size_t)n);
		return;
	}
	if (BIO_write(c->rbio, b->base, (int)n) != (int)n) {
		finish(c, -ENOMEM, "out of memory");
		return;
	}
	tls_progress(c);
}

/* ---- connecting ------------------------------------------------------- */

static int tls_setup(struct httpc *c, SSL_CTX *ctx)
{
	static const unsigned char alpn[] = "\x08http/1.1";

	c->ssl = SSL_new(ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		return -ENOMEM;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_connect_state(c->ssl);
	SSL_set_alpn_protos(c->ssl, alpn, sizeof(alpn) - 1);
	if (c->url.host_is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
						  c->url.host) != 1)
			return -EINVAL;
	} else if (!SSL_set_tlsext_host_name(c->ssl, c->url.host) ||
		   SSL_set1_host(c->ssl, c->url.host) != 1) {
		return -EINVAL;
	}
	return 0;
}

static void on_connect(uv_connect_t *req, int status)
{
	struct httpc *c = req->data;

	if (c->closed || status == UV_ECANCELED)
		return;
	if (status < 0) {
		c->last_err = status;
		if (c->ai_next) {
			c->retry = true;	/* the next address */
			uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
		} else {
			finish(c, status, "cannot connect to %s: %s",
			       c->url.authority, uv_strerror(status));
		}
		return;
	}
	c->connected = true;
	uv_tcp_nodelay(&c->tcp, 1);
	if (!c->paused)
		uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
	if (c->ssl)
		tls_progress(c);	/* the ClientHello */
	else
		write_raw(c, c->req, c->reqlen);
}

static void try_connect(struct httpc *c)
{
	int r;

	while (c->ai_next && c->ai_next->ai_family != AF_INET &&
	       c->ai_next->ai_family != AF_INET6)
		c->ai_next = c->ai_next->ai_next;
	if (!c->ai_next) {
		finish(c, c->last_err ? c->last_err : -EHOSTUNREACH,
		       "cannot connect to %s: %s", c->url.authority,
		       c->last_err ? uv_strerror(c->last_err) :
				     "no address to connect to");
		return;
	}
	if ((r = uv_tcp_init(c->loop, &c->tcp))) {
		finish(c, r, "cannot open a socket: %s", uv_strerror(r));
		return;
	}
	c->tcp.data = c;
	c->tcp_open = true;
	c->refs++;
	c->conn.data = c;
	const struct sockaddr *sa = c->ai_next->ai_addr;
	c->ai_next = c->ai_next->ai_next;
	if ((r = uv_tcp_connect(&c->conn, &c->tcp, sa, on_connect))) {
		c->last_err = r;
		c->retry = true;
		uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
	}
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
			struct addrinfo *res)
{
	struct httpc *c = req->data;

	c->gai_pending = false;
	c->refs--;
	c->ai = res;
	c->ai_next = res;
	if (c->closed) {
		maybe_free(c);
		return;
	}
	if (status < 0) {
		finish(c, -EHOSTUNREACH, "cannot resolve '%s': %s", c->url.host,
		       uv_strerror(status));
		return;
	}
	try_connect(c);
}

static void on_timeout(uv_timer_t *t)
{
	struct httpc *c = t->data;
	uint64_t ms = c->timeout_ms;

	if (ms % 1000)
		finish(c, -ETIMEDOUT, "%s sent no complete answer within "
		       "%.1f s", c->url.authority, (double)ms / 1000);
	else
		finish(c, -ETIMEDOUT, "%s sent no complete answer within "
		       "%llu s", c->url.authority,
		       (unsigned long long)(ms / 1000));
}

int httpc_start(uv_loop_t *loop, const struct httpc_request *rq,
		const struct httpc_ops *ops, void *data, struct httpc **out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM };
	struct httpc *c;
	char port[8];
	int r;

	if (rq->url->tls && !rq->tls)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->ops = ops;
	c->data = data;
	c->url = *rq->url;
	c->timeout_ms = rq->timeout_ms;
	buf_init(&c->head, HTTPC_HEAD_MAX + sizeof(c->rbuf));
	buf_init(&c->dec, 1 << 20);
	if (asprintf(&c->req, "%s %s HTTP/1.1\r\nHost: %s\r\n%s"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     rq->method, c->url.path, c->url.authority,
		     rq->headers ? rq->headers : "", rq->len) < 0) {
		c->req = NULL;
		goto out_free;
	}
	size_t hl = strlen(c->req);
	char *full = realloc(c->req, hl + rq->len + 1);
	if (!full)
		goto out_free;
	c->req = full;
	if (rq->len)
		memcpy(c->req + hl, rq->body, rq->len);
	c->reqlen = hl + rq->len;
	if (c->url.tls && (r = tls_setup(c, rq->tls))) {
		SSL_free(c->ssl);
		c->ssl = NULL;
		free(c->req);
		buf_release(&c->head);
		buf_release(&c->dec);
		free(c);
		return r;
	}

	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->refs++;
	uv_timer_start(&c->timer, on_timeout, rq->timeout_ms, 0);
	snprintf(port, sizeof(port), "%u", (unsigned)c->url.port);
	c->gai.data = c;
	if ((r = uv_getaddrinfo(loop, &c->gai, on_resolved, c->url.host, port,
				&hints))) {
		/* no callback will come: the caller sees the error */
		c->closed = true;
		uv_close((uv_handle_t *)&c->timer, on_handle_closed);
		return r;
	}
	c->gai_pending = true;
	c->refs++;
	*out = c;
	return 0;

out_free:
	free(c->req);
	buf_release(&c->head);
	buf_release(&c->dec);
	free(c);
	return -ENOMEM;
}
