/*
 * sandbox_overhead.c - per-run cost of coderoom's sandbox, against named
 * baselines.
 *
 * For each program (/bin/true, python3 -c pass) it measures the median
 * wall time from "start it" to "it is gone and its output is at EOF" of:
 *
 *   bare      fork + exec + waitpid, stdout on a pipe read to EOF
 *   coderoom  sandbox_spawn() on a libuv loop, through the spawner, exactly
 *             as the server does it (pipes, default limits), until exited()
 *             has been called and stdout/stderr are at EOF
 *   bwrap     bwrap --unshare-all --die-with-parent with a read-only bind
 *             of /usr (and the merged-/usr links), tmpfs /tmp and /work, a
 *             fresh /proc and /dev (when /usr/bin/bwrap exists)
 *   unshare   unshare --user --map-root-user --pid --fork --net --mount:
 *             the namespaces alone, no file system, limits or filter
 *
 * and prints one table: the medians, the cost each adds to bare, and the
 * ratio of coderoom's added cost to bwrap's. Runs are interleaved (bare,
 * coderoom, bwrap, unshare, bare, ...) so a noisy neighbour hurts all alike,
 * with a pause before each (-p MS, default 20) so that what one leaves to do
 * in the background (the sandbox refilling its warm pool, a namespace's
 * teardown) is not counted in the next one's time.
 *
 * Then throughput: runs of /bin/true per second with two per CPU at once
 * (as the batch bench's clients), each way, with no pause: everything a
 * run costs, its teardown included, shares the CPUs with the next runs.
 * Rounds alternate the four ways, each round RUNS runs of each. Bare is
 * the ceiling; unshare, the namespaces alone, is what any sandbox built on
 * fresh namespaces per run can reach at best.
 *
 * Must run as root (the spawner needs it).
 *
 *   sandbox-overhead [-n RUNS] [-p MS] [-j] [-t]
 *   (-j: a JSON line per figure; -t: the throughput only)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "sandbox/sandbox.h"

extern char **environ;

static uv_loop_t loop;
static struct sandbox *sb;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int pause_ms = 20;

/* The four ways a program is run, in the order of every table. */
static const char *const WAYS[4] = {"bare", "coderoom", "bwrap", "unshare"};

/* Let the previous run's background work finish before the next starts. */
static void settle(void)
{
	struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};

	while (pause_ms > 0 && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* fork + exec argv with stdout/stderr on a pipe; ms until exit and EOF. */
static double run_plain(const char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int p[2], st;
	pid_t pid;
	double t0;

	settle();
	t0 = now_ms();
	if (pipe2(p, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv,
			environ)) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	drain(p[0]);
	close(p[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return now_ms() - t0;
}

/* --- coderoom: through the spawner on a uv loop ----------------------- */

struct run {
	double t_spawned, t_exited;
	bool exited;
	int open; /* output fds not yet at EOF */
	int err;
	int status;
	uv_poll_t poll[2];
	int fd[2];
};

static void on_read(uv_poll_t *h, int status, int events)
{
	struct run *r = h->data;
	int i = h == &r->poll[0] ? 0 : 1;
	char buf[4096];
	ssize_t n = read(r->fd[i], buf, sizeof(buf));

	if (n > 0 || (n < 0 && errno == EAGAIN))
		return;
	uv_poll_stop(h);
	uv_close((uv_handle_t *)h, NULL);
	close(r->fd[i]);
	r->open--;
}

static void on_spawned(void *data, int err, const struct sandbox_proc *p)
{
	struct run *r = data;

	r->err = err;
	r->t_spawned = now_ms();
	if (err)
		return;
	close(p->stdin_fd);
	r->fd[0] = p->stdout_fd;
	r->fd[1] = p->stderr_fd;
	for (int i = 0; i < 2; i++) {
		fcntl(r->fd[i], F_SETFL, fcntl(r->fd[i], F_GETFL) | O_NONBLOCK);
		uv_poll_init(&loop, &r->poll[i], r->fd[i]);
		r->poll[i].data = r;
		uv_poll_start(&r->poll[i], UV_READABLE | UV_DISCONNECT,
			      on_read);
		r->open++;
	}
}

static void on_probed(void *data, bool waiting)
{
}

static void on_exited(void *data, const struct sandbox_result *res)
{
	struct run *r = data;

	r->exited = true;
	r->t_exited = now_ms();
	r->status = res->status;
	if (res->error && !r->err)
		r->err = res->error;
}

static const struct sandbox_run_ops ops = {
    .spawned = on_spawned, .probed = on_probed, .exited = on_exited};

static double run_coderoom(const char *const argv[])
{
	static const char *const envp[] = {"PATH=/usr/bin:/bin", "HOME=/work",
					   "LANG=C.UTF-8", NULL};
	struct sandbox_spec spec = {.argv = argv, .envp = envp};
	struct run r = {0};
	uint64_t id;
	double t0;

	settle();
	uv_run(&loop, UV_RUN_NOWAIT); /* what the sandbox said meanwhile */
	t0 = now_ms();
	if (sandbox_spawn(sb, &spec, &ops, &r, &id))
		return -1;
	while (!r.exited || r.open > 0)
		uv_run(&loop, UV_RUN_ONCE);
	double t = now_ms() - t0;
	if (getenv("BENCH_DEBUG"))
		fprintf(stderr, "spawned %.2f exited %.2f done %.2f\n",
			r.t_spawned - t0, r.t_exited - t0, t);
	uv_run(&loop, UV_RUN_NOWAIT); /* the close callbacks */
	if (r.err || !WIFEXITED(r.status) || WEXITSTATUS(r.status))
		return -1;
	return t;
}

/* --- throughput: 'par' at once, 'total' runs --------------------------- */

/* 'par' processes, each running argv 'total / par' times (the first ones
 * one more) back to back: runs per second over the whole, or -1. */
static double rate_plain(const char *const argv[], int total, int par)
{
	int st, bad = 0;
	double t0 = now_ms();

	for (int w = 0; w < par; w++) {
		int k = total / par + (w < total % par);
		pid_t pid = fork();
		if (pid < 0)
			exit(1); /* those forked run out and are reaped */
		if (pid == 0) {
			pause_ms = 0; /* back to back */
			for (int i = 0; i < k; i++)
				if (run_plain(argv) < 0)
					_exit(1);
			_exit(0);
		}
	}
	for (int w = 0; w < par; w++)
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	return bad ? -1 : total / ((now_ms() - t0) / 1e3);
}

#define MAXPAR 64

/* The same through the spawner: 'par' runs in flight on the loop, the
 * next started as soon as one has exited and its output is at EOF. */
static double rate_coderoom(const char *const argv[], int total, int par)
{
	static const char *const envp[] = {"PATH=/usr/bin:/bin", "HOME=/work",
					   "LANG=C.UTF-8", NULL};
	struct sandbox_spec spec = {.argv = argv, .envp = envp};
	static struct run r[MAXPAR];
	bool busy[MAXPAR] = {false};
	int started = 0, done = 0;
	uint64_t id;
	double t0 = now_ms();

	while (done < total) {
		for (int i = 0; i < par; i++) {
			if (busy[i] && r[i].exited && r[i].open == 0) {
				busy[i] = false;
				done++;
				if (r[i].err || !WIFEXITED(r[i].status) ||
				    WEXITSTATUS(r[i].status))
					return -1;
			}
			if (!busy[i] && started < total) {
				memset(&r[i], 0, sizeof(r[i]));
				int e = sandbox_spawn(sb, &spec, &ops, &r[i], &id);
				if (e == -EAGAIN) /* a slot still held */
					break;
				if (e)
					return -1;
				busy[i] = true;
				started++;
			}
		}
		if (done < total)
			uv_run(&loop, UV_RUN_ONCE);
	}
	double rate = total / ((now_ms() - t0) / 1e3);
	uv_run(&loop, UV_RUN_NOWAIT); /* the close callbacks */
	return rate;
}

/* --- the table ----------------------------------------------------------- */

/* Appends the NULL-terminated 'add' to v at k; the new k. */
static int append(const char **v, int k, const char *const add[])
{
	while (*add)
		v[k++] = *add++;
	return k;
}

/* The bwrap and unshare command lines that run argv ('bw' holds 40,
 * 'us' 16). */
static void wrap(const char *const argv[], const char **bw, const char **us)
{
	static const char *const bw_head[] = {
	    "/usr/bin/bwrap", "--unshare-all", "--die-with-parent",
	    "--ro-bind", "/usr", "/usr", NULL};
	static const char *const bw_tail[] = {
	    "--tmpfs", "/tmp", "--tmpfs", "/work", "--proc", "/proc",
	    "--dev", "/dev", "--chdir", "/work", NULL};
	static const char *const us_head[] = {
	    "/usr/bin/unshare", "--user", "--map-root-user", "--pid",
	    "--fork", "--net", "--mount", NULL};
	/* the merged-/usr links, as coderoom's root has them */
	static const char *const links[] = {"/bin", "/sbin", "/lib", "/lib64"};
	static char targets[4][256];
	int k = append(bw, 0, bw_head);

	for (int i = 0; i < 4; i++) {
		ssize_t tl =
		    readlink(links[i], targets[i], sizeof(targets[i]) - 1);
		if (tl <= 0)
			continue;
		targets[i][tl] = '\0';
		bw[k++] = "--symlink";
		bw[k++] = targets[i];
		bw[k++] = links[i];
	}
	k = append(bw, k, bw_tail);
	bw[append(bw, k, argv)] = NULL;
	us[append(us, append(us, 0, us_head), argv)] = NULL;
}

struct prog {
	const char *name;
	const char *const *argv;
};

#define MAXN 5000
#define ROUNDS 4

/* CPU time the whole machine has spent busy (all CPUs, every process and
 * kernel thread: a namespace's teardown in a kworker counts), in ms. */
static double machine_busy_ms(void)
{
	unsigned long long v[10] = {0}, busy = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	int k = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
			  "%llu",
		       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		       &v[8], &v[9]);
	fclose(f);
	/* user nice system idle iowait irq softirq steal (guest ones are
	 * in user already) */
	for (int i = 0; i < k && i < 8; i++)
		if (i != 3 && i != 4)
			busy += v[i];
	return (double)busy * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

/* Runs/s of argv, two per CPU at once, each way: ROUNDS rounds of n runs
 * of each way, alternated; the printed rate is all runs over all time. */
static void throughput(const char *const argv[], int n, bool have_bwrap,
		       bool json)
{
	const char *bw[40], *us[16];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int par = cpus < 1 ? 2 : cpus * 2 > MAXPAR ? MAXPAR : (int)cpus * 2;
	double secs[4] = {0}, cpu[4] = {0}, rate[4];

	wrap(argv, bw, us);
	const char *const *way[4] = {argv, NULL, bw, us};
	for (int round = 0; round < ROUNDS; round++)
		for (int j = 0; j < 4; j++) {
			double c0 = machine_busy_ms();
			double r = j == 1 ? rate_coderoom(argv, n, par)
				   : j == 2 && !have_bwrap
				       ? 1
				       : rate_plain(way[j], n, par);
			if (r <= 0) {
				fprintf(stderr,
					"sandbox-overhead: %s failed under %s "
					"(%d at once)\n",
					argv[0], WAYS[j], par);
				exit(1);
			}
			secs[j] += n / r;
			cpu[j] += machine_busy_ms() - c0;
		}
	for (int j = 0; j < 4; j++)
		rate[j] = (double)n * ROUNDS / secs[j];
	if (!have_bwrap)
		rate[2] = 0;
	printf("\nthroughput: %s, %d at once, %d runs each way in %d "
	       "alternated rounds, runs/s (x bare)\n",
	       argv[0], par, n * ROUNDS, ROUNDS);
	printf("%-16s %9s %9s %9s %9s\n", "program", "bare", "coderoom",
	       "bwrap", "unshare");
	printf("%-16s %9.1f %9.1f %9.1f %9.1f\n", argv[0], rate[0], rate[1],
	       rate[2], rate[3]);
	printf("%-16s %9s %8.2fx %8.2fx %8.2fx\n", "", "", rate[1] / rate[0],
	       rate[2] / rate[0], rate[3] / rate[0]);
	for (int j = 0; j < 4; j++)
		cpu[j] /= (double)n * ROUNDS;
	printf("%-16s %9.2f %9.2f %9.2f %9.2f  machine CPU ms a run\n", "",
	       cpu[0], cpu[1], have_bwrap ? cpu[2] : 0, cpu[3]);
	if (json)
		printf("{\"throughput\":true,\"program\":\"%s\",\"parallel\":%d,"
		       "\"runs\":%d,\"bare_rps\":%.1f,\"coderoom_rps\":%.1f,"
		       "\"bwrap_rps\":%.1f,\"unshare_rps\":%.1f,"
		       "\"bare_cpu_ms\":%.3f,\"coderoom_cpu_ms\":%.3f,"
		       "\"bwrap_cpu_ms\":%.3f,\"unshare_cpu_ms\":%.3f}\n",
		       argv[0], par, n * ROUNDS, rate[0], rate[1], rate[2],
		       rate[3], cpu[0], cpu[1], have_bwrap ? cpu[2] : 0,
		       cpu[3]);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const char *const t_argv[] = {"/bin/true", NULL};
	static const char *const p_argv[] = {"/usr/bin/python3", "-c", "pass",
					     NULL};
	const struct prog progs[] = {{"/bin/true", t_argv},
				     {"python3 -c pass", p_argv}};
	static double v[4][MAXN];
	bool have_bwrap = access("/usr/bin/bwrap", X_OK) == 0;
	bool json = false, only_tput = false;
	int n = 200, opt;

	/* The spawner is this binary, re-executed: let it take over. */
	sandbox_spawner_main(argc, argv);

	while ((opt = getopt(argc, argv, "n:p:jt")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'p')
			pause_ms = atoi(optarg) < 0 ? 0 : atoi(optarg);
		else if (opt == 'j')
			json = true;
		else if (opt == 't')
			only_tput = true;
		else {
			fprintf(stderr,
				"usage: %s [-n RUNS] [-p MS] [-j] [-t]\n",
				argv[0]);
			return 2;
		}
	}
	if (n < 1 || n > MAXN)
		n = 200;
	if (geteuid() != 0) {
		fprintf(stderr, "sandbox-overhead: needs root (the spawner)\n");
		return 1;
	}
	uv_loop_init(&loop);
	struct sandbox_config cfg = {
	    /* apart from any server's: own state dir, own uids (the first
	     * free range) */
	    .state_dir = "/run/coderoom-bench",
	    .slots = 64, /* as the server's: more than it runs at once */
	};
	int e = sandbox_open(&loop, &cfg, &sb);
	if (e) {
		fprintf(stderr, "sandbox-overhead: sandbox_open: %s\n",
			strerror(-e));
		return 1;
	}
	if (!sandbox_features(sb)->strong)
		fprintf(stderr, "sandbox-overhead: weak sandbox, missing: %s\n",
			sandbox_features(sb)->missing);

	if (!only_tput) {
		printf("per-run cost: median of %d runs (%d ms apart), ms from "
		       "start to exit + EOF of its output%s\n",
		       n, pause_ms,
		       have_bwrap ? ""
				  : " (bwrap not installed: its columns are 0)");
		printf("%-16s %7s %9s %7s %8s %10s %8s %13s\n", "program",
		       "bare", "coderoom", "bwrap", "unshare", "+coderoom",
		       "+bwrap", "+coderoom/+bwrap");
	}
	for (size_t p = 0; !only_tput && p < sizeof(progs) / sizeof(progs[0]);
	     p++) {
		const char *bw[40], *us[16];
		wrap(progs[p].argv, bw, us);

		/* warm-up: page cache, the spawner's first fork */
		for (int i = 0; i < 3; i++) {
			run_plain(progs[p].argv);
			run_coderoom(progs[p].argv);
			if (have_bwrap)
				run_plain(bw);
			run_plain(us);
		}
		for (int i = 0; i < n; i++) {
			v[0][i] = run_plain(progs[p].argv);
			v[1][i] = run_coderoom(progs[p].argv);
			v[2][i] = have_bwrap ? run_plain(bw) : 0;
			v[3][i] = run_plain(us);
			for (int j = 0; j < 4; j++) {
				if (v[j][i] >= 0)
					continue;
				fprintf(stderr,
					"sandbox-overhead: %s failed under "
					"%s\n",
					progs[p].name, WAYS[j]);
				return 1;
			}
		}
		double bare = median(v[0], n), cr = median(v[1], n),
		       bwm = have_bwrap ? median(v[2], n) : 0,
		       usm = median(v[3], n);
		printf("%-16s %7.2f %9.2f %7.2f %8.2f %10.2f %8.2f %12.2fx\n",
		       progs[p].name, bare, cr, bwm, usm, cr - bare,
		       have_bwrap ? bwm - bare : 0,
		       have_bwrap && bwm > bare ? (cr - bare) / (bwm - bare)
						: 0);
		if (json)
			printf("{\"program\":\"%s\",\"runs\":%d,"
			       "\"bare_ms\":%.3f,\"coderoom_ms\":%.3f,"
			       "\"bwrap_ms\":%.3f,\"unshare_ms\":%.3f}\n",
			       progs[p].name, n, bare, cr, bwm, usm);
		fflush(stdout);
	}
	throughput(t_argv, n, have_bwrap, json);
	sandbox_close(sb);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	return 0;
}
