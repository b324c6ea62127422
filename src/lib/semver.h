/*
 * semver.h - the subset of node-semver's ranges Piston's clients send.
 *
 * Versions are "MAJOR.MINOR.PATCH" (missing parts are 0). A range is one or
 * more alternatives joined by "||"; an alternative is comparators joined by
 * white space, all of which must hold. A comparator is an operator (none or
 * "=", ">", ">=", "<", "<=", "^", "~") and a partial version whose missing or
 * "x"/"X"/"*" parts match anything: "*", "", "3", "3.x", "3.11.*", "3.11.2",
 * ">=3.10 <4", "^3.1", "~1.2.3". Pure.
 */
#ifndef CODEROOM_SEMVER_H
#define CODEROOM_SEMVER_H

#include <stdbool.h>
#include <stddef.h>

/* The first three numbers of 'v' ("6.8.0.105" -> "6.8.0", "25" ->
 * "25.0.0"), as Piston's runtimes report versions. */
void semver_normalize(const char *v, char *out, size_t outlen);
/* Whether version 'v' satisfies 'range'; false for a malformed range. */
bool semver_satisfies(const char *v, const char *range);
/* <0, 0, >0 as a < b. */
int semver_cmp(const char *a, const char *b);

#endif
