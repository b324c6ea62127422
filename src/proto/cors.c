/*
 * cors.c - which foreign pages may use an endpoint, and the headers that
 * tell their browser so.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proto/cors.h"

#define ORIGIN_MAX 255

bool cors_origin_safe(const char *origin)
{
	size_t n = 0;

	if (!origin || !*origin)
		return false;
	for (const char *p = origin; *p; p++, n++)
		if (*p <= ' ' || *p >= 0x7f || n >= ORIGIN_MAX)
			return false;
	return true;
}

bool cors_allowed(const char *const *allowed, const char *origin)
{
	if (!allowed || !cors_origin_safe(origin))
		return false;
	for (; *allowed; allowed++)
		if (strcmp(*allowed, "*") == 0 ||
		    strcasecmp(*allowed, origin) == 0)
			return true;
	return false;
}

/* A comma-separated list of header names (RFC 9110 tokens). */
static bool header_list(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++, n++) {
		unsigned char ch = (unsigned char)*s;
		if (n >= 512)
			return false;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == ',' || ch == ' ' ||
		    strchr(tchar, ch))
			continue;
		return false;
	}
	return true;
}

int cors_headers(char *out, size_t len, const char *origin, bool preflight,
		 const char *methods, const char *req_headers)
{
	size_t at0 = strnlen(out, len), at = at0;
	int n;

	if (!cors_origin_safe(origin))
		return -EINVAL;
	if (at >= len)
		return -ENOBUFS;
	n = snprintf(out + at, len - at,
		     "Access-Control-Allow-Origin: %s\r\n"
		     "Access-Control-Allow-Credentials: true\r\n"
		     "Vary: Origin\r\n",
		     origin);
	if (n < 0 || (size_t)n >= len - at)
		goto out_nobufs;
	at += (size_t)n;
	if (preflight) {
		n = snprintf(out + at, len - at,
			     "Access-Control-Allow-Methods: %s\r\n"
			     "Access-Control-Max-Age: 600\r\n",
			     methods ? methods : "GET, POST, OPTIONS");
		if (n < 0 || (size_t)n >= len - at)
			goto out_nobufs;
		at += (size_t)n;
		if (header_list(req_headers)) {
			n = snprintf(out + at, len - at,
				     "Access-Control-Allow-Headers: %s\r\n",
				     req_headers);
			if (n < 0 || (size_t)n >= len - at)
				goto out_nobufs;
		}
	}
	return 0;

out_nobufs:
	out[at0] = '\0';
	return -ENOBUFS;
}
