/*
 * sandbox_test.h - helpers shared by the sandbox unit tests.
 */
#ifndef CODEROOM_TESTS_SANDBOX_TEST_H
#define CODEROOM_TESTS_SANDBOX_TEST_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/*
 * kill(2) for tests: one real process only. A helper that found nothing
 * returns -1, and kill(-1, sig) would signal every process on the host;
 * this refuses any pid <= 1 (and our own) instead. 0 or -errno.
 */
static inline int sandbox_test_kill(long pid, int sig)
{
	if (pid <= 1 || pid > INT_MAX || pid == (long)getpid()) {
		fprintf(stderr, "# refusing to signal pid %ld\n", pid);
		return -ESRCH;
	}
	return kill((pid_t)pid, sig) ? -errno : 0;
}

/* The children of 'pid' (its main thread's), at most 'max' into 'out'. */
static inline size_t sandbox_test_children(long pid, long *out, size_t max)
{
	char path[64], buf[4096];
	size_t n, k = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", pid, pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (char *p = buf, *e; *p && k < max; p = e) {
		long c = strtol(p, &e, 10);
		if (e == p)
			break;
		out[k++] = c;
	}
	return k;
}

/* Whether /proc/PID/comm starts with 'prefix'. */
static inline int sandbox_test_comm_is(long pid, const char *prefix)
{
	char path[64], comm[32];
	FILE *f;
	int yes = 0;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (fgets(comm, sizeof(comm), f))
		yes = !strncmp(comm, prefix, strlen(prefix));
	fclose(f);
	return yes;
}

/*
 * Our spawner: the process named coderoom-spawn(er) among this process's
 * children and theirs (the supervisor, our child, starts it), or -1.
 */
static inline long sandbox_test_spawner_pid(void)
{
	long kids[64], grand[64];
	size_t n = sandbox_test_children((long)getpid(), kids, 64);

	for (size_t i = 0; i < n; i++) {
		if (sandbox_test_comm_is(kids[i], "coderoom-spawn"))
			return kids[i];
		if (!sandbox_test_comm_is(kids[i], "coderoom-sup"))
			continue;
		size_t m = sandbox_test_children(kids[i], grand, 64);
		for (size_t j = 0; j < m; j++)
			if (sandbox_test_comm_is(grand[j], "coderoom-spawn"))
				return grand[j];
	}
	return -1;
}


/*
 * Where spawner 'pid' makes its runs' groups on a cgroup v2 host
 * (/sys/fs/cgroup a cgroup2 mount): "/sys/fs/cgroup<G>/coderoom/i<pid>",
 * G the spawner's own group less the leaf "coderoom-server" it moves
 * itself into (cgroup.c), "" at the root. False on other hosts or when
 * the spawner is gone.
 */
static inline bool sandbox_test_v2_instance(long pid, char *out, size_t len)
{
	static const char leaf[] = "/coderoom-server";
	char path[64], buf[4096], *g, *end;
	struct statfs sf;
	size_t n, gl;
	FILE *f;

	if (statfs("/sys/fs/cgroup", &sf) ||
	    sf.f_type != (typeof(sf.f_type))CGROUP2_SUPER_MAGIC)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	g = strstr(buf, "0::");
	if (!g || (g != buf && g[-1] != '\n'))
		return false;
	g += 3;
	end = strchr(g, '\n');
	if (end)
		*end = '\0';
	gl = strlen(g);
	if (gl >= sizeof(leaf) - 1 && !strcmp(g + gl - (sizeof(leaf) - 1), leaf))
		g[gl - (sizeof(leaf) - 1)] = '\0';
	if (!strcmp(g, "/"))
		g[0] = '\0';
	return (size_t)snprintf(out, len, "/sys/fs/cgroup%s/coderoom/i%ld", g,
				pid) < len;
}

#endif
