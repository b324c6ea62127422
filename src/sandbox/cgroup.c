/*
 * cgroup.c - one control group per run, on cgroup v2 or v1.
 *
 * v2 (production): in the server's own group G (the hierarchy's root, or
 * a delegated subtree: systemd Delegate=yes), G/coderoom/i<spawner pid>
 * with memory, pids (and cpu when offered) enabled for its children; the
 * server's processes move to the leaf G/coderoom-server (a group that
 * hands controllers on may hold no processes). Each run gets run-ID there
 * with memory.max, memory.swap.max = 0, memory.oom.group = 1, pids.max.
 * Accounting from cpu.stat, memory.peak (before Linux 5.19: the largest
 * memory.current read), memory.events, pids.events; the tree dies by
 * cgroup.kill.
 *
 * v1 (these dev machines): run-ID under <mount>/coderoom of the memory,
 * pids, cpuacct and freezer hierarchies, and of cpu when it is mounted
 * (some hosts mount it with cpuacct, some alone, some not at all: then the
 * runs share the CPU as plain threads); memory.memsw.limit_in_bytes when
 * swap is accounted. Kill: cgroup.kill of a group in a controller-less
 * cgroup2 mount when there is one (then a run gets no freezer group: it
 * would only cost a mkdir, an attach and an rmdir per run), else freeze,
 * SIGKILL every task, thaw.
 *
 * Only groups named "coderoom" and below are created, written or removed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "sandbox/cgroup.h"
#include "sandbox/sb_internal.h"

#define CG_PATH 512

/* CG_CPU is v1's cpuacct (accounting), CG_CPUW v1's cpu (weights). */
enum cg_ctrl {
	CG_MEM, CG_PIDS, CG_CPU, CG_FREEZER, CG_CPUW, CG_KILL, CG_NCTRL
};

struct cgroup_host {
	int version; /* 1 or 2 */
	/* Base dirs ("<mount>/coderoom"), "" when absent. v2 uses
	 * base[CG_MEM] only (one hierarchy); v1 one per controller, and
	 * base[CG_KILL] in a controller-less cgroup2 mount. */
	char base[CG_NCTRL][CG_PATH];
	bool memsw; /* v1: memory.memsw.* exists */
	bool cpu_weight; /* v2: the cpu controller is enabled for runs */
};

struct cgroup_run {
	struct cgroup_host *h;
	char dir[CG_NCTRL][CG_PATH + 32]; /* "" when not created */
	uint64_t mem_seen; /* v2 without memory.peak: the most memory.current
			      read (every accounting tick) */
};

/* --- pure parsers ------------------------------------------------------ */

bool cgroup_parse_u64(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	while (*text == ' ' || *text == '\t')
		text++;
	if (!strncmp(text, "max", 3) && (text[3] == '\0' || text[3] == '\n')) {
		*out = UINT64_MAX;
		return true;
	}
	if (*text < '0' || *text > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || (*end != '\0' && *end != '\n'))
		return false;
	*out = v;
	return true;
}

bool cgroup_parse_keyed(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ' ') {
			char num[32];
			const char *v = p + klen + 1;
			size_t n = strcspn(v, "\n");
			if (n == 0 || n >= sizeof(num))
				return false;
			memcpy(num, v, n);
			num[n] = '\0';
			return cgroup_parse_u64(num, out);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

bool cgroup_has_option(const char *opts, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = opts; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && !strncmp(p, name, n))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

/* The n-th space-separated field of 'line' (0-based), copied. */
static bool field(const char *line, int n, char *out, size_t len)
{
	const char *p = line;

	for (int i = 0; i < n; i++) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	size_t l = strcspn(p, " \n");
	if (l == 0 || l >= len)
		return false;
	memcpy(out, p, l);
	out[l] = '\0';
	return true;
}

bool cgroup_parse_mountinfo(const char *line, int *version, char *path,
			    size_t len, char *root, size_t rlen, char *opts,
			    size_t olen)
{
	const char *sep = strstr(line, " - ");
	char type[32];

	if (!sep)
		return false;
	/* after the separator: fstype, source, super options */
	if (!field(sep + 3, 0, type, sizeof(type)))
		return false;
	if (!strcmp(type, "cgroup2"))
		*version = 2;
	else if (!strcmp(type, "cgroup"))
		*version = 1;
	else
		return false;
	if (!field(line, 4, path, len) || path[0] != '/' || strchr(path, '\\'))
		return false;
	if (!field(line, 3, root, rlen) || root[0] != '/' || strchr(root, '\\'))
		return false;
	if (!field(sep + 3, 2, opts, olen))
		opts[0] = '\0';
	return true;
}

int cgroup_v2_dir(const char *mnt, const char *root, const char *own,
		  char *out, size_t len)
{
	size_t rl = strlen(root);
	const char *rel;

	if (own[0] != '/' || strstr(own, "/.."))
		return -EINVAL;
	if (!strcmp(root, "/"))
		rel = own;
	else if (!strncmp(own, root, rl) && (own[rl] == '\0' || own[rl] == '/'))
		rel = own + rl;
	else
		return -ENOENT;
	if (!strcmp(rel, "/"))
		rel = "";
	if ((size_t)snprintf(out, len, "%s%s", mnt, rel) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* --- file helpers ------------------------------------------------------ */

static int cg_write(const char *dir, const char *file, const char *val)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return sb_write_file(path, val);
}

static int cg_write_u64(const char *dir, const char *file, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_write(dir, file, buf);
}

static ssize_t cg_read(const char *dir, const char *file, char *buf, size_t len)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return sb_read_file(path, buf, len);
}

static bool cg_exists(const char *dir, const char *file)
{
	char path[2048];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/*
 * <mnt>/coderoom/i<spawner pid>: several servers may share a host (tests,
 * a dev server); each spawner owns its own subtree, and the janitor only
 * removes subtrees whose spawner is gone.
 */
static int make_base(char *base, const char *mnt)
{
	if ((size_t)snprintf(base, CG_PATH, "%s/coderoom", mnt) >= CG_PATH)
		return -ENAMETOOLONG;
	if (mkdir(base, 0755) && errno != EEXIST)
		return -errno;
	if (cg_exists(base, "cgroup.subtree_control")) {
		cg_write(base, "cgroup.subtree_control", "+memory");
		cg_write(base, "cgroup.subtree_control", "+pids");
		cg_write(base, "cgroup.subtree_control", "+cpu");
	}
	/* Every run together weighs as much as one busy thread per CPU
	 * against the host's other tasks (the server among them), not as
	 * one: a class's programs keep the machine's CPUs when nothing else
	 * wants them, and the server still gets its share when it does.
	 * Inside, runs share by their own weights. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t cpus = ncpu > 0 ? (uint64_t)ncpu : 1;
	if (cg_exists(base, "cpu.shares"))
		cg_write_u64(base, "cpu.shares", 1024 * cpus);
	else if (cg_exists(base, "cpu.weight"))
		cg_write_u64(base, "cpu.weight", cpus > 100 ? 10000 : 100 * cpus);
	size_t n = strlen(base);
	if ((size_t)snprintf(base + n, CG_PATH - n, "/i%d", (int)getpid()) >=
	    CG_PATH - n)
		return -ENAMETOOLONG;
	if (mkdir(base, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* --- detection --------------------------------------------------------- */

/* Enable memory, pids (and cpu) for the children of 'dir'. */
static int enable_controllers(const char *dir, bool cpu)
{
	int e = cg_write(dir, "cgroup.subtree_control", "+memory");

	if (!e)
		e = cg_write(dir, "cgroup.subtree_control", "+pids");
	if (!e && cpu)
		cg_write(dir, "cgroup.subtree_control", "+cpu");
	return e;
}

/*
 * Move every process of 'top' into the leaf 'top/coderoom-server', so
 * that 'top' may hand controllers to its children (cgroup v2 allows no
 * processes in a group that does). This is the delegated-subtree set-up:
 * the service's own group (systemd Delegate=yes) holds the server in one
 * leaf and the runs in another subtree. Processes other than the server
 * and this spawner are moved too (a container's other processes, a login
 * shell's session) and said so: coderoom should have a group of its own.
 */
/* The parent of 'pid' from /proc/PID/stat, or -1. */
static long parent_of(long pid)
{
	char path[64], buf[512];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (sb_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strrchr(buf, ')');	/* comm may hold anything */
	return p ? strtol(p + 4, NULL, 10) : -1;
}

static int move_to_leaf(const char *top)
{
	char leaf[CG_PATH + 32], buf[8192];
	int moved = 0, others = 0;
	/* coderoom's own: us, the supervisor (our parent), the server */
	long sup = (long)getppid(), server = parent_of(sup);

	snprintf(leaf, sizeof(leaf), "%.500s/coderoom-server", top);
	if (mkdir(leaf, 0755) && errno != EEXIST)
		return -errno;
	for (int round = 0; round < 5; round++) {
		int n = 0;
		if (cg_read(top, "cgroup.procs", buf, sizeof(buf)) < 0)
			return -EIO;
		for (char *p = buf, *e; *p; p = e) {
			long pid = strtol(p, &e, 10);
			if (e == p)
				break;
			char num[24];
			snprintf(num, sizeof(num), "%ld", pid);
			if (cg_write(leaf, "cgroup.procs", num))
				continue;
			n++;
			if (pid != (long)getpid() && pid != sup && pid != server)
				others++;
		}
		moved += n;
		if (!n)
			break;
	}
	log_info("sandbox: spawner: cgroup v2: moved %d processes from '%s' to "
		 "its leaf 'coderoom-server' (a group that hands controllers "
		 "on may hold no processes)", moved, top);
	if (others)
		log_warn("sandbox: spawner: cgroup v2: %d of them are not "
			 "coderoom's: give coderoom a group of its own "
			 "(systemd: Delegate=yes, see docs/operations.md)",
			 others);
	return 0;
}

/* The group this process is in, as "/path" in the v2 hierarchy. */
static void own_cgroup(char *out, size_t len)
{
	char buf[4096];

	out[0] = '\0';
	if (sb_read_file("/proc/self/cgroup", buf, sizeof(buf)) <= 0)
		return;
	for (char *p = buf; p && *p;) {
		if (!strncmp(p, "0::", 3)) {
			size_t n = strcspn(p + 3, "\n");
			if (n < len) {
				memcpy(out, p + 3, n);
				out[n] = '\0';
			}
			return;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

/*
 * 'mnt' is a cgroup2 mount whose root is 'root' ("/", or only the group a
 * container was given when it shares the host's cgroup namespace).
 */
static bool setup_v2(struct cgroup_host *h, const char *mnt, const char *root,
		     struct cgroup_caps *caps)
{
	char ctrls[256], own[CG_PATH], top[CG_PATH];
	char *base = h->base[CG_MEM];
	bool cpu;

	/* Our own group when it is not the root: a delegated subtree. Outside
	 * our cgroup namespace ("/../x") or unknown: the mount's root. */
	own_cgroup(own, sizeof(own));
	if (own[0] != '/' || strstr(own, ".."))
		snprintf(own, sizeof(own), "%.*s", CG_PATH - 1, root);
	/* A server restarted in place may already sit in our leaf. */
	size_t ol = strlen(own), ll = strlen("/coderoom-server");
	if (ol >= ll && !strcmp(own + ol - ll, "/coderoom-server"))
		snprintf(own + ol - ll, sizeof(own) - (ol - ll), "%s",
			 ol == ll ? "/" : "");
	if (cgroup_v2_dir(mnt, root, own, top, sizeof(top)))
		return false;
	if (cg_read(top, "cgroup.controllers", ctrls, sizeof(ctrls)) < 0)
		return false;
	/* space separated: reuse the comma helper */
	for (char *p = ctrls; *p; p++)
		if (*p == ' ' || *p == '\n')
			*p = ',';
	if (!cgroup_has_option(ctrls, "memory") ||
	    !cgroup_has_option(ctrls, "pids"))
		return false;
	cpu = cgroup_has_option(ctrls, "cpu");
	/* Refused while 'top' holds processes (anything but the real root,
	 * e.g. a container's cgroup namespace root): move them to a leaf. */
	if (enable_controllers(top, cpu)) {
		if (move_to_leaf(top) || enable_controllers(top, cpu))
			return false;
	}
	if (make_base(base, top))
		return false;
	if (enable_controllers(base, cpu)) {
		base[0] = '\0';
		return false;
	}
	h->version = 2;
	h->cpu_weight = cg_exists(base, "cpu.weight");
	caps->memory = true;
	caps->pids = true;
	caps->cpu = cg_exists(base, "cpu.stat");
	caps->cpu_weight = cg_exists(base, "cpu.weight");
	caps->kill = cg_exists(base, "cgroup.kill");
	caps->backend = "v2";
	return true;
}

struct cgroup_host *cgroup_host_open(struct cgroup_caps *caps)
{
	struct cgroup_host *h = calloc(1, sizeof(*h));
	char line[1024], path[CG_PATH], root[CG_PATH], opts[256];
	char v1[CG_NCTRL][CG_PATH] = {{0}};
	char v2[4][CG_PATH], v2root[4][CG_PATH];
	int nv2 = 0, version;
	FILE *f;

	memset(caps, 0, sizeof(*caps));
	caps->backend = "none";
	if (!h)
		return NULL;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		free(h);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!cgroup_parse_mountinfo(line, &version, path, sizeof(path),
					    root, sizeof(root), opts,
					    sizeof(opts)))
			continue;
		if (version == 2) {
			/* A later mount on the same point hides the earlier
			 * one (a container's bind mount of its own group). */
			int i = 0;
			while (i < nv2 && strcmp(v2[i], path))
				i++;
			if (i == nv2 && nv2 < 4)
				nv2++;
			if (i < nv2) {
				snprintf(v2[i], CG_PATH, "%s", path);
				snprintf(v2root[i], CG_PATH, "%s", root);
			}
			continue;
		}
		if (cgroup_has_option(opts, "memory") && !v1[CG_MEM][0])
			snprintf(v1[CG_MEM], CG_PATH, "%s", path);
		if (cgroup_has_option(opts, "pids") && !v1[CG_PIDS][0])
			snprintf(v1[CG_PIDS], CG_PATH, "%s", path);
		if (cgroup_has_option(opts, "cpuacct") && !v1[CG_CPU][0])
			snprintf(v1[CG_CPU], CG_PATH, "%s", path);
		if (cgroup_has_option(opts, "freezer") && !v1[CG_FREEZER][0])
			snprintf(v1[CG_FREEZER], CG_PATH, "%s", path);
		if (cgroup_has_option(opts, "cpu") && !v1[CG_CPUW][0])
			snprintf(v1[CG_CPUW], CG_PATH, "%s", path);
	}
	fclose(f);

	/* A cgroup2 mount with memory and pids: the v2 back end. */
	for (int i = 0; i < nv2; i++)
		if (setup_v2(h, v2[i], v2root[i], caps))
			return h;

	/* v1: memory and pids at least. */
	if (!v1[CG_MEM][0] || !v1[CG_PIDS][0])
		goto out_none;
	h->version = 1;
	for (int c = CG_MEM; c < CG_KILL; c++) {
		if (!v1[c][0])
			continue;
		if (make_base(h->base[c], v1[c])) {
			h->base[c][0] = '\0';
			if (c == CG_MEM || c == CG_PIDS)
				goto out_none;
		}
	}
	/* A controller-less cgroup2 mount still offers cgroup.kill. */
	for (int i = 0; i < nv2; i++) {
		if (make_base(h->base[CG_KILL], v2[i]) == 0 &&
		    cg_exists(h->base[CG_KILL], "cgroup.kill"))
			break;
		h->base[CG_KILL][0] = '\0';
	}
	h->memsw = cg_exists(h->base[CG_MEM], "memory.memsw.limit_in_bytes");
	caps->memory = true;
	caps->pids = true;
	caps->cpu = h->base[CG_CPU][0] != '\0';
	caps->cpu_weight = h->base[CG_CPUW][0] &&
			   cg_exists(h->base[CG_CPUW], "cpu.shares");
	if (!caps->cpu_weight)
		h->base[CG_CPUW][0] = '\0';
	caps->kill = h->base[CG_KILL][0] || h->base[CG_FREEZER][0];
	caps->backend = "v1";
	return h;

out_none:
	memset(caps, 0, sizeof(*caps));
	caps->backend = "none";
	free(h);
	return NULL;
}

/* --- killing ------------------------------------------------------------- */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};

	nanosleep(&ts, NULL);
}

/* SIGKILL every task listed in dir/cgroup.procs; returns how many. */
static int kill_procs(const char *dir)
{
	char buf[8192];
	int n = 0;

	if (cg_read(dir, "cgroup.procs", buf, sizeof(buf)) <= 0)
		return 0;
	for (char *p = buf, *e; *p; p = e) {
		long pid = strtol(p, &e, 10);
		if (e == p)
			break;
		if (pid > 1) {
			kill((pid_t)pid, SIGKILL);
			n++;
		}
	}
	return n;
}

/*
 * Whether the run's groups hold no task: pids.current reads 0 (a task is
 * counted from its fork or attach until it is reaped). Nothing enters an
 * empty group but by an attach of ours, so it has nothing to kill. The
 * read takes no cgroup lock; a cgroup.kill write takes the host-wide
 * cgroup_mutex, which a v1 attach anywhere on the host holds across an
 * RCU grace period: 6% of those writes waited 0.5-6 ms at a run's end.
 */
static bool dirs_empty(struct cgroup_host *h, char dir[][CG_PATH + 32])
{
	const char *d = h->version == 2 ? dir[CG_MEM] : dir[CG_PIDS];
	char buf[64];
	uint64_t v;

	return d[0] && cg_read(d, "pids.current", buf, sizeof(buf)) > 0 &&
	       cgroup_parse_u64(buf, &v) && v == 0;
}

/* Kill everything in the run's groups (dir[] entries). */
static void kill_dirs(struct cgroup_host *h, char dir[][CG_PATH + 32])
{
	if (h->version == 2) {
		if (dir[CG_MEM][0] &&
		    !cg_write(dir[CG_MEM], "cgroup.kill", "1"))
			return;
		kill_procs(dir[CG_MEM]);
		return;
	}
	if (dir[CG_KILL][0] && !cg_write(dir[CG_KILL], "cgroup.kill", "1"))
		return;
	if (dir[CG_FREEZER][0]) {
		/* Frozen tasks cannot fork while we kill them. */
		cg_write(dir[CG_FREEZER], "freezer.state", "FROZEN");
		kill_procs(dir[CG_FREEZER]);
		cg_write(dir[CG_FREEZER], "freezer.state", "THAWED");
		return;
	}
	/* No freezer: repeat until the pids group is empty. */
	for (int i = 0; i < 10 && kill_procs(dir[CG_PIDS]); i++)
		;
}

static void remove_dirs(char dir[][CG_PATH + 32])
{
	for (int c = 0; c < CG_NCTRL; c++) {
		if (!dir[c][0])
			continue;
		/* Tasks being torn down keep the group busy for a moment. */
		for (int i = 0; i < 100; i++) {
			if (rmdir(dir[c]) == 0 || errno == ENOENT)
				break;
			if (errno != EBUSY)
				break;
			sleep_ms(2);
		}
		dir[c][0] = '\0';
	}
}

/* Kill and remove every run-* group under 'inst' (group type 'c'). */
static void clean_instance(struct cgroup_host *h, int c, const char *inst)
{
	DIR *d = opendir(inst);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char dir[CG_NCTRL][CG_PATH + 32] = {{0}};
		if (strncmp(de->d_name, "run-", 4) || de->d_type != DT_DIR)
			continue;
		if ((size_t)snprintf(dir[c], sizeof(dir[c]), "%s/%s", inst,
				     de->d_name) >= sizeof(dir[c]))
			continue;
		if (c == CG_KILL || h->version == 2) {
			cg_write(dir[c], "cgroup.kill", "1");
		} else if (c == CG_FREEZER) {
			cg_write(dir[c], "freezer.state", "FROZEN");
			kill_procs(dir[c]);
			cg_write(dir[c], "freezer.state", "THAWED");
		} else {
			kill_procs(dir[c]);
		}
		remove_dirs(dir);
	}
	closedir(d);
}

/* Whether pid 'pid' is a live spawner (ours or another server's). */
static bool spawner_alive(long pid)
{
	char path[64], comm[32];

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (sb_read_file(path, comm, sizeof(comm)) <= 0)
		return false;
	return !strncmp(comm, "coderoom-spawn", 14);
}

void cgroup_host_janitor(struct cgroup_host *h)
{
	if (!h)
		return;
	for (int c = 0; c < CG_NCTRL; c++) {
		char top[CG_PATH];
		DIR *d;
		struct dirent *de;

		if (!h->base[c][0])
			continue;
		snprintf(top, sizeof(top), "%s", h->base[c]);
		char *slash = strrchr(top, '/');
		if (!slash)
			continue;
		*slash = '\0'; /* <mnt>/coderoom */
		d = opendir(top);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			char inst[CG_PATH + 300];
			char *end;
			long pid;

			if (de->d_type != DT_DIR)
				continue;
			if (!strncmp(de->d_name, "run-", 4)) {
				/* An older layout's group: remove it if
				 * empty, never kill (its owner is unknown). */
				if ((size_t)snprintf(inst, sizeof(inst),
						     "%s/%s", top,
						     de->d_name) < sizeof(inst))
					rmdir(inst);
				continue;
			}
			if (de->d_name[0] != 'i')
				continue;
			pid = strtol(de->d_name + 1, &end, 10);
			if (*end || pid <= 0 || pid == (long)getpid() ||
			    spawner_alive(pid))
				continue;
			if ((size_t)snprintf(inst, sizeof(inst), "%s/%s", top,
					     de->d_name) >= sizeof(inst))
				continue;
			clean_instance(h, c, inst);
			rmdir(inst);
		}
		closedir(d);
		/* Our own subtree is new, but an old spawner with our pid
		 * may have left runs in it. */
		clean_instance(h, c, h->base[c]);
	}
}

void cgroup_host_close(struct cgroup_host *h)
{
	if (!h)
		return;
	for (int c = 0; c < CG_NCTRL; c++)
		if (h->base[c][0])
			rmdir(h->base[c]);
	free(h);
}

/* v1 keeps memory <= memory+swap at every step: raise memsw first when
 * growing, the memory limit first when shrinking. memory + swap = memory:
 * nothing swaps. 'fresh': a new group, unlimited, so shrinking (saves
 * the memsw write that would fail first). */
static int set_memory_v1(const struct cgroup_host *h, const char *d,
			 uint64_t bytes, bool fresh)
{
	int e = -EINVAL;

	if (!h->memsw)
		return cg_write_u64(d, "memory.limit_in_bytes", bytes);
	if (!fresh)
		e = cg_write_u64(d, "memory.memsw.limit_in_bytes", bytes);
	if (!e)
		e = cg_write_u64(d, "memory.limit_in_bytes", bytes);
	if (e == -EINVAL) {
		e = cg_write_u64(d, "memory.limit_in_bytes", bytes);
		if (!e)
			e = cg_write_u64(d, "memory.memsw.limit_in_bytes",
					 bytes);
	}
	return e;
}

int cgroup_host_set_limits(struct cgroup_host *h, uint64_t memory,
			   uint64_t pids)
{
	int e = 0;

	if (!h)
		return -ENOSYS;
	if (h->version == 2) {
		if (memory)
			e = cg_write_u64(h->base[CG_MEM], "memory.max", memory);
		if (!e && pids)
			e = cg_write_u64(h->base[CG_MEM], "pids.max", pids);
		return e;
	}
	if (memory)
		e = set_memory_v1(h, h->base[CG_MEM], memory, false);
	if (!e && pids)
		e = cg_write_u64(h->base[CG_PIDS], "pids.max", pids);
	return e;
}

int cgroup_host_usage(struct cgroup_host *h, uint64_t *memory, uint64_t *pids)
{
	char buf[8192];
	uint64_t used = 0, active = 0, inactive = 0;
	const char *mem, *pid;

	*memory = 0;
	*pids = 0;
	if (!h)
		return -ENOSYS;
	mem = h->base[CG_MEM];
	pid = h->version == 2 ? h->base[CG_MEM] : h->base[CG_PIDS];
	if (cg_read(pid, "pids.current", buf, sizeof(buf)) > 0)
		cgroup_parse_u64(buf, pids);
	if (cg_read(mem, h->version == 2 ? "memory.current"
					 : "memory.usage_in_bytes",
		    buf, sizeof(buf)) <= 0 ||
	    !cgroup_parse_u64(buf, &used))
		return -EIO;
	/* File cache is the kernel's to reclaim; what runs wrote to their
	 * tmpfs is shmem, not file cache, and stays counted. */
	if (cg_read(mem, "memory.stat", buf, sizeof(buf)) > 0) {
		cgroup_parse_keyed(buf, h->version == 2 ? "active_file"
							: "total_active_file",
				   &active);
		cgroup_parse_keyed(buf, h->version == 2 ? "inactive_file"
							: "total_inactive_file",
				   &inactive);
	}
	*memory = used > active + inactive ? used - active - inactive : 0;
	return 0;
}

/* --- runs ---------------------------------------------------------------- */

/* The run's share of the CPU (weight 1..10000, 100 the kernel default):
 * cpu.weight on v2, cpu.shares = weight * 1024 / 100 on v1. Without the
 * controller there is nothing to write. */
static int set_weight(struct cgroup_run *r, uint32_t weight)
{
	if (!weight)
		return 0;
	if (weight > 10000)
		weight = 10000;
	if (r->h->version == 2) {
		if (!r->h->cpu_weight)
			return 0;
		return cg_write_u64(r->dir[CG_MEM], "cpu.weight", weight);
	}
	if (!r->dir[CG_CPUW][0])
		return 0;
	uint64_t shares = (uint64_t)weight * 1024 / 100;
	return cg_write_u64(r->dir[CG_CPUW], "cpu.shares",
			    shares < 2 ? 2 : shares);
}

static int set_limits(struct cgroup_run *r, const struct sandbox_limits *l,
		      bool fresh)
{
	const char *d = r->dir[CG_MEM];
	int e;

	/* a new group has the kernel's default weight (100; 1024 shares) */
	if (!(fresh && l->cpu_weight == 100) &&
	    (e = set_weight(r, l->cpu_weight)))
		return e;
	if (r->h->version == 2) {
		if ((e = cg_write_u64(d, "memory.max", l->memory_bytes)))
			return e;
		return cg_write_u64(d, "pids.max", l->pids);
	}
	if ((e = set_memory_v1(r->h, d, l->memory_bytes, fresh)))
		return e;
	return cg_write_u64(r->dir[CG_PIDS], "pids.max", l->pids);
}

int cgroup_run_set_limits(struct cgroup_run *r, const struct sandbox_limits *l)
{
	return set_limits(r, l, false);
}

static int create_named(struct cgroup_host *h, const char *name,
			const struct sandbox_limits *l, struct cgroup_run **out)
{
	struct cgroup_run *r;
	int e = 0;

	*out = NULL;
	if (!h)
		return -ENOSYS;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->h = h;
	for (int c = 0; c < CG_NCTRL; c++) {
		if (!h->base[c][0])
			continue;
		/* v1's freezer is the kill without cgroup.kill only */
		if (c == CG_FREEZER && h->base[CG_KILL][0])
			continue;
		snprintf(r->dir[c], sizeof(r->dir[c]), "%s/%s", h->base[c],
			 name);
		if (mkdir(r->dir[c], 0755) && errno != EEXIST) {
			e = -errno;
			r->dir[c][0] = '\0';
			goto out_remove;
		}
	}
	if (h->version == 2) {
		const char *d = r->dir[CG_MEM];
		if (cg_exists(d, "memory.swap.max") &&
		    (e = cg_write(d, "memory.swap.max", "0")))
			goto out_remove;
		/* An OOM kill takes the whole run, not one random task. */
		cg_write(d, "memory.oom.group", "1");
	} else {
		cg_write(r->dir[CG_MEM], "memory.swappiness", "0");
	}
	if ((e = set_limits(r, l, true)))
		goto out_remove;
	*out = r;
	return 0;

out_remove:
	remove_dirs(r->dir);
	free(r);
	return e;
}

int cgroup_run_create(struct cgroup_host *h, uint64_t id,
		      const struct sandbox_limits *l, struct cgroup_run **out)
{
	char name[40];

	snprintf(name, sizeof(name), "run-%" PRIu64, id);
	return create_named(h, name, l, out);
}

int cgroup_run_create_warm(struct cgroup_host *h, uint64_t seq,
			   const struct sandbox_limits *l,
			   struct cgroup_run **out)
{
	char name[40];

	snprintf(name, sizeof(name), "run-warm-%" PRIu64, seq);
	return create_named(h, name, l, out);
}

/* Which of a run's directories is its cgroup v2 group. */
static int v2_index(const struct cgroup_run *r)
{
	return r->h->version == 2 ? CG_MEM : CG_KILL;
}

int cgroup_run_v2_fd(const struct cgroup_run *r)
{
	const char *d = r->dir[v2_index(r)];

	if (!d[0])
		return -1;
	return open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int cgroup_run_attach(struct cgroup_run *r, pid_t pid, bool in_v2)
{
	char buf[24];
	int e;

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (int c = 0; c < CG_NCTRL; c++) {
		if (!r->dir[c][0] || (in_v2 && c == v2_index(r)))
			continue;
		e = cg_write(r->dir[c], "cgroup.procs", buf);
		if (e)
			return e;
	}
	return 0;
}

void cgroup_run_kill(struct cgroup_run *r)
{
	if (r)
		kill_dirs(r->h, r->dir);
}

void cgroup_run_kill_rest(struct cgroup_run *r)
{
	if (r && !dirs_empty(r->h, r->dir))
		kill_dirs(r->h, r->dir);
}

bool cgroup_run_cpu(struct cgroup_run *r, uint64_t *usec)
{
	char buf[2048];
	uint64_t v;

	if (!r)
		return false;
	if (r->h->version == 2) {
		if (cg_read(r->dir[CG_MEM], "cpu.stat", buf, sizeof(buf)) > 0 &&
		    cgroup_parse_keyed(buf, "usage_usec", &v)) {
			*usec = v;
			return true;
		}
		return false;
	}
	if (r->dir[CG_CPU][0] &&
	    cg_read(r->dir[CG_CPU], "cpuacct.usage", buf, sizeof(buf)) > 0 &&
	    cgroup_parse_u64(buf, &v)) {
		*usec = v / 1000;
		return true;
	}
	if (r->dir[CG_KILL][0] &&
	    cg_read(r->dir[CG_KILL], "cpu.stat", buf, sizeof(buf)) > 0 &&
	    cgroup_parse_keyed(buf, "usage_usec", &v)) {
		*usec = v; /* the controller-less v2 group */
		return true;
	}
	return false;
}

void cgroup_run_stats(struct cgroup_run *r, struct cgroup_stats *st)
{
	char buf[2048];
	uint64_t v;

	memset(st, 0, sizeof(*st));
	if (!r)
		return;
	if (!cgroup_run_cpu(r, &st->cpu_usec))
		st->cpu_usec = 0;
	if (r->h->version == 2) {
		const char *d = r->dir[CG_MEM];
		if (cg_read(d, "memory.peak", buf, sizeof(buf)) > 0 &&
		    cgroup_parse_u64(buf, &v)) {
			st->memory_peak = v;
		} else if (cg_read(d, "memory.current", buf, sizeof(buf)) >
			       0 &&
			   cgroup_parse_u64(buf, &v)) {
			/* memory.peak is Linux 5.19+: before, the most
			 * memory.current seen (read every tick while the
			 * run lives), a lower bound. */
			if (v > r->mem_seen)
				r->mem_seen = v;
			st->memory_peak = r->mem_seen;
		}
		if (cg_read(d, "memory.events", buf, sizeof(buf)) > 0 &&
		    cgroup_parse_keyed(buf, "oom_kill", &v))
			st->oom_kill = v > 0;
		if (cg_read(d, "pids.events", buf, sizeof(buf)) > 0 &&
		    cgroup_parse_keyed(buf, "max", &v))
			st->pids_max = v > 0;
		return;
	}
	if (cg_read(r->dir[CG_MEM],
		    r->h->memsw ? "memory.memsw.max_usage_in_bytes"
				: "memory.max_usage_in_bytes",
		    buf, sizeof(buf)) > 0 &&
	    cgroup_parse_u64(buf, &v))
		st->memory_peak = v;
	if (cg_read(r->dir[CG_MEM], "memory.oom_control", buf, sizeof(buf)) >
		0 &&
	    cgroup_parse_keyed(buf, "oom_kill", &v))
		st->oom_kill = v > 0;
	if (cg_read(r->dir[CG_PIDS], "pids.events", buf, sizeof(buf)) > 0 &&
	    cgroup_parse_keyed(buf, "max", &v))
		st->pids_max = v > 0;
}

void cgroup_run_poll(struct cgroup_run *r, uint64_t *cpu_usec, bool *oom_kill)
{
	char buf[2048];
	uint64_t v;

	*cpu_usec = 0;
	*oom_kill = false;
	if (!r)
		return;
	if (r->h->version == 2) {
		const char *d = r->dir[CG_MEM];
		if (cg_read(d, "cpu.stat", buf, sizeof(buf)) > 0 &&
		    cgroup_parse_keyed(buf, "usage_usec", &v))
			*cpu_usec = v;
		if (cg_read(d, "memory.events", buf, sizeof(buf)) > 0 &&
		    cgroup_parse_keyed(buf, "oom_kill", &v))
			*oom_kill = v > 0;
		return;
	}
	if (r->dir[CG_CPU][0] &&
	    cg_read(r->dir[CG_CPU], "cpuacct.usage", buf, sizeof(buf)) > 0 &&
	    cgroup_parse_u64(buf, &v))
		*cpu_usec = v / 1000;
	else if (r->dir[CG_KILL][0] &&
		 cg_read(r->dir[CG_KILL], "cpu.stat", buf, sizeof(buf)) > 0 &&
		 cgroup_parse_keyed(buf, "usage_usec", &v))
		*cpu_usec = v;
	if (cg_read(r->dir[CG_MEM], "memory.oom_control", buf, sizeof(buf)) >
		0 &&
	    cgroup_parse_keyed(buf, "oom_kill", &v))
		*oom_kill = v > 0;
}

void cgroup_run_destroy(struct cgroup_run *r)
{
	if (!r)
		return;
	cgroup_run_kill_rest(r);
	remove_dirs(r->dir);
	free(r);
}

void cgroup_run_usage(struct cgroup_run *r, struct cgroup_usage *u)
{
	struct cgroup_stats st;
	char buf[256];
	uint64_t v;
	bool v2;

	memset(u, 0, sizeof(*u));
	if (!r)
		return;
	cgroup_run_stats(r, &st);
	u->cpu_usec = st.cpu_usec;
	u->memory_peak = st.memory_peak;
	v2 = r->h->version == 2;
	if (r->dir[CG_MEM][0] &&
	    cg_read(r->dir[CG_MEM],
		    v2 ? "memory.current"
		       : r->h->memsw ? "memory.memsw.usage_in_bytes"
				     : "memory.usage_in_bytes",
		    buf, sizeof(buf)) > 0 &&
	    cgroup_parse_u64(buf, &v))
		u->memory_bytes = v;
	if (r->dir[v2 ? CG_MEM : CG_PIDS][0] &&
	    cg_read(r->dir[v2 ? CG_MEM : CG_PIDS], "pids.current", buf,
		    sizeof(buf)) > 0 &&
	    cgroup_parse_u64(buf, &v))
		u->pids = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	if (u->memory_peak < u->memory_bytes)
		u->memory_peak = u->memory_bytes;
}
