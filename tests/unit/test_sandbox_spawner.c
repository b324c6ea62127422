/*
 * test_sandbox_spawner.c - the spawner against a hostile peer: garbage
 * packets, wrong descriptor counts, bad specs. It must answer or drop
 * each, stay up, still run a good request afterwards, and exit on EOF.
 * Needs root; skipped otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/sb_internal.h"
#include "sandbox/sb_proto.h"

static int sock = -1;
static pid_t spawner = -1;

static void send_raw(const void *buf, size_t len, const int *fds, int nfds)
{
	struct iovec iov = {(void *)buf, len};
	union {
		char b[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	sb_put_fds(&mh, u.b, fds, nfds > 0 ? (size_t)nfds : 0);
	assert_true(sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0);
}

static void send_msg(uint16_t type, uint64_t id, int64_t arg, const int *fds,
		     int nfds)
{
	struct sb_msg m = {.magic = SB_MSG_MAGIC,
			   .type = type,
			   .nfds = (uint16_t)nfds,
			   .id = id,
			   .arg = arg};

	send_raw(&m, sizeof(m), fds, nfds);
}

/* Next packet from the spawner (fds closed), within 5 s; the usage
 * reports it sends on its own are checked and skipped. */
static int recv_one(struct sb_msg *m, void *body, size_t blen);
static int recv_msg(struct sb_msg *m, void *body, size_t blen)
{
	int e;

	while ((e = recv_one(m, body, blen)) == 0 && m->type == SB_MSG_USAGE)
		assert_int_equal(sb_msg_check(m, sizeof(*m), 0), 0);
	return e;
}

static int recv_one(struct sb_msg *m, void *body, size_t blen)
{
	char buf[8192];
	union {
		char b[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.b,
			    .msg_controllen = sizeof(u.b)};
	struct pollfd p = {sock, POLLIN, 0};
	ssize_t n;

	if (poll(&p, 1, 5000) <= 0)
		return -ETIMEDOUT;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -EPIPE;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
	     c = CMSG_NXTHDR(&mh, c)) {
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	}
	assert_true((size_t)n >= sizeof(*m));
	memcpy(m, buf, sizeof(*m));
	if (body && m->len <= blen)
		memcpy(body, buf + sizeof(*m), m->len);
	return 0;
}

/* A spec memfd as the library makes it: sealed against change. */
static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fcntl(fd, F_ADD_SEALS,
			       F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
				   F_SEAL_SEAL),
			 0);
	return fd;
}

/* Spawn /bin/true as run 'id' and expect a clean EXIT for it. */
static void good_run(uint64_t id)
{
	static const char *const argv[] = {"/bin/true", NULL};
	static const char *const envp[] = {NULL};
	struct sandbox_spec spec = {.argv = argv, .envp = envp};
	struct sb_wire_result w;
	struct sb_msg m;
	uint8_t *buf;
	size_t len;
	int fd;

	assert_int_equal(sb_spec_encode(&spec, &buf, &len), 0);
	fd = memfd_with(buf, len);
	free(buf);
	send_msg(SB_MSG_SPAWN, id, 0, &fd, 1);
	close(fd);
	for (;;) {
		assert_int_equal(recv_msg(&m, &w, sizeof(w)), 0);
		if (m.type == SB_MSG_EXIT && m.id == id)
			break;
	}
	assert_int_equal(w.error, 0);
	assert_int_equal(w.status, 0);
}

static struct sb_uid_lease lease;

static int setup(void **state)
{
	struct sb_spawner_config c = {.slots = 4};
	struct sb_msg m;
	char why[256];
	int sv[2];

	/* uids of our own, as a server holds them */
	assert_int_equal(sb_uids_reserve(&lease, SB_UID_LOCK_DIR, 0, 4, why,
					 sizeof(why)),
			 0);
	c.uid_base = lease.first;

	snprintf(c.state_dir, sizeof(c.state_dir), "/run/coderoom-test-sp");
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	spawner = sb_fork();
	assert_true(spawner >= 0);
	if (spawner == 0) {
		close(sv[0]);
		sb_spawner_main(sv[1], &c);
	}
	close(sv[1]);
	sock = sv[0];
	assert_int_equal(recv_msg(&m, NULL, 0), 0);
	assert_int_equal(m.type, SB_MSG_HELLO);
	return 0;
}

static void test_garbage_then_good(void **state)
{
	static const char junk[] = "definitely not a message";
	struct sb_msg m = {.magic = SB_MSG_MAGIC, .type = SB_MSG_KILL};
	struct sb_msg back;
	int fds[3], p[2];

	send_raw(junk, sizeof(junk), NULL, 0);
	send_raw(&m, 3, NULL, 0); /* short */
	m.magic = 1;
	send_raw(&m, sizeof(m), NULL, 0); /* bad magic */
	m.magic = SB_MSG_MAGIC;
	m.type = 999;
	send_raw(&m, sizeof(m), NULL, 0); /* bad type */
	m.type = SB_MSG_EXIT;
	send_raw(&m, sizeof(m), NULL, 0); /* wrong direction */
	m.type = SB_MSG_KILL;
	m.len = 100;
	send_raw(&m, sizeof(m), NULL, 0); /* len lies */
	assert_int_equal(pipe(p), 0);
	fds[0] = p[0];
	fds[1] = p[1];
	fds[2] = p[0];
	send_msg(SB_MSG_KILL, 5, 0, fds, 3);	  /* fds on a KILL */
	send_msg(SB_MSG_SPAWN, 6, 0, NULL, 0);	  /* SPAWN without fd */
	send_msg(SB_MSG_SIGNAL, 7, 0, NULL, 0);	  /* signal 0 */
	send_msg(SB_MSG_KILL, 12345, 0, NULL, 0); /* unknown run */
	send_msg(SB_MSG_SIGNAL, 12345, 9, NULL, 0);

	/* SPAWN with a pipe instead of a memfd: refused with an EXIT */
	send_msg(SB_MSG_SPAWN, 8, 0, &p[0], 1);
	assert_int_equal(recv_msg(&back, NULL, 0), 0);
	assert_int_equal(back.type, SB_MSG_EXIT);
	assert_int_equal(back.id, 8);
	close(p[0]);
	close(p[1]);

	/* SPAWN with garbage in the memfd */
	int fd = memfd_with(junk, sizeof(junk));
	struct sb_wire_result w;
	send_msg(SB_MSG_SPAWN, 9, 0, &fd, 1);
	close(fd);
	assert_int_equal(recv_msg(&back, &w, sizeof(w)), 0);
	assert_int_equal(back.type, SB_MSG_EXIT);
	assert_int_equal(back.id, 9);
	assert_int_equal(w.error, -EINVAL);

	/* SPAWN with a good spec in a memfd that is not sealed (its sender
	 * could change it while the spawner reads it): refused */
	{
		static const char *const argv[] = {"/bin/true", NULL};
		static const char *const envp[] = {NULL};
		struct sandbox_spec spec = {.argv = argv, .envp = envp};
		uint8_t *buf;
		size_t len;

		assert_int_equal(sb_spec_encode(&spec, &buf, &len), 0);
		fd = memfd_create("t", MFD_CLOEXEC);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, buf, len), (ssize_t)len);
		free(buf);
		send_msg(SB_MSG_SPAWN, 11, 0, &fd, 1);
		close(fd);
		assert_int_equal(recv_msg(&back, &w, sizeof(w)), 0);
		assert_int_equal(back.type, SB_MSG_EXIT);
		assert_int_equal(back.id, 11);
		assert_int_equal(w.error, -EPERM);
	}

	/* a PROBE of an unknown run is answered "no" */
	send_msg(SB_MSG_PROBE, 77, 0, NULL, 0);
	assert_int_equal(recv_msg(&back, NULL, 0), 0);
	assert_int_equal(back.type, SB_MSG_PROBED);
	assert_int_equal(back.arg, 0);

	/* still alive and working */
	good_run(10);
	assert_int_equal(waitpid(spawner, NULL, WNOHANG), 0);
}

static void test_eof_ends_spawner(void **state)
{
	static const char *const argv[] = {"/bin/sleep", "100", NULL};
	static const char *const envp[] = {NULL};
	struct sandbox_spec spec = {.argv = argv, .envp = envp};
	struct sb_msg m;
	uint8_t *buf;
	size_t len;
	int fd, st;

	assert_int_equal(sb_spec_encode(&spec, &buf, &len), 0);
	fd = memfd_with(buf, len);
	free(buf);
	send_msg(SB_MSG_SPAWN, 20, 0, &fd, 1);
	close(fd);
	assert_int_equal(recv_msg(&m, NULL, 0), 0);
	assert_int_equal(m.type, SB_MSG_SPAWNED);
	pid_t prog = (pid_t)m.arg;
	assert_true(prog > 0);
	assert_int_equal(kill(prog, 0), 0);

	shutdown(sock, SHUT_WR); /* the server is gone */
	assert_int_equal(recv_msg(&m, NULL, 0), 0);
	assert_int_equal(m.type, SB_MSG_EXIT);
	for (int i = 0; i < 300 && waitpid(spawner, &st, WNOHANG) == 0; i++)
		usleep(10000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	spawner = -1;
	assert_int_equal(kill(prog, 0), -1); /* the run died with it */
}

static int teardown(void **state)
{
	if (sock >= 0)
		close(sock);
	if (spawner > 0) {
		kill(spawner, SIGKILL);
		waitpid(spawner, NULL, 0);
	}
	sb_uids_release(&lease);
	return 0;
}

/* How long a run may go unchecked: never long enough to pass its CPU
 * limit unseen, never shorter than a tick, never longer than a second. */
static void test_check_gap(void **state)
{
	(void)state;
	/* an idle session: 30 ms of 60 s used, two CPUs */
	assert_int_equal(sb_check_gap_ms(60000, 30, 2), 1000);
	/* 700 ms left on two CPUs: it cannot use them up in under 350 ms */
	assert_int_equal(sb_check_gap_ms(1000, 300, 2), 350);
	assert_int_equal(sb_check_gap_ms(1000, 300, 1), 700);
	/* almost there: one tick */
	assert_int_equal(sb_check_gap_ms(1000, 990, 2), 50);
	assert_int_equal(sb_check_gap_ms(1000, 1000, 2), 0);
	assert_int_equal(sb_check_gap_ms(1000, 5000, 2), 0);
	/* 0 CPUs (unknown) counts as one */
	assert_int_equal(sb_check_gap_ms(1000, 800, 0), 200);
	/* many CPUs: a tick at least */
	assert_int_equal(sb_check_gap_ms(1000, 0, 64), 50);
}

/* A child of the spawner keeps only the fds it names, whatever their
 * order, and stdio; nothing above them either (a high fd number). */
static void test_close_all_except(void **state)
{
	(void)state;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int keep[2] = {20, 7};
		int want[] = {0, 1, 2, 7, 20}, gone[] = {3, 10, 19, 21, 1500};

		for (size_t i = 0; i < 5; i++)
			if (gone[i] > 2 && dup2(0, gone[i]) < 0)
				_exit(100);
		if (dup2(0, 7) < 0 || dup2(0, 20) < 0)
			_exit(100);
		sb_close_all_except(keep, 2);
		for (size_t i = 0; i < 5; i++) {
			if (fcntl(want[i], F_GETFD) < 0)
				_exit(10 + (int)i); /* closed, but kept */
			if (fcntl(gone[i], F_GETFD) >= 0)
				_exit(20 + (int)i); /* open, but not kept */
		}
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
	    cmocka_unit_test(test_check_gap),
	    cmocka_unit_test(test_close_all_except),
	};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_garbage_then_good),
	    cmocka_unit_test(test_eof_ends_spawner),
	};
	int rc = cmocka_run_group_tests_name("sandbox_spawner_pure", pure,
					     NULL, NULL);

	if (geteuid() != 0) {
		printf("# skipped: test_sandbox_spawner needs root\n");
		return rc;
	}
	signal(SIGPIPE, SIG_IGN);
	return rc | cmocka_run_group_tests_name("sandbox_spawner", tests, setup,
						teardown);
}
