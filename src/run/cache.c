/*
 * cache.c - the compile cache.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "run/cache.h"

struct cache_entry {
	char key[65];
	uint64_t size;
	uint64_t used;		/* LRU clock at the last get/put */
};

bool cache_key_ok(const char *key)
{
	size_t i;

	for (i = 0; key[i]; i++)
		if (!((key[i] >= '0' && key[i] <= '9') ||
		      (key[i] >= 'a' && key[i] <= 'f')))
			return false;
	return i == 64;
}

static struct cache_entry *find(struct cache *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->entries[i].key, key))
			return &c->entries[i];
	return NULL;
}

static void drop(struct cache *c, struct cache_entry *e)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", c->dir, e->key);
	unlink(path);
	c->used_bytes -= e->size;
	*e = c->entries[--c->n];
}

static void evict(struct cache *c, uint64_t need)
{
	while (c->n && c->used_bytes + need > c->max_bytes) {
		struct cache_entry *old = &c->entries[0];
		for (size_t i = 1; i < c->n; i++)
			if (c->entries[i].used < old->used)
				old = &c->entries[i];
		drop(c, old);
		c->evictions++;
	}
}

int cache_open(struct cache *c, const char *dir, uint64_t max_bytes)
{
	struct dirent *d;
	DIR *dh;

	memset(c, 0, sizeof(*c));
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (!(dh = opendir(dir)))
		return -errno;
	c->dir = strdup(dir);
	c->max_bytes = max_bytes;
	while ((d = readdir(dh))) {
		struct stat st;
		struct cache_entry *v;

		if (fstatat(dirfd(dh), d->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (!cache_key_ok(d->d_name) || !S_ISREG(st.st_mode)) {
			if (S_ISREG(st.st_mode))	/* a crashed write */
				unlinkat(dirfd(dh), d->d_name, 0);
			continue;
		}
		v = realloc(c->entries, (c->n + 1) * sizeof(*v));
		if (!v)
			break;
		c->entries = v;
		memcpy(v[c->n].key, d->d_name, 65);	/* 64 digits + NUL */
		v[c->n].size = (uint64_t)st.st_size;
		/* older files first: the modification time orders them */
		v[c->n].used = (uint64_t)st.st_mtime;
		if (v[c->n].used > c->clock)
			c->clock = v[c->n].used;
		c->used_bytes += v[c->n].size;
		c->n++;
	}
	closedir(dh);
	evict(c, 0);
	log_info("cache: %zu entries, %llu KiB in '%s' (max %llu MiB)", c->n,
		 (unsigned long long)c->used_bytes / 1024, dir,
		 (unsigned long long)max_bytes >> 20);
	return 0;
}

void cache_close(struct cache *c)
{
	free(c->dir);
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

int cache_get(struct cache *c, const char *key, struct buf *out)
{
	struct cache_entry *e;
	char path[4096], tmp[65536];
	ssize_t n;
	int fd;

	if (!c->dir || !cache_key_ok(key) || !(e = find(c, key))) {
		c->misses++;
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/%s", c->dir, key);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;
		drop(c, e);
		c->misses++;
		return err;
	}
	buf_reset(out);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (buf_append(out, tmp, (size_t)n))
			break;
	close(fd);
	if (n != 0 || out->len != e->size) {
		drop(c, e);
		c->misses++;
		return -EIO;
	}
	e->used = ++c->clock;
	utimensat(AT_FDCWD, path, NULL, 0);
	c->hits++;
	return 0;
}

int cache_put(struct cache *c, const char *key, const void *p, size_t n)
{
	char path[4096], tmp[4200];
	struct cache_entry *e;
	int fd, err = 0;

	if (!c->dir || !cache_key_ok(key))
		return -EINVAL;
	if (n > c->max_bytes)
		return -E2BIG;
	if ((e = find(c, key)))
		drop(c, e);
	evict(c, n);
	snprintf(path, sizeof(path), "%s/%s", c->dir, key);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", c->dir, key);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, (const char *)p + off, n - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		log_warn("cache: cannot store '%s': %s", key, strerror(-err));
		return err;
	}
	struct cache_entry *v = realloc(c->entries, (c->n + 1) * sizeof(*v));
	if (!v) {
		unlink(path);
		return -ENOMEM;
	}
	c->entries = v;
	snprintf(v[c->n].key, sizeof(v[c->n].key), "%s", key);
	v[c->n].size = n;
	v[c->n].used = ++c->clock;
	c->used_bytes += n;
	c->n++;
	return 0;
}
