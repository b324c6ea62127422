/*
 * test_run_verdict.c - a finished run's status and message, from the
 * sandbox result and the engine's kill reason: one table row per path.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "run/run.h"
#include "sandbox/sandbox.h"

#define EXITED(code)  W_EXITCODE(code, 0)
#define SIGNALED(sig) W_EXITCODE(0, sig)

struct verdict_case {
	const char *name;
	int wait_status;
	enum sandbox_limit_hit hit;
	enum run_kill_reason why;
	bool truncated;
	int error;	       /* sandbox_result.error */
	const char *error_msg; /* sandbox_result.message */
	/* expected */
	enum run_status status;
	int exit_code;
	int signal;
	const char *message;
};

static const struct verdict_case cases[] = {
    {"exit 0", EXITED(0), SANDBOX_HIT_NONE, RUN_KILL_NONE, false, 0, "", RUN_OK,
     0, 0, "exited with code 0"},
    {"exit 3", EXITED(3), SANDBOX_HIT_NONE, RUN_KILL_NONE, false, 0, "",
     RUN_RUNTIME_ERROR, 3, 0, "exited with code 3"},
    {"exit 255", EXITED(255), SANDBOX_HIT_NONE, RUN_KILL_NONE, false, 0, "",
     RUN_RUNTIME_ERROR, 255, 0, "exited with code 255"},
    {"SIGSEGV", SIGNALED(SIGSEGV), SANDBOX_HIT_NONE, RUN_KILL_NONE, false, 0,
     "", RUN_SIGNAL, -1, SIGSEGV,
     "killed by signal SIGSEGV (Segmentation fault)"},
    {"SIGABRT", SIGNALED(SIGABRT), SANDBOX_HIT_NONE, RUN_KILL_NONE, false, 0,
     "", RUN_SIGNAL, -1, SIGABRT, "killed by signal SIGABRT (Aborted)"},
    {"SIGXCPU (rlimit)", SIGNALED(SIGXCPU), SANDBOX_HIT_NONE, RUN_KILL_NONE,
     false, 0, "", RUN_CPU_LIMIT, -1, SIGXCPU,
     "CPU time limit of 10 s exceeded"},
    {"sandbox cpu", SIGNALED(SIGKILL), SANDBOX_HIT_CPU, RUN_KILL_NONE, false, 0,
     "", RUN_CPU_LIMIT, -1, SIGKILL, "CPU time limit of 10 s exceeded"},
    {"sandbox memory", SIGNALED(SIGKILL), SANDBOX_HIT_MEMORY, RUN_KILL_NONE,
     false, 0, "", RUN_MEMORY_LIMIT, -1, SIGKILL,
     "memory limit of 512 MiB exceeded"},
    {"sandbox memory, program exited 1", EXITED(1), SANDBOX_HIT_MEMORY,
     RUN_KILL_NONE, false, 0, "", RUN_MEMORY_LIMIT, 1, 0,
     "memory limit of 512 MiB exceeded"},
    {"sandbox pids", EXITED(1), SANDBOX_HIT_PIDS, RUN_KILL_NONE, false, 0, "",
     RUN_PIDS_LIMIT, 1, 0, "process limit of 128 reached"},
    {"sandbox wall", SIGNALED(SIGKILL), SANDBOX_HIT_WALL, RUN_KILL_NONE, false,
     0, "", RUN_WALL_LIMIT, -1, SIGKILL, "wall time limit of 20 s exceeded"},
    {"engine wall", SIGNALED(SIGKILL), SANDBOX_HIT_NONE, RUN_KILL_WALL, false,
     0, "", RUN_WALL_LIMIT, -1, SIGKILL, "wall time limit of 20 s exceeded"},
    {"user stop", SIGNALED(SIGKILL), SANDBOX_HIT_NONE, RUN_KILL_USER, false, 0,
     "", RUN_KILLED, -1, SIGKILL, "stopped"},
    {"user stop, exited first", EXITED(0), SANDBOX_HIT_NONE, RUN_KILL_USER,
     false, 0, "", RUN_KILLED, 0, 0, "stopped"},
    {"output kill", SIGNALED(SIGKILL), SANDBOX_HIT_NONE, RUN_KILL_OUTPUT, false,
     0, "", RUN_OUTPUT_LIMIT, -1, SIGKILL, "output limit of 1 MiB exceeded"},
    {"orphaned", SIGNALED(SIGKILL), SANDBOX_HIT_NONE, RUN_KILL_ORPHANED, false,
     0, "", RUN_KILLED, -1, SIGKILL, "killed: no client attached"},
    {"shutdown", SIGNALED(SIGKILL), SANDBOX_HIT_NONE, RUN_KILL_SHUTDOWN, false,
     0, "", RUN_KILLED, -1, SIGKILL, "killed: the server is shutting down"},
    {"truncated output, exit 0", EXITED(0), SANDBOX_HIT_NONE, RUN_KILL_NONE,
     true, 0, "", RUN_OUTPUT_LIMIT, 0, 0, "output limit of 1 MiB exceeded"},
    {"truncated output beats a user stop", SIGNALED(SIGKILL), SANDBOX_HIT_NONE,
     RUN_KILL_USER, true, 0, "", RUN_OUTPUT_LIMIT, -1, SIGKILL,
     "output limit of 1 MiB exceeded"},
    {"wall beats a cpu hit", SIGNALED(SIGKILL), SANDBOX_HIT_CPU, RUN_KILL_WALL,
     false, 0, "", RUN_WALL_LIMIT, -1, SIGKILL,
     "wall time limit of 20 s exceeded"},
    {"spawn error with message", 0, SANDBOX_HIT_NONE, RUN_KILL_NONE, false,
     -ENOENT, "cannot exec '/usr/bin/python3': No such file",
     RUN_INTERNAL_ERROR, -1, 0,
     "the program could not be started: cannot exec '/usr/bin/python3': "
     "No such file"},
    {"spawn error without message", 0, SANDBOX_HIT_NONE, RUN_KILL_USER, true,
     -EAGAIN, "", RUN_INTERNAL_ERROR, -1, 0,
     "the program could not be started: Resource temporarily unavailable"},
};

static void test_verdict_table(void **state)
{
	struct limits lim;

	limit_default_batch(&lim); /* 10 s cpu, 20 s wall, 1 MiB out */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct verdict_case *c = &cases[i];
		struct sandbox_result sres;
		struct run_result res;

		memset(&sres, 0, sizeof(sres));
		memset(&res, 0x5a, sizeof(res)); /* stale garbage */
		sres.status = c->wait_status;
		sres.hit = c->hit;
		sres.killed =
		    c->hit != SANDBOX_HIT_NONE || c->why != RUN_KILL_NONE;
		sres.error = c->error;
		snprintf(sres.message, sizeof(sres.message), "%s",
			 c->error_msg);
		run_verdict(&sres, c->why, &lim, c->truncated, &res);
		if (res.status != c->status || res.exit_code != c->exit_code ||
		    res.signal != c->signal ||
		    strncmp(res.message, c->message, sizeof(res.message)))
			fail_msg(
			    "%s: status %s code %d signal %d message '%.256s'",
			    c->name, run_status_name(res.status), res.exit_code,
			    res.signal, res.message);
	}
}

static void test_limits_in_message(void **state)
{
	/* The message shows the run's own (lowered) limits. */
	struct limits lim = {.cpu_ms = 1500,
			     .wall_ms = 250,
			     .memory_bytes = 64 << 20,
			     .output_bytes = 17,
			     .pids = 3};
	struct sandbox_result sres = {.status = SIGNALED(SIGKILL)};
	struct run_result res;

	sres.hit = SANDBOX_HIT_CPU;
	run_verdict(&sres, RUN_KILL_NONE, &lim, false, &res);
	assert_string_equal(res.message, "CPU time limit of 1.5 s exceeded");
	sres.hit = SANDBOX_HIT_WALL;
	run_verdict(&sres, RUN_KILL_NONE, &lim, false, &res);
	assert_string_equal(res.message, "wall time limit of 250 ms exceeded");
	sres.hit = SANDBOX_HIT_MEMORY;
	run_verdict(&sres, RUN_KILL_NONE, &lim, false, &res);
	assert_string_equal(res.message, "memory limit of 64 MiB exceeded");
	sres.hit = SANDBOX_HIT_PIDS;
	run_verdict(&sres, RUN_KILL_NONE, &lim, false, &res);
	assert_string_equal(res.message, "process limit of 3 reached");
	sres.hit = SANDBOX_HIT_NONE;
	run_verdict(&sres, RUN_KILL_OUTPUT, &lim, false, &res);
	assert_string_equal(res.message, "output limit of 17 bytes exceeded");
	/* the rate limit says which limit, even with the output cut */
	lim.output_rate = 1 << 20;
	lim.output_burst = 16 << 20;
	run_verdict(&sres, RUN_KILL_OUTPUT_RATE, &lim, true, &res);
	assert_int_equal(res.status, RUN_OUTPUT_LIMIT);
	assert_string_equal(res.message,
			    "output rate limit exceeded: more than 16 MiB at "
			    "once, then more than 1 MiB a second (a terminal "
			    "cannot show that much: print less often, or write "
			    "to a file)");
}

static void test_long_error_message_bounded(void **state)
{
	struct sandbox_result sres = {.error = -EIO};
	struct run_result res;
	struct limits lim;

	limit_default_interactive(&lim);
	memset(sres.message, 'x', sizeof(sres.message) - 1);
	sres.message[sizeof(sres.message) - 1] = '\0';
	run_verdict(&sres, RUN_KILL_NONE, &lim, false, &res);
	assert_int_equal(res.status, RUN_INTERNAL_ERROR);
	assert_true(strnlen(res.message, sizeof(res.message)) <
		    sizeof(res.message));
	assert_int_equal(
	    strncmp(res.message, "the program could not be started: xxx", 37),
	    0);
}

static void test_status_names(void **state)
{
	assert_string_equal(run_status_name(RUN_OK), "ok");
	assert_string_equal(run_status_name(RUN_RUNTIME_ERROR),
			    "runtime_error");
	assert_string_equal(run_status_name(RUN_SIGNAL), "signal");
	assert_string_equal(run_status_name(RUN_KILLED), "killed");
	assert_string_equal(run_status_name(RUN_CPU_LIMIT), "cpu_limit");
	assert_string_equal(run_status_name(RUN_WALL_LIMIT), "wall_limit");
	assert_string_equal(run_status_name(RUN_MEMORY_LIMIT), "memory_limit");
	assert_string_equal(run_status_name(RUN_OUTPUT_LIMIT), "output_limit");
	assert_string_equal(run_status_name(RUN_PIDS_LIMIT), "pids_limit");
	assert_string_equal(run_status_name(RUN_INTERNAL_ERROR),
			    "internal_error");
	assert_string_equal(run_status_name((enum run_status)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdict_table),
	    cmocka_unit_test(test_limits_in_message),
	    cmocka_unit_test(test_long_error_message_bounded),
	    cmocka_unit_test(test_status_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
