/*
 * sb_spawner.c - the privileged helper that creates, watches and ends runs.
 *
 * Started by the supervisor (sb_super.c), itself forked by sandbox_open()
 * while the server is still root; stays root. Dies with the supervisor.
 * Single-threaded: one poll() over the library socket, a signalfd for
 * SIGCHLD and every run's report socket, with a timeout for the limits.
 * It never blocks on one run. A malformed request is answered with an
 * error or dropped, never a crash. Socket EOF (the server is gone or
 * closed the sandbox) kills every run, waits for them and exits.
 *
 * The warm pool: with cgroups, up to WARM_TARGET inits are created ahead
 * of any request, each in fresh namespaces and in a cgroup of its own with
 * the default limits, on a free slot. Such an init moves itself into its
 * cgroup (on cgroup v1 that write waits for an RCU grace period, 2-20 ms,
 * which is why it is done ahead and not by us), builds the run's file
 * system up to what depends on the run (sized for a run like the last
 * one), forks the program and lets it drop to the run's uid and user
 * namespace (sb_program_warm()), then seals the root (read-only, pivoted
 * into, the host's tree detached) and says ready; a spawn request then
 * takes a ready one: the limits are set, the spec (its memfd) and the
 * stdio fds go to the waiting init, which finishes the file system and
 * sends the program its go. Refilled from the main loop when no run is starting;
 * while one is left in the pool, not in a new run's first
 * WARM_REFILL_MS either (a clone into fresh namespaces blocks us for
 * 1-5 ms and the new init's mounts take a CPU: the run's own start and
 * its end, often within those ms, come first).
 *
 * A run's end: the last process of a mount namespace tears its mounts
 * down as it exits (the run's overlays, procfs, tmpfs: 2-5 ms, most of it
 * waiting for RCU), and its parent hears of the exit only after that. So
 * the spawner holds each run's mount namespace (an nsfs fd, opened when
 * its init is cloned): init's exit is then quick, the run's end is
 * reported at once, and only then is the fd passed to the release
 * process, a child with nothing else to do, which closes it and so pays
 * for the teardown off every request's path. The namespace has no
 * process left in it by then; nothing can enter it (the fd is ours).
 * When init says its program was the run's last process (SB_REP_LAST),
 * the end is reported before init's own exit (0.2-0.3 ms: pid 1 of its
 * namespaces); the run keeps its slot, group and namespace until init is
 * reaped, and a spawn that finds no free slot reaps such inits first.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "sandbox/cgroup.h"
#include "sandbox/sb_internal.h"

#define TICK_MS 50	   /* shortest gap between two looks at a run */
#define CHECK_MAX_MS 1000 /* longest: an OOM kill is noticed within it */
#define USAGE_MS 500	   /* the runs' usage goes to the library this often */

struct run {
	uint64_t id;
	unsigned slot;
	pid_t init_pid; /* our child; valid until reaped */
	int report_fd;	/* -1 once at EOF */
	int lib_fds[3]; /* handed over at STARTED, -1 after */
	int nlib;
	bool tty;
	pid_t prog_pid; /* host pid of pid 2, 0 if unknown */
	int prog_pidfd;
	int collect_fd; /* memfd of collected files from init, or -1 */
	bool collect_overflow; /* init found more files than collect_max */
	bool started, reaped, have_status, killed;
	bool last;     /* init said the program was the run's last process */
	bool reported; /* its end is sent; init has yet to be reaped */
	int status;
	enum sandbox_limit_hit hit;
	int error;
	char message[256];
	uint64_t start_ms, end_ms, deadline_ms;
	uint64_t next_check_ms; /* when its counters are read next */
	struct sandbox_limits limits;
	struct cgroup_run *cg; /* NULL without cgroups */
	uint64_t probe_ms;     /* the last probe, 0: none yet */
	uint64_t probe_usec;   /* the run's CPU time then */
	int mntns_fd;	       /* its init's mount namespace, or -1 */
	struct run *next;
};

#define WARM_TARGET	  2    /* inits kept ready ahead of requests */
#define WARM_WAIT_MS	  50   /* longest wait for one on its way */
#define WARM_SLOT_WAIT_MS 2000 /* ... when it holds the last free slot */
#define WARM_REFILL_MS	  50   /* a new run's first ms, left to it */

/* A pre-created init waiting for its run (see the top of the file). */
struct warm {
	pid_t pid;     /* init, our child */
	int ctl_fd;    /* "ready" comes here; the spec and stdio go out */
	int report_fd; /* the run's report socket, our end */
	unsigned slot; /* S.slots[slot] == 2 while warm */
	bool ready;    /* init sits in its cgroup */
	int mntns_fd;  /* its mount namespace, or -1 (see the top) */
	struct cgroup_run *cg;
	struct sandbox_limits cg_limits; /* what cg was created with */
	/* its program, forked ahead: taken from its hello when init says
	 * ready (the program is alive then, or an unreaped child of init:
	 * its pid cannot be another process's yet); 0 / -1: none */
	pid_t prog_pid;
	int prog_pidfd;
	struct warm *next;
};

#define WARM_MAX_BROKEN 3 /* warm inits in a row that died unready */

static struct {
	struct warm *warm; /* the pool */
	unsigned warm_broken; /* in a row; at WARM_MAX_BROKEN: no pool */
	uint64_t warm_seq; /* names of the pool's cgroups */
	uint64_t warm_due; /* a deferred refill is due then, 0: none */
	int sock;	   /* to the library */
	int release_fd;	   /* to the release process, -1: none */
	bool eof;	   /* the library closed its side: wind down */
	int sigfd;
	struct run *runs;
	unsigned char *slots; /* 1 = busy, 2 = held by a warm init */
	struct sb_spawner_config cfg;
	struct sb_wire_features feat;
	bool userns, mountns, seccomp, overlay, mknod;
	struct cgroup_host *cgh; /* NULL: no cgroup back end */
	unsigned cpus;		 /* the most CPUs a run can use at once */
	uint64_t usage_due;	 /* when the usage is reported next */
	uint64_t usage_mem, usage_pids; /* the last report */
	struct sandbox_limits last_limits; /* of the last run handed out */
	bool have_last_limits;
} S;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warn("%s", buf);	/* one write(2), in the server's format */
}

void sb_limits_apply_defaults(struct sandbox_limits *l,
			      const struct sandbox_limits *def)
{
	if (!l->memory_bytes)
		l->memory_bytes =
		    def->memory_bytes ? def->memory_bytes : SB_DEF_MEMORY;
	if (!l->pids)
		l->pids = def->pids ? def->pids : SB_DEF_PIDS;
	if (!l->nofile)
		l->nofile = def->nofile ? def->nofile : SB_DEF_NOFILE;
	if (!l->fsize_bytes)
		l->fsize_bytes =
		    def->fsize_bytes ? def->fsize_bytes : SB_DEF_FSIZE;
	if (!l->tmpfs_bytes)
		l->tmpfs_bytes =
		    def->tmpfs_bytes ? def->tmpfs_bytes : SB_DEF_TMPFS;
	if (!l->cpu_ms)
		l->cpu_ms = def->cpu_ms ? def->cpu_ms : SB_DEF_CPU_MS;
	if (!l->wall_ms)
		l->wall_ms = def->wall_ms ? def->wall_ms : SB_DEF_WALL_MS;
	if (!l->cpu_weight)
		l->cpu_weight =
		    def->cpu_weight ? def->cpu_weight : SB_DEF_CPU_WEIGHT;
}

/* --- sending to the library ------------------------------------------ */

static int send_msg(uint16_t type, uint64_t id, int64_t arg, uint32_t flags,
		    const void *body, uint32_t len, const int *fds, int nfds)
{
	struct sb_msg m = {.magic = SB_MSG_MAGIC,
			   .type = type,
			   .nfds = (uint16_t)nfds,
			   .id = id,
			   .arg = arg,
			   .len = len,
			   .flags = flags};
	struct iovec iov[2] = {{&m, sizeof(m)}, {(void *)body, len}};
	union {
		char buf[CMSG_SPACE(sizeof(int) * SB_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};

	if (S.sock < 0)
		return -EPIPE;
	sb_put_fds(&mh, u.buf, fds, nfds > 0 ? (size_t)nfds : 0);
	/* Blocking: the library reads eagerly and messages are small. */
	while (sendmsg(S.sock, &mh, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		return -errno;
	}
	return 0;
}

static void send_error(uint64_t id, int err, const char *msg)
{
	struct sandbox_result r = {.error = err};
	struct sb_wire_result w;

	snprintf(r.message, sizeof(r.message), "%s", msg);
	sb_result_to_wire(&r, &w);
	send_msg(SB_MSG_EXIT, id, 0, 0, &w, sizeof(w), NULL, 0);
}

/* --- runs ------------------------------------------------------------- */

/* A run the library may still act on: one whose end is reported is
 * over for it, though its init may not have been reaped yet. */
static struct run *find_run(uint64_t id)
{
	for (struct run *r = S.runs; r; r = r->next)
		if (r->id == id && !r->reported)
			return r;
	return NULL;
}

static void close_lib_fds(struct run *r)
{
	for (int i = 0; i < r->nlib; i++)
		if (r->lib_fds[i] >= 0)
			close(r->lib_fds[i]);
	r->nlib = 0;
}

static void kill_run(struct run *r, enum sandbox_limit_hit hit)
{
	if (r->reaped || r->reported) /* init is on its way out */
		return;
	if (!r->killed && hit != SANDBOX_HIT_NONE && !r->hit)
		r->hit = hit;
	r->killed = true;
	/* init is our unreaped child: its pid cannot be reused. SIGKILL to
	 * a pid namespace's init kills the whole namespace. */
	kill(r->init_pid, SIGKILL);
	if (r->cg)
		cgroup_run_kill(r->cg);
}

static void finish_run(struct run *r);
static bool reap_reported(void);

/* Hold the mount namespace of our child 'pid' (see the top of the file):
 * an fd, or -1 (then its teardown stays on init's exit, as before). */
static int mntns_hold(pid_t pid)
{
	char path[64];

	if (!S.mountns || S.release_fd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Let go of a held namespace: the release process closes it, or we do
 * when it is gone or its socket is full. */
static void mntns_release(int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char c = 'm';
	struct iovec iov = {&c, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd < 0)
		return;
	if (S.release_fd >= 0) {
		sb_put_fds(&mh, u.buf, &fd, 1);
		if (sendmsg(S.release_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) <
			0 &&
		    errno != EAGAIN && errno != EINTR) {
			close(S.release_fd);
			S.release_fd = -1;
		}
	}
	close(fd);
	/* ours is closed: the release process may close its copy now */
	if (S.release_fd >= 0) {
		c = 'c';
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		(void)sendmsg(S.release_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
}

/*
 * The release process: closes every fd it is sent, until EOF; but each
 * one only once the next message came (the spawner sends one, with no
 * fd, as soon as it has closed its own copy), or after RELEASE_HOLD_MS of
 * quiet if that message was lost. Whoever drops a namespace's last
 * reference pays for its teardown: a release process woken at once (it
 * often preempts the spawner on its CPU) used to close first, and the
 * spawner then paid the 1-2 ms of unmounting itself, with every run
 * waiting. Holding for a fixed time instead put the teardown in the
 * middle of a later run.
 */
#define RELEASE_HOLD_MS 20
__attribute__((noreturn)) static void release_main(int sock)
{
	int held[8];
	size_t nheld = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NAME, "coderoom-mntns", 0, 0, 0);
	if (sock > 3)
		syscall(SYS_close_range, 3U, (unsigned)sock - 1, 0);
	syscall(SYS_close_range, (unsigned)sock + 1, ~0U, 0);
	if (getppid() == 1)
		_exit(0);
	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * 8)];
			struct cmsghdr align;
		} u;
		char c[8];
		struct iovec iov = {c, sizeof(c)};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = u.buf,
				    .msg_controllen = sizeof(u.buf)};
		struct pollfd p = {sock, POLLIN, 0};
		int pr = poll(&p, 1, nheld ? RELEASE_HOLD_MS : -1);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			_exit(0);
		if (pr == 0) {
			while (nheld)
				close(held[--nheld]);
			continue;
		}
		ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			_exit(0);
		while (nheld)
			close(held[--nheld]);
		nheld = sb_take_fds(&mh, held, 8);
	}
}

/* Start the release process (at start-up, before any run). */
static void release_start(void)
{
	int sv[2];
	pid_t pid;

	S.release_fd = -1;
	if (!S.mountns ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return;
	pid = sb_fork();
	if (pid == 0)
		release_main(sv[1]);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return;
	}
	S.release_fd = sv[0];
}

/* The program's hello (SB_REP_PID): its pid as we see it, stamped by the
 * kernel (SCM_CREDENTIALS), and a pidfd for it. */
static void take_pid(struct msghdr *mh, pid_t *pid, int *pidfd)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c;
	     c = CMSG_NXTHDR(mh, c)) {
		struct ucred uc;
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_CREDENTIALS)
			continue;
		memcpy(&uc, CMSG_DATA(c), sizeof(uc));
		if (uc.pid > 0) {
			*pid = uc.pid;
			*pidfd = (int)syscall(SYS_pidfd_open, uc.pid, 0);
			return;
		}
	}
}

static void read_reports(struct run *r)
{
	for (;;) {
		struct sb_report rep;
		union {
			char buf[CMSG_SPACE(sizeof(struct ucred)) +
				 CMSG_SPACE(sizeof(int) * SB_MAX_FDS)];
			struct cmsghdr align;
		} u;
		int rights = -1;
		struct iovec iov = {&rep, sizeof(rep)};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = u.buf,
				    .msg_controllen = sizeof(u.buf)};
		ssize_t n;

		if (r->report_fd < 0)
			return;
		n = recvmsg(r->report_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(r->report_fd);
			r->report_fd = -1;
			return;
		}
		/* Descriptors come only with SB_REP_COLLECT; keep the first,
		 * close any other. */
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
		     c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t k = 0; k < nf; k++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + k * sizeof(int),
				       sizeof(int));
				if (rights < 0)
					rights = fd;
				else
					close(fd);
			}
		}
		if (n != (ssize_t)sizeof(rep) || rep.kind != SB_REP_COLLECT ||
		    r->collect_fd >= 0) {
			if (rights >= 0)
				close(rights);
			rights = -1;
		}
		if (n != (ssize_t)sizeof(rep))
			continue;
		rep.msg[sizeof(rep.msg) - 1] = '\0';
		switch (rep.kind) {
		case SB_REP_PID:
			if (!r->prog_pid)
				take_pid(&mh, &r->prog_pid, &r->prog_pidfd);
			break;
		case SB_REP_STARTED:
			if (r->started || r->killed)
				break;
			r->started = true;
			r->start_ms = sb_now_ms();
			send_msg(SB_MSG_SPAWNED, r->id, r->prog_pid,
				 r->tty ? 1 : 0, NULL, 0, r->lib_fds, r->nlib);
			close_lib_fds(r);
			break;
		case SB_REP_FAILED:
			if (!r->error) {
				r->error = rep.err < 0 ? rep.err : -EIO;
				snprintf(r->message, sizeof(r->message),
					 "sandbox: %s", rep.msg);
			}
			break;
		case SB_REP_COLLECT:
			if (rights >= 0)
				r->collect_fd = rights;
			else if (rep.err == -E2BIG)
				r->collect_overflow = true;
			break;
		case SB_REP_LAST:
			r->last = true;
			/* fall through */
		case SB_REP_STATUS:
			r->have_status = true;
			r->status = (int)rep.val;
			break;
		default:
			break;
		}
	}
}

/* Sends the run's end: at init's reap, or before it when init said the
 * program was the last of the run (SB_REP_LAST), which spares the report
 * init's own exit (pid 1 of its namespaces: 0.2-0.3 ms). Its counters are
 * read now; the slot, the group and the mounts stay until the reap. */
static void report_end(struct run *r)
{
	struct sandbox_result res = {0};
	struct sb_wire_result w;

	r->reported = true;
	read_reports(r);
	if (r->report_fd >= 0) {
		close(r->report_fd);
		r->report_fd = -1;
	}
	r->end_ms = sb_now_ms();
	if (r->cg) {
		struct cgroup_stats st = {0};
		cgroup_run_stats(r->cg, &st);
		res.cpu_ms = st.cpu_usec / 1000;
		res.memory_peak = st.memory_peak;
		if (!r->hit && st.oom_kill)
			r->hit = SANDBOX_HIT_MEMORY;
		if (!r->hit && st.pids_max)
			r->hit = SANDBOX_HIT_PIDS;
	}
	if (!r->started) {
		res.error =
		    r->error ? r->error : (r->killed ? -ECANCELED : -EIO);
		if (r->error)
			snprintf(res.message, sizeof(res.message), "%s",
				 r->message);
		else if (r->killed)
			snprintf(res.message, sizeof(res.message),
				 "sandbox: run killed before it started");
		else
			snprintf(res.message, sizeof(res.message),
				 "sandbox: set-up failed");
	} else {
		res.wall_ms = r->end_ms - r->start_ms;
		res.killed = r->killed;
		if (r->have_status)
			res.status = r->status;
		else
			res.status = SIGKILL; /* wait status "killed by 9" */
		/* The OOM killer's SIGKILL counts as the sandbox's. */
		if (r->hit == SANDBOX_HIT_MEMORY && WIFSIGNALED(res.status) &&
		    WTERMSIG(res.status) == SIGKILL)
			res.killed = true;
		res.hit = r->hit;
	}
	res.collect_overflow = r->collect_overflow;
	sb_result_to_wire(&res, &w);
	/* Collected files count only for a clean exit of a run not killed. */
	if (r->collect_fd >= 0 && r->started && !res.killed && !r->hit &&
	    r->have_status && WIFEXITED(r->status) && !WEXITSTATUS(r->status))
		send_msg(SB_MSG_EXIT, r->id, 0, SB_EXIT_COLLECT, &w, sizeof(w),
			 &r->collect_fd, 1);
	else
		send_msg(SB_MSG_EXIT, r->id, 0, 0, &w, sizeof(w), NULL, 0);
	if (r->collect_fd >= 0)
		close(r->collect_fd);
	r->collect_fd = -1;
	close_lib_fds(r);
}

/* init is reaped: every process of the run is gone. Ends what is left of
 * it, reporting its end first if that was not done yet. */
static void finish_run(struct run *r)
{
	if (!r->reported)
		report_end(r);
	/* Reported: now its mounts may go (see the top of the file), and
	 * its group: reap() emptied it (cgroup.kill) before we read it, so
	 * the rmdirs (0.2 ms on v1, six hierarchies) need not delay the
	 * report. */
	mntns_release(r->mntns_fd);
	cgroup_run_destroy(r->cg);
	r->cg = NULL;

	close_lib_fds(r);
	if (r->prog_pidfd >= 0)
		close(r->prog_pidfd);
	S.slots[r->slot] = 0;
	S.usage_due = 0; /* its memory is back: say so soon */
	for (struct run **pp = &S.runs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	free(r);
}

static int make_stdio(struct run *r, const struct sb_spec *spec, int child[3],
		      int *slave_out)
{
	*slave_out = -1;
	r->tty = spec->tty;
	if (spec->tty) {
		int master, slave;
		if (openpty(&master, &slave, NULL, NULL, NULL))
			return -errno;
		fcntl(master, F_SETFD, FD_CLOEXEC);
		fcntl(slave, F_SETFD, FD_CLOEXEC);
		/* The run's uid owns its terminal, like a login would. */
		if (fchown(slave, S.cfg.uid_base + r->slot,
			   S.cfg.uid_base + r->slot) ||
		    fchmod(slave, 0620)) {
			int e = -errno;
			close(master);
			close(slave);
			return e;
		}
		r->lib_fds[0] = master;
		r->nlib = 1;
		child[0] = child[1] = child[2] = slave;
		*slave_out = slave;
		return 0;
	}
	int p[3][2];
	for (int i = 0; i < 3; i++) {
		if (pipe2(p[i], O_CLOEXEC)) {
			int e = -errno;
			for (int j = 0; j < i; j++) {
				close(p[j][0]);
				close(p[j][1]);
			}
			return e;
		}
	}
	child[0] = p[0][0];
	r->lib_fds[0] = p[0][1];
	child[1] = p[1][1];
	r->lib_fds[1] = p[1][0];
	child[2] = p[2][1];
	r->lib_fds[2] = p[2][0];
	r->nlib = 3;
	return 0;
}

static void close_child_stdio(int child[3], bool tty)
{
	for (int i = 0; i < (tty ? 1 : 3); i++)
		if (child[i] >= 0)
			close(child[i]);
}

struct clone_args_compat {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
	    stack_size, tls, set_tid, set_tid_size, cgroup;
};

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL

/*
 * Clone init into fresh namespaces; with a cgroup v2 group, born inside it
 * (clone3 CLONE_INTO_CGROUP, Linux 5.7+: *in_v2 is set), so not one
 * instruction runs outside the run's limits. Falls back to clone(). Init
 * joins the rest of its groups (v1's; v2's after the fallback) itself,
 * first thing (cgroup_run_attach()): a join waits for an RCU grace period,
 * which we must not. Returns like fork().
 */
static pid_t clone_init(const struct cgroup_run *cg, bool *in_v2)
{
	const uint64_t ns = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET |
			    CLONE_NEWIPC | CLONE_NEWUTS;
	int cgfd = cg ? cgroup_run_v2_fd(cg) : -1;

	*in_v2 = false;

	if (cgfd >= 0) {
		struct clone_args_compat a = {
		    .flags = ns | CLONE_INTO_CGROUP_FLAG,
		    .exit_signal = SIGCHLD,
		    .cgroup = (uint64_t)cgfd,
		};
		pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
		if (pid >= 0)
			*in_v2 = true;
		if (pid == 0)
			return 0;
		close(cgfd);
		if (pid > 0)
			return pid;
		if (errno != ENOSYS && errno != E2BIG && errno != EINVAL &&
		    errno != EOPNOTSUPP)
			return -1;
	}
	return (pid_t)syscall(SYS_clone, ns | SIGCHLD, NULL, NULL, NULL, 0);
}

/* --- the warm pool ---------------------------------------------------- */

static int read_spec(int memfd, bool head_only, struct sb_spec *spec,
		     const char **why)
{
	return sb_read_spec(memfd, &S.cfg.defaults, head_only, spec, why);
}

/* What a warm init receives with its run: SCM_RIGHTS [memfd, stdio...]. */
struct warm_handout {
	uint32_t magic;
	/* 3 (memfd, pty slave, the slave's detached mount) or 4 (memfd,
	 * stdin/out/err) */
	uint32_t nfds;
	char tty_name[16]; /* the slave's name under /dev/pts */
};
#define WARM_MAGIC 0x6d726177u /* "warm" */

/* The context an init of slot 'slot' starts from: no stdio yet, no go
 * to wait for, no program forked ahead. */
static struct sb_child_ctx child_ctx(const struct sb_spec *spec,
				     unsigned slot, int report_fd)
{
	return (struct sb_child_ctx){
	    .spec = spec,
	    .host_uid = S.cfg.uid_base + slot,
	    .host_gid = S.cfg.uid_base + slot,
	    .report_fd = report_fd,
	    .stdio = {-1, -1, -1},
	    .tty_slave = -1,
	    .tty_tree = -1,
	    .state_dir = S.cfg.state_dir,
	    .userns = S.userns,
	    .mountns = S.mountns,
	    .seccomp = S.seccomp,
	    .overlay = S.overlay,
	    .mknod = S.mknod,
	    .prog_go = -1,
	    .prog_exec_fd = -1,
	    .spec_fd = -1,
	};
}

/* In the warm init, its file system prepared: a cgroup namespace rooted
 * at the run's group, then fork the program (pid 2), let it drop what
 * does not depend on the run (sb_program_warm()) and wait until it has.
 * 0, or -1 when that failed. */
static int warm_program(const struct sb_child_ctx *early, int ctl,
			struct sb_child_ctx *ctx)
{
	int go[2], ex[2];
	ssize_t n;
	pid_t pid;
	char c;

	(void)unshare(CLONE_NEWCGROUP); /* best effort, as in a cold init */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, go))
		return -1;
	if (pipe2(ex, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -1;
	}
	pid = sb_fork();
	if (pid == 0) {
		close(ctl); /* init's alone: its EOF tells the spawner */
		close(go[0]);
		close(ex[0]);
		sb_program_warm(early, go[1], ex[1], &S.cfg.defaults);
	}
	close(go[1]);
	close(ex[1]);
	if (pid > 0) {
		do
			n = recv(go[0], &c, 1, 0);
		while (n < 0 && errno == EINTR);
		if (n != 1 || c != 'p') {
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			pid = -1;
		}
	}
	if (pid < 0) {
		close(go[0]);
		close(ex[0]);
		return -1;
	}
	ctx->prog_go = go[0];
	ctx->prog_exec_fd = ex[0];
	ctx->prog_pid = pid;
	return 0;
}

/* In the warm init (pid 1 of its namespaces, still root): join the
 * cgroup, build what it can of the file system, fork the program, say
 * ready, wait for the run, then become its init. */
__attribute__((noreturn)) static void
warm_child(int ctl, int rep, unsigned slot, struct cgroup_run *cg, bool in_v2)
{
	struct warm_handout h;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {&h, sizeof(h)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	int fds[4] = {-1, -1, -1, -1}, nfds = 0;
	struct sb_spec spec = {0};
	const char *why;
	struct sb_child_ctx ctx = child_ctx(&spec, slot, rep);

	/* Only our two sockets: nothing of the spawner's other runs. */
	int keep[2] = {ctl, rep};
	sb_close_all_except(keep, 2);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* The slow parts, done before anyone waits for them: the cgroup,
	 * the run's file system up to what depends on the run, and the
	 * program's process up to what depends on the run. */
	if (cgroup_run_attach(cg, 0, in_v2))
		_exit(127);
	if (S.mountns) {
		char root[300], err[200];
		/* Sized for a run like the last one (the batch APIs send
		 * streams of like runs); corrected at hand-out if need be. */
		if (S.have_last_limits)
			spec.limits = S.last_limits;
		sb_limits_apply_defaults(&spec.limits, &S.cfg.defaults);
		ctx.guess = spec.limits;
		snprintf(root, sizeof(root), "%s/root", S.cfg.state_dir);
		if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) ||
		    sb_mounts_setup(root, &ctx, SB_MOUNTS_EARLY, err,
				    sizeof(err)))
			_exit(127); /* the cold path will say why */
		/* A program that cannot be prepared makes a broken warm
		 * init, like failing mounts: after WARM_MAX_BROKEN in a row
		 * runs start cold, and the cold path says why. */
		if (warm_program(&ctx, ctl, &ctx))
			_exit(127);
		/* The program is in its user namespace: the root may turn. */
		if (sb_mounts_setup(root, &ctx, SB_MOUNTS_SEAL, err,
				    sizeof(err)))
			_exit(127);
		ctx.prepared = true;
	}
	/* What init drops for its run that its hand-out does not need:
	 * the bounding set (it never execs; its effective capabilities,
	 * which the hand-out uses, stay until drop_init()). */
	sb_drop_bounding_set();
	ctx.bset_empty = true;
	if (send(ctl, "r", 1, MSG_NOSIGNAL) != 1)
		_exit(127);

	ssize_t n;
	do
		n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		nfds = (int)sb_take_fds(&mh, fds, 4);
	/* EOF (the spawner drops us) or anything odd: just go. */
	if (n != (ssize_t)sizeof(h) || h.magic != WARM_MAGIC ||
	    (int)h.nfds != nfds || (nfds != 3 && nfds != 4))
		_exit(0);
	close(ctl);
	if (read_spec(fds[0], false, &spec, &why))
		_exit(127);
	if (spec.tty != (nfds == 3))
		_exit(127);
	if (ctx.prog_go >= 0)
		ctx.spec_fd = fds[0]; /* the program reads it too */
	else
		close(fds[0]);
	ctx.stdio[0] = fds[1];
	ctx.stdio[1] = nfds == 3 ? fds[1] : fds[2];
	ctx.stdio[2] = nfds == 3 ? fds[1] : fds[3];
	ctx.tty_slave = nfds == 3 ? fds[1] : -1;
	if (nfds == 3) {
		ctx.tty_tree = fds[2];
		memcpy(ctx.tty_name, h.tty_name, sizeof(ctx.tty_name));
		ctx.tty_name[sizeof(ctx.tty_name) - 1] = '\0';
	}
	sb_child_init(&ctx);
}

static pid_t clone_init(const struct cgroup_run *cg, bool *in_v2);

/*
 * The cgroup limits a new warm init's group is made with: the defaults,
 * raised to those of the last run handed out where that asked for more
 * (memory, pids; its CPU weight as it was). A stream of like runs whose
 * limits are not the defaults (the batch APIs') then needs no cgroup write
 * at its hand-out. Never lowered: a run asking for tiny limits does not
 * squeeze the next inits' set-up; a run that asks for less than its group
 * has gets its limits written at hand-out, as before.
 */
static void warm_limits(struct sandbox_limits *l)
{
	sb_limits_apply_defaults(l, &S.cfg.defaults);
	if (!S.have_last_limits)
		return;
	if (S.last_limits.memory_bytes > l->memory_bytes)
		l->memory_bytes = S.last_limits.memory_bytes;
	if (S.last_limits.pids > l->pids)
		l->pids = S.last_limits.pids;
	l->cpu_weight = S.last_limits.cpu_weight;
}

/* Create one warm init on a free slot. 0, or -errno (nothing to undo). */
static int warm_create(void)
{
	struct warm *w;
	unsigned slot;
	int ctl[2] = {-1, -1}, rep[2] = {-1, -1}, e;
	int one = 1;

	for (slot = 0; slot < S.cfg.slots && S.slots[slot]; slot++)
		;
	if (slot == S.cfg.slots)
		return -EAGAIN;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->prog_pidfd = -1;
	/* The limits the next run likely has: it then needs no cgroup write
	 * at its hand-out. */
	warm_limits(&w->cg_limits);
	e = cgroup_run_create_warm(S.cgh, ++S.warm_seq, &w->cg_limits,
				   &w->cg);
	if (e)
		goto out_free;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rep)) {
		e = -errno;
		goto out_close;
	}
	setsockopt(rep[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	bool in_v2;
	w->pid = clone_init(w->cg, &in_v2);
	if (w->pid < 0) {
		e = -errno;
		goto out_close;
	}
	if (w->pid == 0)
		warm_child(ctl[1], rep[1], slot, w->cg, in_v2);
	close(ctl[1]);
	close(rep[1]);
	w->mntns_fd = mntns_hold(w->pid);
	w->ctl_fd = ctl[0];
	w->report_fd = rep[0];
	w->slot = slot;
	S.slots[slot] = 2;
	w->next = S.warm;
	S.warm = w;
	return 0;

out_close:
	for (int i = 0; i < 2; i++) {
		if (ctl[i] >= 0)
			close(ctl[i]);
		if (rep[i] >= 0)
			close(rep[i]);
	}
	cgroup_run_destroy(w->cg);
out_free:
	free(w);
	return e;
}

/* Unlink 'w' from the pool and free it (its init is gone or handed out). */
static void warm_free(struct warm *w, bool keep_slot)
{
	for (struct warm **p = &S.warm; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	if (w->ctl_fd >= 0)
		close(w->ctl_fd);
	if (w->prog_pidfd >= 0)
		close(w->prog_pidfd);
	if (!keep_slot)
		S.slots[w->slot] = 0;
	free(w);
}

/* A warm init is gone (reaped): drop its entry and its cgroup. One that
 * died before it was ready counts: a pool that cannot be made (its early
 * mounts fail) stops being refilled, and runs start cold (and say why). */
static bool warm_reaped(pid_t pid)
{
	for (struct warm *w = S.warm; w; w = w->next) {
		if (w->pid != pid)
			continue;
		if (!w->ready && !S.eof &&
		    ++S.warm_broken == WARM_MAX_BROKEN)
			logmsg("sandbox: spawner: %u warm inits died before "
			       "they were ready: runs start cold",
			       WARM_MAX_BROKEN);
		if (w->report_fd >= 0)
			close(w->report_fd);
		mntns_release(w->mntns_fd);
		cgroup_run_destroy(w->cg);
		warm_free(w, false);
		return true;
	}
	return false;
}

/* A ready warm init's program sent its hello before init said ready (it
 * was forked ahead): read it now, while its pid is still its own. */
static void warm_take_pid(struct warm *w)
{
	struct sb_report rep;
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) +
			 CMSG_SPACE(sizeof(int) * SB_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {&rep, sizeof(rep)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	int fds[SB_MAX_FDS];
	ssize_t n;

	if (!S.mountns)
		return; /* no program forked ahead: the run's comes later */
	n = recvmsg(w->report_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return;
	/* no descriptors come with a hello */
	for (size_t i = sb_take_fds(&mh, fds, SB_MAX_FDS); i > 0; i--)
		close(fds[i - 1]);
	if (n == (ssize_t)sizeof(rep) && rep.kind == SB_REP_PID)
		take_pid(&mh, &w->prog_pid, &w->prog_pidfd);
}

/* Its ctl socket is readable: "ready", or EOF when init died. */
static void warm_read(struct warm *w)
{
	char c;
	ssize_t n = recv(w->ctl_fd, &c, 1, MSG_DONTWAIT);

	if (n == 1 && c == 'r') {
		w->ready = true;
		S.warm_broken = 0;
		warm_take_pid(w);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	kill(w->pid, SIGKILL); /* reaped, then warm_reaped() */
	close(w->ctl_fd);
	w->ctl_fd = -1;
}

/* Top the pool up, unless a run is still starting (its reports first)
 * or, while the pool still has one, a run is in its first WARM_REFILL_MS
 * (then S.warm_due says when to come back). */
static void warm_fill(void)
{
	uint64_t now = sb_now_ms(), due = 0;
	unsigned n = 0;

	S.warm_due = 0;
	if (!S.cgh || S.eof || S.warm_broken >= WARM_MAX_BROKEN)
		return;
	for (struct run *r = S.runs; r; r = r->next)
		if (!r->started && !r->reaped)
			return;
	for (struct warm *w = S.warm; w; w = w->next)
		n++;
	if (n >= WARM_TARGET)
		return;
	for (struct run *r = S.runs; n && r; r = r->next)
		if (!r->reaped && r->start_ms + WARM_REFILL_MS > now &&
		    r->start_ms + WARM_REFILL_MS > due)
			due = r->start_ms + WARM_REFILL_MS;
	if (due) {
		S.warm_due = due;
		return;
	}
	while (n < WARM_TARGET && warm_create() == 0)
		n++;
}

static void warm_kill_all(void)
{
	for (struct warm *w = S.warm; w; w = w->next)
		kill(w->pid, SIGKILL);
}

/* Give run 'r' (limits decoded, stdio made) to the ready warm init 'w':
 * its limits on the cgroup, then the spec memfd and the stdio fds to the
 * waiting init. 0 or -errno (then 'w' is spoiled: kill it). */
static int warm_handout(struct run *r, struct warm *w, int memfd,
			const int child[3], bool tty)
{
	struct warm_handout h = {.magic = WARM_MAGIC, .nfds = tty ? 3 : 4};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	int fds[4] = {memfd, child[0], child[1], child[2]};
	struct iovec iov = {&h, sizeof(h)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	int e;

	/* The run's limits before its init may go on (unless the group was
	 * made with exactly those: the cgroup files it sets). */
	if ((r->limits.memory_bytes != w->cg_limits.memory_bytes ||
	     r->limits.pids != w->cg_limits.pids ||
	     r->limits.cpu_weight != w->cg_limits.cpu_weight) &&
	    (e = cgroup_run_set_limits(w->cg, &r->limits)))
		return e;

	/* The warm init's root is pivoted: the host's /dev/pts is out of
	 * its reach. It gets the slave as a detached mount of its own (a
	 * bind of that one file), and its name. */
	if (tty) {
		unsigned ptn;
		if (ioctl(r->lib_fds[0], TIOCGPTN, &ptn))
			return -errno;
		snprintf(h.tty_name, sizeof(h.tty_name), "%u", ptn);
		fds[2] = (int)open_tree(child[0], "",
					OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					    AT_EMPTY_PATH);
		if (fds[2] < 0)
			return -errno;
	}
	sb_put_fds(&mh, u.buf, fds, h.nfds);
	n = sendmsg(w->ctl_fd, &mh, MSG_NOSIGNAL);
	if (tty)
		close(fds[2]);
	if (n != (ssize_t)sizeof(h))
		return n < 0 ? -errno : -EIO;
	return 0;
}

/* The first ready warm init, or NULL. */
static struct warm *warm_ready(void)
{
	for (struct warm *w = S.warm; w; w = w->next)
		if (w->ready && w->ctl_fd >= 0)
			return w;
	return NULL;
}

/*
 * No warm init is ready, but some are on their way (their cgroup write is
 * waiting for the same grace period a cold init's would wait for, only it
 * began earlier): wait for the first, up to 'ms'. The ready one, or NULL.
 */
static struct warm *warm_wait(int ms)
{
	uint64_t until = sb_now_ms() + (uint64_t)ms;

	for (;;) {
		struct pollfd pfd[WARM_TARGET];
		struct warm *who[WARM_TARGET];
		nfds_t n = 0;
		uint64_t now = sb_now_ms();

		for (struct warm *w = S.warm; w && n < WARM_TARGET;
		     w = w->next) {
			if (w->ready || w->ctl_fd < 0)
				continue;
			pfd[n].fd = w->ctl_fd;
			pfd[n].events = POLLIN;
			who[n++] = w;
		}
		if (!n || now >= until)
			return NULL;
		if (poll(pfd, n, (int)(until - now)) < 0 && errno != EINTR)
			return NULL;
		for (nfds_t i = 0; i < n; i++)
			if (pfd[i].revents)
				warm_read(who[i]);
		struct warm *w = warm_ready();
		if (w)
			return w;
	}
}

static void handle_spawn(uint64_t id, int memfd)
{
	struct sb_spec spec = {0};
	struct run *r = NULL;
	struct warm *w;
	int child[3] = {-1, -1, -1}, slave = -1;
	int rep[2] = {-1, -1};
	unsigned slot;
	const char *why;
	int e;
	char msg[160];

	if (find_run(id)) {
		close(memfd);
		logmsg("sandbox: spawner: duplicate run id %llu",
		       (unsigned long long)id);
		return;
	}
	/* Read the spec: a sealed memfd whose size we bound. Its head is
	 * all we need to hand it to a warm init (which reads the rest
	 * itself); a cold init gets all of it from us (below). */
	e = read_spec(memfd, true, &spec, &why);
	if (e) {
		close(memfd);
		send_error(id, e, why);
		return;
	}

	/* A warm init when one is ready, else a free slot. */
	w = warm_ready();
	if (!w)
		w = warm_wait(WARM_WAIT_MS);
	if (w) {
		slot = w->slot;
	} else {
		for (slot = 0; slot < S.cfg.slots && S.slots[slot]; slot++)
			;
		/* A run whose end was reported early holds its slot until
		 * its init, which has only its exit left, is reaped. */
		if (slot == S.cfg.slots && reap_reported())
			for (slot = 0; slot < S.cfg.slots && S.slots[slot];
			     slot++)
				;
		/* Every free slot is held by a warm init still on its way:
		 * wait for one rather than refuse. */
		if (slot == S.cfg.slots && (w = warm_wait(WARM_SLOT_WAIT_MS)))
			slot = w->slot;
		if (!w && slot == S.cfg.slots) {
			close(memfd);
			sb_spec_release(&spec);
			send_error(id, -EAGAIN, "sandbox: every slot is busy");
			return;
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(memfd);
		sb_spec_release(&spec);
		send_error(id, -ENOMEM, "sandbox: out of memory");
		return;
	}
	r->id = id;
	r->slot = slot;
	r->report_fd = -1;
	r->prog_pidfd = -1;
	r->collect_fd = -1;
	r->mntns_fd = -1;
	r->limits = spec.limits;
	S.last_limits = spec.limits;
	S.have_last_limits = true;
	for (int i = 0; i < 3; i++)
		r->lib_fds[i] = -1;

	e = make_stdio(r, &spec, child, &slave);
	if (e) {
		close(memfd);
		snprintf(msg, sizeof(msg), "sandbox: pty/pipes: %s",
			 strerror(-e));
		goto out_fail;
	}

	if (w) {
		e = warm_handout(r, w, memfd, child, spec.tty);
		close(memfd);
		if (e) {
			/* A spoiled warm init: drop it, fail this run (the
			 * library may retry; the pool refills). */
			kill(w->pid, SIGKILL);
			close(w->ctl_fd);
			w->ctl_fd = -1;
			w->ready = false;
			snprintf(msg, sizeof(msg), "sandbox: warm hand-out: %s",
				 strerror(-e));
			close_child_stdio(child, spec.tty);
			close_lib_fds(r);
			free(r);
			sb_spec_release(&spec);
			send_error(id, e, msg);
			return;
		}
		r->init_pid = w->pid;
		r->prog_pid = w->prog_pid;
		r->prog_pidfd = w->prog_pidfd;
		w->prog_pidfd = -1;
		r->report_fd = w->report_fd;
		r->cg = w->cg;
		r->mntns_fd = w->mntns_fd;
		warm_free(w, true);
		close_child_stdio(child, spec.tty);
		sb_spec_release(&spec);
		r->deadline_ms = sb_now_ms() + r->limits.wall_ms;
		S.slots[slot] = 1;
		r->next = S.runs;
		S.runs = r;
		return;
	}
	bool tty = spec.tty;
	sb_spec_release(&spec);
	e = read_spec(memfd, false, &spec, &why);
	close(memfd);
	if (e) {
		close_child_stdio(child, tty);
		snprintf(msg, sizeof(msg), "%s", why);
		goto out_fail;
	}

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rep)) {
		e = -errno;
		snprintf(msg, sizeof(msg), "sandbox: socketpair: %s",
			 strerror(errno));
		goto out_close;
	}
	int one = 1;
	setsockopt(rep[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));

	if (S.cgh) {
		e = cgroup_run_create(S.cgh, id, &spec.limits, &r->cg);
		if (e) {
			snprintf(msg, sizeof(msg), "sandbox: cgroup: %s",
				 strerror(-e));
			goto out_close;
		}
	}

	struct sb_child_ctx ctx = child_ctx(&spec, slot, rep[1]);
	ctx.cg = r->cg;
	for (int i = 0; i < 3; i++)
		ctx.stdio[i] = child[i];
	ctx.tty_slave = slave;
	pid_t pid = clone_init(r->cg, &ctx.cg_in_v2);
	if (pid < 0) {
		e = -errno;
		snprintf(msg, sizeof(msg), "sandbox: clone: %s",
			 strerror(errno));
		goto out_close;
	}
	if (pid == 0)
		sb_child_init(&ctx);

	r->init_pid = pid;
	r->mntns_fd = mntns_hold(pid);
	r->report_fd = rep[0];
	close(rep[1]);
	close_child_stdio(child, spec.tty);
	sb_spec_release(&spec);
	r->deadline_ms = sb_now_ms() + r->limits.wall_ms;
	S.slots[slot] = 1;
	r->next = S.runs;
	S.runs = r;

	return;

out_close:
	close_child_stdio(child, spec.tty);
	for (int i = 0; i < 2; i++)
		if (rep[i] >= 0)
			close(rep[i]);
out_fail:
	if (r->cg)
		cgroup_run_destroy(r->cg);
	close_lib_fds(r);
	free(r);
	sb_spec_release(&spec);
	send_error(id, e, msg);
}

/* Signal pid 2 only: by pidfd, or where the kernel (or valgrind) has no
 * pidfds, by pid once /proc confirms it is still init's child. */
static void signal_program(struct run *r, int sig)
{
	char path[64], buf[512];
	const char *p;

	if (r->prog_pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, r->prog_pidfd, sig, NULL, 0);
		return;
	}
	if (r->prog_pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)r->prog_pid);
	if (sb_read_file(path, buf, sizeof(buf)) <= 0)
		return;
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!p || strtol(p + 4, NULL, 10) != r->init_pid)
		return;
	kill(r->prog_pid, sig);
}

/* Answers a usage request: the run's cgroup figures while it runs. */
static void send_usage(struct run *r, uint64_t id)
{
	struct sb_wire_usage w;
	struct cgroup_usage u;
	bool live = r && r->started && !r->reaped;

	memset(&w, 0, sizeof(w));
	if (live) {
		cgroup_run_usage(r->cg, &u);
		w.cpu_ms = u.cpu_usec / 1000;
		w.wall_ms = sb_now_ms() - r->start_ms;
		w.memory_bytes = u.memory_bytes;
		w.memory_peak = u.memory_peak;
		w.pids = u.pids;
	}
	send_msg(SB_MSG_RUN_USAGE_REPORT, id, live ? 1 : 0, 0, &w, sizeof(w), NULL,
		 0);
}

/*
 * Whether run 'r' waits for its input (SB_MSG_PROBE), at a bounded cost.
 * With a cgroup, a run that used more than 5 % of a CPU since the last
 * probe is running, whatever its threads show (one file read); a quiet
 * one only needs one thread found reading its input. The first probe
 * only takes the measure.
 */
static bool probe_run(struct run *r)
{
	uint64_t now = sb_now_ms(), usec, last_ms = r->probe_ms;
	bool quiet;

	if (!r->cg || !cgroup_run_cpu(r->cg, &usec))
		return sb_probe_tree(r->init_pid, false);
	quiet = last_ms && usec - r->probe_usec <= (now - last_ms) * 50;
	r->probe_ms = now;
	r->probe_usec = usec;
	return quiet && sb_probe_tree(r->init_pid, true);
}

static void handle_request(void)
{
	struct sb_msg m;
	union {
		char buf[CMSG_SPACE(sizeof(int) * SB_MAX_FDS)];
		struct cmsghdr align;
	} u;
	char body[SB_MAX_PACKET];
	struct iovec iov[2] = {{&m, sizeof(m)}, {body, sizeof(body)}};
	struct msghdr mh = {.msg_iov = iov,
			    .msg_iovlen = 2,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	int fds[SB_MAX_FDS * 2];
	unsigned nfds = 0;
	ssize_t n;

	n = recvmsg(S.sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		n = 0;
	}
	if (n == 0) {
		/* The server is gone or closing: end every run. The socket
		 * stays open for writing, so a closing library still gets
		 * the runs' exit reports. */
		S.eof = true;
		for (struct run *r = S.runs; r; r = r->next)
			kill_run(r, SANDBOX_HIT_NONE);
		warm_kill_all();
		return;
	}
	nfds = sb_take_fds(&mh, fds, sizeof(fds) / sizeof(fds[0]));
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    sb_msg_check(&m, (size_t)n, nfds) || !sb_msg_is_request(m.type)) {
		logmsg("sandbox: spawner: malformed request dropped");
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return;
	}
	struct run *r = find_run(m.id);
	switch (m.type) {
	case SB_MSG_SPAWN:
		handle_spawn(m.id, fds[0]);
		break;
	case SB_MSG_KILL:
		if (r)
			kill_run(r, SANDBOX_HIT_NONE);
		break;
	case SB_MSG_SIGNAL:
		if (r && r->started && !r->reaped)
			signal_program(r, (int)m.arg);
		break;
	case SB_MSG_PROBE: {
		bool waiting = r && r->started && !r->reaped && probe_run(r);
		send_msg(SB_MSG_PROBED, m.id, waiting, 0, NULL, 0, NULL, 0);
		break;
	}
	case SB_MSG_RUN_USAGE:
		send_usage(r, m.id);
		break;
	default:
		break;
	}
}

static void init_reaped(struct run *r)
{
	r->reaped = true;
	/* init is gone, so is its pid namespace: anything left would be
	 * killed here */
	if (r->cg)
		cgroup_run_kill_rest(r->cg);
	finish_run(r);
}

static void reap(void)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0)
			return;
		if (warm_reaped(pid))
			continue;
		for (struct run *r = S.runs; r; r = r->next) {
			if (r->init_pid == pid && !r->reaped) {
				init_reaped(r);
				break;
			}
		}
	}
}

/* Waits for the inits of the runs whose end is reported (each has only
 * its _exit() left) and ends them; true if there was one. */
static bool reap_reported(void)
{
	bool any = false;

	for (struct run *r = S.runs, *next; r; r = next) {
		next = r->next;
		if (!r->reported || r->reaped)
			continue;
		while (waitpid(r->init_pid, NULL, 0) < 0 && errno == EINTR)
			;
		init_reaped(r);
		any = true;
	}
	return any;
}

/* A run whose limits are still ours to enforce: not killed, not over
 * (its end reported, or its init reaped). */
static bool run_watched(const struct run *r)
{
	return !r->reaped && !r->killed && !r->reported;
}

uint64_t sb_check_gap_ms(uint64_t limit_ms, uint64_t used_ms, unsigned cpus)
{
	uint64_t gap;

	if (used_ms >= limit_ms)
		return 0;
	gap = (limit_ms - used_ms) / (cpus ? cpus : 1);
	if (gap < TICK_MS)
		return TICK_MS;
	return gap > CHECK_MAX_MS ? CHECK_MAX_MS : gap;
}

/*
 * The wall deadline, the CPU limit and the OOM killer, for the runs that
 * are due. A run cannot use more than S.cpus CPU-seconds per second, so
 * one that has 'left' ms of CPU time to go is looked at again after
 * left / cpus ms (at most CHECK_MAX_MS, at least TICK_MS): an idle session
 * costs two small reads a second, not four every 50 ms, and hundreds of
 * them leave the spawner idle. The overshoot past the CPU limit stays
 * within TICK_MS * cpus.
 */
static void check_limits(void)
{
	uint64_t now = sb_now_ms();

	for (struct run *r = S.runs; r; r = r->next) {
		uint64_t usec;
		bool oom;

		if (!run_watched(r))
			continue;
		if (now >= r->deadline_ms) {
			kill_run(r, SANDBOX_HIT_WALL);
			continue;
		}
		if (!r->cg || now < r->next_check_ms)
			continue;
		cgroup_run_poll(r->cg, &usec, &oom);
		if (usec / 1000 >= r->limits.cpu_ms)
			kill_run(r, SANDBOX_HIT_CPU);
		else if (oom)
			kill_run(r, SANDBOX_HIT_MEMORY);
		else
			r->next_check_ms = now + sb_check_gap_ms(r->limits.cpu_ms,
								 usec / 1000,
								 S.cpus);
	}
}

/*
 * Tells the library what the runs use together (for admission), every
 * USAGE_MS while runs live and once after they are gone, when it changed.
 */
static void report_usage(void)
{
	uint64_t now = sb_now_ms(), mem, pids;

	if (!S.cgh || S.eof) {
		S.usage_due = UINT64_MAX;
		return;
	}
	if (S.runs && S.usage_due == UINT64_MAX)
		S.usage_due = now + USAGE_MS;	/* a run started */
	if (now < S.usage_due)
		return;
	S.usage_due = S.runs ? now + USAGE_MS : UINT64_MAX;
	if (cgroup_host_usage(S.cgh, &mem, &pids))
		return;
	if (mem == S.usage_mem && pids == S.usage_pids)
		return;
	S.usage_mem = mem;
	S.usage_pids = pids;
	send_msg(SB_MSG_USAGE, 0, (int64_t)(mem > INT64_MAX ? INT64_MAX : mem),
		 (uint32_t)(pids > UINT32_MAX ? UINT32_MAX : pids), NULL, 0,
		 NULL, 0);
}

static int poll_timeout(void)
{
	uint64_t now = sb_now_ms(), next = S.usage_due;

	for (struct run *r = S.runs; r; r = r->next) {
		if (!run_watched(r))
			continue;
		if (r->deadline_ms < next)
			next = r->deadline_ms;
		if (r->cg && r->next_check_ms < next)
			next = r->next_check_ms;
	}
	if (S.warm_due && S.warm_due < next)
		next = S.warm_due;
	if (S.eof)
		return 100;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

/* --- start-up --------------------------------------------------------- */

/* Reaps a probe's child: true if it exited with 0. */
static bool reaped_ok(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool try_clone(int flags)
{
	pid_t pid =
	    (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);

	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(0);
	return reaped_ok(pid);
}

/* Can the slot uid create a user namespace (sysctls, LSMs may say no)? */
static bool try_userns(uid_t uid)
{
	pid_t pid = sb_fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid) || unshare(CLONE_NEWUSER))
			_exit(1);
		_exit(0);
	}
	return reaped_ok(pid);
}

/* Can a process load our filter (not under valgrind, for one)? */
static bool try_seccomp(void)
{
	pid_t pid = sb_fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || sb_filter_load())
			_exit(1);
		_exit(0);
	}
	return reaped_ok(pid);
}

/* Can we mount a read-only overlay (the runs' view of the host's dirs)? */
static bool try_overlay(void)
{
	char opts[600], dst[300];
	pid_t pid;

	snprintf(opts, sizeof(opts), "lowerdir=/usr:%s/empty", S.cfg.state_dir);
	snprintf(dst, sizeof(dst), "%s/root", S.cfg.state_dir);
	if (strpbrk(S.cfg.state_dir, ",:\\"))
		return false;
	pid = sb_fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) ||
		    mount("coderoom-ro", dst, "overlay",
			  MS_RDONLY | MS_NOSUID | MS_NODEV, opts))
			_exit(1);
		_exit(0);
	}
	return reaped_ok(pid);
}

/* Can we make device nodes (CAP_MKNOD) in a run's /dev tmpfs? */
static bool try_mknod(void)
{
	char dst[300], node[320];
	struct stat st;
	pid_t pid;

	if (stat("/dev/null", &st) || !S_ISCHR(st.st_mode))
		return false;
	snprintf(dst, sizeof(dst), "%s/root", S.cfg.state_dir);
	snprintf(node, sizeof(node), "%s/null", dst);
	pid = sb_fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) ||
		    mount("coderoom-dev", dst, "tmpfs", MS_NOSUID, "size=4k") ||
		    mknod(node, S_IFCHR | 0666, st.st_rdev))
			_exit(1);
		_exit(0);
	}
	return reaped_ok(pid);
}

static void add_missing(const char *what)
{
	size_t n = strlen(S.feat.missing);

	snprintf(S.feat.missing + n, sizeof(S.feat.missing) - n, "%s%s",
		 n ? ", " : "", what);
}

static void detect_features(void)
{
	struct sb_wire_features *f = &S.feat;
	struct cgroup_caps caps = {0};

	f->pidns = try_clone(CLONE_NEWPID);
	f->mountns = try_clone(CLONE_NEWNS);
	f->netns = try_clone(CLONE_NEWNET);
	f->userns = try_userns(S.cfg.uid_base);
	f->seccomp = sb_filter_available() && try_seccomp();
	S.userns = f->userns;
	S.mountns = f->mountns;
	S.seccomp = f->seccomp;
	S.overlay = f->mountns && try_overlay();
	S.mknod = f->mountns && try_mknod();
	/* Compiled once here; the probe above used the slow path. */
	if (S.seccomp && sb_filter_prepare())
		logmsg("sandbox: spawner: cannot precompile the seccomp "
		       "filter; compiling it per run");

	S.cgh = cgroup_host_open(&caps);
	f->cgroup_memory = caps.memory;
	f->cgroup_pids = caps.pids;
	f->cgroup_cpu = caps.cpu;
	f->cgroup_kill = caps.kill;
	f->cgroup_cpu_weight = caps.cpu_weight;
	snprintf(f->backend, sizeof(f->backend), "%s",
		 S.cgh ? caps.backend : "none");

	if (!f->userns)
		add_missing("user namespaces");
	if (!f->pidns)
		add_missing("pid namespaces");
	if (!f->mountns)
		add_missing("mount namespaces");
	if (!f->netns)
		add_missing("network namespaces");
	if (!f->seccomp)
		add_missing("seccomp");
	if (f->mountns && !S.overlay)
		add_missing("overlayfs (runs would share the host's inodes)");
	if (f->mountns && !S.mknod)
		add_missing("CAP_MKNOD (runs would share the host's /dev/null)");
	if (!f->cgroup_memory)
		add_missing("cgroup memory controller");
	if (!f->cgroup_pids)
		add_missing("cgroup pids controller");
	if (!f->cgroup_cpu)
		add_missing("cgroup cpu accounting");
	if (!f->cgroup_kill)
		add_missing("cgroup kill/freezer");
	f->strong = !f->missing[0];
}

static int prepare_state_dir(void)
{
	char path[300];

	if (mkdir(S.cfg.state_dir, 0711) && errno != EEXIST)
		return -errno;
	/* Only root writes here; the weak mode's program must traverse. */
	if (chown(S.cfg.state_dir, 0, 0) || chmod(S.cfg.state_dir, 0711))
		return -errno;
	/* The crash janitor: anything but our two mount points is a
	 * leftover of an older run. */
	int dfd = open(S.cfg.state_dir,
		       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	sb_rm_rf_at(dfd, "runs");
	close(dfd);
	snprintf(path, sizeof(path), "%s/root", S.cfg.state_dir);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/work", S.cfg.state_dir);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	/* The second (empty) lower layer of the runs' overlays. */
	snprintf(path, sizeof(path), "%s/empty", S.cfg.state_dir);
	if (mkdir(path, 0555) && errno != EEXIST)
		return -errno;
	return 0;
}

void sb_spawner_main(int sock, const struct sb_spawner_config *c)
{
	sigset_t mask;

	/* Die with the server; and if it is already gone, now. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NAME, "coderoom-spawn", 0, 0, 0);
	S.cfg = *c;
	S.sock = sock;
	/* No supplementary groups from the server, for us or any clone. */
	if (setgroups(0, NULL))
		logmsg("sandbox: spawner: setgroups: %s", strerror(errno));

	/* Keep only stdio (for logs) and our socket. */
	if (sock > 3)
		syscall(SYS_close_range, 3U, (unsigned)sock - 1, 0);
	syscall(SYS_close_range, (unsigned)sock + 1, ~0U, 0);

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	S.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	umask(022);

	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	S.cpus = ncpu > 0 ? (unsigned)ncpu : 1;
	S.slots = calloc(S.cfg.slots, 1);
	if (!S.slots || S.sigfd < 0)
		_exit(1);
	int e = prepare_state_dir();
	if (e)
		logmsg("sandbox: spawner: state dir '%s': %s", S.cfg.state_dir,
		       strerror(-e));
	detect_features();
	if (e) {
		S.mountns = false;
		add_missing("state dir");
		S.feat.strong = false;
	}
	release_start();
	if (S.cgh) {
		cgroup_host_janitor(S.cgh);
		e = cgroup_host_set_limits(S.cgh, S.cfg.runs_memory,
					   S.cfg.runs_pids);
		if (e)
			logmsg("sandbox: spawner: cannot limit the runs together "
			       "(memory %llu, pids %u): %s",
			       (unsigned long long)S.cfg.runs_memory,
			       S.cfg.runs_pids, strerror(-e));
	}
	send_msg(SB_MSG_HELLO, 0, getpid(), 0, &S.feat, sizeof(S.feat), NULL,
		 0);

	uint64_t stop_by = 0;
	for (;;) {
		struct pollfd pfd[2 + 2 * SB_MAX_SLOTS];
		struct run *owner[2 + 2 * SB_MAX_SLOTS];
		struct warm *wowner[2 + 2 * SB_MAX_SLOTS];
		nfds_t n = 0;

		if (S.eof && !S.runs && !S.warm) {
			cgroup_host_close(S.cgh);
			_exit(0);
		}
		if (S.eof) {
			if (!stop_by)
				stop_by = sb_now_ms() + 5000;
			else if (sb_now_ms() > stop_by)
				_exit(1);
		}
		pfd[n].fd = S.sigfd;
		pfd[n].events = POLLIN;
		wowner[n] = NULL;
		owner[n++] = NULL;
		if (!S.eof) {
			pfd[n].fd = S.sock;
			pfd[n].events = POLLIN;
			wowner[n] = NULL;
			owner[n++] = NULL;
		}
		for (struct run *r = S.runs; r; r = r->next) {
			if (r->report_fd < 0)
				continue;
			pfd[n].fd = r->report_fd;
			pfd[n].events = POLLIN;
			wowner[n] = NULL;
			owner[n++] = r;
		}
		for (struct warm *w = S.warm; w; w = w->next) {
			if (w->ready || w->ctl_fd < 0)
				continue;
			pfd[n].fd = w->ctl_fd;
			pfd[n].events = POLLIN;
			wowner[n] = w;
			owner[n++] = NULL;
		}
		int pr = poll(pfd, n, poll_timeout());
		if (pr < 0 && errno != EINTR)
			_exit(1);
		if (pr > 0) {
			for (nfds_t i = 0; i < n; i++) {
				if (!pfd[i].revents)
					continue;
				if (owner[i]) {
					read_reports(owner[i]);
					if (owner[i]->last &&
					    !owner[i]->reported)
						report_end(owner[i]);
				}
				else if (wowner[i])
					warm_read(wowner[i]);
			}
			if (!S.eof && pfd[1].fd == S.sock && pfd[1].revents) {
				/* A bounded batch, so runs are not starved. */
				for (int k = 0; k < 64 && !S.eof; k++) {
					struct pollfd q = {S.sock, POLLIN, 0};
					if (poll(&q, 1, 0) <= 0)
						break;
					handle_request();
				}
			}
			if (pfd[0].revents) {
				struct signalfd_siginfo si;
				while (read(S.sigfd, &si, sizeof(si)) > 0)
					;
			}
		}
		reap();
		check_limits();
		warm_fill();
		report_usage();
	}
}
