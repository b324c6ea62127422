/*
 * cors.h - which foreign pages may use an endpoint, and the headers that
 * tell their browser so (pure).
 *
 * The operator lists origins with --cors-origin ("https://app.example",
 * "http://localhost:3000", or "*" for any). A request whose Origin is on
 * the list gets Access-Control-Allow-Origin naming that origin (never
 * "*": credentials are allowed, and browsers refuse "*" with them), with
 * Allow-Credentials and Vary: Origin; a preflight (OPTIONS) also gets the
 * methods and the headers it asked for. Origins are compared as browsers
 * write them (lower-case scheme and host), case-insensitively.
 */
#ifndef CODEROOM_CORS_H
#define CODEROOM_CORS_H

#include <stdbool.h>
#include <stddef.h>

/* Whether 'origin' may be echoed in a header: printable ASCII without
 * spaces, at most 255 bytes ("null" included). */
bool cors_origin_safe(const char *origin);

/* Whether 'origin' is on 'allowed' (NULL-terminated; "*" matches every
 * safe origin). NULL or empty lists allow nothing. */
bool cors_allowed(const char *const *allowed, const char *origin);

/*
 * Appends the response headers for an allowed 'origin' to out (lines
 * "Name: value\r\n", NUL-terminated). For a preflight, 'methods' (e.g.
 * "GET, POST, OPTIONS") and the Access-Control-Request-Headers the browser
 * sent ('req_headers', or NULL; echoed only when it is a list of header
 * names) are added. Returns 0, or -ENOBUFS when out is too small (then out
 * holds what it had), or -EINVAL for an unsafe origin.
 */
int cors_headers(char *out, size_t len, const char *origin, bool preflight,
		 const char *methods, const char *req_headers);

#endif
