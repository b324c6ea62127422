/*
 * sha256.h - SHA-256 and HMAC-SHA-256, from libcrypto (OpenSSL).
 *
 * A thin wrapper so the rest of coderoom keeps one small API: a digest or
 * a keyed MAC is started with sha256_init() or sha256_hmac_init(), fed
 * with sha256_update() / sha256_field(), and ended with sha256_final() or
 * sha256_hex(), which also free it. A struct that failed to start (ENOMEM)
 * takes updates and ends with an all-zero result; callers that care check
 * the init's return.
 */
#ifndef CODEROOM_SHA256_H
#define CODEROOM_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sha256 {
	void *md;	/* EVP_MD_CTX, for a digest */
	void *mac;	/* EVP_MAC_CTX, for an HMAC */
	bool failed;	/* init or an update failed: the result is zeros */
};

/* Starts a SHA-256 digest. 0 or -ENOMEM. */
int sha256_init(struct sha256 *s);
/* Starts an HMAC-SHA-256 with 'key'. 0 or -ENOMEM / -EINVAL. */
int sha256_hmac_init(struct sha256 *s, const void *key, size_t keylen);
void sha256_update(struct sha256 *s, const void *p, size_t n);
/* Writes 32 bytes of digest (or MAC) to 'out', frees 's'. */
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* Adds a length-prefixed field, so ("ab","c") and ("a","bc") differ. */
void sha256_field(struct sha256 *s, const void *p, size_t n);
/* The digest as 64 lower-case hex digits and a NUL; frees 's'. */
void sha256_hex(struct sha256 *s, char out[65]);
/* Whether two digests are equal, in time independent of their bytes. */
bool sha256_equal(const unsigned char a[32], const unsigned char b[32]);

#endif
