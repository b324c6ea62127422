/*
 * utf8.h - turn a byte stream into valid UTF-8, chunk by chunk.
 *
 * Program output is bytes; JSON strings must be UTF-8. A multi-byte
 * character may be split across two reads, so a decoder carries an
 * incomplete tail (at most 3 bytes) over to the next chunk. Invalid bytes
 * become U+FFFD, one per maximal invalid subsequence start byte.
 */
#ifndef CODEROOM_UTF8_H
#define CODEROOM_UTF8_H

#include <stddef.h>

#include "lib/buf.h"

struct utf8_decoder {
	unsigned char tail[4];	/* incomplete sequence from the last chunk */
	size_t ntail;		/* bytes in tail, 0..3 */
};

void utf8_decoder_init(struct utf8_decoder *d);
/*
 * Appends the valid UTF-8 form of in[0..n) to out, keeping an incomplete
 * trailing sequence for the next call. Returns 0 or buf_append()'s error.
 */
int utf8_decode(struct utf8_decoder *d, const char *in, size_t n,
		struct buf *out);
/* End of stream: an incomplete tail becomes U+FFFD. */
int utf8_finish(struct utf8_decoder *d, struct buf *out);
/* Length of the longest prefix of s[0..n) that is valid UTF-8. */
size_t utf8_valid_prefix(const char *s, size_t n);

#endif
