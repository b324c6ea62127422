/*
 * sandbox.c - the library side of sandbox.h: talks to the spawner.
 *
 * Runs on the caller's libuv loop: requests are single SOCK_SEQPACKET
 * packets sent without blocking; answers arrive through a uv_poll on the
 * same socket and become the caller's spawned/probed/exited callbacks.
 * A run lives in 'runs' from sandbox_spawn() until its exited() callback
 * has returned.
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

struct sandbox {
	uv_loop_t *loop;
	uv_poll_t poll; /* on fd; closed by sandbox_close() */
	int fd;		/* socket to the spawner, -1 if gone */
	pid_t pid;	/* the spawner */
	struct sandbox_config cfg;
	struct sandbox_features feat;
	char backend[8];
	uint64_t next_id;
	unsigned active; /* runs not yet exited */
	struct sb_run *runs;
	bool polling;
	struct sb_pending *pending, **pending_tail; /* FIFO */
	unsigned npending;
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
		if (run && run->ops.probed)
			run->ops.probed(run->data, m->arg != 0);
		return;
	case SB_MSG_USAGE_REPORT: {
		const struct sb_wire_usage *w = body;
		struct sandbox_usage u = {
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
			return 2;
		}
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

static void spawner_gone(struct sandbox *sb)
{
	drop_pending(sb);
	if (sb->polling) {
		uv_poll_stop(&sb->poll);
		sb->polling = false;
	}
	fail_all(sb, -EPIPE, "sandbox: the spawner is gone");
}

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

	for (int i = 0; i < 256; i++) {
		int r = receive_one(sb, false, NULL);
		if (r == 0)
			return;
		if (r < 0) {
			if (sb->fd >= 0)
				shutdown(sb->fd, SHUT_RDWR);
			spawner_gone(sb);
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
		uv_poll_start(&sb->poll,
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

	if (sb->fd < 0)
		return -EPIPE;
	if (!sb->pending) {
		r = send_now(sb, type, id, arg, fd);
		if (r != -EAGAIN)
			return r;
	}
	if (sb->npending >= SB_MAX_PENDING)
		return -EAGAIN;
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
	f->strong = w->strong;
	memcpy(sb->backend, w->backend, sizeof(sb->backend));
	sb->backend[sizeof(sb->backend) - 1] = '\0';
	f->cgroup_backend = sb->backend;
	memcpy(f->missing, w->missing, sizeof(f->missing));
	f->missing[sizeof(f->missing) - 1] = '\0';
}

#define SPAWNER_FLAG "--sandbox-spawner"

/*
 * The spawner re-executes the server binary rather than running on in the
 * forked copy: it starts from a fresh address space (nothing of the
 * server's memory, heap or libraries' state), with an empty environment,
 * and a tool that wraps the server (valgrind) does not wrap the spawner.
 * Its configuration travels in argv. Never returns.
 */
__attribute__((noreturn)) static void
exec_spawner(const char *exe, int sock, const struct sb_spawner_config *c)
{
	char a[12][64];
	const struct sandbox_limits *d = &c->defaults;
	char *argv[16];
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
	argv[n++] = (char *)"coderoom-spawner";
	argv[n++] = (char *)SPAWNER_FLAG;
	argv[n++] = (char *)c->state_dir;
	for (int i = 0; i < 10; i++)
		argv[n++] = a[i];
	argv[n] = NULL;
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
	unsigned long long v[10];

	if (argc < 2 || strcmp(argv[1], SPAWNER_FLAG))
		return -1;
	if (argc != 13 || getppid() == 1)
		_exit(2);
	snprintf(sc.state_dir, sizeof(sc.state_dir), "%s", argv[2]);
	for (int i = 0; i < 10; i++)
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
	if (v[0] > 1024 || fcntl((int)v[0], F_SETFD, FD_CLOEXEC))
		_exit(2);
	sb_spawner_main((int)v[0], &sc);
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
	sb->pending_tail = &sb->pending;
	sb->cfg = *cfg;
	sb->next_id = 1;
	if (!sb->cfg.uid_base)
		sb->cfg.uid_base = SB_DEF_UID_BASE;
	if (!sb->cfg.slots)
		sb->cfg.slots = SB_DEF_SLOTS;
	if (sb->cfg.slots > SB_MAX_SLOTS)
		sb->cfg.slots = SB_MAX_SLOTS;
	if (sb->cfg.uid_base < 1000 ||
	    (uint64_t)sb->cfg.uid_base + sb->cfg.slots > 0xfffffffeull) {
		free(sb);
		return -EINVAL;
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
	sc.defaults = sb->cfg.defaults;

	/* by path, not /proc/self/exe: under valgrind that is valgrind */
	char exe[4096];
	ssize_t xl = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (xl <= 0) {
		free(sb);
		return -ENOENT;
	}
	exe[xl] = '\0';
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		r = -errno;
		free(sb);
		return r;
	}
	sb->pid = sb_fork();
	if (sb->pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		free(sb);
		return r;
	}
	if (sb->pid == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != parent)
			_exit(1);
		exec_spawner(exe, sv[1], &sc);
	}
	close(sv[1]);
	sb->fd = sv[0];

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

	r = uv_poll_init(loop, &sb->poll, sb->fd);
	if (r)
		goto out_kill;
	sb->poll.data = sb;
	r = uv_poll_start(&sb->poll, UV_READABLE, on_io);
	if (r) {
		uv_close((uv_handle_t *)&sb->poll, NULL);
		/* the handle lives in sb: leak sb rather than free it early */
		kill(sb->pid, SIGKILL);
		waitpid(sb->pid, NULL, 0);
		close(sb->fd);
		return r;
	}
	sb->polling = true;
	*out = sb;
	return 0;

out_kill:
	kill(sb->pid, SIGKILL);
	waitpid(sb->pid, NULL, 0);
	close(sb->fd);
	free(sb);
	return r;
}

const struct sandbox_features *sandbox_features(const struct sandbox *sb)
{
	return &sb->feat;
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
	if (sb->fd < 0 || !sb->polling)
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

int sandbox_usage(struct sandbox *sb, uint64_t id)
{
	if (!sb || !run_find(sb, id))
		return -ENOENT;
	return send_req(sb, SB_MSG_USAGE, id, 0, -1);
}

static void on_closed(uv_handle_t *h)
{
	struct sandbox *sb = h->data;

	free(sb);
}

void sandbox_close(struct sandbox *sb)
{
	uint64_t until;
	int st;

	if (!sb)
		return;
	if (sb->polling) {
		uv_poll_stop(&sb->poll);
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
		close(sb->fd);
		sb->fd = -1;
	}
	/* The spawner exits once its runs are reaped; bounded wait. */
	until = sb_now_ms() + 3000;
	while (waitpid(sb->pid, &st, WNOHANG) == 0) {
		if (sb_now_ms() >= until) {
			kill(sb->pid, SIGKILL);
			waitpid(sb->pid, &st, 0);
			break;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	fail_all(sb, -ECANCELED, "sandbox: closed");
	uv_close((uv_handle_t *)&sb->poll, on_closed);
}
