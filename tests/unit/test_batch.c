/*
 * test_batch.c - the pure parts of batch jobs: comparing a test case's
 * output (as Judge0 compares too), decoding base64/hex file contents
 * (rules.c, on libcrypto for base64).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/batch.h"
#include "proto/rules.h"

static bool m(const char *a, const char *b)
{
	return batch_output_matches(a, strlen(a), b, strlen(b));
}

static void test_matches(void **state)
{
	assert_true(m("3\n", "3"));
	assert_true(m("3", "3\n\n\n"));
	assert_true(m("a  \nb\t\r\n", "a\nb"));
	assert_true(m("", ""));
	assert_true(m("\n\n", ""));
	assert_false(m("3\n", "4\n"));
	assert_false(m("a\nb", "a b"));
	assert_false(m("a\n\nb", "a\nb"));
	assert_false(m(" a", "a"));
	assert_false(m("ab", "a"));
	assert_true(batch_output_matches(NULL, 0, "", 0));
	/* Judge0 strips each line's trailing white space, then the end */
	assert_true(m("hello, Judge0\n", "hello, Judge0"));
	assert_true(m("a \v\f\nb", "a\nb"));
}

static void dec_n(const char *enc, const char *in, const char *want,
		  size_t wlen, int ret)
{
	char *out = NULL;
	size_t n = 0;

	assert_int_equal(rules_decode(enc, in, strlen(in), &out, &n), ret);
	if (ret == 0) {
		assert_int_equal(n, wlen);
		assert_memory_equal(out, want, n);
		free(out);
	}
}

static void dec(const char *enc, const char *in, const char *want, int ret)
{
	dec_n(enc, in, want, want ? strlen(want) : 0, ret);
}

static void test_decode(void **state)
{
	dec("base64", "aGVsbG8=", "hello", 0);
	dec("base64", "aGVsbG8", "hello", 0);
	dec("base64", "aGVs\nbG8=", "hello", 0);
	dec("base64", "", "", 0);
	dec("base64", "-_8=", "\xfb\xff", 0);
	dec("base64", "a*==", NULL, -EINVAL);
	dec("base64", "aa=a", NULL, -EINVAL);
	dec("base64", "a===", NULL, -EINVAL);
	dec("base64", "a", NULL, -EINVAL);
	dec("base64", "QQ", "A", 0);
	dec("base64", "QQ=", NULL, -EINVAL);	/* half the padding */
	dec("base64", " QUJD\r\n", "ABC", 0);
	/* Ruby's encode64 layout, as Judge0 sends it */
	dec("base64", "aGVsbG8sIEp1ZGdlMAo=\n", "hello, Judge0\n", 0);
	dec_n("hex", "00ff10", "\x00\xff\x10", 3, 0);
	dec("hex", "0", NULL, -EINVAL);
	dec("hex", "zz", NULL, -EINVAL);
	dec("rot13", "x", NULL, -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests_name("batch", tests, NULL, NULL);
}
