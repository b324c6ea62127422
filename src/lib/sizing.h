/*
 * sizing.h - how many runs this machine holds, from what it has.
 *
 * sizing_probe() reads the machine: memory (MemTotal, and the memory limit
 * of the cgroup the server runs in), CPUs, the pid limits (kernel.pid_max,
 * kernel.threads-max, the cgroup's pids.max), the open-file limits.
 * sizing_apply() turns those facts into the defaults of every admission
 * limit the operator left at 0 ("derive it"), and says which resource
 * bounds the interactive runs. It is pure: unit tests feed it machines.
 *
 * The rules (docs/operations.md, "Sizing"):
 *   runs' memory   = memory - max(1 GiB, memory / 8)   (memory / 2 under 2 GiB)
 *   runs' pids     = min(pid_max, threads-max, cgroup pids.max) / 2
 *   interactive    = min(runs' memory / run_memory_reserve,
 *                        runs' pids / run_pids_reserve,
 *                        (open files - 1024) / 4, uids - batch)
 *   batch          = CPUs
 *   per client     = max(min(48, interactive / 2), interactive / 4)
 *                    interactive runs; half the batch queue (a Judge0
 *                    batch of 20 from one client fits the default 64)
 */
#ifndef CODEROOM_SIZING_H
#define CODEROOM_SIZING_H

#include <stdbool.h>
#include <stdint.h>

struct host_facts {
	unsigned cpus;			/* online */
	uint64_t mem_total;		/* MemTotal, bytes */
	uint64_t mem_cgroup;		/* our cgroup's memory limit, 0: none */
	uint64_t pid_max;		/* kernel.pid_max */
	uint64_t threads_max;		/* kernel.threads-max */
	uint64_t pids_cgroup;		/* our cgroup's pids.max, 0: none */
	uint64_t nofile;		/* RLIMIT_NOFILE (soft), after raising */
	uint64_t nofile_hard;
	uint64_t nr_open;		/* fs.nr_open: what root may raise to */
};

/* The admission limits; 0 in a field means "derive it". */
struct sizing {
	uint64_t runs_memory;		/* all runs together (their cgroup) */
	uint64_t runs_pids;		/* all runs together */
	uint64_t run_memory_reserve;	/* counted per run before it uses it */
	uint64_t run_pids_reserve;
	unsigned max_runs;		/* interactive runs at once */
	unsigned queue;			/* interactive runs waiting */
	unsigned client_runs;		/* one client's interactive runs */
	unsigned client_queue;		/* one client's interactive waiting */
	unsigned api_concurrency;	/* batch runs at once */
	unsigned api_queue;		/* batch runs waiting */
	unsigned api_client_queue;	/* one client's batch runs waiting */
	unsigned uids;			/* run uids the sandbox may use */
	const char *bound;		/* what bounds max_runs when derived:
					   "memory", "pids", "open files",
					   "uids", or "--max-runs" */
};

#define SIZING_MAX_UIDS 4096		/* the sandbox's slot table */
#define SIZING_FDS_PER_RUN 4		/* a socket and up to three pipes */
#define SIZING_FDS_RESERVED 1024

/* The machine as it is now. Fields it cannot read stay 0. */
void sizing_probe(struct host_facts *f);

/* Fills every 0 field of 's' from the facts, and clamps the rest to what
 * the machine can give (uids). Pure. */
void sizing_apply(const struct host_facts *f, struct sizing *s);

/* The RLIMIT_NOFILE the server should raise itself to: 'want' when given,
 * else max(hard, 65536); never more than nr_open. Pure. */
uint64_t sizing_nofile_target(const struct host_facts *f, uint64_t want);

#endif
