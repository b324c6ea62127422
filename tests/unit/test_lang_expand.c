/*
 * test_lang_expand.c - command templates: {file}, {flags} (split as
 * arguments, shell-quoted inside a script) and {args}.
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
	expect(lang_expand(t, "main.c", "  -DX=1\t-Wall ", NULL, false),
	       (const char *const[]){ "/usr/bin/gcc", "-O2", "-DX=1", "-Wall",
				      "-o", "main", "main.c", NULL });
	expect(lang_expand(t, "main.c", NULL, NULL, false),
	       (const char *const[]){ "/usr/bin/gcc", "-O2", "-o", "main",
				      "main.c", NULL });
}

static void test_shell_script_quotes_flags(void **state)
{
	char *t[] = { S("/bin/sh"), S("-c"), S("cc {flags} {file} && ./a.out"), NULL };
	expect(lang_expand(t, "m.c", "-DA='x' ;rm", NULL, false),
	       (const char *const[]){ "/bin/sh", "-c",
				      "cc '-DA='\\''x'\\''' ';rm' m.c && ./a.out",
				      NULL });
}

static void test_args(void **state)
{
	const char *args[] = { "a b", "", "-x", NULL };
	char *appended[] = { S("/usr/bin/python3"), S("main.py"), NULL };
	char *placed[] = { S("/bin/sh"), S("-c"), S("exec ./main \"$@\""), S("main"),
			   S("{args}"), NULL };

	expect(lang_expand(appended, "main.py", NULL, args, true),
	       (const char *const[]){ "/usr/bin/python3", "main.py", "a b", "",
				      "-x", NULL });
	expect(lang_expand(appended, "main.py", NULL, args, false),
	       (const char *const[]){ "/usr/bin/python3", "main.py", NULL });
	expect(lang_expand(placed, "x", NULL, args, true),
	       (const char *const[]){ "/bin/sh", "-c", "exec ./main \"$@\"",
				      "main", "a b", "", "-x", NULL });
	expect(lang_expand(placed, "x", NULL, NULL, true),
	       (const char *const[]){ "/bin/sh", "-c", "exec ./main \"$@\"",
				      "main", NULL });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_flags),
		cmocka_unit_test(test_shell_script_quotes_flags),
		cmocka_unit_test(test_args),
	};
	return cmocka_run_group_tests_name("lang_expand", tests, NULL, NULL);
}
