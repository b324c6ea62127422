/*
 * cache.c - the compile cache.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/sha256.h"
#include "run/cache.h"

/* An entry file: magic, MAC, then the value. */
#define MAGIC "crc1"
#define HDR (4 + 32)

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

/* The MAC of an entry: its key and its value, under the secret. */
static void entry_mac(const struct cache *c, const char *key, const void *p,
		      size_t n, unsigned char out[32])
{
	struct sha256 h;

	sha256_hmac_init(&h, c->secret, sizeof(c->secret));
	sha256_field(&h, "coderoom-cache/1", 16);
	sha256_field(&h, key, 64);
	sha256_field(&h, p, n);
	sha256_final(&h, out);
}

int cache_secret_load(const char *path, unsigned char out[CACHE_SECRET_BYTES])
{
	struct stat st;
	ssize_t n;
	int fd, e;

	if (!path)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == 0 && (st.st_mode & 07777) == 0600 &&
	    st.st_size == CACHE_SECRET_BYTES &&
	    read(fd, out, CACHE_SECRET_BYTES) == CACHE_SECRET_BYTES) {
		close(fd);
		return 0;
	}
	if (fd >= 0) {
		close(fd);
		log_warn("cache: the secret '%s' is not root's alone (or is "
			 "damaged): a new one; cached entries are compiled "
			 "again", path);
	}
	/* missing or untrusted: a new one in its place */
	if (unlink(path) && errno != ENOENT)
		return -errno;
	for (size_t got = 0; got < CACHE_SECRET_BYTES; got += (size_t)n) {
		n = getrandom(out + got, CACHE_SECRET_BYTES - got, 0);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			return -EIO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	e = write(fd, out, CACHE_SECRET_BYTES) == CACHE_SECRET_BYTES &&
		    fchmod(fd, 0600) == 0 ? 0 : -EIO;
	if (close(fd) && !e)
		e = -errno;
	if (e)
		unlink(path);
	return e;
}

int cache_open(struct cache *c, const char *dir, uint64_t max_bytes,
	       const unsigned char secret[CACHE_SECRET_BYTES])
{
	struct dirent *d;
	DIR *dh;

	memset(c, 0, sizeof(*c));
	memcpy(c->secret, secret, sizeof(c->secret));
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
	explicit_bzero(c->secret, sizeof(c->secret));
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
	unsigned char hdr[HDR], mac[32];
	size_t got = 0;
	while (got < HDR && (n = read(fd, hdr + got, HDR - got)) > 0)
		got += (size_t)n;
	buf_reset(out);
	while (got == HDR && (n = read(fd, tmp, sizeof(tmp))) > 0)
		if (buf_append(out, tmp, (size_t)n))
			break;
	close(fd);
	if (got != HDR || n != 0 || out->len + HDR != e->size) {
		drop(c, e);
		c->misses++;
		buf_reset(out);
		return -EIO;
	}
	entry_mac(c, key, out->data, out->len, mac);
	if (memcmp(hdr, MAGIC, 4) || !sha256_equal(hdr + 4, mac)) {
		log_warn("cache: entry %.12s… fails authentication (written by "
			 "someone else, or with another secret): dropped, "
			 "compiled again", key);
		drop(c, e);
		c->misses++;
		c->forged++;
		buf_reset(out);
		return -EBADMSG;
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

	unsigned char hdr[HDR];

	if (!c->dir || !cache_key_ok(key))
		return -EINVAL;
	if (n + HDR > c->max_bytes)
		return -E2BIG;
	memcpy(hdr, MAGIC, 4);
	entry_mac(c, key, p, n, hdr + 4);
	if ((e = find(c, key)))
		drop(c, e);
	evict(c, n + HDR);
	snprintf(path, sizeof(path), "%s/%s", c->dir, key);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", c->dir, key);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < HDR + n;) {
		ssize_t w = off < HDR ? write(fd, hdr + off, HDR - off)
				      : write(fd, (const char *)p + off - HDR,
					      HDR + n - off);
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
	v[c->n].size = n + HDR;
	v[c->n].used = ++c->clock;
	c->used_bytes += n + HDR;
	c->n++;
	return 0;
}
