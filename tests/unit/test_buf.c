/*
 * test_buf.c - the capped growable buffer: never past max, always
 * NUL-terminated, unchanged on -ENOBUFS, consume keeps the rest.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"

static void test_empty_is_empty_string(void **state)
{
	struct buf b;

	buf_init(&b, 10);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_consume(&b, 5); /* on a never-used buf: no crash, still empty */
	buf_reset(&b);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

static void test_append_nul_terminated(void **state)
{
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append(&b, "de", 2), 0);
	assert_int_equal(b.len, 5);
	assert_string_equal(buf_str(&b), "abcde");
	assert_int_equal(b.data[b.len], '\0');
	/* embedded NULs are kept and counted */
	assert_int_equal(buf_append(&b, "x\0y", 3), 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "abcdex\0y", 8);
	assert_int_equal(b.data[8], '\0');
	buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	/* reusable after release, same max */
	assert_int_equal(buf_append(&b, "q", 1), 0);
	assert_string_equal(buf_str(&b), "q");
	buf_release(&b);
}

static void test_append_zero_bytes(void **state)
{
	struct buf b;

	buf_init(&b, 4);
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

static void test_exactly_max_then_enobufs(void **state)
{
	struct buf b;

	buf_init(&b, 5);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append(&b, "de", 2), 0); /* exactly max */
	assert_int_equal(b.len, 5);
	assert_true(b.cap <= b.max + 1);
	assert_int_equal(buf_append(&b, "f", 1), -ENOBUFS);
	assert_int_equal(b.len, 5);
	assert_string_equal(buf_str(&b), "abcde");
	assert_int_equal(buf_append(&b, "", 0), 0); /* nothing still fits */
	buf_release(&b);
}

static void test_enobufs_leaves_content(void **state)
{
	struct buf b;
	char big[300];

	memset(big, 'z', sizeof(big));
	buf_init(&b, 299);
	assert_int_equal(buf_append(&b, "head", 4), 0);
	assert_int_equal(buf_append(&b, big, 296), -ENOBUFS);
	assert_int_equal(b.len, 4);
	assert_string_equal(buf_str(&b), "head");
	assert_int_equal(buf_append(&b, big, 295), 0);
	assert_int_equal(b.len, 299);
	assert_true(b.cap <= 300); /* allocation never beyond max + NUL */
	assert_int_equal(b.data[299], '\0');
	/* a huge n must not wrap around the comparison */
	assert_int_equal(buf_append(&b, big, SIZE_MAX), -ENOBUFS);
	assert_int_equal(b.len, 299);
	buf_release(&b);
}

static void test_max_zero(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "a", 1), -ENOBUFS);
	assert_int_equal(buf_append_some(&b, "abc", 3), 0);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

static void test_grows_across_many_appends(void **state)
{
	struct buf b;
	char expect[5000];

	buf_init(&b, sizeof(expect));
	for (size_t i = 0; i < sizeof(expect); i++) {
		char c = (char)('a' + i % 26);
		expect[i] = c;
		assert_int_equal(buf_append(&b, &c, 1), 0);
	}
	assert_int_equal(b.len, sizeof(expect));
	assert_memory_equal(b.data, expect, sizeof(expect));
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(buf_append(&b, "x", 1), -ENOBUFS);
	buf_release(&b);
}

static void test_append_some(void **state)
{
	struct buf b;

	buf_init(&b, 6);
	assert_int_equal(buf_append_some(&b, "abcd", 4), 4);
	assert_int_equal(buf_append_some(&b, "efgh", 4), 2);
	assert_string_equal(buf_str(&b), "abcdef");
	assert_int_equal(buf_append_some(&b, "ij", 2), 0);
	assert_string_equal(buf_str(&b), "abcdef");
	buf_release(&b);
}

static void test_consume(void **state)
{
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(buf_append(&b, "hello world", 11), 0);
	buf_consume(&b, 0);
	assert_string_equal(buf_str(&b), "hello world");
	buf_consume(&b, 6);
	assert_int_equal(b.len, 5);
	assert_string_equal(buf_str(&b), "world");
	buf_consume(&b, 5); /* exactly all */
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	buf_consume(&b, 100); /* more than held */
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	/* room is given back: the full max fits again */
	char fill[64];
	memset(fill, 'f', sizeof(fill));
	assert_int_equal(buf_append(&b, fill, 64), 0);
	buf_consume(&b, 60);
	assert_int_equal(buf_append(&b, fill, 60), 0);
	assert_int_equal(b.len, 64);
	buf_release(&b);
}

static void test_track_line(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	buf_track_line(&b, "Na", 2);
	buf_track_line(&b, "me? ", 4);
	assert_string_equal(buf_str(&b), "Name? ");
	buf_track_line(&b, "x\nAge: ", 7);	/* a newline starts again */
	assert_string_equal(buf_str(&b), "Age: ");
	buf_track_line(&b, "1234", 4);		/* past max: the newest 8 */
	assert_string_equal(buf_str(&b), "ge: 1234");
	buf_track_line(&b, "abcdefghijkl", 12);
	assert_string_equal(buf_str(&b), "efghijkl");
	buf_track_line(&b, "\n", 1);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_reset_keeps_memory(void **state)
{
	struct buf b;

	buf_init(&b, 64);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	char *mem = b.data;
	size_t cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, mem);
	assert_int_equal(b.cap, cap);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_is_empty_string),
	    cmocka_unit_test(test_append_nul_terminated),
	    cmocka_unit_test(test_append_zero_bytes),
	    cmocka_unit_test(test_exactly_max_then_enobufs),
	    cmocka_unit_test(test_enobufs_leaves_content),
	    cmocka_unit_test(test_max_zero),
	    cmocka_unit_test(test_grows_across_many_appends),
	    cmocka_unit_test(test_append_some),
	    cmocka_unit_test(test_consume),
	    cmocka_unit_test(test_reset_keeps_memory),
	    cmocka_unit_test(test_track_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
