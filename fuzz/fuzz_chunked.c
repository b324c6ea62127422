/*
 * fuzz_chunked.c - the chunked transfer coding decoder (src/net/chunked.c)
 * on arbitrary bytes, fed whole and then one byte at a time: both ways
 * agree on the outcome, the bytes used and the body; the body never
 * passes the cap.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "net/chunked.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

#define CAP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chunked a, b;
	struct buf ba, bb;
	long ra, rb = 0;
	size_t used = 0;

	buf_init(&ba, CAP);
	buf_init(&bb, CAP);
	chunked_init(&a);
	chunked_init(&b);
	ra = chunked_feed(&a, (const char *)data, size, &ba);
	for (size_t i = 0; i < size && !b.done; i++) {
		rb = chunked_feed(&b, (const char *)data + i, 1, &bb);
		if (rb < 0)
			break;
		used += (size_t)rb;
	}
	CHECK(ba.len <= CAP && bb.len <= CAP);
	if (ra >= 0) {
		CHECK(rb >= 0);
		CHECK((size_t)ra == used);
		CHECK(a.done == b.done);
		CHECK(ba.len == bb.len &&
		      (!ba.len || !memcmp(ba.data, bb.data, ba.len)));
		CHECK(a.done || (size_t)ra == size);
	} else {
		CHECK(ra == -EINVAL || ra == -ENOBUFS);
		CHECK(rb == ra);
	}
	buf_release(&ba);
	buf_release(&bb);
	return 0;
}
