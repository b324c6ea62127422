/*
 * test_lang.c - parsing a language object (table-driven: what is refused and
 * why), lang_find by id and alias, and loading a directory of them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/log.h"
#include "run/lang.h"

#define GOOD_RUN "\"run\": [\"/usr/bin/python3\", \"main.py\"]"

struct parse_case {
	const char *json;
	int ret;
	const char *err; /* substring of the error, when ret != 0 */
};

static const struct parse_case parse_cases[] = {
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN "}", 0, NULL},
    {"[]", -EINVAL, "not a JSON object"},
    {"\"python\"", -EINVAL, "not a JSON object"},
    {"{\"file\": \"main.py\", " GOOD_RUN "}", -EINVAL, "'id' is missing"},
    {"{\"id\": \"\", \"file\": \"main.py\", " GOOD_RUN "}", -EINVAL,
     "'id' is missing"},
    {"{\"id\": 7, \"file\": \"main.py\", " GOOD_RUN "}", -EINVAL,
     "'id' is missing"},
    {"{\"id\": \"py\", " GOOD_RUN "}", -EINVAL,
     "'file' must be a plain file name"},
    {"{\"id\": \"py\", \"file\": \"\", " GOOD_RUN "}", -EINVAL,
     "'file' must be a plain file name"},
    {"{\"id\": \"py\", \"file\": \"src/main.py\", " GOOD_RUN "}", -EINVAL,
     "'file' must be a plain file name"},
    {"{\"id\": \"py\", \"file\": \"/main.py\", " GOOD_RUN "}", -EINVAL,
     "'file' must be a plain file name"},
    {"{\"id\": \"py\", \"file\": [\"main.py\"], " GOOD_RUN "}", -EINVAL,
     "'file' must be a plain file name"},
    {"{\"id\": \"py\", \"file\": \"main.py\"}", -EINVAL,
     "'run' must start with an absolute path"},
    {"{\"id\": \"py\", \"file\": \"main.py\", \"run\": []}", -EINVAL,
     "'run' must start with an absolute path"},
    {"{\"id\": \"py\", \"file\": \"main.py\", \"run\": [\"python3\"]}", -EINVAL,
     "'run' must start with an absolute path"},
    {"{\"id\": \"py\", \"file\": \"main.py\", \"run\": null}", -EINVAL,
     "'run' must start with an absolute path"},
    {"{\"id\": \"py\", \"file\": \"main.py\", \"run\": \"/usr/bin/x\"}",
     -EINVAL, "'run' must be an array of strings"},
    {"{\"id\": \"py\", \"file\": \"main.py\", \"run\": [\"/bin/x\", 3]}",
     -EINVAL, "'run[1]' must be a string"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"aliases\": \"py3\"}",
     -EINVAL, "'aliases' must be an array of strings"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"aliases\": [\"a\", null]}",
     -EINVAL, "'aliases[1]' must be a string"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN ", \"compile\": {}}",
     -EINVAL, "'compile' must be an array of strings"},
    /* ./NAME only for a compiled language that collects NAME */
    {"{\"id\": \"c\", \"file\": \"main.c\", \"run\": [\"./main\"], "
     "\"compile\": [\"/usr/bin/cc\", \"main.c\"], \"collect\": [\"main\"]}",
     0, NULL},
    {"{\"id\": \"c\", \"file\": \"main.c\", \"run\": [\"./main\"], "
     "\"compile\": [\"/usr/bin/cc\", \"main.c\"], \"collect\": [\"*.o\"]}",
     -EINVAL, "'run' must start with an absolute path"},
    {"{\"id\": \"c\", \"file\": \"main.c\", \"run\": [\"./main\"]}",
     -EINVAL, "'run' must start with an absolute path"},
    {"{\"id\": \"c\", \"file\": \"main.c\", \"run\": [\"./b/main\"], "
     "\"compile\": [\"/usr/bin/cc\", \"main.c\"], \"collect\": [\"*\"]}",
     -EINVAL, "'run' must start with an absolute path"},
    {"{\"id\": \"c\", \"file\": \"main.c\", \"run\": [\"./..\"], "
     "\"compile\": [\"/usr/bin/cc\", \"main.c\"], \"collect\": [\"*\"]}",
     -EINVAL, "'run' must start with an absolute path"},
    {"{\"id\": \"c\", \"file\": \"main.c\", \"run\": [\"main\"], "
     "\"compile\": [\"/usr/bin/cc\", \"main.c\"], \"collect\": [\"main\"]}",
     -EINVAL, "'run' must start with an absolute path"},
    {"{\"id\": \"c\", \"file\": \"main.c\", \"run\": [\"/w/a.out\"], "
     "\"compile\": []}",
     -EINVAL, "'compile' must start with an absolute path"},
    {"{\"id\": \"c\", \"file\": \"main.c\", \"run\": [\"/w/a.out\"], "
     "\"compile\": [\"gcc\", \"main.c\"]}",
     -EINVAL, "'compile' must start with an absolute path"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"env\": [\"A=1\"]}",
     -EINVAL, "'env' must be an object"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"env\": {\"A\": 1}}",
     -EINVAL, "'env.A' must be a string"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"env_pipes\": \"X=1\"}",
     -EINVAL, "'env_pipes' must be an object"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"env_pipes\": {\"B\": true}}",
     -EINVAL, "'env_pipes.B' must be a string"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"compile_flags\": [\"-O2\"]}",
     -EINVAL, "'compile_flags' must be an object"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"compile_flags\": {\"allowed\": []}}",
     -EINVAL, "'compile_flags.allowed' is not 'allow' or 'deny'"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"compile_flags\": {\"deny\": [1]}}",
     -EINVAL, "'compile_flags.deny[0]' must be a string"},
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"compile_runs_code\": \"yes\"}",
     -EINVAL, "'compile_runs_code' must be true or false"},
    /* null is "absent" for the optional arrays and objects */
    {"{\"id\": \"py\", \"file\": \"main.py\", " GOOD_RUN
     ", \"aliases\": null, \"compile\": null, \"env\": null}",
     0, NULL},
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		const struct parse_case *c = &parse_cases[i];
		json_error_t jerr;
		json_t *o = json_loads(c->json, JSON_DECODE_ANY, &jerr);
		struct lang l;
		char err[128] = "";

		if (!o)
			fail_msg("#%zu: bad test JSON: %s", i, jerr.text);
		int r = lang_parse(o, &l, err, sizeof(err));
		if (r != c->ret)
			fail_msg("#%zu %s: returned %d (%s), want %d", i,
				 c->json, r, err, c->ret);
		if (r == 0) {
			lang_release(&l);
		} else {
			if (!strstr(err, c->err))
				fail_msg("#%zu: error '%s', want '%s'", i, err,
					 c->err);
			assert_null(l.id); /* released on error */
			assert_null(l.run);
		}
		json_decref(o);
	}
}

static void test_parse_full(void **state)
{
	const char *js =
	    "{\"id\": \"c\", \"name\": \"C\", \"aliases\": [\"gcc\", \"C11\"],"
	    " \"editor\": \"clike\", \"file\": \"main.c\","
	    " \"compile\": [\"/usr/bin/gcc\", \"-O2\", \"main.c\"],"
	    " \"run\": [\"/work/a.out\"], \"collect\": [\"a.out\"],"
	    " \"env\": {\"LANG\": \"C.UTF-8\", \"EMPTY\": \"\"},"
	    " \"env_pipes\": {\"STDBUF\": \"0\"}, \"example\": \"c.c\"}";
	json_t *o = json_loads(js, 0, NULL);
	struct lang l;
	char err[128];

	assert_non_null(o);
	assert_int_equal(lang_parse(o, &l, err, sizeof(err)), 0);
	assert_string_equal(l.id, "c");
	assert_string_equal(l.name, "C");
	assert_string_equal(l.editor, "clike");
	assert_string_equal(l.file, "main.c");
	assert_string_equal(l.version, "");
	assert_string_equal(l.example, ""); /* loaded by the table, not here */
	assert_false(l.available);
	assert_string_equal(l.aliases[0], "gcc");
	assert_string_equal(l.aliases[1], "C11");
	assert_null(l.aliases[2]);
	assert_string_equal(l.compile[0], "/usr/bin/gcc");
	assert_string_equal(l.compile[2], "main.c");
	assert_null(l.compile[3]);
	assert_string_equal(l.run[0], "/work/a.out");
	assert_null(l.run[1]);
	/* jansson keeps insertion order */
	assert_string_equal(l.env[0], "LANG=C.UTF-8");
	assert_string_equal(l.env[1], "EMPTY=");
	assert_null(l.env[2]);
	assert_string_equal(l.env_pipes[0], "STDBUF=0");
	assert_null(l.env_pipes[1]);
	lang_release(&l);
	assert_null(l.id);
	json_decref(o);
}

static void test_parse_defaults(void **state)
{
	json_t *o = json_pack("{s:s, s:s, s:[s]}", "id", "sh", "file",
			      "main.sh", "run", "/bin/sh");
	struct lang l;
	char err[64];

	assert_int_equal(lang_parse(o, &l, err, sizeof(err)), 0);
	assert_string_equal(l.name, "sh"); /* name defaults to id */
	assert_string_equal(l.editor, "");
	assert_non_null(l.aliases); /* empty, not NULL */
	assert_null(l.aliases[0]);
	assert_null(l.compile);
	assert_null(l.env);
	assert_null(l.env_pipes);
	lang_release(&l);
	json_decref(o);
}

/* A table of parsed languages, without the toolchain probe. */
static void make_table(struct lang_table *t)
{
	static const char *const js[] = {
	    "{\"id\": \"python\", \"aliases\": [\"py\", \"Python3\"],"
	    " \"file\": \"main.py\", \"run\": [\"/usr/bin/python3\"]}",
	    "{\"id\": \"c\", \"aliases\": [\"gcc\"], \"file\": \"main.c\","
	    " \"run\": [\"/work/a.out\"]}",
	    "{\"id\": \"sh\", \"file\": \"main.sh\", \"run\": [\"/bin/sh\"]}",
	};
	char err[64];

	t->n = sizeof(js) / sizeof(js[0]);
	t->v = calloc(t->n, sizeof(*t->v));
	assert_non_null(t->v);
	for (size_t i = 0; i < t->n; i++) {
		json_t *o = json_loads(js[i], 0, NULL);
		assert_int_equal(lang_parse(o, &t->v[i], err, sizeof(err)), 0);
		json_decref(o);
	}
}

/* Compile flags: every word allowed and none denied; the first bad one
 * is named. */
static void test_flags_check(void **state)
{
	static const struct {
		const char *flags;
		int ret;
		const char *bad;
	} cases[] = {
	    {"", 0, NULL},
	    {NULL, 0, NULL},
	    {"  -O2\t-Wall\n-DX=1 -std=c11 -lm -fsanitize=address,undefined ",
	     0, NULL},
	    {"-O2 -wrapper /bin/sh,/w", -EPERM, "-wrapper"},
	    {"-Wl,-plugin,/work/x.so", -EPERM, "-Wl,-plugin,/work/x.so"},
	    {"-fplugin=/work/p.so", -EPERM, "-fplugin=/work/p.so"},
	    {"-B/work", -EPERM, "-B/work"},
	    {"@/work/flags", -EPERM, "@/work/flags"},
	    {"-O2 main2.c", -EPERM, "main2.c"},
	    {"-O9", -EPERM, "-O9"},
	};
	const char *json = "{\"id\": \"c\", \"file\": \"main.c\", "
			   "\"run\": [\"/w/main\"], \"compile\": [\"/usr/bin/gcc\", "
			   "\"{flags}\", \"main.c\"], \"collect\": [\"main\"], "
			   "\"compile_flags\": {\"allow\": [\"-O[0-3]\", \"-W*\", "
			   "\"-D*\", \"-std=*\", \"-l*\", \"-f*\"], \"deny\": "
			   "[\"-Wl,*\", \"-fplugin*\"]}, "
			   "\"compile_runs_code\": true}";
	json_t *o = json_loads(json, 0, NULL);
	struct lang l, none;
	char err[200], bad[32];

	assert_non_null(o);
	assert_int_equal(lang_parse(o, &l, err, sizeof(err)), 0);
	assert_true(l.compile_runs_code);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad[0] = '\0';
		assert_int_equal(lang_flags_check(&l, cases[i].flags, bad,
						  sizeof(bad)),
				 cases[i].ret);
		if (cases[i].bad)
			assert_string_equal(bad, cases[i].bad);
	}
	/* cut to the buffer, still refused */
	assert_int_equal(lang_flags_check(&l, "-Wl,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
					  bad, 8),
			 -EPERM);
	assert_string_equal(bad, "-Wl,aaa");
	lang_release(&l);
	json_decref(o);
	/* no list: no flag at all */
	o = json_loads("{\"id\": \"c\", \"file\": \"m.c\", \"run\": [\"/m\"]}", 0,
		       NULL);
	assert_int_equal(lang_parse(o, &none, err, sizeof(err)), 0);
	assert_false(none.compile_runs_code);
	assert_int_equal(lang_flags_check(&none, "-O2", bad, sizeof(bad)),
			 -EPERM);
	assert_int_equal(lang_flags_check(&none, " ", bad, sizeof(bad)), 0);
	lang_release(&none);
	json_decref(o);
}

static void test_find(void **state)
{
	struct lang_table t;
	static const struct {
		const char *name, *id;
	} cases[] = {
	    {"python", "python"},
	    {"PYTHON", "python"},
	    {"py", "python"},
	    {"Py", "python"},
	    {"python3", "python"},
	    {"PYTHON3", "python"},
	    {"c", "c"},
	    {"C", "c"},
	    {"GCC", "c"},
	    {"sh", "sh"},
	    {"pytho", NULL},
	    {"", NULL},
	    {"python ", NULL},
	    {"bash", NULL},
	};

	make_table(&t);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lang *l = lang_find(&t, cases[i].name);
		if (cases[i].id == NULL ? l != NULL
					: (!l || strcmp(l->id, cases[i].id)))
			fail_msg("lang_find('%s') = %s, want %s", cases[i].name,
				 l ? l->id : "NULL",
				 cases[i].id ? cases[i].id : "NULL");
	}
	assert_null(lang_find(&t, NULL));
	lang_table_release(&t);
	assert_int_equal(t.n, 0);

	struct lang_table empty = {0};
	assert_null(lang_find(&empty, "python"));
}

static void test_table_json(void **state)
{
	struct lang_table t;

	make_table(&t);
	json_t *a = lang_table_json(&t, true);
	assert_int_equal(json_array_size(a), 3);
	json_t *py = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(py, "id")),
			    "python");
	assert_int_equal(json_array_size(json_object_get(py, "aliases")), 2);
	assert_true(json_is_false(json_object_get(py, "available")));
	assert_string_equal(json_string_value(json_object_get(py, "reason")),
			    "not installed");
	assert_non_null(json_object_get(py, "example"));
	json_decref(a);
	a = lang_table_json(&t, false);
	assert_null(json_object_get(json_array_get(a, 0), "example"));
	json_decref(a);
	lang_table_release(&t);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A version command that takes too long (a busy machine) leaves its
 * language offered; one that cannot run (127) does not. Takes the probe's
 * whole 10 s deadline. */
static void test_table_load_slow_probe(void **state)
{
	char dir[] = "/tmp/test_lang.XXXXXX";
	char cmd[700];
	struct lang_table t;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "slow.json",
		   "{\"id\": \"slow\", \"name\": \"Slow\", \"file\": \"a\","
		   " \"run\": [\"/bin/sh\", \"a\"],"
		   " \"version_command\": [\"/bin/sleep\", \"60\"]}");
	write_file(dir, "norun.json",
		   "{\"id\": \"norun\", \"name\": \"Norun\", \"file\": \"a\","
		   " \"run\": [\"/bin/sh\", \"a\"],"
		   " \"version_command\": [\"/bin/sh\", \"-c\", \"exit 127\"]}");
	log_set_level(LOG_ERROR); /* the timeout warns */
	assert_int_equal(lang_table_load(&t, dir), 0);
	assert_int_equal(t.n, 2);
	const struct lang *slow = lang_find(&t, "slow");
	const struct lang *norun = lang_find(&t, "norun");
	assert_non_null(slow);
	assert_non_null(norun);
	assert_true(slow->available);
	assert_false(norun->available);
	assert_non_null(strstr(norun->why, "does not run"));
	lang_table_release(&t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_table_load(void **state)
{
	char dir[] = "/tmp/test_lang.XXXXXX";
	char sub[600];
	struct lang_table t;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/examples", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(
	    dir, "sh.json",
	    "{\"id\": \"sh\", \"name\": \"Shell\", \"file\": \"main.sh\","
	    " \"run\": [\"/bin/sh\", \"main.sh\"], \"example\": \"ex.sh\","
	    " \"version_command\": [\"/bin/echo\", \"sh version 5.2.15\"]}");
	write_file(dir, "examples/ex.sh", "echo hi\n");
	write_file(dir, "gone.json",
		   "{\"id\": \"gone\", \"name\": \"Gone\", \"file\": \"a\","
		   " \"run\": [\"/nonexistent/bin/gone\"]}");
	/* its program exists only in a run: not looked for on the host */
	write_file(dir, "cc.json",
		   "{\"id\": \"cc\", \"name\": \"Compiled\", \"file\": \"m.c\","
		   " \"compile\": [\"/bin/sh\", \"-c\", \"true\"],"
		   " \"collect\": [\"main\"], \"run\": [\"./main\", \"{args}\"]}");
	write_file(dir, "broken.json", "{\"id\": ");
	write_file(dir, "invalid.json", "{\"id\": \"x\"}");
	write_file(dir, "dup.json",
		   "{\"id\": \"SH\", \"file\": \"b\", \"run\": [\"/bin/sh\"]}");
	write_file(dir, "notes.txt", "not a language");

	log_set_level(LOG_ERROR); /* the skipped files warn */
	assert_int_equal(lang_table_load(&t, dir), 0);
	/* sorted by name: Compiled, Gone, Shell; broken, invalid and the dup
	 * skipped (which of sh/SH wins depends on readdir order) */
	assert_int_equal(t.n, 3);
	assert_string_equal(t.v[0].id, "cc");
	assert_true(t.v[0].available);
	assert_string_equal(t.v[1].id, "gone");
	assert_false(t.v[1].available);
	assert_non_null(strstr(t.v[1].why, "/nonexistent/bin/gone"));
	const struct lang *sh = lang_find(&t, "sh");
	assert_non_null(sh);
	assert_true(sh->available);
	if (strcmp(sh->id, "sh") == 0) {
		assert_string_equal(sh->version, "5.2.15");
		assert_string_equal(sh->example, "echo hi\n");
	}
	lang_table_release(&t);

	assert_int_equal(lang_table_load(&t, "/nonexistent/langs"), -ENOENT);
	assert_int_equal(t.n, 0);

	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_full),
	    cmocka_unit_test(test_parse_defaults),
	    cmocka_unit_test(test_flags_check),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_table_json),
	    cmocka_unit_test(test_table_load),
	    cmocka_unit_test(test_table_load_slow_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
