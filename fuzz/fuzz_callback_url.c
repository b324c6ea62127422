/*
 * fuzz_callback_url.c - the callback URL parser and policy (src/net/
 * callback.c) on arbitrary bytes: a URL that parses has a host without
 * white space or '@', a port, and a path that starts with '/' and cannot
 * split an HTTP request line; the policy allows exactly the listed host;
 * Base64 (src/lib/base64.c) of the same bytes decodes back to them in
 * both layouts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "lib/base64.h"
#include "net/callback.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1), host[256], path[1024], why[256];
	uint16_t port;

	CHECK(url);
	memcpy(url, data, size);
	url[size] = '\0';
	if (strlen(url) == size &&
	    callback_url_parse(url, host, sizeof(host), &port, path,
			       sizeof(path)) == 0) {
		CHECK(host[0] && !strpbrk(host, " \t\r\n@/"));
		CHECK(port > 0);
		CHECK(path[0] == '/' && !strpbrk(path, " \r\n"));
		const char *list[] = { host, NULL };
		struct callback_policy p = { .hosts = list };
		CHECK(callback_check(&p, url, why, sizeof(why)) == 0);
		const char *other[] = { "example.invalid", NULL };
		p.hosts = other;
		CHECK(callback_check(&p, url, why, sizeof(why)) == -EACCES ||
		      !strcasecmp(host, "example.invalid"));
		struct sockaddr_in in = { .sin_family = AF_INET };
		if (inet_pton(AF_INET, host, &in.sin_addr) == 1 &&
		    !strncmp(host, "127.", 4))
			CHECK(callback_addr_private((struct sockaddr *)&in));
	}
	free(url);
	for (int lines = 0; lines < 2; lines++) {
		char *enc = base64_encode(data, size, lines), *dec;
		size_t n;
		CHECK(enc);
		CHECK(base64_decode(enc, strlen(enc), false, &dec, &n) == 0);
		CHECK(n == size && !memcmp(dec, data, size));
		free(dec);
		free(enc);
	}
	char *dec;
	size_t n;
	int r = base64_decode((const char *)data, size, true, &dec, &n);
	CHECK(r == 0 || r == -EINVAL);
	if (r == 0)
		free(dec);
	return 0;
}
