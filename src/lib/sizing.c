/*
 * sizing.c - how many runs this machine holds, from what it has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/sizing.h"

#define GiB (1024ull * 1024 * 1024)
#define MiB (1024ull * 1024)

/* A number from a small file ("max" and unreadable: 0). */
static uint64_t read_u64(const char *path)
{
	char buf[64];
	FILE *f = fopen(path, "re");
	unsigned long long v;

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* The path of our group in the hierarchy of 'ctrl' ("" for v2's). */
static bool own_group(const char *ctrl, char *out, size_t len)
{
	char line[1024];
	FILE *f = fopen("/proc/self/cgroup", "re");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
		if (!b)
			continue;
		*b = '\0';
		const char *ctrls = a + 1;
		bool match = ctrl[0] ? false : !*ctrls;
		for (const char *p = ctrls; ctrl[0] && *p;) {
			size_t n = strcspn(p, ",");
			if (n == strlen(ctrl) && !strncmp(p, ctrl, n))
				match = true;
			p += n + (p[n] == ',');
		}
		if (!match)
			continue;
		b[1 + strcspn(b + 1, "\n")] = '\0';
		snprintf(out, len, "%s", b + 1);
		found = !strstr(out, "..");
	}
	fclose(f);
	return found;
}

/* Our cgroup's limit in 'file': v1 under /sys/fs/cgroup/<ctrl>, else v2
 * under /sys/fs/cgroup or its unified mount; 0 when none or unlimited.
 * Every level up to the root counts (a parent's limit binds us too). */
static uint64_t cgroup_limit(const char *ctrl, const char *v1file,
			     const char *v2file)
{
	static const char *const v2roots[] = {"/sys/fs/cgroup",
					      "/sys/fs/cgroup/unified"};
	char grp[512], path[1024];
	uint64_t best = 0;

	if (own_group(ctrl, grp, sizeof(grp))) {
		for (;;) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s/%s",
				 ctrl, grp, v1file);
			uint64_t v = read_u64(path);
			if (v && v < (1ull << 60) && (!best || v < best))
				best = v;
			char *slash = strrchr(grp, '/');
			if (!slash || slash == grp)
				break;
			*slash = '\0';
		}
	}
	if (own_group("", grp, sizeof(grp))) {
		for (size_t i = 0; i < 2; i++) {
			char g[512];
			snprintf(g, sizeof(g), "%s", grp);
			for (;;) {
				snprintf(path, sizeof(path), "%s%s/%s",
					 v2roots[i], g, v2file);
				uint64_t v = read_u64(path);
				if (v && (!best || v < best))
					best = v;
				char *slash = strrchr(g, '/');
				if (!slash || slash == g)
					break;
				*slash = '\0';
			}
		}
	}
	return best;
}

void sizing_probe(struct host_facts *f)
{
	char line[256];
	FILE *m;
	struct rlimit rl;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(f, 0, sizeof(*f));
	f->cpus = n > 0 ? (unsigned)n : 1;
	if ((m = fopen("/proc/meminfo", "re"))) {
		unsigned long long kb;
		while (fgets(line, sizeof(line), m))
			if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
				f->mem_total = kb * 1024;
		fclose(m);
	}
	f->mem_cgroup = cgroup_limit("memory", "memory.limit_in_bytes",
				     "memory.max");
	f->pid_max = read_u64("/proc/sys/kernel/pid_max");
	f->threads_max = read_u64("/proc/sys/kernel/threads-max");
	f->pids_cgroup = cgroup_limit("pids", "pids.max", "pids.max");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		f->nofile = rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : rl.rlim_cur;
		f->nofile_hard = rl.rlim_max == RLIM_INFINITY ? 1u << 20
							      : rl.rlim_max;
	}
	f->nr_open = read_u64("/proc/sys/fs/nr_open");
}

uint64_t sizing_nofile_target(const struct host_facts *f, uint64_t want)
{
	uint64_t t = want;

	if (!t)
		t = f->nofile_hard > 65536 ? f->nofile_hard : 65536;
	if (f->nr_open && t > f->nr_open)
		t = f->nr_open;
	return t;
}

static uint64_t min_nz(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

void sizing_apply(const struct host_facts *f, struct sizing *s)
{
	bool derived = !s->max_runs;

	if (!s->api_concurrency)
		s->api_concurrency = f->cpus ? f->cpus : 1;
	if (!s->api_queue)
		s->api_queue = 64;
	if (!s->api_client_queue)
		s->api_client_queue = s->api_queue / 2 ? s->api_queue / 2 : 1;
	if (!s->run_memory_reserve)
		s->run_memory_reserve = 16 * MiB;
	if (!s->run_pids_reserve)
		s->run_pids_reserve = 8;
	if (!s->runs_memory) {
		uint64_t mem = min_nz(f->mem_total, f->mem_cgroup);
		if (!mem)
			mem = 2 * GiB;	/* unknown: assume a small box */
		if (mem < 2 * GiB)
			s->runs_memory = mem / 2;
		else
			s->runs_memory = mem - (mem / 8 > GiB ? mem / 8 : GiB);
	}
	if (!s->runs_pids) {
		uint64_t p = min_nz(min_nz(f->pid_max, f->threads_max),
				    f->pids_cgroup);
		s->runs_pids = p ? p / 2 : 4096;
	}
	if (!s->uids)
		s->uids = SIZING_MAX_UIDS;
	if (s->uids > SIZING_MAX_UIDS)
		s->uids = SIZING_MAX_UIDS;
	if (s->api_concurrency >= s->uids)
		s->api_concurrency = s->uids > 1 ? s->uids / 2 : 1;

	if (derived) {
		uint64_t by_mem = s->runs_memory / s->run_memory_reserve;
		uint64_t by_pids = s->runs_pids / s->run_pids_reserve;
		uint64_t by_fds = f->nofile > SIZING_FDS_RESERVED
					  ? (f->nofile - SIZING_FDS_RESERVED) /
						SIZING_FDS_PER_RUN
					  : 1;
		uint64_t by_uids = s->uids - s->api_concurrency;
		uint64_t n = by_mem;

		s->bound = "memory";
		if (by_pids < n) {
			n = by_pids;
			s->bound = "pids";
		}
		if (f->nofile && by_fds < n) {
			n = by_fds;
			s->bound = "open files";
		}
		if (by_uids < n) {
			n = by_uids;
			s->bound = "uids";
		}
		s->max_runs = n ? (unsigned)n : 1;
	} else {
		s->bound = "--max-runs";
		if (s->max_runs > s->uids - s->api_concurrency)
			s->max_runs = s->uids - s->api_concurrency;
	}
	if (!s->queue)
		s->queue = 256;
	if (!s->client_runs) {
		unsigned half = s->max_runs / 2, quarter = s->max_runs / 4;
		unsigned c = half < 48 ? half : 48;
		s->client_runs = c > quarter ? c : quarter;
		if (!s->client_runs)
			s->client_runs = 1;
	}
	if (s->client_runs > s->max_runs)
		s->client_runs = s->max_runs;
	if (!s->client_queue)
		s->client_queue = s->queue < 64 ? s->queue : 64;
}
