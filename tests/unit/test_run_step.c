/*
 * test_run_step.c - a step's limits (run_step_limits, pure): the server's
 * maxima, a language's resource overrides, a request lowering them, and a
 * compiler that runs the program's own code held to the run step's CPU
 * time and memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "run/run.h"

static void test_compile_limits(void **state)
{
	struct run_engine e;
	struct lang l;
	struct limits out, req = {.cpu_ms = 500};

	memset(&e, 0, sizeof(e));
	memset(&l, 0, sizeof(l));
	limit_default_batch(&e.max_pipes);
	limit_default_interactive(&e.max_tty);
	limit_default_compile(&e.max_compile);

	/* an ordinary compiler: the compile maxima */
	run_step_limits(&e, &l, RUN_PIPES, RUN_STEP_COMPILE, NULL, &out);
	assert_int_equal(out.cpu_ms, e.max_compile.cpu_ms);
	assert_int_equal(out.memory_bytes, e.max_compile.memory_bytes);

	/* one that runs the program's code: no more than the run step */
	l.compile_runs_code = true;
	run_step_limits(&e, &l, RUN_PIPES, RUN_STEP_COMPILE, NULL, &out);
	assert_int_equal(out.cpu_ms, e.max_pipes.cpu_ms);
	assert_int_equal(out.memory_bytes, e.max_pipes.memory_bytes);
	/* ... the compiler's own wall time, pids and tmpfs stay */
	assert_int_equal(out.wall_ms, e.max_compile.wall_ms);
	assert_int_equal(out.pids, e.max_compile.pids);
	assert_int_equal(out.tmpfs_bytes, e.max_compile.tmpfs_bytes);
	/* the run step of a terminal has other maxima */
	run_step_limits(&e, &l, RUN_TTY, RUN_STEP_COMPILE, NULL, &out);
	assert_int_equal(out.cpu_ms, e.max_tty.cpu_ms < e.max_compile.cpu_ms
					 ? e.max_tty.cpu_ms
					 : e.max_compile.cpu_ms);
	/* a language's memory override of its run step counts */
	l.limits.memory_bytes = 2048ull << 20;
	run_step_limits(&e, &l, RUN_PIPES, RUN_STEP_COMPILE, NULL, &out);
	assert_int_equal(out.memory_bytes, e.max_compile.memory_bytes);
	/* a request may still lower it */
	run_step_limits(&e, &l, RUN_PIPES, RUN_STEP_COMPILE, &req, &out);
	assert_int_equal(out.cpu_ms, 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compile_limits),
	};
	return cmocka_run_group_tests_name("run_step", tests, NULL, NULL);
}
