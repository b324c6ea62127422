/*
 * test_keyrate.c - token buckets per key (lib/keyrate.c): the burst, the
 * refill, keys apart, and a table that stays bounded under many keys.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/keyrate.h"

static void test_burst_and_refill(void **state)
{
	struct keyrate k;
	uint64_t retry = 0;

	assert_int_equal(keyrate_init(&k, 8, 60, 3), 0);	/* 1 a second */
	for (int i = 0; i < 3; i++)
		assert_true(keyrate_take(&k, "a1.2.3.4", 1000, NULL));
	assert_false(keyrate_take(&k, "a1.2.3.4", 1000, &retry));
	assert_true(retry > 0 && retry <= 1001);
	assert_false(keyrate_take(&k, "a1.2.3.4", 1500, NULL));
	assert_true(keyrate_take(&k, "a1.2.3.4", 2001, NULL));
	assert_false(keyrate_take(&k, "a1.2.3.4", 2001, NULL));
	/* another client has its own bucket */
	assert_true(keyrate_take(&k, "a5.6.7.8", 2001, NULL));
	/* a long pause refills to the burst, not beyond */
	for (int i = 0; i < 3; i++)
		assert_true(keyrate_take(&k, "a1.2.3.4", 100000, NULL));
	assert_false(keyrate_take(&k, "a1.2.3.4", 100000, NULL));
	assert_int_equal(k.refused, 4);
	keyrate_release(&k);
	assert_int_equal(keyrate_init(&k, 0, 60, 3), -EINVAL);
	assert_int_equal(keyrate_init(&k, 8, 0, 3), -EINVAL);
}

/* Many clients cannot grow the table, and cannot wipe out a client that
 * is being held back by pushing it out with fresh keys whose buckets are
 * full (those go first). */
static void test_bounded(void **state)
{
	struct keyrate k;
	char key[32];

	assert_int_equal(keyrate_init(&k, 4, 1, 2), 0);
	assert_true(keyrate_take(&k, "hostile", 0, NULL));
	assert_true(keyrate_take(&k, "hostile", 0, NULL));
	assert_false(keyrate_take(&k, "hostile", 0, NULL));
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "other%d", i);
		assert_true(keyrate_take(&k, key, 1, NULL));
		assert_true(k.n <= 4);
		/* hand the token back: a full bucket, free to reuse */
		for (size_t j = 0; j < k.n; j++)
			if (!strcmp(k.v[j].key, key))
				k.v[j].tokens = k.burst;
	}
	assert_false(keyrate_take(&k, "hostile", 2, NULL));
	/* a key longer than the table keeps is cut, not overrun */
	char longkey[200];
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_true(keyrate_take(&k, longkey, 3, NULL));
	keyrate_release(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_refill),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests_name("keyrate", tests, NULL, NULL);
}
