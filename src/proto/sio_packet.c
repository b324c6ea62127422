/*
 * sio_packet.c - Socket.IO v5 packets (the default parser's text form), pure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proto/sio_packet.h"
#include "lib/utf8.h"

static const char *const type_names[] = {
	"CONNECT",	 "DISCONNECT",	 "EVENT",      "ACK",
	"CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK",
};

/* Names the reference client and server keep for themselves. */
static const char *const reserved_events[] = {
	"connect",	 "connect_error", "disconnect",
	"disconnecting", "newListener",	  "removeListener",
};

const char *sio_type_name(enum sio_type t)
{
	if ((unsigned)t < sizeof(type_names) / sizeof(type_names[0]))
		return type_names[t];
	return "?";
}

void sio_limits_default(struct sio_limits *l)
{
	l->max_packet = 1000000;
	l->max_depth = 32;
	l->max_nsp = 128;
	l->max_event = 128;
	l->max_attachments = 10;
}

static bool is_binary(enum sio_type t)
{
	return t == SIO_BINARY_EVENT || t == SIO_BINARY_ACK;
}

static bool takes_id(enum sio_type t)
{
	return t == SIO_EVENT || t == SIO_ACK || is_binary(t);
}

/* A namespace as it appears between the type and the ',': "/" then
 * UTF-8 without control characters or ','. */
static int check_nsp(const char *s, size_t n, size_t max, const char **err)
{
	if (n == 0 || s[0] != '/') {
		*err = "namespace must start with '/'";
		return -EINVAL;
	}
	if (n > max || n > SIO_NSP_MAX) {
		*err = "namespace too long";
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == ',') {
			*err = "namespace holds a control character or ','";
			return -EINVAL;
		}
	}
	if (utf8_valid_prefix(s, n) != n) {
		*err = "namespace is not valid UTF-8";
		return -EINVAL;
	}
	return 0;
}

static bool is_reserved(const char *name)
{
	for (size_t i = 0; i < sizeof(reserved_events) / sizeof(*reserved_events);
	     i++)
		if (!strcmp(name, reserved_events[i]))
			return true;
	return false;
}

static int check_event_name(json_t *name, size_t max, const char **err)
{
	const char *s;
	size_t n;

	if (!json_is_string(name)) {
		*err = "event name must be a string";
		return -EINVAL;
	}
	s = json_string_value(name);
	n = json_string_length(name);
	if (strlen(s) != n) {
		*err = "event name holds U+0000";
		return -EINVAL;
	}
	if (n > max) {
		*err = "event name too long";
		return -E2BIG;
	}
	if (is_reserved(s)) {
		*err = "event name is reserved";
		return -EINVAL;
	}
	return 0;
}

/* The shape rules shared by the decoder and the encoders. */
static int check_payload(enum sio_type t, int64_t id, json_t *data,
			 size_t max_event, const char **err)
{
	if (id != SIO_NO_ID && !takes_id(t)) {
		*err = "ack id on a packet that takes none";
		return -EINVAL;
	}
	if (id != SIO_NO_ID && (id < 0 || id > SIO_ID_MAX)) {
		*err = "ack id out of range";
		return -EINVAL;
	}
	switch (t) {
	case SIO_CONNECT:
		if (data && !json_is_object(data)) {
			*err = "CONNECT payload must be an object";
			return -EINVAL;
		}
		return 0;
	case SIO_DISCONNECT:
		if (data) {
			*err = "DISCONNECT takes no payload";
			return -EINVAL;
		}
		return 0;
	case SIO_EVENT:
	case SIO_BINARY_EVENT:
		if (!json_is_array(data) || json_array_size(data) == 0) {
			*err = "EVENT payload must be a non-empty array";
			return -EINVAL;
		}
		return check_event_name(json_array_get(data, 0), max_event,
					err);
	case SIO_ACK:
	case SIO_BINARY_ACK:
		if (id == SIO_NO_ID) {
			*err = "ACK without an ack id";
			return -EINVAL;
		}
		if (!json_is_array(data)) {
			*err = "ACK payload must be an array";
			return -EINVAL;
		}
		return 0;
	case SIO_CONNECT_ERROR:
		if (!json_is_object(data) && !json_is_string(data)) {
			*err = "CONNECT_ERROR payload must be an object";
			return -EINVAL;
		}
		return 0;
	}
	*err = "unknown packet type";
	return -EINVAL;
}

/* JSON nesting of s[0..n), counted on the text before jansson builds
 * anything: brackets outside strings. Malformed text is jansson's to
 * refuse. */
static bool depth_ok(const char *s, size_t n, unsigned max)
{
	unsigned depth = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return false;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return true;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int sio_packet_decode(const char *s, size_t len, const struct sio_limits *lim,
		      struct sio_packet *out, const char **err)
{
	struct sio_limits def;
	size_t i = 1;
	int r;

	memset(out, 0, sizeof(*out));
	out->id = SIO_NO_ID;
	strcpy(out->nsp, "/");
	if (!lim) {
		sio_limits_default(&def);
		lim = &def;
	}
	if (len == 0) {
		*err = "empty packet";
		return -EINVAL;
	}
	if (len > lim->max_packet) {
		*err = "packet too large";
		return -E2BIG;
	}
	if (!is_digit(s[0]) || s[0] > '6') {
		*err = "unknown packet type";
		return -EINVAL;
	}
	out->type = (enum sio_type)(s[0] - '0');

	if (is_binary(out->type)) {
		unsigned long n = 0;
		size_t start = i;
		while (i < len && is_digit(s[i]) && i - start < 6)
			n = n * 10 + (unsigned long)(s[i++] - '0');
		if (i == start || i >= len || s[i] != '-' || n == 0) {
			*err = "binary packet without a valid attachment count";
			return -EINVAL;
		}
		if (n > lim->max_attachments) {
			*err = "too many attachments";
			return -E2BIG;
		}
		out->attachments = (unsigned)n;
		i++;
	}

	if (i < len && s[i] == '/') {
		const char *comma = memchr(s + i, ',', len - i);
		size_t end = comma ? (size_t)(comma - s) : len;
		if ((r = check_nsp(s + i, end - i, lim->max_nsp, err)))
			return r;
		memcpy(out->nsp, s + i, end - i);
		out->nsp[end - i] = '\0';
		i = comma ? end + 1 : len;
	}

	if (i < len && is_digit(s[i])) {
		int64_t id = 0;
		size_t start = i;
		while (i < len && is_digit(s[i])) {
			if (i - start >= 16) {
				*err = "ack id out of range";
				return -EINVAL;
			}
			id = id * 10 + (s[i++] - '0');
		}
		if (id > SIO_ID_MAX) {
			*err = "ack id out of range";
			return -EINVAL;
		}
		out->id = id;
	}

	if (i < len) {
		json_error_t jerr;
		if (!depth_ok(s + i, len - i, lim->max_depth)) {
			*err = "payload nested too deeply";
			return -E2BIG;
		}
		out->data = json_loadb(s + i, len - i,
				       JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		if (!out->data) {
			*err = "payload is not valid JSON";
			return -EINVAL;
		}
	}

	if ((r = check_payload(out->type, out->id, out->data, lim->max_event,
			       err)))
		goto out_release;
	if (is_binary(out->type)) {
		*err = "binary attachments are not supported";
		return -ENOTSUP; /* *out stays filled for the caller */
	}
	return 0;

out_release:
	sio_packet_release(out);
	return r;
}

void sio_packet_release(struct sio_packet *p)
{
	json_decref(p->data);
	p->data = NULL;
}

const char *sio_packet_event(const struct sio_packet *p)
{
	json_t *name;

	if (p->type != SIO_EVENT && p->type != SIO_BINARY_EVENT)
		return NULL;
	name = json_array_get(p->data, 0);
	return json_is_string(name) ? json_string_value(name) : NULL;
}

size_t sio_packet_nargs(const struct sio_packet *p)
{
	size_t n = json_is_array(p->data) ? json_array_size(p->data) : 0;

	if (p->type == SIO_EVENT || p->type == SIO_BINARY_EVENT)
		return n ? n - 1 : 0;
	if (p->type == SIO_ACK || p->type == SIO_BINARY_ACK)
		return n;
	return 0;
}

json_t *sio_packet_arg(const struct sio_packet *p, size_t i)
{
	if (i >= sio_packet_nargs(p))
		return NULL;
	if (p->type == SIO_EVENT || p->type == SIO_BINARY_EVENT)
		i++;
	return json_array_get(p->data, i);
}

/* ---- encoding */

struct dump_ctx {
	struct buf *out;
	int err;
};

static int dump_cb(const char *b, size_t n, void *data)
{
	struct dump_ctx *c = data;

	if ((c->err = buf_append(c->out, b, n)))
		return -1;
	return 0;
}

static void undo(struct buf *out, size_t len)
{
	if (out->len > len) {
		out->len = len;
		out->data[len] = '\0';
	}
}

/* Appends the packet after checking it; leaves out as it was on error. */
static int encode(struct buf *out, enum sio_type t, const char *nsp, int64_t id,
		  json_t *data)
{
	struct dump_ctx c = { .out = out };
	const char *err;
	size_t start = out->len;
	char head[32];
	int r, n;

	if (is_binary(t))
		return -ENOTSUP;
	if ((unsigned)t > SIO_CONNECT_ERROR)
		return -EINVAL;
	if (nsp && !strcmp(nsp, "/"))
		nsp = NULL;
	if (nsp && check_nsp(nsp, strlen(nsp), SIO_NSP_MAX, &err))
		return -EINVAL;
	if (check_payload(t, id, data, SIZE_MAX, &err))
		return -EINVAL;

	n = snprintf(head, sizeof(head), "%d", (int)t);
	if ((r = buf_append(out, head, (size_t)n)))
		goto out_undo;
	if (nsp && ((r = buf_append(out, nsp, strlen(nsp))) ||
		    (r = buf_append(out, ",", 1))))
		goto out_undo;
	if (id != SIO_NO_ID) {
		n = snprintf(head, sizeof(head), "%lld", (long long)id);
		if ((r = buf_append(out, head, (size_t)n)))
			goto out_undo;
	}
	if (data && json_dump_callback(data, dump_cb, &c,
				       JSON_COMPACT | JSON_ENCODE_ANY)) {
		r = c.err ? c.err : -EINVAL;
		goto out_undo;
	}
	return 0;

out_undo:
	undo(out, start);
	return r;
}

int sio_packet_encode(struct buf *out, const struct sio_packet *p)
{
	return encode(out, p->type, p->nsp, p->id, p->data);
}

int sio_encode_connect(struct buf *out, const char *nsp, const char *sid)
{
	json_t *d;
	int r;

	if (!sid || !(d = json_pack("{s:s}", "sid", sid)))
		return -EINVAL;
	r = encode(out, SIO_CONNECT, nsp, SIO_NO_ID, d);
	json_decref(d);
	return r;
}

int sio_encode_connect_error(struct buf *out, const char *nsp,
			     const char *message, json_t *data)
{
	json_t *d;
	int r;

	if (!message || !(d = json_pack("{s:s}", "message", message)))
		return -EINVAL;
	if (data && json_object_set(d, "data", data)) {
		json_decref(d);
		return -ENOMEM;
	}
	r = encode(out, SIO_CONNECT_ERROR, nsp, SIO_NO_ID, d);
	json_decref(d);
	return r;
}

int sio_encode_disconnect(struct buf *out, const char *nsp)
{
	return encode(out, SIO_DISCONNECT, nsp, SIO_NO_ID, NULL);
}

int sio_encode_event(struct buf *out, const char *nsp, int64_t id,
		     const char *event, json_t *args)
{
	json_t *d, *name;
	size_t i;
	json_t *v;
	int r = -ENOMEM;

	if (!event || (args && !json_is_array(args)))
		return -EINVAL;
	if (!(name = json_string(event)))
		return -EINVAL; /* not UTF-8 */
	if (!(d = json_array()) || json_array_append_new(d, name))
		goto out_free;
	json_array_foreach(args, i, v)
	{
		if (json_array_append(d, v))
			goto out_free;
	}
	r = encode(out, SIO_EVENT, nsp, id, d);
out_free:
	json_decref(d);
	return r;
}

int sio_encode_ack(struct buf *out, const char *nsp, int64_t id,
		   json_t *args)
{
	json_t *empty = NULL;
	int r;

	if (args && !json_is_array(args))
		return -EINVAL;
	if (!args && !(args = empty = json_array()))
		return -ENOMEM;
	r = encode(out, SIO_ACK, nsp, id, args);
	json_decref(empty);
	return r;
}
