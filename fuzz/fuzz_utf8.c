/*
 * fuzz_utf8.c - utf8_decode() over random chunkings.
 *
 * Input: 4 bytes seeding the chunk sizes, then the byte stream. Checks:
 * the output is valid UTF-8, the same for every chunking (one-shot, byte by
 * byte, random), equal to an independent reference decoder, and at most 3
 * output bytes per input byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/utf8.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

/* The documented policy, written from code point ranges instead of
 * seq_len()'s byte table: a well-formed sequence is copied; otherwise one
 * U+FFFD per byte, except that a well-formed prefix cut by the end of the
 * stream becomes a single U+FFFD. */
static size_t ref_len(const unsigned char *s, size_t n, int *complete)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp, min;

	*complete = 1;
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0) {
		len = 2;
		cp = c & 0x1F;
		min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3;
		cp = c & 0x0F;
		min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (i >= n) {
			/* cut by the end: is what we have a possible prefix? */
			uint32_t lo = cp << (6 * (len - i));
			uint32_t hi = lo | ((1u << (6 * (len - i))) - 1);
			if (hi < min || lo > 0x10FFFF ||
			    (lo >= 0xD800 && hi <= 0xDFFF))
				return 0;
			*complete = 0;
			return i;
		}
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static void reference(const unsigned char *s, size_t n, struct buf *out)
{
	size_t i = 0;
	int complete;

	while (i < n) {
		size_t l = ref_len(s + i, n - i, &complete);
		if (l && complete) {
			buf_append(out, s + i, l);
			i += l;
		} else if (l) { /* incomplete tail: one U+FFFD */
			buf_append(out, "\xEF\xBF\xBD", 3);
			i = n;
		} else {
			buf_append(out, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
}

static uint32_t next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void decode_chunked(const unsigned char *p, size_t n, uint32_t seed,
			   int mode, struct buf *out)
{
	struct utf8_decoder d;
	size_t at = 0;

	seed = (seed * 2654435761u + (uint32_t)mode) | 1; /* never 0 */
	utf8_decoder_init(&d);
	while (at < n) {
		size_t k;
		if (mode == 0)
			k = n - at;
		else if (mode == 1)
			k = 1;
		else
			k = next(&seed) % 7; /* 0-byte chunks too */
		if (k > n - at)
			k = n - at;
		CHECK(utf8_decode(&d, (const char *)p + at, k, out) == 0);
		CHECK(d.ntail <= 3);
		at += k;
	}
	CHECK(utf8_finish(&d, out) == 0);
	CHECK(d.ntail == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed = 0x9E3779B9;
	struct buf one, b, r;

	if (size >= 4) {
		memcpy(&seed, data, 4);
		data += 4;
		size -= 4;
	}
	if (size > 1 << 16)
		return 0;
	buf_init(&one, 3 * size + 3);
	decode_chunked(data, size, seed, 0, &one);
	CHECK(utf8_valid_prefix(buf_str(&one), one.len) == one.len);
	CHECK(one.len <= 3 * size);
	/* valid input passes unchanged */
	if (utf8_valid_prefix((const char *)data, size) == size)
		CHECK(one.len == size && !memcmp(buf_str(&one), data, size));

	buf_init(&r, 3 * size + 3);
	reference(data, size, &r);
	CHECK(r.len == one.len && !memcmp(buf_str(&r), buf_str(&one), r.len));
	buf_release(&r);

	for (int mode = 1; mode <= 3; mode++) {
		buf_init(&b, 3 * size + 3);
		decode_chunked(data, size, seed, mode, &b);
		CHECK(b.len == one.len &&
		      !memcmp(buf_str(&b), buf_str(&one), b.len));
		buf_release(&b);
	}
	buf_release(&one);
	return 0;
}
