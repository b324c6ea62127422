/*
 * sandbox_test.h - helpers shared by the sandbox unit tests.
 */
#ifndef CODEROOM_TESTS_SANDBOX_TEST_H
#define CODEROOM_TESTS_SANDBOX_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

#endif
