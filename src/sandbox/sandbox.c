/*
 * sandbox.c - the library side of sandbox.h: talks to the spawner.
 *
 * Runs on the caller's libuv loop: requests are single SOCK_SEQPACKET
 * packets sent without blocking; answers arrive through a uv_poll on the
 * same socket and become the caller's spawned/probed/exited callbacks.
 * A run lives in 'runs' from sandbox_spawn() until its exited() callback
 * has returned.
 *
 * Spawner restarts. sandbox_open() forks the supervisor (sb_super.c), a
 * small root process that starts spawners on request; the first one is
 * asked for at once. When the spawner dies (EOF on its socket) or stops
 * answering (a heartbeat, PROBE id 0, unanswered for 'stall_ms', or its
 * request queue full), every run it had is reported ended with
 * result.lost and an internal error message, and a new spawner is asked
 * for on a new socketpair: requests made meanwhile queue on the new
 * socket and are served as soon as it says hello. A spawner that dies
 * young is replaced after a growing delay (1 s, 2 s, ... 30 s); requests
 * made meanwhile wait in the queue for it. Nothing
 * here ever blocks on the spawner: sends never wait, the queue behind
 * them is bounded, and the heartbeat declares a silent spawner dead.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "sandbox/sb_internal.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

struct sb_run {
	uint64_t id;
	struct sandbox_run_ops ops; /* copied from the caller */
	void *data;
	bool spawned; /* spawned() was called */
	struct sb_run *next;
};

/* A request the socket could not take yet (bursts past its queue). */
struct sb_pending {
	uint16_t type;
	uint64_t id;
	int64_t arg;
	int fd; /* owned; -1 for none */
	struct sb_pending *next;
};

#define SB_MAX_PENDING 4096
#define SB_TICK_MS	1000	/* heartbeat and restart timer */
#define SB_STALL_MS	15000	/* default: silent this long = dead */
#define SB_BACKOFF_MAX	30000	/* restart delay after repeated failures */

enum sb_state {
	SB_UP,		/* the spawner said hello */
	SB_STARTING,	/* asked the supervisor for one, no hello yet */
	SB_WAITING,	/* waiting to ask again (backoff) */
	SB_DOWN,	/* the supervisor is gone: no more spawners */
};

struct sandbox {
	uv_loop_t *loop;
	uv_poll_t *poll; /* on fd, one per spawner; freed when closed */
	int fd;		/* socket to the spawner, -1 if gone */
	pid_t pid;	/* the supervisor, our child */
	int sup_fd;	/* socket to the supervisor */
	pid_t spawner_pid;	/* from the spawner's hello, 0 before */
	enum sb_state state;
	uv_timer_t timer;	/* SB_TICK_MS: heartbeat, restarts */
	uint64_t ping_ms;	/* heartbeat (or hello) awaited since; 0 */
	uint64_t up_ms;		/* when the current spawner said hello */
	uint64_t retry_ms;	/* SB_WAITING: ask again at */
	unsigned failures;	/* spawners in a row that died young */
	unsigned restarts;	/* spawners started after the first */
	uint64_t lost;		/* runs ended by a spawner's death */
	unsigned handles;	/* uv handles open; sb is freed at 0 */
	uint64_t stall_ms;	/* a silent spawner is dead after this */
	bool closing;
	struct sandbox_config cfg;
	struct sandbox_features feat;
	char backend[8];
	uint64_t next_id;
	unsigned active; /* runs not yet exited */
	struct sb_run *runs;
	bool polling;
	struct sb_pending *pending, **pending_tail; /* FIFO */
	unsigned npending;
	struct sandbox_usage usage; /* the spawner's last report */
	struct sb_uid_lease uids; /* the runs' host uids, ours while we live */
};

static struct sb_run *run_find(struct sandbox *sb, uint64_t id)
{
	for (struct sb_run *r = sb->runs; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

static void run_unlink(struct sandbox *sb, struct sb_run *run)
{
	for (struct sb_run **pp = &sb->runs; *pp; pp = &(*pp)->next)
		if (*pp == run) {
			*pp = run->next;
			return;
		}
}

/* Report the end of 'run' (unlinked here) and free it. */
static void run_exit(struct sandbox *sb, struct sb_run *run,
		     const struct sandbox_result *res)
{
	run_unlink(sb, run);
	sb->active--;
	if (!run->spawned && run->ops.spawned)
		run->ops.spawned(run->data,
				 res->error ? res->error : -ECANCELED, NULL);
	if (run->ops.exited)
		run->ops.exited(run->data, res);
	free(run);
}

static void fail_all(struct sandbox *sb, int err, const char *msg)
{
	while (sb->runs) {
		struct sandbox_result res = {.killed = true, .status = SIGKILL};
		if (!sb->runs->spawned)
			res.error = err;
		snprintf(res.message, sizeof(res.message), "%s", msg);
		run_exit(sb, sb->runs, &res);
	}
}

static void close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

/* Handle one packet from the spawner; the fds are ours to use or close. */
static void dispatch(struct sandbox *sb, const struct sb_msg *m,
		     const void *body, const int *fds, unsigned nfds)
{
	struct sb_run *run = run_find(sb, m->id);

	switch (m->type) {
	case SB_MSG_SPAWNED: {
		struct sandbox_proc proc = {.tty_fd = -1,
					    .stdin_fd = -1,
					    .stdout_fd = -1,
					    .stderr_fd = -1,
					    .pid = (pid_t)m->arg};
		if (!run || run->spawned) {
			close_fds(fds, nfds);
			return;
		}
		if (m->flags & 1) {
			proc.tty_fd = fds[0];
		} else {
			proc.stdin_fd = fds[0];
			proc.stdout_fd = fds[1];
			proc.stderr_fd = fds[2];
		}
		run->spawned = true;
		if (run->ops.spawned)
			run->ops.spawned(run->data, 0, &proc);
		else
			close_fds(fds, nfds);
		return;
	}
	case SB_MSG_PROBED:
		close_fds(fds, nfds);
		if (m->id == 0)	/* the heartbeat's answer */
			sb->ping_ms = 0;
		else if (run && run->ops.probed)
			run->ops.probed(run->data, m->arg != 0);
		return;
	case SB_MSG_RUN_USAGE_REPORT: {
		const struct sb_wire_usage *w = body;
		struct sandbox_run_usage u = {
			.cpu_ms = w->cpu_ms,
			.wall_ms = w->wall_ms,
			.memory_bytes = w->memory_bytes,
			.memory_peak = w->memory_peak,
			.pids = w->pids,
		};
		close_fds(fds, nfds);
		if (run && run->spawned && m->arg == 1 && run->ops.usage)
			run->ops.usage(run->data, &u);
		return;
	}
	case SB_MSG_USAGE:
		close_fds(fds, nfds);
		sb->usage.known = true;
		sb->usage.memory_bytes = m->arg > 0 ? (uint64_t)m->arg : 0;
		sb->usage.pids = m->flags;
		return;
	case SB_MSG_EXIT: {
		struct sandbox_result res;
		if (!run) {
			close_fds(fds, nfds);
			return;
		}
		sb_result_from_wire(body, &res);
		if (nfds == 1) {
			res.collected = true;
			res.collect_fd = fds[0];
		}
		run_exit(sb, run, &res);
		close_fds(fds, nfds);	/* valid during exited() only */
		return;
	}
	default:
		close_fds(fds, nfds);
		return;
	}
}

static void spawner_hello(struct sandbox *sb, const struct sb_wire_features *w,
			  pid_t pid);

/*
 * Receive one packet. Returns 1 when one was handled (or dropped), 0 when
 * nothing is pending, -EPIPE when the spawner is gone.
 */
static int receive_one(struct sandbox *sb, bool hello_only,
		       struct sb_wire_features *hello)
{
	struct sb_msg m;
	union {
		char buf[CMSG_SPACE(sizeof(int) * SB_MAX_FDS)];
		struct cmsghdr align;
	} u;
	union {
		struct sb_wire_result res;
		struct sb_wire_features feat;
		struct sb_wire_usage usage;
		char raw[SB_MAX_PACKET];
	} body;
	struct iovec iov[2] = {{&m, sizeof(m)}, {&body, sizeof(body)}};
	struct msghdr mh = {.msg_iov = iov,
			    .msg_iovlen = 2,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	int fds[SB_MAX_FDS * 2];
	unsigned nfds = 0;
	ssize_t n;

	if (sb->fd < 0)
		return -EPIPE;
	n = recvmsg(sb->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -EPIPE;
	nfds = sb_take_fds(&mh, fds, sizeof(fds) / sizeof(fds[0]));
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    sb_msg_check(&m, (size_t)n, nfds) || sb_msg_is_request(m.type)) {
		close_fds(fds, nfds);
		return 1;
	}
	if (m.type == SB_MSG_HELLO) {
		if (hello_only && hello) {
			*hello = body.feat;
			sb->spawner_pid = (pid_t)m.arg;
			return 2;
		}
		spawner_hello(sb, &body.feat, (pid_t)m.arg);
		return 1;
	}
	if (hello_only) {
		close_fds(fds, nfds);
		return 1;
	}
	dispatch(sb, &m, &body, fds, nfds);
	return 1;
}

static void drop_pending(struct sandbox *sb);
static void flush_pending(struct sandbox *sb);
static void spawner_lost(struct sandbox *sb, const char *why);

static void on_readable(uv_poll_t *h, int status, int events);

static void on_io(uv_poll_t *h, int status, int events)
{
	struct sandbox *sb = h->data;

	if (sb->pending && (events & UV_WRITABLE))
		flush_pending(sb);
	if (status < 0 || (events & UV_READABLE))
		on_readable(h, status, events);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct sandbox *sb = h->data;

	for (int i = 0; i < 256 && h == sb->poll; i++) {
		int r = receive_one(sb, false, NULL);
		if (r == 0)
			return;
		if (r < 0) {
			spawner_lost(sb, "died");
			return;
		}
	}
}

static int send_now(struct sandbox *sb, uint16_t type, uint64_t id, int64_t arg,
		    int fd)
{
	struct sb_msg m = {.magic = SB_MSG_MAGIC,
			   .type = type,
			   .nfds = fd >= 0 ? 1 : 0,
			   .id = id,
			   .arg = arg};
	struct iovec iov = {&m, sizeof(m)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (sb->fd < 0)
		return -EPIPE;
	sb_put_fds(&mh, u.buf, &fd, fd >= 0 ? 1 : 0);
	for (;;) {
		if (sendmsg(sb->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == ENOBUFS)
			return -EAGAIN;
		return -EPIPE;
	}
}

static void on_io(uv_poll_t *h, int status, int events);

static void update_poll(struct sandbox *sb)
{
	if (sb->polling)
		uv_poll_start(sb->poll,
			      UV_READABLE | (sb->pending ? UV_WRITABLE : 0),
			      on_io);
}

/* Send what waits, in order; stops at the first EAGAIN. */
static void flush_pending(struct sandbox *sb)
{
	while (sb->pending) {
		struct sb_pending *p = sb->pending;
		int r = send_now(sb, p->type, p->id, p->arg, p->fd);
		if (r == -EAGAIN)
			break;
		/* sent, or the spawner is gone (its EOF reports the runs) */
		sb->pending = p->next;
		if (!sb->pending)
			sb->pending_tail = &sb->pending;
		sb->npending--;
		if (p->fd >= 0)
			close(p->fd);
		free(p);
	}
	update_poll(sb);
}

static void drop_pending(struct sandbox *sb)
{
	while (sb->pending) {
		struct sb_pending *p = sb->pending;
		sb->pending = p->next;
		if (p->fd >= 0)
			close(p->fd);
		free(p);
	}
	sb->pending_tail = &sb->pending;
	sb->npending = 0;
}

/*
 * Send a request, or queue it behind earlier ones when the socket is
 * full: a kill is never lost to a burst of probes. Takes no ownership of
 * 'fd' (a queued request keeps a dup). 0, -EAGAIN (queue full), -EPIPE.
 */
static int send_req(struct sandbox *sb, uint16_t type, uint64_t id, int64_t arg,
		    int fd)
{
	struct sb_pending *p;
	int r;

	/* between two spawners (a restart waiting out its delay) requests
	 * queue for the next one */
	if (sb->fd < 0 && sb->state != SB_WAITING)
		return -EPIPE;
	if (!sb->pending && sb->fd >= 0) {
		r = send_now(sb, type, id, arg, fd);
		if (r != -EAGAIN)
			return r;
	}
	if (sb->npending >= SB_MAX_PENDING) {
		/* The spawner does not read: the next tick replaces it
		 * (not here: the caller may be in the middle of a run). */
		sb->ping_ms = 1;
		return -EAGAIN;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->type = type;
	p->id = id;
	p->arg = arg;
	p->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
	if (fd >= 0 && p->fd < 0) {
		free(p);
		return -errno;
	}
	*sb->pending_tail = p;
	sb->pending_tail = &p->next;
	sb->npending++;
	update_poll(sb);
	return 0;
}

static void fill_features(struct sandbox *sb, const struct sb_wire_features *w)
{
	struct sandbox_features *f = &sb->feat;

	f->userns = w->userns;
	f->pidns = w->pidns;
	f->netns = w->netns;
	f->mountns = w->mountns;
	f->seccomp = w->seccomp;
	f->cgroup_memory = w->cgroup_memory;
	f->cgroup_pids = w->cgroup_pids;
	f->cgroup_cpu = w->cgroup_cpu;
	f->cgroup_kill = w->cgroup_kill;
	f->cgroup_cpu_weight = w->cgroup_cpu_weight;
	f->strong = w->strong;
	memcpy(sb->backend, w->backend, sizeof(sb->backend));
	sb->backend[sizeof(sb->backend) - 1] = '\0';
	f->cgroup_backend = sb->backend;
	memcpy(f->missing, w->missing, sizeof(f->missing));
	f->missing[sizeof(f->missing) - 1] = '\0';
}

/*
 * The helpers re-execute the server binary rather than running on in the
 * forked copy: they start from a fresh address space (nothing of the
 * server's memory, heap or libraries' state), with an empty environment,
 * and a tool that wraps the server (valgrind) does not wrap them. Their
 * configuration travels in argv.
 */
void sb_exec_helper(int exe_fd, const char *exe, const char *flag, int sock,
		    const struct sb_spawner_config *c)
{
	char a[14][64];
	const struct sandbox_limits *d = &c->defaults;
	char *argv[18];
	char *envp[] = { NULL };
	int n = 0;

	if (fcntl(sock, F_SETFD, 0))	/* keep it across exec */
		_exit(127);
	snprintf(a[0], sizeof(a[0]), "%d", sock);
	snprintf(a[1], sizeof(a[1]), "%u", (unsigned)c->uid_base);
	snprintf(a[2], sizeof(a[2]), "%u", c->slots);
	snprintf(a[3], sizeof(a[3]), "%llu", (unsigned long long)d->memory_bytes);
	snprintf(a[4], sizeof(a[4]), "%u", d->pids);
	snprintf(a[5], sizeof(a[5]), "%u", d->nofile);
	snprintf(a[6], sizeof(a[6]), "%llu", (unsigned long long)d->fsize_bytes);
	snprintf(a[7], sizeof(a[7]), "%llu", (unsigned long long)d->tmpfs_bytes);
	snprintf(a[8], sizeof(a[8]), "%llu", (unsigned long long)d->cpu_ms);
	snprintf(a[9], sizeof(a[9]), "%llu", (unsigned long long)d->wall_ms);
	snprintf(a[10], sizeof(a[10]), "%llu",
		 (unsigned long long)c->runs_memory);
	snprintf(a[11], sizeof(a[11]), "%llu", (unsigned long long)c->runs_pids);
	argv[n++] = (char *)(strcmp(flag, SB_SUPER_FLAG) ? "coderoom-spawner"
							 : "coderoom-supervisor");
	argv[n++] = (char *)flag;
	argv[n++] = (char *)c->state_dir;
	for (int i = 0; i < 12; i++)
		argv[n++] = a[i];
	argv[n++] = (char *)(c->log_json ? "json" : "text");
	argv[n] = NULL;
	if (exe_fd >= 0)
		execveat(exe_fd, "", argv, envp, AT_EMPTY_PATH);
	else
		execve(exe, argv, envp);
	_exit(127);
}

static int parse_num(const char *s, unsigned long long max,
		     unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || *out > max ? -1 : 0;
}

int sandbox_spawner_main(int argc, char **argv)
{
	struct sb_spawner_config sc = {0};
	unsigned long long v[12];
	bool super;

	if (argc < 2 ||
	    (strcmp(argv[1], SB_SPAWNER_FLAG) && strcmp(argv[1], SB_SUPER_FLAG)))
		return -1;
	super = !strcmp(argv[1], SB_SUPER_FLAG);
	if (argc != 16 || getppid() == 1)
		_exit(2);
	snprintf(sc.state_dir, sizeof(sc.state_dir), "%s", argv[2]);
	for (int i = 0; i < 12; i++)
		if (parse_num(argv[3 + i], ~0ull, &v[i]))
			_exit(2);
	sc.uid_base = (uid_t)v[1];
	sc.slots = (unsigned)v[2];
	sc.defaults.memory_bytes = v[3];
	sc.defaults.pids = (uint32_t)v[4];
	sc.defaults.nofile = (uint32_t)v[5];
	sc.defaults.fsize_bytes = v[6];
	sc.defaults.tmpfs_bytes = v[7];
	sc.defaults.cpu_ms = v[8];
	sc.defaults.wall_ms = v[9];
	sc.runs_memory = v[10];
	sc.runs_pids = v[11] > UINT32_MAX ? UINT32_MAX : (uint32_t)v[11];
	if (v[0] > 1024 || fcntl((int)v[0], F_SETFD, FD_CLOEXEC))
		_exit(2);
	sc.log_json = !strcmp(argv[15], "json");
	log_set_format(sc.log_json ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
	if (super)
		sb_super_main((int)v[0], &sc);
	sb_spawner_main((int)v[0], &sc);
}

/* --- spawner lifetime ------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
	struct sandbox *sb = h->data;

	if (h != (uv_handle_t *)&sb->timer)
		free(h);
	if (--sb->handles == 0 && sb->closing)
		free(sb);
}

/* Stop talking to the current spawner: its socket and poll go. */
static void drop_link(struct sandbox *sb)
{
	if (sb->poll) {
		uv_close((uv_handle_t *)sb->poll, on_handle_closed);
		sb->poll = NULL;
	}
	sb->polling = false;
	if (sb->fd >= 0) {
		close(sb->fd);
		sb->fd = -1;
	}
	drop_pending(sb);
}

/* Poll the spawner socket sb->fd. 0 or a uv error. */
static int start_link(struct sandbox *sb)
{
	uv_poll_t *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return UV_ENOMEM;
	r = uv_poll_init(sb->loop, p, sb->fd);
	if (r) {
		free(p);
		return r;
	}
	p->data = sb;
	sb->handles++;
	sb->poll = p;
	r = uv_poll_start(p, UV_READABLE, on_io);
	if (r)
		return r;
	sb->polling = true;
	update_poll(sb);	/* requests that waited for it */
	return 0;
}

/*
 * Ask the supervisor for a spawner on a fresh socketpair; our end becomes
 * sb->fd at once, so requests made before its hello wait on the socket.
 * 0, or -errno (-EPIPE: the supervisor is gone).
 */
static int ask_spawner(struct sandbox *sb)
{
	int sv[2], r;
	char byte = 'S';
	struct iovec iov = {&byte, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (sb->sup_fd < 0 || sb->pid < 0)
		return -EPIPE;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	sb_put_fds(&mh, u.buf, &sv[1], 1);
	while (sendmsg(sb->sup_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		r = errno == EAGAIN || errno == ENOBUFS ? -EAGAIN : -EPIPE;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	close(sv[1]);
	sb->fd = sv[0];
	sb->spawner_pid = 0;
	return 0;
}

/* Ask for a new spawner now (the restart path); on failure, later. */
static void restart_spawner(struct sandbox *sb)
{
	int r = ask_spawner(sb);

	if (r == -EPIPE) {
		sb->state = SB_DOWN;
		log_error("sandbox: the supervisor is gone: no new spawner "
			  "can be started; runs are refused until the server "
			  "restarts");
		/* runs asked for while a restart waited: none will come */
		drop_pending(sb);
		fail_all(sb, -EPIPE, "sandbox: no spawner can be started (its "
			 "supervisor is gone)");
		return;
	}
	if (!r && (r = start_link(sb))) {
		drop_link(sb);
		r = -ENOMEM;
	}
	if (r) {
		sb->failures++;
		sb->state = SB_WAITING;
		sb->retry_ms = sb_now_ms() + SB_TICK_MS;
		return;
	}
	sb->state = SB_STARTING;
	sb->ping_ms = sb_now_ms();	/* its hello is awaited */
	sb->restarts++;
}

/*
 * The spawner died (EOF, an error) or stopped answering: every run it had
 * ends (lost, internal error), and a new one is asked for, at once the
 * first time, after a growing delay when spawners keep dying young.
 */
static void spawner_lost(struct sandbox *sb, const char *why)
{
	char msg[200];
	unsigned nruns = sb->active;

	if (sb->closing || sb->state == SB_DOWN)
		return;
	drop_link(sb);
	if (sb->state == SB_STARTING)
		sb->failures++;		/* it never said hello */
	else if (sb_now_ms() - sb->up_ms > 60000)
		sb->failures = 0;	/* it lived a while: start afresh */
	else
		sb->failures++;
	log_error("sandbox: the spawner (pid %d) %s with %u runs: "
		  "restarting it", (int)sb->spawner_pid, why, nruns);
	sb->ping_ms = 0;
	/* Its runs, set aside: a run started from one of their exited()
	 * callbacks (a queue moving on) goes to the new spawner. */
	struct sb_run *lost = sb->runs;
	sb->runs = NULL;
	if (sb->pid > 0 && waitpid(sb->pid, NULL, WNOHANG) == sb->pid) {
		sb->pid = -1;	/* reaped: the supervisor itself is gone */
		restart_spawner(sb);	/* which says so */
	} else if (sb->failures <= 1) {
		restart_spawner(sb);
	} else {
		uint64_t delay = (uint64_t)SB_TICK_MS
				 << (sb->failures - 2 < 5 ? sb->failures - 2 : 5);
		if (delay > SB_BACKOFF_MAX)
			delay = SB_BACKOFF_MAX;
		sb->state = SB_WAITING;
		sb->retry_ms = sb_now_ms() + delay;
	}
	snprintf(msg, sizeof(msg), "the sandbox's spawner %s; the run was "
		 "ended and the spawner restarted", why);
	while (lost) {
		struct sb_run *r = lost;
		struct sandbox_result res = {.killed = true,
					     .status = SIGKILL,
					     .error = -EPIPE,
					     .lost = true};
		lost = r->next;
		r->next = NULL;
		sb->lost++;
		snprintf(res.message, sizeof(res.message), "%s", msg);
		run_exit(sb, r, &res);	/* not in sb->runs: unlinks nothing */
	}
}

/* A hello from a restarted spawner. */
static void spawner_hello(struct sandbox *sb, const struct sb_wire_features *w,
			  pid_t pid)
{
	bool was_strong = sb->feat.strong;

	if (sb->state != SB_STARTING)
		return;
	fill_features(sb, w);
	sb->spawner_pid = pid;
	sb->state = SB_UP;
	sb->up_ms = sb_now_ms();
	sb->ping_ms = 0;
	log_info("sandbox: spawner restarted (pid %d, restart %u)", (int)pid,
		 sb->restarts);
	if (was_strong && !sb->feat.strong)
		log_warn("sandbox: the new spawner is weak: missing %s",
			 sb->feat.missing);
}

/* Every SB_TICK_MS: the heartbeat, and restarts that wait. */
static void on_tick(uv_timer_t *t)
{
	struct sandbox *sb = t->data;
	uint64_t now = sb_now_ms();

	if (sb->closing)
		return;
	if (sb->state == SB_WAITING) {
		if (now >= sb->retry_ms)
			restart_spawner(sb);
		return;
	}
	if (sb->state == SB_DOWN)
		return;
	if (sb->ping_ms) {
		if (now - sb->ping_ms >= sb->stall_ms)
			spawner_lost(sb, sb->state == SB_STARTING
						 ? "did not start"
						 : "stopped answering");
		return;
	}
	/* Only while there is work: an idle spawner's death is seen by
	 * its EOF, a stuck one's when work arrives. */
	if (sb->runs || sb->pending) {
		sb->ping_ms = now;
		send_req(sb, SB_MSG_PROBE, 0, 0, -1);
	}
}

int sandbox_open(uv_loop_t *loop, const struct sandbox_config *cfg,
		 struct sandbox **out)
{
	struct sb_spawner_config sc = {0};
	struct sandbox *sb;
	int sv[2], r;
	pid_t parent = getpid();

	*out = NULL;
	if (!loop || !cfg)
		return -EINVAL;
	if (geteuid() != 0)
		return -EPERM;
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	sb->loop = loop;
	sb->fd = -1;
	sb->sup_fd = -1;
	sb->pending_tail = &sb->pending;
	sb->cfg = *cfg;
	sb->next_id = 1;
	sb->stall_ms = cfg->stall_ms ? cfg->stall_ms : SB_STALL_MS;
	sb->uids.fd = -1;
	sb->cfg.why = NULL;
	if (!sb->cfg.slots)
		sb->cfg.slots = SB_DEF_SLOTS;
	if (sb->cfg.slots > SB_MAX_SLOTS)
		sb->cfg.slots = SB_MAX_SLOTS;
	if (cfg->uid_count && cfg->uid_count < sb->cfg.slots) {
		if (cfg->why)
			snprintf(cfg->why, cfg->why_len,
				 "run uids: %u for %u slots", cfg->uid_count,
				 sb->cfg.slots);
		free(sb);
		return -EINVAL;
	}
	{
		char why[512];
		r = sb_uids_reserve(&sb->uids,
				    cfg->uid_lock_dir ? cfg->uid_lock_dir
						      : SB_UID_LOCK_DIR,
				    cfg->uid_base,
				    cfg->uid_count ? cfg->uid_count
						   : sb->cfg.slots,
				    why, sizeof(why));
		if (r) {
			if (cfg->why)
				snprintf(cfg->why, cfg->why_len, "%s", why);
			free(sb);
			return r;
		}
		sb->cfg.uid_base = sb->uids.first;
		sb->feat.uid_first = sb->uids.first;
		sb->feat.uid_last = sb->uids.first + sb->uids.count - 1;
		sb->feat.uids_configured = cfg->uid_base != 0;
	}
	{
		struct sandbox_limits none = {0};
		struct sandbox_limits def = sb->cfg.defaults;
		sb_limits_apply_defaults(&def, &none);
		sb->cfg.defaults = def;
		((struct sandbox_config *)cfg)->defaults = def;
	}
	snprintf(sc.state_dir, sizeof(sc.state_dir), "%s",
		 cfg->state_dir && cfg->state_dir[0] ? cfg->state_dir
						     : SB_DEF_STATE_DIR);
	sb->cfg.state_dir = NULL; /* the caller's string: not kept */
	sc.uid_base = sb->cfg.uid_base;
	sc.slots = sb->cfg.slots;
	sc.runs_memory = cfg->runs_memory;
	sc.runs_pids = cfg->runs_pids;
	sc.defaults = sb->cfg.defaults;
	sc.log_json = log_get_format() == LOG_FORMAT_JSON;

	/* by path, not /proc/self/exe: under valgrind that is valgrind */
	char exe[4096];
	ssize_t xl = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (xl <= 0) {
		sb_uids_release(&sb->uids);
		free(sb);
		return -ENOENT;
	}
	exe[xl] = '\0';
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		r = -errno;
		sb_uids_release(&sb->uids);
		free(sb);
		return r;
	}
	sb->pid = sb_fork();
	if (sb->pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		sb_uids_release(&sb->uids);
		free(sb);
		return r;
	}
	if (sb->pid == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != parent)
			_exit(1);
		sb_exec_helper(-1, exe, SB_SUPER_FLAG, sv[1], &sc);
	}
	close(sv[1]);
	sb->sup_fd = sv[0];
	if ((r = ask_spawner(sb)))
		goto out_kill;

	/* Wait (bounded) for the spawner's feature report. */
	uint64_t until = sb_now_ms() + 10000;
	struct sb_wire_features hello;
	for (;;) {
		struct pollfd p = {sb->fd, POLLIN, 0};
		uint64_t now = sb_now_ms();
		if (now >= until) {
			r = -ETIMEDOUT;
			goto out_kill;
		}
		if (poll(&p, 1, (int)(until - now)) < 0 && errno != EINTR) {
			r = -errno;
			goto out_kill;
		}
		r = receive_one(sb, true, &hello);
		if (r == 2)
			break;
		if (r < 0)
			goto out_kill;
	}
	fill_features(sb, &hello);
	sb->state = SB_UP;
	sb->up_ms = sb_now_ms();

	r = uv_timer_init(loop, &sb->timer);
	if (r)
		goto out_kill;
	sb->timer.data = sb;
	sb->handles++;
	/* ref'd: a restart that waits must run even when nothing else
	 * keeps the loop alive (sandbox_close() closes it) */
	uv_timer_start(&sb->timer, on_tick, SB_TICK_MS, SB_TICK_MS);
	r = start_link(sb);
	if (r) {
		/* handles live in sb: leak sb rather than free it early */
		drop_link(sb);
		uv_close((uv_handle_t *)&sb->timer, NULL);
		close(sb->sup_fd);
		kill(sb->pid, SIGKILL);
		waitpid(sb->pid, NULL, 0);
		sb_uids_release(&sb->uids);
		return r;
	}
	*out = sb;
	return 0;

out_kill:
	if (sb->fd >= 0)
		close(sb->fd);
	close(sb->sup_fd);
	kill(sb->pid, SIGKILL);
	waitpid(sb->pid, NULL, 0);
	sb_uids_release(&sb->uids);
	free(sb);
	return r;
}

const struct sandbox_features *sandbox_features(const struct sandbox *sb)
{
	return &sb->feat;
}

void sandbox_usage(const struct sandbox *sb, struct sandbox_usage *u)
{
	memset(u, 0, sizeof(*u));
	if (!sb)
		return;
	*u = sb->usage;
	u->runs = sb->active;
}

int sandbox_spawn(struct sandbox *sb, const struct sandbox_spec *spec,
		  const struct sandbox_run_ops *ops, void *data, uint64_t *id)
{
	uint8_t *buf;
	size_t len;
	struct sb_run *run;
	int fd, r;

	if (!sb || !spec || !ops || !id)
		return -EINVAL;
	if (sb->state == SB_DOWN || sb->closing)
		return -EPIPE;
	if (!sb->feat.strong && !sb->cfg.allow_weak)
		return -EPERM;
	if (sb->active >= sb->cfg.slots)
		return -EAGAIN;
	r = sb_spec_encode(spec, &buf, &len);
	if (r)
		return r == -ENOMEM ? r : -EINVAL;

	/* The spec travels as a sealed memfd: any size, one packet. */
	fd = memfd_create("coderoom-spec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		r = -errno;
		free(buf);
		return r;
	}
	r = sb_write_all(fd, buf, len);
	free(buf);
	if (!r &&
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		r = -errno;
	if (r) {
		close(fd);
		return r;
	}
	run = calloc(1, sizeof(*run));
	if (!run) {
		close(fd);
		return -ENOMEM;
	}
	run->id = sb->next_id++;
	run->ops = *ops;
	run->data = data;
	r = send_req(sb, SB_MSG_SPAWN, run->id, 0, fd);
	close(fd);
	if (r) {
		free(run);
		return r;
	}
	run->next = sb->runs;
	sb->runs = run;
	sb->active++;
	*id = run->id;
	return 0;
}

int sandbox_kill(struct sandbox *sb, uint64_t id)
{
	if (!sb || !run_find(sb, id))
		return -ENOENT;
	return send_req(sb, SB_MSG_KILL, id, 0, -1);
}

int sandbox_signal(struct sandbox *sb, uint64_t id, int sig)
{
	if (!sb || !run_find(sb, id))
		return -ENOENT;
	if (sig <= 0 || sig >= 65)
		return -EINVAL;
	return send_req(sb, SB_MSG_SIGNAL, id, sig, -1);
}

int sandbox_probe_input(struct sandbox *sb, uint64_t id)
{
	if (!sb || !run_find(sb, id))
		return -ENOENT;
	return send_req(sb, SB_MSG_PROBE, id, 0, -1);
}

int sandbox_run_usage(struct sandbox *sb, uint64_t id)
{
	if (!sb || !run_find(sb, id))
		return -ENOENT;
	return send_req(sb, SB_MSG_RUN_USAGE, id, 0, -1);
}

void sandbox_status(const struct sandbox *sb, struct sandbox_status *st)
{
	static const char *const names[] = {
		[SB_UP] = "up", [SB_STARTING] = "starting",
		[SB_WAITING] = "restarting", [SB_DOWN] = "down",
	};

	memset(st, 0, sizeof(*st));
	if (!sb)
		return;
	st->state = names[sb->state];
	st->restarts = sb->restarts;
	st->lost_runs = sb->lost;
	st->spawner_pid = sb->spawner_pid;
	st->pending = sb->npending;
	st->active = sb->active;
}

void sandbox_close(struct sandbox *sb)
{
	uint64_t until;
	int st;

	if (!sb)
		return;
	sb->closing = true;
	uv_timer_stop(&sb->timer);
	if (sb->polling) {
		uv_poll_stop(sb->poll);
		sb->polling = false;
	}
	/* EOF tells the spawner to kill every run; collect their real exit
	 * reports for a bounded time. */
	if (sb->fd >= 0) {
		/* Deliver what is queued first (kills, spawns), reading
		 * meanwhile so that neither side blocks the other. */
		until = sb_now_ms() + 2000;
		while (sb->pending && sb_now_ms() < until) {
			struct pollfd p = {sb->fd, POLLIN | POLLOUT, 0};
			if (poll(&p, 1, 100) <= 0)
				continue;
			if (p.revents & POLLOUT)
				flush_pending(sb);
			if ((p.revents & (POLLIN | POLLHUP | POLLERR)) &&
			    receive_one(sb, false, NULL) < 0)
				break;
		}
		drop_pending(sb);
		shutdown(sb->fd, SHUT_WR);
		until = sb_now_ms() + 5000;
		while (sb->runs) {
			struct pollfd p = {sb->fd, POLLIN, 0};
			uint64_t now = sb_now_ms();
			if (now >= until)
				break;
			if (poll(&p, 1, (int)(until - now)) <= 0)
				continue;
			int r;
			while ((r = receive_one(sb, false, NULL)) > 0)
				;
			if (r < 0)
				break;
		}
	}
	drop_link(sb);
	/* EOF to the supervisor: it waits for the spawner to end its runs
	 * and exit, then exits itself. Bounded wait for it. */
	if (sb->sup_fd >= 0) {
		close(sb->sup_fd);
		sb->sup_fd = -1;
	}
	until = sb_now_ms() + 10000;
	while (sb->pid > 0 && waitpid(sb->pid, &st, WNOHANG) == 0) {
		if (sb_now_ms() >= until) {
			/* only works while we are root (a failed open) */
			kill(sb->pid, SIGKILL);
			break;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	fail_all(sb, -ECANCELED, "sandbox: closed");
	/* every run is gone (or the spawner killed): the uids are free */
	sb_uids_release(&sb->uids);
	uv_close((uv_handle_t *)&sb->timer, on_handle_closed);
}
