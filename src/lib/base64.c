/*
 * base64.c - Base64 on top of libcrypto's EVP_EncodeBlock/EVP_DecodeBlock.
 *
 * EVP_DecodeBlock takes whole 4-character groups only, with no white
 * space, and counts the padding as zero bytes of output; so white space is
 * dropped and missing padding restored here first, and the padding's bytes
 * are taken off its result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/base64.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' ||
	       c == '\v';
}

int base64_decode(const char *s, size_t len, bool url, char **out,
		  size_t *outlen)
{
	char *clean, *o;
	size_t n = 0, pad = 0;
	int r;

	*out = NULL;
	*outlen = 0;
	if (len > (size_t)1 << 30)
		return -EINVAL;
	clean = malloc(len + 4);
	if (!clean)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (is_space(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)	/* data after the padding */
			goto bad;
		if (url && c == '-')
			c = '+';
		else if (url && c == '_')
			c = '/';
		clean[n++] = c;
	}
	/* the padding completes the last group, or is absent */
	if (n % 4 == 1 || (pad && (n + pad) % 4) || pad > 2)
		goto bad;
	pad = (4 - n % 4) % 4;
	for (size_t i = 0; i < pad; i++)
		clean[n++] = '=';
	o = malloc(n / 4 * 3 + 1);
	if (!o) {
		free(clean);
		return -ENOMEM;
	}
	r = n ? EVP_DecodeBlock((unsigned char *)o, (unsigned char *)clean,
				(int)n) : 0;
	free(clean);
	if (r < 0 || (size_t)r < pad) {
		free(o);
		return -EINVAL;
	}
	*outlen = (size_t)r - pad;
	o[*outlen] = '\0';
	*out = o;
	return 0;
bad:
	free(clean);
	return -EINVAL;
}

char *base64_encode(const void *p, size_t len, bool lines)
{
	/* Ruby's encode64: 45 input bytes -> one 60-character line + "\n" */
	size_t groups = (len + 2) / 3, nlines = lines ? (len + 44) / 45 : 0;
	char *s = malloc(groups * 4 + nlines + 1);
	const unsigned char *in = p;
	size_t o = 0;

	if (!s)
		return NULL;
	if (len > (size_t)1 << 30) {
		free(s);
		return NULL;
	}
	if (!lines) {
		EVP_EncodeBlock((unsigned char *)s, in, (int)len);
		s[groups * 4] = '\0';
		return s;
	}
	for (size_t i = 0; i < len; i += 45) {
		size_t k = len - i < 45 ? len - i : 45;
		o += (size_t)EVP_EncodeBlock((unsigned char *)s + o, in + i,
					     (int)k);
		s[o++] = '\n';
	}
	s[o] = '\0';
	return s;
}
