/*
 * changeset.c - CodeMirror 6 change sets: parse, serialise, apply,
 * compose, map, mapPos. See changeset.h.
 *
 * The section algebra follows the published semantics of @codemirror/state
 * (studied from its documentation and sources, written anew here): sets
 * are walked with a section iterator that can consume part of a section,
 * and results are built with sec_add(), whose merging rules decide the
 * exact section list (and so the JSON) the library would produce.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "room/changeset.h"

#define DONE (-2) /* iterator past the last section */

/* Lengths of results are checked against this; only chains of thousands
 * of maximal sets could reach it. */
#define CS_LEN_MAX ((size_t)1 << 40)

static struct changeset *cs_alloc(bool desc)
{
	struct changeset *cs = calloc(1, sizeof *cs);

	if (cs)
		cs->desc = desc;
	return cs;
}

void cs_free(struct changeset *cs)
{
	if (!cs)
		return;
	free(cs->sec);
	free(cs->text);
	free(cs);
}

bool cs_empty(const struct changeset *cs)
{
	return cs->n == 0 || (cs->n == 1 && cs->sec[0].ins < 0);
}

/*
 * Appends a section, merging as the library's addSection() does: nothing
 * for an empty one; kept after kept and deletion after deletion grow the
 * last section; an insertion after a section that covers no old text joins
 * it; 'force' joins whatever comes into the last section (compose uses it
 * while it is inside one change of either side).
 */
static int sec_add(struct changeset *cs, size_t len, int64_t ins, bool force)
{
	struct cs_section *last = cs->n ? &cs->sec[cs->n - 1] : NULL;

	if (len == 0 && ins <= 0)
		return 0;
	if (last && ins <= 0 && ins == last->ins) {
		last->len += len;
	} else if (last && len == 0 && last->len == 0) {
		last->ins += ins;
	} else if (last && force) {
		last->len += len;
		last->ins += ins;
	} else {
		if (cs->n == cs->cap) {
			size_t cap = cs->cap ? 2 * cs->cap : 8;
			struct cs_section *s;

			if (cap > CS_SECTIONS_MAX * 4)
				return -E2BIG;
			s = realloc(cs->sec, cap * sizeof *s);
			if (!s)
				return -ENOMEM;
			cs->sec = s;
			cs->cap = cap;
		}
		cs->sec[cs->n++] = (struct cs_section){
		    .len = len, .ins = ins, .text = cs->text_len};
	}
	return 0;
}

/* Appends inserted text to the last section (whose text always ends the
 * text buffer: texts only ever go to the last section). */
static int text_add(struct changeset *cs, const char *s, size_t n)
{
	struct cs_section *last;

	if (cs->desc || n == 0)
		return 0;
	if (!cs->n)
		return -EINVAL; /* unreachable: text follows a section */
	last = &cs->sec[cs->n - 1];
	if (n > SIZE_MAX / 2 - cs->text_len)
		return -E2BIG;
	if (cs->text_len + n > cs->text_cap) {
		size_t cap = cs->text_cap ? cs->text_cap : 64;
		char *t;

		while (cap < cs->text_len + n)
			cap *= 2;
		t = realloc(cs->text, cap);
		if (!t)
			return -ENOMEM;
		cs->text = t;
		cs->text_cap = cap;
	}
	if (last->text + last->nbytes != cs->text_len)
		return -EINVAL; /* unreachable, see above */
	memcpy(cs->text + cs->text_len, s, n);
	cs->text_len += n;
	last->nbytes += n;
	return 0;
}

/* Sets length and new_length from the sections. */
static int finish(struct changeset *cs)
{
	size_t a = 0, b = 0;

	for (size_t i = 0; i < cs->n; i++) {
		a += cs->sec[i].len;
		b += cs->sec[i].ins < 0 ? cs->sec[i].len
					: (size_t)cs->sec[i].ins;
		if (a > CS_LEN_MAX || b > CS_LEN_MAX)
			return -E2BIG;
	}
	cs->length = a;
	cs->new_length = b;
	return 0;
}

int cs_new_empty(size_t length, struct changeset **out)
{
	struct changeset *cs = cs_alloc(false);
	int rc;

	*out = NULL;
	if (!cs)
		return -ENOMEM;
	if (length > CS_LEN_MAX) {
		cs_free(cs);
		return -E2BIG;
	}
	rc = sec_add(cs, length, CS_KEEP, false);
	if (rc) {
		cs_free(cs);
		return rc;
	}
	finish(cs);
	*out = cs;
	return 0;
}

int cs_copy(const struct changeset *src, bool as_desc, struct changeset **out)
{
	struct changeset *cs = cs_alloc(src->desc || as_desc);

	*out = NULL;
	if (!cs)
		return -ENOMEM;
	if (src->n) {
		cs->sec = malloc(src->n * sizeof *cs->sec);
		if (!cs->sec)
			goto out_free;
		memcpy(cs->sec, src->sec, src->n * sizeof *cs->sec);
		cs->n = cs->cap = src->n;
	}
	if (cs->desc) {
		for (size_t i = 0; i < cs->n; i++)
			cs->sec[i].text = cs->sec[i].nbytes = 0;
	} else if (src->text_len) {
		cs->text = malloc(src->text_len);
		if (!cs->text)
			goto out_free;
		memcpy(cs->text, src->text, src->text_len);
		cs->text_len = cs->text_cap = src->text_len;
	}
	cs->length = src->length;
	cs->new_length = src->new_length;
	*out = cs;
	return 0;
out_free:
	cs_free(cs);
	return -ENOMEM;
}

/* ---- JSON ---------------------------------------------------------- */

/* A JSON length: a non-negative integer, at most cap (else -E2BIG). */
static int get_len(const json_t *v, size_t cap, size_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return -EINVAL;
	n = json_integer_value(v);
	if (n < 0)
		return -EINVAL;
	if ((uint64_t)n > cap)
		return -E2BIG;
	*out = (size_t)n;
	return 0;
}

/* Checks the lines of a replace entry (entry[1..]): strings, valid UTF-8,
 * no "\n". *bytes and *units get the size of the lines joined by "\n". */
static int measure_lines(const json_t *entry, size_t max_text, size_t *bytes,
			 size_t *units)
{
	size_t m = json_array_size(entry), u16 = 0, total = 0;

	for (size_t k = 1; k < m; k++) {
		const json_t *line = json_array_get(entry, k);
		size_t n, lu;
		const char *s;
		int rc;

		if (!json_is_string(line))
			return -EINVAL;
		s = json_string_value(line);
		n = json_string_length(line);
		if (memchr(s, '\n', n))
			return -EINVAL;
		if (n + (k > 1) > max_text - total)
			return -E2BIG;
		rc = utext_measure(s, n, &lu);
		if (rc)
			return rc;
		total += n + (k > 1);
		u16 += lu + (k > 1);
	}
	*bytes = total;
	*units = u16;
	return 0;
}

/* Appends the lines of a measured replace entry to the last section. */
static int add_lines(struct changeset *cs, const json_t *entry)
{
	size_t m = json_array_size(entry);
	int rc = 0;

	for (size_t k = 1; k < m && !rc; k++) {
		const json_t *line = json_array_get(entry, k);

		if (k > 1)
			rc = text_add(cs, "\n", 1);
		if (!rc)
			rc = text_add(cs, json_string_value(line),
				      json_string_length(line));
	}
	return rc;
}

/* One entry of the JSON array: n, [n] or [n, lines...]. */
static int parse_entry(struct changeset *cs, const json_t *e, size_t max_length,
		       size_t max_text, size_t *text, size_t *len)
{
	size_t bytes, units;
	int rc;

	if (json_is_integer(e)) {
		rc = get_len(e, max_length, len);
		return rc ? rc : sec_add(cs, *len, CS_KEEP, false);
	}
	if (!json_is_array(e) || json_array_size(e) < 1)
		return -EINVAL;
	rc = get_len(json_array_get(e, 0), max_length, len);
	if (rc)
		return rc;
	if (json_array_size(e) == 1)
		return sec_add(cs, *len, 0, false);
	rc = measure_lines(e, max_text - *text, &bytes, &units);
	if (rc)
		return rc;
	*text += bytes;
	rc = sec_add(cs, *len, (int64_t)units, false);
	return rc ? rc : add_lines(cs, e);
}

int cs_parse(const json_t *json, const struct cs_limits *lim,
	     struct changeset **out)
{
	size_t max_sections = CS_SECTIONS_MAX, max_length = CS_POS_MAX;
	size_t max_text = CS_POS_MAX, length = 0, text = 0, n;
	struct changeset *cs;
	int rc;

	*out = NULL;
	if (lim && lim->max_sections && lim->max_sections < max_sections)
		max_sections = lim->max_sections;
	if (lim && lim->max_length && lim->max_length < max_length)
		max_length = lim->max_length;
	if (lim && lim->max_text && lim->max_text < max_text)
		max_text = lim->max_text;
	if (!json_is_array(json))
		return -EINVAL;
	n = json_array_size(json);
	if (n > max_sections)
		return -E2BIG;
	cs = cs_alloc(false);
	if (!cs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t len;

		rc = parse_entry(cs, json_array_get(json, i), max_length,
				 max_text, &text, &len);
		if (rc)
			goto out_free;
		if (len > max_length - length) {
			rc = -E2BIG;
			goto out_free;
		}
		length += len;
	}
	rc = finish(cs);
	if (rc)
		goto out_free;
	*out = cs;
	return 0;
out_free:
	cs_free(cs);
	return rc;
}

/* [len, line, line...]: the text split at "\n". */
static json_t *replace_json(const struct changeset *cs,
			    const struct cs_section *s)
{
	json_t *a = json_array();
	const char *p = cs->text + s->text, *end = p + s->nbytes;

	if (!a || json_array_append_new(a, json_integer((json_int_t)s->len)))
		goto out_free;
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;

		if (json_array_append_new(a,
					  json_stringn(p, (size_t)(stop - p))))
			goto out_free;
		if (!nl)
			break;
		p = nl + 1;
	}
	return a;
out_free:
	json_decref(a);
	return NULL;
}

json_t *cs_to_json(const struct changeset *cs)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (size_t i = 0; i < cs->n; i++) {
		const struct cs_section *s = &cs->sec[i];
		json_t *v;

		if (cs->desc) {
			if (json_array_append_new(
				a, json_integer((json_int_t)s->len)) ||
			    json_array_append_new(a, json_integer(s->ins)))
				goto out_free;
			continue;
		}
		if (s->ins < 0) {
			v = json_integer((json_int_t)s->len);
		} else if (s->ins == 0) {
			v = json_pack("[I]", (json_int_t)s->len);
		} else {
			v = replace_json(cs, s);
		}
		if (json_array_append_new(a, v))
			goto out_free;
	}
	return a;
out_free:
	json_decref(a);
	return NULL;
}

char *cs_dump(const struct changeset *cs, size_t *len)
{
	json_t *j = cs_to_json(cs);
	char *s;

	if (!j)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s && len)
		*len = strlen(s); /* NULs inside strings are escaped */
	return s;
}

/* ---- apply --------------------------------------------------------- */

int cs_apply(const struct changeset *cs, const struct utext *doc,
	     size_t max_len, struct utext *out)
{
	struct utext_edit *e;
	size_t ne = 0, pos = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (cs->desc || cs->length != doc->u16len)
		return -EINVAL;
	e = malloc((cs->n + 1) * sizeof *e);
	if (!e)
		return -ENOMEM;
	/* One edit per run of changed sections, as iterChanges() groups
	 * them: their texts are contiguous in cs->text. */
	for (size_t i = 0; i < cs->n;) {
		const struct cs_section *s = &cs->sec[i];
		struct utext_edit *d;

		if (s->ins < 0) {
			pos += s->len;
			i++;
			continue;
		}
		d = &e[ne++];
		d->from = d->to = pos;
		d->ins = cs->text ? cs->text + s->text : NULL;
		d->ins_len = d->ins_u16 = 0;
		for (; i < cs->n && cs->sec[i].ins >= 0; i++) {
			d->to += cs->sec[i].len;
			d->ins_len += cs->sec[i].nbytes;
			d->ins_u16 += (size_t)cs->sec[i].ins;
		}
		pos = d->to;
	}
	rc = utext_replace(doc, e, ne, max_len, out);
	free(e);
	return rc;
}

/* ---- section iterator ---------------------------------------------- */

struct it {
	const struct changeset *cs;
	size_t i;    /* sections loaded (the current one is i - 1) */
	int64_t len; /* old units left in the current section */
	int64_t ins; /* CS_KEEP, inserted units left, or DONE */
	int64_t off; /* units consumed of the current section */
	size_t toff; /* its text consumed, in bytes (compose), up
			to the start of a character */
	bool half;   /* and the first unit of that character too
			(half a surrogate pair was consumed) */
	bool notext; /* texts ignored (building a desc) */
};

static void it_next(struct it *it)
{
	if (it->i < it->cs->n) {
		const struct cs_section *s = &it->cs->sec[it->i++];

		it->len = (int64_t)s->len;
		it->ins = s->ins;
	} else {
		it->len = 0;
		it->ins = DONE;
	}
	it->off = 0;
	it->toff = 0;
	it->half = false;
}

static void it_init(struct it *it, const struct changeset *cs, bool notext)
{
	it->cs = cs;
	it->i = 0;
	it->notext = notext || cs->desc;
	it_next(it);
}

static bool it_done(const struct it *it)
{
	return it->ins == DONE;
}

/* Length in the document the iterator's side produces. */
static int64_t it_len2(const struct it *it)
{
	return it->ins < 0 ? it->len : it->ins;
}

/* The whole text of the current section (empty without one). */
static void it_text(const struct it *it, const char **s, size_t *n)
{
	const struct cs_section *sec;

	*s = NULL;
	*n = 0;
	if (it_done(it) || it->i == 0 || it->notext)
		return;
	sec = &it->cs->sec[it->i - 1];
	if (!sec->nbytes)
		return;
	*s = it->cs->text + sec->text;
	*n = sec->nbytes;
}

/*
 * Moves (*off, *half) forward by 'units' UTF-16 units in the valid UTF-8
 * s[0..n). It may stop between the two units of a 4-byte character (*half
 * set): a change may drop half of an inserted emoji if it drops the other
 * half too.
 */
static int text_skip(const char *str, size_t n, size_t *off, bool *half,
		     int64_t units)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t o = *off;
	bool h = *half;

	while (units > 0) {
		unsigned c;
		size_t k;

		if (o >= n)
			return -EINVAL;
		c = s[o];
		k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		if (k == 4 && !h && units == 1) {
			h = true;
			break;
		}
		units -= k == 4 && !h ? 2 : 1;
		o += k;
		h = false;
	}
	*off = o;
	*half = h;
	return 0;
}

/* The next 'units' units of the current section's text, to keep: -EINVAL
 * if they begin or end inside a surrogate pair. */
static int it_text_slice(const struct it *it, int64_t units, const char **p,
			 size_t *bytes)
{
	const char *s;
	size_t n, end = it->toff;
	bool half = it->half;

	it_text(it, &s, &n);
	*p = NULL;
	*bytes = 0;
	if (!s)
		return 0;
	if (half || text_skip(s, n, &end, &half, units) || half)
		return -EINVAL;
	*p = s + it->toff;
	*bytes = end - it->toff;
	return 0;
}

static void it_forward(struct it *it, int64_t len)
{
	if (len == it->len) {
		it_next(it);
	} else {
		it->len -= len;
		it->off += len;
	}
}

/* Forward in the produced document: through inserted text when there is
 * some. */
static int it_forward2(struct it *it, int64_t len)
{
	int rc;

	if (it->ins == CS_KEEP) {
		it_forward(it, len);
	} else if (len == it->ins) {
		it_next(it);
	} else {
		const char *s;
		size_t n;

		it_text(it, &s, &n);
		if (s) {
			rc = text_skip(s, n, &it->toff, &it->half, len);
			if (rc)
				return rc;
		}
		it->ins -= len;
		it->off += len;
	}
	return 0;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int add_text(struct changeset *cs, const struct it *it)
{
	const char *s;
	size_t n;

	it_text(it, &s, &n);
	return text_add(cs, s, n);
}

/* ---- map ----------------------------------------------------------- */

/*
 * a moved over b. Both are walked together; a change of b that comes
 * first (by position, then length, then the 'before' flag) turns into a
 * kept stretch of its inserted length, and a change of a is emitted once
 * (its text once, at its first piece), shrunk by what b deleted of it.
 */
static int map_set(const struct changeset *sa, const struct changeset *sb,
		   bool before, bool desc, struct changeset **out)
{
	struct changeset *r;
	struct it a, b;
	size_t inserted = 0; /* 1 + index of a's last emitted change; 0 none */
	int rc = 0;

	*out = NULL;
	if (sa->length != sb->length)
		return -EINVAL;
	r = cs_alloc(desc);
	if (!r)
		return -ENOMEM;
	it_init(&a, sa, desc);
	it_init(&b, sb, desc);
	for (;;) {
		if ((it_done(&a) && b.len) || (it_done(&b) && a.len)) {
			rc = -EINVAL;
		} else if (a.ins == CS_KEEP && b.ins == CS_KEEP) {
			int64_t len = min64(a.len, b.len);

			rc = sec_add(r, (size_t)len, CS_KEEP, false);
			it_forward(&a, len);
			it_forward(&b, len);
		} else if (b.ins >= 0 &&
			   (a.ins < 0 || inserted == a.i ||
			    (a.off == 0 &&
			     (b.len < a.len || (b.len == a.len && !before))))) {
			int64_t len = b.len;

			rc = sec_add(r, (size_t)b.ins, CS_KEEP, false);
			while (len && !rc) {
				int64_t piece = min64(a.len, len);

				if (piece == 0 && it_done(&a)) {
					rc = -EINVAL;
					break;
				}
				if (a.ins >= 0 && inserted < a.i &&
				    a.len <= piece) {
					rc = sec_add(r, 0, a.ins, false);
					if (!rc)
						rc = add_text(r, &a);
					inserted = a.i;
				}
				it_forward(&a, piece);
				len -= piece;
			}
			it_next(&b);
		} else if (a.ins >= 0) {
			int64_t len = 0, left = a.len;
			bool first = inserted < a.i;

			while (left) {
				if (b.ins == CS_KEEP) {
					int64_t piece = min64(left, b.len);

					len += piece;
					left -= piece;
					it_forward(&b, piece);
				} else if (b.ins == 0 && b.len < left) {
					left -= b.len;
					it_next(&b);
				} else {
					break;
				}
			}
			rc = sec_add(r, (size_t)len, first ? a.ins : 0, false);
			if (!rc && first)
				rc = add_text(r, &a);
			inserted = a.i;
			it_forward(&a, a.len - left);
		} else if (it_done(&a) && it_done(&b)) {
			break;
		} else {
			rc = -EINVAL;
		}
		if (rc)
			goto out_free;
	}
	rc = finish(r);
	if (rc)
		goto out_free;
	*out = r;
	return 0;
out_free:
	cs_free(r);
	return rc;
}

int cs_map(const struct changeset *a, const struct changeset *b, bool before,
	   struct changeset **out)
{
	*out = NULL;
	if (a->desc || a->length != b->length)
		return -EINVAL;
	if (cs_empty(b))
		return cs_copy(a, false, out);
	return map_set(a, b, before, false, out);
}

int cs_map_desc(const struct changeset *a, const struct changeset *b,
		bool before, struct changeset **out)
{
	*out = NULL;
	if (a->length != b->length)
		return -EINVAL;
	if (cs_empty(b))
		return cs_copy(a, true, out);
	return map_set(a, b, before, true, out);
}

/* ---- compose ------------------------------------------------------- */

/*
 * a then b. Deletions of a and insertions of b pass straight through;
 * otherwise both advance by the shorter of what a produced and what b
 * consumes. 'open' is set while the output is inside one change of a or
 * of b, so that its pieces join into one section.
 */
static int compose_set(const struct changeset *sa, const struct changeset *sb,
		       bool desc, struct changeset **out)
{
	struct changeset *r;
	struct it a, b;
	bool open = false;
	int rc = 0;

	*out = NULL;
	if (sa->new_length != sb->length)
		return -EINVAL;
	r = cs_alloc(desc);
	if (!r)
		return -ENOMEM;
	it_init(&a, sa, desc);
	it_init(&b, sb, desc);
	for (;;) {
		if (it_done(&a) && it_done(&b)) {
			break;
		} else if (a.ins == 0) { /* deletion in a */
			rc = sec_add(r, (size_t)a.len, 0, open);
			it_next(&a);
		} else if (b.len == 0 && !it_done(&b)) { /* insertion in b */
			rc = sec_add(r, 0, b.ins, open);
			if (!rc)
				rc = add_text(r, &b);
			it_next(&b);
		} else if (it_done(&a) || it_done(&b)) {
			rc = -EINVAL;
		} else {
			int64_t len = min64(it_len2(&a), b.len);
			size_t before_n = r->n;

			if (a.ins == CS_KEEP) {
				int64_t ins_b = b.ins == CS_KEEP ? CS_KEEP
						: b.off		 ? 0
								 : b.ins;

				rc = sec_add(r, (size_t)len, ins_b, open);
				if (!rc && ins_b > 0)
					rc = add_text(r, &b);
			} else if (b.ins == CS_KEEP) {
				rc = sec_add(r, a.off ? 0 : (size_t)a.len, len,
					     open);
				if (!rc && !r->desc) {
					const char *p;
					size_t bytes;

					rc = it_text_slice(&a, len, &p, &bytes);
					if (!rc)
						rc = text_add(r, p, bytes);
				}
			} else {
				rc = sec_add(r, a.off ? 0 : (size_t)a.len,
					     b.off ? 0 : b.ins, open);
				if (!rc && !b.off)
					rc = add_text(r, &b);
			}
			open = (a.ins > len || (b.ins >= 0 && b.len > len)) &&
			       (open || r->n > before_n);
			if (!rc)
				rc = it_forward2(&a, len);
			it_forward(&b, len);
		}
		if (rc)
			goto out_free;
	}
	rc = finish(r);
	if (rc)
		goto out_free;
	*out = r;
	return 0;
out_free:
	cs_free(r);
	return rc;
}

int cs_compose(const struct changeset *a, const struct changeset *b,
	       struct changeset **out)
{
	*out = NULL;
	if (a->desc || b->desc || a->new_length != b->length)
		return -EINVAL;
	if (cs_empty(a))
		return cs_copy(b, false, out);
	if (cs_empty(b))
		return cs_copy(a, false, out);
	return compose_set(a, b, false, out);
}

int cs_compose_desc(const struct changeset *a, const struct changeset *b,
		    struct changeset **out)
{
	*out = NULL;
	if (a->new_length != b->length)
		return -EINVAL;
	if (cs_empty(a))
		return cs_copy(b, true, out);
	if (cs_empty(b))
		return cs_copy(a, true, out);
	return compose_set(a, b, true, out);
}

/* ---- positions ----------------------------------------------------- */

int cs_map_pos(const struct changeset *cs, size_t pos, int assoc, size_t *out)
{
	size_t a = 0, b = 0;

	for (size_t i = 0; i < cs->n; i++) {
		size_t len = cs->sec[i].len, end = a + len;
		int64_t ins = cs->sec[i].ins;

		if (ins < 0) {
			if (end > pos) {
				*out = b + (pos - a);
				return 0;
			}
			b += len;
		} else {
			if (end > pos || (end == pos && assoc < 0 && !len)) {
				*out =
				    pos == a || assoc < 0 ? b : b + (size_t)ins;
				return 0;
			}
			b += (size_t)ins;
		}
		a = end;
	}
	if (pos > a)
		return -EINVAL;
	*out = b;
	return 0;
}
