/*
 * cache.h - the compile cache: compiled artefacts by content hash.
 *
 * A key is the SHA-256 of everything that affects a compiler's output
 * (language id, toolchain version, compile command and flags, every source
 * file's name and bytes), so an entry is safe to share between users. The
 * value is the blob of collected files (sandbox_collect_parse()). Entries
 * live as files <key> under 'dir'; the total is kept under 'max_bytes' by
 * evicting the least recently used. Reads and writes are synchronous and
 * small (an artefact is 32 MiB at most, a few MiB usually).
 *
 * Entries are authenticated: a file is "crc1", the HMAC-SHA-256 of its key
 * and value under the server's secret, then the value. The secret is not
 * in the cache directory: cache_secret_load() reads it (making it the
 * first time) from a root-owned 0600 file, as root, before the server
 * drops its privileges. An entry whose MAC does not verify (rewritten by
 * any other process, even one of the service user, or signed with another
 * secret) is dropped and counts as a miss: the code is compiled again.
 */
#ifndef CODEROOM_CACHE_H
#define CODEROOM_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct cache_entry;

#define CACHE_SECRET_BYTES 32

struct cache {
	char *dir;			/* NULL: the cache is off */
	unsigned char secret[CACHE_SECRET_BYTES];	/* the HMAC key */
	uint64_t max_bytes;		/* bound on the sum of entry sizes */
	uint64_t used_bytes;
	uint64_t clock;			/* LRU clock */
	struct cache_entry *entries;	/* unordered list */
	size_t n;
	uint64_t hits, misses, evictions;
	uint64_t forged;		/* entries that failed authentication */
};

/*
 * The cache's secret from 'path', made (random) when the file is missing,
 * or is not a root-owned regular file of mode 0600 and the right size (it
 * is then replaced: entries signed with the old secret are compiled
 * again). Call as root, before the privilege drop. 0 or -errno.
 */
int cache_secret_load(const char *path, unsigned char out[CACHE_SECRET_BYTES]);

/* Opens (creating) 'dir' and indexes what is there; entries are signed
 * and checked with 'secret' (copied). 0 or -errno; on error the cache is
 * left off (every get misses, every put is dropped). */
int cache_open(struct cache *c, const char *dir, uint64_t max_bytes,
	       const unsigned char secret[CACHE_SECRET_BYTES]);
void cache_close(struct cache *c);
/* The entry for 'key' (64 hex digits) into 'out'. 0 or -ENOENT, -EBADMSG
 * (it failed authentication: dropped), -errno. */
int cache_get(struct cache *c, const char *key, struct buf *out);
/* Stores an entry (replacing one with the same key), evicting as needed.
 * An entry larger than max_bytes is not stored. 0 or -errno. */
int cache_put(struct cache *c, const char *key, const void *p, size_t n);
/* 64 hex digits. Pure, for tests. */
bool cache_key_ok(const char *key);

#endif
