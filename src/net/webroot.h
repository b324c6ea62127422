/*
 * webroot.h - the built IDE, held in memory and served from there.
 *
 * The web root is read once at start-up, before the server drops its
 * privileges (the checkout may sit in a directory the service user cannot
 * read), so serving never touches the disk. Files whose names carry a
 * content hash (esbuild's "app-3KX2QZ7A.js") are immutable and cached for a
 * year; everything else is revalidated (ETag).
 */
#ifndef CODEROOM_WEBROOT_H
#define CODEROOM_WEBROOT_H

#include <stdbool.h>
#include <stddef.h>

struct webfile {
	char *path;		/* URL path, "/index.html" */
	char *data;
	size_t len;
	const char *mime;	/* with charset for text */
	bool immutable;		/* hashed name: cache forever */
	char etag[24];		/* "\"<hex>\"" */
};

struct webroot {
	struct webfile *v;
	size_t n;
	size_t total;		/* bytes held */
};

/*
 * Loads every regular file under dir (symlinks are not followed), up to
 * max_total bytes. Returns 0 or -errno (-EFBIG past max_total).
 */
int webroot_load(struct webroot *w, const char *dir, size_t max_total);
void webroot_release(struct webroot *w);
/* The file for a URL path ("/" is "/index.html"), or NULL. */
const struct webfile *webroot_find(const struct webroot *w, const char *path);
/* MIME type by file name; "application/octet-stream" when unknown. */
const char *webroot_mime(const char *name);
/* True when a file name carries an esbuild-style content hash. */
bool webroot_is_hashed(const char *name);

#endif
