/*
 * auth.c - optional API tokens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/auth.h"

static int add(struct auth *a, const char *tok, size_t len)
{
	char **v = realloc(a->tokens, (a->n + 2) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	a->tokens = v;
	if (!(v[a->n] = strndup(tok, len)))
		return -ENOMEM;
	v[++a->n] = NULL;
	return 0;
}

int auth_load(struct auth *a, const char *const *list, const char *file)
{
	char line[1024];
	FILE *f;
	int err;

	memset(a, 0, sizeof(*a));
	for (; list && *list; list++)
		if ((err = add(a, *list, strlen(*list))))
			return err;
	if (!file)
		return 0;
	if (!(f = fopen(file, "re")))
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *e;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, " \t\r\n");
		if (e == p || *p == '#')
			continue;
		if ((err = add(a, p, (size_t)(e - p)))) {
			fclose(f);
			return err;
		}
	}
	fclose(f);
	return 0;
}

void auth_release(struct auth *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->tokens[i]);
	free(a->tokens);
	memset(a, 0, sizeof(*a));
}

bool auth_enabled(const struct auth *a)
{
	return a && a->n > 0;
}

static bool same(const char *x, size_t xl, const char *y)
{
	size_t yl = strlen(y);
	unsigned char d = xl != yl;

	for (size_t i = 0; i < xl && i < yl; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d == 0;
}

bool auth_check_header(const struct auth *a, const char *v)
{
	size_t len;

	if (!auth_enabled(a))
		return true;
	if (!v)
		return false;
	while (*v == ' ')
		v++;
	if (!strncasecmp(v, "Bearer ", 7))
		v += 7;
	while (*v == ' ')
		v++;
	len = strcspn(v, " \t\r\n");
	if (!len)
		return false;
	bool ok = false;
	for (size_t i = 0; i < a->n; i++)
		ok |= same(v, len, a->tokens[i]);
	return ok;
}
