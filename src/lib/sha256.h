/*
 * sha256.h - SHA-256 (FIPS 180-4), for content-addressed cache keys.
 */
#ifndef CODEROOM_SHA256_H
#define CODEROOM_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];		/* chaining state */
	uint64_t len;		/* bytes hashed so far */
	unsigned char blk[64];	/* a partial block */
	size_t n;		/* bytes in blk */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
/* Writes 32 bytes of digest to 'out'. */
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* Adds a length-prefixed field, so ("ab","c") and ("a","bc") differ. */
void sha256_field(struct sha256 *s, const void *p, size_t n);
/* The digest as 64 lower-case hex digits and a NUL. */
void sha256_hex(struct sha256 *s, char out[65]);

#endif
