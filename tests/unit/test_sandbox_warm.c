/*
 * test_sandbox_warm.c - the spawner's warm pool: inits created ahead of
 * requests are kept (two), handed out with the run's own limits (lower
 * and higher than the defaults they were created with), refilled, and
 * gone with the sandbox; each run's mount namespace is held by the
 * spawner until the run is reported, then let go by its release process.
 *
 * Needs root and cgroups; skipped otherwise.
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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include <cmocka.h>
#include <uv.h>

#include "sandbox/sandbox.h"
#include "sandbox_test.h"

static uv_loop_t loop;
static struct sandbox *sb;
static long spawner;

struct ctx {
	bool exited;
	int spawn_err;
	int open;
	int fd[2];
	uv_poll_t poll[2];
	char out[4096];
	size_t len;
	struct sandbox_result res;
};

static void on_read(uv_poll_t *h, int status, int events)
{
	struct ctx *c = h->data;
	int i = h == &c->poll[0] ? 0 : 1;
	char buf[4096];
	ssize_t n = read(c->fd[i], buf, sizeof(buf));

	if (n > 0) {
		if (i == 0 && c->len + (size_t)n < sizeof(c->out)) {
			memcpy(c->out + c->len, buf, (size_t)n);
			c->len += (size_t)n;
		}
		return;
	}
	if (n < 0 && errno == EAGAIN)
		return;
	uv_poll_stop(h);
	uv_close((uv_handle_t *)h, NULL);
	close(c->fd[i]);
	c->open--;
}

static void on_spawned(void *data, int err, const struct sandbox_proc *p)
{
	struct ctx *c = data;

	c->spawn_err = err;
	if (err)
		return;
	close(p->stdin_fd);
	c->fd[0] = p->stdout_fd;
	c->fd[1] = p->stderr_fd;
	for (int i = 0; i < 2; i++) {
		fcntl(c->fd[i], F_SETFL, fcntl(c->fd[i], F_GETFL) | O_NONBLOCK);
		uv_poll_init(&loop, &c->poll[i], c->fd[i]);
		c->poll[i].data = c;
		uv_poll_start(&c->poll[i], UV_READABLE | UV_DISCONNECT,
			      on_read);
		c->open++;
	}
}

static void on_probed(void *data, bool waiting)
{
}

static void on_exited(void *data, const struct sandbox_result *res)
{
	struct ctx *c = data;

	c->exited = true;
	c->res = *res;
}

static const struct sandbox_run_ops ops = {
	.spawned = on_spawned,
	.probed = on_probed,
	.exited = on_exited,
};

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000;
}

/* Run 'script' under /bin/sh with 'lim'; wait for exit and EOF. */
static void run(struct ctx *c, const char *script,
		const struct sandbox_limits *lim)
{
	static const char *const env[] = {"PATH=/usr/bin:/bin", NULL};
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct sandbox_spec spec = {.argv = argv, .envp = env};
	/* A hang guard only: under software emulation (tests/vm/) on a busy
	 * host, a run of python takes seconds. */
	uint64_t id, until = now_ms() + 60000;

	memset(c, 0, sizeof(*c));
	if (lim)
		spec.limits = *lim;
	assert_int_equal(sandbox_spawn(sb, &spec, &ops, c, &id), 0);
	while ((!c->exited || c->open > 0) && now_ms() < until)
		uv_run(&loop, UV_RUN_ONCE);
	uv_run(&loop, UV_RUN_NOWAIT);
	c->out[c->len] = '\0';
	assert_true(c->exited);
	assert_int_equal(c->spawn_err, 0);
	assert_int_equal(c->res.error, 0);
}

/* Where this spawner makes its runs' groups: its pids (v1) subtree, or
 * its v2 instance group. Set by setup(). */
static char inst[600];

/* The exit code of the shell command printf(fmt, ...), or -1 when it did
 * not exit. */
static int sh_exit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh_exit(const char *fmt, ...)
{
	char cmd[800];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Groups named 'pattern' in 'inst', or -1 when it does not exist. */
static int count_groups(const char *pattern)
{
	struct stat st;

	if (!inst[0] || stat(inst, &st))
		return -1;
	return sh_exit("exit $(find %s -maxdepth 1 -name '%s' | wc -l)", inst,
		       pattern);
}

/* Warm groups in 'inst' whose pids.max reads 'max', or -1. */
static int count_warm_pids_max(unsigned max)
{
	return sh_exit(
	    "exit $(cat %s/run-warm-*/pids.max 2>/dev/null | grep -cx %u)",
	    inst, max);
}

/* Run the loop until the pool holds 'n' warm groups (or 30 s pass: a
 * hang guard). */
static int wait_warm(int n)
{
	uint64_t until = now_ms() + 30000;
	int k;

	while ((k = count_groups("run-warm-*")) != n && now_ms() < until) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(20000);
	}
	return k;
}

static void test_pool_kept_full(void **state)
{
	struct ctx c;

	run(&c, "true", NULL);
	/* Two warm inits wait, and no finished run's group is left. */
	assert_int_equal(wait_warm(2), 2);
	assert_int_equal(count_groups("run-[0-9]*"), 0);
	for (int i = 0; i < 5; i++) {
		run(&c, "echo hi", NULL);
		assert_string_equal(c.out, "hi\n");
		assert_true(WIFEXITED(c.res.status));
	}
	assert_int_equal(wait_warm(2), 2);
}

static void test_lower_memory_limit(void **state)
{
	struct ctx c;
	struct sandbox_limits lim = {.memory_bytes = 48 << 20,
				     .cpu_ms = 120000};

	assert_int_equal(wait_warm(2), 2);
	run(&c, "exec /usr/bin/python3 -c 'x = bytearray(150 << 20)'", &lim);
	assert_int_equal(c.res.hit, SANDBOX_HIT_MEMORY);
	assert_true(c.res.memory_peak <= (48u << 20) + (1u << 20));
}

static void test_higher_memory_limit(void **state)
{
	struct ctx c;
	/* Above the pool's defaults (256 MiB): the raise must take. A CPU
	 * limit far above what 400 MiB take to touch, even emulated. */
	struct sandbox_limits lim = {.memory_bytes = 640u << 20,
				     .cpu_ms = 120000};

	assert_int_equal(wait_warm(2), 2);
	run(&c,
	    "exec /usr/bin/python3 -c 'x = bytearray(400 << 20); "
	    "x[::4096] = b\"y\" * len(x[::4096]); print(\"ok\")'",
	    &lim);
	assert_int_equal(c.res.hit, SANDBOX_HIT_NONE);
	assert_string_equal(c.out, "ok\n");
	assert_true(c.res.memory_peak > (400u << 20));
}

static void test_pids_limit(void **state)
{
	struct ctx c;
	struct sandbox_limits lim = {.pids = 6};

	assert_int_equal(wait_warm(2), 2);
	run(&c,
	    "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; wait; echo "
	    "done",
	    &lim);
	assert_int_equal(c.res.hit, SANDBOX_HIT_PIDS);
	/* A lower limit is written at hand-out, never taken for the pool. */
	assert_int_equal(wait_warm(2), 2);
	assert_int_equal(count_warm_pids_max(6), 0);
}

/* Runs whose limits are above the defaults (the batch APIs'): the inits
 * made after one are made with its limits, so the next like run needs no
 * cgroup write at its hand-out; they still take. */
static void test_pool_follows_limits(void **state)
{
	struct ctx c;
	/* CPU time far above what forking 120 processes takes, even
	 * emulated (the cgroup v2 VM): the pids limit must be what stops
	 * it, not the default 10 s of CPU */
	struct sandbox_limits lim = {.memory_bytes = 320u << 20, .pids = 100,
				     .cpu_ms = 120000};

	assert_int_equal(wait_warm(2), 2);
	for (int i = 0; i < 3; i++) {
		run(&c, "echo hi", &lim);
		assert_string_equal(c.out, "hi\n");
	}
	assert_int_equal(wait_warm(2), 2);
	assert_true(count_warm_pids_max(100) >= 1);
	run(&c,
	    "for i in $(seq 120); do sleep 1 & done 2>/dev/null; wait; "
	    "echo done",
	    &lim);
	assert_int_equal(c.res.hit, SANDBOX_HIT_PIDS);
}

/* Two slots, both held by warm inits that may still be joining their
 * cgroups: two runs at once must both start (never "every slot is
 * busy"), right after the sandbox opens and right after runs end. */
/* Mount namespaces process 'pid' holds open (its "mnt:[...]" fds). */
static int held_mntns(long pid)
{
	char dir[64], path[400], link[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	if (!(d = opendir(dir)))
		return -1;
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ssize_t k = readlink(path, link, sizeof(link) - 1);
		if (k > 0 && (link[k] = '\0', !strncmp(link, "mnt:[", 5)))
			n++;
	}
	closedir(d);
	return n;
}

/* Run the loop until 'pid' holds 'n' mount namespaces (or 30 s pass: a
 * hang guard); how many it holds. */
static int wait_held(long pid, int n)
{
	uint64_t until = now_ms() + 30000;
	int k;

	while ((k = held_mntns(pid)) != n && now_ms() < until) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(20000);
	}
	return k;
}

/* The spawner holds a run's mount namespace (so that init's exit need not
 * tear it down) and passes it to its release process once the run is
 * reported: after many runs it holds exactly its warm inits' ones, and
 * the release process, which closes what it gets, none. */
static void test_mntns_released(void **state)
{
	long kids[64], rel = -1;
	struct ctx c;

	for (int i = 0; i < 10; i++) {
		run(&c, "echo hi", NULL);
		assert_string_equal(c.out, "hi\n");
	}
	assert_int_equal(wait_warm(2), 2);
	assert_int_equal(wait_held(spawner, 2), 2);
	size_t n = sandbox_test_children(spawner, kids, 64);
	for (size_t i = 0; i < n; i++)
		if (sandbox_test_comm_is(kids[i], "coderoom-mntns"))
			rel = kids[i];
	assert_true(rel > 0);
	assert_int_equal(wait_held(rel, 0), 0);
}

/* On cgroup v1 with a controller-less cgroup2 mount (cgroup.kill), a run
 * gets no freezer group: killing is cgroup.kill's, and a freezer group
 * only cost a mkdir, an attach and an rmdir per run. Skipped elsewhere. */
static void test_no_freezer_group_with_cgroup_kill(void **state)
{
	char fz[128], uni[128];
	struct ctx c;

	snprintf(fz, sizeof(fz), "/sys/fs/cgroup/freezer/coderoom/i%ld",
		 spawner);
	snprintf(uni, sizeof(uni),
		 "/sys/fs/cgroup/unified/coderoom/i%ld/cgroup.kill", spawner);
	if (access("/sys/fs/cgroup/freezer/cgroup.procs", F_OK) ||
	    access(uni, F_OK)) {
		skip(); /* not a v1 host with cgroup.kill */
		return;
	}
	run(&c, "echo hi", NULL);
	assert_string_equal(c.out, "hi\n");
	assert_int_equal(wait_warm(2), 2);
	assert_int_equal(
	    sh_exit("exit $(find %s -maxdepth 1 -name 'run-*' 2>/dev/null | "
		    "wc -l)",
		    fz),
	    0);
}

/* v1: a warm group is made with memory + swap = memory (nothing swaps),
 * both below unlimited, whatever order they are written in. */
static void test_warm_group_limits_v1(void **state)
{

	if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes",
		   F_OK)) {
		skip(); /* not v1 with swap accounting */
		return;
	}
	assert_int_equal(wait_warm(2), 2);
	assert_int_equal(
	    sh_exit("n=0; for d in /sys/fs/cgroup/memory/coderoom/i%ld/run-warm-*;"
		    " do m=$(cat $d/memory.limit_in_bytes);"
		    " [ \"$m\" = \"$(cat $d/memory.memsw.limit_in_bytes)\" ] || exit 1;"
		    " [ \"$m\" -lt 9000000000000000000 ] || exit 2; n=$((n+1));"
		    " done; [ $n = 2 ] || exit 4",
		    spawner),
	    0);
}

static void test_all_slots_warm(void **state)
{
	static const char *const env[] = {"PATH=/usr/bin:/bin", NULL};
	const char *argv[] = {"/bin/sh", "-c", "sleep 0.1; echo x", NULL};
	struct sandbox_config cfg = {.state_dir = "/run/coderoom-test-warm2",
				     .uid_base = 0, /* the first free range */
				     .slots = 2};
	struct sandbox *sb2;
	struct ctx c[2];

	assert_int_equal(sandbox_open(&loop, &cfg, &sb2), 0);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 2; i++) {
			struct sandbox_spec spec = {.argv = argv, .envp = env};
			uint64_t id;
			memset(&c[i], 0, sizeof(c[i]));
			assert_int_equal(
			    sandbox_spawn(sb2, &spec, &ops, &c[i], &id), 0);
		}
		uint64_t until = now_ms() + 60000;
		while ((!c[0].exited || !c[1].exited || c[0].open > 0 ||
			c[1].open > 0) &&
		       now_ms() < until)
			uv_run(&loop, UV_RUN_ONCE);
		for (int i = 0; i < 2; i++) {
			c[i].out[c[i].len] = '\0';
			assert_true(c[i].exited);
			assert_int_equal(c[i].spawn_err, 0);
			assert_int_equal(c[i].res.error, 0);
			assert_string_equal(c[i].out, "x\n");
		}
	}
	sandbox_close(sb2);
	uv_run(&loop, UV_RUN_NOWAIT);
}

/* Four runs at once, more than the pool holds (2): unless the pool is
 * refilled in time, the last ones start cold, their init cloned on the
 * spot, and it joins the run's groups itself. Every run gets its own
 * groups with its limits, in every hierarchy: a pids bomb and a memory
 * bomb are stopped, warm or cold. A cold run's groups are named after it
 * (run-ID; a warm one's run-warm-N), so the test sees which ones started
 * cold; rounds go on until a bomb of each kind did. Where the pool always
 * keeps up (an emulated machine, whose test process is the slow one), the
 * test says so and skips. */
static void test_cold_runs_join_their_groups(void **state)
{
	static const char *const env[] = {"PATH=/usr/bin:/bin", NULL};
	static const char *const pids_bomb =
	    "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; wait; echo done";
	static const char *const mem_bomb =
	    "sleep 1; exec /usr/bin/python3 -c 'x = bytearray(150 << 20)'";
	const struct sandbox_limits pids_lim = {.pids = 6};
	const struct sandbox_limits mem_lim = {.memory_bytes = 48 << 20,
					       .cpu_ms = 120000};
	struct ctx c[4];
	uint64_t ids[4];

	for (int round = 0; round < 10; round++) {
		bool cold[4] = {false};

		assert_int_equal(wait_warm(2), 2);
		for (int i = 0; i < 4; i++) {
			bool pids = i == 0 || i == 3;
			const char *argv[] = {"/bin/sh", "-c",
					      pids ? pids_bomb : mem_bomb, NULL};
			struct sandbox_spec spec = {
			    .argv = argv,
			    .envp = env,
			    .limits = pids ? pids_lim : mem_lim};
			memset(&c[i], 0, sizeof(c[i]));
			assert_int_equal(
			    sandbox_spawn(sb, &spec, &ops, &c[i], &ids[i]), 0);
		}
		uint64_t until = now_ms() + 120000; /* a hang guard */
		for (;;) {
			int done = 0;
			for (int i = 0; i < 4; i++) {
				char d[700];
				struct stat st;
				snprintf(d, sizeof(d), "%s/run-%" PRIu64, inst,
					 ids[i]);
				if (!c[i].exited && !stat(d, &st))
					cold[i] = true;
				done += c[i].exited && c[i].open == 0;
			}
			if (done == 4 || now_ms() > until)
				break;
			uv_run(&loop, UV_RUN_ONCE);
		}
		uv_run(&loop, UV_RUN_NOWAIT);
		for (int i = 0; i < 4; i++) {
			assert_true(c[i].exited);
			assert_int_equal(c[i].spawn_err, 0);
			assert_int_equal(c[i].res.error, 0);
			assert_int_equal(c[i].res.hit, i == 0 || i == 3
							   ? SANDBOX_HIT_PIDS
							   : SANDBOX_HIT_MEMORY);
		}
		print_message("# round %d: cold: %d %d %d %d\n", round + 1,
			      cold[0], cold[1], cold[2], cold[3]);
		if ((cold[0] || cold[3]) && (cold[1] || cold[2]))
			return;
	}
	print_message("# no round had a bomb of each kind start cold: the "
		      "pool kept up\n");
	skip();
}

static int setup(void **state)
{
	struct sandbox_config cfg = {.state_dir = "/run/coderoom-test-warm",
				     .uid_base = 0, /* the first free range */
				     .slots = 4};

	if (geteuid() != 0)
		return 0;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(sandbox_open(&loop, &cfg, &sb), 0);
	spawner = sandbox_test_spawner_pid();
	assert_true(spawner > 0);
	snprintf(inst, sizeof(inst), "/sys/fs/cgroup/pids/coderoom/i%ld",
		 spawner);
	if (access(inst, F_OK) &&
	    !sandbox_test_v2_instance(spawner, inst, sizeof(inst)))
		inst[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	struct stat st;

	if (!sb)
		return 0;
	sandbox_close(sb);
	uv_run(&loop, UV_RUN_NOWAIT);
	/* Nothing of the pool outlives the sandbox. */
	assert_true(inst[0] != '\0');
	assert_int_not_equal(stat(inst, &st), 0);
	return 0;
}

int main(int argc, char **argv)
{
	/* sandbox_open() re-executes this binary as the spawner. */
	sandbox_spawner_main(argc, argv);

	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool_kept_full),
	    cmocka_unit_test(test_lower_memory_limit),
	    cmocka_unit_test(test_higher_memory_limit),
	    cmocka_unit_test(test_pids_limit),
	    cmocka_unit_test(test_pool_follows_limits),
	    cmocka_unit_test(test_mntns_released),
	    cmocka_unit_test(test_no_freezer_group_with_cgroup_kill),
	    cmocka_unit_test(test_warm_group_limits_v1),
	    cmocka_unit_test(test_all_slots_warm),
	    cmocka_unit_test(test_cold_runs_join_their_groups),
	};

	if (geteuid() != 0 ||
	    (access("/sys/fs/cgroup/pids", F_OK) &&
	     access("/sys/fs/cgroup/cgroup.controllers", F_OK))) {
		printf("# skipped: test_sandbox_warm needs root and cgroups\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("sandbox_warm", tests, setup,
					   teardown);
}
