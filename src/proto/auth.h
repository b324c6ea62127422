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

#endif
