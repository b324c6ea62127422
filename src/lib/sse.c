/*
 * sse.c - server-sent events, decoded byte by byte into lines, lines into
 * fields, fields into events.
 */
#include <errno.h>
#include <string.h>

#include "lib/sse.h"

void sse_init(struct sse *s, size_t line_max, size_t data_max)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->line, line_max);
	buf_init(&s->data, data_max);
	s->first_line = true;
}

void sse_release(struct sse *s)
{
	buf_release(&s->line);
	buf_release(&s->data);
}

bool sse_pending(const struct sse *s)
{
	return s->has_data || s->type[0] || s->line.len;
}

static void reset_event(struct sse *s)
{
	buf_reset(&s->data);
	s->has_data = false;
	s->type[0] = '\0';
}

/* A blank line: the event, if it has data. */
static int dispatch(struct sse *s, sse_event_fn fn, void *arg)
{
	int r = 0;

	if (s->has_data) {
		size_t n = s->data.len;
		if (n && s->data.data[n - 1] == '\n')
			n--;	/* every data line added one */
		s->data.len = n;
		if (s->data.data)
			s->data.data[n] = '\0';
		r = fn(arg, s->type, s->data.data ? s->data.data : "", n);
	}
	reset_event(s);
	return r;
}

/* One complete line (without its end). */
static int line(struct sse *s, sse_event_fn fn, void *arg)
{
	const char *p = s->line.data ? s->line.data : "";
	size_t n = s->line.len, fl, vl;
	const char *colon, *v;
	int r = 0;

	if (s->first_line) {
		s->first_line = false;
		if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
			p += 3;
			n -= 3;
		}
	}
	if (n == 0)
		r = dispatch(s, fn, arg);
	else if (p[0] == ':')
		;	/* a comment: servers send them to keep a stream alive */
	else {
		colon = memchr(p, ':', n);
		fl = colon ? (size_t)(colon - p) : n;
		v = colon ? colon + 1 : p + n;
		vl = n - fl - (colon ? 1 : 0);
		if (vl && *v == ' ') {
			v++;
			vl--;
		}
		if (fl == 4 && !memcmp(p, "data", 4)) {
			s->has_data = true;
			if (buf_append(&s->data, v, vl) ||
			    buf_append(&s->data, "\n", 1))
				r = -E2BIG;
		} else if (fl == 5 && !memcmp(p, "event", 5)) {
			if (vl >= sizeof(s->type) || memchr(v, '\0', vl))
				r = -E2BIG;
			else {
				memcpy(s->type, v, vl);
				s->type[vl] = '\0';
			}
		}
		/* id, retry and unknown fields: nothing to do here */
	}
	buf_reset(&s->line);
	return r;
}

int sse_feed(struct sse *s, const char *p, size_t n, sse_event_fn fn,
	     void *arg)
{
	size_t i = 0;
	int r;

	if (s->failed)
		return -E2BIG;
	while (i < n) {
		char ch = p[i];
		if (ch == '\n' && s->after_cr) {	/* the LF of a CRLF */
			s->after_cr = false;
			i++;
			continue;
		}
		s->after_cr = false;
		if (ch == '\r' || ch == '\n') {
			s->after_cr = ch == '\r';
			i++;
			if ((r = line(s, fn, arg))) {
				if (r == -E2BIG)
					s->failed = true;
				return r;
			}
			continue;
		}
		/* the rest of the line, up to its end, in one append */
		size_t k = i;
		while (k < n && p[k] != '\r' && p[k] != '\n')
			k++;
		if (buf_append(&s->line, p + i, k - i)) {
			s->failed = true;
			return -E2BIG;
		}
		i = k;
	}
	return 0;
}
