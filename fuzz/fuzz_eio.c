/*
 * fuzz_eio.c - the Engine.IO layer: packets, polling payloads, request
 * checks, and the session state machine driven by a script.
 *
 * Input: the first byte picks the mode (byte % 4), the rest is its data.
 *   0 packet   [binary_frame byte][bytes]: a decoded packet encodes back
 *              to the same bytes (base64 is canonical, padding optional)
 *   1 payload  [bytes]: an accepted body re-encodes to the same bytes
 *              (base64 padded) and that is a fixed point; a refused one
 *              reached no callback
 *   2 session  [flags byte] then ops [op][arg][len][len bytes]: a model
 *              of a correct glue feeds the session (it only hands out
 *              requests and WebSockets that are not in use) and checks
 *              every action: replies only to requests still outstanding,
 *              once each; frames only on open WebSockets; polling bodies
 *              and frames that decode; deliveries in valid UTF-8;
 *              CLOSED once and last; buffered bytes bounded; a tick at
 *              the deadline moves the deadline past now.
 *   3 request  [method byte][upgrade byte][query]: an accepted request
 *              agrees with itself (WebSocket iff upgrade, a valid sid).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto/eio_packet.h"
#include "proto/eio_request.h"
#include "proto/eio_session.h"
#include "lib/utf8.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

/* ---- mode 0: one packet */

static void one_packet(const uint8_t *d, size_t n)
{
	struct eio_packet p;
	const char *err = NULL;
	bool binary_frame, bf;
	struct buf b;

	if (n < 1)
		return;
	binary_frame = d[0] & 1;
	d++, n--;
	if (eio_packet_decode((const char *)d, n, binary_frame, &p, &err)) {
		CHECK(err && *err);
		CHECK(!p.own);
		return;
	}
	buf_init(&b, 2 * n + 16);
	if (binary_frame || d[0] != 'b') {
		/* the WebSocket form is the input itself */
		CHECK(eio_packet_encode_ws(&p, &b, &bf) == 0);
		CHECK(bf == binary_frame);
		CHECK(b.len == n && !memcmp(b.data, d, n));
	} else {
		/* "b"+base64: canonical but for the optional padding, so the
		 * polling form is the input, padded */
		size_t pad = (4 - (n - 1) % 4) % 4;
		CHECK(p.binary && p.type == EIO_MESSAGE);
		CHECK(eio_payload_append(&b, &p) == 0);
		CHECK(b.len == n + pad && !memcmp(b.data, d, n));
		CHECK(!memcmp(b.data + n, "==", pad));
		CHECK(eio_payload_size(&p) == n + pad);
	}
	buf_release(&b);
	eio_packet_release(&p);
}

/* ---- mode 1: a polling body */

struct reencode {
	struct buf out;
	size_t count;
};

static int reencode_cb(void *ctx, const struct eio_packet *p)
{
	struct reencode *r = ctx;

	r->count++;
	CHECK(p->type <= EIO_NOOP);
	CHECK(!p->binary || p->type == EIO_MESSAGE);
	CHECK(eio_payload_append(&r->out, p) == 0);
	return 0;
}

static void payload(const uint8_t *d, size_t n)
{
	struct reencode r = { .count = 0 };
	const char *err = NULL;
	int ret;

	buf_init(&r.out, 2 * n + 16);
	ret = eio_payload_decode((const char *)d, n, 64, reencode_cb, &r, &err);
	if (ret) {
		CHECK(ret == -EINVAL || ret == -E2BIG);
		CHECK(r.count == 0); /* refused whole */
		CHECK(err && *err);
	} else {
		/* the same bytes, but for base64 padding added; and the
		 * re-encoding is a fixed point */
		struct reencode again = { .count = 0 };
		CHECK(r.count >= 1 && r.count <= 64);
		CHECK(r.out.len >= n && r.out.len <= n + 2 * r.count);
		if (!memchr(d, 'b', n))
			CHECK(r.out.len == n && !memcmp(r.out.data, d, n));
		buf_init(&again.out, 2 * r.out.len + 16);
		CHECK(eio_payload_decode(r.out.data, r.out.len, 64, reencode_cb,
					 &again, &err) == 0);
		CHECK(again.count == r.count);
		CHECK(again.out.len == r.out.len &&
		      !memcmp(again.out.data, r.out.data, r.out.len));
		buf_release(&again.out);
	}
	buf_release(&r.out);
}

/* ---- mode 3: request checks */

static void request(const uint8_t *d, size_t n)
{
	struct eio_request r;
	enum eio_error code;
	enum eio_method m;
	bool upgrade;

	if (n < 2)
		return;
	m = (enum eio_method)(d[0] % 3);
	upgrade = d[1] & 1;
	if (eio_request_parse((const char *)d + 2, n - 2, m, upgrade, &r,
			      &code)) {
		CHECK(code <= EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION);
		return;
	}
	CHECK(upgrade == (r.transport == EIO_WEBSOCKET));
	CHECK(!r.sid[0] || eio_sid_valid(r.sid, strlen(r.sid)));
	CHECK(r.sid[0] || m == EIO_METHOD_GET);
}

/* ---- mode 2: the session, fed by a model of a correct glue */

enum slot_state { FREE, HELD_GET, POST_STARTED, WS_OPEN };

#define NREQ 6
#define NWS 3
static char reqs[NREQ], wss[NWS]; /* their addresses are the handles */

struct model {
	struct eio_session *s;
	enum slot_state req[NREQ];
	enum slot_state ws[NWS];
	bool closed;
	uint64_t now;
	size_t max_buffered;
};

static int req_index(void *h)
{
	for (int i = 0; i < NREQ; i++)
		if (h == &reqs[i])
			return i;
	return -1;
}

static int ws_index(void *h)
{
	for (int i = 0; i < NWS; i++)
		if (h == &wss[i])
			return i;
	return -1;
}

static int count_cb(void *ctx, const struct eio_packet *p)
{
	(*(size_t *)ctx)++;
	return 0;
}

/* Pops every action, checking each against the model. */
static void drain(struct model *m)
{
	struct eio_action a;

	while (eio_session_pop(m->s, &a)) {
		int i;
		CHECK(!m->closed);
		switch (a.type) {
		case EIO_ACT_HTTP_REPLY:
			i = req_index(a.to);
			CHECK(i >= 0 && m->req[i] != FREE);
			m->req[i] = FREE;
			CHECK(a.status == 200 || a.status == 400 ||
			      a.status == 413);
			CHECK(a.data && a.data[a.len] == '\0');
			if (a.status == 200 &&
			    strcmp(a.content_type, "text/html")) {
				size_t k = 0;
				const char *err;
				CHECK(eio_payload_decode(a.data, a.len, SIZE_MAX,
							 count_cb, &k,
							 &err) == 0);
				CHECK(k >= 1);
			}
			break;
		case EIO_ACT_WS_SEND:
		case EIO_ACT_WS_CLOSE:
			i = ws_index(a.to);
			CHECK(i >= 0 && m->ws[i] == WS_OPEN);
			if (a.type == EIO_ACT_WS_CLOSE) {
				m->ws[i] = FREE;
				CHECK(a.ws_code >= 1000 && a.ws_code <= 1011);
			} else {
				struct eio_packet p;
				const char *err;
				CHECK(eio_packet_decode(a.data, a.len, a.binary,
							&p, &err) == 0);
				eio_packet_release(&p);
			}
			break;
		case EIO_ACT_DELIVER:
			CHECK(a.binary ||
			      utf8_valid_prefix(a.data, a.len) == a.len);
			break;
		case EIO_ACT_CLOSED:
			CHECK(a.reason && *a.reason);
			CHECK(eio_session_state(m->s) == EIO_S_CLOSED);
			m->closed = true;
			break;
		default:
			CHECK(0);
		}
	}
	if (!m->closed) {
		int gets = 0;
		for (int i = 0; i < NREQ; i++)
			gets += m->req[i] == HELD_GET;
		CHECK(gets <= 1); /* one outstanding GET */
		/* pings and the final "1" may pass max_buffered, a little */
		CHECK(eio_session_buffered(m->s) <= m->max_buffered + 64);
	}
}

static int free_slot(const enum slot_state *v, int n, int hint)
{
	for (int k = 0; k < n; k++) {
		int i = (hint + k) % n;
		if (v[i] == FREE)
			return i;
	}
	return -1;
}

static int slot_in(const enum slot_state *v, int n, int hint,
		   enum slot_state st)
{
	for (int k = 0; k < n; k++) {
		int i = (hint + k) % n;
		if (v[i] == st)
			return i;
	}
	return -1;
}

static void session(const uint8_t *d, size_t n)
{
	struct eio_config cfg;
	struct model m = { .now = 1000 };
	bool ws_start;
	int i;

	if (n < 1)
		return;
	eio_config_default(&cfg);
	cfg.ping_interval_ms = 300;
	cfg.ping_timeout_ms = 200;
	cfg.upgrade_timeout_ms = 150;
	cfg.close_timeout_ms = 500;
	cfg.max_payload = 64;
	cfg.max_buffered = 200;
	cfg.max_packets = 8;
	cfg.rate = 50;
	cfg.burst = 20;
	cfg.allow_upgrade = !(d[0] & 2);
	m.max_buffered = cfg.max_buffered;
	ws_start = d[0] & 1;
	d++, n--;

	if (ws_start) {
		m.ws[0] = WS_OPEN;
		m.s = eio_session_new(&cfg, "fuzzsid", EIO_WEBSOCKET, &wss[0],
				      m.now);
	} else {
		m.req[0] = HELD_GET;
		m.s = eio_session_new(&cfg, "fuzzsid", EIO_POLLING, &reqs[0],
				      m.now);
	}
	if (!m.s)
		return;
	drain(&m);

	while (n >= 3 && !m.closed) {
		uint8_t op = d[0], arg = d[1];
		size_t len = d[2];
		const char *data = (const char *)d + 3;
		int r = 0;
		if (len > n - 3)
			len = n - 3;
		d += 3 + len, n -= 3 + len;

		switch (op % 13) {
		case 0: /* a GET */
			if ((i = free_slot(m.req, NREQ, arg)) < 0)
				break;
			m.req[i] = HELD_GET;
			r = eio_session_on_get(m.s, &reqs[i], m.now);
			break;
		case 1: /* a whole POST */
			if ((i = free_slot(m.req, NREQ, arg)) < 0)
				break;
			m.req[i] = POST_STARTED;
			r = eio_session_on_post_start(m.s, &reqs[i],
						      (long long)len, false,
						      m.now);
			drain(&m);
			if (!m.closed && m.req[i] == POST_STARTED)
				r = eio_session_on_post_body(m.s, &reqs[i],
							     data, len, m.now);
			break;
		case 2: /* POST headers only */
			if ((i = free_slot(m.req, NREQ, arg)) < 0)
				break;
			m.req[i] = POST_STARTED;
			r = eio_session_on_post_start(
				m.s, &reqs[i],
				arg & 0x80 ? -1 : (long long)arg * 2,
				(arg & 0x41) == 0x41, m.now);
			break;
		case 3: /* the body of a started POST */
			if ((i = slot_in(m.req, NREQ, arg, POST_STARTED)) < 0)
				break;
			r = eio_session_on_post_body(m.s, &reqs[i], data, len,
						     m.now);
			break;
		case 4: /* a request's connection drops */
			for (int k = 0; k < NREQ; k++) {
				i = (arg + k) % NREQ;
				if (m.req[i] != FREE)
					break;
			}
			if (m.req[i] == FREE)
				break;
			m.req[i] = FREE; /* no reply may name it now */
			r = eio_session_on_request_gone(m.s, &reqs[i], m.now);
			break;
		case 5: /* a WebSocket with our sid */
			if ((i = free_slot(m.ws, NWS, arg)) < 0)
				break;
			r = eio_session_ws_attach(m.s, &wss[i], m.now);
			if (r == 0)
				m.ws[i] = WS_OPEN;
			break;
		case 6:
		case 7: /* a frame on one of them */
			if ((i = slot_in(m.ws, NWS, arg, WS_OPEN)) < 0)
				break;
			r = eio_session_on_ws_frame(m.s, &wss[i], data, len,
						    op % 13 == 7, m.now);
			break;
		case 8: /* one of them goes away */
			if ((i = slot_in(m.ws, NWS, arg, WS_OPEN)) < 0)
				break;
			m.ws[i] = FREE;
			r = eio_session_on_ws_closed(m.s, &wss[i], m.now);
			break;
		case 9: { /* time passes; the timer fires when due */
			uint64_t dl;
			m.now += (uint64_t)arg * 7;
			dl = eio_session_deadline(m.s);
			r = eio_session_tick(m.s, m.now);
			if (dl <= m.now && eio_session_state(m.s) != EIO_S_CLOSED)
				CHECK(eio_session_deadline(m.s) > m.now);
			break;
		}
		case 10:
		case 11: /* the layer above sends */
			r = eio_session_send(m.s, data, len, op % 13 == 11,
					     m.now);
			CHECK(r == 0 || r == -EINVAL || r == -ENOBUFS ||
			      r == -EPIPE);
			r = 0;
			break;
		case 12: /* the server closes */
			r = eio_session_close(m.s, "fuzz close", m.now);
			CHECK(r == 0 || r == -EPIPE);
			r = 0;
			break;
		}
		/* a correct glue never gets EINVAL; EBUSY is a refused
		 * WebSocket; EPIPE a session that is over */
		CHECK(r == 0 || r == -EBUSY || r == -EPIPE);
		drain(&m);
	}
	eio_session_free(m.s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1 << 16)
		return 0;
	switch (data[0] % 4) {
	case 0:
		one_packet(data + 1, size - 1);
		break;
	case 1:
		payload(data + 1, size - 1);
		break;
	case 2:
		session(data + 1, size - 1);
		break;
	case 3:
		request(data + 1, size - 1);
		break;
	}
	return 0;
}
