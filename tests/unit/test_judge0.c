/*
 * test_judge0.c - Judge0 CE 1.13's shapes (proto/judge0.c): the request
 * parser (table-driven: Judge0's validation messages), defaults and units,
 * the job a submission becomes, the verdict of every way a run can end,
 * ?fields, rendering (order, decimals, Base64 layout) and the stored row.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "api_fixture.h"
#include "proto/judge0.h"
#include "store/store_judge0.h"

static struct judge0_config cfg;

static int setup(void **state)
{
	if (fx_setup(state))
		return -1;
	struct api_ctx ctx = fx_ctx();
	judge0_config_init(&cfg, &ctx);
	cfg.enable_callbacks = true;
	return 0;
}

struct parse_case {
	const char *body;
	bool base64;
	const char *errors;	/* the expected 422 object, or NULL */
};

static const struct parse_case cases[] = {
	{ "{\"source_code\":\"print(1)\",\"language_id\":71}", false, NULL },
	{ "{\"source_code\":\"print(1)\",\"language_id\":\"71\"}", false, NULL },
	{ "{\"source_code\":\"cHJpbnQoMSk=\\n\",\"language_id\":71}", true, NULL },
	{ "{\"source_code\":\"x\"}", false, "{\"language_id\":[\"can't be blank\"]}" },
	{ "{\"language_id\":71}", false, "{\"source_code\":[\"can't be blank\"]}" },
	{ "{\"source_code\":\"  \\n\",\"language_id\":71}", false, "{\"source_code\":[\"can't be blank\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":150000}", false, "{\"language_id\":[\"language with id 150000 doesn't exist\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":72}", false, "{\"language_id\":[\"language with id 72 doesn't exist\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":71.5}", false, "{\"language_id\":[\"language with id 71.5 doesn't exist\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":\"py\"}", false, "{\"language_id\":[\"is not a number\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":71,\"cpu_time_limit\":10.5,\"cpu_extra_time\":6,\"wall_time_limit\":0.5}", false,
	  "{\"cpu_time_limit\":[\"must be less than or equal to 10.0\"],\"cpu_extra_time\":[\"must be less than or equal to 5.0\"],\"wall_time_limit\":[\"must be greater than or equal to 1.0\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":71,\"memory_limit\":512001,\"stack_limit\":-1,\"max_file_size\":1025,\"number_of_runs\":21}", false,
	  "{\"number_of_runs\":[\"must be less than or equal to 20\"],\"memory_limit\":[\"must be less than or equal to 512000\"],\"stack_limit\":[\"must be greater than or equal to 0\"],\"max_file_size\":[\"must be less than or equal to 1024\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":71,\"max_processes_and_or_threads\":0}", false, "{\"max_processes_and_or_threads\":[\"must be greater than 0\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":71,\"enable_per_process_and_thread_time_limit\":true,\"enable_per_process_and_thread_memory_limit\":\"true\"}", false,
	  "{\"enable_per_process_and_thread_time_limit\":[\"this option cannot be enabled\"],\"enable_per_process_and_thread_memory_limit\":[\"this option cannot be enabled\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":71,\"enable_network\":true}", false, "{\"enable_network\":[\"enabling network is not allowed\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":71,\"compiler_options\":\"-O2\"}", false, "{\"compiler_options\":[\"setting compiler options is only allowed for compiled languages\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":50,\"compiler_options\":\"-O2\",\"command_line_arguments\":\"a b\"}", false, NULL },
	/* a compiler option that would run a program: refused, named */
	{ "{\"source_code\":\"x\",\"language_id\":50,\"compiler_options\":\"-O2 -wrapper /bin/sh\"}", false, "{\"compiler_options\":[\"'-wrapper' is not allowed for c (the allowed flags: GET /api/languages, compile_flags)\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":71,\"additional_files\":\"UEsFBg==\"}", false, "{\"additional_files\":[\"setting additional files is not allowed\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":71,\"callback_url\":5}", false, "{\"callback_url\":[\"is invalid\"]}" },
	{ "{\"source_code\":\"x\",\"language_id\":71,\"callback_url\":\"\"}", false, NULL },
	{ "{\"source_code\":\"***\",\"language_id\":71}", true, "{\"source_code\":[\"is not valid Base64 (base64_encoded=true)\"]}" },
	{ "[1]", false, "{\"submission\":[\"must be a JSON object\"]}" },
};

static void test_parse_table(void **state)
{
	struct api_ctx ctx = fx_ctx();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *k = &cases[i];
		json_t *body = fx_json(k->body), *errors = NULL;
		struct judge0_sub s;
		struct api_err e;
		int r = judge0_parse(&ctx, &cfg, body, k->base64, &s, &errors, &e);

		if (!k->errors) {
			if (r)
				fail_msg("case %zu: %s -> %s", i, k->body,
					 json_dumps(errors, JSON_COMPACT));
			judge0_sub_release(&s);
		} else {
			json_t *want = fx_json(k->errors);
			assert_int_equal(r, -EINVAL);
			assert_int_equal(e.status, 422);
			if (!json_equal(errors, want))
				fail_msg("case %zu: got %s", i,
					 json_dumps(errors, JSON_COMPACT));
			json_decref(want);
			json_decref(errors);
		}
		json_decref(body);
	}
}

static void test_defaults_and_job(void **state)
{
	struct api_ctx ctx = fx_ctx();
	json_t *body, *errors;
	struct judge0_sub s;
	struct api_err e;
	struct batch_job *j;

	body = fx_json("{\"source_code\":\"x\",\"language_id\":50,\"stdin\":\"in\","
		       "\"compiler_options\":\"-DX=1 `-O2` $-Wall\","
		       "\"command_line_arguments\":\"a 'b c' \\\"d\\\\\\\"e\\\" f\\\\ g;\","
		       "\"cpu_time_limit\":1.5,\"cpu_extra_time\":0.25,\"wall_time_limit\":3,"
		       "\"memory_limit\":65536,\"max_file_size\":10,\"number_of_runs\":3}");
	assert_int_equal(judge0_parse(&ctx, &cfg, body, false, &s, &errors, &e), 0);
	assert_int_equal(s.status_id, J0_IN_QUEUE);
	assert_int_equal(s.stack_limit, 64000);		/* Judge0's defaults */
	assert_int_equal(s.max_processes_and_or_threads, 60);
	j = judge0_job(&ctx, &s);
	assert_non_null(j);
	assert_int_equal(j->limits.cpu_ms, 1750);	/* limit + extra time */
	assert_int_equal(j->limits.wall_ms, 3000);
	assert_int_equal(j->limits.memory_bytes, 65536 * 1024);	/* KB */
	assert_int_equal(j->limits.output_bytes, 10 * 1024);
	assert_int_equal(j->limits.pids, 60);
	assert_string_equal(j->compile_flags, "-DX=1 -O2 -Wall"); /* $` gone */
	assert_string_equal(j->args[0], "a");
	assert_string_equal(j->args[1], "b c");
	assert_string_equal(j->args[2], "d\"e");
	assert_string_equal(j->args[3], "f g");
	assert_null(j->args[4]);
	assert_int_equal(j->ncases, 3);
	assert_memory_equal(j->cases[2].stdin_data, "in", 2);
	assert_string_equal(j->files[0].name, "main.c");
	batch_job_free(j);
	judge0_sub_release(&s);
	json_decref(body);

	/* the JVM: its table's pids, not Judge0's 60 */
	body = fx_json("{\"source_code\":\"class Main{}\",\"language_id\":62}");
	assert_int_equal(judge0_parse(&ctx, &cfg, body, false, &s, &errors, &e), 0);
	assert_int_equal(s.max_processes_and_or_threads, 256);
	judge0_sub_release(&s);
	json_decref(body);
}

/* A finished one-case job for language l with this run result. */
static struct batch_job *finished_job(const struct lang *l, enum run_status st,
				      int code, int sig, uint64_t cpu_ms,
				      const char *out, const char *expected)
{
	struct batch_job *j = batch_job_new(l);

	batch_add_case(j, "", 0, expected, expected ? strlen(expected) : 0);
	for (int i = 0; i < 3; i++) {
		buf_init(&j->cases[0].out.b[i], 1 << 16);
		buf_init(&j->compile_out.b[i], 1 << 16);
	}
	buf_append(&j->cases[0].out.b[RUN_STDOUT], out, strlen(out));
	buf_append(&j->cases[0].out.b[0], out, strlen(out));
	j->cases[0].done = true;
	struct run_result *r = &j->cases[0].res;
	r->status = st;
	r->exit_code = code;
	r->signal = sig;
	r->cpu_ms = cpu_ms;
	r->wall_ms = cpu_ms + 5;
	r->memory_bytes = 1024 * 1000;
	r->ran = st != RUN_COMPILE_ERROR && st != RUN_INTERNAL_ERROR;
	snprintf(r->message, sizeof(r->message), "why");
	return j;
}

struct verdict_case {
	enum run_status st;
	int code, sig;
	uint64_t cpu_ms;
	const char *out, *expected;
	int status_id;
	const char *message;	/* NULL: null */
	int exit_code, exit_signal;	/* -1: null */
};

static const struct verdict_case verdicts[] = {
	{ RUN_OK, 0, 0, 10, "42\n", NULL, 3, NULL, 0, -1 },
	{ RUN_OK, 0, 0, 10, "42 \n\n", "42", 3, NULL, 0, -1 },
	{ RUN_OK, 0, 0, 10, "41\n", "42", 4, NULL, 0, -1 },
	{ RUN_RUNTIME_ERROR, 3, 0, 10, "", NULL, 11, "Exited with error status 3", 3, -1 },
	{ RUN_SIGNAL, -1, SIGSEGV, 10, "", NULL, 7, "Caught fatal signal 11", 0, 11 },
	{ RUN_SIGNAL, -1, SIGFPE, 10, "", NULL, 9, "Caught fatal signal 8", 0, 8 },
	{ RUN_SIGNAL, -1, SIGABRT, 10, "", NULL, 10, "Caught fatal signal 6", 0, 6 },
	{ RUN_SIGNAL, -1, SIGXFSZ, 10, "", NULL, 8, "Caught fatal signal 25", 0, 25 },
	{ RUN_SIGNAL, -1, SIGTERM, 10, "", NULL, 12, "Caught fatal signal 15", 0, 15 },
	{ RUN_CPU_LIMIT, -1, SIGKILL, 2000, "", NULL, 5, "Time limit exceeded", 0, 9 },
	{ RUN_WALL_LIMIT, -1, 0, 10, "", NULL, 5, "Time limit exceeded (wall clock)", 0, 9 },
	{ RUN_MEMORY_LIMIT, -1, SIGKILL, 10, "", NULL, 12, "Caught fatal signal 9", 0, 9 },
	{ RUN_OUTPUT_LIMIT, -1, 0, 10, "yyyy", NULL, 8, "Caught fatal signal 25", 0, 25 },
	{ RUN_PIDS_LIMIT, 1, 0, 10, "", NULL, 11, "Exited with error status 1", 1, -1 },
	{ RUN_INTERNAL_ERROR, -1, 0, 0, "", NULL, 13, "why", -1, -1 },
	/* ended within the extra time, past the limit: Judge0 says TLE */
	{ RUN_OK, 0, 0, 1200, "42\n", "42", 5, "Time limit exceeded", 0, -1 },
};

static void test_verdicts(void **state)
{
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++) {
		const struct verdict_case *k = &verdicts[i];
		struct batch_job *j = finished_job(&fx_lang_v[0], k->st, k->code,
						   k->sig, k->cpu_ms, k->out,
						   k->expected);
		struct judge0_sub s = { .cpu_time_limit = 1.0 };
		assert_int_equal(judge0_result(&s, j), 0);
		if (s.status_id != k->status_id)
			fail_msg("case %zu: status %d, want %d", i, s.status_id,
				 k->status_id);
		if (k->message)
			assert_string_equal(s.message, k->message);
		else
			assert_null(s.message);
		assert_int_equal(s.has_exit_code, k->exit_code >= 0);
		if (k->exit_code >= 0)
			assert_int_equal(s.exit_code, k->exit_code);
		assert_int_equal(s.has_exit_signal, k->exit_signal >= 0);
		if (k->exit_signal >= 0)
			assert_int_equal(s.exit_signal, k->exit_signal);
		if (k->st != RUN_INTERNAL_ERROR) {
			assert_true(s.has_time);
			assert_int_equal(s.memory, 1000);	/* KB */
		}
		judge0_sub_release(&s);
		batch_job_free(j);
	}
}

static void test_compile_error_and_runs(void **state)
{
	struct batch_job *j = finished_job(&fx_lang_v[1], RUN_COMPILE_ERROR, 1, 0,
					   0, "", NULL);
	struct judge0_sub s = { .cpu_time_limit = 1.0 };

	buf_append(&j->compile_out.b[0], "main.c:1: error\n", 16);
	assert_int_equal(judge0_result(&s, j), 0);
	assert_int_equal(s.status_id, J0_COMPILE_ERROR);
	assert_string_equal(s.text[J0_COMPILE].p, "main.c:1: error\n");
	assert_false(s.has_time);
	assert_false(s.has_exit_code);
	assert_null(s.text[J0_STDOUT].p);
	judge0_sub_release(&s);
	batch_job_free(j);

	/* a compile that ran out of time: Judge0's own words */
	j = finished_job(&fx_lang_v[1], RUN_COMPILE_ERROR, -1, 9, 0, "", NULL);
	j->have_compile = true;
	j->compile_res.compile.status = RUN_CPU_LIMIT;
	memset(&s, 0, sizeof(s));
	assert_int_equal(judge0_result(&s, j), 0);
	assert_string_equal(s.text[J0_COMPILE].p, "Compilation time limit exceeded.");
	judge0_sub_release(&s);
	batch_job_free(j);

	/* three runs: time and memory are averaged; stop at the first
	 * that is not accepted */
	j = finished_job(&fx_lang_v[0], RUN_OK, 0, 0, 10, "a\n", "a");
	batch_add_case(j, "", 0, "a", 1);
	batch_add_case(j, "", 0, "a", 1);
	for (int i = 1; i < 3; i++) {
		struct batch_case *k = &j->cases[i];
		for (int b = 0; b < 3; b++)
			buf_init(&k->out.b[b], 1 << 16);
		k->done = true;
		k->res = j->cases[0].res;
		k->res.cpu_ms = 20 * (uint64_t)i + 10;	/* 30, 50 */
		buf_append(&k->out.b[RUN_STDOUT], i == 2 ? "b\n" : "a\n", 2);
	}
	memset(&s, 0, sizeof(s));
	s.cpu_time_limit = 1.0;
	assert_int_equal(judge0_result(&s, j), 0);
	assert_int_equal(s.status_id, J0_WRONG_ANSWER);
	assert_string_equal(s.text[J0_STDOUT].p, "b\n");
	assert_true(s.time > 0.0299 && s.time < 0.0301);	/* (10+30+50)/3 ms */
	judge0_sub_release(&s);
	batch_job_free(j);
}

static void test_formats(void **state)
{
	char b[64];
	static const struct { double v; const char *s; } dec[] = {
		{ 0.001, "0.001" }, { 0.0125, "0.013" }, { 5, "5.0" },
		{ 1.5, "1.5" }, { 0, "0.0" }, { 12.34, "12.34" },
	};

	for (size_t i = 0; i < sizeof(dec) / sizeof(dec[0]); i++) {
		judge0_decimal(dec[i].v, b, sizeof(b));
		assert_string_equal(b, dec[i].s);
	}
	judge0_time(1764597600123LL, b, sizeof(b));
	assert_string_equal(b, "2025-12-01T14:00:00.123Z");
	assert_string_equal(judge0_status_name(3), "Accepted");
	assert_string_equal(judge0_status_name(14), "Exec Format Error");
	assert_string_equal(judge0_status_name(15), "");

	uint64_t set, def;
	struct api_err e;
	assert_int_equal(judge0_fields(NULL, &def, &e), 0);
	assert_int_equal(judge0_fields("", &set, &e), 0);
	assert_true(set == def);
	assert_int_equal(judge0_fields("stdout,nope,x", &set, &e), -EINVAL);
	assert_string_equal(e.message, "invalid fields: [nope, x]");
	assert_int_equal(judge0_fields("*", &set, &e), 0);
	assert_true(set == (((uint64_t)1 << 35) - 1));
}

static void test_render(void **state)
{
	struct judge0_sub s = { .status_id = 3, .language_id = 71,
				.lang = &fx_lang_v[0], .has_time = true,
				.time = 0.002, .memory = 376 };
	uint64_t set;
	struct api_err e;
	bool u;

	snprintf(s.token, sizeof(s.token), "d85cd024-1548-4165-96c7-7bc88673f194");
	s.text[J0_STDOUT].p = strdup("hello, Judge0\n");
	s.text[J0_STDOUT].n = 14;
	judge0_fields(NULL, &set, &e);
	json_t *o = judge0_render(&s, set, false, &u);
	char *d = json_dumps(o, JSON_COMPACT);
	/* Judge0's documented default response, field for field, in order */
	assert_string_equal(d, "{\"stdout\":\"hello, Judge0\\n\",\"time\":\"0.002\","
			    "\"memory\":376,\"stderr\":null,\"token\":"
			    "\"d85cd024-1548-4165-96c7-7bc88673f194\","
			    "\"compile_output\":null,\"message\":null,\"status\":"
			    "{\"id\":3,\"description\":\"Accepted\"}}");
	free(d);
	json_decref(o);
	o = judge0_render(&s, set, true, &u);
	assert_string_equal(json_string_value(json_object_get(o, "stdout")),
			    "aGVsbG8sIEp1ZGdlMAo=\n");	/* as in Judge0's docs */
	json_decref(o);
	/* not UTF-8: only with Base64 */
	free(s.text[J0_STDOUT].p);
	s.text[J0_STDOUT].p = strdup("\xfe\xff");
	s.text[J0_STDOUT].n = 2;
	assert_null(judge0_render(&s, set, false, &u));
	assert_true(u);
	judge0_fields("language,status_id", &set, &e);
	o = judge0_render(&s, set, false, &u);
	d = json_dumps(o, JSON_COMPACT);
	assert_string_equal(d, "{\"status_id\":3,\"language\":{\"id\":71,\"name\":"
			    "\"Python (3.11.2)\"}}");
	free(d);
	json_decref(o);
	judge0_sub_release(&s);
}

static void test_row_roundtrip(void **state)
{
	struct api_ctx ctx = fx_ctx();
	json_t *body = fx_json("{\"source_code\":\"x\",\"language_id\":50,"
			       "\"stdin\":\"in\",\"compiler_options\":\"-O0\","
			       "\"cpu_time_limit\":0.75,\"callback_url\":\"http://h/\"}");
	struct judge0_sub s, back;
	struct store_judge0 row;
	json_t *errors;
	struct api_err e;
	bool u;

	assert_int_equal(judge0_parse(&ctx, &cfg, body, false, &s, &errors, &e), 0);
	snprintf(s.token, sizeof(s.token), "00000000-0000-4000-8000-000000000001");
	s.status_id = J0_NZEC;
	s.finished_ms = 1000;
	s.has_time = s.has_exit_code = true;
	s.exit_code = 3;
	s.message = strdup("Exited with error status 3");
	assert_int_equal(judge0_to_row(&s, &row), 0);
	/* the row borrows the texts: give from_row copies to take */
	for (int i = 0; i < STORE_JUDGE0_TEXTS; i++)
		if (row.text[i].p)
			row.text[i].p = strdup(row.text[i].p);
	assert_int_equal(judge0_from_row(&fx_langs, &row, &back), 0);
	store_judge0_release(&row);
	json_t *a = judge0_render(&s, ~(uint64_t)0 >> 29, false, &u);
	json_t *b = judge0_render(&back, ~(uint64_t)0 >> 29, false, &u);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	judge0_sub_release(&back);
	judge0_sub_release(&s);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_defaults_and_job),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_compile_error_and_runs),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_row_roundtrip),
	};
	return cmocka_run_group_tests_name("judge0", tests, setup, fx_teardown);
}
