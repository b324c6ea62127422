/*
 * fuzz_httpc.c - what the outbound HTTP client reads from the network
 * (httpc_parse.h): response heads, and the URLs an operator gives.
 *
 * Input: the bytes of a response head (or of a URL). Checks: the head
 * parser never reads past n and decides the same on every prefix that
 * holds the blank line (the answer does not depend on how the bytes
 * arrived), its numbers are in range; a URL that parses has a host, a
 * path from '/', an authority, and no byte that could split a request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net/httpc_parse.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

static void url(const uint8_t *data, size_t size)
{
	char s[2048];
	struct httpc_url u;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (httpc_url_parse(s, &u))
		return;
	CHECK(u.host[0] && u.port > 0);
	CHECK(u.path[0] == '/');
	CHECK(u.authority[0]);
	for (const char *p = u.path; *p; p++)
		CHECK((unsigned char)*p > ' ' && *p != 0x7f && *p != '#');
	for (const char *p = u.authority; *p; p++)
		CHECK((unsigned char)*p > ' ' && *p != 0x7f && *p != '@');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpc_head h, h2;
	long r, r2;
	char *copy;

	if (size > HTTPC_HEAD_MAX + 1024)
		return 0;
	url(data, size);
	/* an exact-size copy: ASan sees any read past the end */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	r = httpc_head_parse(copy, size, &h);
	CHECK(r == 0 || r == -EBADMSG || r == -E2BIG ||
	      (r > 0 && (size_t)r <= size));
	if (r > 0) {
		CHECK(h.status >= 100 && h.status <= 599);
		CHECK(!h.chunked || h.content_length == -1);
		CHECK(h.content_length >= -1);
		CHECK(h.retry_after >= -1);
		CHECK(strlen(h.content_type) < sizeof(h.content_type));
		/* the same head however much of the body came with it */
		r2 = httpc_head_parse(copy, (size_t)r, &h2);
		CHECK(r2 == r && h2.status == h.status &&
		      h2.content_length == h.content_length &&
		      h2.chunked == h.chunked);
	} else if (r == 0) {
		/* incomplete: no shorter prefix is complete either */
		for (size_t k = size / 2; k < size; k += 1 + size / 8)
			CHECK(httpc_head_parse(copy, k, &h2) == 0 ||
			      httpc_head_parse(copy, k, &h2) == -EBADMSG);
	}
	free(copy);
	return 0;
}
