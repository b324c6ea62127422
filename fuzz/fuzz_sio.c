/*
 * fuzz_sio.c - the Socket.IO packet codec.
 *
 * Input: one packet (the data of an Engine.IO message), decoded with the
 * default limits and with tight ones. Checks: an error leaves no JSON
 * reference and says why; -ENOTSUP only for binary packets, with their
 * header filled; an accepted packet obeys the shape rules, encodes, and
 * its encoding is a fixed point (decode -> encode gives the same bytes),
 * is valid UTF-8 without a 0x1e byte (it must fit a polling payload),
 * and for an EVENT equals what sio_encode_event() writes from its parts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto/sio_packet.h"
#include "lib/utf8.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

static void check_accepted(const struct sio_packet *p)
{
	struct sio_packet q;
	const char *err;
	struct buf a, b;

	CHECK(p->type <= SIO_CONNECT_ERROR);
	CHECK(p->nsp[0] == '/');
	CHECK(p->id == SIO_NO_ID || (p->id >= 0 && p->id <= SIO_ID_MAX));
	if (p->type == SIO_EVENT) {
		const char *ev = sio_packet_event(p);
		CHECK(ev);
		CHECK(strcmp(ev, "connect") && strcmp(ev, "disconnect"));
	}
	if (p->type == SIO_ACK)
		CHECK(p->id != SIO_NO_ID && json_is_array(p->data));
	if (p->type == SIO_DISCONNECT)
		CHECK(!p->data);

	buf_init(&a, 4 << 20);
	CHECK(sio_packet_encode(&a, p) == 0);
	CHECK(!memchr(a.data, 0x1e, a.len));
	CHECK(utf8_valid_prefix(a.data, a.len) == a.len);

	/* the encoding decodes, and encodes to itself */
	CHECK(sio_packet_decode(a.data, a.len, NULL, &q, &err) == 0);
	CHECK(q.type == p->type && q.id == p->id && !strcmp(q.nsp, p->nsp));
	buf_init(&b, 4 << 20);
	CHECK(sio_packet_encode(&b, &q) == 0);
	CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
	sio_packet_release(&q);

	/* the convenience encoder agrees with the general one */
	if (p->type == SIO_EVENT) {
		json_t *args = json_array();
		CHECK(args);
		for (size_t i = 0; i < sio_packet_nargs(p); i++)
			CHECK(json_array_append(args, sio_packet_arg(p, i)) ==
			      0);
		buf_reset(&b);
		CHECK(sio_encode_event(&b, p->nsp, p->id, sio_packet_event(p),
				       args) == 0);
		CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
		json_decref(args);
	}
	if (p->type == SIO_ACK) {
		buf_reset(&b);
		CHECK(sio_encode_ack(&b, p->nsp, p->id, p->data) == 0);
		CHECK(a.len == b.len && !memcmp(a.data, b.data, a.len));
	}
	buf_release(&a);
	buf_release(&b);
}

static void one(const uint8_t *data, size_t size, const struct sio_limits *l)
{
	struct sio_packet p;
	const char *err = NULL;
	int r = sio_packet_decode((const char *)data, size, l, &p, &err);

	if (r == 0) {
		check_accepted(&p);
	} else if (r == -ENOTSUP) {
		CHECK(p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK);
		CHECK(p.attachments >= 1);
		CHECK(!l || p.attachments <= l->max_attachments);
		CHECK(p.data);
		CHECK(err && *err);
	} else {
		CHECK(r == -EINVAL || r == -E2BIG);
		CHECK(!p.data);
		CHECK(err && *err);
	}
	sio_packet_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sio_limits tight = {
		.max_packet = 200,
		.max_depth = 3,
		.max_nsp = 8,
		.max_event = 6,
		.max_attachments = 2,
	};

	if (size > 1 << 16)
		return 0;
	one(data, size, NULL);
	one(data, size, &tight);
	return 0;
}
