/*
 * test_utf8.c - the streaming UTF-8 sanitizer: a table of byte strings and
 * their sanitized form, each checked in one chunk and at every split point
 * (and byte by byte), plus finish() and utf8_valid_prefix().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/utf8.h"

#define R "\xEF\xBF\xBD" /* U+FFFD */

struct sample {
	const char *name;
	const char *in;
	size_t len;
	const char *out; /* after decode + finish */
	size_t olen;
};

#define S(n, i, o)                                                             \
	{                                                                      \
		n, i, sizeof(i) - 1, o, sizeof(o) - 1                          \
	}

static const struct sample samples[] = {
    S("empty", "", ""),
    S("ascii", "hello, world\n", "hello, world\n"),
    S("nul kept", "a\0b", "a\0b"),
    S("2-byte", "caf\xC3\xA9", "caf\xC3\xA9"),
    S("3-byte", "\xE2\x82\xAC 5", "\xE2\x82\xAC 5"),
    S("4-byte", "\xF0\x9F\x98\x80!", "\xF0\x9F\x98\x80!"),
    S("mixed", "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z",
      "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z"),
    S("U+10FFFF max", "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"),
    S("U+D7FF before surrogates", "\xED\x9F\xBF", "\xED\x9F\xBF"),
    S("U+E000 after surrogates", "\xEE\x80\x80", "\xEE\x80\x80"),
    S("U+0800 smallest 3-byte", "\xE0\xA0\x80", "\xE0\xA0\x80"),
    S("U+10000 smallest 4-byte", "\xF0\x90\x80\x80", "\xF0\x90\x80\x80"),
    /* invalid: one U+FFFD per byte that cannot start or continue */
    S("lone continuation", "a\x80z", "a" R "z"),
    S("two continuations", "\x80\xBF", R R),
    S("overlong 2-byte C0", "\xC0\xAF", R R),
    S("overlong 2-byte C1", "\xC1\xBF", R R),
    S("overlong 3-byte", "\xE0\x80\xAF", R R R),
    S("overlong 4-byte", "\xF0\x80\x80\xAF", R R R R),
    S("surrogate D800", "\xED\xA0\x80", R R R),
    S("surrogate DFFF", "\xED\xBF\xBF", R R R),
    S("above U+10FFFF F4 90", "\xF4\x90\x80\x80", R R R R),
    S("F5 start", "\xF5\x80\x80\x80", R R R R),
    S("FE FF", "\xFE\xFF", R R),
    S("truncated 2 then ascii", "\xC3z", R "z"),
    S("truncated 3 then ascii", "\xE2\x82z", R R "z"),
    S("truncated 4 then ascii", "\xF0\x9F\x98z", R R R "z"),
    S("new start inside seq", "\xE2\xC3\xA9", R "\xC3\xA9"),
    S("incomplete tail at end", "ok\xF0\x9F\x98", "ok" R),
    S("incomplete 2 at end", "ok\xC3", "ok" R),
    S("incomplete 3 at end", "\xE2\x82", R),
    S("invalid then incomplete", "\x80\xE2", R R),
};

/* Decodes in as the given chunks (cut positions), then finishes. */
static void decode_chunks(const char *in, size_t len, const size_t *cuts,
			  size_t ncuts, struct buf *out)
{
	struct utf8_decoder d;
	size_t at = 0;

	utf8_decoder_init(&d);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		assert_int_equal(utf8_decode(&d, in + at, end - at, out), 0);
		at = end;
	}
	assert_int_equal(utf8_finish(&d, out), 0);
}

static void check(const struct sample *s, const struct buf *b)
{
	if (b->len != s->olen || memcmp(buf_str(b), s->out, s->olen))
		fail_msg("%s: got %zu bytes '%s'", s->name, b->len, buf_str(b));
}

static void test_one_chunk(void **state)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct buf b;
		buf_init(&b, 1024);
		decode_chunks(samples[i].in, samples[i].len, NULL, 0, &b);
		check(&samples[i], &b);
		/* the output is itself valid */
		assert_int_equal(utf8_valid_prefix(buf_str(&b), b.len), b.len);
		buf_release(&b);
	}
}

static void test_every_split_point(void **state)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const struct sample *s = &samples[i];
		for (size_t cut = 0; cut <= s->len; cut++) {
			struct buf b;
			buf_init(&b, 1024);
			decode_chunks(s->in, s->len, &cut, 1, &b);
			check(s, &b);
			buf_release(&b);
		}
		/* every pair of split points */
		for (size_t c1 = 0; c1 <= s->len; c1++)
			for (size_t c2 = c1; c2 <= s->len; c2++) {
				size_t cuts[2] = {c1, c2};
				struct buf b;
				buf_init(&b, 1024);
				decode_chunks(s->in, s->len, cuts, 2, &b);
				check(s, &b);
				buf_release(&b);
			}
	}
}

static void test_byte_by_byte(void **state)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const struct sample *s = &samples[i];
		size_t cuts[64];
		struct buf b;

		for (size_t k = 0; k < s->len; k++)
			cuts[k] = k + 1;
		buf_init(&b, 1024);
		decode_chunks(s->in, s->len, cuts, s->len ? s->len - 1 : 0, &b);
		check(s, &b);
		buf_release(&b);
	}
}

static void test_split_keeps_char_whole(void **state)
{
	/* The part before a split multi-byte char is emitted at once; the
	 * char appears only when complete, never as U+FFFD. */
	struct utf8_decoder d;
	struct buf b;

	buf_init(&b, 64);
	utf8_decoder_init(&d);
	assert_int_equal(utf8_decode(&d, "ab\xF0\x9F", 4, &b), 0);
	assert_string_equal(buf_str(&b), "ab");
	assert_int_equal(d.ntail, 2);
	assert_int_equal(utf8_decode(&d, "\x98", 1, &b), 0);
	assert_string_equal(buf_str(&b), "ab");
	assert_int_equal(utf8_decode(&d,
				     "\x80"
				     "c",
				     2, &b),
			 0);
	assert_string_equal(buf_str(&b), "ab\xF0\x9F\x98\x80"
					 "c");
	assert_int_equal(d.ntail, 0);
	assert_int_equal(utf8_finish(&d, &b), 0); /* nothing pending */
	assert_string_equal(buf_str(&b), "ab\xF0\x9F\x98\x80"
					 "c");
	buf_release(&b);
}

static void test_finish_incomplete_tail(void **state)
{
	struct utf8_decoder d;
	struct buf b;

	buf_init(&b, 64);
	utf8_decoder_init(&d);
	assert_int_equal(utf8_decode(&d, "x\xE2\x82", 3, &b), 0);
	assert_string_equal(buf_str(&b), "x");
	assert_int_equal(utf8_finish(&d, &b), 0);
	assert_string_equal(buf_str(&b), "x" R);
	/* finish resets: a second finish adds nothing, decoding restarts */
	assert_int_equal(utf8_finish(&d, &b), 0);
	assert_int_equal(utf8_decode(&d, "\xAC", 1, &b), 0);
	assert_string_equal(buf_str(&b), "x" R R);
	buf_release(&b);
}

static void test_output_full(void **state)
{
	struct utf8_decoder d;
	struct buf b;

	buf_init(&b, 4);
	utf8_decoder_init(&d);
	assert_int_equal(utf8_decode(&d, "abc", 3, &b), 0);
	assert_int_equal(utf8_decode(&d, "\x80", 1, &b), -ENOBUFS);
	assert_int_equal(b.len, 3); /* never past max */
	buf_release(&b);
}

static void test_valid_prefix(void **state)
{
	static const struct {
		const char *s;
		size_t len, want;
	} t[] = {
	    {"", 0, 0},
	    {"abc", 3, 3},
	    {"ab\xC3\xA9", 4, 4},
	    {"ab\xC3", 3, 2}, /* incomplete tail */
	    {"ab\xE2\x82", 4, 2},
	    {"ab\xF0\x9F\x98", 5, 2},
	    {"ab\x80"
	     "cd",
	     5, 2},			/* lone continuation */
	    {"\xC0\xAF", 2, 0},		/* overlong */
	    {"\xED\xA0\x80", 3, 0},	/* surrogate */
	    {"\xF4\x90\x80\x80", 4, 0}, /* > U+10FFFF */
	    {"\xF0\x9F\x98\x80\xFF", 5, 4},
	    {"a\0b", 3, 3}, /* NUL is valid UTF-8 */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (utf8_valid_prefix(t[i].s, t[i].len) != t[i].want)
			fail_msg("valid_prefix #%zu: %zu, want %zu", i,
				 utf8_valid_prefix(t[i].s, t[i].len),
				 t[i].want);
}

static void test_all_two_byte_inputs(void **state)
{
	/* Exhaustive over pairs: split or not, same output, always valid. */
	for (unsigned a = 0; a < 256; a++)
		for (unsigned c = 0; c < 256; c++) {
			char in[2] = {(char)a, (char)c};
			size_t cut = 1;
			struct buf one, two;

			buf_init(&one, 64);
			buf_init(&two, 64);
			decode_chunks(in, 2, NULL, 0, &one);
			decode_chunks(in, 2, &cut, 1, &two);
			assert_int_equal(one.len, two.len);
			assert_memory_equal(one.data, two.data, one.len);
			assert_int_equal(utf8_valid_prefix(one.data, one.len),
					 one.len);
			buf_release(&one);
			buf_release(&two);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_chunk),
	    cmocka_unit_test(test_every_split_point),
	    cmocka_unit_test(test_byte_by_byte),
	    cmocka_unit_test(test_split_keeps_char_whole),
	    cmocka_unit_test(test_finish_incomplete_tail),
	    cmocka_unit_test(test_output_full),
	    cmocka_unit_test(test_valid_prefix),
	    cmocka_unit_test(test_all_two_byte_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
