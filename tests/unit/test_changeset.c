/*
 * test_changeset.c - CodeMirror change sets in C: every vector of
 * tests/data/collab/ (made by the real @codemirror/state) parsed, measured,
 * compared section by section, applied and serialised back; the
 * ill-formed ones refused; tables of malformed input, canonical forms,
 * compose, map and mapPos results (expected values from the real library).
 *
 * Run from the repository root (COLLAB_VECTORS=dir overrides the data
 * directory).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "room/changeset.h"

static bool is_hex4(const char *p, unsigned lo, unsigned hi)
{
	char buf[5];
	char *end;
	unsigned long v;

	memcpy(buf, p, 4);
	buf[4] = 0;
	v = strtoul(buf, &end, 16);
	return end == buf + 4 && v >= lo && v <= hi;
}

/*
 * The ill-formed vectors hold their (ill-formed) doc_after as lone
 * surrogate escapes, which no UTF-8 JSON parser accepts: each escape of a
 * lone surrogate becomes U+FFFD before parsing. Pairs are left alone.
 */
static void mask_lone_surrogates(char *s, size_t n)
{
	for (size_t i = 0; i + 6 <= n; i++) {
		bool pair;

		if (s[i] != '\\' || (s[i + 1] != 'u' && s[i + 1] != 'U') ||
		    !is_hex4(s + i + 2, 0xD800, 0xDFFF))
			continue;
		pair = i + 12 <= n && is_hex4(s + i + 2, 0xD800, 0xDBFF) &&
		       s[i + 6] == '\\' && s[i + 7] == 'u' &&
		       is_hex4(s + i + 8, 0xDC00, 0xDFFF);
		if (pair) {
			i += 11;
			continue;
		}
		memcpy(s + i + 2, "fffd", 4);
		i += 5;
	}
}

static json_t *load_vectors(const char *name)
{
	const char *dir = getenv("COLLAB_VECTORS");
	char path[512], *text = NULL;
	size_t len = 0, cap = 0, got;
	json_error_t err;
	json_t *v;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/data/collab",
		 name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			text = realloc(text, cap);
			assert_non_null(text);
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	mask_lone_surrogates(text, len);
	v = json_loadb(text, len, JSON_ALLOW_NUL, &err);
	free(text);
	if (!v)
		fail_msg("cannot parse %s: %s", path, err.text);
	assert_true(json_is_array(v));
	return v;
}

static json_t *js(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

	if (!v)
		fail_msg("bad JSON in the test: %s: %s", text, err.text);
	return v;
}

static struct changeset *parse_ok(const char *text)
{
	json_t *j = js(text);
	struct changeset *cs;
	int rc = cs_parse(j, NULL, &cs);

	json_decref(j);
	if (rc)
		fail_msg("cs_parse(%s) = %d", text, rc);
	return cs;
}

static void assert_json(json_t *got, const char *want, const char *what)
{
	json_t *w = js(want);

	if (!got || !json_equal(got, w)) {
		char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY)
			      : NULL;
		fail_msg("%s: got %s, want %s", what, g ? g : "(null)", want);
	}
	json_decref(w);
}

static void assert_sections(const struct changeset *cs, const json_t *want,
			    const char *what)
{
	if (json_array_size(want) != 2 * cs->n)
		fail_msg("%s: %zu sections, want %zu", what, cs->n,
			 json_array_size(want) / 2);
	for (size_t i = 0; i < cs->n; i++) {
		json_int_t len =
		    json_integer_value(json_array_get(want, 2 * i));
		json_int_t ins =
		    json_integer_value(json_array_get(want, 2 * i + 1));

		if ((json_int_t)cs->sec[i].len != len || cs->sec[i].ins != ins)
			fail_msg("%s: section %zu is (%zu, %lld), want (%lld, "
				 "%lld)",
				 what, i, cs->sec[i].len,
				 (long long)cs->sec[i].ins, (long long)len,
				 (long long)ins);
	}
}

static void doc_of(const json_t *s, struct utext *t)
{
	assert_int_equal(utext_init(t, json_string_value(s),
				    json_string_length(s), CS_POS_MAX),
			 0);
}

/* ---- the CodeMirror vectors ---------------------------------------- */

static void test_vectors(void **state)
{
	json_t *vs = load_vectors("changeset-vectors.json");
	size_t i;
	json_t *v;

	assert_true(json_array_size(vs) >= 30);
	json_array_foreach(vs, i, v)
	{
		const char *name =
		    json_string_value(json_object_get(v, "name"));
		const json_t *cj = json_object_get(v, "changes_json");
		const json_t *after = json_object_get(v, "doc_after");
		struct changeset *cs;
		struct utext doc, out;
		json_t *back;
		char *dump;

		assert_int_equal(cs_parse(cj, NULL, &cs), 0);
		assert_int_equal(cs->length, json_integer_value(json_object_get(
						 v, "len_before")));
		assert_int_equal(
		    cs->new_length,
		    json_integer_value(json_object_get(v, "len_after")));
		assert_sections(cs, json_object_get(v, "sections"), name);
		/* serialise: the same JSON, canonical */
		back = cs_to_json(cs);
		if (!json_equal(back, cj))
			fail_msg("%s: toJSON round trip differs", name);
		json_decref(back);
		dump = cs_dump(cs, NULL);
		back = js(dump);
		assert_true(json_equal(back, cj));
		json_decref(back);
		free(dump);
		/* apply */
		doc_of(json_object_get(v, "doc_before"), &doc);
		assert_int_equal(cs_apply(cs, &doc, CS_POS_MAX, &out), 0);
		if (out.len != json_string_length(after) ||
		    memcmp(out.s, json_string_value(after), out.len))
			fail_msg("%s: applied '%s', want '%s'", name, out.s,
				 json_string_value(after));
		assert_int_equal(out.u16len, cs->new_length);
		utext_release(&out);
		utext_release(&doc);
		cs_free(cs);
	}
	json_decref(vs);
}

static void test_vectors_illformed(void **state)
{
	json_t *vs = load_vectors("changeset-vectors-illformed.json");
	size_t i;
	json_t *v;

	assert_true(json_array_size(vs) >= 2);
	json_array_foreach(vs, i, v)
	{
		const char *name =
		    json_string_value(json_object_get(v, "name"));
		struct changeset *cs;
		struct utext doc, out;

		assert_false(
		    json_is_true(json_object_get(v, "well_formed_utf16")));
		/* the set itself is fine; applying it here is not */
		assert_int_equal(
		    cs_parse(json_object_get(v, "changes_json"), NULL, &cs), 0);
		assert_sections(cs, json_object_get(v, "sections"), name);
		doc_of(json_object_get(v, "doc_before"), &doc);
		if (cs_apply(cs, &doc, CS_POS_MAX, &out) != -EINVAL)
			fail_msg("%s: not refused", name);
		assert_null(out.s);
		/* and the document is untouched */
		assert_int_equal(doc.len, json_string_length(json_object_get(
					      v, "doc_before")));
		utext_release(&doc);
		cs_free(cs);
	}
	json_decref(vs);
}

/* ---- malformed input ----------------------------------------------- */

struct bad {
	const char *json;
	struct cs_limits lim;
	int rc;
};

static const struct bad bads[] = {
    {"{}", {0}, -EINVAL},
    {"\"x\"", {0}, -EINVAL},
    {"3", {0}, -EINVAL},
    {"[-1]", {0}, -EINVAL},
    {"[1.0]", {0}, -EINVAL},
    {"[true]", {0}, -EINVAL},
    {"[null]", {0}, -EINVAL},
    {"[\"a\"]", {0}, -EINVAL},
    {"[{}]", {0}, -EINVAL},
    {"[[]]", {0}, -EINVAL},
    {"[[-1]]", {0}, -EINVAL},
    {"[[1.5]]", {0}, -EINVAL},
    {"[[\"a\"]]", {0}, -EINVAL},
    {"[[0,1]]", {0}, -EINVAL},
    {"[[0,\"a\",null]]", {0}, -EINVAL},
    {"[[0,[\"a\"]]]", {0}, -EINVAL},
    {"[[0,\"a\\nb\"]]", {0}, -EINVAL}, /* "\n" inside a line */
    {"[2,[1],[0,\"ok\",\"x\\n\"]]", {0}, -EINVAL},
    {"[1073741825]", {0}, -E2BIG},   /* past CS_POS_MAX */
    {"[1073741824,1]", {0}, -E2BIG}, /* the sum too */
    {"[9223372036854775807]", {0}, -E2BIG},
    {"[1,2,3]", {.max_sections = 2}, -E2BIG},
    {"[5]", {.max_length = 4}, -E2BIG},
    {"[3,[2]]", {.max_length = 4}, -E2BIG},
    {"[[0,\"abcd\"]]", {.max_text = 3}, -E2BIG},
    {"[[0,\"ab\",\"c\"]]", {.max_text = 3}, -E2BIG}, /* "ab\nc" */
    {"[[0,\"ab\"],[0,\"cd\"]]", {.max_text = 3}, -E2BIG},
};

static void test_malformed(void **state)
{
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		json_t *j = js(bads[i].json);
		struct changeset *cs = (void *)1;
		int rc = cs_parse(j, &bads[i].lim, &cs);

		if (rc != bads[i].rc)
			fail_msg("cs_parse(%s) = %d, want %d", bads[i].json, rc,
				 bads[i].rc);
		assert_null(cs);
		json_decref(j);
	}
	/* just inside the caps */
	{
		struct cs_limits lim = {
		    .max_sections = 3, .max_length = 6, .max_text = 4};
		json_t *j = js("[3,[3,\"ab\",\"c\"]]");
		struct changeset *cs;

		assert_int_equal(cs_parse(j, &lim, &cs), 0);
		cs_free(cs);
		json_decref(j);
	}
}

static void test_invalid_utf8_string(void **state)
{
	/* jansson refuses invalid UTF-8 when it decodes, but a caller may
	 * build values without that check. */
	json_t *j = json_array();
	struct changeset *cs;

	json_array_append_new(
	    j, json_pack("[i,o]", 0, json_stringn_nocheck("\xED\xA0\x80", 3)));
	assert_int_equal(cs_parse(j, NULL, &cs), -EINVAL);
	json_decref(j);
}

/* ---- canonical form ------------------------------------------------ */

static const char *const canon[][2] = {
    {"[3,4]", "[7]"},
    {"[0,[0],[0,\"\"],2,0]", "[2]"},
    {"[[2],[3]]", "[[5]]"},
    {"[[1,\"\"]]", "[[1]]"},
    {"[[0,\"a\"],[0,\"b\"],1]", "[[0,\"ab\"],1]"},
    {"[[0,\"a\",\"\"],[0,\"b\"]]", "[[0,\"a\",\"b\"]]"},
    {"[[0,\"x\"],[3]]", "[[0,\"x\"],[3]]"}, /* kept apart, as the
					       library does */
    {"[[3],[0,\"x\"]]", "[[3],[0,\"x\"]]"},
    {"[[2,\"x\"],[0,\"y\"]]", "[[2,\"x\"],[0,\"y\"]]"},
    {"[1,[0,\"\\r\"],1]", "[1,[0,\"\\r\"],1]"}, /* "\r" is a character */
    {"[[0,\"\\u0000\"]]", "[[0,\"\\u0000\"]]"},
    {"[]", "[]"},
};

static void test_canonical(void **state)
{
	for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++) {
		struct changeset *cs = parse_ok(canon[i][0]);
		json_t *j = cs_to_json(cs);

		assert_json(j, canon[i][1], canon[i][0]);
		json_decref(j);
		cs_free(cs);
	}
}

/* ---- compose, map, mapPos ------------------------------------------ */

struct op2 {
	const char *a, *b;
	bool before;
	int rc;
	const char *set;      /* expected ChangeSet JSON (set operation) */
	const char *sections; /* expected desc sections (desc operation) */
};

/* Expected values: @codemirror/state 6.7.6. */
static const struct op2 composes[] = {
    {"[5,[0,\" world\"]]", "[[1,\"H\"],10]", 0, 0,
     "[[1,\"H\"],4,[0,\" world\"]]", "[1,1,4,-1,0,6]"},
    {"[[0,\"ab\"],2]", "[1,[2],1]", 0, 0, "[[1,\"a\"],1]", "[1,1,1,-1]"},
    /* lengths do not match */
    {"[2,[1,\"xy\"],1]", "[1,[3,\"Q\"],0]", 0, -EINVAL, NULL, NULL},
    /* b keeps half of the emoji a inserted: the library makes a lone
     * surrogate; refused as a set, fine as a desc */
    {"[1,[0,\"\xF0\x9F\x98\x80\"],1]", "[2,[1],1]", 0, -EINVAL, NULL,
     "[1,-1,0,1,1,-1]"},
    /* b replaces (or deletes) both halves of it, one at a time: fine */
    {"[1,[0,\"\xF0\x9F\x98\x80\"],1]", "[1,[1,\"x\"],[1,\"y\"],1]", 0, 0,
     "[1,[0,\"xy\"],1]", "[1,-1,0,2,1,-1]"},
    {"[1,[0,\"\xF0\x9F\x98\x80\"],1]", "[1,[1],[1],1]", 0, 0, "[2]", "[2,-1]"},
    /* b keeps the low half */
    {"[1,[0,\"\xF0\x9F\x98\x80\"],1]", "[1,[1,\"x\"],2]", 0, -EINVAL, NULL,
     "[1,-1,0,2,1,-1]"},
    /* empty sides return the other */
    {"[3]", "[1,[1,\"q\"],1]", 0, 0, "[1,[1,\"q\"],1]", "[1,-1,1,1,1,-1]"},
    {"[]", "[]", 0, 0, "[]", "[]"},
};

static const struct op2 maps[] = {
    {"[1,[0,\"A\"],2]", "[1,[0,\"B\"],2]", false, 0, "[2,[0,\"A\"],2]",
     "[2,-1,0,1,2,-1]"},
    {"[1,[0,\"A\"],2]", "[1,[0,\"B\"],2]", true, 0, "[1,[0,\"A\"],3]",
     "[1,-1,0,1,3,-1]"},
    {"[[3]]", "[1,[0,\"X\"],2]", false, 0, "[[1],1,[2]]", "[1,0,1,-1,2,0]"},
    {"[1,[1,\"Z\"],1]", "[[3,\"abc\"]]", false, 0, "[3,[0,\"Z\"]]",
     "[3,-1,0,1]"},
    {"[3,[0,\"e\"]]", "[[1],2]", true, 0, "[2,[0,\"e\"]]", "[2,-1,0,1]"},
    {"[3,[0,\"e\"]]", "[2]", false, -EINVAL, NULL, NULL},
};

static void run_op2(const struct op2 *t, bool compose)
{
	struct changeset *a = parse_ok(t->a), *b = parse_ok(t->b), *r;
	json_t *j;
	int rc;

	rc = compose ? cs_compose(a, b, &r) : cs_map(a, b, t->before, &r);
	if (rc != t->rc)
		fail_msg("%s(%s, %s) = %d, want %d",
			 compose ? "compose" : "map", t->a, t->b, rc, t->rc);
	if (!rc) {
		j = cs_to_json(r);
		assert_json(j, t->set, t->a);
		json_decref(j);
		assert_false(r->desc);
		cs_free(r);
	} else {
		assert_null(r);
	}
	rc = compose ? cs_compose_desc(a, b, &r)
		     : cs_map_desc(a, b, t->before, &r);
	if (t->sections) {
		json_t *want = js(t->sections);

		assert_int_equal(rc, 0);
		assert_true(r->desc);
		assert_int_equal(r->text_len, 0);
		assert_sections(r, want, t->a);
		json_decref(want);
		cs_free(r);
	} else {
		assert_int_equal(rc, t->rc);
	}
	cs_free(a);
	cs_free(b);
}

static void test_compose(void **state)
{
	for (size_t i = 0; i < sizeof composes / sizeof composes[0]; i++)
		run_op2(&composes[i], true);
}

static void test_map(void **state)
{
	for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
		run_op2(&maps[i], false);
}

static void test_map_converges(void **state)
{
	/* A.compose(B.map(A)) and B.compose(A.map(B, true)) give one text */
	struct changeset *a = parse_ok("[1,[0,\"A\"],1,[1,\"\xE4\xB8\xAD\"]]");
	struct changeset *b =
	    parse_ok("[[2,\"B\"],[0,\"\xF0\x9F\x98\x80\"],1]");
	struct changeset *bm, *am, *ab, *ba;
	struct utext doc, x, y;

	assert_int_equal(utext_init(&doc, "xyz", 3, 100), 0);
	assert_int_equal(cs_map(b, a, false, &bm), 0);
	assert_int_equal(cs_map(a, b, true, &am), 0);
	assert_int_equal(cs_compose(a, bm, &ab), 0);
	assert_int_equal(cs_compose(b, am, &ba), 0);
	assert_int_equal(cs_apply(ab, &doc, 100, &x), 0);
	assert_int_equal(cs_apply(ba, &doc, 100, &y), 0);
	assert_string_equal(x.s, y.s);
	assert_string_equal(x.s, "BA\xF0\x9F\x98\x80\xE4\xB8\xAD");
	utext_release(&x);
	utext_release(&y);
	utext_release(&doc);
	cs_free(a);
	cs_free(b);
	cs_free(am);
	cs_free(bm);
	cs_free(ab);
	cs_free(ba);
}

struct mp {
	const char *cs;
	size_t pos;
	size_t before, after; /* mapPos(pos, -1), mapPos(pos, 1) */
};

static const struct mp mps[] = {
    {"[1,[0,\"ab\"],2]", 0, 0, 0},
    {"[1,[0,\"ab\"],2]", 1, 1, 3},
    {"[1,[0,\"ab\"],2]", 2, 4, 4},
    {"[1,[0,\"ab\"],2]", 3, 5, 5},
    {"[[2,\"x\"],1]", 0, 0, 0},
    {"[[2,\"x\"],1]", 1, 0, 1},
    {"[[2,\"x\"],1]", 2, 1, 1},
    {"[[2,\"x\"],1]", 3, 2, 2},
    {"[[3]]", 1, 0, 0},
    {"[[3]]", 3, 0, 0},
    {"[]", 0, 0, 0},
};

static void test_map_pos(void **state)
{
	for (size_t i = 0; i < sizeof mps / sizeof mps[0]; i++) {
		struct changeset *cs = parse_ok(mps[i].cs);
		size_t p;

		assert_int_equal(cs_map_pos(cs, mps[i].pos, -1, &p), 0);
		if (p != mps[i].before)
			fail_msg("mapPos(%s, %zu, -1) = %zu, want %zu",
				 mps[i].cs, mps[i].pos, p, mps[i].before);
		assert_int_equal(cs_map_pos(cs, mps[i].pos, 1, &p), 0);
		if (p != mps[i].after)
			fail_msg("mapPos(%s, %zu, 1) = %zu, want %zu",
				 mps[i].cs, mps[i].pos, p, mps[i].after);
		/* past the end */
		assert_int_equal(cs_map_pos(cs, cs->length + 1, 1, &p),
				 -EINVAL);
		cs_free(cs);
	}
}

/* ---- apply errors -------------------------------------------------- */

static void test_apply_errors(void **state)
{
	struct changeset *cs = parse_ok("[1,[0,\"\xC3\xA9\xC3\xA9\"],1]");
	struct changeset *d;
	struct utext doc, out, other;

	assert_int_equal(utext_init(&doc, "ab", 2, 10), 0);
	/* the result would be 6 bytes */
	assert_int_equal(cs_apply(cs, &doc, 5, &out), -E2BIG);
	assert_null(out.s);
	assert_int_equal(cs_apply(cs, &doc, 6, &out), 0);
	assert_string_equal(out.s, "a\xC3\xA9\xC3\xA9"
				   "b");
	/* a set for another length */
	assert_int_equal(cs_apply(cs, &out, 100, &other), -EINVAL);
	assert_null(other.s);
	utext_release(&out);
	/* a desc has no text to apply */
	assert_int_equal(cs_copy(cs, true, &d), 0);
	assert_int_equal(cs_apply(d, &doc, 100, &out), -EINVAL);
	cs_free(d);
	cs_free(cs);
	utext_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_vectors_illformed),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_invalid_utf8_string),
	    cmocka_unit_test(test_canonical),
	    cmocka_unit_test(test_compose),
	    cmocka_unit_test(test_map),
	    cmocka_unit_test(test_map_converges),
	    cmocka_unit_test(test_map_pos),
	    cmocka_unit_test(test_apply_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
