/*
 * httpc_parse.c - URLs and response heads for the outbound HTTP client.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net/httpc_parse.h"

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
}

static bool v6_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.';
}

static bool all_digits_and_dots(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return false;
	return true;
}

int httpc_url_parse(const char *url, struct httpc_url *u)
{
	const char *p, *hs, *he;
	size_t n;
	bool v6 = false;

	memset(u, 0, sizeof(*u));
	for (p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -EINVAL;
	if (!strncasecmp(url, "https://", 8)) {
		u->tls = true;
		p = url + 8;
	} else if (!strncasecmp(url, "http://", 7)) {
		p = url + 7;
	} else {
		return -EINVAL;
	}
	if (*p == '[') {
		hs = ++p;
		while (*p && *p != ']') {
			if (!v6_char(*p))
				return -EINVAL;
			p++;
		}
		if (*p != ']')
			return -EINVAL;
		he = p++;
		v6 = true;
	} else {
		hs = p;
		while (name_char(*p))
			p++;
		he = p;
	}
	n = (size_t)(he - hs);
	if (!n || n >= sizeof(u->host) || (*p && !strchr(":/?", *p)))
		return -EINVAL;	/* '@' (user info), '#', anything else */
	memcpy(u->host, hs, n);
	u->host[n] = '\0';
	u->host_is_ip = v6 || all_digits_and_dots(u->host);
	u->port = u->tls ? 443 : 80;
	if (*p == ':') {
		unsigned long v = 0;
		if (*++p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned long)(*p++ - '0');
			if (v > 65535)
				return -EINVAL;
		}
		if (!v || (*p && *p != '/' && *p != '?'))
			return -EINVAL;
		u->port = (uint16_t)v;
	}
	if (strchr(p, '#'))
		return -EINVAL;
	if ((size_t)snprintf(u->path, sizeof(u->path), "%s%s",
			     *p == '/' ? "" : "/", p) >= sizeof(u->path))
		return -EINVAL;
	bool dflt = u->port == (u->tls ? 443 : 80);
	snprintf(u->authority, sizeof(u->authority), v6 ? "[%s]" : "%s",
		 u->host);
	if (!dflt)
		snprintf(u->authority + strlen(u->authority),
			 sizeof(u->authority) - strlen(u->authority), ":%u",
			 (unsigned)u->port);
	return 0;
}

/* A field value without the white space around it. */
static void trim(const char **v, size_t *n)
{
	while (*n && (**v == ' ' || **v == '\t')) {
		(*v)++;
		(*n)--;
	}
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
		(*n)--;
}

static bool is(const char *name, size_t nl, const char *want)
{
	return nl == strlen(want) && !strncasecmp(name, want, nl);
}

static int parse_u64(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;

	if (!n)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EBADMSG;
		x = x * 10 + (uint64_t)(v[i] - '0');
		if (x > max)
			return -EBADMSG;
	}
	*out = x;
	return 0;
}

/* "gzip, chunked": the last coding must be chunked (we ask for no other
 * coding, so anything else is refused). */
static int transfer_coding(const char *v, size_t n, struct httpc_head *h)
{
	trim(&v, &n);
	if (!is(v, n, "chunked"))
		return -EBADMSG;
	h->chunked = true;
	return 0;
}

static int field(const char *line, size_t n, struct httpc_head *h)
{
	const char *colon = memchr(line, ':', n), *v;
	size_t nl, vl;
	uint64_t x;

	if (!colon || colon == line)
		return -EBADMSG;
	nl = (size_t)(colon - line);
	for (size_t i = 0; i < nl; i++)
		if (line[i] == ' ' || line[i] == '\t' ||
		    (unsigned char)line[i] < 0x21)
			return -EBADMSG;
	v = colon + 1;
	vl = n - nl - 1;
	trim(&v, &vl);
	if (is(line, nl, "content-length")) {
		if (parse_u64(v, vl, INT64_MAX, &x))
			return -EBADMSG;
		if (h->content_length >= 0 && (uint64_t)h->content_length != x)
			return -EBADMSG;
		h->content_length = (int64_t)x;
	} else if (is(line, nl, "transfer-encoding")) {
		return transfer_coding(v, vl, h);
	} else if (is(line, nl, "retry-after")) {
		if (!parse_u64(v, vl, 86400 * 365, &x))
			h->retry_after = (int)x;
	} else if (is(line, nl, "content-type")) {
		if (vl >= sizeof(h->content_type))
			vl = sizeof(h->content_type) - 1;
		memcpy(h->content_type, v, vl);
		h->content_type[vl] = '\0';
	}
	return 0;
}

long httpc_head_parse(const char *p, size_t n, struct httpc_head *h)
{
	const char *end = NULL, *line, *eol;
	size_t i;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	h->retry_after = -1;
	/* the blank line: "\n\n" or "\n\r\n" */
	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n') {
			end = p + i + 2;
			break;
		}
		if (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n') {
			end = p + i + 3;
			break;
		}
	}
	if (!end)
		return n >= HTTPC_HEAD_MAX ? -E2BIG : 0;
	if ((size_t)(end - p) > HTTPC_HEAD_MAX)
		return -E2BIG;
	/* status line */
	eol = memchr(p, '\n', (size_t)(end - p));
	size_t sl = (size_t)(eol - p);
	if (sl && p[sl - 1] == '\r')
		sl--;
	if (sl < 12 || memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1') ||
	    p[8] != ' ' || (sl > 12 && p[12] != ' '))
		return -EBADMSG;
	for (i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return -EBADMSG;
	h->status = (unsigned)((p[9] - '0') * 100 + (p[10] - '0') * 10 +
			       (p[11] - '0'));
	if (h->status < 100 || h->status > 599)
		return -EBADMSG;
	for (line = eol + 1; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		size_t ll = (size_t)(eol - line);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (!ll)
			break;	/* the blank line */
		if (line[0] == ' ' || line[0] == '\t')
			return -EBADMSG;	/* obsolete line folding */
		for (i = 0; i < ll; i++)
			if (line[i] == '\0' || line[i] == '\r')
				return -EBADMSG;
		if (field(line, ll, h))
			return -EBADMSG;
	}
	if (h->chunked)
		h->content_length = -1;
	return end - p;
}
