/*
 * test_cache.c - the compile cache: put/get, LRU eviction under the size
 * bound, re-indexing on open, refusing bad keys.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "run/cache.h"

static void key(char out[65], char c)
{
	memset(out, c, 64);
	out[64] = '\0';
}

static void test_put_get_evict(void **state)
{
	char dir[] = "/tmp/cr-cache-XXXXXX", a[65], b[65], c[65], d[65];
	struct cache k;
	struct buf out;
	char data[40];

	assert_non_null(mkdtemp(dir));
	key(a, 'a');
	key(b, 'b');
	key(c, 'c');
	key(d, 'd');
	buf_init(&out, 1 << 20);
	assert_int_equal(cache_open(&k, dir, 100), 0);
	memset(data, 'A', sizeof(data));
	assert_int_equal(cache_put(&k, a, data, sizeof(data)), 0);
	memset(data, 'B', sizeof(data));
	assert_int_equal(cache_put(&k, b, data, sizeof(data)), 0);
	/* a is used again: b is now the least recently used */
	assert_int_equal(cache_get(&k, a, &out), 0);
	assert_int_equal(out.len, 40);
	assert_int_equal(out.data[0], 'A');
	memset(data, 'C', sizeof(data));
	assert_int_equal(cache_put(&k, c, data, sizeof(data)), 0);
	assert_true(k.used_bytes <= 100);
	assert_int_equal(cache_get(&k, b, &out), -ENOENT);
	assert_int_equal(cache_get(&k, a, &out), 0);
	assert_int_equal(cache_get(&k, c, &out), 0);
	assert_int_equal(k.evictions, 1);
	/* larger than the whole cache: refused, nothing evicted */
	char big[200] = { 0 };
	assert_int_equal(cache_put(&k, d, big, sizeof(big)), -E2BIG);
	assert_int_equal(cache_get(&k, a, &out), 0);
	/* bad keys never touch the file system */
	assert_int_equal(cache_put(&k, "../../etc/passwd", "x", 1), -EINVAL);
	assert_int_equal(cache_get(&k, "../x", &out), -ENOENT);
	cache_close(&k);

	/* a new process finds the entries again */
	assert_int_equal(cache_open(&k, dir, 100), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(cache_get(&k, c, &out), 0);
	assert_int_equal(out.data[39], 'C');
	cache_close(&k);
	buf_release(&out);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_key_ok(void **state)
{
	char k[65];

	key(k, 'f');
	assert_true(cache_key_ok(k));
	k[3] = 'g';
	assert_false(cache_key_ok(k));
	assert_false(cache_key_ok(""));
	assert_false(cache_key_ok("abc"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_evict),
		cmocka_unit_test(test_key_ok),
	};
	return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
