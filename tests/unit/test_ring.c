/*
 * test_ring.c - the scrollback ring keeps the newest bytes, in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/ring.h"

/* The ring's content as a C string (tests use small rings). */
static const char *content(const struct ring *r)
{
	static char out[256];
	size_t n = ring_copy(r, out, sizeof(out) - 1);

	assert_int_equal(n, ring_len(r));
	out[n] = '\0';
	return out;
}

static void test_empty(void **state)
{
	struct ring r;
	char out[4] = "xyz";

	assert_int_equal(ring_init(&r, 8), 0);
	assert_int_equal(ring_len(&r), 0);
	assert_int_equal(ring_copy(&r, out, sizeof(out)), 0);
	assert_string_equal(out, "xyz");
	assert_int_equal(r.total, 0);
	ring_release(&r);
}

static void test_fill_without_wrap(void **state)
{
	struct ring r;

	assert_int_equal(ring_init(&r, 8), 0);
	ring_write(&r, "abc", 3);
	ring_write(&r, "de", 2);
	assert_int_equal(ring_len(&r), 5);
	assert_string_equal(content(&r), "abcde");
	ring_write(&r, "fgh", 3); /* exactly full */
	assert_int_equal(ring_len(&r), 8);
	assert_string_equal(content(&r), "abcdefgh");
	assert_int_equal(r.total, 8);
	ring_release(&r);
}

static void test_wraparound(void **state)
{
	struct ring r;

	assert_int_equal(ring_init(&r, 8), 0);
	ring_write(&r, "abcdef", 6);
	ring_write(&r, "ghij", 4); /* wraps: 2 at the end, 2 at the start */
	assert_int_equal(ring_len(&r), 8);
	assert_string_equal(content(&r), "cdefghij");
	ring_write(&r, "k", 1);
	assert_string_equal(content(&r), "defghijk");
	ring_write(&r, "lmnopqr", 7);
	assert_string_equal(content(&r), "klmnopqr");
	assert_int_equal(r.total, 18);
	ring_release(&r);
}

static void test_write_larger_than_ring(void **state)
{
	struct ring r;

	assert_int_equal(ring_init(&r, 4), 0);
	ring_write(&r, "ab", 2);
	ring_write(&r, "0123456789", 10);
	assert_int_equal(ring_len(&r), 4);
	assert_string_equal(content(&r), "6789");
	/* and continues correctly after such a write */
	ring_write(&r, "XY", 2);
	assert_string_equal(content(&r), "89XY");
	ring_write(&r, "PQRS", 4); /* exactly the size */
	assert_string_equal(content(&r), "PQRS");
	assert_int_equal(r.total, 18);
	ring_release(&r);
}

static void test_copy_shorter_gives_newest(void **state)
{
	struct ring r;
	char out[8];

	assert_int_equal(ring_init(&r, 8), 0);
	ring_write(&r, "abcdefghijk", 11); /* holds defghijk */
	memset(out, '#', sizeof(out));
	assert_int_equal(ring_copy(&r, out, 3), 3);
	assert_memory_equal(out, "ijk#", 4); /* nothing past outlen */
	ring_write(&r, "lm", 2);	     /* holds fghijklm, wrapped */
	memset(out, '#', sizeof(out));
	assert_int_equal(ring_copy(&r, out, 5), 5);
	assert_memory_equal(out, "ijklm#", 6);
	assert_int_equal(ring_copy(&r, out, 0), 0);
	ring_release(&r);
}

static void test_byte_by_byte_matches_model(void **state)
{
	/* Every head position and every write size, against a plain model. */
	for (size_t size = 1; size <= 7; size++) {
		for (size_t chunk = 1; chunk <= 10; chunk++) {
			struct ring r;
			char model[256], got[256], data[16];
			size_t mlen = 0;
			uint64_t total = 0;

			assert_int_equal(ring_init(&r, size), 0);
			for (int round = 0; round < 12; round++) {
				for (size_t i = 0; i < chunk; i++)
					data[i] =
					    (char)('A' + (round * 7 + i) % 26);
				ring_write(&r, data, chunk);
				total += chunk;
				memcpy(model + mlen, data, chunk);
				mlen += chunk;
				size_t keep = mlen < size ? mlen : size;
				size_t n = ring_copy(&r, got, sizeof(got));
				assert_int_equal(n, keep);
				assert_memory_equal(got, model + mlen - keep,
						    keep);
				memmove(model, model + mlen - keep, keep);
				mlen = keep;
			}
			assert_int_equal(r.total, total);
			ring_release(&r);
		}
	}
}

static void test_size_zero_keeps_nothing(void **state)
{
	struct ring r;
	char out[4];

	assert_int_equal(ring_init(&r, 0), 0);
	ring_write(&r, "abc", 3);
	assert_int_equal(ring_len(&r), 0);
	assert_int_equal(ring_copy(&r, out, sizeof(out)), 0);
	assert_int_equal(r.total, 3); /* still counted */
	ring_release(&r);
}

static void test_total_counts_everything(void **state)
{
	struct ring r;
	char big[1000];

	memset(big, 'x', sizeof(big));
	assert_int_equal(ring_init(&r, 16), 0);
	for (int i = 0; i < 100; i++)
		ring_write(&r, big, sizeof(big));
	ring_write(&r, big, 0);
	assert_int_equal(r.total, 100000);
	assert_int_equal(ring_len(&r), 16);
	ring_release(&r);
	assert_null(r.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_fill_without_wrap),
	    cmocka_unit_test(test_wraparound),
	    cmocka_unit_test(test_write_larger_than_ring),
	    cmocka_unit_test(test_copy_shorter_gives_newest),
	    cmocka_unit_test(test_byte_by_byte_matches_model),
	    cmocka_unit_test(test_size_zero_keeps_nothing),
	    cmocka_unit_test(test_total_counts_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
