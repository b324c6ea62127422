/*
 * test_utext.c - the UTF-16-addressed UTF-8 document: UTF-8 validation
 * and unit counting (table), position lookup against a naive scan,
 * refusal of positions inside surrogate pairs, caps, and the sparse index
 * kept exact and bounded through thousands of random edits (every mark
 * checked against a rescan after every edit).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "room/utext.h"

struct sample {
	const char *name;
	const char *s;
	size_t len;
	int rc;
	size_t u16;
};

#define S(n, s, rc, u)                                                         \
	{                                                                      \
		n, s, sizeof(s) - 1, rc, u                                     \
	}

static const struct sample samples[] = {
    S("empty", "", 0, 0),
    S("ascii", "hello, world", 0, 12),
    S("long ascii", "0123456789abcdefghijklmnopqrstuvwxyz", 0, 36),
    S("nul", "a\0b", 0, 3),
    S("2-byte", "caf\xC3\xA9", 0, 4),
    S("3-byte", "\xE4\xB8\xAD\xE6\x96\x87", 0, 2),
    S("4-byte is 2 units", "\xF0\x9F\x98\x80", 0, 2),
    S("mixed", "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z", 0, 6),
    S("U+10FFFF", "\xF4\x8F\xBF\xBF", 0, 2),
    S("U+FFFF", "\xEF\xBF\xBF", 0, 1),
    S("lone continuation", "a\x80", -EINVAL, 0),
    S("overlong C0", "\xC0\xAF", -EINVAL, 0),
    S("overlong E0", "\xE0\x80\xAF", -EINVAL, 0),
    S("overlong F0", "\xF0\x80\x80\xAF", -EINVAL, 0),
    S("surrogate D800", "\xED\xA0\x80", -EINVAL, 0),
    S("surrogate DFFF", "\xED\xBF\xBF", -EINVAL, 0),
    S("above U+10FFFF", "\xF4\x90\x80\x80", -EINVAL, 0),
    S("F5", "\xF5\x80\x80\x80", -EINVAL, 0),
    S("truncated 2", "ab\xC3", -EINVAL, 0),
    S("truncated 4", "ab\xF0\x9F\x98", -EINVAL, 0),
    S("bad continuation", "\xE4\xB8z", -EINVAL, 0),
    S("ascii run then bad", "abcdefghijk\xFF", -EINVAL, 0),
};

static void test_measure(void **state)
{
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		const struct sample *s = &samples[i];
		size_t u16 = 12345;
		int rc = utext_measure(s->s, s->len, &u16);
		struct utext t;

		if (rc != s->rc || (!rc && u16 != s->u16))
			fail_msg("%s: rc %d u16 %zu, want %d %zu", s->name, rc,
				 u16, s->rc, s->u16);
		assert_int_equal(utext_init(&t, s->s, s->len, 1000), s->rc);
		if (!rc) {
			assert_int_equal(t.u16len, s->u16);
			assert_int_equal(t.len, s->len);
			assert_int_equal(t.s[t.len], 0);
		} else {
			assert_null(t.s);
		}
		utext_release(&t);
	}
}

/* Naive: the byte offset of pos, or -1 inside a pair / past the end. */
static long naive_offset(const char *s, size_t len, size_t pos)
{
	size_t p = 0, o = 0;

	while (p < pos) {
		unsigned char c = (unsigned char)s[o];
		size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

		if (o >= len)
			return -1;
		p += n == 4 ? 2 : 1;
		o += n;
	}
	return p == pos ? (long)o : -1;
}

/* Every mark exact (a character boundary with the right unit count),
 * increasing, gaps bounded, and the index sparse. */
static void check_index(const struct utext *t)
{
	size_t p = 0, o = 0, prev = 0;

	for (size_t i = 0; i < t->nmark; i++) {
		const struct utext_mark *m = &t->mark[i];

		assert_true(m->off > prev && m->off < t->len);
		assert_true(m->off - prev <= UTEXT_GAP);
		while (o < m->off) {
			unsigned char c = (unsigned char)t->s[o];
			size_t n = c < 0x80   ? 1
				   : c < 0xE0 ? 2
				   : c < 0xF0 ? 3
					      : 4;

			p += n == 4 ? 2 : 1;
			o += n;
		}
		assert_int_equal(o, m->off); /* a boundary */
		assert_int_equal(p, m->pos);
		prev = m->off;
	}
	assert_true(t->len - prev <= UTEXT_GAP);
	assert_true(t->nmark <= 2 * (t->len / UTEXT_GAP) + 2);
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static const char *const pieces[] = {
    "a",
    "bc",
    "def ",
    "\n",
    "\xC3\xA9",
    "\xE4\xB8\xAD",
    "\xF0\x9F\x98\x80",
    "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",
    "e\xCC\x81",
    "0123456789",
};

static size_t rand_text(uint32_t *x, char *buf, size_t max)
{
	size_t n = 0;

	while (n + 16 < max && rnd(x) % 8) {
		const char *p =
		    pieces[rnd(x) % (sizeof pieces / sizeof pieces[0])];

		memcpy(buf + n, p, strlen(p));
		n += strlen(p);
	}
	return n;
}

/* A random position that is not inside a surrogate pair. */
static size_t rand_pos(uint32_t *x, const struct utext *t)
{
	for (;;) {
		size_t p = rnd(x) % (t->u16len + 1);

		if (naive_offset(t->s, t->len, p) >= 0)
			return p;
	}
}

static void test_random_edits(void **state)
{
	static char ins[3][8192];
	uint32_t x = 0x1234567;
	struct utext t, next;
	char *init = malloc(64 * 1024);
	size_t n = 0;

	/* start all ASCII: the index must be right once it is not */
	while (n < 60000)
		n += (size_t)snprintf(init + n, 64 * 1024 - n, "line %zu\n", n);
	assert_int_equal(utext_init(&t, init, n, 1 << 20), 0);
	check_index(&t);
	for (int round = 0; round < 1500; round++) {
		struct utext_edit e[3];
		size_t k = 1 + rnd(&x) % 3, pos[3];
		char *ref;
		size_t rlen = 0, at = 0;

		for (size_t i = 0; i < k; i++)
			pos[i] = rand_pos(&x, &t);
		/* sort the starts */
		for (size_t i = 1; i < k; i++)
			for (size_t j = i; j > 0 && pos[j - 1] > pos[j]; j--) {
				size_t tmp = pos[j];
				pos[j] = pos[j - 1];
				pos[j - 1] = tmp;
			}
		for (size_t i = 0; i < k; i++) {
			size_t big = rnd(&x) % 50 == 0 ? sizeof ins[i] : 64;
			size_t end = i + 1 < k ? pos[i + 1] : t.u16len;
			size_t to = pos[i];

			/* delete up to a few characters, rarely a lot */
			for (size_t c = rnd(&x) % (rnd(&x) % 100 ? 6 : 3000);
			     c && to < end; c--) {
				long o = naive_offset(t.s, t.len, to);
				size_t w =
				    (unsigned char)t.s[o] >= 0xF0 ? 2 : 1;

				if (to + w > end)
					break;
				to += w;
			}
			e[i].from = pos[i];
			e[i].to = to;
			e[i].ins = ins[i];
			e[i].ins_len = rand_text(&x, ins[i], big);
			assert_int_equal(
			    utext_measure(ins[i], e[i].ins_len, &e[i].ins_u16),
			    0);
		}
		/* the expected text, built naively */
		ref = malloc(t.len + sizeof ins + 1);
		for (size_t i = 0; i < k; i++) {
			long f = naive_offset(t.s, t.len, e[i].from);
			long g = naive_offset(t.s, t.len, e[i].to);

			memcpy(ref + rlen, t.s + at, (size_t)f - at);
			rlen += (size_t)f - at;
			memcpy(ref + rlen, e[i].ins, e[i].ins_len);
			rlen += e[i].ins_len;
			at = (size_t)g;
		}
		memcpy(ref + rlen, t.s + at, t.len - at);
		rlen += t.len - at;

		assert_int_equal(utext_replace(&t, e, k, 1 << 20, &next), 0);
		assert_int_equal(next.len, rlen);
		assert_memory_equal(next.s, ref, rlen);
		{
			size_t u16;
			assert_int_equal(utext_measure(next.s, next.len, &u16),
					 0);
			assert_int_equal(next.u16len, u16);
		}
		check_index(&next);
		/* lookups agree with the naive scan */
		for (int q = 0; q < 20; q++) {
			size_t p = rnd(&x) % (next.u16len + 2), off = 0;
			long want = naive_offset(next.s, next.len, p);
			int rc = utext_offset(&next, p, &off);

			if (p > next.u16len || want < 0)
				assert_int_equal(rc, -EINVAL);
			else {
				assert_int_equal(rc, 0);
				assert_int_equal(off, (size_t)want);
			}
		}
		free(ref);
		utext_release(&t);
		t = next;
	}
	/* the document stayed big and got mixed */
	assert_true(t.len > 40000 && t.u16len < t.len && t.nmark > 10);
	utext_release(&t);
	free(init);
}

static void test_refusals(void **state)
{
	/* "a" emoji "b": positions 0 1 (3) 4 */
	struct utext t, d;
	struct utext_edit mid = {2, 2, "x", 1, 1};
	struct utext_edit del = {1, 2, NULL, 0, 0};
	struct utext_edit whole = {1, 3, NULL, 0, 0};
	struct utext_edit order[2] = {{2, 3, NULL, 0, 0}, {1, 1, "x", 1, 1}};
	struct utext_edit past = {5, 5, NULL, 0, 0};
	struct utext_edit big = {0, 0, "abcdefg", 7, 7};
	size_t off;

	assert_int_equal(utext_init(&t,
				    "a\xF0\x9F\x98\x80"
				    "b",
				    6, 100),
			 0);
	assert_int_equal(utext_offset(&t, 2, &off), -EINVAL);
	assert_int_equal(utext_offset(&t, 3, &off), 0);
	assert_int_equal(off, 5);
	assert_int_equal(utext_replace(&t, &mid, 1, 100, &d), -EINVAL);
	assert_null(d.s);
	assert_int_equal(utext_replace(&t, &del, 1, 100, &d), -EINVAL);
	assert_int_equal(utext_replace(&t, order, 2, 100, &d), -EINVAL);
	assert_int_equal(utext_replace(&t, &past, 1, 100, &d), -EINVAL);
	assert_int_equal(utext_replace(&t, &big, 1, 12, &d), -E2BIG);
	assert_null(d.s);
	/* the whole emoji is fine, and the source is untouched */
	assert_int_equal(utext_replace(&t, &whole, 1, 100, &d), 0);
	assert_string_equal(d.s, "ab");
	assert_int_equal(d.u16len, 2);
	assert_string_equal(t.s, "a\xF0\x9F\x98\x80"
				 "b");
	utext_release(&d);
	assert_int_equal(utext_replace(&t, &big, 1, 13, &d), 0);
	utext_release(&d);
	/* over the cap at creation */
	assert_int_equal(utext_init(&d, "abc", 3, 2), -E2BIG);
	utext_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_measure),
	    cmocka_unit_test(test_random_edits),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
