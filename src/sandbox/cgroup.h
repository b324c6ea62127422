/*
 * cgroup.h - the run's control group: limits, accounting, kill.
 *
 * One interface, back ends chosen at run time by cgroup_host_open():
 *   v2  a unified hierarchy (production): memory.max, memory.swap.max=0,
 *       memory.oom.group, pids.max, cpu.stat, memory.peak,
 *       memory.events, pids.events, cgroup.kill
 *   v1  per-controller hierarchies (memory, pids, cpuacct, freezer, and
 *       cpu where mounted), plus a controller-less v2 mount for
 *       cgroup.kill where there is one
 * Every run is a group of its own in the CPU controller (v2 cpu, v1 cpu)
 * when the host has it, with the run's weight: runs share the CPU as
 * groups, so a program with 60 spinning threads gets one run's share, not
 * 60 threads' worth against everyone else's one.
 * Groups are created under <mount>/coderoom/ (v1) or G/coderoom/ (v2, G the
 * server's own group, which also gets the leaf G/coderoom-server for the
 * server's processes and its controllers enabled); nothing else is touched.
 * Internal to src/sandbox/ (the spawner, as root).
 */
#ifndef CODEROOM_SANDBOX_CGROUP_H
#define CODEROOM_SANDBOX_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"

struct cgroup_host;
struct cgroup_run;

struct cgroup_caps {
	bool memory, pids, cpu, kill;
	bool cpu_weight;     /* cpu.weight (v2) or cpu.shares (v1) per run */
	const char *backend; /* "v2", "v1" (static string) */
};

struct cgroup_stats {
	uint64_t cpu_usec;    /* user + system of every task, ever */
	uint64_t memory_peak; /* bytes, 0 when unknown */
	bool oom_kill;	      /* the OOM killer acted in the group */
	bool pids_max;	      /* a fork failed on pids.max */
};

/* Find a usable hierarchy. NULL when there is none; *caps says what works. */
struct cgroup_host *cgroup_host_open(struct cgroup_caps *caps);

/* Remove coderoom groups left by a crashed spawner (killing their tasks). */
void cgroup_host_janitor(struct cgroup_host *h);

/* Limits on every run of this spawner together (its subtree): memory
 * (swap excluded) and processes; 0 leaves one unlimited. The kernel holds
 * the runs to it whatever each run's own limit says. 0 or -errno. */
int cgroup_host_set_limits(struct cgroup_host *h, uint64_t memory,
			   uint64_t pids);

/* What the runs use together now: memory charged minus the file cache
 * (the kernel reclaims it; tmpfs data stays counted), and processes +
 * threads. 0 or -errno (fields it cannot read
 * stay 0). */
int cgroup_host_usage(struct cgroup_host *h, uint64_t *memory,
		      uint64_t *pids);

/* Remove this spawner's (empty) subtree and free 'h'. */
void cgroup_host_close(struct cgroup_host *h);

/* Create the group of run 'id' with the limits in 'l'. 0 or -errno. */
int cgroup_run_create(struct cgroup_host *h, uint64_t id,
		      const struct sandbox_limits *l, struct cgroup_run **out);

/* The same for a warm init not yet given a run: "run-warm-<seq>" (the
 * janitor's "run-" prefix, told apart from runs by tests and people). */
int cgroup_run_create_warm(struct cgroup_host *h, uint64_t seq,
			   const struct sandbox_limits *l,
			   struct cgroup_run **out);

/* Set the memory and pids limits and the CPU weight of an existing group
 * (a warm run's, created with the defaults, at hand-out). 0 or -errno. */
int cgroup_run_set_limits(struct cgroup_run *r, const struct sandbox_limits *l);

/* A directory fd of the run's cgroup v2 group (for clone3's
 * CLONE_INTO_CGROUP), or -1. The caller closes it. */
int cgroup_run_v2_fd(const struct cgroup_run *r);

/* Move 'pid' (init, before it forks; 0: the caller itself) into the
 * group(s). in_v2: it was born in the v2 group (clone3's
 * CLONE_INTO_CGROUP), which is then not written: a write to cgroup.procs
 * takes the host-wide attach lock and waits for an RCU grace period (some
 * ms) even when the process is in that group already. 0 or -errno. */
int cgroup_run_attach(struct cgroup_run *r, pid_t pid, bool in_v2);

/* Kill every task in the group (cgroup.kill, or freeze-kill-thaw). */
void cgroup_run_kill(struct cgroup_run *r);

/* The same, unless the group holds no task (pids.current 0; an empty
 * group stays empty): for the end of a run, whose init is reaped. */
void cgroup_run_kill_rest(struct cgroup_run *r);

/* The group's CPU time so far (one small read); false when unknown. */
bool cgroup_run_cpu(struct cgroup_run *r, uint64_t *usec);

/* Read the counters; fields it cannot read stay 0. */
void cgroup_run_stats(struct cgroup_run *r, struct cgroup_stats *st);

/* What limit enforcement needs while the run lives, and nothing more (two
 * small reads, where cgroup_run_stats() makes four): the CPU time used and
 * whether the OOM killer acted. Fields it cannot read stay 0. */
void cgroup_run_poll(struct cgroup_run *r, uint64_t *cpu_usec, bool *oom_kill);
/* What a run uses now (sandbox_run_usage()). */
struct cgroup_usage {
	uint64_t cpu_usec;	/* as in cgroup_stats */
	uint64_t memory_bytes;	/* charged now (v1 with swap accounting:
				   memory + swap), 0 when unknown */
	uint64_t memory_peak;	/* the most so far, 0 when unknown */
	uint32_t pids;		/* tasks now, 0 when unknown */
};

/* Read the live figures; fields it cannot read stay 0. */
void cgroup_run_usage(struct cgroup_run *r, struct cgroup_usage *u);

/* Kill what is left, remove the group(s), free 'r'. */
void cgroup_run_destroy(struct cgroup_run *r);

/* --- pure parsers (unit tested) ------------------------------------------ */

/* Value of 'key' in a "key value\n" file (cpu.stat, memory.events...). */
bool cgroup_parse_keyed(const char *text, const char *key, uint64_t *out);

/* A single number ("max" -> UINT64_MAX). */
bool cgroup_parse_u64(const char *text, uint64_t *out);

/*
 * Parse one /proc/self/mountinfo line. For a cgroup (v1) or cgroup2 mount
 * returns true, sets *version (1 or 2), copies the mount point into 'path',
 * the root of the mount within its hierarchy into 'root' ("/", or e.g. a
 * container's own group) and the super options (v1: the controllers) into
 * 'opts'. Paths with escaped characters are refused.
 */
bool cgroup_parse_mountinfo(const char *line, int *version, char *path,
			    size_t len, char *root, size_t rlen, char *opts,
			    size_t olen);

/*
 * The directory of v2 group 'own' (as /proc/self/cgroup names it, "/a/b")
 * in a cgroup2 mount at 'mnt' whose root is 'root': "<mnt><own below
 * root>". 0, -ENOENT when 'own' is not below 'root', -EINVAL for a path
 * that is not absolute or climbs, -ENAMETOOLONG.
 */
int cgroup_v2_dir(const char *mnt, const char *root, const char *own,
		  char *out, size_t len);

/* Whether the comma-separated list 'opts' holds the word 'name'. */
bool cgroup_has_option(const char *opts, const char *name);

#endif /* CODEROOM_SANDBOX_CGROUP_H */
