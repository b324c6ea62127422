/*
 * redis_url.c - the --redis URL (pure).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cluster/redis_url.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes p[0..n) with %XX escapes into out (outlen bytes, NUL added).
 * -EINVAL on a bad escape, a NUL, or when it does not fit. */
static int pct_decode(const char *p, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return -EINVAL;
			hi = hexval(p[i + 1]);
			lo = hexval(p[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= outlen)
			return -EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static bool v6_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* Digits only, value in [lo, hi]. */
static bool parse_num(const char *p, size_t n, unsigned long lo,
		      unsigned long hi, unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int redis_url_parse(const char *s, struct redis_url *out, char *err,
		    size_t errlen)
{
	const char *p, *end, *auth_end, *host, *host_end, *path;
	size_t len;
	unsigned long v;

	if (errlen)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	out->port = 6379;
	if (!s)
		return fail(err, errlen, -EINVAL, "no Redis URL");
	len = strnlen(s, REDIS_URL_MAX + 1);
	if (len > REDIS_URL_MAX)
		return fail(err, errlen, -EINVAL,
			    "the Redis URL is longer than %d bytes",
			    REDIS_URL_MAX);
	if (strncmp(s, "rediss://", 9) == 0)
		return fail(err, errlen, -EPROTONOSUPPORT,
			    "rediss:// (TLS) is not supported: this build's "
			    "hiredis 0.14 has no TLS; reach Redis through a TLS "
			    "tunnel (stunnel, spiped) and use redis://");
	if (strncmp(s, "redis://", 8) != 0)
		return fail(err, errlen, -EINVAL,
			    "a Redis URL starts with redis:// "
			    "(redis://[:PASSWORD@]HOST[:PORT][/DB])");
	p = s + 8;
	end = s + len;
	for (const char *q = p; q < end; q++) {
		if (*q == '?' || *q == '#')
			return fail(err, errlen, -EINVAL, "the Redis URL may not "
				    "have a query or a fragment ('%c')", *q);
		if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f)
			return fail(err, errlen, -EINVAL, "the Redis URL has a "
				    "space or a control or non-ASCII byte (escape "
				    "it as %%XX)");
	}
	/* the authority ends at the first '/'; its user info at its last '@' */
	path = memchr(p, '/', (size_t)(end - p));
	auth_end = path ? path : end;
	host = p;
	for (const char *q = p; q < auth_end; q++)
		if (*q == '@')
			host = q + 1;
	if (host != p) {
		const char *info = p, *info_end = host - 1;
		const char *colon = memchr(info, ':', (size_t)(info_end - info));
		if (!colon) {
			/* "redis://secret@host": the common short form, Redis
			 * before 6 took it as the password */
			colon = info - 1;
		} else if (pct_decode(info, (size_t)(colon - info), out->user,
				      sizeof(out->user))) {
			return fail(err, errlen, -EINVAL, "the Redis URL's user "
				    "name is too long or badly escaped");
		}
		if (pct_decode(colon + 1, (size_t)(info_end - colon - 1),
			       out->password, sizeof(out->password)))
			return fail(err, errlen, -EINVAL, "the Redis URL's "
				    "password is longer than %d bytes or badly "
				    "escaped (write %%40 for '@', %%3A for ':', "
				    "%%2F for '/')", REDIS_URL_SECRET_MAX);
		out->has_password = out->password[0] != '\0';
		if (!out->has_password && out->user[0])
			return fail(err, errlen, -EINVAL, "the Redis URL names a "
				    "user but no password");
	}
	/* host, [v6] or name, then :port */
	if (host < auth_end && *host == '[') {
		const char *close = memchr(host, ']', (size_t)(auth_end - host));
		if (!close || close == host + 1)
			return fail(err, errlen, -EINVAL, "the Redis URL's IPv6 "
				    "address has no closing ']' or is empty");
		for (const char *q = host + 1; q < close; q++)
			if (!v6_char(*q))
				return fail(err, errlen, -EINVAL, "the Redis URL's "
					    "IPv6 address has a bad character");
		if ((size_t)(close - host - 1) > REDIS_URL_HOST_MAX)
			return fail(err, errlen, -EINVAL, "the Redis host is too "
				    "long");
		memcpy(out->host, host + 1, (size_t)(close - host - 1));
		host_end = close + 1;
		if (host_end < auth_end && *host_end != ':')
			return fail(err, errlen, -EINVAL, "the Redis URL has "
				    "something after ']' that is not ':PORT'");
	} else {
		host_end = host;
		while (host_end < auth_end && *host_end != ':')
			host_end++;
		if (host_end == host)
			return fail(err, errlen, -EINVAL, "the Redis URL has no "
				    "host");
		for (const char *q = host; q < host_end; q++)
			if (!host_char(*q))
				return fail(err, errlen, -EINVAL, "the Redis host "
					    "has a bad character ('%c')", *q);
		if ((size_t)(host_end - host) > REDIS_URL_HOST_MAX)
			return fail(err, errlen, -EINVAL, "the Redis host is too "
				    "long");
		memcpy(out->host, host, (size_t)(host_end - host));
	}
	if (host_end < auth_end) {	/* ':' PORT */
		const char *port = host_end + 1;
		if (!parse_num(port, (size_t)(auth_end - port), 1, 65535, &v))
			return fail(err, errlen, -EINVAL, "the Redis port must be "
				    "a number from 1 to 65535");
		out->port = (int)v;
	}
	if (path && path + 1 < end) {	/* '/' DB; a lone '/' is db 0 */
		if (!parse_num(path + 1, (size_t)(end - path - 1), 0,
			       2147483647ul, &v))
			return fail(err, errlen, -EINVAL, "the Redis database "
				    "(after '/') must be a number");
		out->db = (unsigned)v;
	}
	return 0;
}

const char *redis_url_redacted(const struct redis_url *u, char *out,
			       size_t len)
{
	bool v6 = strchr(u->host, ':') != NULL;

	snprintf(out, len, "redis://%s%s%s%s%s%s:%d/%u",
		 u->user[0] ? u->user : "", u->has_password ? ":***" : "",
		 u->has_password ? "@" : "", v6 ? "[" : "", u->host,
		 v6 ? "]" : "", u->port, u->db);
	return out;
}
