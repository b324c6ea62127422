/*
 * sb_mounts.c - the run's root file system, as an ordered list of steps.
 *
 * Runs in init, as host root, in the run's private mount namespace (made
 * MS_PRIVATE first, so nothing propagates back). Each step says why it is
 * there; the table is checked by a unit test (sb_mounts_check_table()).
 * At the end the fresh root is remounted read-only and pivoted into, and
 * the host's tree is detached: nothing outside the table is reachable.
 *
 * No inode is shared with the host or another run where a program could
 * watch (inotify) or lock (flock, fcntl) it: the host's directories come
 * through a read-only overlay of the run's own (its inodes are the
 * overlay's, one set per run), device nodes are made afresh, and the few
 * host files needed are copied. A lock or a watch on /usr/lib/python3/os.py
 * then concerns this run alone.
 *
 * /proc is a procfs of the run's pid namespace; its entries that describe
 * the whole host (cmdline, diskstats, sys/, pressure/, ...) are covered by
 * an empty file or directory, and meminfo, stat and loadavg by synthetic
 * files that describe the run (its memory limit, its CPUs). A procfs with
 * subset=pid would hide them more simply, but nothing can be added to one
 * (no mount points, overlayfs refuses procfs), so what toolchains read
 * there (meminfo, cpuinfo, net/dev, mounts) would be gone too.
 *
 * Most steps do not depend on the run: a warm init does them ahead
 * (SB_MOUNTS_EARLY), off the request path, and once its program is
 * prepared (past its unshare(CLONE_NEWUSER), which a pivoted root would
 * fail) the steps marked SEAL, the read-only remount and the pivot
 * (SB_MOUNTS_SEAL): the detach of the host's tree waits for an RCU grace
 * period (0.15 ms and more), which no run should wait for. The steps
 * marked LATE (the run's terminal) wait for the run (SB_MOUNTS_LATE, in
 * the pivoted root: the terminal comes as a detached clone of its mount,
 * moved into place). Those that depend on its limits (GUESSED: the sized
 * tmpfs mounts, meminfo) are done ahead with the limits the warm init
 * guessed (c->spec's, at SB_MOUNTS_EARLY: the last run's) and corrected
 * at SB_MOUNTS_LATE where the run's differ (a new size, a rewrite).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sb_internal.h"

enum step_op {
	STEP_END = 0,
	STEP_ROOT,    /* tmpfs on the new root */
	STEP_DIR,     /* mkdir dst (mode) */
	STEP_OVERLAY, /* host dir src on dst: read-only overlay, own inodes */
	STEP_LINK,    /* host src is a symlink: same link; a dir: OVERLAY */
	STEP_SYMLINK, /* symlink dst -> src */
	STEP_FILE,    /* write src as the content of dst (0644) */
	STEP_COPY,    /* copy the host file src to dst (0644, at most 1 MiB) */
	STEP_DEV,     /* a new device node dst like the host's src (0666) */
	STEP_TTY,     /* bind the run's pty slave on /dev/pts/N */
	STEP_PROC,    /* procfs of the run's pid namespace, host-wide parts
			 masked, stat/loadavg the run's own */
	STEP_MEMINFO, /* the run's meminfo over dst (its memory limit) */
	STEP_TMPFS,   /* tmpfs on dst (src = options), size from limits */
	STEP_ROOT_RO, /* remount the new root read-only */
	STEP_PIVOT,   /* pivot_root into it, detach the host tree */
};

#define OPTIONAL 1u /* skip when the host lacks src */
#define SIZED	 2u /* tmpfs size = limits.tmpfs_bytes */
#define OWNED	 4u /* tmpfs owned by the run's uid */
#define DEVICES	 8u /* tmpfs without nodev: holds STEP_DEV nodes */
#define LATE	 16u /* needs the run's spec: not done ahead by a warm init */
#define GUESSED	 32u /* done ahead with guessed limits, corrected late */
#define SEAL	 64u /* done ahead once the program is prepared */

struct step {
	enum step_op op;
	const char *src;
	const char *dst; /* relative to the new root */
	unsigned mode;
	unsigned flags;
	const char *why;
};

static const char etc_passwd[] =
    "root:x:0:0:root:/:/usr/sbin/nologin\n"
    "runner:x:1000:1000:runner:/work:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char etc_group[] = "root:x:0:\nrunner:x:1000:\n"
				"nogroup:x:65534:\n";
static const char etc_hosts[] = "127.0.0.1\tlocalhost coderoom\n"
				"::1\tlocalhost ip6-localhost\n";
static const char etc_nsswitch[] = "passwd: files\ngroup: files\n"
				   "hosts: files\n";

static const struct step steps[] = {
    {STEP_ROOT, "size=2m,nr_inodes=4096,mode=0755", "", 0, 0,
     "an empty root: only what the steps below add exists"},
    {STEP_DIR, NULL, "usr", 0755, 0, "mount point"},
    {STEP_OVERLAY, "/usr", "usr", 0, 0,
     "every toolchain lives in /usr (Debian's merged /usr)"},
    {STEP_LINK, "/bin", "bin", 0, OPTIONAL,
     "merged-/usr links: #!/bin/sh and the ELF interpreter path"},
    {STEP_LINK, "/sbin", "sbin", 0, OPTIONAL, "merged-/usr link"},
    {STEP_LINK, "/lib", "lib", 0, OPTIONAL, "merged-/usr link"},
    {STEP_LINK, "/lib64", "lib64", 0, OPTIONAL,
     "/lib64/ld-linux-x86-64.so.2 is in every x86-64 binary"},
    {STEP_LINK, "/lib32", "lib32", 0, OPTIONAL, "merged-/usr link"},
    {STEP_LINK, "/libx32", "libx32", 0, OPTIONAL, "merged-/usr link"},
    {STEP_DIR, NULL, "etc", 0755, 0,
     "a synthetic /etc: never the host's (no shadow, no config)"},
    {STEP_FILE, etc_passwd, "etc/passwd", 0, 0,
     "getpwuid(1000) works: whoami, Python's getpass, ssh-less git"},
    {STEP_FILE, etc_group, "etc/group", 0, 0, "id, ls -l show names"},
    {STEP_FILE, etc_hosts, "etc/hosts", 0, 0,
     "'localhost' resolves without DNS (there is no network anyway)"},
    {STEP_FILE, etc_nsswitch, "etc/nsswitch.conf", 0, 0,
     "files only: glibc never tries a daemon or DNS"},
    {STEP_FILE, "coderoom\n", "etc/hostname", 0, 0,
     "matches sethostname() in the uts namespace"},
    {STEP_DIR, NULL, "etc/alternatives", 0755, OPTIONAL, "mount point"},
    {STEP_OVERLAY, "/etc/alternatives", "etc/alternatives", 0, OPTIONAL,
     "Debian's /usr/bin/java, cc, ... are links through here"},
    {STEP_COPY, "/etc/ld.so.cache", "etc/ld.so.cache", 0, OPTIONAL,
     "the dynamic linker finds libraries outside the default paths "
     "(a copy: every exec on the host opens the original)"},
    {STEP_SYMLINK, "/usr/share/zoneinfo/Etc/UTC", "etc/localtime", 0, 0,
     "a defined time zone (UTC) for every language runtime"},
    {STEP_DIR, NULL, "etc/java-17-openjdk", 0755, OPTIONAL, "mount point"},
    {STEP_OVERLAY, "/etc/java-17-openjdk", "etc/java-17-openjdk", 0, OPTIONAL,
     "the JDK's conf/ and security/ are links into /etc"},
    {STEP_DIR, NULL, "etc/mono", 0755, OPTIONAL, "mount point"},
    {STEP_OVERLAY, "/etc/mono", "etc/mono", 0, OPTIONAL,
     "Mono's machine.config: mcs cannot open a file without it"},
    {STEP_DIR, NULL, "etc/R", 0755, OPTIONAL, "mount point"},
    {STEP_OVERLAY, "/etc/R", "etc/R", 0, OPTIONAL,
     "R_HOME/etc is a link into /etc/R (Renviron, ldpaths)"},
    {STEP_DIR, NULL, "var", 0755, 0, "holds var/lib/ghc only"},
    {STEP_DIR, NULL, "var/lib", 0755, 0, "holds var/lib/ghc only"},
    {STEP_DIR, NULL, "var/lib/ghc", 0755, OPTIONAL, "mount point"},
    {STEP_OVERLAY, "/var/lib/ghc", "var/lib/ghc", 0, OPTIONAL,
     "GHC's package database (/usr/lib/ghc/package.conf.d links here)"},
    {STEP_DIR, NULL, "proc", 0555, 0, "mount point"},
    {STEP_PROC, NULL, "proc", 0, 0,
     "a procfs of the run's pid namespace only; hidepid hides others; "
     "what describes the host is masked"},
    {STEP_DIR, NULL, "dev", 0755, 0, "a tiny /dev, not the host's"},
    {STEP_TMPFS, "size=64k,nr_inodes=64,mode=0755", "dev", 0, DEVICES,
     "holds the device nodes below and nothing else (only root, before "
     "the pivot, can add any)"},
    {STEP_DEV, "/dev/null", "dev/null", 0, 0,
     "the usual devices, as nodes of the run's own: a watch on one sees "
     "this run's writes only"},
    {STEP_DEV, "/dev/zero", "dev/zero", 0, 0, "the usual devices"},
    {STEP_DEV, "/dev/full", "dev/full", 0, 0, "the usual devices"},
    {STEP_DEV, "/dev/random", "dev/random", 0, 0, "the usual devices"},
    {STEP_DEV, "/dev/urandom", "dev/urandom", 0, 0, "the usual devices"},
    {STEP_DEV, "/dev/tty", "dev/tty", 0, 0,
     "the controlling terminal alias: getpass(), Node's tty reopen"},
    {STEP_DIR, NULL, "dev/pts", 0755, 0, "holds the run's pty slave"},
    {STEP_TTY, NULL, "dev/pts", 0, LATE,
     "only this run's terminal, under its usual name"},
    {STEP_SYMLINK, "/proc/self/fd", "dev/fd", 0, 0,
     "bash process substitution <(...)"},
    {STEP_SYMLINK, "/proc/self/fd/0", "dev/stdin", 0, 0, "scripts"},
    {STEP_SYMLINK, "/proc/self/fd/1", "dev/stdout", 0, 0, "scripts"},
    {STEP_SYMLINK, "/proc/self/fd/2", "dev/stderr", 0, 0, "scripts"},
    {STEP_DIR, NULL, "dev/shm", 01777, 0, "mount point"},
    {STEP_TMPFS, "mode=1777", "dev/shm", 0, SIZED | GUESSED,
     "POSIX semaphores (Python multiprocessing), capped"},
    {STEP_DIR, NULL, "tmp", 01777, 0, "mount point"},
    {STEP_TMPFS, "mode=1777", "tmp", 0, SIZED | GUESSED,
     "scratch space, capped, gone with the run"},
    {STEP_DIR, NULL, "work", 0755, 0, "mount point"},
    {STEP_TMPFS, "mode=0755", "work", 0, SIZED | OWNED | GUESSED,
     "the program's files and its working directory, capped"},
    {STEP_MEMINFO, NULL, "proc/meminfo", 0, GUESSED,
     "Node's os.totalmem(), the JVM, ... see the run's memory limit"},
    {STEP_ROOT_RO, NULL, "", 0, SEAL,
     "the program cannot add files next to the mounts above"},
    {STEP_PIVOT, NULL, "", 0, SEAL,
     "enter the new root and drop every reference to the host's"},
    {STEP_END, NULL, NULL, 0, 0, NULL},
};

int sb_mounts_check_table(void)
{
	size_t i;
	bool pivot = false;

	if (steps[0].op != STEP_ROOT)
		return 1;
	for (i = 0; steps[i].op != STEP_END; i++) {
		const struct step *s = &steps[i];
		if (!s->dst || !s->why || !s->why[0] || pivot)
			return (int)i + 1;
		if (s->dst[0] == '/' || strstr(s->dst, ".."))
			return (int)i + 1;
		switch (s->op) {
		case STEP_OVERLAY:
		case STEP_LINK:
		case STEP_COPY:
		case STEP_DEV:
			if (!s->src || s->src[0] != '/')
				return (int)i + 1;
			break;
		case STEP_SYMLINK:
		case STEP_FILE:
		case STEP_TMPFS:
			if (!s->src)
				return (int)i + 1;
			break;
		case STEP_PIVOT:
			pivot = true;
			break;
		default:
			break;
		}
		/* What is guessed ahead must be correctable (fix_step()). */
		if ((s->flags & GUESSED) &&
		    !((s->op == STEP_TMPFS && (s->flags & SIZED)) ||
		      s->op == STEP_MEMINFO))
			return (int)i + 1;
		/* Done ahead, an early step cannot come after a late one it
		 * would land under (a late tmpfs would hide it). */
		if (!(s->flags & LATE))
			for (size_t j = 0; j < i; j++) {
				size_t n = strlen(steps[j].dst);
				if ((steps[j].flags & LATE) && n &&
				    !strncmp(s->dst, steps[j].dst, n) &&
				    s->dst[n] == '/')
					return (int)i + 1;
			}
		/* A mount point must be created before it is used. */
		if (s->op == STEP_OVERLAY || s->op == STEP_PROC ||
		    (s->op == STEP_TMPFS && i > 0)) {
			bool seen = false;
			for (size_t j = 0; j < i; j++)
				if (!strcmp(steps[j].dst, s->dst) &&
				    (steps[j].op == STEP_DIR ||
				     steps[j].op == STEP_FILE))
					seen = true;
			if (!seen)
				return (int)i + 1;
		}
	}
	return pivot ? 0 : (int)i + 1;
}

/*
 * A read-only overlay of the host directory 'src' on 'dst': the same files,
 * but inodes of this mount's own, so a watch or a lock on one concerns
 * this run only. With no upper layer overlayfs wants two lower ones: the
 * second is the state dir's empty directory. Without overlayfs (a weak
 * sandbox the operator allowed): a read-only bind of the host's inodes.
 */
static int overlay_ro(const char *src, const char *dst,
		      const struct sb_child_ctx *c)
{
	char opts[700];

	if (!c->overlay) {
		if (mount(src, dst, "none", MS_BIND | MS_REC, NULL) ||
		    mount("none", dst, "none",
			  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
			      MS_NODEV,
			  NULL))
			return -errno;
		return 0;
	}
	/* ',' and ':' separate overlayfs options and layers */
	if (strpbrk(src, ",:\\") || strpbrk(c->state_dir, ",:\\"))
		return -EINVAL;
	if ((size_t)snprintf(opts, sizeof(opts), "lowerdir=%s:%s/empty", src,
			     c->state_dir) >= sizeof(opts))
		return -ENAMETOOLONG;
	if (mount("coderoom-ro", dst, "overlay",
		  MS_RDONLY | MS_NOSUID | MS_NODEV, opts))
		return -errno;
	return 0;
}

/* Copy the host's regular file 'src' (at most 1 MiB) to a new 'dst'. */
static int copy_file(const char *src, const char *dst)
{
	char buf[65536];
	struct stat st;
	int in, out, r = 0;
	ssize_t n;

	in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &st) || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
		close(in);
		return -EINVAL;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		   0644);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if ((r = sb_write_all(out, buf, (size_t)n)))
			break;
	}
	close(in);
	close(out);
	return r;
}

/* Write the string 's' to 'path': a new file (O_EXCL), or with
 * O_TRUNC in 'how' the existing one's content replaced. */
static int write_to(const char *path, const char *s, int how)
{
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | how, 0644);
	int r;

	if (fd < 0)
		return -errno;
	r = sb_write_all(fd, s, strlen(s));
	close(fd);
	return r;
}

static int write_small(const char *path, const char *s)
{
	return write_to(path, s, O_CREAT | O_EXCL);
}

/* --- /proc ---------------------------------------------------------------- */

/* Top-level /proc entries left as they are: the run's own processes and
 * namespaces, and what only says which kernel this is. */
static const char *const proc_keep[] = {
    "self", "thread-self", "net", "sysvipc", "mounts", "filesystems",
    "version", "uptime", "cpuinfo", NULL,
};

static bool proc_kept(const char *name)
{
	const char *p = name;

	while (isdigit((unsigned char)*p))
		p++;
	if (p != name && !*p)
		return true; /* a process of the run */
	for (size_t i = 0; proc_keep[i]; i++)
		if (!strcmp(proc_keep[i], name))
			return true;
	return false;
}

/* The synthetic meminfo: the run's memory limit is its whole memory. */
static void proc_meminfo(char *out, size_t len, const struct sb_child_ctx *c)
{
	unsigned long long kb = c->spec->limits.memory_bytes / 1024;

	snprintf(out, len,
		 "MemTotal:       %8llu kB\nMemFree:        %8llu kB\n"
		 "MemAvailable:   %8llu kB\nBuffers:               0 kB\n"
		 "Cached:                0 kB\nSwapCached:            0 kB\n"
		 "Active:                0 kB\nInactive:              0 kB\n"
		 "SwapTotal:             0 kB\nSwapFree:              0 kB\n"
		 "Dirty:                 0 kB\nWriteback:             0 kB\n"
		 "AnonPages:             0 kB\nMapped:                0 kB\n"
		 "Shmem:                 0 kB\n",
		 kb, kb, kb);
}

/* The synthetic stat: the CPUs the run may use, no host-wide counters;
 * btime is the host's boot time (process start times count from it). */
static void proc_stat(char *out, size_t len)
{
	struct timespec rt, bt;
	cpu_set_t set;
	size_t n;

	n = (size_t)snprintf(out, len, "cpu  0 0 0 0 0 0 0 0 0 0\n");
	if (sched_getaffinity(0, sizeof(set), &set))
		CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE && n < len; i++)
		if (CPU_ISSET(i, &set))
			n += (size_t)snprintf(out + n, len - n,
					      "cpu%d 0 0 0 0 0 0 0 0 0 0\n", i);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	if (n < len)
		snprintf(out + n, len - n,
			 "intr 0\nctxt 0\nbtime %lld\nprocesses 0\n"
			 "procs_running 1\nprocs_blocked 0\n"
			 "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
			 (long long)(rt.tv_sec - bt.tv_sec));
}

/*
 * Cover what the fresh procfs at 'proc' tells about the host: every
 * top-level entry that is not a process of the run, not on the keep list
 * and that others may read gets an empty file or directory bound over it
 * (a new kernel's new entries too); stat and loadavg get the run's own
 * (meminfo too, later: STEP_MEMINFO). The sources live in a scratch directory of the new root,
 * removed again (the binds keep them).
 */
static int proc_mask(const char *root, const char *proc,
		     const struct sb_child_ctx *c)
{
	static char text[16384];
	char scratch[600], src[1024], dst[1024];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0, fd;

	snprintf(scratch, sizeof(scratch), "%s/.coderoom-proc", root);
	if (mkdir(scratch, 0700))
		return -errno;
	snprintf(src, sizeof(src), "%s/d", scratch);
	if (mkdir(src, 0555))
		return -errno;
	snprintf(src, sizeof(src), "%s/f", scratch);
	if ((fd = open(src, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) < 0)
		return -errno;
	close(fd);
	proc_stat(text, sizeof(text));
	snprintf(src, sizeof(src), "%s/stat", scratch);
	if ((r = write_small(src, text)))
		return r;
	snprintf(src, sizeof(src), "%s/loadavg", scratch);
	if ((r = write_small(src, "0.00 0.00 0.00 1/1 2\n")))
		return r;

	if (!(d = opendir(proc)))
		return -errno;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		/* meminfo: the run's, once it is known (STEP_MEMINFO) */
		if (n[0] == '.' || proc_kept(n) || !strcmp(n, "meminfo"))
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) ||
		    S_ISLNK(st.st_mode))
			continue;
		if (!strcmp(n, "stat") || !strcmp(n, "loadavg"))
			snprintf(src, sizeof(src), "%s/%s", scratch, n);
		else if (S_ISDIR(st.st_mode))
			snprintf(src, sizeof(src), "%s/d", scratch);
		else if (st.st_mode & S_IROTH)
			snprintf(src, sizeof(src), "%s/f", scratch);
		else
			continue; /* only root could read it */
		snprintf(dst, sizeof(dst), "%s/%s", proc, n);
		if (mount(src, dst, "none", MS_BIND, NULL)) {
			r = -errno;
			break;
		}
	}
	closedir(d);
	for (const char *f = "f\0stat\0loadavg\0"; *f;
	     f += strlen(f) + 1) {
		snprintf(src, sizeof(src), "%s/%s", scratch, f);
		unlink(src);
	}
	snprintf(src, sizeof(src), "%s/d", scratch);
	rmdir(src);
	rmdir(scratch);
	return r;
}

/*
 * A GUESSED step done ahead with the limits in 'guess': make it the run's
 * (c->spec's) where they differ. The tmpfs mounts are still empty (the
 * run's files come after the mounts), the meminfo file is still writable
 * (the root goes read-only later).
 */
static int fix_step(const struct step *s, const char *path,
		    const struct sb_child_ctx *c,
		    const struct sandbox_limits *guess)
{
	char opts[64], text[2048];

	switch (s->op) {
	case STEP_TMPFS: {
		int fd, r = 0;

		if (c->spec->limits.tmpfs_bytes == guess->tmpfs_bytes)
			return 0;
		/* Its superblock's size only (fspick + reconfigure): a
		 * remount would set the mount's flags anew too. */
		snprintf(opts, sizeof(opts), "%llu",
			 (unsigned long long)c->spec->limits.tmpfs_bytes);
		fd = fspick(AT_FDCWD, path, FSPICK_CLOEXEC | FSPICK_NO_AUTOMOUNT);
		if (fd < 0)
			return -errno;
		if (fsconfig(fd, FSCONFIG_SET_STRING, "size", opts, 0) ||
		    fsconfig(fd, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0))
			r = -errno;
		close(fd);
		return r;
	}
	case STEP_MEMINFO:
		if (c->spec->limits.memory_bytes == guess->memory_bytes)
			return 0;
		proc_meminfo(text, sizeof(text), c);
		return write_to(path, text, O_TRUNC);
	default:
		return -EINVAL;
	}
}

static int run_step(const struct step *s, const char *root, const char *path,
		    const struct sb_child_ctx *c)
{
	struct stat st;
	char opts[160];
	int fd;

	switch (s->op) {
	case STEP_ROOT:
		if (mount("coderoom-root", root, "tmpfs", MS_NOSUID | MS_NODEV,
			  s->src))
			return -errno;
		return 0;
	case STEP_DIR:
		if (mkdir(path, s->mode) && errno != EEXIST)
			return -errno;
		return chmod(path, s->mode) ? -errno : 0;
	case STEP_OVERLAY:
		return overlay_ro(s->src, path, c);
	case STEP_COPY:
		return copy_file(s->src, path);
	case STEP_LINK:
		if (lstat(s->src, &st))
			return -errno;
		if (S_ISLNK(st.st_mode)) {
			char target[256];
			ssize_t n =
			    readlink(s->src, target, sizeof(target) - 1);
			if (n < 0)
				return -errno;
			target[n] = '\0';
			return symlink(target, path) ? -errno : 0;
		}
		if (mkdir(path, 0755))
			return -errno;
		return overlay_ro(s->src, path, c);
	case STEP_SYMLINK:
		return symlink(s->src, path) ? -errno : 0;
	case STEP_FILE:
		return write_small(path, s->src);
	case STEP_DEV:
		if (stat(s->src, &st))
			return -errno;
		if (!S_ISCHR(st.st_mode))
			return -ENODEV;
		if (c->mknod) {
			if (mknod(path, S_IFCHR | 0666, st.st_rdev) ||
			    chmod(path, 0666))
				return -errno;
			return 0;
		}
		/* no CAP_MKNOD (a weak sandbox, said at start): the host's
		 * node, bound */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			return -errno;
		close(fd);
		if (mount(s->src, path, "none", MS_BIND, NULL) ||
		    mount("none", path, "none",
			  MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NOEXEC, NULL))
			return -errno;
		return 0;
	case STEP_TTY: {
		char link[64], target[256], node[800];
		const char *base;
		ssize_t n;

		if (c->tty_slave < 0)
			return 0;
		if (c->tty_tree >= 0) {
			/* pivoted already: the slave's detached clone */
			if (!sb_name_ok(c->tty_name, strlen(c->tty_name)))
				return -EINVAL;
			snprintf(node, sizeof(node), "%s/%s", path,
				 c->tty_name);
			fd = open(node, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				  0620);
			if (fd < 0)
				return -errno;
			close(fd);
			if (move_mount(c->tty_tree, "", AT_FDCWD, node,
				       MOVE_MOUNT_F_EMPTY_PATH))
				return -errno;
			return 0;
		}
		snprintf(link, sizeof(link), "/proc/self/fd/%d", c->tty_slave);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		base = strrchr(target, '/');
		base = base ? base + 1 : target;
		if (!sb_name_ok(base, strlen(base)))
			return -EINVAL;
		snprintf(node, sizeof(node), "%s/%s", path, base);
		fd = open(node, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0620);
		if (fd < 0)
			return -errno;
		close(fd);
		/* By path: the fd's own mount belongs to the spawner's mount
		 * namespace, which a bind may not take from. */
		if (strncmp(target, "/dev/pts/", 9))
			return -EINVAL;
		if (mount(target, node, "none", MS_BIND, NULL))
			return -errno;
		return 0;
	}
	case STEP_PROC:
		if (mount("proc", path, "proc",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "hidepid=invisible") &&
		    mount("proc", path, "proc",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2"))
			return -errno;
		return proc_mask(root, path, c);
	case STEP_MEMINFO: {
		static char text[2048];
		char tmp[600];
		int r;

		/* written in the root (still ours), bound, unlinked */
		snprintf(tmp, sizeof(tmp), "%s/.coderoom-meminfo", root);
		proc_meminfo(text, sizeof(text), c);
		if ((r = write_small(tmp, text)))
			return r;
		r = mount(tmp, path, "none", MS_BIND, NULL) ? -errno : 0;
		unlink(tmp);
		return r;
	}
	case STEP_TMPFS: {
		size_t n = (size_t)snprintf(opts, sizeof(opts), "%s", s->src);
		if (s->flags & SIZED)
			n += (size_t)snprintf(
			    opts + n, sizeof(opts) - n,
			    ",size=%llu,nr_inodes=%llu",
			    (unsigned long long)c->spec->limits.tmpfs_bytes,
			    (unsigned long long)16384);
		if (s->flags & OWNED)
			snprintf(opts + n, sizeof(opts) - n, ",uid=%u,gid=%u",
				 (unsigned)c->host_uid, (unsigned)c->host_gid);
		if (mount("coderoom", path, "tmpfs",
			  MS_NOSUID | (s->flags & DEVICES ? 0 : MS_NODEV),
			  opts))
			return -errno;
		return 0;
	}
	case STEP_ROOT_RO:
		if (mount("none", root, "none",
			  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
			      MS_NODEV,
			  NULL))
			return -errno;
		return 0;
	case STEP_PIVOT:
		/* pivot_root(".", ".") stacks the old root on the new one;
		 * detaching "." then drops it (no directory needed). */
		if (chdir(root))
			return -errno;
		if (syscall(SYS_pivot_root, ".", "."))
			return -errno;
		if (umount2(".", MNT_DETACH))
			return -errno;
		if (chdir("/"))
			return -errno;
		return 0;
	case STEP_END:
		break;
	}
	return -EINVAL;
}

int sb_mounts_setup(const char *root, const struct sb_child_ctx *c,
		    enum sb_mounts_phase phase, char *err, size_t errlen)
{
	char path[512];

	for (size_t i = 0; steps[i].op != STEP_END; i++) {
		const struct step *s = &steps[i];
		int r;

		if ((phase == SB_MOUNTS_EARLY && (s->flags & (LATE | SEAL))) ||
		    (phase == SB_MOUNTS_SEAL && !(s->flags & SEAL)) ||
		    (phase == SB_MOUNTS_LATE &&
		     !(s->flags & (LATE | GUESSED))))
			continue;

		if ((s->flags & OPTIONAL) && s->src && s->src[0] == '/' &&
		    access(s->src, F_OK))
			continue;
		if ((s->flags & OPTIONAL) && s->op == STEP_DIR) {
			/* An optional mount point: only if its bind follows
			 * and the host has the source. */
			const struct step *n = &steps[i + 1];
			if (n->src && access(n->src, F_OK))
				continue;
		}
		if ((s->flags & OPTIONAL) && s->op == STEP_FILE && !s->src[0]) {
			const struct step *n = &steps[i + 1];
			if (n->src && access(n->src, F_OK))
				continue;
		}
		snprintf(path, sizeof(path), "%s/%s", root, s->dst);
		if (phase == SB_MOUNTS_LATE && (s->flags & GUESSED))
			r = fix_step(s, path, c, &c->guess);
		else
			r = run_step(s, root, path, c);
		if (r) {
			snprintf(err, errlen, "mount step %zu (%s): %s", i,
				 s->dst[0] ? s->dst : "/", strerror(-r));
			return r;
		}
	}
	return 0;
}
