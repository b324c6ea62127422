/*
 * test_httpc_parse.c - the outbound client's URLs and response heads:
 * tables of what is taken and what is refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/httpc_parse.h"

static void test_urls(void **state)
{
	static const struct {
		const char *url;
		int ret;
		bool tls, ip;
		const char *host;
		unsigned port;
		const char *path, *auth;
	} t[] = {
		{ "https://api.openai.com/v1/chat/completions", 0, true, false,
		  "api.openai.com", 443, "/v1/chat/completions", "api.openai.com" },
		{ "http://127.0.0.1:11434/v1", 0, false, true, "127.0.0.1", 11434,
		  "/v1", "127.0.0.1:11434" },
		{ "HTTP://Host", 0, false, false, "Host", 80, "/", "Host" },
		{ "http://h:80/x", 0, false, false, "h", 80, "/x", "h" },
		{ "https://h:80/x", 0, true, false, "h", 80, "/x", "h:80" },
		{ "http://[::1]:8000/v1", 0, false, true, "::1", 8000, "/v1",
		  "[::1]:8000" },
		{ "http://[fe80::1]/", 0, false, true, "fe80::1", 80, "/",
		  "[fe80::1]" },
		{ "http://h?q=1", 0, false, false, "h", 80, "/?q=1", "h" },
		{ "http://my_host.internal:1/", 0, false, false, "my_host.internal",
		  1, "/", "my_host.internal:1" },
		{ "ftp://h/", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http:///x", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://u:p@h/", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://h:0/", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://h:65536/", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://h:/", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://h:8x/", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://h/#frag", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://h/a b", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://h/a\r\nX: y", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://[::1/", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://[zz]/", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://h%00/", -EINVAL, false, false, NULL, 0, NULL, NULL },
		{ "http://h\\x/", -EINVAL, false, false, NULL, 0, NULL, NULL },
	};
	struct httpc_url u;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = httpc_url_parse(t[i].url, &u);
		if (r != t[i].ret)
			fail_msg("'%s': %d, want %d", t[i].url, r, t[i].ret);
		if (r)
			continue;
		assert_int_equal(u.tls, t[i].tls);
		assert_int_equal(u.host_is_ip, t[i].ip);
		assert_string_equal(u.host, t[i].host);
		assert_int_equal(u.port, t[i].port);
		assert_string_equal(u.path, t[i].path);
		assert_string_equal(u.authority, t[i].auth);
	}
}

static void test_heads(void **state)
{
	static const struct {
		const char *in;
		long ret;	/* -1: the whole input's length */
		unsigned status;
		long long clen;
		bool chunked;
		int retry;
		const char *type;
	} t[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", -1, 200, -1, true, -1,
		  "text/event-stream" },
		{ "HTTP/1.1 401 Unauthorized\r\ncontent-length: 12\r\n\r\n", -1,
		  401, 12, false, -1, "" },
		{ "HTTP/1.0 429 Too Many\nRetry-After: 20\n\n", -1, 429, -1,
		  false, 20, "" },
		{ "HTTP/1.1 200\r\n\r\n", -1, 200, -1, false, -1, "" },
		{ "HTTP/1.1 503 x\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
		  "\r\n", -1, 503, -1, false, -1, "" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: "
		  "chunked\r\n\r\n", -1, 200, -1, true, -1, "" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n"
		  "\r\n", -1, 200, 5, false, -1, "" },
		{ "HTTP/1.1 200 OK\r\nX-Empty:\r\nContent-Type:  a/b  \r\n\r\nBODY",
		  -5, 200, -1, false, -1, "a/b" },
		{ "HTTP/1.1 100 Continue\r\n\r\n", -1, 100, -1, false, -1, "" },
		/* not yet */
		{ "HTTP/1.1 200 OK\r\nContent-", 0, 0, 0, false, 0, NULL },
		{ "", 0, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\n", 0, 0, 0, false, 0, NULL },
		/* refused */
		{ "HTTP/2 200\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 20 OK\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 099 x\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 600 x\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200OK\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "SSH-2.0-OpenSSH\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\nBad name: x\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
		  "\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n"
		  "\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\n: x\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
		{ "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", -EBADMSG, 0, 0, false, 0, NULL },
	};
	struct httpc_head h;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = strlen(t[i].in);
		long want = t[i].ret == -1 ? (long)n :
			    t[i].ret == -5 ? (long)n - 4 : t[i].ret;
		long r = httpc_head_parse(t[i].in, n, &h);
		if (r != want)
			fail_msg("%zu '%.40s': %ld, want %ld", i, t[i].in, r, want);
		if (r <= 0)
			continue;
		assert_int_equal(h.status, t[i].status);
		assert_int_equal(h.content_length, t[i].clen);
		assert_int_equal(h.chunked, t[i].chunked);
		assert_int_equal(h.retry_after, t[i].retry);
		assert_string_equal(h.content_type, t[i].type);
	}
}

static void test_head_cap(void **state)
{
	static char big[HTTPC_HEAD_MAX + 64];
	struct httpc_head h;
	size_t n;

	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nX: ");
	memset(big + n, 'a', sizeof(big) - n);
	assert_int_equal(httpc_head_parse(big, HTTPC_HEAD_MAX - 1, &h), 0);
	assert_int_equal(httpc_head_parse(big, HTTPC_HEAD_MAX, &h), -E2BIG);
	memcpy(big + HTTPC_HEAD_MAX - 2, "\r\n\r\n", 4);
	assert_int_equal(httpc_head_parse(big, HTTPC_HEAD_MAX + 2, &h), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_heads),
		cmocka_unit_test(test_head_cap),
	};
	return cmocka_run_group_tests_name("httpc_parse", tests, NULL, NULL);
}
