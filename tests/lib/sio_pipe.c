/*
 * sio_pipe.c - the pure Engine.IO / Socket.IO codecs behind a line
 * protocol, so tests/integration/sio-codec.test.mjs can hold them against
 * the official client's own parsers (engine.io-parser, socket.io-parser).
 *
 * One JSON object per line in, one per line out:
 *   {"op":"sio","data":S}        decode S as a Socket.IO packet, encode it
 *                                again: {"ok":true,"out":...,"type":N,
 *                                "nsp":...,"id":N|null} or {"ok":false,
 *                                "code":"EINVAL"|"E2BIG"|"ENOTSUP",
 *                                "error":...}
 *   {"op":"eio","data":S}        decode S as a polling body, encode the
 *                                packets again: {"ok":true,"out":...,"n":N}
 *   {"op":"connect","nsp":N,"sid":S}
 *   {"op":"connect_error","nsp":N,"message":M,"data":D}
 *   {"op":"disconnect","nsp":N}
 *   {"op":"event","nsp":N,"id":I,"event":E,"args":[...]}
 *   {"op":"ack","nsp":N,"id":I,"args":[...]}
 *   {"op":"handshake","sid":S,"upgrade":B,"interval":N,"timeout":N,
 *    "max":N}                    the encoders: {"ok":true,"out":...}
 * Not part of the server.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto/eio_packet.h"
#include "proto/sio_packet.h"

static const char *code_name(int r)
{
	switch (r) {
	case -EINVAL:
		return "EINVAL";
	case -E2BIG:
		return "E2BIG";
	case -ENOTSUP:
		return "ENOTSUP";
	case -ENOBUFS:
		return "ENOBUFS";
	default:
		return "OTHER";
	}
}

static json_t *fail(int r, const char *err)
{
	return json_pack("{s:b,s:s,s:s}", "ok", 0, "code", code_name(r),
			 "error", err ? err : "");
}

static json_t *done(int r, const struct buf *b)
{
	if (r)
		return fail(r, "encoder refused");
	return json_pack("{s:b,s:s%}", "ok", 1, "out", buf_str(b), b->len);
}

static json_t *op_sio(const char *s, size_t len)
{
	struct sio_packet p;
	const char *err = NULL;
	struct buf b;
	json_t *res;
	int r = sio_packet_decode(s, len, NULL, &p, &err);

	if (r) {
		sio_packet_release(&p);
		return fail(r, err);
	}
	buf_init(&b, 8 << 20);
	r = sio_packet_encode(&b, &p);
	res = done(r, &b);
	if (!r) {
		json_object_set_new(res, "type", json_integer(p.type));
		json_object_set_new(res, "nsp", json_string(p.nsp));
		json_object_set_new(res, "id", p.id == SIO_NO_ID
							? json_null()
							: json_integer(p.id));
	}
	buf_release(&b);
	sio_packet_release(&p);
	return res;
}

static int append_cb(void *ctx, const struct eio_packet *p)
{
	return eio_payload_append(ctx, p);
}

static json_t *op_eio(const char *s, size_t len)
{
	const char *err = NULL;
	struct buf b;
	json_t *res;
	int r;

	buf_init(&b, 8 << 20);
	r = eio_payload_decode(s, len, 100000, append_cb, &b, &err);
	res = r ? fail(r, err) : done(0, &b);
	buf_release(&b);
	return res;
}

static const char *opt_str(json_t *req, const char *key)
{
	json_t *v = json_object_get(req, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t opt_id(json_t *req)
{
	json_t *v = json_object_get(req, "id");

	return json_is_integer(v) ? json_integer_value(v) : SIO_NO_ID;
}

static json_t *handle(json_t *req)
{
	const char *op = opt_str(req, "op"), *nsp = opt_str(req, "nsp");
	json_t *data = json_object_get(req, "data");
	struct buf b;
	json_t *res;
	int r;

	if (!op)
		return fail(-EINVAL, "no op");
	if (!strcmp(op, "sio") || !strcmp(op, "eio")) {
		if (!json_is_string(data))
			return fail(-EINVAL, "no data");
		return (op[0] == 's' ? op_sio : op_eio)(
			json_string_value(data), json_string_length(data));
	}
	buf_init(&b, 8 << 20);
	if (!strcmp(op, "connect"))
		r = sio_encode_connect(&b, nsp, opt_str(req, "sid"));
	else if (!strcmp(op, "connect_error"))
		r = sio_encode_connect_error(&b, nsp, opt_str(req, "message"),
					     data);
	else if (!strcmp(op, "disconnect"))
		r = sio_encode_disconnect(&b, nsp);
	else if (!strcmp(op, "event"))
		r = sio_encode_event(&b, nsp, opt_id(req),
				     opt_str(req, "event"),
				     json_object_get(req, "args"));
	else if (!strcmp(op, "ack"))
		r = sio_encode_ack(&b, nsp, opt_id(req),
				   json_object_get(req, "args"));
	else if (!strcmp(op, "handshake"))
		r = eio_handshake_encode(
			&b, opt_str(req, "sid"),
			json_is_true(json_object_get(req, "upgrade")),
			(uint32_t)json_integer_value(
				json_object_get(req, "interval")),
			(uint32_t)json_integer_value(
				json_object_get(req, "timeout")),
			(size_t)json_integer_value(json_object_get(req, "max")));
	else
		r = -ENOSYS;
	res = done(r, &b);
	buf_release(&b);
	return res;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t jerr;
		json_t *req = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &jerr);
		json_t *res = req ? handle(req) : fail(-EINVAL, jerr.text);
		char *out = json_dumps(res, JSON_COMPACT | JSON_ENSURE_ASCII);

		if (!out)
			return 1;
		puts(out);
		fflush(stdout);
		free(out);
		json_decref(res);
		json_decref(req);
	}
	free(line);
	return 0;
}
