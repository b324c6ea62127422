/*
 * auth.h - optional API tokens for the run APIs.
 *
 * With no token configured every request is allowed. Otherwise a request
 * must carry one of the tokens as "Authorization: Bearer TOKEN" (or a bare
 * "Authorization: TOKEN", as Piston's clients send an api key) or as
 * "X-Api-Token: TOKEN". Tokens compare in constant time.
 */
#ifndef CODEROOM_AUTH_H
#define CODEROOM_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct auth {
	char **tokens;		/* NULL-terminated, or NULL: open */
	size_t n;
};

/* Tokens from argv ('list', NULL-terminated) and 'file' (one a line, '#'
 * comments). 0 or -errno (the file cannot be read). */
int auth_load(struct auth *a, const char *const *list, const char *file);
void auth_release(struct auth *a);
bool auth_enabled(const struct auth *a);
/* Whether a header value ("Bearer X", "X") holds a valid token. Pure. */
bool auth_check_header(const struct auth *a, const char *value);
/* The index of the token a header value holds, or -1. Pure; compares
 * with every token in constant time. */
int auth_find(const struct auth *a, const char *value);

/*
 * Who a client is, for per-client caps and fair queueing: "t<n>" for the
 * holder of token n (a class may share one), else "a<address>": the whole
 * address for IPv4 (an IPv4-mapped IPv6 address counts as IPv4), the /64
 * prefix for IPv6 (one host gets a whole /64). Pure.
 */
void auth_client_key(int token, const char *peer, char *out, size_t len);

#endif
