/*
 * sb_uids.c - the host uids a server's runs use: a range of its own.
 *
 * Every run slot has a host uid (and the same gid); a process of that uid
 * outside the sandbox could read a live run's files, signal it and, the
 * program being dumpable after exec, trace it. So a server's range is:
 *
 *   - no host account's or group's id (/etc/passwd, /etc/group), and no
 *     subordinate range handed to a user for containers (/etc/subuid,
 *     /etc/subgid);
 *   - no other live coderoom's: each holds a lease, a file named
 *     "FIRST-LAST" in a host-wide directory (/run/coderoom-uids) with an
 *     exclusive flock(2) on it for as long as the server lives. A lease
 *     file whose lock can be taken belongs to a server that is gone and is
 *     removed. Choosing and creating happen under a lock on the directory
 *     itself, so two servers starting together cannot pick the same range.
 *
 * An explicitly configured range that breaks a rule is refused (the start
 * fails, with the reason); without one, the first free range from
 * SB_DEF_UID_BASE up is taken, so any number of servers start without
 * configuration. The parsers are pure (unit tested).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/sb_internal.h"

#define IDFILE_MAX (16u << 20) /* bytes read of one /etc file */
#define LEASES_MAX 4096	       /* live leases considered */

/* The range [first, last] as the files see it: inclusive. */
struct span {
	uint64_t first, last;
};

static bool overlaps(struct span a, struct span b)
{
	return a.first <= b.last && b.first <= a.last;
}

/* Parses an unsigned decimal field [p, e). */
static bool parse_num(const char *p, const char *e, uint64_t *out)
{
	uint64_t v = 0;

	if (p == e || e - p > 10)
		return false;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return true;
}

int sb_uids_conflict(const char *text, enum sb_idfile kind, uint64_t first,
		     uint64_t count, uint64_t *next, char *why, size_t whylen)
{
	struct span want = {first, first + count - 1};
	int found = 0;

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		const char *f[4];
		size_t nf = 0;
		uint64_t a, n = 1;

		if (!end)
			end = line + strlen(line);
		/* fields: name, then id (passwd, group: the third;
		 * subuid, subgid: the second, and a count) */
		f[nf++] = line;
		for (const char *p = line; p < end && nf < 4; p++)
			if (*p == ':')
				f[nf++] = p + 1;
		const char *name = f[0];
		size_t namelen = (size_t)((nf > 1 ? f[1] - 1 : end) - name);
		bool ok;
		if (kind == SB_IDFILE_SUBID)
			ok = nf >= 3 &&
			     parse_num(f[1], f[2] - 1, &a) &&
			     parse_num(f[2], nf > 3 ? f[3] - 1 : end, &n) &&
			     n > 0;
		else
			ok = nf >= 4 && parse_num(f[2], f[3] - 1, &a);
		if (ok && line[0] != '#' &&
		    overlaps(want, (struct span){a, a + n - 1})) {
			if (!found || a + n > *next)
				*next = a + n;
			if (!found && why) {
				if (kind == SB_IDFILE_SUBID)
					snprintf(why, whylen,
						 "subordinate ids %llu-%llu of "
						 "'%.*s'",
						 (unsigned long long)a,
						 (unsigned long long)(a + n - 1),
						 (int)(namelen > 64 ? 64 : namelen),
						 name);
				else
					snprintf(why, whylen, "%s %llu of '%.*s'",
						 kind == SB_IDFILE_PASSWD
						     ? "uid"
						     : "gid",
						 (unsigned long long)a,
						 (int)(namelen > 64 ? 64 : namelen),
						 name);
			}
			found = 1;
		}
		line = *end ? end + 1 : end;
	}
	return found;
}

bool sb_uids_parse_lease(const char *name, uint64_t *first, uint64_t *last)
{
	const char *dash = strchr(name, '-');

	return dash && parse_num(name, dash, first) &&
	       parse_num(dash + 1, dash + strlen(dash), last) &&
	       *first <= *last;
}

/* The whole of a small file, NUL-terminated, or NULL (absent: ""). */
static char *slurp(const char *path)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? strdup("") : NULL;
	if (fstat(fd, &st) || st.st_size < 0 ||
	    (uint64_t)st.st_size > IDFILE_MAX) {
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (buf)
		buf[got] = '\0';
	return buf;
}

static const struct {
	const char *path;
	enum sb_idfile kind;
} idfiles[] = {
    {"/etc/passwd", SB_IDFILE_PASSWD},
    {"/etc/group", SB_IDFILE_GROUP},
    {"/etc/subuid", SB_IDFILE_SUBID},
    {"/etc/subgid", SB_IDFILE_SUBID},
};
#define NIDFILES (sizeof(idfiles) / sizeof(idfiles[0]))

/*
 * The live leases in 'dfd' (whose lock we hold); stale ones are removed.
 * Returns how many were stored in 'live' (at most LEASES_MAX).
 */
static size_t live_leases(int dfd, struct span *live)
{
	DIR *d;
	struct dirent *de;
	size_t n = 0;
	int dup_fd = dup(dfd);

	if (dup_fd < 0 || !(d = fdopendir(dup_fd))) {
		if (dup_fd >= 0)
			close(dup_fd);
		return 0;
	}
	while ((de = readdir(d)) && n < LEASES_MAX) {
		struct span s;
		int fd;

		if (!sb_uids_parse_lease(de->d_name, &s.first, &s.last))
			continue;
		fd = openat(dfd, de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* its server is gone: the name is free again */
			unlinkat(dfd, de->d_name, 0);
		} else {
			live[n++] = s;
		}
		close(fd);
	}
	closedir(d);
	return n;
}

int sb_uids_reserve(struct sb_uid_lease *l, const char *dir, uid_t first,
		    unsigned count, char *why, size_t whylen)
{
	char *text[NIDFILES] = {0};
	struct span *live = NULL, want;
	size_t nlive;
	char name[48], reason[200];
	int dfd = -1, fd, e = 0;
	bool explicit = first != 0;
	uint64_t next;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (!count || (explicit && first < 1000) ||
	    (uint64_t)(first ? first : SB_DEF_UID_BASE) + count > 0xfffffffeull) {
		snprintf(why, whylen, "run uids %u and %u more: out of range",
			 (unsigned)first, count - 1);
		return -EINVAL;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		e = -errno;
		snprintf(why, whylen, "cannot create '%s': %s", dir,
			 strerror(errno));
		return e;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || flock(dfd, LOCK_EX)) {
		e = -errno;
		snprintf(why, whylen, "cannot lock '%s': %s", dir,
			 strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < NIDFILES; i++) {
		if (!(text[i] = slurp(idfiles[i].path))) {
			e = -EIO;
			snprintf(why, whylen, "cannot read '%s'",
				 idfiles[i].path);
			goto out;
		}
	}
	if (!(live = calloc(LEASES_MAX, sizeof(*live)))) {
		e = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	nlive = live_leases(dfd, live);

	/* The first candidate, then past each conflict until none is left
	 * (an explicit range gets one try). */
	want.first = explicit ? first : SB_DEF_UID_BASE;
	for (int round = 0;; round++) {
		bool clash = false;
		want.last = want.first + count - 1;
		next = want.first + 1;
		if (want.last >= 0xfffffffeull || round > 100000) {
			e = -ENOSPC;
			snprintf(why, whylen, "no free range of %u run uids",
				 count);
			goto out;
		}
		const struct span *lowest = NULL;
		for (size_t i = 0; i < nlive; i++) {
			if (!overlaps(want, live[i]))
				continue;
			clash = true;
			if (live[i].last + 1 > next)
				next = live[i].last + 1;
			if (!lowest || live[i].first < lowest->first)
				lowest = &live[i];
		}
		if (explicit && lowest) {
			e = -EADDRINUSE;
			snprintf(why, whylen,
				 "run uids %llu-%llu overlap %llu-%llu, in use "
				 "by another coderoom (its lock: %s/%llu-%llu)",
				 (unsigned long long)want.first,
				 (unsigned long long)want.last,
				 (unsigned long long)lowest->first,
				 (unsigned long long)lowest->last, dir,
				 (unsigned long long)lowest->first,
				 (unsigned long long)lowest->last);
			goto out;
		}
		for (size_t i = 0; i < NIDFILES; i++) {
			uint64_t after = 0;
			if (!sb_uids_conflict(text[i], idfiles[i].kind,
					      want.first, count, &after, reason,
					      sizeof(reason)))
				continue;
			if (explicit) {
				e = -EEXIST;
				snprintf(why, whylen,
					 "run uids %llu-%llu hold %s (%s): a "
					 "process of the host would share them",
					 (unsigned long long)want.first,
					 (unsigned long long)want.last, reason,
					 idfiles[i].path);
				goto out;
			}
			clash = true;
			if (after > next)
				next = after;
		}
		if (!clash)
			break;
		want.first = next;
	}

	snprintf(name, sizeof(name), "%llu-%llu",
		 (unsigned long long)want.first, (unsigned long long)want.last);
	fd = openat(dfd, name,
		    O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) {
		e = -errno;
		snprintf(why, whylen, "cannot take '%s/%s': %s", dir, name,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	dprintf(fd, "%d\n", (int)getpid());
	l->fd = fd;
	l->first = (uid_t)want.first;
	l->count = count;
	snprintf(l->path, sizeof(l->path), "%s/%s", dir, name);
out:
	for (size_t i = 0; i < NIDFILES; i++)
		free(text[i]);
	free(live);
	if (dfd >= 0)
		close(dfd); /* and with it the directory's lock */
	return e;
}

void sb_uids_release(struct sb_uid_lease *l)
{
	if (l->fd < 0)
		return;
	/* unlinked before the lock goes: nobody takes a half-gone lease */
	unlink(l->path);
	close(l->fd);
	l->fd = -1;
}
