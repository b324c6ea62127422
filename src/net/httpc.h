/*
 * httpc.h - one outbound HTTP/1.1 request on the loop, over TCP or TLS,
 * with its response body streamed to the caller as it arrives.
 *
 * Nothing blocks the loop: the name is resolved on libuv's thread pool,
 * the socket is non-blocking, TLS runs through OpenSSL memory BIOs on
 * that socket (certificate and host name checked against the system's
 * CAs, plus a CA file when one is given). One request per connection
 * ("Connection: close"). The whole exchange is bounded by 'timeout_ms'.
 *
 * Callbacks, in order: head() once the status line and headers are in,
 * body() for each piece of the body (chunked coding removed), done()
 * exactly once: err 0 when the body ended as its framing says, else
 * -errno with a sentence for people ("cannot connect to example.com:443:
 * connection refused", "TLS: certificate verify failed (self-signed
 * certificate)", "no complete answer within 60 s"). The caller calls
 * httpc_close() once, after done() or to cancel; it may do so from inside
 * any callback, and nothing is called after it. The request is freed once
 * its handles have closed.
 *
 * Back-pressure: httpc_pause(c, true) stops reading the socket (what was
 * read already, at most one read of 64 KiB, is still delivered).
 */
#ifndef CODEROOM_HTTPC_H
#define CODEROOM_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "net/httpc_parse.h"

struct httpc;
typedef struct ssl_ctx_st SSL_CTX;

struct httpc_ops {
	void (*head)(void *data, const struct httpc_head *h);
	void (*body)(void *data, const char *p, size_t n);
	void (*done)(void *data, int err, const char *why);
};

struct httpc_request {
	const struct httpc_url *url;
	const char *method;		/* "POST" */
	const char *headers;		/* more "Name: value\r\n" lines, or
					   NULL (Host, Content-Length and
					   Connection are added) */
	const char *body;
	size_t len;
	uint64_t timeout_ms;
	SSL_CTX *tls;			/* for https: httpc_tls_new() */
};

/*
 * A TLS client context: TLS 1.2 or later, peer verification against the
 * system's CAs and, when 'ca_file' is not NULL, the PEM certificates in
 * it. NULL on error, with the reason in 'why'. Free with
 * httpc_tls_free().
 */
SSL_CTX *httpc_tls_new(const char *ca_file, char *why, size_t whylen);
void httpc_tls_free(SSL_CTX *ctx);

/*
 * Starts the request; everything in 'rq' is copied. Returns 0 and *out,
 * or -EINVAL (https without a TLS context) / -ENOMEM; then no callback
 * comes and there is nothing to close.
 */
int httpc_start(uv_loop_t *loop, const struct httpc_request *rq,
		const struct httpc_ops *ops, void *data, struct httpc **out);
void httpc_pause(struct httpc *c, bool paused);
void httpc_close(struct httpc *c);

#endif
