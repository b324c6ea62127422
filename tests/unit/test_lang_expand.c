/*
 * test_lang_expand.c - command templates: {file}, {sources}, {flags}
 * (split as arguments, shell-quoted inside a script) and {args}; which
 * files are sources.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run/lang.h"

#define S(x) ((char *)(x))

static void expect(char **v, const char *const *want)
{
	size_t i;

	assert_non_null(v);
	for (i = 0; want[i]; i++) {
		assert_non_null(v[i]);
		assert_string_equal(v[i], want[i]);
	}
	assert_null(v[i]);
	lang_argv_free(v);
}

static void test_compile_flags(void **state)
{
	char *t[] = { S("/usr/bin/gcc"), S("-O2"), S("{flags}"), S("-o"), S("main"), S("{file}"),
		      NULL };
	expect(lang_expand(t, "main.c", NULL, "  -DX=1\t-Wall ", NULL, false),
	       (const char *const[]){ "/usr/bin/gcc", "-O2", "-DX=1", "-Wall",
				      "-o", "main", "main.c", NULL });
	expect(lang_expand(t, "main.c", NULL, NULL, NULL, false),
	       (const char *const[]){ "/usr/bin/gcc", "-O2", "-o", "main",
				      "main.c", NULL });
}

static void test_shell_script_quotes_flags(void **state)
{
	char *t[] = { S("/bin/sh"), S("-c"), S("cc {flags} {file} && ./a.out"), NULL };
	expect(lang_expand(t, "m.c", NULL, "-DA='x' ;rm", NULL, false),
	       (const char *const[]){ "/bin/sh", "-c",
				      "cc '-DA='\\''x'\\''' ';rm' 'm.c' && ./a.out",
				      NULL });
}

static void test_args(void **state)
{
	const char *args[] = { "a b", "", "-x", NULL };
	char *appended[] = { S("/usr/bin/python3"), S("main.py"), NULL };
	char *placed[] = { S("/bin/sh"), S("-c"), S("exec ./main \"$@\""), S("main"),
			   S("{args}"), NULL };

	expect(lang_expand(appended, "main.py", NULL, NULL, args, true),
	       (const char *const[]){ "/usr/bin/python3", "main.py", "a b", "",
				      "-x", NULL });
	expect(lang_expand(appended, "main.py", NULL, NULL, args, false),
	       (const char *const[]){ "/usr/bin/python3", "main.py", NULL });
	expect(lang_expand(placed, "x", NULL, NULL, args, true),
	       (const char *const[]){ "/bin/sh", "-c", "exec ./main \"$@\"",
				      "main", "a b", "", "-x", NULL });
	expect(lang_expand(placed, "x", NULL, NULL, NULL, true),
	       (const char *const[]){ "/bin/sh", "-c", "exec ./main \"$@\"",
				      "main", NULL });
}

static void test_sources(void **state)
{
	char *t[] = { S("/usr/bin/gcc"), S("-o"), S("main"), S("{sources}"), S("-lm"), NULL };
	char *sh[] = { S("/bin/sh"), S("-c"), S("cc {sources} -o {file}"), NULL };
	const char *src[] = { "main.c", "-util.c", "it's.c", NULL };

	expect(lang_expand(t, "main.c", src, NULL, NULL, false),
	       (const char *const[]){ "/usr/bin/gcc", "-o", "main", "main.c",
				      "./-util.c", "it's.c", "-lm", NULL });
	/* no vector: just the entry file */
	expect(lang_expand(t, "p.c", NULL, NULL, NULL, false),
	       (const char *const[]){ "/usr/bin/gcc", "-o", "main", "p.c", "-lm",
				      NULL });
	expect(lang_expand(sh, "-x", src, NULL, NULL, false),
	       (const char *const[]){ "/bin/sh", "-c",
				      "cc 'main.c' './-util.c' 'it'\\''s.c' -o './-x'",
				      NULL });
}

static void test_lang_sources(void **state)
{
	char *pats[] = { S("*.c"), NULL };
	struct lang l = { .file = S("main.c"), .sources = pats };
	const char *names[] = { "prog.c", "util.c", "util.h", "lib/x.c", "b.c" };
	const char **v = lang_sources(&l, names, 5);

	assert_non_null(v);
	assert_string_equal(v[0], "prog.c");	/* the entry, always first */
	assert_string_equal(v[1], "util.c");
	assert_string_equal(v[2], "b.c");	/* "*.c" is top level only */
	assert_null(v[3]);
	free(v);
	l.sources = NULL;
	v = lang_sources(&l, names, 5);
	assert_string_equal(v[0], "prog.c");
	assert_null(v[1]);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_flags),
		cmocka_unit_test(test_shell_script_quotes_flags),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_lang_sources),
	};
	return cmocka_run_group_tests_name("lang_expand", tests, NULL, NULL);
}
