/*
 * fuzz_changeset.c - change sets over UTF-8 documents (src/room/).
 *
 * Input: a mode byte, then
 *  - mode & 1: JSON text for cs_parse(). A value it accepts must serialise
 *    to a canonical form that parses back to the same sections and text
 *    (the canonical form is a fixed point), with consistent lengths. The
 *    same JSON is also pushed, at the version (mode >> 1) % 5, to a collab
 *    authority with a short log: accepted or refused whole, the text stays
 *    valid, a pull from before the push gives back what was accepted.
 *  - otherwise: bytes that drive a generator of a document (ASCII, 2-, 3-
 *    and 4-byte characters, NULs, newlines) and of change sets A and B for
 *    it, written as JSON and parsed like any client's. Checks:
 *      apply(A) agrees with a reference that works on UTF-16 code units
 *      (and refuses exactly the sets that cut a surrogate pair);
 *      the index of every text built stays exact;
 *      the set and desc forms of map and compose have the same sections;
 *      A then B.map(A) gives the text B then A.map(B, before) gives;
 *      apply(compose(A, C)) == apply(C, apply(A)) for C made on A's result;
 *      mapPos(pos) is monotonic and stays within the new length.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "room/changeset.h"
#include "room/collab.h"
#include "room/utext.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

/* ---- a byte reader that never runs dry ----------------------------- */

struct rd {
	const uint8_t *p;
	size_t n, at;
};

static unsigned byte(struct rd *r)
{
	return r->at < r->n ? r->p[r->at++] : 0;
}

/* ---- UTF-16 reference ---------------------------------------------- */

struct u16 {
	uint16_t *u;
	size_t n, cap;
};

static void u16_push(struct u16 *s, uint16_t c)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->u = realloc(s->u, s->cap * sizeof *s->u);
		CHECK(s->u);
	}
	s->u[s->n++] = c;
}

/* Valid UTF-8 to UTF-16. */
static void to_u16(const char *str, size_t len, struct u16 *out)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		uint32_t c = s[i];
		size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

		if (k == 2)
			c = (c & 0x1F) << 6 | (s[i + 1] & 0x3F);
		else if (k == 3)
			c = (c & 0x0F) << 12 | (s[i + 1] & 0x3F) << 6 |
			    (s[i + 2] & 0x3F);
		else if (k == 4)
			c = (c & 0x07) << 18 | (s[i + 1] & 0x3F) << 12 |
			    (s[i + 2] & 0x3F) << 6 | (s[i + 3] & 0x3F);
		if (c >= 0x10000) {
			u16_push(out,
				 (uint16_t)(0xD800 + ((c - 0x10000) >> 10)));
			u16_push(out,
				 (uint16_t)(0xDC00 + ((c - 0x10000) & 0x3FF)));
		} else {
			u16_push(out, (uint16_t)c);
		}
		i += k;
	}
}

/* UTF-16 (well-formed) to UTF-8, malloc'd. */
static char *to_u8(const struct u16 *s, size_t *len)
{
	char *o = malloc(4 * s->n + 1);
	size_t n = 0;

	CHECK(o);
	for (size_t i = 0; i < s->n; i++) {
		uint32_t c = s->u[i];

		if (c >= 0xD800 && c <= 0xDBFF) {
			CHECK(i + 1 < s->n);
			c = 0x10000 + ((c - 0xD800) << 10) +
			    (s->u[++i] - 0xDC00);
		}
		if (c < 0x80) {
			o[n++] = (char)c;
		} else if (c < 0x800) {
			o[n++] = (char)(0xC0 | c >> 6);
			o[n++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			o[n++] = (char)(0xE0 | c >> 12);
			o[n++] = (char)(0x80 | (c >> 6 & 0x3F));
			o[n++] = (char)(0x80 | (c & 0x3F));
		} else {
			o[n++] = (char)(0xF0 | c >> 18);
			o[n++] = (char)(0x80 | (c >> 12 & 0x3F));
			o[n++] = (char)(0x80 | (c >> 6 & 0x3F));
			o[n++] = (char)(0x80 | (c & 0x3F));
		}
	}
	o[n] = 0;
	*len = n;
	return o;
}

static int mid_pair(const struct u16 *d, size_t pos)
{
	return pos > 0 && pos < d->n && d->u[pos - 1] >= 0xD800 &&
	       d->u[pos - 1] <= 0xDBFF && d->u[pos] >= 0xDC00 &&
	       d->u[pos] <= 0xDFFF;
}

/*
 * The reference apply: on code units. Returns 0 and the UTF-8 result, or
 * -EINVAL when a change boundary (as iterChanges groups them) splits a
 * surrogate pair of the document.
 */
static int ref_apply(const struct changeset *cs, const struct utext *doc,
		     char **out, size_t *out_len)
{
	struct u16 d = {0}, r = {0};
	size_t pos = 0;
	int rc = 0;

	to_u16(doc->s, doc->len, &d);
	CHECK(d.n == doc->u16len);
	for (size_t i = 0; i < cs->n;) {
		const struct cs_section *s = &cs->sec[i];
		size_t to;

		if (s->ins < 0) {
			for (size_t k = 0; k < s->len; k++)
				u16_push(&r, d.u[pos + k]);
			pos += s->len;
			i++;
			continue;
		}
		to = pos;
		if (mid_pair(&d, pos))
			rc = -EINVAL;
		for (; i < cs->n && cs->sec[i].ins >= 0; i++) {
			to += cs->sec[i].len;
			if (cs->sec[i].nbytes)
				to_u16(cs->text + cs->sec[i].text,
				       cs->sec[i].nbytes, &r);
		}
		if (mid_pair(&d, to))
			rc = -EINVAL;
		pos = to;
	}
	CHECK(pos == d.n);
	*out = rc ? NULL : to_u8(&r, out_len);
	free(d.u);
	free(r.u);
	return rc;
}

/* ---- invariants ---------------------------------------------------- */

static void check_text(const struct utext *t)
{
	size_t u16, prev = 0;

	CHECK(utext_measure(t->s, t->len, &u16) == 0);
	CHECK(u16 == t->u16len);
	CHECK(t->s[t->len] == 0);
	for (size_t i = 0; i < t->nmark; i++) {
		size_t p;

		CHECK(t->mark[i].off > prev && t->mark[i].off < t->len);
		CHECK(t->mark[i].off - prev <= UTEXT_GAP);
		CHECK(utext_measure(t->s, t->mark[i].off, &p) == 0);
		CHECK(p == t->mark[i].pos);
		prev = t->mark[i].off;
	}
	CHECK(t->len - prev <= UTEXT_GAP);
}

static void check_set(const struct changeset *cs)
{
	size_t a = 0, b = 0, text = 0;

	for (size_t i = 0; i < cs->n; i++) {
		const struct cs_section *s = &cs->sec[i];

		CHECK(s->ins >= CS_KEEP);
		CHECK(s->len > 0 || s->ins > 0); /* canonical: never empty */
		if (i > 0) {
			const struct cs_section *p = &cs->sec[i - 1];
			/* never two kept or two deletions in a row, nor two
			 * insertions at one point */
			CHECK(!(s->ins <= 0 && s->ins == p->ins));
			CHECK(!(s->len == 0 && p->len == 0));
		}
		a += s->len;
		b += s->ins < 0 ? s->len : (size_t)s->ins;
		if (!cs->desc && s->ins > 0) {
			size_t u;
			CHECK(s->text == text);
			CHECK(utext_measure(cs->text + s->text, s->nbytes,
					    &u) == 0);
			CHECK(u == (size_t)s->ins);
			text += s->nbytes;
		} else {
			CHECK(s->nbytes == 0);
		}
	}
	CHECK(a == cs->length && b == cs->new_length);
	CHECK(cs->desc || text == cs->text_len);
}

static void check_same_sections(const struct changeset *a,
				const struct changeset *b)
{
	CHECK(a->n == b->n);
	for (size_t i = 0; i < a->n; i++)
		CHECK(a->sec[i].len == b->sec[i].len &&
		      a->sec[i].ins == b->sec[i].ins);
}

/* Canonical JSON is a fixed point of parse + serialise. */
static void check_round_trip(const struct changeset *cs)
{
	json_t *j = cs_to_json(cs);
	struct changeset *back;

	CHECK(j);
	CHECK(cs_parse(j, NULL, &back) == 0);
	check_same_sections(cs, back);
	CHECK(back->text_len == cs->text_len);
	CHECK(!cs->text_len || !memcmp(back->text, cs->text, cs->text_len));
	json_decref(j);
	cs_free(back);
}

/* ---- generators ---------------------------------------------------- */

static const char *const pieces[] = {
    "a",
    "b",
    "xyz",
    " ",
    "\n",
    "\t",
    "\xC3\xA9",
    "\xE4\xB8\xAD",
    "\xF0\x9F\x98\x80",
    "\xF0\x9F\x87\xAB",
    "e\xCC\x81",
    "\r",
    "\"",
    "\\",
    "\xE2\x80\xA8",
};

/* Text of 'count' pieces; a line string (line) never holds "\n". */
static size_t gen_text(struct rd *r, char *buf, size_t max, size_t count,
		       bool line)
{
	size_t n = 0;

	for (size_t i = 0; i < count; i++) {
		const char *p =
		    pieces[byte(r) % (sizeof pieces / sizeof pieces[0])];
		size_t l;

		if (line && *p == '\n')
			p = "|";
		l = strlen(p);

		if (n + l > max)
			break;
		memcpy(buf + n, p, l);
		n += l;
	}
	return n;
}

/* A JSON change set for a document of 'len' units, from the bytes. */
static json_t *gen_changes(struct rd *r, size_t len)
{
	json_t *a = json_array();
	size_t pos = 0;
	char buf[128];

	while (pos < len || (byte(r) & 3) == 0) {
		unsigned op = byte(r) % 5;
		size_t k = byte(r) % 9, left = len - pos;

		if (k > left)
			k = left;
		if (op <= 1 || (op == 2 && !k)) { /* keep */
			if (!k)
				k = left ? 1 : 0;
			if (!k)
				break;
			json_array_append_new(a, json_integer((json_int_t)k));
		} else if (op == 2) { /* delete */
			json_array_append_new(a,
					      json_pack("[I]", (json_int_t)k));
		} else { /* insert / replace, sometimes several lines */
			json_t *e =
			    json_pack("[I]", (json_int_t)(op == 3 ? 0 : k));
			size_t lines = 1 + byte(r) % 3;

			if (op == 3)
				k = 0;
			for (size_t l = 0; l < lines; l++) {
				size_t n = gen_text(r, buf, sizeof buf,
						    byte(r) % 6, true);
				json_array_append_new(e, json_stringn(buf, n));
			}
			json_array_append_new(a, e);
		}
		pos += k;
		if (r->at >= r->n &&
		    pos < len) { /* out of bytes: keep the rest */
			json_array_append_new(
			    a, json_integer((json_int_t)(len - pos)));
			pos = len;
		}
	}
	return a;
}

static struct changeset *gen_set(struct rd *r, size_t len)
{
	json_t *j = gen_changes(r, len);
	struct changeset *cs;

	CHECK(cs_parse(j, NULL, &cs) == 0);
	json_decref(j);
	CHECK(cs->length == len);
	check_set(cs);
	check_round_trip(cs);
	return cs;
}

/* ---- properties ---------------------------------------------------- */

/* apply agrees with the reference; *out gets the result (or is empty). */
static int apply_checked(const struct changeset *cs, const struct utext *doc,
			 struct utext *out)
{
	char *want;
	size_t want_len;
	int rw = ref_apply(cs, doc, &want, &want_len);
	int rc = cs_apply(cs, doc, CS_POS_MAX, out);

	CHECK(rc == rw);
	if (!rc) {
		CHECK(out->len == want_len && !memcmp(out->s, want, want_len));
		CHECK(out->u16len == cs->new_length);
		check_text(out);
	} else {
		CHECK(out->s == NULL);
	}
	free(want);
	return rc;
}

static void check_map_pos(const struct changeset *cs)
{
	size_t prev = 0, lo, hi;

	for (size_t pos = 0; pos <= cs->length && pos < 300; pos++) {
		CHECK(cs_map_pos(cs, pos, -1, &lo) == 0);
		CHECK(cs_map_pos(cs, pos, 1, &hi) == 0);
		CHECK(lo <= hi && hi <= cs->new_length);
		CHECK(lo >= prev); /* monotonic */
		prev = lo;
	}
	CHECK(cs_map_pos(cs, cs->length + 1, 1, &lo) == -EINVAL);
}

static bool same_text(const struct utext *a, const struct utext *b)
{
	return a->len == b->len && !memcmp(a->s, b->s, a->len);
}

static void run_generated(struct rd *r)
{
	char dbuf[512];
	size_t dlen = gen_text(r, dbuf, sizeof dbuf, byte(r) % 40, false);
	struct changeset *a, *b, *c = NULL, *x, *y, *xd, *yd, *ab, *ba, *ac;
	struct utext doc, da, db, t1, t2;
	bool before = byte(r) & 1;
	int ra, rb;

	CHECK(utext_init(&doc, dbuf, dlen, 1 << 20) == 0);
	check_text(&doc);
	a = gen_set(r, doc.u16len);
	b = gen_set(r, doc.u16len);
	check_map_pos(a);

	/* map: set and desc forms agree */
	CHECK(cs_map(b, a, before, &x) == 0);  /* b, moved after a */
	CHECK(cs_map(a, b, !before, &y) == 0); /* a, moved after b */
	CHECK(cs_map_desc(b, a, before, &xd) == 0);
	CHECK(cs_map_desc(a, b, !before, &yd) == 0);
	check_set(x);
	check_set(y);
	check_same_sections(x, xd);
	check_same_sections(y, yd);
	CHECK(cs_compose(a, x, &ab) == 0);
	CHECK(cs_compose(b, y, &ba) == 0);
	check_set(ab);
	check_set(ba);
	CHECK(ab->new_length == ba->new_length);

	/* both orders meet on the same text (a single map keeps well-formed
	 * edits well-formed) */
	ra = apply_checked(a, &doc, &da);
	rb = apply_checked(b, &doc, &db);
	if (!ra && !rb) {
		CHECK(apply_checked(x, &da, &t1) == 0);
		CHECK(apply_checked(y, &db, &t2) == 0);
		CHECK(same_text(&t1, &t2));
		utext_release(&t2);
		CHECK(apply_checked(ab, &doc, &t2) == 0);
		CHECK(same_text(&t1, &t2));
		utext_release(&t2);
		CHECK(apply_checked(ba, &doc, &t2) == 0);
		CHECK(same_text(&t1, &t2));
		utext_release(&t1);
		utext_release(&t2);
	}

	/* compose with a set made on a's result */
	if (!ra) {
		int rc_c, rc;

		c = gen_set(r, da.u16len);
		rc_c = apply_checked(c, &da, &t1);
		rc = cs_compose(a, c, &ac);
		if (rc) {
			/* only when c cuts a pair that a inserted */
			CHECK(rc == -EINVAL && rc_c == -EINVAL);
		} else {
			struct changeset *acd;

			check_set(ac);
			CHECK(cs_compose_desc(a, c, &acd) == 0);
			check_same_sections(ac, acd);
			cs_free(acd);
			rc = apply_checked(ac, &doc, &t2);
			CHECK((rc == 0) == (rc_c == 0));
			if (!rc)
				CHECK(same_text(&t1, &t2));
			utext_release(&t2);
			cs_free(ac);
		}
		utext_release(&t1);
	}
	utext_release(&da);
	utext_release(&db);
	utext_release(&doc);
	cs_free(a);
	cs_free(b);
	cs_free(c);
	cs_free(x);
	cs_free(y);
	cs_free(xd);
	cs_free(yd);
	cs_free(ab);
	cs_free(ba);
}

/* An authority over a short text with four updates in its log. */
static struct collab *authority(void)
{
	static const char *const log[] = {
	    "[{\"clientID\":\"A\",\"changes\":[2,[0,\"x\"],6]}]",
	    "[{\"clientID\":\"B\",\"changes\":[[1],8]}]",
	    "[{\"clientID\":\"A\",\"changes\":[2,[2,\"\U0001F389\",\"\"],4]}]",
	    "[{\"clientID\":\"C\",\"changes\":[9,[0,\"\xC3\xA9\"]]}]",
	};
	struct collab_caps caps;
	struct collab *c;

	collab_caps_default(&caps);
	caps.max_doc_bytes = 4096;
	caps.max_updates = 8;
	caps.max_changes = 64;
	caps.max_log = 8;
	CHECK(collab_new(&caps,
			 "ab\xF0\x9F\x98\x80"
			 "cd\n\xE4\xB8\xAD",
			 12, 0, &c) == 0);
	for (size_t i = 0; i < sizeof log / sizeof log[0]; i++) {
		json_t *u = json_loads(log[i], 0, NULL);
		struct collab_pending p;

		CHECK(u && collab_push(c, i, u, &p) == 0 && p.n == 1);
		collab_pending_release(&p);
		json_decref(u);
	}
	return c;
}

static void push_json(const json_t *j, uint64_t version)
{
	struct collab *c = authority();
	struct collab_pending p;
	size_t len_before, len, u16, a = 1, h = 3;
	const char *before = collab_text(c, &len_before);
	char *copy = strndup(before, len_before);
	uint64_t v0 = collab_version(c);
	int rc = collab_push(c, version, j, &p);
	const char *text = collab_text(c, &len);

	CHECK(utext_measure(text, len, &u16) == 0 && u16 == collab_length(c));
	CHECK(!memchr(text, '\r', len));
	if (rc) {
		/* refused whole */
		CHECK(rc == -EINVAL || rc == -E2BIG || rc == -ESTALE);
		CHECK(collab_version(c) == v0);
		CHECK(len == len_before && !memcmp(text, copy, len));
	} else {
		json_t *pulled;

		CHECK(p.base == v0 && p.version == v0 + p.n);
		CHECK(collab_version(c) == p.version);
		CHECK(collab_pull(c, v0, &pulled) == 0);
		CHECK(json_array_size(pulled) == p.n);
		for (size_t i = 0; i < p.n; i++) {
			json_t *one = collab_update_json(&p.updates[i]);

			CHECK(json_equal(one, json_array_get(pulled, i)));
			json_decref(one);
			check_set(p.updates[i].changes);
		}
		json_decref(pulled);
		collab_pending_release(&p);
	}
	rc = collab_map_selection(c, 2, &a, &h);
	CHECK(rc == 0 || rc == -ESTALE);
	if (!rc)
		CHECK(a <= collab_length(c) && h <= collab_length(c));
	free(copy);
	collab_free(c);
}

static void run_json(const uint8_t *data, size_t size, unsigned mode)
{
	json_t *j = json_loadb((const char *)data, size,
			       JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	struct changeset *cs;

	if (!j)
		return;
	if (cs_parse(j, NULL, &cs) == 0) {
		check_set(cs);
		check_round_trip(cs);
		if (cs->length < 100000) {
			struct changeset *e;
			/* mapping over nothing, composing with nothing */
			CHECK(cs_new_empty(cs->length, &e) == 0);
			cs_free(e);
		}
		cs_free(cs);
	}
	push_json(j, (mode >> 1) % 5);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = {data, size, 0};
	unsigned mode;

	if (size > 1 << 16)
		return 0;
	mode = byte(&r);
	if (mode & 1)
		run_json(data + 1, size - 1, mode);
	else
		run_generated(&r);
	return 0;
}
