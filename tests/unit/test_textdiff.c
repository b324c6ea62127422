/*
 * test_textdiff.c - the smallest change between two texts, as a
 * ChangeSet that really takes the old text to the new one (checked by
 * applying it with the collab authority's changeset module), with
 * positions in UTF-16 units and never inside a character.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "room/changeset.h"
#include "room/textdiff.h"
#include "room/utext.h"

/* Diffs, checks the JSON, applies it, checks the result. */
static void check(const char *old, const char *new, const char *json)
{
	struct changeset *cs = NULL;
	struct utext a, b;
	json_t *j = NULL;
	char *s;

	assert_int_equal(textdiff_changes(old, strlen(old), new, strlen(new), &j), 0);
	s = json_dumps(j, JSON_COMPACT);
	if (json)
		assert_string_equal(s, json);
	assert_int_equal(cs_parse(j, NULL, &cs), 0);
	assert_int_equal(utext_init(&a, old, strlen(old), 1 << 20), 0);
	assert_int_equal(cs_apply(cs, &a, 1 << 20, &b), 0);
	assert_int_equal(b.len, strlen(new));
	assert_memory_equal(b.s, new, b.len);
	utext_release(&a);
	utext_release(&b);
	cs_free(cs);
	free(s);
	json_decref(j);
}

static void test_basic(void **state)
{
	check("", "", "[]");
	check("abc", "abc", "[3]");
	check("", "x\ny", "[[0,\"x\",\"y\"]]");
	check("abc", "", "[[3]]");
	check("hello world", "hello brave world", "[6,[0,\"brave \"],5]");
	check("hello brave world", "hello world", "[6,[6],5]");
	check("aaa", "aaaa", "[3,[0,\"a\"]]");
	check("x = 1\ny = 2\n", "x = 1\ny = 3\n", "[10,[1,\"3\"],1]");
}

static void test_multibyte(void **state)
{
	/* 👋 is two UTF-16 units, 4 bytes; 日 one unit, 3 bytes */
	check("a👋b", "a👋c", "[3,[1,\"c\"]]");
	check("👋", "👍", "[[2,\"👍\"]]");	/* same first 3 bytes: not cut */
	check("日本", "日木", "[1,[1,\"木\"]]");
	check("é", "è", "[[1,\"è\"]]");
	check("x👋👋y", "x👋y", NULL);
}

static void test_lf(void **state)
{
	char s[] = "a\r\nb\rc\n\r\n";
	size_t n = textdiff_lf(s, strlen(s));

	assert_int_equal(n, 7);
	assert_memory_equal(s, "a\nb\nc\n\n", n);
}

static void test_invalid(void **state)
{
	json_t *j;

	assert_int_equal(textdiff_changes("a", 1, "\xff", 1, &j), -EINVAL);
	assert_null(j);
}

/* random texts over a small alphabet with multi-byte characters */
static void test_random(void **state)
{
	static const char *const alpha[] = { "a", "b", "\n", "é", "日", "👋" };
	char x[256], y[256];

	srand(7);
	for (int t = 0; t < 2000; t++) {
		size_t nx = 0, ny = 0;
		int lx = rand() % 12, ly = rand() % 12;
		for (int i = 0; i < lx; i++) {
			const char *c = alpha[rand() % 6];
			memcpy(x + nx, c, strlen(c));
			nx += strlen(c);
		}
		memcpy(y, x, nx);	/* y: x with a random edit */
		ny = nx;
		for (int i = 0; i < ly; i++) {
			const char *c = alpha[rand() % 6];
			memcpy(y + ny, c, strlen(c));
			ny += strlen(c);
		}
		if (rand() % 2) {	/* rotate y to change its prefix too */
			char tmp[256];
			memcpy(tmp, y, ny);
			ny = 0;
			for (int i = 0; i < ly + lx; i++) {
				const char *c = alpha[rand() % 6];
				memcpy(y + ny, c, strlen(c));
				ny += strlen(c);
			}
		}
		x[nx] = y[ny] = '\0';
		check(x, y, NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_multibyte),
	    cmocka_unit_test(test_lf),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
