/*
 * test_sandbox_restart.c - the spawner dies or hangs; the sandbox goes on.
 *
 * A real kill -9 (and SIGSTOP) of the spawner, found as the supervisor's
 * child in /proc by pid only: its runs end as lost with a message, a new
 * spawner comes up, new runs work, and a stopped spawner is declared dead
 * by the heartbeat and replaced. Killing the supervisor leaves the
 * sandbox down, saying so. Needs root; skipped otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "sandbox/sandbox.h"
#include "sandbox_test.h"

static uv_loop_t loop;
static struct sandbox *sb;

struct ctx {
	uint64_t id;
	struct ctx *then;	/* spawned from exited(), like a queue would */
	bool spawned, exited;
	int spawn_err, exited_calls;
	pid_t prog;
	int out_fd;
	char out[256];
	size_t len;
	struct sandbox_result res;
};

static void on_spawned(void *data, int err, const struct sandbox_proc *p)
{
	struct ctx *c = data;

	c->spawned = true;
	c->spawn_err = err;
	if (err)
		return;
	c->prog = p->pid;
	c->out_fd = p->stdout_fd;
	close(p->stdin_fd);
	close(p->stderr_fd);
}

static void spawn(struct ctx *c, const char *cmd);

static void on_exited(void *data, const struct sandbox_result *res)
{
	struct ctx *c = data;

	c->exited = true;
	c->exited_calls++;
	c->res = *res;
	if (c->out_fd > 0) {	/* what the program wrote (pipe, at EOF) */
		ssize_t n;
		while ((n = read(c->out_fd, c->out + c->len,
				 sizeof(c->out) - 1 - c->len)) > 0)
			c->len += (size_t)n;
		close(c->out_fd);
		c->out_fd = -1;
	}
	if (c->then)
		spawn(c->then, "echo next");
}

static const struct sandbox_run_ops ops = {
	.spawned = on_spawned,
	.exited = on_exited,
};
static const char *const env[] = {"PATH=/usr/bin:/bin", NULL};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run the loop until cond(arg) holds; false after 'ms' (a hang guard). */
static bool run_until(bool (*cond)(void *), void *arg, unsigned ms)
{
	uint64_t until = now_ms() + ms;

	while (!cond(arg)) {
		if (now_ms() >= until)
			return false;
		uv_run(&loop, UV_RUN_NOWAIT);
		struct timespec ts = {0, 2 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return true;
}

static bool is_spawned(void *a) { return ((struct ctx *)a)->spawned; }
static bool is_exited(void *a) { return ((struct ctx *)a)->exited; }

static unsigned want_restarts;
static bool is_up_again(void *a)
{
	struct sandbox_status st;

	sandbox_status(sb, &st);
	return st.restarts >= want_restarts && !strcmp(st.state, "up");
}
static bool restart_noticed(void *a)
{
	struct sandbox_status st;

	sandbox_status(sb, &st);
	return st.restarts >= want_restarts;
}
static bool is_down(void *a)
{
	struct sandbox_status st;

	sandbox_status(sb, &st);
	return !strcmp(st.state, "down");
}
static bool pid_gone(void *a)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%ld", *(long *)a);
	return stat(path, &st) != 0;
}

static void spawn(struct ctx *c, const char *cmd)
{
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	struct sandbox_spec spec = {.argv = argv, .envp = env};

	struct ctx *then = c->then;

	memset(c, 0, sizeof(*c));
	c->out_fd = -1;
	(void)then;
	assert_int_equal(sandbox_spawn(sb, &spec, &ops, c, &c->id), 0);
}

/* A fresh run still works: its output and exit code. */
static void assert_runs(void)
{
	struct ctx c;

	spawn(&c, "echo alive; exit 7");
	assert_true(run_until(is_exited, &c, 20000));
	assert_int_equal(c.res.error, 0);
	assert_false(c.res.lost);
	assert_true(WIFEXITED(c.res.status));
	assert_int_equal(WEXITSTATUS(c.res.status), 7);
	assert_string_equal(c.out, "alive\n");
}

static void test_kill9_restarts(void **state)
{
	struct ctx c;
	struct sandbox_status st;
	long old = sandbox_test_spawner_pid();

	assert_true(old > 0);
	sandbox_status(sb, &st);
	assert_int_equal(st.spawner_pid, old);	/* hello told the truth */
	want_restarts = st.restarts + 1;

	spawn(&c, "echo started; exec sleep 60");
	assert_true(run_until(is_spawned, &c, 20000));
	assert_int_equal(c.spawn_err, 0);
	long prog = c.prog;
	assert_true(prog > 0);

	assert_int_equal(sandbox_test_kill(old, SIGKILL), 0);
	assert_true(run_until(is_exited, &c, 20000));
	assert_int_equal(c.exited_calls, 1);
	assert_true(c.res.lost);
	assert_int_equal(c.res.error, -EPIPE);
	assert_non_null(strstr(c.res.message, "spawner died"));
	/* the run's program died with its spawner */
	assert_true(run_until(pid_gone, &prog, 10000));

	assert_true(run_until(is_up_again, NULL, 20000));
	sandbox_status(sb, &st);
	assert_int_equal(st.lost_runs, 1);
	long now = sandbox_test_spawner_pid();
	assert_true(now > 0 && now != old);
	assert_int_equal(st.spawner_pid, now);
	assert_true(run_until(pid_gone, &old, 10000));	/* reaped */
	assert_runs();
}

static void test_spawn_while_restarting(void **state)
{
	struct ctx c;
	struct sandbox_status st;
	long old = sandbox_test_spawner_pid();

	sandbox_status(sb, &st);
	want_restarts = st.restarts + 1;
	assert_int_equal(sandbox_test_kill(old, SIGKILL), 0);
	assert_true(run_until(restart_noticed, NULL, 20000));
	/* asked before the new spawner said hello: waits on its socket */
	spawn(&c, "echo queued");
	assert_true(run_until(is_exited, &c, 20000));
	assert_int_equal(c.res.error, 0);
	assert_string_equal(c.out, "queued\n");
}

/* A run started from the exited() of a lost one (an admission queue
 * moving on) goes to the new spawner and works. */
static void test_spawn_from_lost_callback(void **state)
{
	struct ctx c, next;
	struct sandbox_status st;
	long old;

	memset(&next, 0, sizeof(next));
	spawn(&c, "exec sleep 60");
	c.then = &next;
	assert_true(run_until(is_spawned, &c, 20000));
	old = sandbox_test_spawner_pid();
	sandbox_status(sb, &st);
	want_restarts = st.restarts + 1;
	assert_int_equal(sandbox_test_kill(old, SIGKILL), 0);
	assert_true(run_until(is_exited, &c, 20000));
	assert_true(c.res.lost);
	assert_true(run_until(is_exited, &next, 20000));
	assert_int_equal(next.res.error, 0);
	assert_false(next.res.lost);
	assert_string_equal(next.out, "next\n");
}

static void test_stopped_spawner_replaced(void **state)
{
	struct ctx c;
	struct sandbox_status st;
	long old = sandbox_test_spawner_pid();

	sandbox_status(sb, &st);
	want_restarts = st.restarts + 1;
	assert_int_equal(sandbox_test_kill(old, SIGSTOP), 0);
	spawn(&c, "echo never");
	/* no answer, no heartbeat: declared dead after stall_ms */
	assert_true(run_until(is_exited, &c, 30000));
	assert_true(c.res.lost);
	assert_non_null(strstr(c.res.message, "stopped answering"));
	assert_true(run_until(is_up_again, NULL, 20000));
	/* the supervisor killed the stopped one */
	assert_true(run_until(pid_gone, &old, 10000));
	assert_runs();
}

static void test_supervisor_gone(void **state)
{
	struct ctx c;
	struct sandbox_status st;
	long kids[8];
	size_t n = sandbox_test_children(getpid(), kids, 8);
	long sup = -1;
	const char *argv[] = {"/bin/true", NULL};
	struct sandbox_spec spec = {.argv = argv, .envp = env};

	for (size_t i = 0; i < n; i++)
		if (sandbox_test_comm_is(kids[i], "coderoom-sup"))
			sup = kids[i];
	assert_true(sup > 0);
	spawn(&c, "exec sleep 60");
	assert_true(run_until(is_spawned, &c, 20000));
	/* the spawner dies with its supervisor; no new one can come */
	assert_int_equal(sandbox_test_kill(sup, SIGKILL), 0);
	assert_true(run_until(is_exited, &c, 20000));
	assert_true(c.res.lost);
	assert_true(run_until(is_down, NULL, 20000));
	sandbox_status(sb, &st);
	assert_string_equal(st.state, "down");
	assert_int_equal(sandbox_spawn(sb, &spec, &ops, &c, &c.id), -EPIPE);
}

static int setup(void **state)
{
	struct sandbox_config cfg = {.state_dir = "/run/coderoom-test-restart",
				     .uid_base = 0, /* the first free range */
				     .slots = 4,
				     .stall_ms = 1500};

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(sandbox_open(&loop, &cfg, &sb), 0);
	return 0;
}

static int teardown(void **state)
{
	sandbox_close(sb);
	uv_run(&loop, UV_RUN_NOWAIT);
	return 0;
}

int main(int argc, char **argv)
{
	/* sandbox_open() re-executes this binary as supervisor and spawner */
	sandbox_spawner_main(argc, argv);

	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kill9_restarts),
	    cmocka_unit_test(test_spawn_while_restarting),
	    cmocka_unit_test(test_spawn_from_lost_callback),
	    cmocka_unit_test(test_stopped_spawner_replaced),
	    cmocka_unit_test(test_supervisor_gone),
	};

	if (geteuid() != 0) {
		printf("# SKIP test_sandbox_restart: needs root\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("sandbox_restart", tests, setup,
					   teardown);
}
