/*
 * eio_request.c - the checks an Engine.IO v4 request passes before it
 * reaches a session, pure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proto/eio_request.h"

static const char *const messages[] = {
	"Transport unknown", "Session ID unknown", "Bad handshake method",
	"Bad request",	     "Forbidden",	   "Unsupported protocol version",
};

const char *eio_error_message(enum eio_error code)
{
	if ((unsigned)code < sizeof(messages) / sizeof(messages[0]))
		return messages[code];
	return "Bad request";
}

int eio_error_reply(enum eio_error code, struct buf *out, int *status)
{
	char b[96];
	int n;

	if ((unsigned)code >= sizeof(messages) / sizeof(messages[0]))
		code = EIO_ERR_BAD_REQUEST;
	*status = code == EIO_ERR_FORBIDDEN ? 403 : 400;
	n = snprintf(b, sizeof(b), "{\"code\":%d,\"message\":\"%s\"}",
		     (int)code, messages[code]);
	return buf_append(out, b, (size_t)n);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes s[0..n) ('+' is a space, as in forms) into out (room
 * for outlen bytes and a NUL). -1 when malformed, contains a NUL, or does
 * not fit; else the length.
 */
static long unescape(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (n - i < 3)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == '\0' || o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return (long)o;
}

/* The parameters we read; others are the application's. */
struct params {
	char eio[8];
	char transport[16];
	char sid[EIO_SID_MAX + 1];
	bool has_eio, has_transport, has_sid;
};

static int take(struct params *p, const char *key, size_t klen,
		const char *val, size_t vlen)
{
	char k[16];
	char *dst;
	size_t dlen;
	bool *has;

	if (unescape(key, klen, k, sizeof(k)) < 0)
		return 0; /* a long or odd key is not one of ours */
	if (!strcmp(k, "EIO")) {
		dst = p->eio, dlen = sizeof(p->eio), has = &p->has_eio;
	} else if (!strcmp(k, "transport")) {
		dst = p->transport, dlen = sizeof(p->transport);
		has = &p->has_transport;
	} else if (!strcmp(k, "sid")) {
		dst = p->sid, dlen = sizeof(p->sid), has = &p->has_sid;
	} else {
		return 0;
	}
	if (*has)
		return -EINVAL; /* repeated: which one would we believe? */
	*has = true;
	if (unescape(val, vlen, dst, dlen) < 0)
		dst[0] = '\0'; /* too long or malformed: matches nothing */
	return 0;
}

static int parse_query(const char *q, size_t len, struct params *p)
{
	size_t i = 0;

	memset(p, 0, sizeof(*p));
	while (i < len) {
		size_t start = i, eq = (size_t)-1;
		while (i < len && q[i] != '&') {
			if (q[i] == '=' && eq == (size_t)-1)
				eq = i;
			i++;
		}
		if (i > start) {
			size_t kend = eq == (size_t)-1 ? i : eq;
			size_t vstart = eq == (size_t)-1 ? i : eq + 1;
			if (take(p, q + start, kend - start, q + vstart,
				 i - vstart))
				return -EINVAL;
		}
		i++; /* the '&' */
	}
	return 0;
}

int eio_request_parse(const char *query, size_t len, enum eio_method method,
		      bool upgrade, struct eio_request *r,
		      enum eio_error *code)
{
	struct params p;

	memset(r, 0, sizeof(*r));
	if (!query)
		len = 0;
	if (len > EIO_QUERY_MAX || parse_query(query, len, &p)) {
		*code = EIO_ERR_BAD_REQUEST;
		return -EINVAL;
	}
	if (!strcmp(p.transport, "polling"))
		r->transport = EIO_POLLING;
	else if (!strcmp(p.transport, "websocket"))
		r->transport = EIO_WEBSOCKET;
	else {
		*code = EIO_ERR_UNKNOWN_TRANSPORT;
		return -EINVAL;
	}
	if (strcmp(p.eio, "4")) {
		*code = EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION;
		return -EINVAL;
	}
	if (p.has_sid) {
		if (!eio_sid_valid(p.sid, strlen(p.sid))) {
			*code = EIO_ERR_UNKNOWN_SID;
			return -EINVAL;
		}
		strcpy(r->sid, p.sid);
	} else if (!upgrade && method != EIO_METHOD_GET) {
		*code = EIO_ERR_BAD_HANDSHAKE_METHOD;
		return -EINVAL;
	}
	/* a WebSocket is an upgrade GET asking for transport=websocket, and
	 * polling is never an upgrade; POST only carries polling data */
	if (upgrade != (r->transport == EIO_WEBSOCKET) ||
	    (method != EIO_METHOD_GET &&
	     !(method == EIO_METHOD_POST && r->transport == EIO_POLLING &&
	       p.has_sid))) {
		*code = EIO_ERR_BAD_REQUEST;
		return -EINVAL;
	}
	return 0;
}
