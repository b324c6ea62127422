/*
 * textdiff.h - the smallest single change from one text to another, as a
 * CodeMirror ChangeSet.
 *
 * For a whole new text from a client (an upload, a Socket.IO
 * code_change): the common prefix and suffix are kept, the middle is
 * replaced, so concurrent edits elsewhere in the document survive. Pure.
 */
#ifndef CODEROOM_ROOM_TEXTDIFF_H
#define CODEROOM_ROOM_TEXTDIFF_H

#include <stddef.h>

#include <jansson.h>

/*
 * The ChangeSet.toJSON() value taking old[0..olen) to new[0..nlen) (both
 * valid UTF-8 without "\r"), positions in UTF-16 units, never cutting a
 * character. *out is a new reference. 0, -EINVAL (invalid UTF-8) or
 * -ENOMEM.
 */
int textdiff_changes(const char *old, size_t olen, const char *new,
		     size_t nlen, json_t **out);

/* Rewrites "\r\n" and lone "\r" as "\n" in place; returns the new length. */
size_t textdiff_lf(char *s, size_t len);

#endif
