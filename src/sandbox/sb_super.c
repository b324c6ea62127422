/*
 * sb_super.c - the supervisor: a tiny root process that starts spawners.
 *
 * Why it exists. The spawner must be root (namespaces, uid maps, cgroups)
 * and the server must not be: it drops root for good right after start-up.
 * So once the first spawner is running, nobody on the server's side could
 * start another one, and a spawner killed by kill -9 or by a crash would
 * leave the server unable to run a single program until it is restarted.
 * The supervisor is forked (and re-executed, like the spawner) while the
 * server is still root, stays root, and does exactly one thing: on request
 * it replaces the current spawner with a fresh one.
 *
 * Alternatives weighed: the spawner forking its own successor cannot
 * survive kill -9 (a dead process forks nothing), and a standby spawner
 * forked in advance is a second full spawner kept idle, doing the same job
 * as this process with far more code and state. A supervisor is the
 * smallest root process that can survive every way a spawner dies.
 *
 * What it trusts. Requests come from the unprivileged server: a packet of
 * exactly one byte 'S' with exactly one descriptor, which must be a unix
 * SOCK_SEQPACKET socket. Anything else is dropped. A request kills the
 * current spawner (SIGKILL, then waits for it, bounded) and starts a new
 * one on the socket; that spawner says hello on it with its pid. At most
 * one spawner exists at a time, so whatever the server asks, it gets no
 * more than one root helper, and no faster than one per SUP_MIN_GAP_MS.
 * It never reads anything but these packets, never runs anything but the
 * binary it was started from (kept open as an O_PATH fd, so an upgrade on
 * disk cannot swap it), and exits at EOF: then it waits for its spawner to
 * finish its runs (bounded) and kills it. It dies with the server
 * (PR_SET_PDEATHSIG), and the spawner dies with it.
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "sandbox/sb_internal.h"

#define SUP_MIN_GAP_MS 200   /* between two spawners started */
#define SUP_REAP_MS    5000  /* longest wait for a killed spawner */
#define SUP_DRAIN_MS   8000  /* at EOF: longest wait for the last one */

static void sup_log(const char *msg, int err)
{
	log_warn("sandbox: supervisor: %s%s%s", msg, err ? ": " : "",
		 err ? strerror(err) : "");
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Wait up to 'ms' for 'pid' (our child) to exit; SIGKILL it after that
 * when 'kill_after'. True when it is reaped. */
static bool reap_within(pid_t pid, unsigned ms, bool kill_after)
{
	uint64_t until = sb_now_ms() + ms;

	for (;;) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		if (sb_now_ms() >= until)
			break;
		sleep_ms(10);
	}
	if (!kill_after)
		return false;
	kill(pid, SIGKILL);
	return waitpid(pid, NULL, 0) == pid;
}

/* Is 'fd' a unix SOCK_SEQPACKET socket (what a spawner talks on)? */
static bool is_seqpacket(int fd)
{
	int type = 0, domain = 0;
	socklen_t l1 = sizeof(type), l2 = sizeof(domain);

	return !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) &&
	       !getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l2) &&
	       type == SOCK_SEQPACKET && domain == AF_UNIX;
}

/* Start a spawner on 'sock' (closed here). Its pid, or -1. */
static pid_t start_spawner(int exe_fd, int sock,
			   const struct sb_spawner_config *c)
{
	pid_t self = getpid();
	pid_t pid = sb_fork();

	if (pid < 0) {
		sup_log("cannot fork a spawner", errno);
		close(sock);
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != self)
			_exit(1);
		sb_exec_helper(exe_fd, NULL, SB_SPAWNER_FLAG, sock, c);
	}
	close(sock);
	return pid;
}

void sb_super_main(int sock, const struct sb_spawner_config *c)
{
	pid_t child = -1;
	uint64_t last_start = 0;
	int exe_fd;

	/* Die with the server; and if it is already gone, now. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NAME, "coderoom-sup", 0, 0, 0);
	if (getppid() == 1)
		_exit(1);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	{
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	/* Keep only stdio (for logs) and our socket. */
	if (sock > 3)
		syscall(SYS_close_range, 3U, (unsigned)sock - 1, 0);
	syscall(SYS_close_range, (unsigned)sock + 1, ~0U, 0);
	exe_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (exe_fd < 0) {
		sup_log("cannot open its own binary", errno);
		_exit(1);
	}

	for (;;) {
		struct pollfd p = {sock, POLLIN, 0};
		char byte;
		struct iovec iov = {&byte, 1};
		union {
			char buf[CMSG_SPACE(sizeof(int) * SB_MAX_FDS)];
			struct cmsghdr align;
		} u;
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = u.buf,
				    .msg_controllen = sizeof(u.buf)};
		int fds[SB_MAX_FDS];
		size_t nfds;
		ssize_t n;

		/* Reap a spawner that died on its own (kill -9, a crash):
		 * its pid must not linger as a zombie named like a live
		 * spawner, or the next one's janitor would spare its
		 * cgroups. Poll wakes up for that every half second. */
		pid_t gone;
		while ((gone = waitpid(-1, NULL, WNOHANG)) > 0)
			if (gone == child)
				child = -1;
		int pr = poll(&p, 1, 500);
		if (pr < 0 && errno != EINTR)
			_exit(1);
		if (pr <= 0)
			continue;
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* the server is gone or closing */
		nfds = sb_take_fds(&mh, fds, SB_MAX_FDS);
		if (n != 1 || byte != 'S' || nfds != 1 ||
		    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
		    !is_seqpacket(fds[0])) {
			for (size_t i = 0; i < nfds; i++)
				close(fds[i]);
			sup_log("malformed request dropped", 0);
			continue;
		}
		/* One spawner at a time: the old one goes first (it may be
		 * stuck, stopped, or already dead and unreaped). */
		if (child > 0) {
			kill(child, SIGKILL);
			if (!reap_within(child, SUP_REAP_MS, false))
				sup_log("the old spawner does not exit", 0);
			child = -1;
		}
		uint64_t now = sb_now_ms();
		if (last_start && now - last_start < SUP_MIN_GAP_MS)
			sleep_ms((unsigned)(SUP_MIN_GAP_MS - (now - last_start)));
		last_start = sb_now_ms();
		child = start_spawner(exe_fd, fds[0], c);
	}
	/* EOF: the server closed the sandbox after its spawner's socket, so
	 * the spawner is ending its runs and will exit; give it time. */
	if (child > 0)
		reap_within(child, SUP_DRAIN_MS, true);
	_exit(0);
}
