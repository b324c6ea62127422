/*
 * utf8.c - turn a byte stream into valid UTF-8, chunk by chunk.
 */
#include <string.h>

#include "lib/utf8.h"

static const char replacement[] = "\xEF\xBF\xBD";

void utf8_decoder_init(struct utf8_decoder *d)
{
	d->ntail = 0;
}

/*
 * Length of the sequence starting at s (n bytes available):
 * > 0 valid sequence of that length, 0 incomplete (needs more bytes),
 * < 0 invalid start or continuation (skip one byte).
 */
static int seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	int len;
	unsigned char lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;	/* no overlongs */
		if (c == 0xED)
			hi = 0x9F;	/* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;	/* <= U+10FFFF */
	} else
		return -1;
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return 0;
		unsigned char min = i == 1 ? lo : 0x80;
		unsigned char max = i == 1 ? hi : 0xBF;
		if (s[i] < min || s[i] > max)
			return -1;
	}
	return len;
}

size_t utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		int l = seq_len(p + i, n - i);
		if (l <= 0)
			break;
		i += (size_t)l;
	}
	return i;
}

/* Decodes p[0..n); an incomplete sequence at the very end is returned in
 * *rest (its length), not emitted. */
static int decode(const unsigned char *p, size_t n, struct buf *out,
		  size_t *rest)
{
	size_t i = 0, run = 0;
	int r;

	*rest = 0;
	while (i < n) {
		int l = seq_len(p + i, n - i);
		if (l > 0) {
			i += (size_t)l;
			continue;
		}
		r = buf_append(out, p + run, i - run);
		if (r)
			return r;
		if (l == 0) {	/* incomplete at the end */
			*rest = n - i;
			return 0;
		}
		r = buf_append(out, replacement, 3);
		if (r)
			return r;
		i++;
		run = i;
	}
	return buf_append(out, p + run, i - run);
}

int utf8_decode(struct utf8_decoder *d, const char *in, size_t n,
		struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t rest;
	int r;

	/* Complete the carried sequence first, a byte at a time. */
	while (d->ntail && n) {
		d->tail[d->ntail++] = *p++;
		n--;
		int l = seq_len(d->tail, d->ntail);
		if (l == 0 && d->ntail < 4)
			continue;
		r = decode(d->tail, d->ntail, out, &rest);
		if (r)
			return r;
		/* decode() emitted or replaced everything but a new tail */
		memmove(d->tail, d->tail + d->ntail - rest, rest);
		d->ntail = rest;
	}
	if (n == 0)
		return 0;
	r = decode(p, n, out, &rest);
	if (r)
		return r;
	memcpy(d->tail, p + n - rest, rest);
	d->ntail = rest;
	return 0;
}

int utf8_finish(struct utf8_decoder *d, struct buf *out)
{
	if (d->ntail == 0)
		return 0;
	d->ntail = 0;
	return buf_append(out, replacement, 3);
}
