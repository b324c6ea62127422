/*
 * test_parse.c - the pure request parsers of the native and seed APIs
 * (proto/parse_runs.c, proto/parse_seed.c) and the rules every API shares
 * (proto/rules.c): table-driven, JSON in, a job or {status, field,
 * message} out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "api_fixture.h"
#include "proto/parse.h"

struct runs_case {
	const char *body;
	unsigned status;	/* 0: a job */
	const char *field;	/* expected field, or NULL */
	const char *message;	/* a substring of the message */
};

static const struct runs_case runs_cases[] = {
	{ "{\"language\":\"python\",\"code\":\"print(1)\"}", 0, NULL, NULL },
	{ "{\"language\":\"py\",\"version\":\"3.x\",\"code\":\"x\"}", 0, NULL, NULL },
	{ "[]", 400, NULL, "must be a JSON object" },
	{ "{\"code\":\"x\"}", 400, "language", "'language' is required" },
	{ "{\"language\":\"cobol\",\"code\":\"x\"}", 400, "language", "unknown language 'cobol'" },
	{ "{\"language\":\"ruby\",\"code\":\"x\"}", 400, "language", "not available" },
	{ "{\"language\":\"python\",\"version\":\"2.x\",\"code\":\"x\"}", 400, "version", "does not match '2.x'" },
	{ "{\"language\":\"python\",\"code\":\"x\",\"nope\":1}", 400, "nope", "unknown field 'nope'" },
	{ "{\"language\":\"python\"}", 400, "files", "'code' (a string) or 'files'" },
	{ "{\"language\":\"python\",\"code\":\"x\",\"files\":[]}", 400, "files", "not both" },
	{ "{\"language\":\"python\",\"files\":[{\"content\":\"x\"},{\"content\":\"y\"}]}", 400, "files[1].name", "required for every file but the first" },
	{ "{\"language\":\"python\",\"files\":[{\"content\":\"x\"},{\"name\":\"../y\",\"content\":\"\"}]}", 400, "files[1].name", "is not a valid file path" },
	{ "{\"language\":\"python\",\"files\":[{\"content\":\"x\"},{\"name\":\"/etc/y\",\"content\":\"\"}]}", 400, "files[1].name", "is not a valid file path" },
	{ "{\"language\":\"python\",\"files\":[{\"content\":\"x\"},{\"name\":\"main.py\",\"content\":\"\"}]}", 400, "files[1].name", "clashes with files[0] (\"main.py\")" },
	{ "{\"language\":\"python\",\"files\":[{\"content\":\"x\"},{\"name\":\"p\",\"content\":\"\"},{\"name\":\"p/q.py\",\"content\":\"\"}]}", 400, "files[2].name", "clashes with files[1]" },
	{ "{\"language\":\"python\",\"files\":[{\"content\":\"x\"},{\"name\":\"pkg/q.py\",\"content\":\"\"}]}", 0, NULL, NULL },
	{ "{\"language\":\"python\",\"files\":[{\"content\":\"**\",\"encoding\":\"base64\"}]}", 400, "files[0].content", "is not valid base64" },
	{ "{\"language\":\"python\",\"files\":[{\"content\":\"x\",\"encoding\":\"rot13\"}]}", 400, "files[0].encoding", "must be \"utf8\"" },
	{ "{\"language\":\"python\",\"code\":\"x\",\"args\":[1]}", 400, "args[0]", "must be a string" },
	{ "{\"language\":\"python\",\"code\":\"x\",\"compile_flags\":\"-O2\"}", 400, "compile_flags", "has no compile step" },
	{ "{\"language\":\"c\",\"code\":\"x\",\"compile_flags\":\"-O2\"}", 0, NULL, NULL },
	{ "{\"language\":\"c\",\"code\":\"x\",\"compile_flags\":\"-O2 -Wl,-plugin,/w/x.so\"}", 400, "compile_flags", "'-Wl,-plugin,/w/x.so' is not allowed for c" },
	{ "{\"language\":\"c\",\"code\":\"x\",\"compile_flags\":\"-B/work\"}", 400, "compile_flags", "'-B/work' is not allowed for c" },
	{ "{\"language\":\"python\",\"code\":\"x\",\"limits\":{\"cpu_ms\":10001}}", 400, "limits.cpu_ms", "above this server's maximum of 10000" },
	{ "{\"language\":\"python\",\"code\":\"x\",\"limits\":{\"cpu_ms\":0}}", 400, "limits.cpu_ms", "positive integer" },
	{ "{\"language\":\"python\",\"code\":\"x\",\"limits\":{\"disk\":1}}", 400, "limits.disk", "unknown limit" },
	{ "{\"language\":\"c\",\"code\":\"x\",\"compile_limits\":{\"cpu_ms\":60000}}", 0, NULL, NULL },
	{ "{\"language\":\"c\",\"code\":\"x\",\"compile_limits\":{\"cpu_ms\":60001}}", 400, "compile_limits.cpu_ms", "maximum of 60000" },
	{ "{\"language\":\"python\",\"code\":\"x\",\"tests\":[]}", 400, "tests", "1 to 64" },
	{ "{\"language\":\"python\",\"code\":\"x\",\"tests\":[{\"stdin\":1}]}", 400, "tests[0]", "must be an object" },
};

static void test_runs_table(void **state)
{
	struct api_ctx ctx = fx_ctx();

	for (size_t i = 0; i < sizeof(runs_cases) / sizeof(runs_cases[0]); i++) {
		const struct runs_case *k = &runs_cases[i];
		struct api_err e = { 0 };
		json_t *body = fx_json(k->body);
		struct batch_job *j = parse_runs(&ctx, body, &e);

		if (!k->status) {
			if (!j)
				fail_msg("case %zu: %s -> %u %s", i, k->body,
					 e.status, e.message);
			batch_job_free(j);
		} else {
			if (j)
				fail_msg("case %zu: %s parsed", i, k->body);
			assert_int_equal(e.status, k->status);
			if (k->field)
				assert_string_equal(e.field, k->field);
			if (!strstr(e.message, k->message))
				fail_msg("case %zu: '%s' lacks '%s'", i,
					 e.message, k->message);
		}
		json_decref(body);
	}
}

static void test_runs_job(void **state)
{
	struct api_ctx ctx = fx_ctx();
	struct api_err e;
	json_t *body = fx_json(
		"{\"language\":\"c\",\"files\":[{\"name\":\"prog.c\",\"content\":\"int main(){}\"},"
		"{\"name\":\"lib/util.c\",\"content\":\"\"},{\"name\":\"d\",\"content\":\"AAE=\",\"encoding\":\"base64\"}],"
		"\"args\":[\"a b\"],\"compile_flags\":\"-O0\",\"limits\":{\"wall_ms\":500},"
		"\"tests\":[{\"stdin\":\"1\",\"expected_output\":\"2\"},{}]}");
	struct batch_job *j = parse_runs(&ctx, body, &e);

	assert_non_null(j);
	assert_int_equal(j->nfiles, 3);
	assert_string_equal(j->files[0].name, "prog.c");	/* kept: {sources} */
	assert_string_equal(j->files[1].name, "lib/util.c");
	assert_int_equal(j->files[2].len, 2);
	assert_memory_equal(j->files[2].data, "\x00\x01", 2);
	assert_string_equal(j->args[0], "a b");
	assert_null(j->args[1]);
	assert_string_equal(j->compile_flags, "-O0");
	assert_int_equal(j->limits.wall_ms, 500);
	assert_int_equal(j->limits.cpu_ms, 0);	/* 0: the server's */
	assert_true(j->tests);
	assert_int_equal(j->ncases, 2);
	assert_string_equal(j->cases[0].expected, "2");
	assert_null(j->cases[1].expected);
	batch_job_free(j);
	json_decref(body);

	/* a language whose commands name its file: renamed */
	body = fx_json("{\"language\":\"java\",\"files\":[{\"name\":\"Hello.java\",\"content\":\"x\"}]}");
	j = parse_runs(&ctx, body, &e);
	assert_non_null(j);
	assert_string_equal(j->files[0].name, "Main.java");
	batch_job_free(j);
	json_decref(body);
}

struct seed_case {
	enum parse_seed_kind kind;
	const char *body;
	unsigned status;
	const char *lang;	/* the job's language, or the message */
};

static const struct seed_case seed_cases[] = {
	{ PARSE_SEED_EXECUTE, "{\"code\":\"print(1)\"}", 0, "python" },
	{ PARSE_SEED_EXECUTE, "{\"code\":\"x\",\"language\":\"c\",\"stdin\":\"in\"}", 0, "c" },
	{ PARSE_SEED_EXECUTE, "{\"language\":\"c\"}", 400, "'code' is required and must be a string" },
	{ PARSE_SEED_EXECUTE, "{\"code\":\"x\",\"language\":7}", 400, "'language' must be a string" },
	{ PARSE_SEED_EXECUTE, "{\"code\":\"x\",\"stdin\":7}", 400, "'stdin' must be a string" },
	{ PARSE_SEED_EXECUTE, "{\"code\":\"x\",\"language\":\"cobol\"}", 400, "unknown language 'cobol'" },
	{ PARSE_SEED_EXECUTE, "{\"code\":\"x\",\"language\":\"ruby\"}", 400, "language 'ruby' is not installed on this server" },
	{ PARSE_SEED_RUN_CODE, "{\"code\":\"x\",\"language\":\"c\"}", 0, "python" },
	{ PARSE_SEED_WS, "{\"type\":\"execute\",\"code\":\"x\",\"language\":\"c\"}", 0, "c" },
	{ PARSE_SEED_WS, "{\"type\":\"execute\",\"code\":1}", 400, "'code' must be a string" },
	{ PARSE_SEED_WS, "{\"code\":\"x\",\"language\":\"cobol\"}", 400, "unsupported language 'cobol'" },
};

static void test_seed_table(void **state)
{
	struct api_ctx ctx = fx_ctx();

	for (size_t i = 0; i < sizeof(seed_cases) / sizeof(seed_cases[0]); i++) {
		const struct seed_case *k = &seed_cases[i];
		struct api_err e = { 0 };
		json_t *body = fx_json(k->body);
		struct batch_job *j = parse_seed(&ctx, body, k->kind, &e);

		if (!k->status) {
			if (!j)
				fail_msg("case %zu: %s", i, e.message);
			assert_string_equal(j->lang->id, k->lang);
			assert_int_equal(j->nfiles, 1);
			assert_int_equal(j->ncases, 1);
			batch_job_free(j);
		} else {
			assert_null(j);
			assert_int_equal(e.status, k->status);
			assert_string_equal(e.message, k->lang);
		}
		json_decref(body);
	}
}

static void test_rules(void **state)
{
	struct api_err e;
	struct batch_job *j = batch_job_new(&fx_lang_v[0]);	/* python */

	assert_int_equal(rules_limit_check(0, 10), RULES_LIMIT_LOW);
	assert_int_equal(rules_limit_check(10, 10), RULES_LIMIT_OK);
	assert_int_equal(rules_limit_check(11, 10), RULES_LIMIT_HIGH);
	/* the entry keeps its name ({file}); later files need one */
	assert_int_equal(rules_add_file(j, 0, "app.py", 6, "utf8", "x", 1, &e), 0);
	assert_string_equal(j->files[0].name, "app.py");
	assert_int_equal(rules_add_file(j, 1, NULL, 0, "utf8", "", 0, &e), -EINVAL);
	assert_int_equal(rules_add_file(j, 1, "a\0b", 3, "utf8", "", 0, &e), -EINVAL);
	assert_int_equal(rules_add_file(j, 1, "pkg/m.py", 8, "hex", "4142", 4, &e), 0);
	assert_memory_equal(j->files[1].data, "AB", 2);
	assert_int_equal(rules_add_file(j, 2, "pkg", 3, "utf8", "", 0, &e), -EINVAL);
	assert_string_equal(e.field, "files[2].name");
	batch_job_free(j);
	/* a name cut inside a character still makes a UTF-8 message */
	char name[400];
	memset(name, 'a', sizeof(name));
	memcpy(name + 99, "\xc3\xa9", 2);
	name[200] = '/';
	name[sizeof(name) - 1] = '\0';
	j = batch_job_new(&fx_lang_v[0]);
	assert_int_equal(rules_add_file(j, 0, name, strlen(name), "utf8", "", 0, &e), 0);
	assert_int_equal(rules_add_file(j, 1, name, strlen(name), "utf8", "", 0, &e), -EINVAL);
	json_t *m = json_string(e.message);
	assert_non_null(m);	/* valid UTF-8: the cut character is dropped */
	json_decref(m);
	assert_non_null(strstr(e.message, "clashes with files[0]"));
	batch_job_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_table),
		cmocka_unit_test(test_runs_job),
		cmocka_unit_test(test_seed_table),
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests_name("parse", tests, fx_setup, fx_teardown);
}
