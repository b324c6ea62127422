/*
 * test_limit.c - run limits: defaults, lowering by a request (never
 * raising), and their formatting in messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/limit.h"

static void test_defaults(void **state)
{
	struct limits l;

	limit_default_interactive(&l);
	assert_int_equal(l.cpu_ms, 60000);
	assert_int_equal(l.wall_ms, 1800000);
	assert_int_equal(l.memory_bytes, 512 << 20);
	assert_int_equal(l.output_bytes, 1 << 30);
	assert_int_equal(l.output_rate, 1 << 20);
	assert_int_equal(l.output_burst, 16 << 20);
	assert_int_equal(l.pids, 128);
	assert_true(l.tmpfs_bytes > 0 && l.nofile > 0);
	limit_default_batch(&l);
	assert_int_equal(l.cpu_ms, 10000);
	assert_int_equal(l.wall_ms, 20000);
	assert_int_equal(l.output_bytes, 1 << 20);
	assert_int_equal(l.output_rate, 0); /* batch: the caps only */
	assert_int_equal(l.memory_bytes, 512 << 20);
	limit_default_compile(&l);
	assert_int_equal(l.output_rate, 0);
}

static void test_lower_zero_keeps_max(void **state)
{
	struct limits max, req, out;

	limit_default_interactive(&max);
	memset(&req, 0, sizeof(req));
	memset(&out, 0xff, sizeof(out));
	limit_lower(&max, &req, &out);
	assert_memory_equal(&out, &max, sizeof(max));
}

static void test_lower_never_raises(void **state)
{
	struct limits max = {
	    .cpu_ms = 1000,
	    .wall_ms = 2000,
	    .memory_bytes = 3000,
	    .output_bytes = 4000,
	    .output_rate = 4100,
	    .output_burst = 4200,
	    .tmpfs_bytes = 5000,
	    .pids = 6,
	    .nofile = 7,
	};
	struct limits more = {
	    .cpu_ms = 1001,
	    .wall_ms = UINT64_MAX,
	    .memory_bytes = 3001,
	    .output_bytes = 40000,
	    .output_rate = 4101,
	    .output_burst = UINT64_MAX,
	    .tmpfs_bytes = 5001,
	    .pids = 7,
	    .nofile = UINT32_MAX,
	};
	struct limits less = {
	    .cpu_ms = 1,
	    .wall_ms = 1999,
	    .memory_bytes = 2,
	    .output_bytes = 3,
	    .output_rate = 31,
	    .output_burst = 32,
	    .tmpfs_bytes = 4,
	    .pids = 1,
	    .nofile = 6,
	};
	struct limits out;

	limit_lower(&max, &more, &out);
	assert_memory_equal(&out, &max, sizeof(max));
	limit_lower(&max, &max, &out); /* equal: same */
	assert_memory_equal(&out, &max, sizeof(max));
	limit_lower(&max, &less, &out);
	assert_memory_equal(&out, &less, sizeof(less));
}

static void test_lower_field_by_field(void **state)
{
	struct limits max, req = {.wall_ms = 5000, .pids = 500}, out;

	limit_default_interactive(&max);
	limit_lower(&max, &req, &out);
	assert_int_equal(out.wall_ms, 5000);	  /* lowered */
	assert_int_equal(out.pids, 128);	  /* asked for more: kept */
	assert_int_equal(out.cpu_ms, max.cpu_ms); /* 0: kept */
	assert_int_equal(out.memory_bytes, max.memory_bytes);
	assert_int_equal(out.output_bytes, max.output_bytes);
	assert_int_equal(out.tmpfs_bytes, max.tmpfs_bytes);
	assert_int_equal(out.nofile, max.nofile);
}

static void test_bucket(void **state)
{
	struct limit_bucket b;
	const uint64_t rate = 1000, burst = 5000; /* 1 byte a ms */

	/* the burst at once, then nothing more at the same moment */
	limit_bucket_fill(&b, 100, burst);
	assert_int_equal(limit_bucket_take(&b, 100, 3000, rate, burst), 3000);
	assert_int_equal(limit_bucket_take(&b, 100, 3000, rate, burst), 2000);
	assert_int_equal(limit_bucket_take(&b, 100, 1, rate, burst), 0);
	/* refilled at the rate */
	assert_int_equal(limit_bucket_take(&b, 150, 100, rate, burst), 50);
	assert_int_equal(limit_bucket_take(&b, 1150, 999, rate, burst), 999);
	assert_int_equal(limit_bucket_take(&b, 1150, 5, rate, burst), 1);
	/* never past the burst, however long it rested */
	assert_int_equal(limit_bucket_take(&b, 1000000, 9000, rate, burst),
			 burst);
	/* the clock going nowhere (or back) gives nothing */
	assert_int_equal(limit_bucket_take(&b, 999999, 1, rate, burst), 0);
	/* at the rate exactly, forever: every byte allowed */
	limit_bucket_fill(&b, 0, burst);
	for (uint64_t t = 1; t <= 100000; t++)
		assert_int_equal(limit_bucket_take(&b, t, 1, rate, burst), 1);
	/* a slow rate read every ms still refills (no rounding loss) */
	limit_bucket_fill(&b, 0, 10);
	assert_int_equal(limit_bucket_take(&b, 0, 10, 3, 10), 10);
	uint64_t got = 0;
	for (uint64_t t = 1; t <= 10000; t++)
		got += limit_bucket_take(&b, t, 1, 3, 10);
	assert_int_equal(got, 30); /* 3 a second for 10 s */
	/* huge values do not overflow */
	limit_bucket_fill(&b, 0, 1ull << 50);
	assert_int_equal(limit_bucket_take(&b, 0, 1ull << 50, 1ull << 40,
					   1ull << 50), 1ull << 50);
	assert_int_equal(limit_bucket_take(&b, UINT64_MAX / 2, 1ull << 50,
					   1ull << 40, 1ull << 50), 1ull << 50);
	assert_int_equal(limit_bucket_take(&b, UINT64_MAX / 2 + 1, 1ull << 50,
					   1ull << 40, 1ull << 50),
			 (1ull << 40) / 1000);
}

static void test_fmt_ms(void **state)
{
	static const struct {
		uint64_t ms;
		const char *s;
	} t[] = {
	    {0, "0 ms"},	 {1, "1 ms"},	    {250, "250 ms"},
	    {999, "999 ms"},	 {1000, "1 s"},	    {1500, "1.5 s"},
	    {10000, "10 s"},	 {59000, "59 s"},   {60000, "1 min"},
	    {90000, "90 s"},	 {61500, "61.5 s"}, {1800000, "30 min"},
	    {3600000, "60 min"},
	};
	char out[32];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(limit_fmt_ms(t[i].ms, out, sizeof(out)),
				    t[i].s);
	/* returns out; truncates to the buffer, NUL-terminated */
	assert_ptr_equal(limit_fmt_ms(250, out, sizeof(out)), out);
	char small[4];
	assert_string_equal(limit_fmt_ms(250, small, sizeof(small)), "250");
}

static void test_fmt_bytes(void **state)
{
	static const struct {
		uint64_t b;
		const char *s;
	} t[] = {
	    {0, "0 bytes"},
	    {1, "1 bytes"},
	    {17, "17 bytes"},
	    {1023, "1023 bytes"},
	    {1024, "1 KiB"},
	    {1536, "1536 bytes"},
	    {4096, "4 KiB"},
	    {1024 * 1024, "1 MiB"},
	    {1024 * 1024 + 1024, "1025 KiB"},
	    {1572864, "1536 KiB"},
	    {512ull << 20, "512 MiB"},
	    {16ull << 30, "16384 MiB"},
	};
	char out[32];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(limit_fmt_bytes(t[i].b, out, sizeof(out)),
				    t[i].s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_lower_zero_keeps_max),
	    cmocka_unit_test(test_lower_never_raises),
	    cmocka_unit_test(test_lower_field_by_field),
	    cmocka_unit_test(test_bucket),
	    cmocka_unit_test(test_fmt_ms),
	    cmocka_unit_test(test_fmt_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
