/*
 * test_eio_request.c - the request checks before a session: the verdicts
 * of the reference test suite's handshake cases (missing or bad EIO,
 * unknown transport, POST/PUT handshakes, WebSocket without an upgrade),
 * the query strings socket.io-client really sends, and the error bodies.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/eio_request.h"

/* Refusals name no transport or sid. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define GET EIO_METHOD_GET
#define POST EIO_METHOD_POST
#define PUT EIO_METHOD_OTHER
#define OK (-1)

static void test_verdicts(void **state)
{
	static const struct {
		const char *query;
		enum eio_method method;
		bool upgrade;
		int want; /* OK or an enum eio_error */
		enum eio_transport transport;
		const char *sid;
	} t[] = {
		/* what socket.io-client 4.x sends: handshake, poll, post,
		 * upgrade, and a WebSocket-only session */
		{ "EIO=4&transport=polling&t=PZ3ab1x", GET, false, OK,
		  EIO_POLLING, "" },
		{ "EIO=4&transport=polling&t=PZ3ab2c&sid=lv_VI97HAXpY6yYWAAAC",
		  GET, false, OK, EIO_POLLING, "lv_VI97HAXpY6yYWAAAC" },
		{ "EIO=4&transport=polling&t=PZ3ab2c&sid=lv_VI97HAXpY6yYWAAAC",
		  POST, false, OK, EIO_POLLING, "lv_VI97HAXpY6yYWAAAC" },
		{ "EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC", GET,
		  true, OK, EIO_WEBSOCKET, "lv_VI97HAXpY6yYWAAAC" },
		{ "EIO=4&transport=websocket", GET, true, OK, EIO_WEBSOCKET,
		  "" },
		/* the application's own query parameters ride along */
		{ "room=abc&token=x%20y&EIO=4&transport=polling&t=N8hyd6w", GET,
		  false, OK, EIO_POLLING, "" },
		{ "EIO=4&transport=polling&sid=ab%2Dc", GET, false, OK,
		  EIO_POLLING, "ab-c" },
		{ "EIO=4&&transport=polling&flag", GET, false, OK, EIO_POLLING,
		  "" },
		/* the test suite: "fails with an invalid 'EIO' query param" */
		{ "transport=polling", GET, false,
		  EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION },
		{ "EIO=abc&transport=polling", GET, false,
		  EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION },
		{ "EIO=3&transport=polling", GET, false,
		  EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION },
		{ "transport=websocket", GET, true,
		  EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION },
		/* "fails with an invalid 'transport' query parameter" */
		{ "EIO=4", GET, false, EIO_ERR_UNKNOWN_TRANSPORT },
		{ "EIO=4&transport=abc", GET, false, EIO_ERR_UNKNOWN_TRANSPORT },
		{ "EIO=4&transport=webtransport", GET, false,
		  EIO_ERR_UNKNOWN_TRANSPORT },
		{ "EIO=4&transport=abc", GET, true, EIO_ERR_UNKNOWN_TRANSPORT },
		{ "", GET, false, EIO_ERR_UNKNOWN_TRANSPORT },
		{ NULL, GET, false, EIO_ERR_UNKNOWN_TRANSPORT },
		/* "fails with an invalid request method" */
		{ "EIO=4&transport=polling", POST, false,
		  EIO_ERR_BAD_HANDSHAKE_METHOD },
		{ "EIO=4&transport=polling", PUT, false,
		  EIO_ERR_BAD_HANDSHAKE_METHOD },
		/* the transport and the request must agree */
		{ "EIO=4&transport=websocket", GET, false, EIO_ERR_BAD_REQUEST },
		{ "EIO=4&transport=polling", GET, true, EIO_ERR_BAD_REQUEST },
		{ "EIO=4&transport=websocket&sid=abc", GET, false,
		  EIO_ERR_BAD_REQUEST },
		{ "EIO=4&transport=websocket&sid=abc", POST, false,
		  EIO_ERR_BAD_REQUEST },
		{ "EIO=4&transport=polling&sid=abc", PUT, false,
		  EIO_ERR_BAD_REQUEST },
		/* sids we never hand out */
		{ "EIO=4&transport=polling&sid=a%2Fb", GET, false,
		  EIO_ERR_UNKNOWN_SID },
		{ "EIO=4&transport=polling&sid=", GET, false,
		  EIO_ERR_UNKNOWN_SID },
		{ "EIO=4&transport=polling&sid=a%00b", GET, false,
		  EIO_ERR_UNKNOWN_SID },
		{ "EIO=4&transport=polling&sid=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  GET, false, EIO_ERR_UNKNOWN_SID },
		/* malformed or ambiguous */
		{ "EIO=4&EIO=4&transport=polling", GET, false,
		  EIO_ERR_BAD_REQUEST },
		{ "EIO=4&transport=polling&transport=websocket", GET, false,
		  EIO_ERR_BAD_REQUEST },
		{ "EIO=4&transport=poll%zzing", GET, false,
		  EIO_ERR_UNKNOWN_TRANSPORT },
		{ "EIO=4&transport=polling%", GET, false,
		  EIO_ERR_UNKNOWN_TRANSPORT },
		{ "EIO=%34&transport=polling", GET, false, OK, EIO_POLLING, "" },
		{ "EI%4F=4&transport=polling", GET, false, OK, EIO_POLLING, "" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct eio_request r;
		enum eio_error code = (enum eio_error)99;
		int ret = eio_request_parse(t[i].query,
					    t[i].query ? strlen(t[i].query) : 7,
					    t[i].method, t[i].upgrade, &r, &code);
		if (t[i].want == OK) {
			if (ret)
				fail_msg("#%zu '%s': refused (%d)", i,
					 t[i].query, code);
			assert_int_equal(r.transport, t[i].transport);
			assert_string_equal(r.sid, t[i].sid);
		} else {
			if (ret != -EINVAL || (int)code != t[i].want)
				fail_msg("#%zu '%s': %d code %d, want %d", i,
					 t[i].query ? t[i].query : "(null)",
					 ret, code, t[i].want);
		}
	}
}

static void test_query_too_long(void **state)
{
	static char q[EIO_QUERY_MAX + 2];
	struct eio_request r;
	enum eio_error code;

	memset(q, 'x', sizeof(q) - 1);
	memcpy(q, "EIO=4&transport=polling&", 24);
	assert_int_equal(eio_request_parse(q, EIO_QUERY_MAX, GET, false, &r,
					   &code),
			 0);
	assert_int_equal(eio_request_parse(q, EIO_QUERY_MAX + 1, GET, false,
					   &r, &code),
			 -EINVAL);
	assert_int_equal(code, EIO_ERR_BAD_REQUEST);
}

static void test_error_reply(void **state)
{
	struct buf b;
	int status = 0;

	buf_init(&b, 200);
	assert_int_equal(eio_error_reply(EIO_ERR_UNKNOWN_SID, &b, &status), 0);
	assert_int_equal(status, 400);
	assert_string_equal(buf_str(&b),
			    "{\"code\":1,\"message\":\"Session ID unknown\"}");
	buf_reset(&b);
	assert_int_equal(eio_error_reply(EIO_ERR_FORBIDDEN, &b, &status), 0);
	assert_int_equal(status, 403);
	assert_string_equal(buf_str(&b), "{\"code\":4,\"message\":\"Forbidden\"}");
	buf_reset(&b);
	assert_int_equal(eio_error_reply(EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION,
					 &b, &status),
			 0);
	assert_string_equal(buf_str(&b),
			    "{\"code\":5,\"message\":\"Unsupported protocol "
			    "version\"}");
	buf_reset(&b);
	assert_int_equal(eio_error_reply((enum eio_error)77, &b, &status), 0);
	assert_string_equal(buf_str(&b),
			    "{\"code\":3,\"message\":\"Bad request\"}");
	assert_string_equal(eio_error_message(EIO_ERR_UNKNOWN_TRANSPORT),
			    "Transport unknown");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_query_too_long),
		cmocka_unit_test(test_error_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
