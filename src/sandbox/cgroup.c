/* cgroup.c - placeholder until the back ends land. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/cgroup.h"

struct cgroup_host *cgroup_host_open(struct cgroup_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->backend = "none";
	return NULL;
}

void cgroup_host_janitor(struct cgroup_host *h)
{
}

int cgroup_run_create(struct cgroup_host *h, uint64_t id,
		      const struct sandbox_limits *l, struct cgroup_run **out)
{
	return -ENOSYS;
}

int cgroup_run_attach(struct cgroup_run *r, pid_t pid)
{
	return -ENOSYS;
}

void cgroup_run_kill(struct cgroup_run *r)
{
}

void cgroup_run_stats(struct cgroup_run *r, struct cgroup_stats *st)
{
}

void cgroup_run_destroy(struct cgroup_run *r)
{
}
