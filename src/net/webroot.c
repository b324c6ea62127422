/*
 * webroot.c - the built IDE, held in memory.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/webroot.h"

static const struct { const char *ext, *mime; } mimes[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".map", "application/json" },
	{ ".webmanifest", "application/manifest+json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".jpg", "image/jpeg" },
	{ ".webp", "image/webp" },
	{ ".wasm", "application/wasm" },
	{ ".woff2", "font/woff2" },
	{ ".woff", "font/woff" },
	{ ".ttf", "font/ttf" },
	{ ".txt", "text/plain; charset=utf-8" },
};

const char *webroot_mime(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot)
		for (size_t i = 0; i < sizeof(mimes) / sizeof(mimes[0]); i++)
			if (strcasecmp(dot, mimes[i].ext) == 0)
				return mimes[i].mime;
	return "application/octet-stream";
}

bool webroot_is_hashed(const char *name)
{
	const char *base = strrchr(name, '/');
	const char *dash, *dot;

	base = base ? base + 1 : name;
	dash = strrchr(base, '-');
	if (!dash)
		return false;
	dot = strchr(dash, '.');
	if (!dot || dot - dash - 1 != 8)	/* esbuild: 8 chars, A-Z 0-9 */
		return false;
	for (const char *p = dash + 1; p < dot; p++)
		if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p))
			return false;
	return true;
}

static int add_file(struct webroot *w, int dirfd, const char *name,
		    const char *urlpath, size_t max_total)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	struct webfile *f, *v;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if ((size_t)st.st_size > max_total - w->total) {
		close(fd);
		return -EFBIG;
	}
	v = realloc(w->v, (w->n + 1) * sizeof(*v));
	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	w->v = v;
	f = &w->v[w->n];
	memset(f, 0, sizeof(*f));
	f->data = malloc((size_t)st.st_size + 1);
	f->path = strdup(urlpath);
	if (!f->data || !f->path) {
		err = -ENOMEM;
		goto out_free;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, f->data + got, (size_t)st.st_size - got);
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out_free;
		}
		got += (size_t)n;
	}
	f->len = got;
	f->mime = webroot_mime(name);
	f->immutable = webroot_is_hashed(name);
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */
	for (size_t i = 0; i < f->len; i++)
		h = (h ^ (unsigned char)f->data[i]) * 1099511628211ull;
	snprintf(f->etag, sizeof(f->etag), "\"%016llx\"", (unsigned long long)h);
	w->total += f->len;
	w->n++;
	close(fd);
	return 0;

out_free:
	free(f->data);
	free(f->path);
	close(fd);
	return err;
}

static int walk(struct webroot *w, int dirfd, const char *prefix, int depth,
		size_t max_total)
{
	DIR *d;
	struct dirent *e;
	int err = 0;

	if (depth > 8) {
		close(dirfd);
		return 0;
	}
	d = fdopendir(dirfd);
	if (!d) {
		err = -errno;
		close(dirfd);
		return err;
	}
	while (!err && (e = readdir(d))) {
		char url[1024];
		if (e->d_name[0] == '.')
			continue;
		snprintf(url, sizeof(url), "%s/%s", prefix, e->d_name);
		if (e->d_type == DT_DIR) {
			int sub = openat(dirfd, e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC);
			if (sub >= 0)
				err = walk(w, sub, url, depth + 1, max_total);
		} else if (e->d_type == DT_REG || e->d_type == DT_UNKNOWN) {
			err = add_file(w, dirfd, e->d_name, url, max_total);
		}
	}
	closedir(d);
	return err;
}

int webroot_load(struct webroot *w, const char *dir, size_t max_total)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err;

	memset(w, 0, sizeof(*w));
	if (fd < 0)
		return -errno;
	err = walk(w, fd, "", 0, max_total);
	if (err)
		webroot_release(w);
	return err;
}

void webroot_release(struct webroot *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].path);
		free(w->v[i].data);
	}
	free(w->v);
	memset(w, 0, sizeof(*w));
}

const struct webfile *webroot_find(const struct webroot *w, const char *path)
{
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->v[i].path, path) == 0)
			return &w->v[i];
	return NULL;
}
