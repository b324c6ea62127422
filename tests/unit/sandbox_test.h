/*
 * sandbox_test.h - helpers shared by the sandbox unit tests.
 */
#ifndef CODEROOM_TESTS_SANDBOX_TEST_H
#define CODEROOM_TESTS_SANDBOX_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Our spawner: the child of this process named coderoom-spawn(er), or -1. */
static inline long sandbox_test_spawner_pid(void)
{
	char path[64], buf[4096], comm[32];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children",
		 (int)getpid());
	f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (char *p = buf, *e; *p; p = e) {
		long pid = strtol(p, &e, 10);
		if (e == p)
			break;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, "coderoom-spawn", 14)) {
			fclose(f);
			return pid;
		}
		fclose(f);
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
