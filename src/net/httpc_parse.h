/*
 * httpc_parse.h - what the outbound HTTP client parses: the URL it is
 * given and the head of the response it reads; pure, for tests and the
 * fuzzer.
 */
#ifndef CODEROOM_HTTPC_PARSE_H
#define CODEROOM_HTTPC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct httpc_url {
	bool tls;		/* https */
	char host[256];		/* a name, an IPv4 or an IPv6 address (no
				   brackets) */
	bool host_is_ip;	/* an address: no SNI, checked as IP SAN */
	uint16_t port;
	char path[1024];	/* from the first '/', query included */
	char authority[300];	/* the Host header: "h", "h:p", "[v6]:p" */
};

/*
 * http://HOST[:PORT][/PATH] or https://...; the default port is 80 or
 * 443. HOST is a DNS name (letters, digits, '-', '.', '_'), an IPv4
 * address, or a bracketed IPv6 address. Refused (-EINVAL): other schemes,
 * user info ("user:pass@"), an empty host, a port outside 1..65535, a
 * fragment, and any control character or space. Returns 0 or -EINVAL.
 */
int httpc_url_parse(const char *url, struct httpc_url *u);

/* The head of a response, at most this long. */
#define HTTPC_HEAD_MAX (16 * 1024)

struct httpc_head {
	unsigned status;	/* 100..599 */
	int64_t content_length;	/* -1: none */
	bool chunked;		/* Transfer-Encoding ends with chunked */
	int retry_after;	/* Retry-After in seconds, -1: none or a date */
	char content_type[128];	/* "" when none */
};

/*
 * Parses a status line ("HTTP/1.x NNN reason") and header fields ending
 * with a blank line, in p[0..n) (CRLF or LF line ends). Returns the bytes
 * of the head (the body follows), 0 when the blank line is not in yet,
 * -E2BIG when n reaches HTTPC_HEAD_MAX without it, or -EBADMSG: not
 * HTTP/1.x, a status outside 100..599, a field line without a colon or
 * with white space before it, an obsolete folded line, a Content-Length
 * that is not a number (or two that differ), a transfer coding other than
 * chunked. With Transfer-Encoding, Content-Length is ignored.
 */
long httpc_head_parse(const char *p, size_t n, struct httpc_head *h);

#endif
