/*
 * redis_url.h - the --redis URL: where the cluster's Redis is and how to
 * log in. Pure: a string in, a value or an error message out.
 *
 *   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]
 *
 * HOST is a name, an IPv4 address or a bracketed IPv6 address ("[::1]");
 * PORT defaults to 6379, DB to 0. USER and PASSWORD may carry %XX escapes
 * (a password with '@', ':' or '/' in it must escape them). rediss://
 * (TLS) is refused: hiredis 0.14 has no TLS (docs/operations.md says how
 * to tunnel). Anything else (a query, a fragment, an unknown scheme, an
 * empty host, a port out of range, a DB that is not a number) is an error
 * with a sentence saying which part is wrong.
 */
#ifndef CODEROOM_REDIS_URL_H
#define CODEROOM_REDIS_URL_H

#include <stdbool.h>
#include <stddef.h>

#define REDIS_URL_MAX 1024	/* longest URL accepted */
#define REDIS_URL_HOST_MAX 255
#define REDIS_URL_SECRET_MAX 255	/* user or password, decoded */

struct redis_url {
	char host[REDIS_URL_HOST_MAX + 1];	/* no brackets */
	int port;				/* 1..65535 */
	char user[REDIS_URL_SECRET_MAX + 1];	/* "" for none (AUTH pass) */
	char password[REDIS_URL_SECRET_MAX + 1];	/* "" for none */
	bool has_password;			/* an AUTH is due */
	unsigned db;				/* SELECT, 0 by default */
};

/*
 * Parses s into *out. Returns 0, or -EINVAL (malformed, err says why) or
 * -EPROTONOSUPPORT (rediss://: TLS). err (errlen bytes) is always a
 * NUL-terminated sentence on error; it never contains the password.
 */
int redis_url_parse(const char *s, struct redis_url *out, char *err,
		    size_t errlen);

/* The URL without its password ("redis://:***@host:6379/2"), for logs and
 * /api/health. Returns out. */
const char *redis_url_redacted(const struct redis_url *u, char *out,
			       size_t len);

#endif
