/*
 * utext.h - a UTF-8 document addressed in UTF-16 code units.
 *
 * CodeMirror counts positions in UTF-16 code units; the server keeps the
 * document as UTF-8 (a code point below U+10000 is one unit, one at or
 * above it two). A utext holds the bytes, their UTF-16 length and a sparse
 * index of (position, byte offset) marks: consecutive marks (and the start
 * and end of the text) are never more than UTEXT_GAP bytes apart, so a
 * position is found by a binary search and a scan of at most UTEXT_GAP
 * bytes, never a walk from the start. An all-ASCII text (len == u16len)
 * needs no index at all: position and offset are equal.
 *
 * A utext is immutable once built. utext_replace() makes a new one from
 * an old one and a list of edits: it resolves and checks every position
 * first, then copies the bytes once and shifts the index marks of the
 * kept runs (no rescan of the document), and leaves its source untouched,
 * so a refused edit changes nothing.
 *
 * Ownership: a utext owns its bytes and its index; release it with
 * utext_release(). The bytes are always NUL-terminated (s[len] == 0) and
 * may contain NULs.
 *
 * Errors are 0 or -errno: -EINVAL for invalid UTF-8 (overlong forms,
 * surrogates and values above U+10FFFF included), a position past the end
 * or inside a surrogate pair (the middle of a 4-byte character: the
 * document would become ill-formed), edits out of order; -E2BIG when a
 * text would pass its byte cap; -ENOMEM.
 */
#ifndef CODEROOM_ROOM_UTEXT_H
#define CODEROOM_ROOM_UTEXT_H

#include <stddef.h>

/* Marks are spaced about UTEXT_STEP bytes apart, never more than UTEXT_GAP. */
#define UTEXT_STEP 1024
#define UTEXT_GAP  2048

struct utext_mark {
	size_t pos; /* UTF-16 units before this point */
	size_t off; /* byte offset of the same point (a character
		       boundary), 0 < off < len */
};

struct utext {
	char *s;		 /* valid UTF-8, NUL-terminated */
	size_t len;		 /* bytes */
	size_t u16len;		 /* UTF-16 code units */
	struct utext_mark *mark; /* increasing in both pos and off */
	size_t nmark;
};

/*
 * One edit for utext_replace(): the units [from, to) of the old text are
 * replaced by ins[0..ins_len), which is valid UTF-8 of ins_u16 units (the
 * caller measured it with utext_measure()).
 */
struct utext_edit {
	size_t from, to; /* UTF-16 positions in the old text */
	const char *ins; /* may be NULL when ins_len == 0 */
	size_t ins_len;	 /* bytes */
	size_t ins_u16;	 /* units */
};

/*
 * Builds t from a copy of s[0..len), which must be valid UTF-8 of at most
 * max_len bytes. On error t is left empty (safe to release).
 */
int utext_init(struct utext *t, const char *s, size_t len, size_t max_len);
void utext_release(struct utext *t);

/* The byte offset of UTF-16 position pos. */
int utext_offset(const struct utext *t, size_t pos, size_t *off);

/*
 * dst = src with edits e[0..n) applied. The edits refer to positions of
 * src, in order and not overlapping (e[i].from <= e[i].to <= e[i+1].from);
 * adjacent edits are fine. The new text may hold at most max_len bytes.
 * dst must not be src; on error dst is left empty.
 */
int utext_replace(const struct utext *src, const struct utext_edit *e, size_t n,
		  size_t max_len, struct utext *dst);

/*
 * Validates s[0..len) as UTF-8 and counts its UTF-16 units into *u16.
 * -EINVAL if it is not valid UTF-8.
 */
int utext_measure(const char *s, size_t len, size_t *u16);

#endif
