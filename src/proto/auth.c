/*
 * auth.c - optional API tokens.
 */
#include <arpa/inet.h>
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
	if (!auth_enabled(a))
		return true;
	return auth_find(a, v) >= 0;
}

int auth_find(const struct auth *a, const char *v)
{
	size_t len;
	int found = -1;

	if (!auth_enabled(a) || !v)
		return -1;
	while (*v == ' ')
		v++;
	if (!strncasecmp(v, "Bearer ", 7))
		v += 7;
	while (*v == ' ')
		v++;
	len = strcspn(v, " \t\r\n");
	if (!len)
		return -1;
	for (size_t i = 0; i < a->n; i++)
		if (same(v, len, a->tokens[i]) && found < 0)
			found = (int)i;
	return found;
}

void auth_client_key(int token, const char *peer, char *out, size_t len)
{
	struct in6_addr a6;
	char txt[INET6_ADDRSTRLEN];

	if (token >= 0) {
		snprintf(out, len, "t%d", token);
		return;
	}
	if (!peer)
		peer = "";
	if (!strncmp(peer, "::ffff:", 7) && strchr(peer + 7, '.'))
		peer += 7;	/* IPv4-mapped */
	if (strchr(peer, ':') && inet_pton(AF_INET6, peer, &a6) == 1) {
		memset(a6.s6_addr + 8, 0, 8);	/* the /64 */
		if (inet_ntop(AF_INET6, &a6, txt, sizeof(txt))) {
			snprintf(out, len, "a%s/64", txt);
			return;
		}
	}
	snprintf(out, len, "a%s", peer);
}
