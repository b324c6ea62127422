/*
 * test_chunked.c - the chunked request body decoder (net/chunked.c):
 * table-driven, each input fed whole and split at every byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "net/chunked.h"

struct chunk_case {
	const char *in;
	long ret;		/* of the whole feed */
	const char *body;	/* decoded, when ret >= 0 */
	bool done;
};

static const struct chunk_case cases[] = {
	{ "5\r\nhello\r\n0\r\n\r\n", 15, "hello", true },
	{ "5;a=b\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 30, "hello world", true },
	{ "A\r\n0123456789\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n", 34, "0123456789", true },
	{ "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1", 13, "abc", true },
	{ "3\r\nab", 5, "ab", false },
	{ "", 0, "", false },
	{ "zz\r\n", -EINVAL, NULL, false },
	{ "\r\n", -EINVAL, NULL, false },
	{ "3\nabc", -EINVAL, NULL, false },
	{ "3\r\nabcX", -EINVAL, NULL, false },
	{ "1000000000000000\r\n", -EINVAL, NULL, false },
	{ "0\r\n\n", -EINVAL, NULL, false },
	{ "40\r\n", 4, "", false },
	{ "41\r\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	  -ENOBUFS, NULL, false },
};

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct chunk_case *k = &cases[i];
		size_t n = strlen(k->in);

		for (size_t split = 0; split <= n; split++) {
			struct chunked d;
			struct buf b;
			long r1, r2 = 0, r;
			buf_init(&b, 64);
			chunked_init(&d);
			r1 = chunked_feed(&d, k->in, split, &b);
			r = r1;
			if (r1 >= 0 && !d.done) {
				r2 = chunked_feed(&d, k->in + split, n - split, &b);
				r = r2 < 0 ? r2 : r1 + r2;
			}
			if (r != k->ret)
				fail_msg("case %zu split %zu: %ld, want %ld", i,
					 split, r, k->ret);
			if (k->ret >= 0) {
				assert_int_equal(b.len, strlen(k->body));
				assert_memory_equal(b.data ? b.data : "", k->body,
						    b.len);
				assert_int_equal(d.done, k->done);
			}
			buf_release(&b);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests_name("chunked", tests, NULL, NULL);
}
