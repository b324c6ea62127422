/*
 * test_cors.c - which origins are allowed, and the headers written for
 * them (simple requests and preflights), including what must never be
 * echoed into a header.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/cors.h"

struct allow_case {
	const char *const *list;
	const char *origin;
	bool want;
};

static const char *const one[] = {"http://localhost:3000", NULL};
static const char *const two[] = {"https://a.example", "http://b.example:8080",
				  NULL};
static const char *const any[] = {"*", NULL};
static const char *const none[] = {NULL};

static const struct allow_case allow_cases[] = {
    {one, "http://localhost:3000", true},
    {one, "HTTP://LOCALHOST:3000", true}, /* case-insensitive */
    {one, "http://localhost:3001", false},
    {one, "http://localhost", false},
    {one, "https://localhost:3000", false},
    {one, "http://localhost:3000.evil.example", false},
    {two, "http://b.example:8080", true},
    {two, "https://a.example", true},
    {two, "http://a.example", false},
    {any, "http://whatever.example", true},
    {any, "null", true},
    {any, "http://a b", false}, /* not safe to echo */
    {any, "http://a\r\nX-Evil: 1", false},
    {any, "", false},
    {any, NULL, false},
    {none, "http://localhost:3000", false},
    {NULL, "http://localhost:3000", false},
};

static void test_allowed(void **state)
{
	for (size_t i = 0; i < sizeof(allow_cases) / sizeof(allow_cases[0]);
	     i++) {
		const struct allow_case *c = &allow_cases[i];
		if (cors_allowed(c->list, c->origin) != c->want)
			fail_msg("case %zu '%s': want %d", i,
				 c->origin ? c->origin : "(null)", c->want);
	}
}

static void test_safe(void **state)
{
	char long_origin[300];

	assert_true(cors_origin_safe("http://x"));
	assert_false(cors_origin_safe("http://x\x7f"));
	assert_false(cors_origin_safe("http://\xc3\xa9"));
	memset(long_origin, 'a', sizeof(long_origin) - 1);
	long_origin[sizeof(long_origin) - 1] = '\0';
	assert_false(cors_origin_safe(long_origin));
	long_origin[255] = '\0'; /* 255 bytes: the most an origin may have */
	assert_true(cors_origin_safe(long_origin));
}

static void test_headers(void **state)
{
	char out[512] = "Cache-Control: no-store\r\n";

	assert_int_equal(cors_headers(out, sizeof(out), "http://a.example",
				      false, NULL, NULL),
			 0);
	assert_string_equal(out,
			    "Cache-Control: no-store\r\n"
			    "Access-Control-Allow-Origin: http://a.example\r\n"
			    "Access-Control-Allow-Credentials: true\r\n"
			    "Vary: Origin\r\n");

	out[0] = '\0';
	assert_int_equal(cors_headers(out, sizeof(out), "http://a.example",
				      true, "GET, POST", "content-type, x-a"),
			 0);
	assert_string_equal(
	    out, "Access-Control-Allow-Origin: http://a.example\r\n"
		 "Access-Control-Allow-Credentials: true\r\n"
		 "Vary: Origin\r\n"
		 "Access-Control-Allow-Methods: GET, POST\r\n"
		 "Access-Control-Max-Age: 600\r\n"
		 "Access-Control-Allow-Headers: content-type, x-a\r\n");

	/* requested headers that are not a list of names are not echoed */
	out[0] = '\0';
	assert_int_equal(cors_headers(out, sizeof(out), "http://a.example",
				      true, NULL, "x-a\r\nSet-Cookie: b"),
			 0);
	assert_null(strstr(out, "Allow-Headers"));
	assert_non_null(strstr(out, "Allow-Methods: GET, POST, OPTIONS\r\n"));

	/* an unsafe origin writes nothing */
	out[0] = '\0';
	assert_int_equal(cors_headers(out, sizeof(out), "http://a\r\nX: 1",
				      false, NULL, NULL),
			 -EINVAL);
	assert_string_equal(out, "");
}

static void test_too_small(void **state)
{
	char out[64] = "Keep: me\r\n";

	assert_int_equal(cors_headers(out, sizeof(out), "http://a.example",
				      false, NULL, NULL),
			 -ENOBUFS);
	assert_string_equal(out, "Keep: me\r\n"); /* unchanged */
	char exact[10] = "123456789";
	assert_int_equal(
	    cors_headers(exact, sizeof(exact), "http://a", false, NULL, NULL),
	    -ENOBUFS);
	assert_string_equal(exact, "123456789");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allowed),
	    cmocka_unit_test(test_safe),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
