/*
 * test_eio_packet.c - Engine.IO v4 packets and polling payloads: the
 * examples of the protocol document and of its test suite, byte for byte;
 * a body is refused whole; base64 is canonical; encoders respect the buf's
 * max and leave it unchanged on error.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/eio_packet.h"

/* a literal and its length, NULs included */
#define S(s) s, (sizeof(s) - 1)

static void test_decode_frames(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		bool binary_frame;
		enum eio_type type;
		bool binary;
		const char *data;
		size_t dlen;
	} t[] = {
		{ S("4hello"), false, EIO_MESSAGE, false, "hello", 5 },
		{ S("2"), false, EIO_PING, false, "", 0 },
		{ S("3"), false, EIO_PONG, false, "", 0 },
		{ S("2probe"), false, EIO_PING, false, "probe", 5 },
		{ S("3probe"), false, EIO_PONG, false, "probe", 5 },
		{ S("5"), false, EIO_UPGRADE, false, "", 0 },
		{ S("6"), false, EIO_NOOP, false, "", 0 },
		{ S("1"), false, EIO_CLOSE, false, "", 0 },
		{ S("0{\"sid\":\"x\"}"), false, EIO_OPEN, false,
		  "{\"sid\":\"x\"}", 11 },
		{ S("4"), false, EIO_MESSAGE, false, "", 0 },
		/* Socket.IO inside: 42["hey","Jude"] */
		{ S("42[\"hey\",\"Jude\"]"), false, EIO_MESSAGE, false,
		  "2[\"hey\",\"Jude\"]", 15 },
		/* UTF-8 text, and the separator is plain data on a WebSocket */
		{ S("4\xe2\x82\xac"), false, EIO_MESSAGE, false, "\xe2\x82\xac",
		  3 },
		{ S("4a\x1e" "b"), false, EIO_MESSAGE, false, "a\x1e" "b", 3 },
		/* binary: the raw frame, or "b" + base64 from b64 clients */
		{ S("\x01\x02\x03\x04"), true, EIO_MESSAGE, true,
		  "\x01\x02\x03\x04", 4 },
		{ S("4hello"), true, EIO_MESSAGE, true, "4hello", 6 },
		{ S(""), true, EIO_MESSAGE, true, "", 0 },
		{ S("\xff\x00"), true, EIO_MESSAGE, true, "\xff\x00", 2 },
		{ S("bAQIDBA=="), false, EIO_MESSAGE, true, "\x01\x02\x03\x04",
		  4 },
		{ S("bAQIDBA"), false, EIO_MESSAGE, true, "\x01\x02\x03\x04",
		  4 },
		{ S("b"), false, EIO_MESSAGE, true, "", 0 },
		{ S("b/w=="), false, EIO_MESSAGE, true, "\xff", 1 },
		{ S("bAAAA"), false, EIO_MESSAGE, true, "\0\0\0", 3 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct eio_packet p;
		const char *err = NULL;
		int r = eio_packet_decode(t[i].in, t[i].len, t[i].binary_frame,
					  &p, &err);
		if (r)
			fail_msg("#%zu: %d %s", i, r, err);
		assert_int_equal(p.type, t[i].type);
		assert_int_equal(p.binary, t[i].binary);
		assert_int_equal(p.len, t[i].dlen);
		assert_memory_equal(p.data, t[i].data, t[i].dlen);
		eio_packet_release(&p);
		assert_null(p.own);
	}
}

static void test_decode_errors(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *err;
	} t[] = {
		{ S(""), "empty packet" },
		{ S("abc"), "unknown packet type" },
		{ S("7"), "unknown packet type" },
		{ S("9x"), "unknown packet type" },
		{ S(" 4"), "unknown packet type" },
		{ S("\x1e"), "unknown packet type" },
		{ S("4\xff"), "text packet is not valid UTF-8" },
		{ S("4\xc0\x80"), "text packet is not valid UTF-8" },
		{ S("4\xed\xa0\x80"), "text packet is not valid UTF-8" },
		{ S("b!!!!"), "binary packet is not valid base64" },
		{ S("bAQIDBA="), "binary packet is not valid base64" },
		{ S("bAQIDBB=="), "binary packet is not valid base64" },
		{ S("bA"), "binary packet is not valid base64" },
		{ S("bAQID BA=="), "binary packet is not valid base64" },
		{ S("b="), "binary packet is not valid base64" },
		{ S("bAQ=A"), "binary packet is not valid base64" },
		{ S("bAQIDBA-"), "binary packet is not valid base64" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct eio_packet p;
		const char *err = NULL;
		int r = eio_packet_decode(t[i].in, t[i].len, false, &p, &err);
		if (r != -EINVAL)
			fail_msg("#%zu '%s': %d, want -EINVAL", i, t[i].in, r);
		assert_non_null(err);
		assert_string_equal(err, t[i].err);
		eio_packet_release(&p); /* harmless after an error */
	}
}

/* Collects the packets of a payload as "type:data" (binary as hex). */
struct seen {
	char text[512];
	int n;
	int stop_at; /* return 7 from this packet (1-based), 0 never */
};

static int collect(void *ctx, const struct eio_packet *p)
{
	struct seen *s = ctx;
	size_t at = strlen(s->text);

	if (at)
		at += (size_t)snprintf(s->text + at, sizeof(s->text) - at, "|");
	at += (size_t)snprintf(s->text + at, sizeof(s->text) - at, "%s%s:",
			       eio_type_name(p->type), p->binary ? "/b" : "");
	for (size_t i = 0; i < p->len && at < sizeof(s->text) - 3; i++) {
		if (p->binary)
			at += (size_t)snprintf(s->text + at,
					       sizeof(s->text) - at, "%02x",
					       (unsigned char)p->data[i]);
		else
			s->text[at++] = p->data[i], s->text[at] = '\0';
	}
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

static void test_payload_decode(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} t[] = {
		/* the protocol document's examples */
		{ S("4hello\x1e" "2\x1e" "4world"),
		  "message:hello|ping:|message:world" },
		{ S("4hello\x1e" "bAQIDBA=="),
		  "message:hello|message/b:01020304" },
		/* its test suite */
		{ S("4test1\x1e" "4test2\x1e" "4test3"),
		  "message:test1|message:test2|message:test3" },
		{ S("3"), "pong:" },
		{ S("1"), "close:" },
		/* the Socket.IO sample session */
		{ S("42[\"hello\"]\x1e" "42[\"world\"]"),
		  "message:2[\"hello\"]|message:2[\"world\"]" },
		{ S("40"), "message:0" },
		{ S("6\x1e" "5\x1e" "0"), "noop:|upgrade:|open:" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct seen s = { .text = "" };
		const char *err = NULL;
		int r = eio_payload_decode(t[i].in, t[i].len, 100, collect, &s,
					   &err);
		if (r)
			fail_msg("#%zu: %d %s", i, r, err);
		assert_string_equal(s.text, t[i].want);
	}
}

/* A bad record anywhere refuses the body before any packet is seen. */
static void test_payload_refused_whole(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *err;
	} t[] = {
		{ S(""), "empty packet" },
		{ S("abc"), "unknown packet type" },
		{ S("4a\x1e"), "empty packet" },
		{ S("\x1e" "4a"), "empty packet" },
		{ S("4a\x1e\x1e" "4b"), "empty packet" },
		{ S("4a\x1e" "4b\x1e" "Z"), "unknown packet type" },
		{ S("4a\x1e" "b!"), "binary packet is not valid base64" },
		{ S("4a\x1e" "4\xff"), "payload is not valid UTF-8" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct seen s = { .text = "" };
		const char *err = NULL;
		int r = eio_payload_decode(t[i].in, t[i].len, 100, collect, &s,
					   &err);
		if (r != -EINVAL)
			fail_msg("#%zu: %d, want -EINVAL", i, r);
		assert_string_equal(err, t[i].err);
		assert_int_equal(s.n, 0);
	}
}

static void test_payload_max_packets_and_stop(void **state)
{
	struct seen s = { .text = "" };
	const char *err = NULL;

	assert_int_equal(eio_payload_decode("4a\x1e" "4b\x1e" "4c", 8, 2,
					    collect, &s, &err),
			 -E2BIG);
	assert_string_equal(err, "too many packets in one payload");
	assert_int_equal(s.n, 0);
	assert_int_equal(eio_payload_decode("4a\x1e" "4b\x1e" "4c", 8, 3,
					    collect, &s, &err),
			 0);
	assert_int_equal(s.n, 3);

	/* the callback's non-zero return stops the walk and comes back */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(eio_payload_decode("4a\x1e" "1\x1e" "4c", 7, 10,
					    collect, &s, &err),
			 7);
	assert_string_equal(s.text, "message:a|close:");
}

static void test_encode_payload(void **state)
{
	struct eio_packet hello = { .type = EIO_MESSAGE, .data = "hello",
				    .len = 5 };
	struct eio_packet bin = { .type = EIO_MESSAGE, .binary = true,
				  .data = "\x01\x02\x03\x04", .len = 4 };
	struct eio_packet ping = { .type = EIO_PING, .data = "", .len = 0 };
	struct eio_packet noop = { .type = EIO_NOOP, .data = "", .len = 0 };
	struct buf b;

	buf_init(&b, 1000);
	assert_int_equal(eio_payload_append(&b, &hello), 0);
	assert_int_equal(eio_payload_append(&b, &bin), 0);
	assert_string_equal(buf_str(&b), "4hello\x1e" "bAQIDBA==");
	assert_int_equal(b.len, 16);
	buf_reset(&b);
	assert_int_equal(eio_payload_append(&b, &ping), 0);
	assert_int_equal(eio_payload_append(&b, &noop), 0);
	assert_string_equal(buf_str(&b), "2\x1e" "6");
	assert_int_equal(eio_payload_size(&hello), 6);
	assert_int_equal(eio_payload_size(&bin), 9);
	assert_int_equal(eio_payload_size(&ping), 1);

	/* text holding the separator cannot be framed */
	struct eio_packet bad = { .type = EIO_MESSAGE, .data = "a\x1e" "b",
				  .len = 3 };
	buf_reset(&b);
	assert_int_equal(eio_payload_append(&b, &hello), 0);
	assert_int_equal(eio_payload_append(&b, &bad), -EINVAL);
	assert_string_equal(buf_str(&b), "4hello");
	/* a binary packet that is not a message has no polling form */
	struct eio_packet binping = { .type = EIO_PING, .binary = true,
				      .data = "", .len = 0 };
	assert_int_equal(eio_payload_append(&b, &binping), -EINVAL);
	buf_release(&b);

	/* the cap: -ENOBUFS and the buf as it was */
	buf_init(&b, 10);
	assert_int_equal(eio_payload_append(&b, &hello), 0);
	assert_int_equal(eio_payload_append(&b, &bin), -ENOBUFS);
	assert_int_equal(b.len, 6);
	assert_string_equal(buf_str(&b), "4hello");
	assert_int_equal(eio_payload_append(&b, &noop), 0); /* "~6" fits */
	assert_string_equal(buf_str(&b), "4hello\x1e" "6");
	buf_release(&b);
}

static void test_encode_ws(void **state)
{
	struct eio_packet hello = { .type = EIO_MESSAGE, .data = "hello",
				    .len = 5 };
	struct eio_packet bin = { .type = EIO_MESSAGE, .binary = true,
				  .data = "\x01\x02\x03\x04", .len = 4 };
	struct eio_packet pong = { .type = EIO_PONG, .data = "probe",
				   .len = 5 };
	struct buf b;
	bool binary = true;

	buf_init(&b, 100);
	assert_int_equal(eio_packet_encode_ws(&hello, &b, &binary), 0);
	assert_false(binary);
	assert_string_equal(buf_str(&b), "4hello");
	buf_reset(&b);
	assert_int_equal(eio_packet_encode_ws(&bin, &b, &binary), 0);
	assert_true(binary);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\x01\x02\x03\x04", 4);
	buf_reset(&b);
	assert_int_equal(eio_packet_encode_ws(&pong, &b, &binary), 0);
	assert_string_equal(buf_str(&b), "3probe");
	buf_release(&b);

	buf_init(&b, 5); /* "4hello" is 6 bytes */
	assert_int_equal(eio_packet_encode_ws(&hello, &b, &binary), -ENOBUFS);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

/* Every length survives encode -> decode, binary and base64 alike. */
static void test_base64_round_trip(void **state)
{
	unsigned char raw[40];
	struct buf b;

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 37 + 251);
	buf_init(&b, 1000);
	for (size_t n = 0; n <= sizeof(raw); n++) {
		struct eio_packet p = { .type = EIO_MESSAGE, .binary = true,
					.data = (const char *)raw, .len = n };
		struct eio_packet q;
		const char *err;
		buf_reset(&b);
		assert_int_equal(eio_payload_append(&b, &p), 0);
		assert_int_equal(b.len, eio_payload_size(&p));
		assert_int_equal(eio_packet_decode(b.data, b.len, false, &q,
						   &err),
				 0);
		assert_true(q.binary);
		assert_int_equal(q.len, n);
		assert_memory_equal(q.data, raw, n);
		eio_packet_release(&q);
	}
	buf_release(&b);
}

static void test_handshake(void **state)
{
	struct buf b;

	buf_init(&b, 1000);
	/* the Socket.IO protocol document's sample session, byte for byte */
	assert_int_equal(eio_handshake_encode(&b, "lv_VI97HAXpY6yYWAAAC", true,
					      25000, 5000, 1000000),
			 0);
	assert_string_equal(buf_str(&b),
			    "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":"
			    "[\"websocket\"],\"pingInterval\":25000,"
			    "\"pingTimeout\":5000,\"maxPayload\":1000000}");
	/* a WebSocket session has nothing to upgrade to */
	buf_reset(&b);
	assert_int_equal(eio_handshake_encode(&b, "abc", false, 300, 200,
					      1000000),
			 0);
	assert_string_equal(buf_str(&b),
			    "0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":"
			    "300,\"pingTimeout\":200,\"maxPayload\":1000000}");
	/* sids we would not hand out are refused */
	buf_reset(&b);
	assert_int_equal(eio_handshake_encode(&b, "a\"b", true, 1, 1, 1),
			 -EINVAL);
	assert_int_equal(eio_handshake_encode(&b, "", true, 1, 1, 1), -EINVAL);
	assert_int_equal(eio_handshake_encode(&b, NULL, true, 1, 1, 1),
			 -EINVAL);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_sid(void **state)
{
	unsigned char raw[EIO_SID_RAW];
	char sid[EIO_SID_LEN + 1];

	memset(raw, 0, sizeof(raw));
	eio_sid_format(raw, sid);
	assert_string_equal(sid, "AAAAAAAAAAAAAAAAAAAA");
	memset(raw, 0xff, sizeof(raw));
	eio_sid_format(raw, sid);
	assert_string_equal(sid, "____________________");
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 17 + 0xf8);
	eio_sid_format(raw, sid);
	assert_int_equal(strlen(sid), EIO_SID_LEN);
	assert_true(eio_sid_valid(sid, strlen(sid)));

	assert_true(eio_sid_valid("lv_VI97HAXpY6yYWAAAC", 20));
	assert_true(eio_sid_valid("a-b_C9", 6));
	assert_false(eio_sid_valid("", 0));
	assert_false(eio_sid_valid("a+b", 3));
	assert_false(eio_sid_valid("a/b", 3));
	assert_false(eio_sid_valid("a b", 3));
	assert_false(eio_sid_valid("a\0b", 3));
	assert_false(eio_sid_valid(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		EIO_SID_MAX + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_frames),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_payload_decode),
		cmocka_unit_test(test_payload_refused_whole),
		cmocka_unit_test(test_payload_max_packets_and_stop),
		cmocka_unit_test(test_encode_payload),
		cmocka_unit_test(test_encode_ws),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_sid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
