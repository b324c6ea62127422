/*
 * chunked.h - HTTP/1.1 chunked transfer coding of a request body, decoded
 * (RFC 9112 7.1); pure, so tests and a fuzzer drive it.
 *
 * lws 4.1 reads a POST without a Content-Length as a body of unknown
 * length and hands its raw bytes, chunk framing and all, to HTTP_BODY;
 * http.c feeds them here. Chunk extensions and trailer fields are read
 * and dropped. The decoded bytes go to 'out', whose maximum is the body
 * cap: over it, -ENOBUFS.
 */
#ifndef CODEROOM_CHUNKED_H
#define CODEROOM_CHUNKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct chunked {
	int state;
	uint64_t left;		/* data bytes left in this chunk */
	unsigned digits;	/* of the size line */
	bool done;		/* the last chunk and the trailers are in */
};

void chunked_init(struct chunked *d);
/*
 * Decodes up to n bytes. Returns how many were used (fewer than n only
 * once done: the rest belongs to the next request), or -EINVAL (bad
 * framing), -ENOBUFS (the body is larger than out's maximum).
 */
long chunked_feed(struct chunked *d, const char *p, size_t n,
		  struct buf *out);

#endif
