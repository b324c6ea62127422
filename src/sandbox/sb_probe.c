/*
 * sb_probe.c - is a run blocked waiting for its input?
 *
 * Best effort, cheap (called every ~100 ms while a run is quiet), and
 * bounded whatever the program does: at most SB_PROBE_BUDGET /proc files
 * are read per probe. The run waits for input when no thread is running
 * and at least one is in read() on fd 0 (or on the same file as fd 0), or
 * in a select/poll/epoll wait (readline, Node). "No thread is running"
 * comes cheaply from the run's cgroup (its CPU time did not move since
 * the last probe: the spawner's part); then the walk, processes from init
 * down through the main threads' /proc/PID/task/TID/children, the
 * program's first, only has to find one thread reading its input. Reading
 * those files needs root: the spawner does it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sb_internal.h"

#define PROBE_MAX_PROCS 512

enum sb_thread_state sb_probe_parse(const char *line, long *fd)
{
	char *end;
	long nr;
	unsigned long long arg0;

	*fd = -1;
	if (!line)
		return SB_THREAD_UNKNOWN;
	while (*line == ' ')
		line++;
	if (!strncmp(line, "running", 7))
		return SB_THREAD_RUNNING;
	errno = 0;
	nr = strtol(line, &end, 10);
	if (end == line || errno)
		return SB_THREAD_UNKNOWN;
	if (nr < 0) /* blocked, not in a syscall (e.g. stopped) */
		return SB_THREAD_BLOCKED;
	if (*end != ' ')
		return SB_THREAD_UNKNOWN;
	line = end + 1;
	if (strncmp(line, "0x", 2))
		return SB_THREAD_UNKNOWN;
	errno = 0;
	arg0 = strtoull(line + 2, &end, 16);
	if (end == line + 2 || errno)
		return SB_THREAD_UNKNOWN;
	switch (nr) {
	case 0:	  /* read */
	case 17:  /* pread64 */
	case 19:  /* readv */
	case 295: /* preadv */
	case 327: /* preadv2 */
		*fd = arg0 > 0x7fffffffull ? -1 : (long)arg0;
		return SB_THREAD_READ;
	case 7:	  /* poll */
	case 23:  /* select */
	case 232: /* epoll_wait */
	case 270: /* pselect6 */
	case 271: /* ppoll */
	case 281: /* epoll_pwait */
	case 441: /* epoll_pwait2 */
		return SB_THREAD_POLL;
	default:
		return SB_THREAD_BLOCKED;
	}
}

/* What one probe may still do: /proc files it may read. */
struct probe {
	int budget;
};

static bool spend(struct probe *p, int n)
{
	if (p->budget < n)
		return false;
	p->budget -= n;
	return true;
}

/* Whether fd 'fd' of 'pid' is the same file as its fd 0 (two reads). */
static bool same_as_stdin(struct probe *pr, pid_t pid, long fd)
{
	char path[64], a[128], b[128];
	ssize_t na, nb;

	if (fd == 0)
		return true;
	if (fd < 0 || !spend(pr, 2))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)pid, fd);
	na = readlink(path, a, sizeof(a));
	snprintf(path, sizeof(path), "/proc/%d/fd/0", (int)pid);
	nb = readlink(path, b, sizeof(b));
	return na > 0 && na == nb && !memcmp(a, b, (size_t)na);
}

/* Appends the children of thread 'tid' of 'pid' (one read). */
static size_t add_children(struct probe *pr, pid_t pid, pid_t tid,
			   pid_t *pids, size_t n)
{
	char path[64], buf[4096];

	if (n >= PROBE_MAX_PROCS || !spend(pr, 1))
		return n;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)tid);
	if (sb_read_file(path, buf, sizeof(buf)) <= 0)
		return n;
	for (char *p = buf, *e; *p && n < PROBE_MAX_PROCS; p = e) {
		long v = strtol(p, &e, 10);
		if (e == p)
			break;
		if (v > 0)
			pids[n++] = (pid_t)v;
	}
	return n;
}

bool sb_probe_tree(pid_t init_pid, bool quiet)
{
	struct probe pr = {.budget = SB_PROBE_BUDGET};
	pid_t pids[PROBE_MAX_PROCS];
	size_t n, i;
	bool input = false;

	/* init is single-threaded: its one children file */
	n = add_children(&pr, init_pid, init_pid, pids, 0);
	for (i = 0; i < n; i++) {
		char path[64], line[256];
		DIR *d;
		struct dirent *de;

		if (!spend(&pr, 1))
			break;
		snprintf(path, sizeof(path), "/proc/%d/task", (int)pids[i]);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			long fd, tid;
			if (de->d_name[0] == '.')
				continue;
			if (!spend(&pr, 1))
				break;
			tid = strtol(de->d_name, NULL, 10);
			snprintf(path, sizeof(path), "/proc/%d/task/%ld/syscall",
				 (int)pids[i], tid);
			if (sb_read_file(path, line, sizeof(line)) <= 0)
				continue;
			switch (sb_probe_parse(line, &fd)) {
			case SB_THREAD_RUNNING:
				closedir(d);
				return false;
			case SB_THREAD_READ:
				if (same_as_stdin(&pr, pids[i], fd))
					input = true;
				break;
			case SB_THREAD_POLL:
				input = true;
				break;
			default:
				break;
			}
			if (input && quiet) {
				closedir(d);
				return true;
			}
			/* a process's children: those of its main thread
			 * (what a thread forks is missed: best effort) */
			if (tid == pids[i])
				n = add_children(&pr, pids[i], (pid_t)tid, pids,
						 n);
		}
		closedir(d);
	}
	/* Without the cgroup's word that nothing ran, every thread must
	 * have been seen blocked. */
	return input && (quiet || (i == n && pr.budget > 0));
}
