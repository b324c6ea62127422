/*
 * wire.h - the cluster's compact binary encoding: unsigned LEB128
 * varints, zigzag signed varints, length-prefixed bytes and strings.
 * Pure.
 *
 * A writer appends to a struct buf (which has its own maximum); the first
 * failure sticks in w->err and later writes do nothing, so a caller checks
 * once at the end. A reader never reads past its end: the first problem
 * (truncation, an overlong varint, a string that is not NUL-terminated or
 * has a NUL inside) sets r->bad, and every later read returns 0 / NULL.
 * Strings are written with their NUL so a reader hands out pointers into
 * the input that are C strings; the input must outlive them.
 */
#ifndef CODEROOM_WIRE_H
#define CODEROOM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct wire_w {
	struct buf *b;
	int err;		/* 0, or the first buf_append() error */
};

struct wire_r {
	const unsigned char *p;	/* next byte */
	const unsigned char *end;
	bool bad;		/* a read failed: the input is malformed */
};

void wire_w_init(struct wire_w *w, struct buf *b);
void wire_put_u8(struct wire_w *w, uint8_t v);
void wire_put_uv(struct wire_w *w, uint64_t v);
void wire_put_sv(struct wire_w *w, int64_t v);
/* Length, then the bytes. */
void wire_put_bytes(struct wire_w *w, const void *p, size_t n);
/* Length (with the NUL), the bytes, the NUL. NULL is written as "". */
void wire_put_str(struct wire_w *w, const char *s);
/* Raw bytes, no length. */
void wire_put_raw(struct wire_w *w, const void *p, size_t n);

void wire_r_init(struct wire_r *r, const void *p, size_t n);
uint8_t wire_get_u8(struct wire_r *r);
/* At most 10 bytes; a value above 2^64 - 1 is bad. */
uint64_t wire_get_uv(struct wire_r *r);
int64_t wire_get_sv(struct wire_r *r);
/* A varint no larger than max, else bad. */
uint64_t wire_get_uv_max(struct wire_r *r, uint64_t max);
/* Points into the input; *n its length. NULL (and *n 0) when bad. */
const char *wire_get_bytes(struct wire_r *r, size_t *n);
/* A NUL-terminated string without NUL inside, at most max bytes (the NUL
 * not counted). NULL when bad. */
const char *wire_get_str(struct wire_r *r, size_t max);
/* True when every byte was read and nothing was bad. */
bool wire_r_done(const struct wire_r *r);

#endif
