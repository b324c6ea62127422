/*
 * buf.h - growable byte buffer with a hard cap.
 *
 * A buf never grows past 'max': buf_append() returns -ENOBUFS instead and
 * leaves the buffer unchanged. The data is always NUL-terminated (the NUL
 * is not counted in len), so text can be used as a C string.
 */
#ifndef CODEROOM_BUF_H
#define CODEROOM_BUF_H

#include <stddef.h>

struct buf {
	char *data;	/* may contain NULs; NULL until the first append */
	size_t len;	/* bytes in use */
	size_t cap;	/* bytes allocated */
	size_t max;	/* growth limit, set by buf_init() */
};

void buf_init(struct buf *b, size_t max);
/* Frees the memory; the buf is empty (and reusable) afterwards. */
void buf_release(struct buf *b);
/* Keeps the memory, drops the content. */
void buf_reset(struct buf *b);
/* Returns 0, -ENOBUFS (would pass max) or -ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Appends as much of p as fits below max; returns the bytes appended. */
size_t buf_append_some(struct buf *b, const void *p, size_t n);
/* Drops the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Keeps the last line of a stream: appends p (n bytes) to b after
 * dropping b's content if p holds a newline, so that b ends as the text
 * after the last newline seen (a program's prompt), at most its max
 * bytes of it (the newest). */
void buf_track_line(struct buf *b, const char *p, size_t n);
/* The content, "" when empty. */
const char *buf_str(const struct buf *b);

#endif
