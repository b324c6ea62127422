/*
 * base64.h - Base64 (RFC 4648) from libcrypto, with the two conventions the
 * APIs need.
 *
 * Decoding is lenient the way clients expect: ASCII white space anywhere
 * is skipped (Ruby's encode64 wraps lines, as Judge0 sends them), the
 * padding may be left out, and with 'url' the URL alphabet ('-', '_') is
 * accepted too. Anything else, a lone trailing character or data after the
 * padding is -EINVAL. Encoding is either one line (no white space) or
 * Ruby's Base64.encode64 layout (60-character lines, each ending in "\n"),
 * which Judge0 answers with. Both allocate; the caller frees.
 */
#ifndef CODEROOM_BASE64_H
#define CODEROOM_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes s[0..len) into *out (malloc'd, NUL-terminated, *outlen bytes
 * before the NUL). 0, -EINVAL or -ENOMEM. */
int base64_decode(const char *s, size_t len, bool url, char **out,
		  size_t *outlen);
/* Encodes p[0..len) into a new NUL-terminated string, NULL on ENOMEM.
 * 'lines': Ruby's encode64 layout, else one line. */
char *base64_encode(const void *p, size_t len, bool lines);

#endif
