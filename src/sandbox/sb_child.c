/*
 * sb_child.c - init (pid 1 of a run) and the program (pid 2) before exec.
 *
 * The spawner clones init into fresh pid, mount, net, ipc and uts
 * namespaces. init waits for the spawner's go (sent once init sits in the
 * run's cgroup), builds the file system, forks the program and reports to
 * the spawner over 'report_fd':
 *
 *   SB_REP_PID      sent by the program itself; SCM_CREDENTIALS carries its
 *                   pid as the spawner sees it
 *   SB_REP_STARTED  the exec succeeded (the CLOEXEC exec pipe hit EOF)
 *   SB_REP_FAILED   a setup step or the exec failed (errno + message)
 *   SB_REP_STATUS   the program's wait status
 *   SB_REP_LAST     the same, when the program was the last process of
 *                   the run but init: the spawner may report the run's
 *                   end at once, without waiting for init's own exit
 *
 * then exits, and the kernel kills whatever is left in the pid namespace.
 * Nothing here returns: a failing step reports and _exit()s (die()).
 *
 * Once the program is forked, init needs no privilege: it drops to the
 * run's own host uid with no groups and no capabilities, and loads a
 * filter of its own (an allow list). It stays non-dumpable, so the
 * program, same uid or not, can neither see nor trace it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/capability.h>

#include "sandbox/cgroup.h"
#include "sandbox/sb_internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Where die() reports: the report socket in init, the exec pipe in pid 2. */
static int die_fd = -1;
static bool die_is_pipe;

__attribute__((noreturn, format(printf, 2, 3))) static void
die(int err, const char *fmt, ...)
{
	struct sb_report rep = {.kind = SB_REP_FAILED, .err = err};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep.msg, sizeof(rep.msg), fmt, ap);
	va_end(ap);
	if (die_fd >= 0) {
		if (die_is_pipe)
			(void)!write(die_fd, &rep, sizeof(rep));
		else
			(void)!send(die_fd, &rep, sizeof(rep), MSG_NOSIGNAL);
	}
	_exit(127);
}

static void report(int fd, uint32_t kind, int64_t val)
{
	struct sb_report rep = {.kind = kind, .val = val};

	(void)!send(fd, &rep, sizeof(rep), MSG_NOSIGNAL);
}

/* Opens (creating it if need be) the directory that holds 'name' under
 * 'dfd', one component at a time, never through a symlink; *base is
 * the last component. A new fd, or dfd itself for a top-level name. */
static int open_parent(int dfd, const char *name, const char **base,
		       const struct sb_child_ctx *c)
{
	char comp[256];
	const char *p = name, *slash;
	int cur = dfd;

	while ((slash = strchr(p, '/'))) {
		size_t n = (size_t)(slash - p);
		if (n >= sizeof(comp))
			die(-ENAMETOOLONG, "cannot create '%s': name too long",
			    name);
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (mkdirat(cur, comp, 0700) == 0) {
			int fd = openat(cur, comp, O_RDONLY | O_DIRECTORY |
					O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 || fchown(fd, c->host_uid, c->host_gid) ||
			    fchmod(fd, 0755))
				die(-errno, "cannot create '%s': %s", name,
				    strerror(errno));
			if (cur != dfd)
				close(cur);
			cur = fd;
		} else if (errno == EEXIST) {
			int fd = openat(cur, comp, O_RDONLY | O_DIRECTORY |
					O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				die(-errno, "cannot open '%s': %s", name,
				    strerror(errno));
			if (cur != dfd)
				close(cur);
			cur = fd;
		} else {
			die(-errno, "cannot create '%s': %s", name,
			    strerror(errno));
		}
		p = slash + 1;
	}
	*base = p;
	return cur;
}

/* Write the spec's files into the work dir 'dfd' (root writes, the run's
 * uid owns). The dir is fresh and private: O_EXCL|O_NOFOLLOW anyway, and
 * the directories of a path are created here, never followed. */
static void write_files(int dfd, const struct sb_child_ctx *c)
{
	for (size_t i = 0; i < c->spec->nfiles; i++) {
		const struct sb_file *f = &c->spec->files[i];
		const char *base;
		int pfd = open_parent(dfd, f->name, &base, c);
		int fd = openat(
		    pfd, base,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			die(-errno, "cannot create '%s': %s", f->name,
			    strerror(errno));
		if (pfd != dfd)
			close(pfd);
		int r = sb_write_all(fd, f->data, f->len);
		if (r)
			die(r, "cannot write '%s': %s", f->name, strerror(-r));
		if (fchown(fd, c->host_uid, c->host_gid) || fchmod(fd, f->mode))
			die(-errno, "cannot chown '%s': %s", f->name,
			    strerror(errno));
		close(fd);
	}
}

/* Set soft = hard = v. Where that is refused (v above the hard limit:
 * the program is unprivileged by then, see raise_hard(); valgrind
 * emulates NOFILE and insists on its own hard limit), the soft limit is
 * set to the lower of v and the hard limit. */
static void set_rlimit(int res, uint64_t v, const char *what)
{
	struct rlimit rl = {.rlim_cur = v, .rlim_max = v}, cur;

	if (setrlimit(res, &rl) == 0)
		return;
	if (errno == EPERM && getrlimit(res, &cur) == 0) {
		/* Keep the hard limit (valgrind insists on it), lower the
		 * soft one. */
		rl.rlim_cur = v < cur.rlim_max ? v : cur.rlim_max;
		rl.rlim_max = cur.rlim_max;
		if (setrlimit(res, &rl) == 0)
			return;
	}
	die(-errno, "setrlimit %s: %s", what, strerror(errno));
}

/* While still privileged: make sure the hard limit of 'res' is at least
 * 'min', so that the run's own limit, set later by the unprivileged
 * program, is only ever a lowering (best effort: an emulated limit, as
 * under valgrind, may refuse; set_rlimit() then does what it can). */
static void raise_hard(int res, rlim_t min)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max < min) {
		rl.rlim_max = min;
		(void)setrlimit(res, &rl);
	}
}

/* Stops at the first capability the kernel does not know. Each drop
 * makes new credentials, so one already gone is not dropped again. */
void sb_drop_bounding_set(void)
{
	for (int cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (in < 0)
			break; /* EINVAL: past the last one */
		if (in)
			(void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	}
}

/* No capabilities: effective, permitted, inheritable, ambient. The
 * bounding set goes before (dropping needs CAP_SETPCAP, which this
 * removes). */
static void drop_caps(void)
{
	struct __user_cap_header_struct hdr = {
	    .version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		die(-errno, "clear ambient caps: %s", strerror(errno));
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data))
		die(-errno, "capset: %s", strerror(errno));
}

static void write_id_maps(const struct sb_child_ctx *c)
{
	char buf[64];
	int r;

	snprintf(buf, sizeof(buf), "%u %u 1\n", SB_INNER_ID,
		 (unsigned)c->host_uid);
	r = sb_write_file("/proc/self/uid_map", buf);
	if (r)
		die(r, "uid_map: %s", strerror(-r));
	r = sb_write_file("/proc/self/setgroups", "deny");
	if (r)
		die(r, "setgroups deny: %s", strerror(-r));
	snprintf(buf, sizeof(buf), "%u %u 1\n", SB_INNER_ID,
		 (unsigned)c->host_gid);
	r = sb_write_file("/proc/self/gid_map", buf);
	if (r)
		die(r, "gid_map: %s", strerror(-r));
}

/*
 * pid 2, the part that does not depend on its run: a session of its own,
 * the run's unprivileged host uid with no groups, its own user namespace,
 * no capabilities, clean signals. A warm init forks its program and does
 * this before the run is known (sb_program_warm()); a cold one just before
 * program_exec().
 */
static void program_prepare(const struct sb_child_ctx *c, int exec_fd)
{
	sigset_t all;

	die_fd = exec_fd;
	die_is_pipe = true;

	/* Say hello first: the kernel stamps our pid as the spawner sees it. */
	report(c->report_fd, SB_REP_PID, 0);

	if (setsid() < 0)
		die(-errno, "setsid: %s", strerror(errno));
	set_rlimit(RLIMIT_CORE, 0, "CORE");
	/* whatever the server inherited: no real-time scheduling, and no
	 * raising its priority above the host's work */
	set_rlimit(RLIMIT_RTPRIO, 0, "RTPRIO");
	set_rlimit(RLIMIT_NICE, 0, "NICE");
	/* the run's own NOFILE, FSIZE and CPU come with its spec, after the
	 * drop: room for any of them */
	raise_hard(RLIMIT_NOFILE, SB_MAX_NOFILE);
	raise_hard(RLIMIT_FSIZE, RLIM_INFINITY);
	raise_hard(RLIMIT_CPU, RLIM_INFINITY);

	/* Credentials: the run's own unprivileged host uid, no groups. The
	 * bounding set goes while we still hold CAP_SETPCAP. */
	sb_drop_bounding_set();
	if (setgroups(0, NULL))
		die(-errno, "setgroups: %s", strerror(errno));
	if (setresgid(c->host_gid, c->host_gid, c->host_gid))
		die(-errno, "setresgid: %s", strerror(errno));
	if (setresuid(c->host_uid, c->host_uid, c->host_uid))
		die(-errno, "setresuid: %s", strerror(errno));
	if (c->userns) {
		/* A user namespace of our own: the sandbox sees uid 1000, the
		 * host sees uid_base + slot. It owns none of the other
		 * namespaces (those belong to the host's), so the capabilities
		 * it grants are worthless; we drop them anyway below. Writing
		 * our own id maps is the one thing that needs us dumpable
		 * (the uid change made /proc/self root's): for that moment
		 * only. exec makes the program dumpable again, as it does
		 * any process running a binary it can read: what keeps other
		 * host processes from it is a uid range of its own
		 * (sb_uids.c). */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
			die(-errno, "PR_SET_DUMPABLE: %s", strerror(errno));
		if (unshare(CLONE_NEWUSER))
			die(-errno, "unshare user ns: %s", strerror(errno));
		write_id_maps(c);
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
			die(-errno, "PR_SET_DUMPABLE: %s", strerror(errno));
	}
	/* Cleared by the uid change, so set after it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		die(-errno, "PR_SET_PDEATHSIG: %s", strerror(errno));
	if (getppid() != 1)
		die(-ESRCH, "init is gone");

	umask(022);
	/* The server ignores SIGPIPE and may block signals: start clean. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die(-errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/* its own user namespace refilled the bounding set */
	sb_drop_bounding_set();
	drop_caps();
}

/*
 * pid 2, prepared, its run known and its root built: its terminal or
 * pipes, the run's limits (only ever lowered: it holds no privilege), the
 * work dir, the filter, the exec.
 */
__attribute__((noreturn)) static void
program_exec(const struct sb_child_ctx *c, int exec_fd, const char *workdir)
{
	const struct sb_spec *s = c->spec;
	int fds[3];

	die_fd = exec_fd;
	die_is_pipe = true;

	/* Lift the stdio ends above 0..2 before dup2, so none clobbers
	 * another. */
	for (int i = 0; i < 3; i++) {
		fds[i] = fcntl(c->stdio[i], F_DUPFD_CLOEXEC, 10);
		if (fds[i] < 0)
			die(-errno, "dup: %s", strerror(errno));
	}
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			die(-errno, "dup2: %s", strerror(errno));
	if (s->tty) {
		struct winsize ws = {.ws_row = s->rows ? s->rows : 24,
				     .ws_col = s->cols ? s->cols : 80};
		/* The slave becomes our controlling terminal: job control,
		 * Ctrl-C and /dev/tty work as in a real terminal. A fresh
		 * pty is nobody's terminal yet: a session leader needs no
		 * privilege to take it. */
		if (ioctl(0, TIOCSCTTY, 0))
			die(-errno, "TIOCSCTTY: %s", strerror(errno));
		if (ioctl(0, TIOCSWINSZ, &ws))
			die(-errno, "TIOCSWINSZ: %s", strerror(errno));
	}

	set_rlimit(RLIMIT_NOFILE, s->limits.nofile, "NOFILE");
	set_rlimit(RLIMIT_FSIZE, s->limits.fsize_bytes, "FSIZE");
	/* Backstop only: the spawner enforces CPU time on the whole tree. */
	set_rlimit(RLIMIT_CPU, (s->limits.cpu_ms + 999) / 1000 + 1, "CPU");

	if (chdir(workdir))
		die(-errno, "chdir '%s': %s", workdir, strerror(errno));

	/* Only stdio and the exec pipe (CLOEXEC) survive. */
	if (dup3(exec_fd, 3, O_CLOEXEC) < 0)
		die(-errno, "dup3: %s", strerror(errno));
	die_fd = 3;
	syscall(SYS_close_range, 4U, ~0U, 0);

	if (c->seccomp) {
		int r = sb_filter_load();
		if (r)
			die(r, "seccomp: %s", strerror(-r));
	}
	execve(s->argv[0], s->argv, s->envp);
	die(-errno, "cannot execute '%s': %s", s->argv[0], strerror(errno));
}

/* What a warm init sends its program with the go: SCM_RIGHTS [spec memfd,
 * pty slave] or [spec memfd, stdin, stdout, stderr]. */
struct prog_go {
	uint32_t magic;
	uint32_t nfds;
};
#define PROG_GO_MAGIC 0x6f676f67u /* "gogo" */

void sb_program_warm(const struct sb_child_ctx *early, int go_fd, int exec_fd,
		     const struct sandbox_limits *def)
{
	struct prog_go g;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {&g, sizeof(g)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	int fds[4] = {-1, -1, -1, -1}, nfds = 0;
	struct sb_spec spec;
	struct sb_child_ctx c = *early;
	const char *why;
	ssize_t n;
	int e;

	program_prepare(early, exec_fd);
	/* Nothing between here and the exec calls what the filter denies
	 * (recvmsg, the spec's read, dup, setrlimit, chdir, close_range):
	 * attach it now, while we wait, not on the run's path (~0.1 ms). */
	if (c.seccomp) {
		e = sb_filter_load();
		if (e)
			die(e, "seccomp: %s", strerror(-e));
		c.seccomp = false; /* attached: program_exec() adds no second */
	}
	/* Prepared: init may build the run's root now (before, its pivot
	 * could make our unshare(CLONE_NEWUSER) see a root that is not our
	 * mount namespace's, which the kernel refuses as a chroot). */
	if (send(go_fd, "p", 1, MSG_NOSIGNAL) != 1)
		_exit(0);
	do
		n = recvmsg(go_fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		_exit(0); /* init was dropped from the pool */
	if (n > 0)
		nfds = (int)sb_take_fds(&mh, fds, 4);
	if (n != (ssize_t)sizeof(g) || g.magic != PROG_GO_MAGIC ||
	    (int)g.nfds != nfds || (nfds != 2 && nfds != 4))
		die(-EPROTO, "bad go from init");
	close(go_fd);
	e = sb_read_spec(fds[0], def, true, &spec, &why);
	if (e)
		die(e, "%s", why);
	close(fds[0]);
	c.spec = &spec;
	c.stdio[0] = fds[1];
	c.stdio[1] = nfds == 2 ? fds[1] : fds[2];
	c.stdio[2] = nfds == 2 ? fds[1] : fds[3];
	c.tty_slave = nfds == 2 ? fds[1] : -1;
	program_exec(&c, exec_fd, "/work");
}

/* init: send the pre-forked program its go (see sb_program_warm()). 0 or
 * -errno. */
static int program_go(const struct sb_child_ctx *c)
{
	struct prog_go g = {.magic = PROG_GO_MAGIC,
			    .nfds = c->spec->tty ? 2 : 4};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	int fds[4] = {c->spec_fd, c->stdio[0], c->stdio[1], c->stdio[2]};
	struct iovec iov = {&g, sizeof(g)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	ssize_t n;

	sb_put_fds(&mh, u.buf, fds, g.nfds);
	n = sendmsg(c->prog_go, &mh, MSG_NOSIGNAL);
	if (n != (ssize_t)sizeof(g))
		return n < 0 ? -errno : -EIO;
	return 0;
}

/* The work dir when there is no fresh root (weak mode): a private tmpfs
 * over state_dir/work, visible only in this mount namespace. */
static void weak_workdir(const struct sb_child_ctx *c, char *path, size_t len)
{
	char opts[128];

	snprintf(path, len, "%s/work", c->state_dir);
	snprintf(opts, sizeof(opts), "size=%llu,mode=0755,uid=%u,gid=%u",
		 (unsigned long long)c->spec->limits.tmpfs_bytes,
		 (unsigned)c->host_uid, (unsigned)c->host_gid);
	if (mount("coderoom-work", path, "tmpfs", MS_NOSUID | MS_NODEV, opts))
		die(-errno, "mount work tmpfs: %s", strerror(errno));
}

static bool collect_match(const struct sb_spec *s, const char *name)
{
	for (char **p = s->collect; *p; p++)
		if (fnmatch(*p, name, FNM_PERIOD) == 0)
			return true;
	return false;
}

/* Append one work dir file to the memfd; false when over the cap. */
static bool collect_one(int dfd, int mfd, const char *name, uint64_t *total,
			uint64_t max)
{
	int fd =
	    openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char buf[65536];
	uint32_t hdr[2];
	uint64_t len;
	bool ok = false;

	if (fd < 0)
		return true; /* gone, or a symlink: not collected */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return true;
	}
	len = (uint64_t)st.st_size;
	*total += len + strlen(name) + 17;
	if (*total > max)
		goto out;
	hdr[0] = (uint32_t)strlen(name);
	hdr[1] = st.st_mode & 0777;
	if (sb_write_all(mfd, hdr, sizeof(hdr)) ||
	    sb_write_all(mfd, &len, sizeof(len)) ||
	    sb_write_all(mfd, name, hdr[0] + 1))
		goto out;
	/* Exactly 'len' bytes: a file that shrank is padded with zeros. */
	for (uint64_t left = len; left;) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			memset(buf, 0, want);
			n = (ssize_t)want;
		}
		if (sb_write_all(mfd, buf, (size_t)n))
			goto out;
		left -= (uint64_t)n;
	}
	ok = true;
out:
	close(fd);
	return ok;
}

/* In a child of init, as the run's uid: read the files to collect into a
 * memfd and send it to the spawner. Returns an exit code. */
static int collect_files(const struct sb_child_ctx *c, const char *workdir)
{
	const struct sb_spec *s = c->spec;
	uint64_t total = 0, max = s->collect_max ? s->collect_max : (64u << 20);
	struct dirent *e;
	int dfd, mfd;
	DIR *d;

	/* init already runs as the run's uid (drop_init()); only a weak
	 * sandbox without that drop gets here as root */
	if (getuid() != c->host_uid &&
	    (setgroups(0, NULL) ||
	     setresgid(c->host_gid, c->host_gid, c->host_gid) ||
	     setresuid(c->host_uid, c->host_uid, c->host_uid)))
		return 1;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	dfd = open(workdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return 1;
	mfd = memfd_create("coderoom-collect", MFD_CLOEXEC);
	d = fdopendir(dup(dfd));
	if (mfd < 0 || !d)
		return 1;
	struct sb_report rep = {.kind = SB_REP_COLLECT};
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !collect_match(s, e->d_name))
			continue;
		if (!collect_one(dfd, mfd, e->d_name, &total, max)) {
			if (total <= max)
				return 1;
			/* over the cap: nothing at all, and say so */
			rep.err = -E2BIG;
			return send(c->report_fd, &rep, sizeof(rep),
				    MSG_NOSIGNAL) < 0;
		}
	}
	closedir(d);

	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {&rep, sizeof(rep)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	sb_put_fds(&mh, u.buf, &mfd, 1);
	return sendmsg(c->report_fd, &mh, MSG_NOSIGNAL) < 0 ? 1 : 0;
}

/* init, pid 1: is every other process of the run gone? Each one alive is
 * init's child or the descendant of one (orphans come to init), so no
 * child left means none; exited ones not yet waited for are reaped here.
 * Nothing can enter the pid namespace from outside but the spawner. */
static bool only_init_left(void)
{
	for (;;) {
		pid_t w = waitpid(-1, NULL, WNOHANG | __WALL);
		if (w > 0 || (w < 0 && errno == EINTR))
			continue;
		return w < 0 && errno == ECHILD;
	}
}

/* The program exited 0 and the spec asks for files: kill what is left of
 * the run so nothing changes them, then read them as the run's uid (the
 * root side never opens a path the program could have planted). */
static void collect(const struct sb_child_ctx *c, const char *workdir)
{
	pid_t pid;

	if (getpid() == 1) /* only ever inside the run's pid namespace */
		kill(-1, SIGKILL);
	for (;;) {
		if (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
			continue;
		break;
	}
	pid = sb_fork();
	if (pid == 0)
		_exit(collect_files(c, workdir));
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * init, with the file system built and the program forked: becomes an
 * unprivileged process of the run's uid for the rest of the run. The
 * bounding set goes first (that needs CAP_SETPCAP), then the groups and
 * ids (the kernel clears the capabilities with the uid change), then the
 * rest explicitly; the parent-death signal, which the uid change cleared,
 * is set again and the spawner checked to be still there.
 */
static void drop_init(const struct sb_child_ctx *c)
{
	struct pollfd p = {.fd = c->report_fd, .events = POLLOUT};

	if (!c->bset_empty)
		sb_drop_bounding_set();
	if (setgroups(0, NULL) ||
	    setresgid(c->host_gid, c->host_gid, c->host_gid) ||
	    setresuid(c->host_uid, c->host_uid, c->host_uid))
		die(-errno, "init: cannot drop to uid %u: %s",
		    (unsigned)c->host_uid, strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die(-errno, "init: prctl: %s", strerror(errno));
	/* the spawner holds the other end of the report socket */
	if (poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLERR)))
		_exit(127);
	drop_caps();
	if (c->seccomp) {
		int r = sb_filter_load_init();
		if (r)
			die(r, "init: seccomp: %s", strerror(-r));
	}
}

void sb_child_init(const struct sb_child_ctx *c)
{
	int keep[10], nkeep = 0; /* as many as kept below, and room */
	int exec_pipe[2];
	char workdir[300], err[200];
	int go_err = 0;
	pid_t pid;
	int dfd;

	die_fd = c->report_fd;
	die_is_pipe = false;

	keep[nkeep++] = c->report_fd;
	for (int i = 0; i < 3; i++)
		keep[nkeep++] = c->stdio[i];
	keep[nkeep++] = c->tty_tree;
	if (c->prog_go >= 0) {
		keep[nkeep++] = c->prog_go;
		keep[nkeep++] = c->prog_exec_fd;
		keep[nkeep++] = c->spec_fd;
	}
	sb_close_all_except(keep, (size_t)nkeep);

	/* Into the run's groups before anything of the run (a warm init
	 * joined them while it waited in the pool). */
	if (c->cg) {
		int r = cgroup_run_attach(c->cg, 0, c->cg_in_v2);
		if (r)
			die(r, "cgroup attach: %s", strerror(-r));
	}
	/* The spawner dies -> so does the run. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* A cgroup namespace rooted at the run's cgroup (best effort; a
	 * warm init made it before it forked its program). */
	if (!c->prepared)
		(void)unshare(CLONE_NEWCGROUP);

	/* Nothing we mount may propagate back to the host (a warm init made
	 * its tree private before its early mounts). */
	if (!c->prepared &&
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL))
		die(-errno, "make / private: %s", strerror(errno));
	if (c->mountns) {
		char root[300] = ""; /* a warm init's: pivoted already */
		if (!c->prepared)
			snprintf(root, sizeof(root), "%s/root", c->state_dir);
		int r = sb_mounts_setup(root, c,
					c->prepared ? SB_MOUNTS_LATE
						    : SB_MOUNTS_ALL,
					err, sizeof(err));
		if (r)
			die(r, "%s", err);
		if (c->tty_tree >= 0)
			close(c->tty_tree); /* moved into place, or unused */
		snprintf(workdir, sizeof(workdir), "/work");
	} else {
		weak_workdir(c, workdir, sizeof(workdir));
	}
	dfd = open(workdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		die(-errno, "open work dir: %s", strerror(errno));
	write_files(dfd, c);
	close(dfd);
	if (sethostname("coderoom", 8))
		die(-errno, "sethostname: %s", strerror(errno));

	if (c->prog_go >= 0) {
		/* The program is forked and prepared already (a warm init's):
		 * its root is built, it may go. */
		go_err = program_go(c);
		pid = c->prog_pid;
		exec_pipe[0] = c->prog_exec_fd;
		close(c->prog_go);
		close(c->spec_fd);
	} else {
		if (pipe2(exec_pipe, O_CLOEXEC))
			die(-errno, "pipe: %s", strerror(errno));
		pid = sb_fork();
		if (pid < 0)
			die(-errno, "fork: %s", strerror(errno));
		if (pid == 0) {
			close(exec_pipe[0]);
			program_prepare(c, exec_pipe[1]);
			program_exec(c, exec_pipe[1], workdir);
		}
		close(exec_pipe[1]);
	}

	/* init: no secrets, but nobody gets to ptrace or core-dump it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	for (int i = 0; i < 3; i++)
		close(c->stdio[i]);
	drop_init(c);

	struct sb_report rep;
	ssize_t n;
	do
		n = read(exec_pipe[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(rep)) {
		rep.kind = SB_REP_FAILED;
		rep.msg[sizeof(rep.msg) - 1] = '\0';
		(void)!send(c->report_fd, &rep, sizeof(rep), MSG_NOSIGNAL);
		_exit(127);
	}
	/* The go did not reach the program, and it said nothing: it is gone */
	if (go_err)
		die(go_err, "cannot start the program: %s", strerror(-go_err));
	close(exec_pipe[0]);
	report(c->report_fd, SB_REP_STARTED, pid);

	/* Reap everything; the program's status is the run's. */
	for (;;) {
		int status;
		pid_t w = waitpid(-1, &status, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			_exit(126);
		}
		if (w == pid) {
			if (c->spec->collect && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0)
				collect(c, workdir);
			report(c->report_fd,
			       only_init_left() ? SB_REP_LAST : SB_REP_STATUS,
			       status);
			_exit(0);
		}
	}
}
