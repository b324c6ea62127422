/*
 * test_sandbox_spawn.c - real runs through sandbox.h on a private uv loop.
 *
 * Needs root (the spawner does); skipped otherwise. Each test asserts what
 * a user would see: the bytes that came out, the exit status, the time.
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "sandbox/sandbox.h"
#include "sandbox_test.h"

static uv_loop_t loop;
static struct sandbox *sb;

#define MAXOUT (1 << 20)

struct out {
	uv_poll_t poll;
	int fd;
	bool open;
	char *buf;
	size_t len;
};

struct ctx {
	uint64_t id;
	int spawn_err;
	bool spawned, exited;
	int spawned_calls, exited_calls;
	struct sandbox_proc proc;
	struct sandbox_result res;
	struct out out[2]; /* tty or stdout, stderr */
	const char *input;
	int probes_true;
	int probe_answers;
	int usage_answers;
	struct sandbox_run_usage usage; /* the last answer */
	char collected[4096]; /* the collect memfd's bytes */
	ssize_t ncollected;   /* -1: no fd came */
};

static void on_read(uv_poll_t *h, int status, int events)
{
	struct out *o = h->data;
	char buf[65536];
	ssize_t n = read(o->fd, buf, sizeof(buf));

	if (n > 0) {
		if (o->len + (size_t)n < MAXOUT) {
			memcpy(o->buf + o->len, buf, (size_t)n);
			o->len += (size_t)n;
			o->buf[o->len] = '\0';
		}
		return;
	}
	if (n < 0 && errno == EAGAIN)
		return;
	uv_poll_stop(h);
	o->open = false;
}

static void watch(struct ctx *c, int i, int fd)
{
	struct out *o = &c->out[i];

	o->fd = fd;
	o->open = true;
	o->buf = calloc(1, MAXOUT + 1);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	uv_poll_init(&loop, &o->poll, fd);
	o->poll.data = o;
	uv_poll_start(&o->poll, UV_READABLE | UV_DISCONNECT, on_read);
}

static void on_spawned(void *data, int err, const struct sandbox_proc *p)
{
	struct ctx *c = data;

	c->spawned_calls++;
	c->spawned = true;
	c->spawn_err = err;
	if (err)
		return;
	c->proc = *p;
	if (p->tty_fd >= 0) {
		watch(c, 0, p->tty_fd);
		if (c->input)
			assert_int_equal(
			    write(p->tty_fd, c->input, strlen(c->input)),
			    (ssize_t)strlen(c->input));
	} else {
		watch(c, 0, p->stdout_fd);
		watch(c, 1, p->stderr_fd);
		if (c->input)
			assert_int_equal(
			    write(p->stdin_fd, c->input, strlen(c->input)),
			    (ssize_t)strlen(c->input));
		close(p->stdin_fd);
	}
}

static void on_probed(void *data, bool waiting)
{
	struct ctx *c = data;

	c->probe_answers++;
	if (waiting)
		c->probes_true++;
}

static void on_usage(void *data, const struct sandbox_run_usage *u)
{
	struct ctx *c = data;

	c->usage_answers++;
	c->usage = *u;
	if (getenv("SB_TEST_DEBUG"))
		printf("# usage: cpu %llu wall %llu mem %llu peak %llu pids %u\n",
		       (unsigned long long)u->cpu_ms,
		       (unsigned long long)u->wall_ms,
		       (unsigned long long)u->memory_bytes,
		       (unsigned long long)u->memory_peak, u->pids);
}

static void on_exited(void *data, const struct sandbox_result *res)
{
	struct ctx *c = data;

	c->exited_calls++;
	c->exited = true;
	c->res = *res;
	c->ncollected = -1;
	if (res->collected)	/* valid during this call only */
		c->ncollected = pread(res->collect_fd, c->collected,
				      sizeof(c->collected), 0);
	if (getenv("SB_TEST_DEBUG"))
		printf("# exited: status %#x error %d killed %d hit %d "
		       "cpu %llu wall %llu peak %llu: %s\n",
		       res->status, res->error, res->killed, res->hit,
		       (unsigned long long)res->cpu_ms,
		       (unsigned long long)res->wall_ms,
		       (unsigned long long)res->memory_peak, res->message);
}

/* Contexts outlive a failed test (its uv handles may still be live). */
static struct ctx pool[64];
static size_t npool;

static struct ctx *new_ctx(const char *input)
{
	struct ctx *c = &pool[npool++ % 64];

	memset(c, 0, sizeof(*c));
	c->input = input;
	return c;
}

static const struct sandbox_run_ops ops = {on_spawned, on_probed, on_exited,
					   on_usage};

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000;
}

static bool outputs_open(struct ctx *c)
{
	return c->out[0].open || c->out[1].open;
}

/* Run the loop until 'c' has exited and its output hit EOF, or timeout. */
static void wait_done(struct ctx *c, uint64_t timeout_ms)
{
	uint64_t until = now_ms() + timeout_ms;

	while ((!c->exited || outputs_open(c)) && now_ms() < until)
		uv_run(&loop, UV_RUN_ONCE);
	for (int i = 0; i < 2; i++) {
		if (c->out[i].buf && c->out[i].open) {
			uv_poll_stop(&c->out[i].poll);
			c->out[i].open = false;
		}
	}
}

static void release(struct ctx *c)
{
	for (int i = 0; i < 2; i++) {
		if (!c->out[i].buf)
			continue;
		uv_close((uv_handle_t *)&c->out[i].poll, NULL);
	}
	uv_run(&loop, UV_RUN_NOWAIT);
	for (int i = 0; i < 2; i++) {
		if (!c->out[i].buf)
			continue;
		close(c->out[i].fd);
		free(c->out[i].buf);
		c->out[i].buf = NULL;
	}
}

static const char *const env_default[] = {"PATH=/usr/bin:/bin", "HOME=/work",
					  "LANG=C.UTF-8", NULL};

static void start(struct ctx *c, const char *const *argv, bool tty,
		  const struct sandbox_file *files, size_t nfiles,
		  const struct sandbox_limits *lim)
{
	struct sandbox_spec spec = {
	    .argv = argv,
	    .envp = env_default,
	    .files = files,
	    .nfiles = nfiles,
	    .tty = tty,
	    .rows = 30,
	    .cols = 100,
	};
	if (lim)
		spec.limits = *lim;
	assert_int_equal(sandbox_spawn(sb, &spec, &ops, c, &c->id), 0);
}

static void run_sh(struct ctx *c, const char *script, bool tty,
		   uint64_t timeout)
{
	const char *argv[] = {"/bin/sh", "-c", script, NULL};

	start(c, argv, tty, NULL, 0, NULL);
	wait_done(c, timeout);
	assert_true(c->exited);
	assert_int_equal(c->exited_calls, 1);
	assert_int_equal(c->spawned_calls, 1);
}

/* --- tests ------------------------------------------------------------ */

static void test_tty_echo(void **state)
{
	struct ctx *c = new_ctx("hello\n");

	run_sh(c, "read x; echo got:$x; test -t 0 && test -t 1 && echo tty",
	       true, 5000);
	assert_int_equal(c->spawn_err, 0);
	assert_non_null(strstr(c->out[0].buf, "got:hello"));
	assert_non_null(strstr(c->out[0].buf, "tty"));
	assert_true(WIFEXITED(c->res.status));
	assert_int_equal(WEXITSTATUS(c->res.status), 0);
	assert_false(c->res.killed);
	release(c);
}

static void test_pipes_separate(void **state)
{
	struct ctx *c = new_ctx("in\n");

	run_sh(c, "read x; echo out:$x; echo err >&2; exit 3", false, 5000);
	assert_int_equal(c->spawn_err, 0);
	assert_string_equal(c->out[0].buf, "out:in\n");
	assert_string_equal(c->out[1].buf, "err\n");
	assert_true(WIFEXITED(c->res.status));
	assert_int_equal(WEXITSTATUS(c->res.status), 3);
	release(c);
}

static void test_env_exact_and_files(void **state)
{
	struct ctx *c = new_ctx(NULL);
	static const char code[] = "import os\nprint(sorted(os.environ))\n"
				   "print(os.getcwd(), os.getpid())\n";
	struct sandbox_file f[] = {{"main.py", code, sizeof(code) - 1, 0644}};
	const char *argv[] = {"/usr/bin/python3", "main.py", NULL};

	start(c, argv, false, f, 1, NULL);
	wait_done(c, 5000);
	assert_int_equal(c->spawn_err, 0);
	assert_non_null(strstr(c->out[0].buf, "['HOME', 'LANG', 'PATH']\n"));
	/* pid 2 of its own namespace, never pid 1 */
	assert_non_null(strstr(c->out[0].buf, " 2\n"));
	assert_int_equal(WEXITSTATUS(c->res.status), 0);
	release(c);
}

static void test_exec_failure(void **state)
{
	struct ctx *c = new_ctx(NULL);
	const char *argv[] = {"/nonexistent/prog", NULL};

	start(c, argv, true, NULL, 0, NULL);
	wait_done(c, 5000);
	assert_true(c->exited);
	assert_int_equal(c->spawned_calls, 1);
	assert_int_equal(c->spawn_err, -ENOENT);
	assert_int_equal(c->res.error, -ENOENT);
	assert_non_null(strstr(c->res.message, "/nonexistent/prog"));
	release(c);
}

static void kill_after(struct ctx *c, uint64_t ms)
{
	uint64_t until = now_ms() + ms;

	while (now_ms() < until && !c->exited)
		uv_run(&loop, UV_RUN_NOWAIT), usleep(10000);
	assert_false(c->exited);
	assert_int_equal(sandbox_kill(sb, c->id), 0);
}

static void test_kill_double_fork(void **state)
{
	struct ctx *c = new_ctx(NULL);
	const char *argv[] = {
	    "/bin/sh", "-c",
	    "(setsid sh -c 'trap \"\" TERM HUP; sleep 100' &); "
	    "trap '' TERM; echo ready; sleep 100",
	    NULL};

	start(c, argv, true, NULL, 0, NULL);
	kill_after(c, 300);
	wait_done(c, 10000);
	assert_true(c->exited);
	assert_true(c->res.killed);
	assert_true(WIFSIGNALED(c->res.status));
	assert_int_equal(WTERMSIG(c->res.status), SIGKILL);
	assert_false(c->out[0].open); /* the pty hit EOF: nobody holds it */
	release(c);
}

static void test_sigstopped_killed(void **state)
{
	struct ctx *c = new_ctx(NULL);
	const char *argv[] = {"/bin/sh", "-c", "kill -STOP $$; echo never",
			      NULL};

	start(c, argv, false, NULL, 0, NULL);
	kill_after(c, 300);
	wait_done(c, 3000);
	assert_true(c->exited);
	assert_true(c->res.killed);
	assert_null(strstr(c->out[0].buf, "never"));
	release(c);
}

static void test_probe_input(void **state)
{
	struct ctx *c = new_ctx(NULL);
	const char *argv[] = {"/usr/bin/python3", "-c",
			      "import time\nx = 0\n"
			      "for i in range(3000000): x += i\n"
			      "print('busy done', flush=True)\n"
			      "input('name? ')\nprint('bye')",
			      NULL};
	uint64_t until;

	start(c, argv, true, NULL, 0, NULL);
	until = now_ms() + 5000;
	while (now_ms() < until && !c->probes_true) {
		if (c->spawned && !c->exited)
			sandbox_probe_input(sb, c->id);
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(20000);
	}
	assert_true(c->probes_true > 0);
	/* blocked in input(), so its earlier output is in the pty: read it
	 * (the probe's answer may come before the poll's) */
	until = now_ms() + 5000;
	while (now_ms() < until && !strstr(c->out[0].buf, "busy done")) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(5000);
	}
	assert_non_null(strstr(c->out[0].buf, "busy done"));
	assert_int_equal(write(c->proc.tty_fd, "x\n", 2), 2);
	wait_done(c, 3000);
	assert_non_null(strstr(c->out[0].buf, "bye"));
	release(c);
}

/* Asks for the usage of 'c' until 'done' says the answer is the one
 * wanted, or 'ms' pass. */
static bool usage_until(struct ctx *c, uint64_t ms,
			bool (*done)(const struct sandbox_run_usage *u))
{
	uint64_t until = now_ms() + ms;

	while (now_ms() < until && !c->exited) {
		int before = c->usage_answers;
		if (c->spawned)
			assert_int_equal(sandbox_run_usage(sb, c->id), 0);
		for (int i = 0; i < 20 && c->usage_answers == before; i++) {
			usleep(10000);
			uv_run(&loop, UV_RUN_NOWAIT);
		}
		if (c->usage_answers > before && done(&c->usage))
			return true;
	}
	return false;
}

static bool small(const struct sandbox_run_usage *u)
{
	return u->memory_bytes > 0 && u->memory_bytes < (48u << 20);
}

static bool large(const struct sandbox_run_usage *u)
{
	return u->memory_bytes >= (96u << 20);
}

/* The figures a live run reports follow what it does: memory in use
 * rises when it allocates, the peak keeps the most, CPU grows, the pids
 * count its tasks; after the end nothing answers. */
static void test_usage(void **state)
{
	struct ctx *c = new_ctx(NULL);
	const char *argv[] = {"/usr/bin/python3", "-c",
			      "import sys, time\n"
			      "time.sleep(0.5)\n"
			      "b = bytearray(128 << 20)\n"
			      "for i in range(0, len(b), 4096): b[i] = 1\n"
			      "print('allocated', flush=True)\n"
			      "sys.stdin.readline()\n",
			      NULL};

	start(c, argv, true, NULL, 0, NULL);
	assert_true(usage_until(c, 10000, small));
	assert_true(c->usage.pids >= 1);
	assert_true(usage_until(c, 20000, large));
	assert_true(c->usage.memory_peak >= c->usage.memory_bytes);
	assert_true(c->usage.cpu_ms > 0);
	assert_true(c->usage.wall_ms >= 500);
	assert_int_equal(write(c->proc.tty_fd, "\n", 1), 1);
	wait_done(c, 10000);
	assert_true(c->exited);
	int answers = c->usage_answers;
	assert_int_equal(sandbox_run_usage(sb, c->id), -ENOENT); /* id is gone */
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(c->usage_answers, answers);
	release(c);
}

/* Ask until the answer is 'want' (true) or for 'ms' (false expected). */
static bool probe_for(struct ctx *c, uint64_t ms, bool want)
{
	uint64_t until = now_ms() + ms;

	while (now_ms() < until) {
		int before = c->probes_true;
		if (c->spawned && !c->exited)
			sandbox_probe_input(sb, c->id);
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(50000);
		uv_run(&loop, UV_RUN_NOWAIT);
		if (want && c->probes_true > before)
			return true;
	}
	return c->probes_true > 0;
}

static void test_probe_table(void **state)
{
	static const struct {
		const char *prog;
		bool waits;
	} rows[] = {
	    {"cat", true},
	    {"exec bash -c 'read -e x'", true}, /* readline: pselect6 */
	    {"exec python3 -q", true},		/* the REPL */
	    {"exec node -e \"require('readline').createInterface("
	     "{input: process.stdin, output: process.stdout})"
	     ".question('? ', () => {})\"",
	     true}, /* epoll_pwait */
	    {"sleep 5", false},
	    {"sleep 5 & cat", true}, /* one reader is enough */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ctx *c = new_ctx(NULL);
		const char *argv[] = {"/bin/sh", "-c", rows[i].prog, NULL};

		if (strstr(rows[i].prog, "node") &&
		    access("/usr/bin/node", X_OK))
			continue;
		start(c, argv, true, NULL, 0, NULL);
		/* a waiting program is seen as soon as it waits: 30 s is a
		 * hang guard (a loaded machine took over 4 s to start the
		 * python3 REPL) */
		bool got =
		    probe_for(c, rows[i].waits ? 30000 : 700, rows[i].waits);
		if (got != rows[i].waits)
			fail_msg("'%s': waiting %d, want %d", rows[i].prog, got,
				 rows[i].waits);
		sandbox_kill(sb, c->id);
		wait_done(c, 3000);
		assert_true(c->exited);
		release(c);
	}
}

static void test_probe_busy_is_not_input(void **state)
{
	struct ctx *c = new_ctx(NULL);
	const char *argv[] = {"/bin/sh", "-c", "while :; do :; done", NULL};
	uint64_t until;

	start(c, argv, true, NULL, 0, NULL);
	until = now_ms() + 1000;
	while (now_ms() < until) {
		if (c->spawned && !c->exited)
			sandbox_probe_input(sb, c->id);
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(50000);
	}
	assert_true(c->probe_answers > 0);
	assert_int_equal(c->probes_true, 0);
	sandbox_kill(sb, c->id);
	wait_done(c, 3000);
	assert_true(c->exited);
	release(c);
}

static void test_signal_program(void **state)
{
	struct ctx *c = new_ctx(NULL);
	const char *argv[] = {"/bin/sh", "-c", "echo up; exec sleep 100", NULL};
	uint64_t until;

	start(c, argv, false, NULL, 0, NULL);
	until = now_ms() + 3000;
	while (now_ms() < until &&
	       (!c->out[0].buf || !strstr(c->out[0].buf, "up")))
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(sandbox_signal(sb, c->id, SIGINT), 0);
	wait_done(c, 3000);
	assert_true(c->exited);
	assert_true(WIFSIGNALED(c->res.status));
	assert_int_equal(WTERMSIG(c->res.status), SIGINT);
	assert_false(c->res.killed);
	release(c);
}

static void run_limited(struct ctx *c, const char *script,
			const struct sandbox_limits *lim, uint64_t timeout)
{
	const char *argv[] = {"/bin/sh", "-c", script, NULL};

	start(c, argv, false, NULL, 0, lim);
	wait_done(c, timeout);
	assert_true(c->exited);
	assert_int_equal(c->res.error, 0);
}

static void test_memory_limit(void **state)
{
	struct ctx *c = new_ctx(NULL);
	struct sandbox_limits lim = {.memory_bytes = 64 << 20};

	if (!sandbox_features(sb)->cgroup_memory)
		skip();
	run_limited(c, "exec /usr/bin/python3 -c 'x = bytearray(200 << 20)'",
		    &lim, 5000);
	assert_int_equal(c->res.hit, SANDBOX_HIT_MEMORY);
	assert_true(c->res.killed);
	assert_true(WIFSIGNALED(c->res.status));
	assert_true(c->res.memory_peak > (32u << 20));
	assert_true(c->res.memory_peak <= (64u << 20) + (1u << 20));
	release(c);
}

static void test_cpu_limit_whole_tree(void **state)
{
	struct ctx *c = new_ctx(NULL);
	struct sandbox_limits lim = {.cpu_ms = 400};

	if (!sandbox_features(sb)->cgroup_cpu)
		skip();
	/* Two spinning children: CPU time adds up across the tree. */
	run_limited(c, "(while :; do :; done) & (while :; do :; done) & wait",
		    &lim, 5000);
	assert_int_equal(c->res.hit, SANDBOX_HIT_CPU);
	assert_true(c->res.killed);
	assert_true(c->res.cpu_ms >= 400);
	release(c);
}

static void test_pids_limit(void **state)
{
	struct ctx *c = new_ctx(NULL);
	struct sandbox_limits lim = {.pids = 8};

	if (!sandbox_features(sb)->cgroup_pids)
		skip();
	run_limited(c,
		    "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 1 & done;"
		    " wait; echo done",
		    &lim, 5000);
	assert_int_equal(c->res.hit, SANDBOX_HIT_PIDS);
	release(c);
}

static void test_wall_backstop(void **state)
{
	struct ctx *c = new_ctx(NULL);
	struct sandbox_limits lim = {.wall_ms = 300};

	run_limited(c, "sleep 10", &lim, 9000);
	assert_int_equal(c->res.hit, SANDBOX_HIT_WALL);
	assert_true(c->res.killed);
	/* The backstop counts from the spawn request, wall_ms from exec: on
	 * a slow machine (software emulation in tests/vm/, a loaded host)
	 * set-up alone takes more than 50 ms, so no lower bound; the upper
	 * one is the program's own end. */
	assert_in_range(c->res.wall_ms, 1, 9999);
	release(c);
}

static void test_no_leftover_cgroups(void **state)
{
	char dirs[4][600];
	char cmd[1400];
	long pid = sandbox_test_spawner_pid();
	int found = 0;

	assert_true(pid > 0);
	/* v1: one subtree per hierarchy (the controller-less cgroup2 mount
	 * for cgroup.kill too); v2: below the spawner's own group. */
	snprintf(dirs[0], sizeof(dirs[0]), "/sys/fs/cgroup/memory/coderoom/i%ld",
		 pid);
	snprintf(dirs[1], sizeof(dirs[1]), "/sys/fs/cgroup/pids/coderoom/i%ld",
		 pid);
	snprintf(dirs[2], sizeof(dirs[2]),
		 "/sys/fs/cgroup/unified/coderoom/i%ld", pid);
	if (!sandbox_test_v2_instance(pid, dirs[3], sizeof(dirs[3])))
		dirs[3][0] = '\0';
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i][0] || access(dirs[i], F_OK))
			continue;
		found++;
		/* The warm pool's groups (run-warm-*) stay: at most 2. */
		snprintf(cmd, sizeof(cmd),
			 "find %.600s -name 'run-*' ! -name 'run-warm-*' "
			 "2>/dev/null | grep -q .",
			 dirs[i]);
		assert_int_not_equal(system(cmd), 0);
		snprintf(cmd, sizeof(cmd),
			 "test $(find %.600s -name 'run-warm-*' 2>/dev/null "
			 "| wc -l) -le 2",
			 dirs[i]);
		assert_int_equal(system(cmd), 0);
	}
	/* Where there are cgroups, the spawner's groups were looked at. */
	if (sandbox_features(sb)->cgroup_pids)
		assert_true(found > 0);
}

/* spec.collect: the files a compile step leaves, read as the run's uid;
 * a symlink or a FIFO is never followed, and nothing is collected after a
 * failing exit. */
static void test_collect(void **state)
{
	static const char *const pats[] = {"main", "*.class", NULL};
	const char *argv[] = {
	    "/bin/sh", "-c",
	    "printf 'ELF' > main; chmod 755 main; echo A > A.class;"
	    " ln -s /etc/passwd B.class; mkfifo C.class; echo no > other;"
	    " exit ${FAIL:-0}",
	    NULL};
	const char *envfail[] = {"PATH=/usr/bin:/bin", "FAIL=1", NULL};
	struct sandbox_file f[8];

	for (int round = 0; round < 2; round++) {
		struct ctx *c = new_ctx(NULL);
		struct sandbox_spec spec = {
		    .argv = argv,
		    .envp = round ? envfail : env_default,
		    .collect = pats,
		    .collect_max = 1 << 20,
		};
		assert_int_equal(sandbox_spawn(sb, &spec, &ops, c, &c->id), 0);
		wait_done(c, 10000);
		assert_true(c->exited);
		if (round == 1) {
			assert_false(c->res.collected);
			assert_int_equal(c->ncollected, -1);
			release(c);
			continue;
		}
		if (!sandbox_features(sb)->strong) {
			release(c);
			skip();
		}
		assert_true(c->res.collected);
		assert_true(c->ncollected > 0);
		int n = sandbox_collect_parse(c->collected,
					      (size_t)c->ncollected, f, 8);
		assert_int_equal(n, 2);
		for (int i = 0; i < n; i++) {
			if (!strcmp(f[i].name, "main")) {
				assert_int_equal(f[i].mode, 0755);
				assert_int_equal(f[i].len, 3);
				assert_memory_equal(f[i].data, "ELF", 3);
			} else {
				assert_string_equal(f[i].name, "A.class");
				assert_int_equal(f[i].len, 2);
			}
		}
		release(c);
	}
}

static void test_isolation(void **state)
{
	struct ctx *c = new_ctx(NULL);
	const char *script =
	    "id -u; hostname; ls /; test -e /root || echo noroot;"
	    " test -e /etc/shadow || echo noshadow;"
	    " grep -c . /proc/net/dev;"
	    " grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status;"
	    " unshare -U true 2>/dev/null || echo nounshare;"
	    " touch /usr/x 2>/dev/null || echo rousr;"
	    " ls /proc | grep -c '^[0-9]'";

	run_sh(c, script, false, 5000);
	if (!sandbox_features(sb)->strong)
		skip();
	/* The last line counts the pids the run sees: init, sh and the
	 * pipeline's ls and grep, whichever have started when ls reads
	 * /proc (2 to 4) - never the host's hundreds. */
	char *last = strrchr(c->out[0].buf, '\n');
	assert_non_null(last);
	*last = '\0';
	last = strrchr(c->out[0].buf, '\n');
	assert_non_null(last);
	int visible = atoi(last + 1);
	last[1] = '\0';
	assert_in_range(visible, 2, 4);
	/* the merged-/usr links are there when the host has them */
	char want[512];
	snprintf(want, sizeof(want),
		 "1000\ncoderoom\nbin\ndev\netc\nlib\n%s%s"
		 "proc\nsbin\ntmp\nusr\nvar\nwork\nnoroot\n"
		 "noshadow\n3\nCapEff:\t0000000000000000\n"
		 "NoNewPrivs:\t1\nnounshare\nrousr\n",
		 access("/lib32", F_OK) == 0 ? "lib32\n" : "",
		 access("/lib64", F_OK) == 0 ? "lib64\n" : "");
	assert_string_equal(c->out[0].buf, want);
	release(c);
}

/* A burst of requests past the socket's queue: queued, none lost, and
 * the kill behind them still arrives. */
static void test_request_burst(void **state)
{
	struct ctx *c = new_ctx(NULL);
	const char *argv[] = {"/bin/sleep", "100", NULL};
	uint64_t until;

	start(c, argv, true, NULL, 0, NULL);
	until = now_ms() + 3000;
	while (!c->spawned && now_ms() < until)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(c->spawned);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(sandbox_probe_input(sb, c->id), 0);
	assert_int_equal(sandbox_kill(sb, c->id), 0);
	wait_done(c, 5000);
	assert_true(c->exited);
	assert_true(c->res.killed);
	assert_int_equal(c->probe_answers, 2000);
	release(c);
}

/* sandbox_close() with a live run: the run is killed, exited() reports
 * it (a real report: killed, SIGKILL), the program is gone. */
static void test_close_kills_runs(void **state)
{
	struct sandbox_config cfg = {.state_dir = "/run/coderoom-test-sandbox",
				     .uid_base = 0, /* the first free range */
				     .slots = 2,
				     .allow_weak = true};
	struct sandbox *sb2;
	struct ctx *c = new_ctx(NULL);
	const char *argv[] = {"/bin/sleep", "100", NULL};
	struct sandbox_spec spec = {.argv = argv, .envp = env_default};
	uint64_t until;

	assert_int_equal(sandbox_open(&loop, &cfg, &sb2), 0);
	assert_int_equal(sandbox_spawn(sb2, &spec, &ops, c, &c->id), 0);
	until = now_ms() + 3000;
	while (!c->spawned && now_ms() < until)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(c->spawned);
	pid_t pid = c->proc.pid;
	assert_true(pid > 0);
	sandbox_close(sb2);
	assert_int_equal(c->exited_calls, 1);
	assert_true(c->res.killed);
	assert_true(WIFSIGNALED(c->res.status));
	assert_int_equal(c->res.error, 0);
	assert_true(kill(pid, 0) == -1);
	uv_run(&loop, UV_RUN_NOWAIT);
	release(c);
}

static void test_bad_spec(void **state)
{
	struct ctx *c = new_ctx(NULL);
	const char *rel[] = {"sh", NULL};
	struct sandbox_spec spec = {.argv = rel, .envp = env_default};
	struct sandbox_file bad[] = {{"../x", "", 0, 0644}};
	const char *argv[] = {"/bin/true", NULL};

	assert_int_equal(sandbox_spawn(sb, &spec, &ops, c, &c->id), -EINVAL);
	spec.argv = argv;
	spec.files = bad;
	spec.nfiles = 1;
	assert_int_equal(sandbox_spawn(sb, &spec, &ops, c, &c->id), -EINVAL);
	assert_int_equal(c->spawned_calls + c->exited_calls, 0);
}

static int setup(void **state)
{
	struct sandbox_config cfg = {.state_dir = "/run/coderoom-test-sandbox",
				     .uid_base = 0, /* the first free range */
				     .slots = 8,
				     .allow_weak = true};

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(sandbox_open(&loop, &cfg, &sb), 0);
	assert_true(cfg.defaults.memory_bytes > 0);
	return 0;
}

static int teardown(void **state)
{
	sandbox_close(sb);
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

int main(int argc, char **argv)
{
	/* sandbox_open() re-executes this binary as the spawner. */
	sandbox_spawner_main(argc, argv);

	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tty_echo),
	    cmocka_unit_test(test_pipes_separate),
	    cmocka_unit_test(test_env_exact_and_files),
	    cmocka_unit_test(test_exec_failure),
	    cmocka_unit_test(test_kill_double_fork),
	    cmocka_unit_test(test_sigstopped_killed),
	    cmocka_unit_test(test_probe_input),
	    cmocka_unit_test(test_probe_busy_is_not_input),
	    cmocka_unit_test(test_probe_table),
	    cmocka_unit_test(test_usage),
	    cmocka_unit_test(test_signal_program),
	    cmocka_unit_test(test_bad_spec),
	    cmocka_unit_test(test_request_burst),
	    cmocka_unit_test(test_close_kills_runs),
	    cmocka_unit_test(test_memory_limit),
	    cmocka_unit_test(test_cpu_limit_whole_tree),
	    cmocka_unit_test(test_pids_limit),
	    cmocka_unit_test(test_wall_backstop),
	    cmocka_unit_test(test_isolation),
	    cmocka_unit_test(test_collect),
	    cmocka_unit_test(test_no_leftover_cgroups),
	};

	if (geteuid() != 0) {
		printf("# skipped: test_sandbox_spawn needs root\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("sandbox_spawn", tests, setup,
					   teardown);
}
