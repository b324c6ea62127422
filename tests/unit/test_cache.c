/*
 * test_cache.c - the compile cache: put/get, LRU eviction under the size
 * bound, re-indexing on open, refusing bad keys, entries authenticated
 * (a rewritten entry, or one signed with another secret, is dropped), and
 * the secret's file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "run/cache.h"

/* Entry files carry a 36-byte header (magic + HMAC). */
#define HDR 36

static const unsigned char secret[CACHE_SECRET_BYTES] = "0123456789abcdef0123456789abcde";

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
	assert_int_equal(cache_open(&k, dir, 100 + 2 * HDR, secret), 0);
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
	assert_true(k.used_bytes <= 100 + 2 * HDR);
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
	assert_int_equal(cache_open(&k, dir, 100 + 2 * HDR, secret), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(cache_get(&k, c, &out), 0);
	assert_int_equal(out.data[39], 'C');
	cache_close(&k);
	buf_release(&out);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Entries rewritten on disk, or signed with another secret, never come
 * back: dropped, counted, a miss. */
static void test_authenticated(void **state)
{
	char dir[] = "/tmp/cr-cache-XXXXXX", a[65], b[65], path[128];
	unsigned char other[CACHE_SECRET_BYTES];
	struct cache k;
	struct buf out;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	key(a, 'a');
	key(b, 'b');
	buf_init(&out, 1 << 20);
	assert_int_equal(cache_open(&k, dir, 1 << 20, secret), 0);
	assert_int_equal(cache_put(&k, a, "genuine", 7), 0);
	assert_int_equal(cache_put(&k, b, "other..", 7), 0);
	/* the same size, another value: the MAC does not match */
	snprintf(path, sizeof(path), "%s/%s", dir, a);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, HDR, SEEK_SET), 0);
	assert_int_equal(fwrite("FORGED!", 1, 7, f), 7);
	fclose(f);
	assert_int_equal(cache_get(&k, a, &out), -EBADMSG);
	assert_int_equal(out.len, 0);
	assert_int_equal(k.forged, 1);
	assert_int_equal(access(path, F_OK), -1); /* dropped */
	/* a valid entry of another key, copied over: bound to its key */
	char pb[128];
	snprintf(pb, sizeof(pb), "%s/%s", dir, b);
	assert_int_equal(link(pb, path), 0);
	cache_close(&k);
	assert_int_equal(cache_open(&k, dir, 1 << 20, secret), 0);
	assert_int_equal(cache_get(&k, a, &out), -EBADMSG);
	assert_int_equal(cache_get(&k, b, &out), 0);
	assert_memory_equal(out.data, "other..", 7);
	cache_close(&k);
	/* another secret: nothing verifies */
	memset(other, 1, sizeof(other));
	assert_int_equal(cache_open(&k, dir, 1 << 20, other), 0);
	assert_int_equal(cache_get(&k, b, &out), -EBADMSG);
	cache_close(&k);
	buf_release(&out);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The secret's file: made once (root's, 0600), read back the same; one
 * that is not root's alone is replaced. */
static void test_secret_file(void **state)
{
	char dir[] = "/tmp/cr-cache-XXXXXX", path[128];
	unsigned char s1[CACHE_SECRET_BYTES], s2[CACHE_SECRET_BYTES];
	struct stat st;

	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.key", dir);
	assert_int_equal(cache_secret_load(path, s1), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, CACHE_SECRET_BYTES);
	assert_int_equal(cache_secret_load(path, s2), 0);
	assert_memory_equal(s1, s2, sizeof(s1));
	/* someone else's (or readable by others): a new one */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(cache_secret_load(path, s2), 0);
	assert_memory_not_equal(s1, s2, sizeof(s1));
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(cache_secret_load(path, s1), 0);
	assert_memory_not_equal(s1, s2, sizeof(s1));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 0);
	unlink(path);
	rmdir(dir);
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
		cmocka_unit_test(test_authenticated),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_key_ok),
	};
	return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
