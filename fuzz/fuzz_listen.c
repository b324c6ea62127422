/*
 * fuzz_listen.c - config_parse_listen() on arbitrary strings.
 *
 * Input: 1 byte choosing the host buffer size (1..256), then the string.
 * Checks: no overflow of the host buffer (ASan: it is heap-allocated to
 * its exact size), a NUL-terminated host and a port in 0..65535 on
 * success, an unchanged port on failure, and that a parsed HOST:PORT
 * formats and parses back to the same values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/config.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hostlen;
	char *s, *host;
	int port = -7, r;

	if (size < 1 || size > 4096)
		return 0;
	hostlen = (size_t)data[0] + 1;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0'; /* stops at an embedded NUL, as argv would */
	host = malloc(hostlen);
	memset(host, 'U', hostlen); /* 'U'nchanged */

	r = config_parse_listen(s, host, hostlen, &port);
	CHECK(r == 0 || r == -EINVAL);
	if (r) {
		CHECK(port == -7);
	} else {
		CHECK(port >= 0 && port <= 65535);
		CHECK(host[0] == 'U' || memchr(host, '\0', hostlen));
		if (host[0] != 'U' && strlen(host) + 10 < 300) {
			/* round trip */
			char again[320], h2[300];
			int p2 = -1;
			if (strchr(host, ':'))
				snprintf(again, sizeof(again), "[%s]:%d", host,
					 port);
			else
				snprintf(again, sizeof(again), "%s:%d", host,
					 port);
			if (!strchr(host, ']') && !strchr(host, '[')) {
				CHECK(config_parse_listen(again, h2, sizeof(h2),
							  &p2) == 0);
				CHECK(p2 == port);
				CHECK(strcmp(h2, host) == 0);
			}
		}
	}
	free(host);
	free(s);
	return 0;
}
