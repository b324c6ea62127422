/*
 * eio_packet.c - Engine.IO v4 packets and polling payloads, pure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/eio_packet.h"
#include "lib/utf8.h"

static const char *const type_names[] = {
	"open", "close", "ping", "pong", "message", "upgrade", "noop",
};

const char *eio_type_name(enum eio_type t)
{
	if ((unsigned)t < sizeof(type_names) / sizeof(type_names[0]))
		return type_names[t];
	return "?";
}

/* ---- base64 (standard alphabet, canonical: what Buffer and btoa write) */

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Checks s[0..n) as base64: padding optional but, when present, complete;
 * the unused low bits of the last character zero (so every byte string has
 * one spelling). Returns the decoded length, or -1.
 */
static long b64_check(const char *s, size_t n)
{
	size_t pad = 0, rem;
	int last;

	if (n >= 1 && s[n - 1] == '=') {
		pad = n >= 2 && s[n - 2] == '=' ? 2 : 1;
		if (n % 4)
			return -1;
		n -= pad;
	}
	rem = n % 4;
	if (rem == 1 || (pad && pad != 4 - rem))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (b64val((unsigned char)s[i]) < 0)
			return -1;
	if (rem) {
		last = b64val((unsigned char)s[n - 1]);
		if (last & (rem == 2 ? 0x0F : 0x03))
			return -1;
	}
	return (long)(n / 4 * 3 + (rem ? rem - 1 : 0));
}

/* s must have passed b64_check(); writes its bytes to out. */
static void b64_decode(const char *s, size_t n, unsigned char *out)
{
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		acc = acc << 6 | (uint32_t)b64val((unsigned char)s[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*out++ = (unsigned char)(acc >> bits);
		}
	}
}

static size_t b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

static int b64_append(struct buf *out, const unsigned char *p, size_t n)
{
	char q[4];
	int r;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64chars[v >> 18 & 63];
		q[1] = b64chars[v >> 12 & 63];
		q[2] = i + 1 < n ? b64chars[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64chars[v & 63] : '=';
		if ((r = buf_append(out, q, 4)))
			return r;
	}
	return 0;
}

/* ---- decoding */

/* Checks one text record (not empty); no allocation. */
static int check_record(const char *in, size_t len, const char **err)
{
	if (len == 0) {
		*err = "empty packet";
		return -EINVAL;
	}
	if (in[0] == 'b') {
		if (b64_check(in + 1, len - 1) < 0) {
			*err = "binary packet is not valid base64";
			return -EINVAL;
		}
		return 0;
	}
	if (in[0] < '0' || in[0] > '6') {
		*err = "unknown packet type";
		return -EINVAL;
	}
	return 0;
}

/* Decodes a record that passed check_record() (and the UTF-8 check). */
static int decode_record(const char *in, size_t len, struct eio_packet *out)
{
	memset(out, 0, sizeof(*out));
	out->data = "";
	if (in[0] == 'b') {
		long n = b64_check(in + 1, len - 1);
		out->type = EIO_MESSAGE;
		out->binary = true;
		if (n > 0) {
			if (!(out->own = malloc((size_t)n)))
				return -ENOMEM;
			b64_decode(in + 1, len - 1, (unsigned char *)out->own);
			out->data = out->own;
			out->len = (size_t)n;
		}
		return 0;
	}
	out->type = (enum eio_type)(in[0] - '0');
	if (len > 1) {
		out->data = in + 1;
		out->len = len - 1;
	}
	return 0;
}

int eio_packet_decode(const char *in, size_t len, bool binary_frame,
		      struct eio_packet *out, const char **err)
{
	int r;

	memset(out, 0, sizeof(*out));
	out->data = "";
	if (binary_frame) {
		out->type = EIO_MESSAGE;
		out->binary = true;
		if (len) {
			out->data = in;
			out->len = len;
		}
		return 0;
	}
	if ((r = check_record(in, len, err)))
		return r;
	if (utf8_valid_prefix(in, len) != len) {
		*err = "text packet is not valid UTF-8";
		return -EINVAL;
	}
	if ((r = decode_record(in, len, out))) {
		*err = "out of memory";
		return r;
	}
	return 0;
}

void eio_packet_release(struct eio_packet *p)
{
	free(p->own);
	p->own = NULL;
}

int eio_payload_decode(const char *in, size_t len, size_t max_packets,
		       eio_packet_fn fn, void *ctx, const char **err)
{
	const char *p, *end = in + len, *sep;
	size_t count = 0;
	int r;

	if (utf8_valid_prefix(in, len) != len) {
		*err = "payload is not valid UTF-8";
		return -EINVAL;
	}
	/* pass 1: the whole body, before anything is acted on */
	for (p = in;; p = sep + 1) {
		sep = memchr(p, EIO_SEPARATOR, (size_t)(end - p));
		if (!sep)
			sep = end;
		if (++count > max_packets) {
			*err = "too many packets in one payload";
			return -E2BIG;
		}
		if ((r = check_record(p, (size_t)(sep - p), err)))
			return r;
		if (sep == end)
			break;
	}
	/* pass 2: hand them out */
	for (p = in;; p = sep + 1) {
		struct eio_packet pk;
		sep = memchr(p, EIO_SEPARATOR, (size_t)(end - p));
		if (!sep)
			sep = end;
		if ((r = decode_record(p, (size_t)(sep - p), &pk))) {
			*err = "out of memory";
			return r;
		}
		r = fn(ctx, &pk);
		eio_packet_release(&pk);
		if (r)
			return r;
		if (sep == end)
			break;
	}
	return 0;
}

/* ---- encoding */

int eio_packet_encode_ws(const struct eio_packet *p, struct buf *out,
			 bool *binary_frame)
{
	char t = (char)('0' + p->type);
	int r;

	if ((unsigned)p->type > EIO_NOOP)
		return -EINVAL;
	if (p->binary) {
		if (p->type != EIO_MESSAGE)
			return -EINVAL;
		*binary_frame = true;
		return buf_append(out, p->data, p->len);
	}
	*binary_frame = false;
	if ((r = buf_append(out, &t, 1)))
		return r;
	if ((r = buf_append(out, p->data, p->len))) {
		out->len--; /* leave out as it was */
		out->data[out->len] = '\0';
	}
	return r;
}

size_t eio_payload_size(const struct eio_packet *p)
{
	return p->binary ? 1 + b64_len(p->len) : 1 + p->len;
}

int eio_payload_append(struct buf *out, const struct eio_packet *p)
{
	size_t start = out->len;
	char c;
	int r;

	if ((unsigned)p->type > EIO_NOOP || (p->binary && p->type != EIO_MESSAGE))
		return -EINVAL;
	if (!p->binary && memchr(p->data, EIO_SEPARATOR, p->len))
		return -EINVAL;
	if (out->len && (r = buf_append(out, "\x1e", 1)))
		return r;
	c = p->binary ? 'b' : (char)('0' + p->type);
	if ((r = buf_append(out, &c, 1)))
		goto out_undo;
	if (p->binary)
		r = b64_append(out, (const unsigned char *)p->data, p->len);
	else
		r = buf_append(out, p->data, p->len);
	if (r)
		goto out_undo;
	return 0;

out_undo: /* leave out as it was */
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return r;
}

/* ---- handshake and session ids */

static const char sidchars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool eio_sid_valid(const char *s, size_t len)
{
	if (len == 0 || len > EIO_SID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(sidchars, s[i]))
			return false;
	return true;
}

void eio_sid_format(const unsigned char raw[EIO_SID_RAW],
		    char out[EIO_SID_LEN + 1])
{
	size_t o = 0;

	/* 15 bytes = 5 groups of 3 = 20 characters, no padding */
	for (size_t i = 0; i < EIO_SID_RAW; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
			     raw[i + 2];
		out[o++] = sidchars[v >> 18 & 63];
		out[o++] = sidchars[v >> 12 & 63];
		out[o++] = sidchars[v >> 6 & 63];
		out[o++] = sidchars[v & 63];
	}
	out[o] = '\0';
}

int eio_handshake_encode(struct buf *out, const char *sid,
			 bool upgrade_websocket, uint32_t ping_interval_ms,
			 uint32_t ping_timeout_ms, size_t max_payload)
{
	char b[EIO_SID_MAX + 160];
	int n;

	if (!sid || !eio_sid_valid(sid, strlen(sid)))
		return -EINVAL;
	n = snprintf(b, sizeof(b),
		     "0{\"sid\":\"%s\",\"upgrades\":[%s],\"pingInterval\":%u,"
		     "\"pingTimeout\":%u,\"maxPayload\":%zu}",
		     sid, upgrade_websocket ? "\"websocket\"" : "",
		     ping_interval_ms, ping_timeout_ms, max_payload);
	if (n < 0 || (size_t)n >= sizeof(b))
		return -EINVAL;
	return buf_append(out, b, (size_t)n);
}
