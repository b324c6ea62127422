/*
 * changeset.h - CodeMirror 6 change sets over a UTF-8 document.
 *
 * The wire format is ChangeSet.toJSON() of @codemirror/state: an array
 * whose entries are a number n (keep n units), [n] (delete n units) or
 * [n, "line1", "line2", ...] (replace n units by the lines joined with
 * "\n"). Positions and lengths are UTF-16 code units.
 *
 * A changeset is a list of sections, as in @codemirror/state: 'len' units
 * of the old document, and 'ins' == CS_KEEP (kept unchanged) or the number
 * of units that replace them (0: a deletion; len 0: an insertion). The
 * functions below reproduce the library's semantics exactly (its section
 * lists, not only the resulting documents): cs_compose() is
 * ChangeSet.compose, cs_map() is ChangeSet.map (with 'before'),
 * cs_map_desc()/cs_compose_desc() are ChangeDesc.mapDesc/composeDesc as
 * rebaseUpdates uses them, cs_map_pos() is ChangeDesc.mapPos in its
 * default mode. tests/integration/collab-oracle.test.mjs compares them
 * with the real library on random inputs.
 *
 * Canonical form: cs_parse() normalises as the library's constructors do
 * (empty sections dropped; neighbouring kept sections, deletions, or
 * insertions at one point merged), so cs_to_json() gives what toJSON()
 * of a ChangeSet built by the library gives for the same change; for any
 * set the library itself serialised, cs_to_json(cs_parse(x)) == x.
 * Departures from ChangeSet.fromJSON, which accepts anything shaped
 * right: lengths must be non-negative integers (no reals), a line string
 * may not contain "\n" (it separates lines; the library would build a
 * broken Text from it), strings must be valid UTF-8, and sizes are capped.
 *
 * Texts: inserted text is stored as UTF-8, the lines of an entry joined by
 * "\n". A "desc" changeset (a ChangeDesc) has sections but no text.
 *
 * Ownership: every function that makes a changeset returns a new one in
 * *out, owned by the caller (cs_free()); inputs are never modified. On
 * error *out is NULL.
 *
 * Errors are 0 or -errno: -EINVAL for a malformed value, a length that
 * does not match (the document's, or the other set's), a position past the
 * end, an edit that would split a surrogate pair (the middle of a 4-byte
 * UTF-8 character; see cs_apply()); -E2BIG for a value over a cap; -ENOMEM.
 */
#ifndef CODEROOM_ROOM_CHANGESET_H
#define CODEROOM_ROOM_CHANGESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "room/utext.h"

#define CS_KEEP (-1)
/* Hard caps, whatever the limits passed: lengths and counts stay far from
 * any overflow. V8's longest string is 2^29 units. */
#define CS_POS_MAX	((size_t)1 << 30)
#define CS_SECTIONS_MAX ((size_t)1 << 24)

struct cs_section {
	size_t len;    /* units of the old document */
	int64_t ins;   /* CS_KEEP, or units inserted in their place */
	size_t text;   /* offset of the inserted text in cs->text */
	size_t nbytes; /* bytes of inserted text (ins units of it);
			  0 in a desc */
};

struct changeset {
	struct cs_section *sec; /* canonical: see above */
	size_t n, cap;		/* sections used / allocated */
	char *text;		/* inserted texts, section after section */
	size_t text_len, text_cap;
	bool desc;	   /* a ChangeDesc: no texts */
	size_t length;	   /* document length before, in units */
	size_t new_length; /* after */
};

/* Caps for cs_parse(); 0 in a field means the hard cap. */
struct cs_limits {
	size_t max_sections; /* entries of the JSON array */
	size_t max_length;   /* the length of the document it applies to */
	size_t max_text;     /* bytes of inserted text, lines joined */
};

/* Parses a ChangeSet.toJSON() value; lim may be NULL. */
int cs_parse(const json_t *json, const struct cs_limits *lim,
	     struct changeset **out);
/* The canonical JSON value (a desc gives ChangeDesc.toJSON(): the flat
 * section list). NULL only when out of memory. */
json_t *cs_to_json(const struct changeset *cs);
/* The same as compact JSON text, malloc'd and NUL-terminated; NULL when
 * out of memory. *len (if not NULL) gets its length. */
char *cs_dump(const struct changeset *cs, size_t *len);
/* A set that keeps a document of 'length' units unchanged. */
int cs_new_empty(size_t length, struct changeset **out);
/* A copy, as a desc if as_desc. */
int cs_copy(const struct changeset *cs, bool as_desc, struct changeset **out);
void cs_free(struct changeset *cs);

/* No change at all (ChangeDesc.empty). */
bool cs_empty(const struct changeset *cs);

/*
 * *out = doc with cs applied (cs->length must be doc->u16len). -EINVAL if a
 * section boundary falls inside a surrogate pair of doc: the document
 * would become ill-formed, so the change is refused as a whole. -E2BIG if
 * the result would pass max_len bytes. doc is never modified.
 */
int cs_apply(const struct changeset *cs, const struct utext *doc,
	     size_t max_len, struct utext *out);

/* a then b (b->length == a->new_length): ChangeSet.compose. Both must be
 * sets; -EINVAL if b cuts one of a's inserted texts inside a surrogate
 * pair. */
int cs_compose(const struct changeset *a, const struct changeset *b,
	       struct changeset **out);
/* The same for descs (or sets, texts ignored): ChangeDesc.composeDesc. */
int cs_compose_desc(const struct changeset *a, const struct changeset *b,
		    struct changeset **out);
/*
 * a moved over b (both start from the same document), so that it applies
 * after b: ChangeSet.map(b, before). a must be a set, b a set or a desc.
 * With before, a's insertions at the same point as b's go first.
 */
int cs_map(const struct changeset *a, const struct changeset *b, bool before,
	   struct changeset **out);
/* The same without texts: ChangeDesc.mapDesc. */
int cs_map_desc(const struct changeset *a, const struct changeset *b,
		bool before, struct changeset **out);
/*
 * Where position pos of the old document lands in the new one
 * (ChangeDesc.mapPos, MapMode.Simple): assoc < 0 stays before text
 * inserted at pos, assoc > 0 goes after it. -EINVAL if pos > length.
 */
int cs_map_pos(const struct changeset *cs, size_t pos, int assoc, size_t *out);

#endif
