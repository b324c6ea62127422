/*
 * fence.c - Markdown fences out of a model's answer, as it streams.
 *
 * States, in order (never back): BEFORE (only blank lines so far), PLAIN
 * (text without a fence: it is the code), CODE (inside the first fenced
 * block), AFTER (that block closed: the rest is dropped). At each line
 * start the bytes are held while the line may still be a fence line (or,
 * BEFORE, a blank one); the line is decided at its end or as soon as a
 * byte rules that out.
 */
#include <errno.h>
#include <string.h>

#include "proto/fence.h"

enum { S_BEFORE, S_PLAIN, S_CODE, S_AFTER };

void fence_init(struct fence *f)
{
	memset(f, 0, sizeof(*f));
	f->state = S_BEFORE;
	f->holding = true;
}

static bool is_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

/* The fence at the start of p[0..n): its character and length (0 when
 * there is none), and where what follows it starts. */
static size_t fence_run(const char *p, size_t n, char *ch, size_t *rest)
{
	size_t i = 0, k;

	while (i < n && i < 3 && p[i] == ' ')
		i++;
	if (i == n || (p[i] != '`' && p[i] != '~'))
		return 0;
	*ch = p[i];
	for (k = i; k < n && p[k] == *ch; k++)
		;
	*rest = k;
	return k - i;
}

/* Whether p[0..n) (a line so far, or whole when 'whole') can still be,
 * or is, a fence line. */
static bool may_be_fence(const char *p, size_t n, bool whole)
{
	size_t i = 0, k, rest;
	char ch;

	while (i < n && i < 3 && p[i] == ' ')
		i++;
	if (i == n)
		return !whole;
	if (p[i] != '`' && p[i] != '~')
		return false;
	k = fence_run(p, n, &ch, &rest);
	if (k < 3)
		return rest == n && !whole;	/* "``" may grow */
	/* an info string: no backtick after backticks */
	return ch == '~' || !memchr(p + rest, '`', n - rest);
}

static bool is_opener(const char *p, size_t n, char *ch, size_t *count)
{
	size_t rest;

	if (!may_be_fence(p, n, true))
		return false;
	*count = fence_run(p, n, ch, &rest);
	return *count >= 3;
}

static bool is_closer(const struct fence *f, const char *p, size_t n)
{
	size_t rest, k;
	char ch;

	k = fence_run(p, n, &ch, &rest);
	return k >= 3 && ch == f->fch && k >= f->fcount &&
	       is_blank(p + rest, n - rest);
}

static int emit(struct buf *out, const char *p, size_t n)
{
	return n && buf_append(out, p, n) ? -ENOBUFS : 0;
}

/* A whole line (without its end; 'eol': it had one) in the held bytes. */
static int whole_line(struct fence *f, bool eol, struct buf *out)
{
	const char *p = f->held;
	size_t n = f->nheld;
	int r = 0;

	f->nheld = 0;
	f->holding = true;
	switch (f->state) {
	case S_BEFORE:
		if (is_blank(p, n))
			return 0;
		if (is_opener(p, n, &f->fch, &f->fcount)) {
			f->state = S_CODE;
			return 0;
		}
		f->state = S_PLAIN;
		break;
	case S_PLAIN:
		if (is_opener(p, n, &f->fch, &f->fcount)) {
			f->state = S_CODE;
			if (f->strip)
				out->len = f->out_start;	/* it was prose */
			if (f->strip && out->data)
				out->data[out->len] = '\0';
			return 0;
		}
		break;
	case S_CODE:
		if (is_closer(f, p, n)) {
			f->state = S_AFTER;
			return 0;
		}
		break;
	default:
		return 0;
	}
	if ((r = emit(out, p, n)) || !eol)
		return r;
	return emit(out, "\n", 1);
}

/* The held bytes cannot be a fence line (nor a blank line, BEFORE): they
 * go out, and the rest of the line with them. */
static int release(struct fence *f, struct buf *out)
{
	if (f->state == S_BEFORE)
		f->state = S_PLAIN;
	f->holding = false;
	int r = emit(out, f->held, f->nheld);
	f->nheld = 0;
	return r;
}

static bool keep_holding(const struct fence *f)
{
	if (f->nheld >= FENCE_HOLD_MAX)
		return false;
	if (f->state == S_BEFORE && is_blank(f->held, f->nheld))
		return true;
	return may_be_fence(f->held, f->nheld, false);
}

int fence_feed(struct fence *f, const char *p, size_t n, struct buf *out)
{
	int r;

	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (f->state == S_AFTER)
			return 0;
		if (ch == '\n' && f->cr) {	/* the LF of a CRLF */
			f->cr = false;
			continue;
		}
		f->cr = ch == '\r';
		if (ch == '\r')
			ch = '\n';
		if (f->holding) {
			if (ch == '\n') {
				if ((r = whole_line(f, true, out)))
					return r;
				continue;
			}
			f->held[f->nheld++] = ch;
			if (!keep_holding(f) && (r = release(f, out)))
				return r;
			continue;
		}
		/* mid-line: out with it, up to the line's end */
		size_t k = i;
		while (k < n && p[k] != '\n' && p[k] != '\r')
			k++;
		if ((r = emit(out, p + i, k - i)))
			return r;
		if (k < n) {
			f->cr = p[k] == '\r';
			if ((r = emit(out, "\n", 1)))
				return r;
			f->holding = true;
		}
		i = k;
	}
	return 0;
}

int fence_finish(struct fence *f, struct buf *out)
{
	if (f->holding && f->nheld)
		return whole_line(f, false, out);
	return 0;
}

int fence_strip(const char *p, size_t n, struct buf *out)
{
	struct fence f;
	int r;

	fence_init(&f);
	f.strip = true;
	f.out_start = out->len;
	if ((r = fence_feed(&f, p, n, out)))
		return r;
	return fence_finish(&f, out);
}
