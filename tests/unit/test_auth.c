/*
 * test_auth.c - API tokens (which one a header holds) and who a client is
 * (the key of the per-client caps and the fair queue).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/auth.h"

static void test_find(void **state)
{
	static const char *const toks[] = {"alpha", "beta-2", NULL};
	struct auth a;

	(void)state;
	assert_int_equal(auth_load(&a, toks, NULL), 0);
	assert_int_equal(auth_find(&a, "alpha"), 0);
	assert_int_equal(auth_find(&a, "Bearer beta-2"), 1);
	assert_int_equal(auth_find(&a, "bearer  beta-2 "), 1);
	assert_int_equal(auth_find(&a, "alph"), -1);
	assert_int_equal(auth_find(&a, "alphaa"), -1);
	assert_int_equal(auth_find(&a, ""), -1);
	assert_int_equal(auth_find(&a, "Bearer "), -1);
	assert_int_equal(auth_find(&a, NULL), -1);
	assert_true(auth_check_header(&a, "beta-2"));
	assert_false(auth_check_header(&a, "gamma"));
	auth_release(&a);
	/* no tokens: everything passes, nothing is "found" */
	assert_int_equal(auth_load(&a, NULL, NULL), 0);
	assert_true(auth_check_header(&a, NULL));
	assert_int_equal(auth_find(&a, "alpha"), -1);
	auth_release(&a);
}

static void test_client_key(void **state)
{
	static const struct {
		int token;
		const char *peer, *key;
	} cases[] = {
		{3, "10.0.0.1", "t3"},	/* a token is who you are */
		{-1, "10.0.0.1", "a10.0.0.1"},
		{-1, "::ffff:10.0.0.1", "a10.0.0.1"},	/* IPv4-mapped */
		{-1, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "a2001:db8:1:2::/64"},
		{-1, "2001:db8:1:2::9", "a2001:db8:1:2::/64"},	/* same /64 */
		{-1, "::1", "a::/64"},
		{-1, "?", "a?"},
		{-1, NULL, "a"},
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		auth_client_key(cases[i].token, cases[i].peer, out, sizeof(out));
		assert_string_equal(out, cases[i].key);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_client_key),
	};

	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
