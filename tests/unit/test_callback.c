/*
 * test_callback.c - the pure parts of callbacks (net/callback.c): URL
 * parsing, the host allow list and the private address check (no SSRF to
 * loopback, private, link-local or metadata addresses); and Base64
 * (lib/base64.c) in both layouts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/base64.h"
#include "net/callback.h"

struct url_case {
	const char *url;
	int ret;
	const char *host, *path;
	unsigned port;
};

static const struct url_case urls[] = {
	{ "http://example.com/x?y=1", 0, "example.com", "/x?y=1", 80 },
	{ "HTTP://Example.com:8080", 0, "Example.com", "/", 8080 },
	{ "http://[::1]:9/a", 0, "::1", "/a", 9 },
	{ "http://h?q", 0, "h", "/?q", 80 },
	{ "http://h/p#frag", 0, "h", "/p", 80 },
	{ "https://example.com/", -EINVAL, NULL, NULL, 0 },
	{ "ftp://h/", -EINVAL, NULL, NULL, 0 },
	{ "http://", -EINVAL, NULL, NULL, 0 },
	{ "http://user:pw@h/", -EINVAL, NULL, NULL, 0 },
	{ "http://h:0/", -EINVAL, NULL, NULL, 0 },
	{ "http://h:65536/", -EINVAL, NULL, NULL, 0 },
	{ "http://h:x/", -EINVAL, NULL, NULL, 0 },
	{ "http://h/a b", -EINVAL, NULL, NULL, 0 },
	{ "http://h/a\r\nX: y", -EINVAL, NULL, NULL, 0 },
	{ "http://[::1/", -EINVAL, NULL, NULL, 0 },
	/* found by fuzz_callback_url: a '/' (and more) inside brackets */
	{ "http://[:h:\xaf/~:1]:9/x1", -EINVAL, NULL, NULL, 0 },
	{ "http://[fe80::1%eth0]/", -EINVAL, NULL, NULL, 0 },
	{ "http://exa$mple.com/", -EINVAL, NULL, NULL, 0 },
	{ "http://a_b-c.example/", 0, "a_b-c.example", "/", 80 },
};

static void test_urls(void **state)
{
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		char host[256], path[1024];
		uint16_t port;
		int r = callback_url_parse(urls[i].url, host, sizeof(host), &port,
					   path, sizeof(path));
		if (r != urls[i].ret)
			fail_msg("%s: %d", urls[i].url, r);
		if (r)
			continue;
		assert_string_equal(host, urls[i].host);
		assert_string_equal(path, urls[i].path);
		assert_int_equal(port, urls[i].port);
	}
}

static bool private_addr(const char *a)
{
	struct sockaddr_storage ss = { 0 };

	if (strchr(a, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, a, &in6->sin6_addr), 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
	}
	return callback_addr_private((struct sockaddr *)&ss);
}

static void test_addresses(void **state)
{
	static const char *const priv[] = {
		"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1",
		"172.31.255.255", "192.168.1.1", "169.254.169.254", "0.0.0.0",
		"100.64.0.1", "224.0.0.1", "255.255.255.255", "::1", "::",
		"fe80::1", "fc00::1", "fd12::1", "::ffff:127.0.0.1",
		"::ffff:169.254.169.254", "ff02::1", "64:ff9b::a00:1",
	};
	static const char *const pub[] = {
		"8.8.8.8", "1.1.1.1", "172.32.0.1", "93.184.216.34",
		"2606:4700::1111", "::ffff:8.8.8.8",
	};

	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if (!private_addr(priv[i]))
			fail_msg("%s should be private", priv[i]);
	for (size_t i = 0; i < sizeof(pub) / sizeof(pub[0]); i++)
		if (private_addr(pub[i]))
			fail_msg("%s should be public", pub[i]);
}

static void test_policy(void **state)
{
	const char *hosts[] = { "hooks.example.com", "127.0.0.1", NULL };
	struct callback_policy p = { .hosts = hosts };
	struct callback_policy none = { 0 };
	char why[256];

	assert_int_equal(callback_check(&p, "http://HOOKS.example.com/x", why, sizeof(why)), 0);
	assert_int_equal(callback_check(&p, "http://127.0.0.1:9/", why, sizeof(why)), 0);
	assert_int_equal(callback_check(&p, "http://evil.example.com/", why, sizeof(why)), -EACCES);
	assert_non_null(strstr(why, "host 'evil.example.com' is not allowed"));
	assert_int_equal(callback_check(&p, "http://hooks.example.com.evil/", why, sizeof(why)), -EACCES);
	assert_int_equal(callback_check(&none, "http://127.0.0.1/", why, sizeof(why)), -EACCES);
	assert_int_equal(callback_check(&p, "gopher://127.0.0.1/", why, sizeof(why)), -EINVAL);
}

static void test_base64(void **state)
{
	static const struct { const char *in, *one, *lines; } t[] = {
		{ "", "", "" },
		{ "f", "Zg==", "Zg==\n" },
		{ "hello, Judge0\n", "aGVsbG8sIEp1ZGdlMAo=", "aGVsbG8sIEp1ZGdlMAo=\n" },
		/* 46 bytes: Ruby's encode64 breaks after 45 (60 characters) */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYQ==",
		  "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh\nYQ==\n" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *one = base64_encode(t[i].in, strlen(t[i].in), false);
		char *lines = base64_encode(t[i].in, strlen(t[i].in), true);
		char *dec;
		size_t n;
		assert_string_equal(one, t[i].one);
		assert_string_equal(lines, t[i].lines);
		assert_int_equal(base64_decode(lines, strlen(lines), false, &dec, &n), 0);
		assert_int_equal(n, strlen(t[i].in));
		assert_memory_equal(dec, t[i].in, n);
		free(dec);
		free(one);
		free(lines);
	}
	char *dec;
	size_t n;
	assert_int_equal(base64_decode("-_8", 3, false, &dec, &n), -EINVAL);
	assert_int_equal(base64_decode("-_8", 3, true, &dec, &n), 0);
	assert_int_equal(n, 2);
	free(dec);
	assert_int_equal(base64_decode("Zg==Zg==", 8, false, &dec, &n), -EINVAL);
	assert_int_equal(base64_decode("Z", 1, false, &dec, &n), -EINVAL);
	assert_int_equal(base64_decode("Zg=", 3, false, &dec, &n), -EINVAL);
	assert_int_equal(base64_decode("Zm9v\tYmFy \r\n", 12, false, &dec, &n), 0);
	assert_string_equal(dec, "foobar");
	free(dec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests_name("callback", tests, NULL, NULL);
}
