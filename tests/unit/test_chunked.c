/*
 * test_chunked.c - the chunked request body decoder (net/chunked.c):
 * table-driven, each input fed whole and split at every byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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

/* Feeds 'line' 'times' times after 'head'; the result of the last feed
 * (or the first error). */
static long feed_repeated(const char *head, const char *line, size_t times,
			  struct chunked *d, struct buf *b)
{
	long r = chunked_feed(d, head, strlen(head), b);

	for (size_t i = 0; r >= 0 && i < times; i++)
		r = chunked_feed(d, line, strlen(line), b);
	return r;
}

/* A body that never ends without ever growing past the body cap: trailer
 * lines without end, or one-byte chunks each with a long extension. The
 * framing around the data is bounded (CHUNKED_META_MAX), so the server
 * answers instead of reading for ever. */
static void test_endless_framing(void **state)
{
	char ext[1100];
	struct chunked d;
	struct buf b;

	buf_init(&b, 1 << 20);
	chunked_init(&d);
	assert_int_equal(feed_repeated("1\r\na\r\n0\r\n", "X-Pad: yyyyyyyy\r\n",
				       1 << 20, &d, &b), -EINVAL);
	assert_false(d.done);
	buf_release(&b);

	memset(ext, 'e', sizeof(ext));
	memcpy(ext, "1;", 2);
	memcpy(ext + sizeof(ext) - 6, "\r\nz\r\n", 5);
	ext[sizeof(ext) - 1] = '\0';
	buf_init(&b, 1 << 20);
	chunked_init(&d);
	assert_int_equal(feed_repeated("", ext, 1 << 12, &d, &b), -EINVAL);
	assert_true(b.len < (size_t)CHUNKED_META_MAX / 1000 + 1);
	buf_release(&b);

	/* what real clients send stays well inside: a thousand 1 KiB chunks,
	 * each with an extension, and a trailer */
	char line[1100];
	int k = snprintf(line, sizeof(line), "400;name=value\r\n");
	memset(line + k, 'd', 1024);
	memcpy(line + k + 1024, "\r\n", 3);
	buf_init(&b, 1 << 20);
	chunked_init(&d);
	assert_true(feed_repeated("", line, 1000, &d, &b) > 0);
	assert_int_equal(b.len, 1000 * 1024);
	assert_int_equal(chunked_feed(&d, "0\r\nA: b\r\n\r\n", 11, &b), 11);
	assert_true(d.done);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_endless_framing),
	};
	return cmocka_run_group_tests_name("chunked", tests, NULL, NULL);
}
