/*
 * test_piston.c - Piston v2's job parser (proto/piston.c): table-driven
 * messages in Piston's words, the files rule (entry name kept,
 * subdirectories, clashes refused), limits and stdin as Piston sets them,
 * and Piston's signal table with the real-time names results use.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "api_fixture.h"
#include "proto/piston.h"
#include "proto/report.h"

struct job_case {
	const char *body;
	const char *message;	/* NULL: a job */
};

static const struct job_case jobs[] = {
	{ "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"x\"}]}", NULL },
	{ "{\"type\":\"init\",\"language\":\"py\",\"version\":\"3.x\",\"files\":[{\"content\":\"x\"}]}", NULL },
	{ "{}", "language is required as a string" },
	{ "{\"language\":\"python\"}", "version is required as a string" },
	{ "{\"language\":\"python\",\"version\":\"*\"}", "files is required as an array" },
	{ "{\"language\":\"python\",\"version\":\"*\",\"files\":[{}]}", "files[0].content is required as a string" },
	{ "{\"language\":\"python\",\"version\":\"2.x\",\"files\":[{\"content\":\"x\"}]}", "python-2.x runtime is unknown" },
	{ "{\"language\":\"ruby\",\"version\":\"*\",\"files\":[{\"content\":\"x\"}]}", "ruby-* runtime is unknown" },
	{ "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"AA==\",\"encoding\":\"base64\"}]}", "files must include at least one utf8 encoded file" },
	{ "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"x\"}],\"run_timeout\":\"1s\"}", "If specified, run_timeout must be a number" },
	{ "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"x\"}],\"run_timeout\":20001}", "run_timeout cannot exceed the configured limit of 20000" },
	{ "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"x\"}],\"run_memory_limit\":-2}", "run_memory_limit must be non-negative" },
	{ "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"x\"}],\"args\":[{}]}", "args[0] must be a string" },
	{ "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"x\"}],\"stdin\":5}", "stdin must be a string" },
	{ "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"x\"},{\"name\":\"../y\",\"content\":\"\"}]}",
	  "files[1].name \"../y\" is not a valid file path: relative, '/' between directories, no '.' or '..' or empty parts, no control characters, at most 1024 bytes" },
	{ "{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"name\":\"a.py\",\"content\":\"x\"},{\"name\":\"a.py\",\"content\":\"\"}]}",
	  "files[1].name \"a.py\" clashes with files[0] (\"a.py\"): the same name, or a file and a directory of that name" },
};

static void test_jobs(void **state)
{
	struct api_ctx ctx = fx_ctx();

	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		json_t *body = fx_json(jobs[i].body);
		struct api_err e = { 0 };
		struct batch_job *j = piston_job(&ctx, body, &e);

		if (!jobs[i].message) {
			if (!j)
				fail_msg("case %zu: %s", i, e.message);
			batch_job_free(j);
		} else {
			assert_null(j);
			assert_int_equal(e.status, 400);
			if (strcmp(e.message, jobs[i].message))
				fail_msg("case %zu: '%s'", i, e.message);
		}
		json_decref(body);
	}
}

static void test_job_shape(void **state)
{
	struct api_ctx ctx = fx_ctx();
	struct api_err e;
	json_t *body = fx_json(
		"{\"language\":\"c\",\"version\":\"12.x\",\"files\":["
		"{\"name\":\"prog.c\",\"content\":\"int main(){}\"},"
		"{\"name\":\"lib/util.c\",\"content\":\"\"},{\"content\":\"x\"}],"
		"\"args\":[\"1\",2],\"stdin\":\"no newline\",\"run_timeout\":-1,"
		"\"compile_timeout\":0}");
	struct batch_job *j = piston_job(&ctx, body, &e);

	assert_non_null(j);
	assert_string_equal(j->files[0].name, "prog.c");
	assert_string_equal(j->files[1].name, "lib/util.c");
	assert_string_equal(j->files[2].name, "file2.code");
	assert_string_equal(j->args[0], "1");
	assert_string_equal(j->args[1], "2");
	assert_int_equal(j->cases[0].stdin_len, 11);
	assert_memory_equal(j->cases[0].stdin_data, "no newline\n", 11);
	assert_int_equal(j->limits.wall_ms, 20000);	/* -1: the maximum */
	assert_int_equal(j->compile_limits.wall_ms, PISTON_COMPILE_TIMEOUT);
	assert_int_equal(j->limits.cpu_ms, PISTON_RUN_CPU_TIME);
	batch_job_free(j);
	json_decref(body);
	/* the language's file when the first file has no name */
	body = fx_json("{\"language\":\"python\",\"version\":\"*\",\"files\":[{\"content\":\"x\"}]}");
	j = piston_job(&ctx, body, &e);
	assert_string_equal(j->files[0].name, "main.py");
	batch_job_free(j);
	json_decref(body);
}

static void test_signals(void **state)
{
	static const struct { const char *name; int sig; } t[] = {
		{ "SIGINT", SIGINT }, { "SIGKILL", SIGKILL },
		{ "SIGPOLL", SIGIO }, { "SIGIO", SIGIO }, { "SIGCLD", SIGCHLD },
		{ "SIGIOT", SIGABRT }, { "SIGUNUSED", SIGSYS },
		{ "SIGSTKFLT", SIGSTKFLT }, { "SIGWINCH", SIGWINCH },
		{ "SIGEMT", 0 }, { "SIGINFO", 0 }, { "SIGLOST", 0 },
		{ "INT", 0 }, { "SIGint", 0 }, { "", 0 }, { "SIGRTMIN", 0 },
		{ "SIGRTMIN+1", 0 }, { "SIGRTMIN+", 0 }, { "SIGRTMIN+999", 0 },
		{ "SIGRTMIN+1x", 0 }, { "SIGRTMAX-0", 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int want = t[i].sig;
		/* the real-time ones are numbered at run time */
		if (!strcmp(t[i].name, "SIGRTMIN"))
			want = SIGRTMIN;
		else if (!strcmp(t[i].name, "SIGRTMIN+1"))
			want = SIGRTMIN + 1;
		else if (!strcmp(t[i].name, "SIGRTMAX-0"))
			want = SIGRTMAX;
		if (piston_signal(t[i].name) != want)
			fail_msg("%s -> %d, want %d", t[i].name,
				 piston_signal(t[i].name), want);
	}
	char b[32];
	assert_true(report_signal_name(SIGRTMIN + 2, b, sizeof(b)));
	assert_string_equal(b, "SIGRTMIN+2");
	assert_true(report_signal_name(SIGRTMAX - 1, b, sizeof(b)));
	assert_string_equal(b, "SIGRTMAX-1");
	assert_true(report_signal_name(SIGIO, b, sizeof(b)));
	assert_string_equal(b, "SIGPOLL");	/* glibc names 29 "POLL" */
	assert_int_equal(piston_signal(b), SIGIO);
	assert_false(report_signal_name(0, b, sizeof(b)));
	/* every name results use is one a client may send back */
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++) {
		assert_true(report_signal_name(s, b, sizeof(b)));
		assert_int_equal(piston_signal(b), s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobs),
		cmocka_unit_test(test_job_shape),
		cmocka_unit_test(test_signals),
	};
	return cmocka_run_group_tests_name("piston", tests, fx_setup, fx_teardown);
}
