/*
 * semver.c - version ranges for Piston's "version" selector.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/semver.h"

/* Parses up to 3 numbers; a part that is x/X/ * or missing is -1 (any).
 * Returns the parts given (0..3), or -1 when malformed. *end is set past
 * the version. */
#define SEMVER_PART_MAX (1L << 30)

static int parse_partial(const char *s, long v[3], const char **end)
{
	int n = 0;

	v[0] = v[1] = v[2] = -1;
	if (*s == 'v' || *s == '=')
		s++;
	while (n < 3) {
		if (*s == 'x' || *s == 'X' || *s == '*') {
			s++;
		} else if (isdigit((unsigned char)*s)) {
			char *e;
			v[n] = strtol(s, &e, 10);
			/* a huge part (LONG_MAX) would overflow the bound
			 * above it: no version part is that big */
			if (v[n] > SEMVER_PART_MAX)
				v[n] = SEMVER_PART_MAX;
			s = e;
		} else {
			break;
		}
		n++;
		if (*s != '.')
			break;
		s++;
	}
	/* a pre-release or build suffix is ignored */
	if (*s == '-' || *s == '+')
		while (*s && !isspace((unsigned char)*s) && *s != '|')
			s++;
	*end = s;
	return n;
}

static void parse_full(const char *s, long v[3])
{
	const char *e;

	parse_partial(s, v, &e);
	for (int i = 0; i < 3; i++)
		if (v[i] < 0)
			v[i] = 0;
}

static int cmp3(const long a[3], const long b[3])
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

int semver_cmp(const char *a, const char *b)
{
	long x[3], y[3];

	parse_full(a, x);
	parse_full(b, y);
	return cmp3(x, y);
}

void semver_normalize(const char *v, char *out, size_t outlen)
{
	long x[3];
	const char *p = v;

	while (*p && !isdigit((unsigned char)*p))
		p++;
	parse_full(p, x);
	snprintf(out, outlen, "%ld.%ld.%ld", x[0], x[1], x[2]);
}

/* [lo, hi) of a partial version: "3.11" -> [3.11.0, 3.12.0). */
static void bounds(const long p[3], int n, long lo[3], long hi[3])
{
	int given = 0;

	while (given < n && p[given] >= 0)
		given++;
	for (int i = 0; i < 3; i++)
		lo[i] = i < given ? p[i] : 0;
	memcpy(hi, lo, 3 * sizeof(long));
	if (given == 0) {
		hi[0] = 1L << 30;
	} else if (given < 3) {
		hi[given - 1]++;
		for (int i = given; i < 3; i++)
			hi[i] = 0;
	} else {
		hi[2]++;
	}
}

static bool comparator(const long v[3], const char *op, const long p[3], int n)
{
	long lo[3], hi[3];

	bounds(p, n, lo, hi);
	if (!strcmp(op, "") || !strcmp(op, "="))
		return cmp3(v, lo) >= 0 && cmp3(v, hi) < 0;
	if (!strcmp(op, ">="))
		return cmp3(v, lo) >= 0;
	if (!strcmp(op, ">"))
		return cmp3(v, hi) >= 0;
	if (!strcmp(op, "<"))
		return cmp3(v, lo) < 0;
	if (!strcmp(op, "<="))
		return cmp3(v, hi) < 0;
	if (!strcmp(op, "~")) {	/* same major.minor (major if only that) */
		long h[3] = { lo[0], lo[1] + 1, 0 };
		if (n < 2 || p[1] < 0)
			h[0] = lo[0] + 1, h[1] = 0;
		return cmp3(v, lo) >= 0 && cmp3(v, h) < 0;
	}
	if (!strcmp(op, "^")) {	/* same left-most non-zero part */
		long h[3] = { 0, 0, 0 };
		if (lo[0] > 0 || n < 2 || p[1] < 0)
			h[0] = lo[0] + 1;
		else if (lo[1] > 0 || n < 3 || p[2] < 0)
			h[1] = lo[1] + 1;
		else
			h[2] = lo[2] + 1;
		return cmp3(v, lo) >= 0 && cmp3(v, h) < 0;
	}
	return false;
}

bool semver_satisfies(const char *ver, const char *range)
{
	long v[3];
	const char *s = range;

	parse_full(ver, v);
	for (;;) {	/* one alternative */
		bool all = true, any = false;
		for (;;) {
			char op[3] = "";
			long p[3];
			const char *e;
			int n;

			while (isspace((unsigned char)*s))
				s++;
			if (!*s || *s == '|')
				break;
			if (*s == '>' || *s == '<') {
				op[0] = *s++;
				if (*s == '=')
					op[1] = *s++;
			} else if (*s == '^' || *s == '~' || *s == '=') {
				op[0] = *s++;
			}
			while (isspace((unsigned char)*s))
				s++;
			n = parse_partial(s, p, &e);
			if (n <= 0 || (*e && !isspace((unsigned char)*e) &&
				       *e != '|'))
				return false;	/* malformed */
			s = e;
			any = true;
			if (!comparator(v, op, p, n))
				all = false;
		}
		if (!any)	/* "" or "*" alone: parse_partial took "*" */
			all = true;
		if (all)
			return true;
		if (*s != '|')
			return false;
		s++;
		if (*s != '|')
			return false;
		s++;
	}
}
