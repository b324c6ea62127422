/* test_semver.c - Piston's version selectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "lib/semver.h"

static void test_satisfies(void **state)
{
	static const struct { const char *v, *range; bool want; } t[] = {
		{ "3.11.2", "*", true },
		{ "3.11.2", "", true },
		{ "3.11.2", "x", true },
		{ "3.11.2", "3.x", true },
		{ "3.11.2", "3", true },
		{ "3.11.2", "3.11", true },
		{ "3.11.2", "3.11.2", true },
		{ "3.11.2", "3.11.3", false },
		{ "3.11.2", "2.x", false },
		{ "3.11.2", "3.10.x", false },
		{ "3.11.2", ">=3.10 <4", true },
		{ "3.11.2", ">=3.12", false },
		{ "3.11.2", "^3.1", true },
		{ "3.11.2", "^4.0.0", false },
		{ "3.11.2", "~3.11.0", true },
		{ "3.11.2", "~3.10.0", false },
		{ "3.11.2", "2.x || 3.x", true },
		{ "3.11.2", "1.x || 2.x", false },
		{ "3.11.2", "garbage", false },
		{ "3.11.2", "3.11.2-beta", true },
		{ "0.2.5", "^0.2.1", true },
		{ "0.3.0", "^0.2.1", false },
		/* a part past LONG_MAX overflowed its bound (fuzz_runs) */
		{ "3.11.2", "99999999999999999999999.x", false },
		{ "3.11.2", "<99999999999999999999999", true },
		{ "3.11.2", "3.99999999999999999999999", false },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (semver_satisfies(t[i].v, t[i].range) != t[i].want)
			fail_msg("%s in '%s': want %d", t[i].v, t[i].range,
				 t[i].want);
	}
}

static void test_normalize(void **state)
{
	char b[32];

	semver_normalize("6.8.0.105", b, sizeof(b));
	assert_string_equal(b, "6.8.0");
	semver_normalize("25", b, sizeof(b));
	assert_string_equal(b, "25.0.0");
	semver_normalize("1.19.8", b, sizeof(b));
	assert_string_equal(b, "1.19.8");
	semver_normalize("", b, sizeof(b));
	assert_string_equal(b, "0.0.0");
	assert_true(semver_cmp("3.10.0", "3.9.9") > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_satisfies),
		cmocka_unit_test(test_normalize),
	};
	return cmocka_run_group_tests_name("semver", tests, NULL, NULL);
}
