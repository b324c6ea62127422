/*
 * test_collab.c - the collab authority: scripted sessions (table of steps:
 * push, pull, prepare/commit/abort, load, selection, each with the result
 * it must give), with expected rebased updates computed by the real
 * @codemirror/collab rebaseUpdates; validation and caps; atomicity (a push
 * whose last update is bad changes nothing); the persist-before-broadcast
 * API; restoring from a snapshot and a stored log.
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

#include "room/collab.h"

static json_t *js(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

	if (!v)
		fail_msg("bad JSON in the test: %s: %s", text, err.text);
	return v;
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

static void assert_text(const struct collab *c, const char *want)
{
	size_t len;
	const char *s = collab_text(c, &len);

	if (len != strlen(want) || memcmp(s, want, len))
		fail_msg("text '%s', want '%s'", s, want);
	assert_int_equal(s[len], 0);
}

static struct collab *make(const char *text, uint64_t version,
			   const struct collab_caps *caps)
{
	struct collab_caps def;
	struct collab *c;

	if (!caps) {
		collab_caps_default(&def);
		caps = &def;
	}
	assert_int_equal(collab_new(caps, text, strlen(text), version, &c), 0);
	return c;
}

/* The accepted updates of a pending push as JSON. */
static json_t *accepted(const struct collab_pending *p)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->n; i++)
		json_array_append_new(a, collab_update_json(&p->updates[i]));
	return a;
}

/* ---- a scripted session -------------------------------------------- */

enum op { PUSH, PULL };

struct step {
	enum op op;
	uint64_t version;
	const char *json; /* pushed updates */
	int rc;
	const char *out;  /* accepted (PUSH) or pulled (PULL) updates */
	const char *text; /* the document afterwards */
};

/* Expected values from @codemirror/collab 6.1.1's rebaseUpdates on the
 * same pushes. */
static const struct step session[] = {
    {PUSH, 0, "[{\"clientID\":\"A\",\"changes\":[[0,\"x\"],2]}]", 0,
     "[{\"clientID\":\"A\",\"changes\":[[0,\"x\"],2]}]", "xab"},
    /* B, made on version 0: rebased over A's insertion */
    {PUSH, 0, "[{\"clientID\":\"B\",\"changes\":[2,[0,\"y\"]]}]", 0,
     "[{\"clientID\":\"B\",\"changes\":[3,[0,\"y\"]]}]", "xaby"},
    /* A re-sends its first update with a new one: the first is already
     * in the log, the second is rebased over B's */
    {PUSH, 0,
     "[{\"clientID\":\"A\",\"changes\":[[0,\"x\"],2]},"
     "{\"clientID\":\"A\",\"changes\":[[1,\"z\"],2]}]",
     0, "[{\"clientID\":\"A\",\"changes\":[[1,\"z\"],3]}]", "zaby"},
    /* C deletes the x that A replaced: nothing left to do, but the
     * update still takes a version */
    {PUSH, 1, "[{\"clientID\":\"C\",\"changes\":[[1],2]}]", 0,
     "[{\"clientID\":\"C\",\"changes\":[4]}]", "zaby"},
    {PUSH, 2,
     "[{\"clientID\":\"B\",\"changes\":[4,[0,\"!\"]]},"
     "{\"clientID\":\"B\",\"changes\":[1,[1],3]}]",
     0,
     "[{\"clientID\":\"B\",\"changes\":[4,[0,\"!\"]]},"
     "{\"clientID\":\"B\",\"changes\":[1,[1],3]}]",
     "zby!"},
    {PUSH, 3, "[{\"clientID\":\"D\",\"changes\":[[1,\"Q\"],3]}]", 0,
     "[{\"clientID\":\"D\",\"changes\":[[1,\"Q\"],3]}]", "Qby!"},
    /* the whole re-send again: nothing new */
    {PUSH, 0,
     "[{\"clientID\":\"A\",\"changes\":[[0,\"x\"],2]},"
     "{\"clientID\":\"A\",\"changes\":[[1,\"z\"],2]}]",
     0, "[]", "Qby!"},
    {PULL, 5, NULL, 0,
     "[{\"clientID\":\"B\",\"changes\":[1,[1],3]},"
     "{\"clientID\":\"D\",\"changes\":[[1,\"Q\"],3]}]",
     "Qby!"},
    {PULL, 7, NULL, 0, "[]", NULL},
    /* resync: ahead of the authority */
    {PULL, 8, NULL, -ESTALE, NULL, NULL},
    {PUSH, 8, "[{\"clientID\":\"A\",\"changes\":[4]}]", -ESTALE, NULL, "Qby!"},
    /* the length at version 2 is 4, not 3 */
    {PUSH, 2, "[{\"clientID\":\"A\",\"changes\":[[1],2]}]", -EINVAL, NULL,
     "Qby!"},
    /* an empty push changes nothing */
    {PUSH, 7, "[]", 0, "[]", "Qby!"},
    /* an effects-only update (empty changes) still counts */
    {PUSH, 7, "[{\"clientID\":\"E\",\"changes\":[4]}]", 0,
     "[{\"clientID\":\"E\",\"changes\":[4]}]", "Qby!"},
    {PULL, 7, NULL, 0, "[{\"clientID\":\"E\",\"changes\":[4]}]", NULL},
};

static void test_session(void **state)
{
	struct collab *c = make("ab", 0, NULL);
	uint64_t version = 0;

	for (size_t i = 0; i < sizeof session / sizeof session[0]; i++) {
		const struct step *s = &session[i];
		char what[64];
		json_t *j = NULL;
		int rc;

		snprintf(what, sizeof what, "step %zu", i);
		if (s->op == PUSH) {
			struct collab_pending p;
			json_t *u = js(s->json);

			rc = collab_push(c, s->version, u, &p);
			json_decref(u);
			if (rc != s->rc)
				fail_msg("%s: push = %d, want %d", what, rc,
					 s->rc);
			if (!rc) {
				assert_int_equal(p.base, version);
				assert_int_equal(p.version, version + p.n);
				version = p.version;
				j = accepted(&p);
				assert_json(j, s->out, what);
			}
			collab_pending_release(&p);
		} else {
			rc = collab_pull(c, s->version, &j);
			if (rc != s->rc)
				fail_msg("%s: pull = %d, want %d", what, rc,
					 s->rc);
			if (!rc)
				assert_json(j, s->out, what);
		}
		json_decref(j);
		assert_int_equal(collab_version(c), version);
		if (s->text)
			assert_text(c, s->text);
	}
	collab_free(c);
}

/* ---- validation ---------------------------------------------------- */

struct bad {
	const char *name;
	const char *json;
	int rc;
};

static const struct bad bads[] = {
    {"not an array", "{}", -EINVAL},
    {"not an object", "[3]", -EINVAL},
    {"no clientID", "[{\"changes\":[3]}]", -EINVAL},
    {"clientID a number", "[{\"clientID\":1,\"changes\":[3]}]", -EINVAL},
    {"clientID with NUL", "[{\"clientID\":\"a\\u0000b\",\"changes\":[3]}]",
     -EINVAL},
    {"clientID too long", /* 65 bytes */
     "[{\"clientID\":"
     "\"01234567890123456789012345678901234567890123456789012345678901234\","
     "\"changes\":[3]}]",
     -E2BIG},
    {"no changes", "[{\"clientID\":\"a\"}]", -EINVAL},
    {"changes malformed", "[{\"clientID\":\"a\",\"changes\":[[-1]]}]", -EINVAL},
    {"wrong length", "[{\"clientID\":\"a\",\"changes\":[4]}]", -EINVAL},
    {"chain broken",
     "[{\"clientID\":\"a\",\"changes\":[3,[0,\"x\"]]},"
     "{\"clientID\":\"a\",\"changes\":[3]}]",
     -EINVAL},
    {"CR in text", "[{\"clientID\":\"a\",\"changes\":[3,[0,\"\\r\"]]}]",
     -EINVAL},
    {"CR in a line", "[{\"clientID\":\"a\",\"changes\":[3,[0,\"x\\r\",\"\"]]}]",
     -EINVAL},
    /* the document is "a😀": 3 units, the emoji at 1..3 */
    {"splits the emoji", "[{\"clientID\":\"a\",\"changes\":[2,[0,\"x\"],1]}]",
     -EINVAL},
    {"too many changes",
     "[{\"clientID\":\"a\",\"changes\":[[0,\"a\"],[0,\"b\"],[0,\"c\"],"
     "[0,\"d\"],[0,\"e\"],3]}]",
     -E2BIG},
    {"too many updates",
     "[{\"clientID\":\"a\",\"changes\":[3]},{\"clientID\":\"a\",\"changes\":[3]"
     "},"
     "{\"clientID\":\"a\",\"changes\":[3]},{\"clientID\":\"a\",\"changes\":[3]}"
     "]",
     -E2BIG},
    {"document too big",
     "[{\"clientID\":\"a\",\"changes\":[3,[0,\"0123456789abcdefghijklmno"
     "pqrstuvwxyz\"]]}]",
     -E2BIG},
    /* the second update is bad: the first must not be applied either */
    {"bad second update",
     "[{\"clientID\":\"a\",\"changes\":[[0,\"ok\"],3]},"
     "{\"clientID\":\"a\",\"changes\":[4,[0,\"x\"],1]}]",
     -EINVAL},
};

static void test_validation(void **state)
{
	struct collab_caps caps;
	struct collab *c;

	collab_caps_default(&caps);
	caps.max_doc_bytes = 32;
	caps.max_updates = 3;
	caps.max_changes = 5;
	caps.max_log = 3;
	c = make("a\xF0\x9F\x98\x80", 5, &caps);
	assert_int_equal(collab_length(c), 3);
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct collab_pending p;
		json_t *u = js(bads[i].json);
		int rc = collab_push(c, 5, u, &p);

		if (rc != bads[i].rc)
			fail_msg("%s: %d, want %d", bads[i].name, rc,
				 bads[i].rc);
		assert_int_equal(p.n, 0);
		assert_null(p.updates);
		json_decref(u);
		/* nothing changed, and nothing is left pending */
		assert_int_equal(collab_version(c), 5);
		assert_text(c, "a\xF0\x9F\x98\x80");
	}
	/* just inside every cap */
	{
		struct collab_pending p;
		json_t *u =
		    js("[{\"clientID\":"
		       "\"01234567890123456789012345678901234567890123456789012"
		       "34567890123\"," /* 64 */
		       "\"changes\":[1,[0,\"a\"],[0,\"b\"],[0,\"c\"],2]}]");

		assert_int_equal(collab_push(c, 5, u, &p), 0);
		assert_int_equal(p.n, 1);
		collab_pending_release(&p);
		json_decref(u);
		assert_text(c, "aabc\xF0\x9F\x98\x80");
	}
	collab_free(c);
}

static void test_caps_checked(void **state)
{
	struct collab_caps caps;
	struct collab *c;

	collab_caps_default(&caps);
	caps.max_log = caps.max_updates - 1; /* a push could outrun it */
	assert_int_equal(collab_new(&caps, "", 0, 0, &c), -EINVAL);
	collab_caps_default(&caps);
	caps.max_doc_bytes = 2;
	assert_int_equal(collab_new(&caps, "abc", 3, 0, &c), -E2BIG);
	assert_int_equal(collab_new(&caps, "\xFF", 1, 0, &c), -EINVAL);
	assert_null(c);
}

/* ---- line breaks ---------------------------------------------------- */

static void test_crlf_normalised(void **state)
{
	struct collab *c = make("a\r\nb\rc\n\r\n\r", 0, NULL);

	/* as EditorState.create({doc}).doc.toString() gives it */
	assert_text(c, "a\nb\nc\n\n\n");
	assert_int_equal(collab_length(c), 8);
	collab_free(c);
}

/* ---- persist before broadcast -------------------------------------- */

static void test_prepare_commit_abort(void **state)
{
	struct collab *c = make("hello", 0, NULL);
	struct collab_pending p, q;
	json_t *u =
	    js("[{\"clientID\":\"A\",\"changes\":[5,[0,\" world\",\"\"]]}]");

	assert_int_equal(collab_prepare(c, 0, u, &p), 0);
	/* what to store: canonical JSON and the versions */
	assert_int_equal(p.base, 0);
	assert_int_equal(p.version, 1);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.updates[0].client_id, "A");
	assert_string_equal(p.updates[0].json, "[5,[0,\" world\",\"\"]]");
	assert_int_equal(p.updates[0].json_len, strlen(p.updates[0].json));
	/* nothing visible yet, and no second push meanwhile */
	assert_int_equal(collab_version(c), 0);
	assert_text(c, "hello");
	assert_int_equal(collab_prepare(c, 0, u, &q), -EBUSY);
	assert_int_equal(collab_load_update(c, 0, "A", "[5]", 3), -EBUSY);
	/* the store failed: abort, and all is as before */
	collab_abort(c, &p);
	collab_pending_release(&p);
	assert_int_equal(collab_version(c), 0);
	assert_text(c, "hello");
	{
		json_t *pulled;
		assert_int_equal(collab_pull(c, 0, &pulled), 0);
		assert_int_equal(json_array_size(pulled), 0);
		json_decref(pulled);
	}
	/* again, stored this time */
	assert_int_equal(collab_prepare(c, 0, u, &p), 0);
	collab_commit(c, &p);
	assert_int_equal(collab_version(c), 1);
	assert_text(c, "hello world\n");
	/* the committed updates are still readable for the broadcast */
	assert_string_equal(p.updates[0].json, "[5,[0,\" world\",\"\"]]");
	assert_ptr_equal(p.updates[0].changes, collab_update_at(c, 0)->changes);
	collab_pending_release(&p);
	assert_null(collab_update_at(c, 1));
	json_decref(u);
	collab_free(c);
}

/* ---- the window ---------------------------------------------------- */

static void test_window(void **state)
{
	struct collab_caps caps;
	struct collab *c;
	json_t *u = js("[{\"clientID\":\"A\",\"changes\":[[0,\"x\"]]}]");
	const char *big = "0123456789012345678901234567890123456789"
			  "0123456789012345678901234567890123456789"
			  "0123456789012345678901234567890123456789"
			  "0123456789012345678901234567890123456789"
			  "0123456789012345678901234567890123456789";
	json_t *grow;
	size_t a, h;

	collab_caps_default(&caps);
	caps.max_updates = 2;
	caps.max_log = 3;
	c = make("", 10, &caps);
	for (int i = 0; i < 5; i++) {
		struct collab_pending p;
		json_t *v =
		    js(i ? "[{\"clientID\":\"A\",\"changes\":[[0,\"x\"],"
			   "1]}]"
			 : "[{\"clientID\":\"A\",\"changes\":[[0,\"x\"]]}]");

		if (i > 1) {
			json_decref(v);
			v = json_pack("[{s:s,s:[[i,s],i]}]", "clientID", "A",
				      "changes", 0, "x", i);
		}
		assert_int_equal(collab_push(c, 10 + (uint64_t)i, v, &p), 0);
		collab_pending_release(&p);
		json_decref(v);
	}
	assert_int_equal(collab_version(c), 15);
	assert_int_equal(collab_oldest(c), 12);
	assert_text(c, "xxxxx");
	/* older than the window: resync */
	{
		json_t *pulled;
		struct collab_pending p;

		assert_int_equal(collab_pull(c, 11, &pulled), -ESTALE);
		assert_int_equal(collab_push(c, 11, u, &p), -ESTALE);
		assert_int_equal(collab_pull(c, 12, &pulled), 0);
		assert_int_equal(json_array_size(pulled), 3);
		json_decref(pulled);
	}
	/* selections: the window too */
	a = h = 0;
	assert_int_equal(collab_map_selection(c, 11, &a, &h), -ESTALE);
	assert_int_equal(collab_map_selection(c, 12, &a, &h), 0);
	assert_int_equal(a, 0); /* insertions at 0 push nothing before them */
	json_decref(u);

	/* memory cap: big updates push the oldest out (not the newest) */
	collab_caps_default(&caps);
	caps.max_log_bytes = 3000;
	collab_free(c);
	c = make("", 0, &caps);
	grow =
	    json_pack("[{s:s,s:[[i,s]]}]", "clientID", "A", "changes", 0, big);
	for (int i = 0; i < 20; i++) {
		struct collab_pending p;
		json_t *v = json_deep_copy(grow);

		if (i)
			json_array_append_new(
			    json_object_get(json_array_get(v, 0), "changes"),
			    json_integer(
				(json_int_t)(strlen(big) * (size_t)i)));
		assert_int_equal(collab_push(c, (uint64_t)i, v, &p), 0);
		collab_pending_release(&p);
		json_decref(v);
	}
	assert_int_equal(collab_version(c), 20);
	assert_true(collab_oldest(c) > 5 && collab_oldest(c) < 20);
	json_decref(grow);
	collab_free(c);
}

/* ---- selections ---------------------------------------------------- */

struct sel {
	size_t anchor, head;
	size_t want_anchor, want_head;
	int rc;
};

/* "hello world" at version 0, then: insert "X" at 5 (v1), delete 0..2
 * (v2). Expected: SelectionRange.map of @codemirror/state. */
static const struct sel sels[] = {
    {5, 5, 3, 3, 0}, /* cursor at the insertion: stays before it */
    {6, 6, 5, 5, 0},
    {5, 8, 4, 7, 0}, /* a range does not take the insertion at its
			start */
    {8, 5, 7, 4, 0}, /* direction kept */
    {1, 5, 0, 3, 0}, /* its start deleted */
    {0, 2, 0, 0, 0}, /* all of it deleted */
    {11, 0, 10, 0, 0},
    {12, 0, 0, 0, -EINVAL},
};

static void test_selection(void **state)
{
	struct collab *c = make("hello world", 0, NULL);
	struct collab_pending p;
	json_t *u = js("[{\"clientID\":\"A\",\"changes\":[5,[0,\"X\"],6]},"
		       "{\"clientID\":\"A\",\"changes\":[[2],10]}]");

	assert_int_equal(collab_push(c, 0, u, &p), 0);
	collab_pending_release(&p);
	json_decref(u);
	assert_text(c, "lloX world");
	for (size_t i = 0; i < sizeof sels / sizeof sels[0]; i++) {
		size_t a = sels[i].anchor, h = sels[i].head;
		int rc = collab_map_selection(c, 0, &a, &h);

		if (rc != sels[i].rc)
			fail_msg("selection %zu: %d, want %d", i, rc,
				 sels[i].rc);
		if (!rc && (a != sels[i].want_anchor || h != sels[i].want_head))
			fail_msg("selection %zu: %zu-%zu, want %zu-%zu", i, a,
				 h, sels[i].want_anchor, sels[i].want_head);
	}
	/* at the current version nothing moves */
	{
		size_t a = 3, h = 7;
		assert_int_equal(collab_map_selection(c, 2, &a, &h), 0);
		assert_int_equal(a, 3);
		assert_int_equal(h, 7);
	}
	collab_free(c);
}

/* A range inside a replaced stretch comes out with from > to, and the
 * library keeps mapping it so (anchor 4, head 1 below, where mapping the
 * re-ordered ends would give 4-2). Expected: @codemirror/state 6.7.6. */
static const struct sel inside[] = {
    {2, 4, 4, 1, 0},
    {4, 2, 1, 4, 0},
    {2, 2, 1, 1, 0},
    {0, 6, 0, 5, 0},
};

static void test_selection_inside_replacement(void **state)
{
	struct collab *c = make("abcdef", 0, NULL);
	struct collab_pending p;
	json_t *u = js("[{\"clientID\":\"A\",\"changes\":[1,[4,\"XY\"],1]},"
		       "{\"clientID\":\"A\",\"changes\":[1,[0,\"Q\"],3]}]");

	assert_int_equal(collab_push(c, 0, u, &p), 0);
	collab_pending_release(&p);
	json_decref(u);
	assert_text(c, "aQXYf");
	for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
		size_t a = inside[i].anchor, h = inside[i].head;

		assert_int_equal(collab_map_selection(c, 0, &a, &h), 0);
		if (a != inside[i].want_anchor || h != inside[i].want_head)
			fail_msg("range %zu-%zu: %zu-%zu, want %zu-%zu",
				 inside[i].anchor, inside[i].head, a, h,
				 inside[i].want_anchor, inside[i].want_head);
	}
	collab_free(c);
}

/* ---- restoring from a store ---------------------------------------- */

static void test_restore(void **state)
{
	/* The live authority: four updates from "ab". */
	static const char *const pushes[] = {
	    "[{\"clientID\":\"A\",\"changes\":[[0,\"x\"],2]}]",
	    "[{\"clientID\":\"B\",\"changes\":[3,[0,\"y\"]]}]",
	    "[{\"clientID\":\"A\",\"changes\":[[1,\"\xF0\x9F\x98\x80\"],3]}]",
	    "[{\"clientID\":\"C\",\"changes\":[2,[1],2]}]",
	};
	/* What a store holds: every update (version, clientID, JSON) and a
	 * snapshot at version 2. */
	struct collab_update stored[4];
	const char *late = "[{\"clientID\":\"D\",\"changes\":[2,[1,\"q\"]]}]";
	struct collab *live = make("ab", 0, NULL), *back;
	struct collab_pending p, q;
	json_t *u, *a, *b;
	size_t len;
	const char *snap = NULL;
	char *snap_copy = NULL;

	for (int i = 0; i < 4; i++) {
		u = js(pushes[i]);
		assert_int_equal(collab_push(live, (uint64_t)i, u, &p), 0);
		stored[i].client_id = strdup(p.updates[0].client_id);
		stored[i].json = strdup(p.updates[0].json);
		collab_pending_release(&p);
		json_decref(u);
		if (i == 1) {
			snap = collab_text(live, &len);
			snap_copy = strndup(snap, len);
		}
	}
	assert_text(live, "\xF0\x9F\x98\x80"
			  "by");

	/* Restart: snapshot at 2, replay 2 and 3, history 1 and 0. */
	back = make(snap_copy, 2, NULL);
	assert_int_equal(collab_load_update(back, 3, stored[3].client_id,
					    stored[3].json,
					    strlen(stored[3].json)),
			 -EINVAL); /* out of order */
	for (uint64_t v = 2; v < 4; v++)
		assert_int_equal(
		    collab_load_update(back, v, stored[v].client_id,
				       stored[v].json, strlen(stored[v].json)),
		    0);
	for (uint64_t v = 2; v-- > 0;)
		assert_int_equal(
		    collab_load_history(back, v, stored[v].client_id,
					stored[v].json, strlen(stored[v].json)),
		    0);
	assert_int_equal(collab_load_history(back, 0, "A", "[2]", 3),
			 -EINVAL); /* nothing before version 0 */
	assert_int_equal(collab_version(back), 4);
	assert_int_equal(collab_oldest(back), 0);
	assert_text(back, "\xF0\x9F\x98\x80"
			  "by");

	/* A late push from version 1 gets the same answer from both. */
	u = js(late);
	assert_int_equal(collab_push(live, 1, u, &p), 0);
	assert_int_equal(collab_push(back, 1, u, &q), 0);
	a = accepted(&p);
	b = accepted(&q);
	assert_true(json_equal(a, b));
	assert_json(a, "[{\"clientID\":\"D\",\"changes\":[2,[1,\"q\"],1]}]",
		    "late push");
	{
		size_t l1, l2;
		const char *t1 = collab_text(live, &l1),
			   *t2 = collab_text(back, &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(t1, t2, l1);
	}
	json_decref(a);
	json_decref(b);
	json_decref(u);
	collab_pending_release(&p);
	collab_pending_release(&q);

	/* corrupt store rows are refused */
	assert_int_equal(collab_load_update(back, 5, "A", "[9]", 3), -EINVAL);
	assert_int_equal(collab_load_update(back, 5, "A", "[", 1), -EINVAL);
	assert_int_equal(collab_load_update(back, 5, "\xFF", "[5]", 3),
			 -EINVAL);
	assert_int_equal(collab_version(back), 5);

	for (int i = 0; i < 4; i++) {
		free(stored[i].client_id);
		free(stored[i].json);
	}
	free(snap_copy);
	collab_free(live);
	collab_free(back);
}

static void test_history_window_full(void **state)
{
	struct collab_caps caps;
	struct collab *c;

	collab_caps_default(&caps);
	caps.max_updates = 1;
	caps.max_log = 2;
	c = make("abc", 10, &caps);
	assert_int_equal(collab_load_history(c, 9, "A", "[[1],2]", 7), -EINVAL);
	assert_int_equal(collab_load_history(c, 9, "A", "[2,[0,\"c\"]]", 11),
			 0);
	assert_int_equal(collab_load_history(c, 8, "A", "[1,[0,\"b\"]]", 11),
			 0);
	assert_int_equal(collab_load_history(c, 7, "A", "[[0,\"a\"]]", 9),
			 -E2BIG);
	assert_int_equal(collab_oldest(c), 8);
	collab_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_session),
	    cmocka_unit_test(test_validation),
	    cmocka_unit_test(test_caps_checked),
	    cmocka_unit_test(test_crlf_normalised),
	    cmocka_unit_test(test_prepare_commit_abort),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_selection),
	    cmocka_unit_test(test_selection_inside_replacement),
	    cmocka_unit_test(test_restore),
	    cmocka_unit_test(test_history_window_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
