/*
 * utext.c - a UTF-8 document addressed in UTF-16 code units, with a
 * sparse position index. See utext.h.
 *
 * The index is rebuilt by utext_replace() from "candidates" in document
 * order: the start of every kept run and of every insertion (their exact
 * positions are known from the edit), the old marks inside each kept run
 * (shifted, never rescanned), and a point every UTEXT_STEP bytes inside
 * inserted text. Neighbouring candidates are never more than UTEXT_GAP
 * bytes apart; the thinning in mark_add() drops a candidate only when the
 * next one is still within UTEXT_GAP of the last kept mark, so the gaps
 * stay bounded and the marks stay sparse (any two marks apart by one are
 * more than UTEXT_GAP bytes apart), however many edits went by.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "room/utext.h"

/* Bytes of the UTF-8 sequence starting with c (c valid and not a
 * continuation byte). */
static inline size_t seq_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static inline bool is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

static inline bool ascii8(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return !(w & 0x8080808080808080ull);
}

int utext_measure(const char *str, size_t len, size_t *u16)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, units = 0;

	while (i < len) {
		unsigned c = s[i];

		if (c < 0x80) {
			if (i + 8 <= len && ascii8(s + i)) {
				i += 8;
				units += 8;
			} else {
				i++;
				units++;
			}
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			if (len - i < 2 || !is_cont(s[i + 1]))
				return -EINVAL;
			i += 2;
			units++;
		} else if (c >= 0xE0 && c <= 0xEF) {
			unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
			unsigned hi =
			    c == 0xED ? 0x9F : 0xBF; /* no surrogates */

			if (len - i < 3 || s[i + 1] < lo || s[i + 1] > hi ||
			    !is_cont(s[i + 2]))
				return -EINVAL;
			i += 3;
			units++;
		} else if (c >= 0xF0 && c <= 0xF4) {
			unsigned lo = c == 0xF0 ? 0x90 : 0x80;
			unsigned hi = c == 0xF4 ? 0x8F : 0xBF; /* <= U+10FFFF */

			if (len - i < 4 || s[i + 1] < lo || s[i + 1] > hi ||
			    !is_cont(s[i + 2]) || !is_cont(s[i + 3]))
				return -EINVAL;
			i += 4;
			units += 2;
		} else {
			return -EINVAL;
		}
	}
	*u16 = units;
	return 0;
}

/*
 * Scans valid UTF-8 forward from (*pos, *off) until *pos == target.
 * -EINVAL if target is the middle of a surrogate pair. The caller makes
 * sure target is not past the end.
 */
static int scan(const unsigned char *s, size_t *pos, size_t *off, size_t target)
{
	size_t p = *pos, o = *off;

	while (p < target) {
		unsigned c = s[o];

		if (c < 0x80) {
			/* runs of ASCII: eight at a time while they last */
			while (target - p >= 8 && ascii8(s + o)) {
				o += 8;
				p += 8;
			}
			if (p == target)
				break;
			c = s[o];
		}
		if (c < 0xF0) {
			o += seq_len((unsigned char)c);
			p++;
		} else {
			if (target - p == 1)
				return -EINVAL;
			o += 4;
			p += 2;
		}
	}
	*pos = p;
	*off = o;
	return 0;
}

/* A forward cursor over a text, for increasing positions. */
struct cursor {
	size_t mi;	 /* first mark not yet passed */
	size_t pos, off; /* a character boundary */
};

static int seek(const struct utext *t, struct cursor *c, size_t target,
		size_t *off)
{
	size_t lo, hi;

	if (target > t->u16len)
		return -EINVAL;
	if (t->len == t->u16len) { /* all ASCII */
		*off = target;
		return 0;
	}
	/* The last mark at or before target, among the marks not passed. */
	lo = c->mi;
	hi = t->nmark;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->mark[mid].pos <= target)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > c->mi && t->mark[lo - 1].pos > c->pos) {
		c->pos = t->mark[lo - 1].pos;
		c->off = t->mark[lo - 1].off;
	}
	c->mi = lo;
	if (scan((const unsigned char *)t->s, &c->pos, &c->off, target))
		return -EINVAL;
	*off = c->off;
	return 0;
}

int utext_offset(const struct utext *t, size_t pos, size_t *off)
{
	struct cursor c = {0, 0, 0};

	return seek(t, &c, pos, off);
}

/* Builds the index of a new text from candidates given in order. */
struct thin {
	struct utext_mark *out; /* kept marks */
	size_t n;
	struct utext_mark last; /* the last kept mark, or the origin */
	struct utext_mark pend; /* the candidate waiting for its successor */
	bool has_pend;
};

static void thin_init(struct thin *t, struct utext_mark *out)
{
	memset(t, 0, sizeof *t);
	t->out = out;
}

/* A candidate: pend is kept only if this one is too far from the last
 * kept mark to stand in for it. */
static void mark_add(struct thin *t, size_t pos, size_t off)
{
	if (off <= t->last.off || (t->has_pend && off <= t->pend.off))
		return;
	if (t->has_pend && off - t->last.off > UTEXT_GAP) {
		t->out[t->n++] = t->pend;
		t->last = t->pend;
	}
	t->pend.pos = pos;
	t->pend.off = off;
	t->has_pend = true;
}

/* The end of the text, which is never stored as a mark. */
static void mark_end(struct thin *t, size_t len)
{
	if (t->has_pend && t->pend.off < len && len - t->last.off > UTEXT_GAP)
		t->out[t->n++] = t->pend;
	t->has_pend = false;
}

/* Candidates inside s[0..len), a text placed at (pos, off) of the new
 * document: the first character boundary after every UTEXT_STEP bytes. */
static void mark_inside(struct thin *t, const char *str, size_t len, size_t pos,
			size_t off)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, next = UTEXT_STEP;

	while (i < len) {
		if (i >= next) {
			mark_add(t, pos, off + i);
			next = i + UTEXT_STEP;
		}
		if (s[i] < 0x80 && len - i >= 8 && next - i >= 8 &&
		    ascii8(s + i)) {
			i += 8;
			pos += 8;
		} else if (s[i] < 0xF0) {
			i += seq_len(s[i]);
			pos++;
		} else {
			i += 4;
			pos += 2;
		}
	}
}

void utext_release(struct utext *t)
{
	free(t->s);
	free(t->mark);
	memset(t, 0, sizeof *t);
}

int utext_init(struct utext *t, const char *s, size_t len, size_t max_len)
{
	struct thin th;
	size_t u16;
	int rc;

	memset(t, 0, sizeof *t);
	if (len > max_len)
		return -E2BIG;
	rc = utext_measure(s, len, &u16);
	if (rc)
		return rc;
	t->s = malloc(len + 1);
	t->mark = malloc((len / UTEXT_STEP + 1) * sizeof *t->mark);
	if (!t->s || !t->mark) {
		utext_release(t);
		return -ENOMEM;
	}
	if (len)
		memcpy(t->s, s, len);
	t->s[len] = 0;
	t->len = len;
	t->u16len = u16;
	thin_init(&th, t->mark);
	mark_inside(&th, s, len, 0, 0);
	mark_end(&th, len);
	t->nmark = th.n;
	return 0;
}

/* Copies the kept run old[from_off, to_off) (positions from_pos..) to
 * the new text at (*pos, *o), carrying the old marks inside it over. */
static void copy_run(const struct utext *src, size_t *mi, size_t from_pos,
		     size_t from_off, size_t to_off, struct thin *th, char *dst,
		     size_t *pos, size_t *o)
{
	size_t i = *mi;

	mark_add(th, *pos, *o);
	while (i < src->nmark && src->mark[i].off <= from_off)
		i++;
	for (; i < src->nmark && src->mark[i].off < to_off; i++)
		mark_add(th, *pos + (src->mark[i].pos - from_pos),
			 *o + (src->mark[i].off - from_off));
	*mi = i;
	memcpy(dst + *o, src->s + from_off, to_off - from_off);
	*o += to_off - from_off;
}

int utext_replace(const struct utext *src, const struct utext_edit *e, size_t n,
		  size_t max_len, struct utext *dst)
{
	struct cursor cur = {0, 0, 0};
	size_t *boff = NULL, del = 0, ins = 0, del16 = 0, ins16 = 0;
	size_t newlen, nmarks, prev_to = 0;
	size_t mi = 0, o = 0, pos = 0, at_off = 0, at_pos = 0;
	struct thin th;
	int rc = -EINVAL;

	memset(dst, 0, sizeof *dst);
	if (n > SIZE_MAX / (2 * sizeof *boff))
		return -E2BIG;
	boff = malloc((2 * n + 1) * sizeof *boff);
	if (!boff)
		return -ENOMEM;
	/* Resolve and check every edit before building anything. */
	nmarks = src->nmark + 2 * n + 2;
	for (size_t i = 0; i < n; i++) {
		if (e[i].from < prev_to || e[i].to < e[i].from)
			goto out;
		if (seek(src, &cur, e[i].from, &boff[2 * i]) ||
		    seek(src, &cur, e[i].to, &boff[2 * i + 1]))
			goto out;
		del += boff[2 * i + 1] - boff[2 * i];
		del16 += e[i].to - e[i].from;
		if (e[i].ins_u16 > e[i].ins_len || (e[i].ins_len && !e[i].ins))
			goto out;
		if (e[i].ins_len > max_len - ins) { /* ins <= max_len */
			rc = -E2BIG;
			goto out;
		}
		ins += e[i].ins_len;
		ins16 += e[i].ins_u16;
		nmarks += e[i].ins_len / UTEXT_STEP + 1;
		prev_to = e[i].to;
	}
	/* del <= src->len, ins <= max_len: no overflow below. */
	newlen = src->len - del + ins;
	if (newlen > max_len) {
		rc = -E2BIG;
		goto out;
	}
	rc = -ENOMEM;
	dst->s = malloc(newlen + 1);
	dst->mark = malloc(nmarks * sizeof *dst->mark);
	if (!dst->s || !dst->mark)
		goto out;

	thin_init(&th, dst->mark);
	for (size_t i = 0; i <= n; i++) {
		size_t run_pos = i < n ? e[i].from : src->u16len;
		size_t run_off = i < n ? boff[2 * i] : src->len;

		copy_run(src, &mi, at_pos, at_off, run_off, &th, dst->s, &pos,
			 &o);
		pos += run_pos - at_pos;
		if (i == n)
			break;
		mark_add(&th, pos, o);
		mark_inside(&th, e[i].ins, e[i].ins_len, pos, o);
		if (e[i].ins_len)
			memcpy(dst->s + o, e[i].ins, e[i].ins_len);
		o += e[i].ins_len;
		pos += e[i].ins_u16;
		at_pos = e[i].to;
		at_off = boff[2 * i + 1];
	}
	mark_end(&th, newlen);
	dst->s[newlen] = 0;
	dst->len = newlen;
	dst->u16len = src->u16len - del16 + ins16;
	dst->nmark = th.n;
	free(boff);
	return 0;
out:
	free(boff);
	utext_release(dst);
	return rc;
}
