/*
 * run_verdict.c - a finished step's status and message, from the sandbox's
 * report and the reason the engine killed it, if it did.
 *
 * Pure: no run, no loop, no syscalls; tests/unit/test_run_verdict.c drives
 * it directly.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "run/run.h"
#include "sandbox/sandbox.h"

const char *run_status_name(enum run_status s)
{
	static const char *const names[] = {
		[RUN_OK] = "ok",
		[RUN_RUNTIME_ERROR] = "runtime_error",
		[RUN_SIGNAL] = "signal",
		[RUN_KILLED] = "killed",
		[RUN_CPU_LIMIT] = "cpu_limit",
		[RUN_WALL_LIMIT] = "wall_limit",
		[RUN_MEMORY_LIMIT] = "memory_limit",
		[RUN_OUTPUT_LIMIT] = "output_limit",
		[RUN_PIDS_LIMIT] = "pids_limit",
		[RUN_INTERNAL_ERROR] = "internal_error",
		[RUN_COMPILE_ERROR] = "compile_error",
		[RUN_WORKER_LOST] = "worker_lost",
		[RUN_SERVER_BUSY] = "server_busy",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void run_verdict(const struct sandbox_result *sres, enum run_kill_reason why,
		 const struct limits *lim, bool output_truncated,
		 struct run_result *out)
{
	char a[32];
	int st = sres->status;

	out->exit_code = -1;
	out->signal = 0;
	if (sres->lost) {
		out->status = RUN_INTERNAL_ERROR;
		snprintf(out->message, sizeof(out->message),
			 "internal error: %.200s", sres->message);
		return;
	}
	if (sres->error) {
		out->status = RUN_INTERNAL_ERROR;
		snprintf(out->message, sizeof(out->message),
			 "the program could not be started: %.200s",
			 sres->message[0] ? sres->message : strerror(-sres->error));
		return;
	}
	if (WIFEXITED(st))
		out->exit_code = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		out->signal = WTERMSIG(st);

	if (why == RUN_KILL_OUTPUT_RATE) {
		char b[32];
		out->status = RUN_OUTPUT_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "output rate limit exceeded: more than %s at once, then "
			 "more than %s a second (a terminal cannot show that "
			 "much: print less often, or write to a file)",
			 limit_fmt_bytes(lim->output_burst, b, sizeof(b)),
			 limit_fmt_bytes(lim->output_rate, a, sizeof(a)));
	} else if (why == RUN_KILL_OUTPUT || output_truncated) {
		out->status = RUN_OUTPUT_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "output limit of %s exceeded",
			 limit_fmt_bytes(lim->output_bytes, a, sizeof(a)));
	} else if (why == RUN_KILL_WALL || sres->hit == SANDBOX_HIT_WALL) {
		out->status = RUN_WALL_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "wall time limit of %s exceeded",
			 limit_fmt_ms(lim->wall_ms, a, sizeof(a)));
	} else if (why == RUN_KILL_USER) {
		out->status = RUN_KILLED;
		snprintf(out->message, sizeof(out->message), "stopped");
	} else if (why == RUN_KILL_ORPHANED) {
		out->status = RUN_KILLED;
		snprintf(out->message, sizeof(out->message),
			 "killed: no client attached");
	} else if (why == RUN_KILL_IDLE) {
		out->status = RUN_KILLED;
		snprintf(out->message, sizeof(out->message),
			 "killed: waited for input with nobody typing");
	} else if (why == RUN_KILL_SHUTDOWN) {
		out->status = RUN_KILLED;
		snprintf(out->message, sizeof(out->message),
			 "killed: the server is shutting down");
	} else if (sres->hit == SANDBOX_HIT_CPU ||
		   (out->signal == SIGXCPU)) {
		out->status = RUN_CPU_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "CPU time limit of %s exceeded",
			 limit_fmt_ms(lim->cpu_ms, a, sizeof(a)));
	} else if (sres->hit == SANDBOX_HIT_MEMORY) {
		out->status = RUN_MEMORY_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "memory limit of %s exceeded",
			 limit_fmt_bytes(lim->memory_bytes, a, sizeof(a)));
	} else if (sres->hit == SANDBOX_HIT_PIDS) {
		out->status = RUN_PIDS_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "process limit of %u reached", lim->pids);
	} else if (out->signal) {
		const char *abbrev = sigabbrev_np(out->signal);
		out->status = RUN_SIGNAL;
		snprintf(out->message, sizeof(out->message),
			 "killed by signal SIG%s (%s)", abbrev ? abbrev : "?",
			 strsignal(out->signal));
	} else if (out->exit_code == 0) {
		out->status = RUN_OK;
		snprintf(out->message, sizeof(out->message), "exited with code 0");
	} else {
		out->status = RUN_RUNTIME_ERROR;
		snprintf(out->message, sizeof(out->message),
			 "exited with code %d", out->exit_code);
	}
}

void run_main_step(const struct run_result *r, struct run_step_result *s)
{
	memset(s, 0, sizeof(*s));
	s->status = r->status;
	s->exit_code = r->exit_code;
	s->signal = r->signal;
	s->wall_ms = r->wall_ms;
	s->cpu_ms = r->cpu_ms;
	s->memory_bytes = r->memory_bytes;
	memcpy(s->bytes, r->bytes, sizeof(s->bytes));
	memcpy(s->truncated, r->truncated, sizeof(s->truncated));
	memcpy(s->message, r->message, sizeof(s->message));
}
