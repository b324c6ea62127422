/*
 * test_sio_packet.c - Socket.IO v5 packets: every example of the protocol
 * document and of its test suite decodes to what it says and encodes back
 * byte for byte; what the reference decoder refuses (and what the
 * protocol forbids) is refused with a reason; limits hold before JSON is
 * built; binary attachments are refused with their header decoded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/sio_packet.h"

#define S(s) s, (sizeof(s) - 1)

static char *dump(json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

static void test_decode_examples(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		enum sio_type type;
		const char *nsp;
		int64_t id;
		const char *data; /* compact JSON, NULL for none */
		const char *event;
	} t[] = {
		/* the protocol document */
		{ S("0"), SIO_CONNECT, "/", SIO_NO_ID, NULL, NULL },
		{ S("0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}"), SIO_CONNECT,
		  "/admin", SIO_NO_ID, "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
		  NULL },
		{ S("4{\"message\":\"Not authorized\"}"), SIO_CONNECT_ERROR, "/",
		  SIO_NO_ID, "{\"message\":\"Not authorized\"}", NULL },
		{ S("2[\"foo\"]"), SIO_EVENT, "/", SIO_NO_ID, "[\"foo\"]", "foo" },
		{ S("2/admin,[\"bar\"]"), SIO_EVENT, "/admin", SIO_NO_ID,
		  "[\"bar\"]", "bar" },
		{ S("212[\"foo\"]"), SIO_EVENT, "/", 12, "[\"foo\"]", "foo" },
		{ S("3/admin,13[\"bar\"]"), SIO_ACK, "/admin", 13, "[\"bar\"]",
		  NULL },
		{ S("1"), SIO_DISCONNECT, "/", SIO_NO_ID, NULL, NULL },
		{ S("1/admin,"), SIO_DISCONNECT, "/admin", SIO_NO_ID, NULL,
		  NULL },
		{ S("2[\"hey\",\"Jude\"]"), SIO_EVENT, "/", SIO_NO_ID,
		  "[\"hey\",\"Jude\"]", "hey" },
		{ S("2/admin,1[\"tellme\"]"), SIO_EVENT, "/admin", 1,
		  "[\"tellme\"]", "tellme" },
		/* its test suite (without the Engine.IO "4") */
		{ S("0{\"token\":\"123\"}"), SIO_CONNECT, "/", SIO_NO_ID,
		  "{\"token\":\"123\"}", NULL },
		{ S("0/custom,"), SIO_CONNECT, "/custom", SIO_NO_ID, NULL, NULL },
		{ S("0/custom,{\"token\":\"abc\"}"), SIO_CONNECT, "/custom",
		  SIO_NO_ID, "{\"token\":\"abc\"}", NULL },
		{ S("0/random"), SIO_CONNECT, "/random", SIO_NO_ID, NULL, NULL },
		{ S("1/custom"), SIO_DISCONNECT, "/custom", SIO_NO_ID, NULL,
		  NULL },
		{ S("2[\"message\",1,\"2\",{\"3\":[true]}]"), SIO_EVENT, "/",
		  SIO_NO_ID, "[\"message\",1,\"2\",{\"3\":[true]}]", "message" },
		{ S("2456[\"message-with-ack\",1,\"2\",{\"3\":[false]}]"),
		  SIO_EVENT, "/", 456,
		  "[\"message-with-ack\",1,\"2\",{\"3\":[false]}]",
		  "message-with-ack" },
		{ S("3456[1,\"2\",{\"3\":[false]}]"), SIO_ACK, "/", 456,
		  "[1,\"2\",{\"3\":[false]}]", NULL },
		/* what socket.io-client sends: its first ack id is 0, an ack
		 * with no arguments is [] */
		{ S("20[\"run\",{\"code\":\"print(1)\"}]"), SIO_EVENT, "/", 0,
		  "[\"run\",{\"code\":\"print(1)\"}]", "run" },
		{ S("37[]"), SIO_ACK, "/", 7, "[]", NULL },
		{ S("0/,"), SIO_CONNECT, "/", SIO_NO_ID, NULL, NULL },
		{ S("2 [\"x\"]"), SIO_EVENT, "/", SIO_NO_ID, "[\"x\"]", "x" },
		{ S("29007199254740991[\"x\"]"), SIO_EVENT, "/", SIO_ID_MAX,
		  "[\"x\"]", "x" },
		{ S("2[\"\"]"), SIO_EVENT, "/", SIO_NO_ID, "[\"\"]", "" },
		{ S("2/\xc3\xa9t\xc3\xa9,[\"\xe2\x82\xac\"]"), SIO_EVENT,
		  "/\xc3\xa9t\xc3\xa9", SIO_NO_ID, "[\"\xe2\x82\xac\"]",
		  "\xe2\x82\xac" },
		{ S("4\"old style\""), SIO_CONNECT_ERROR, "/", SIO_NO_ID,
		  "\"old style\"", NULL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sio_packet p;
		const char *err = NULL;
		char *d;
		int r = sio_packet_decode(t[i].in, t[i].len, NULL, &p, &err);
		if (r)
			fail_msg("#%zu '%s': %d %s", i, t[i].in, r, err);
		assert_int_equal(p.type, t[i].type);
		assert_string_equal(p.nsp, t[i].nsp);
		assert_int_equal(p.id, t[i].id);
		d = dump(p.data);
		if (t[i].data)
			assert_string_equal(d, t[i].data);
		else
			assert_null(d);
		free(d);
		if (t[i].event)
			assert_string_equal(sio_packet_event(&p), t[i].event);
		else
			assert_null(sio_packet_event(&p));
		sio_packet_release(&p);
		sio_packet_release(&p); /* twice is harmless */
	}
}

static void test_decode_errors(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		int r;
		const char *err;
	} t[] = {
		{ S(""), -EINVAL, "empty packet" },
		/* the test suite's "invalid format" cases */
		{ S("abc"), -EINVAL, "unknown packet type" },
		{ S("2{}"), -EINVAL, "EVENT payload must be a non-empty array" },
		{ S("2abc[\"message-with-ack\",1,\"2\",{\"3\":[false]}]"),
		  -EINVAL, "payload is not valid JSON" },
		{ S("7"), -EINVAL, "unknown packet type" },
		{ S("/"), -EINVAL, "unknown packet type" },
		/* payload shapes */
		{ S("2"), -EINVAL, "EVENT payload must be a non-empty array" },
		{ S("2[]"), -EINVAL, "EVENT payload must be a non-empty array" },
		{ S("2/admin"), -EINVAL,
		  "EVENT payload must be a non-empty array" },
		{ S("2/admin,5"), -EINVAL,
		  "EVENT payload must be a non-empty array" },
		{ S("2[1]"), -EINVAL, "event name must be a string" },
		{ S("2[null,1]"), -EINVAL, "event name must be a string" },
		{ S("2[\"connect\"]"), -EINVAL, "event name is reserved" },
		{ S("2[\"disconnect\",1]"), -EINVAL, "event name is reserved" },
		{ S("2[\"newListener\"]"), -EINVAL, "event name is reserved" },
		{ S("2[\"a\\u0000b\"]"), -EINVAL, "event name holds U+0000" },
		{ S("0[]"), -EINVAL, "CONNECT payload must be an object" },
		{ S("0\"x\""), -EINVAL, "CONNECT payload must be an object" },
		{ S("0null"), -EINVAL, "CONNECT payload must be an object" },
		{ S("1{}"), -EINVAL, "DISCONNECT takes no payload" },
		{ S("3[\"x\"]"), -EINVAL, "ACK without an ack id" },
		{ S("3/admin,{}"), -EINVAL, "ACK without an ack id" },
		{ S("35{}"), -EINVAL, "ACK payload must be an array" },
		{ S("4"), -EINVAL, "CONNECT_ERROR payload must be an object" },
		{ S("4[1]"), -EINVAL, "CONNECT_ERROR payload must be an object" },
		/* ack ids */
		{ S("05{}"), -EINVAL, "ack id on a packet that takes none" },
		{ S("1/admin,5"), -EINVAL, "ack id on a packet that takes none" },
		{ S("29007199254740992[\"x\"]"), -EINVAL, "ack id out of range" },
		{ S("212345678901234567[\"x\"]"), -EINVAL,
		  "ack id out of range" },
		/* JSON */
		{ S("2[\"x\""), -EINVAL, "payload is not valid JSON" },
		{ S("2[\"x\"]garbage"), -EINVAL, "payload is not valid JSON" },
		{ S("2[\"x\"][\"y\"]"), -EINVAL, "payload is not valid JSON" },
		{ S("2[\"\xff\"]"), -EINVAL, "payload is not valid JSON" },
		{ S("2[\"x\",123456789012345678901234567890]"), -EINVAL,
		  "payload is not valid JSON" },
		/* namespaces */
		{ S("0/a\x01" "b,"), -EINVAL,
		  "namespace holds a control character or ','" },
		{ S("0/a\x7f" ","), -EINVAL,
		  "namespace holds a control character or ','" },
		{ S("0/\xff,"), -EINVAL, "namespace is not valid UTF-8" },
		/* binary headers */
		{ S("5[\"x\"]"), -EINVAL,
		  "binary packet without a valid attachment count" },
		{ S("5-[\"x\"]"), -EINVAL,
		  "binary packet without a valid attachment count" },
		{ S("50-[\"x\"]"), -EINVAL,
		  "binary packet without a valid attachment count" },
		{ S("51[\"x\"]"), -EINVAL,
		  "binary packet without a valid attachment count" },
		{ S("5a-[\"x\"]"), -EINVAL,
		  "binary packet without a valid attachment count" },
		{ S("51234567-[\"x\"]"), -EINVAL,
		  "binary packet without a valid attachment count" },
		{ S("511-[\"x\"]"), -E2BIG, "too many attachments" },
		{ S("61-[]"), -EINVAL, "ACK without an ack id" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sio_packet p;
		const char *err = NULL;
		int r = sio_packet_decode(t[i].in, t[i].len, NULL, &p, &err);
		if (r != t[i].r)
			fail_msg("#%zu '%s': %d, want %d (%s)", i, t[i].in, r,
				 t[i].r, err ? err : "");
		assert_string_equal(err, t[i].err);
		assert_null(p.data); /* no reference left behind */
	}
}

static void test_limits(void **state)
{
	struct sio_limits lim;
	struct sio_packet p;
	const char *err;
	char b[300];
	size_t n;

	sio_limits_default(&lim);
	assert_int_equal(lim.max_depth, 32);

	/* depth: 32 brackets pass, 33 are refused before jansson runs;
	 * brackets inside strings do not count */
	n = (size_t)snprintf(b, sizeof(b), "2[\"x\",");
	for (int i = 1; i < 32; i++)
		b[n++] = '[';
	for (int i = 1; i < 32; i++)
		b[n++] = ']';
	b[n++] = ']';
	assert_int_equal(sio_packet_decode(b, n, &lim, &p, &err), 0);
	sio_packet_release(&p);
	lim.max_depth = 31;
	assert_int_equal(sio_packet_decode(b, n, &lim, &p, &err), -E2BIG);
	assert_string_equal(err, "payload nested too deeply");
	assert_int_equal(sio_packet_decode(S("2[\"[[[[[[\",\"{{{{{{{\"]"),
					   &(struct sio_limits){ 1000, 1, 128,
								 128, 10 },
					   &p, &err),
			 0);
	sio_packet_release(&p);
	assert_int_equal(sio_packet_decode(S("2[\"\\\"[[\",[1]]"),
					   &(struct sio_limits){ 1000, 1, 128,
								 128, 10 },
					   &p, &err),
			 -E2BIG);

	/* packet size */
	sio_limits_default(&lim);
	lim.max_packet = 8;
	assert_int_equal(sio_packet_decode(S("2[\"abc\"]"), &lim, &p, &err),
			 0);
	sio_packet_release(&p);
	assert_int_equal(sio_packet_decode(S("2[\"abcd\"]"), &lim, &p, &err),
			 -E2BIG);
	assert_string_equal(err, "packet too large");

	/* namespace and event name */
	sio_limits_default(&lim);
	lim.max_nsp = 4;
	lim.max_event = 3;
	assert_int_equal(sio_packet_decode(S("0/abc,"), &lim, &p, &err), 0);
	assert_int_equal(sio_packet_decode(S("0/abcd,"), &lim, &p, &err),
			 -E2BIG);
	assert_string_equal(err, "namespace too long");
	assert_int_equal(sio_packet_decode(S("2[\"abc\"]"), &lim, &p, &err),
			 0);
	sio_packet_release(&p);
	assert_int_equal(sio_packet_decode(S("2[\"abcd\"]"), &lim, &p, &err),
			 -E2BIG);
	assert_string_equal(err, "event name too long");
	assert_null(p.data);

	/* the hard bound of nsp[] holds whatever the limits say */
	lim.max_nsp = 100000;
	memset(b, 'a', sizeof(b));
	b[0] = '0', b[1] = '/';
	assert_int_equal(sio_packet_decode(b, SIO_NSP_MAX + 1, &lim, &p, &err),
			 0);
	assert_int_equal(strlen(p.nsp), SIO_NSP_MAX);
	assert_int_equal(sio_packet_decode(b, SIO_NSP_MAX + 2, &lim, &p, &err),
			 -E2BIG);
}

static void test_binary_refused_with_header(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		enum sio_type type;
		unsigned attachments;
		const char *nsp;
		int64_t id;
		const char *event;
	} t[] = {
		{ S("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]"),
		  SIO_BINARY_EVENT, 1, "/", SIO_NO_ID, "baz" },
		{ S("52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},"
		    "{\"_placeholder\":true,\"num\":1}]"),
		  SIO_BINARY_EVENT, 2, "/admin", SIO_NO_ID, "baz" },
		{ S("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]"),
		  SIO_BINARY_ACK, 1, "/", 15, NULL },
		{ S("52-789[\"message-with-ack\",{\"_placeholder\":true,"
		    "\"num\":0},{\"_placeholder\":true,\"num\":1}]"),
		  SIO_BINARY_EVENT, 2, "/", 789, "message-with-ack" },
		{ S("61-/admin,1[{\"_placeholder\":true,\"num\":0}]"),
		  SIO_BINARY_ACK, 1, "/admin", 1, NULL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sio_packet p;
		const char *err = NULL;
		int r = sio_packet_decode(t[i].in, t[i].len, NULL, &p, &err);
		if (r != -ENOTSUP)
			fail_msg("#%zu: %d, want -ENOTSUP", i, r);
		assert_string_equal(err, "binary attachments are not supported");
		assert_int_equal(p.type, t[i].type);
		assert_int_equal(p.attachments, t[i].attachments);
		assert_string_equal(p.nsp, t[i].nsp);
		assert_int_equal(p.id, t[i].id);
		if (t[i].event)
			assert_string_equal(sio_packet_event(&p), t[i].event);
		assert_non_null(p.data);
		sio_packet_release(&p);
	}
}

static void test_args(void **state)
{
	struct sio_packet p;
	const char *err;

	assert_int_equal(sio_packet_decode(S("2[\"input\",\"a\\u0000b\",7]"),
					   NULL, &p, &err),
			 0);
	assert_int_equal(sio_packet_nargs(&p), 2);
	/* U+0000 inside an argument is kept: use the length */
	assert_int_equal(json_string_length(sio_packet_arg(&p, 0)), 3);
	assert_memory_equal(json_string_value(sio_packet_arg(&p, 0)), "a\0b",
			    3);
	assert_int_equal(json_integer_value(sio_packet_arg(&p, 1)), 7);
	assert_null(sio_packet_arg(&p, 2));
	sio_packet_release(&p);

	assert_int_equal(sio_packet_decode(S("35[1,2,3]"), NULL, &p, &err), 0);
	assert_int_equal(sio_packet_nargs(&p), 3);
	assert_int_equal(json_integer_value(sio_packet_arg(&p, 2)), 3);
	sio_packet_release(&p);

	assert_int_equal(sio_packet_decode(S("0"), NULL, &p, &err), 0);
	assert_int_equal(sio_packet_nargs(&p), 0);
	assert_null(sio_packet_arg(&p, 0));
	assert_string_equal(sio_type_name(p.type), "CONNECT");
	sio_packet_release(&p);
}

static json_t *j(const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	assert_non_null(v);
	return v;
}

static void test_encode(void **state)
{
	struct buf b;
	json_t *a;

	buf_init(&b, 1000);
#define EXPECT(call, want)                                                     \
	do {                                                                   \
		buf_reset(&b);                                                 \
		assert_int_equal(call, 0);                                     \
		assert_string_equal(buf_str(&b), want);                        \
	} while (0)

	/* the protocol document and its test suite */
	EXPECT(sio_encode_connect(&b, "/admin", "oSO0OpakMV_3jnilAAAA"),
	       "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}");
	EXPECT(sio_encode_connect(&b, NULL, "wZX3oN0bSVIhsaknAAAI"),
	       "0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}");
	EXPECT(sio_encode_connect(&b, "/", "x"), "0{\"sid\":\"x\"}");
	EXPECT(sio_encode_connect_error(&b, NULL, "Not authorized", NULL),
	       "4{\"message\":\"Not authorized\"}");
	EXPECT(sio_encode_connect_error(&b, "/random", "Invalid namespace",
					NULL),
	       "4/random,{\"message\":\"Invalid namespace\"}");
	a = j("{\"retry\":5}");
	EXPECT(sio_encode_connect_error(&b, NULL, "busy", a),
	       "4{\"message\":\"busy\",\"data\":{\"retry\":5}}");
	json_decref(a);
	EXPECT(sio_encode_disconnect(&b, NULL), "1");
	EXPECT(sio_encode_disconnect(&b, "/admin"), "1/admin,");
	a = j("[\"Jude\"]");
	EXPECT(sio_encode_event(&b, NULL, SIO_NO_ID, "hey", a),
	       "2[\"hey\",\"Jude\"]");
	json_decref(a);
	EXPECT(sio_encode_event(&b, "/admin", SIO_NO_ID, "bar", NULL),
	       "2/admin,[\"bar\"]");
	EXPECT(sio_encode_event(&b, NULL, 12, "foo", NULL), "212[\"foo\"]");
	a = j("[\"message to main namespace\"]");
	EXPECT(sio_encode_event(&b, NULL, SIO_NO_ID, "message-back", a),
	       "2[\"message-back\",\"message to main namespace\"]");
	json_decref(a);
	a = j("[{\"token\":\"abc\"}]");
	EXPECT(sio_encode_event(&b, "/custom", SIO_NO_ID, "auth", a),
	       "2/custom,[\"auth\",{\"token\":\"abc\"}]");
	json_decref(a);
	a = j("[1,\"2\",{\"3\":[false]}]");
	EXPECT(sio_encode_ack(&b, NULL, 456, a), "3456[1,\"2\",{\"3\":[false]}]");
	json_decref(a);
	a = j("[\"bar\"]");
	EXPECT(sio_encode_ack(&b, "/admin", 13, a), "3/admin,13[\"bar\"]");
	json_decref(a);
	EXPECT(sio_encode_ack(&b, NULL, 0, NULL), "30[]");
	/* text is written as UTF-8, U+0000 and control characters escaped,
	 * no byte 0x1e (it would break a polling payload) */
	a = json_array();
	json_array_append_new(a, json_stringn("\xe2\x82\xac\0\x1e", 5));
	EXPECT(sio_encode_event(&b, NULL, SIO_NO_ID, "out", a),
	       "2[\"out\",\"\xe2\x82\xac\\u0000\\u001E\"]");
	json_decref(a);
	/* a general packet */
	struct sio_packet p = { .type = SIO_EVENT, .nsp = "/x", .id = 3,
				.data = j("[\"e\",null]") };
	EXPECT(sio_packet_encode(&b, &p), "2/x,3[\"e\",null]");
	json_decref(p.data);
#undef EXPECT
	buf_release(&b);
}

static void test_encode_refusals(void **state)
{
	struct buf b;
	json_t *obj = j("{}"), *arr = j("[1]");

	buf_init(&b, 1000);
	assert_int_equal(buf_append(&b, "keep", 4), 0);
	assert_int_equal(sio_encode_event(&b, NULL, SIO_NO_ID, "connect", NULL),
			 -EINVAL);
	assert_int_equal(sio_encode_event(&b, NULL, SIO_NO_ID, "\xff", NULL),
			 -EINVAL);
	assert_int_equal(sio_encode_event(&b, NULL, SIO_NO_ID, NULL, NULL),
			 -EINVAL);
	assert_int_equal(sio_encode_event(&b, NULL, SIO_NO_ID, "e", obj),
			 -EINVAL);
	assert_int_equal(sio_encode_event(&b, "admin", SIO_NO_ID, "e", NULL),
			 -EINVAL);
	assert_int_equal(sio_encode_event(&b, "/a,b", SIO_NO_ID, "e", NULL),
			 -EINVAL);
	assert_int_equal(sio_encode_event(&b, NULL, SIO_ID_MAX + 1, "e", NULL),
			 -EINVAL);
	assert_int_equal(sio_encode_ack(&b, NULL, SIO_NO_ID, arr), -EINVAL);
	assert_int_equal(sio_encode_ack(&b, NULL, 1, obj), -EINVAL);
	assert_int_equal(sio_encode_connect(&b, NULL, NULL), -EINVAL);
	assert_int_equal(sio_encode_connect(&b, NULL, "\xff"), -EINVAL);
	assert_int_equal(sio_encode_connect_error(&b, NULL, NULL, NULL),
			 -EINVAL);
	struct sio_packet p = { .type = SIO_BINARY_EVENT, .nsp = "/",
				.id = SIO_NO_ID, .data = arr };
	assert_int_equal(sio_packet_encode(&b, &p), -ENOTSUP);
	p.type = SIO_DISCONNECT;
	assert_int_equal(sio_packet_encode(&b, &p), -EINVAL);
	p.type = (enum sio_type)9;
	assert_int_equal(sio_packet_encode(&b, &p), -EINVAL);
	assert_string_equal(buf_str(&b), "keep");
	buf_release(&b);

	/* the cap: -ENOBUFS, the buf as it was, also mid-JSON */
	buf_init(&b, 12);
	assert_int_equal(buf_append(&b, "ab", 2), 0);
	assert_int_equal(sio_encode_event(&b, NULL, SIO_NO_ID, "hello", arr),
			 -ENOBUFS);
	assert_string_equal(buf_str(&b), "ab");
	assert_int_equal(sio_encode_event(&b, "/nsp-too-long", SIO_NO_ID, "e",
					  NULL),
			 -ENOBUFS);
	assert_string_equal(buf_str(&b), "ab");
	buf_release(&b);
	json_decref(obj);
	json_decref(arr);
}

/* What decodes encodes back to the same bytes (canonical inputs). */
static void test_round_trip(void **state)
{
	static const char *const t[] = {
		"0",
		"0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
		"4{\"message\":\"Not authorized\"}",
		"2[\"foo\"]",
		"2/admin,[\"bar\"]",
		"212[\"foo\"]",
		"3/admin,13[\"bar\"]",
		"1",
		"1/admin,",
		"20[\"run\",{\"code\":\"print(1)\",\"n\":[1,2.5,true,null]}]",
		"30[]",
		"2[\"\xe2\x82\xac\",\"\\u0000\"]",
	};
	struct buf b;

	buf_init(&b, 1000);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sio_packet p;
		const char *err;
		assert_int_equal(sio_packet_decode(t[i], strlen(t[i]), NULL,
						   &p, &err),
				 0);
		buf_reset(&b);
		assert_int_equal(sio_packet_encode(&b, &p), 0);
		assert_string_equal(buf_str(&b), t[i]);
		sio_packet_release(&p);
	}
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_examples),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_binary_refused_with_header),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
