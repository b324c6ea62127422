/*
 * fuzz_redis_url.c - redis_url_parse() on any bytes.
 *
 * Checks: an error always comes with a message; an accepted URL is
 * re-written from its fields (user and password %XX-escaped) and parses
 * again to the same fields; the redacted form parses too and keeps
 * everything but the password.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/redis_url.h"
#include "fuzz.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

static void escape(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		*out++ = '%';
		*out++ = hex[c >> 4];
		*out++ = hex[c & 15];
	}
	*out = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[256];
	struct redis_url u, v;
	int ret;

	memcpy(s, data, size);
	s[size] = '\0';
	ret = redis_url_parse(s, &u, err, sizeof(err));
	CHECK(ret == 0 || ret == -EINVAL || ret == -EPROTONOSUPPORT);
	if (ret) {
		CHECK(err[0] != '\0');
		free(s);
		return 0;
	}
	CHECK(u.port >= 1 && u.port <= 65535 && u.host[0]);
	CHECK(u.has_password == (u.password[0] != '\0'));

	/* rebuilt from the fields, it means the same */
	char user[3 * REDIS_URL_SECRET_MAX + 1], pass[3 * REDIS_URL_SECRET_MAX + 1];
	char url[2 * REDIS_URL_MAX];
	bool v6 = strchr(u.host, ':') != NULL;
	escape(u.user, user);
	escape(u.password, pass);
	snprintf(url, sizeof(url), "redis://%s%s%s%s%s%s:%d/%u", user,
		 u.has_password ? ":" : "", pass, u.has_password ? "@" : "",
		 v6 ? "[" : "", u.host, u.port, u.db);
	if (v6) {	/* put the ']' after the host */
		char *colon = url + strlen(url);
		while (*colon != ':')
			colon--;
		memmove(colon + 1, colon, strlen(colon) + 1);
		*colon = ']';
	}
	if (strlen(url) <= REDIS_URL_MAX) {
		CHECK(redis_url_parse(url, &v, err, sizeof(err)) == 0);
		CHECK(!strcmp(u.host, v.host) && u.port == v.port &&
		      !strcmp(u.user, v.user) && !strcmp(u.password, v.password) &&
		      u.db == v.db);
	}
	/* the redacted form keeps the rest */
	redis_url_redacted(&u, url, sizeof(url));
	if (strlen(url) <= REDIS_URL_MAX &&
	    redis_url_parse(url, &v, err, sizeof(err)) == 0) {
		CHECK(!strcmp(u.host, v.host) && u.port == v.port &&
		      u.db == v.db && u.has_password == v.has_password);
	}
	free(s);
	return 0;
}
