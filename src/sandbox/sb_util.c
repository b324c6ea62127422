/*
 * sb_util.c - small file helpers of the sandbox (root side).
 *
 * Everything that walks a directory a sandboxed program could have written
 * to uses *at() calls relative to a directory fd opened with O_NOFOLLOW, so
 * a planted symlink never leads the root side out of the tree.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/sb_internal.h"

static int rm_dir_contents(int dfd, int depth)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 256)
		return -ELOOP;
	d = fdopendir(dfd);
	if (!d) {
		r = -errno;
		close(dfd);
		return r;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			r = -errno;
			continue;
		}
		int sub =
		    openat(dirfd(d), de->d_name,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			r = -errno;
			continue;
		}
		int rr = rm_dir_contents(sub, depth + 1);
		if (rr)
			r = rr;
		if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) &&
		    errno != ENOENT)
			r = -errno;
	}
	closedir(d);
	return r;
}

int sb_rm_rf_at(int dfd, const char *name)
{
	int fd, r;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = rm_dir_contents(fd, 0);
	if (unlinkat(dfd, name, AT_REMOVEDIR) && errno != ENOENT && !r)
		r = -errno;
	return r;
}

int sb_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sb_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0)
		return -errno;
	r = sb_write_all(fd, s, strlen(s));
	if (close(fd) && !r)
		r = -errno;
	return r;
}

ssize_t sb_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

uint64_t sb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

pid_t sb_fork(void)
{
	/* Not fork(): glibc runs the pthread_atfork handlers, and libuv's
	 * child handler closes the fd numbers its signal lock pipe had in
	 * the server, which are other descriptors here. */
	return (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

void sb_close_all_except(int *keep, size_t n)
{
	unsigned lo = 3;

	qsort(keep, n, sizeof(*keep), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < (int)lo)
			continue;
		if ((unsigned)keep[i] > lo)
			syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

size_t sb_take_fds(struct msghdr *mh, int *fds, size_t max)
{
	size_t n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

void sb_put_fds(struct msghdr *mh, void *ctl, const int *fds, size_t n)
{
	struct cmsghdr *c;

	if (n == 0) {
		mh->msg_control = NULL;
		mh->msg_controllen = 0;
		return;
	}
	memset(ctl, 0, CMSG_SPACE(sizeof(int) * n));
	mh->msg_control = ctl;
	mh->msg_controllen = CMSG_SPACE(sizeof(int) * n);
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
}

int sb_read_spec(int memfd, const struct sandbox_limits *def, bool head_only,
		 struct sb_spec *spec, const char **why)
{
	const int seals = F_SEAL_WRITE | F_SEAL_SHRINK;
	struct stat st;
	void *buf;
	int e;

	/* Read in place (below), so it must not change or shrink under us:
	 * the library seals it (sandbox.c); anything else is refused. */
	e = fcntl(memfd, F_GET_SEALS);
	if (e < 0 || (e & seals) != seals) {
		*why = "sandbox: the spec is not a sealed memfd";
		return -EPERM;
	}
	if (fstat(memfd, &st) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > SB_MAX_SPEC_BYTES) {
		*why = "sandbox: bad spec size";
		return -EINVAL;
	}
	/* Mapped, not copied: a spec carries the run's files (an artefact
	 * of tens of MiB) and its pages stay the sender's. A full decode
	 * copies the files once (into the spec); a head-only one touches
	 * the first pages only. */
	buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, memfd, 0);
	if (buf == MAP_FAILED) {
		*why = "sandbox: cannot map the spec";
		return -errno;
	}
	e = head_only ? sb_spec_decode_head(buf, (size_t)st.st_size, spec)
		      : sb_spec_decode(buf, (size_t)st.st_size, spec);
	munmap(buf, (size_t)st.st_size);
	if (e) {
		*why = "sandbox: malformed spawn request";
		return -EINVAL;
	}
	sb_limits_apply_defaults(&spec->limits, def);
	return 0;
}
