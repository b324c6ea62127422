/*
 * cache.h - the compile cache: compiled artefacts by content hash.
 *
 * A key is the SHA-256 of everything that affects a compiler's output
 * (language id, toolchain version, compile command and flags, every source
 * file's name and bytes), so an entry is safe to share between users. The
 * value is the blob of collected files (sandbox_collect_parse()). Entries
 * live as files <key> under 'dir'; the total is kept under 'max_bytes' by
 * evicting the least recently used. Reads and writes are synchronous and
 * small (an artefact is a few MiB at most).
 */
#ifndef CODEROOM_CACHE_H
#define CODEROOM_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct cache_entry;

struct cache {
	char *dir;			/* NULL: the cache is off */
	uint64_t max_bytes;		/* bound on the sum of entry sizes */
	uint64_t used_bytes;
	uint64_t clock;			/* LRU clock */
	struct cache_entry *entries;	/* unordered list */
	size_t n;
	uint64_t hits, misses, evictions;
};

/* Opens (creating) 'dir' and indexes what is there. 0 or -errno; on error
 * the cache is left off (every get misses, every put is dropped). */
int cache_open(struct cache *c, const char *dir, uint64_t max_bytes);
void cache_close(struct cache *c);
/* The entry for 'key' (64 hex digits) into 'out'. 0 or -ENOENT/-errno. */
int cache_get(struct cache *c, const char *key, struct buf *out);
/* Stores an entry (replacing one with the same key), evicting as needed.
 * An entry larger than max_bytes is not stored. 0 or -errno. */
int cache_put(struct cache *c, const char *key, const void *p, size_t n);
/* 64 hex digits. Pure, for tests. */
bool cache_key_ok(const char *key);

#endif
