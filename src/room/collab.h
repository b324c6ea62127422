/*
 * collab.h - the central authority of the @codemirror/collab protocol for
 * one document.
 *
 * It holds the document (UTF-8, addressed in UTF-16 units: see utext.h),
 * its version (the number of updates ever accepted) and a bounded window
 * of the update log, each update being {clientID, changes}. Clients push
 * the updates they made on top of the version they last saw; the
 * authority rebases a push that comes in at an older version over the
 * updates accepted since, dropping the ones it already accepted (a client
 * re-sends after a lost answer), exactly as @codemirror/collab's
 * rebaseUpdates() does, so a client that feeds every accepted update to
 * receiveUpdates() confirms its own updates and converges.
 *
 * Promises:
 *  - A push is validated completely (shape, caps, lengths, UTF-8, and
 *    that no edit splits a surrogate pair) and rebased before anything
 *    changes; it is then accepted whole or not at all.
 *  - Persist before broadcast: collab_prepare() computes everything and
 *    hands back exactly what to store (the accepted updates as canonical
 *    JSON, the versions they take) without changing the authority;
 *    collab_commit() then cannot fail. So the caller stores, commits, then
 *    broadcasts; if storing fails it calls collab_abort() and the
 *    authority is as before.
 *  - The document never contains "\r": CodeMirror splits lines at "\r\n",
 *    "\r" and "\n" when it loads a document, so a "\r" would make a client
 *    that loads the text count positions differently from the authority.
 *    collab_new() turns "\r\n" and "\r" into "\n" (what
 *    EditorState.create({doc}).doc.toString() gives); a pushed text with
 *    "\r" is refused. Real clients never send one.
 *  - An accepted update may have empty changes (a rebased deletion of text
 *    someone else deleted, or an effects-only update): it still takes a
 *    version, and its sender needs it to confirm its update.
 *
 * Not checked here: that a clientID belongs to the member who pushes it.
 * A member that sends another's clientID can make that client take a
 * foreign update for its own; the caller must bind clientIDs to members.
 *
 * Ownership: the caller owns the struct collab (collab_free()) and the
 * pending push it prepared (collab_commit() or collab_abort(), then
 * collab_pending_release()). Strings and JSON values passed in are copied
 * or only read. Pointers into the authority (collab_text(),
 * collab_update_at(), a committed pending's updates) stay valid until the
 * next call that changes it.
 *
 * Errors are 0 or -errno:
 *  -ESTALE  resync: the version is newer than the authority's (a client of
 *           another epoch, or a server that lost updates) or older than
 *           the log window; the client must reload the document.
 *  -EINVAL  malformed push, changes that do not match the document length
 *           at the version given, an edit inside a surrogate pair, "\r" in
 *           inserted text, invalid UTF-8, a position past the end; a client
 *           that sends this is broken: resync it too.
 *  -E2BIG   over a cap (updates per push, changes per update, clientID
 *           length, document bytes, history window full on load).
 *  -EBUSY   a prepared push is still pending.
 *  -ENOMEM
 */
#ifndef CODEROOM_ROOM_COLLAB_H
#define CODEROOM_ROOM_COLLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "room/changeset.h"
#include "room/utext.h"

struct collab_caps {
	size_t max_doc_bytes; /* UTF-8 bytes of the document */
	size_t max_updates;   /* updates in one push */
	size_t max_changes;   /* entries of one update's changes array */
	size_t max_log;	      /* updates kept in the window, >= max_updates */
	size_t max_log_bytes; /* memory the window may hold (the newest
				 push always stays) */
	size_t max_client_id; /* bytes of a clientID */
};

/* Defaults for a code editor room: 1 MiB document, 100 updates per push,
 * 10,000 changes per update, 1,000 updates or 16 MiB of log, 64-byte
 * clientIDs. */
void collab_caps_default(struct collab_caps *caps);

struct collab_update {
	char *client_id;	   /* NUL-terminated, valid UTF-8, no NULs */
	struct changeset *changes; /* canonical, applies at its version */
	char *json;		   /* cs_dump(changes): compact canonical JSON
				      of the changes array, NUL-terminated */
	size_t json_len;
};

struct collab;

/*
 * A new authority whose document is text[0..len) (valid UTF-8; "\r\n" and
 * "\r" become "\n") at 'version', with an empty log window: pushes and
 * pulls from older versions get -ESTALE until history is loaded. caps is
 * copied.
 */
int collab_new(const struct collab_caps *caps, const char *text, size_t len,
	       uint64_t version, struct collab **out);
void collab_free(struct collab *c);

uint64_t collab_version(const struct collab *c);
/* The oldest version a push, pull or selection may name. */
uint64_t collab_oldest(const struct collab *c);
/* The document: NUL-terminated UTF-8 (may contain NULs), *len bytes. */
const char *collab_text(const struct collab *c, size_t *len);
/* Its length in UTF-16 units (what the client's doc.length is). */
size_t collab_length(const struct collab *c);

/*
 * A push, prepared: the accepted updates, rebased to the current version
 * and de-duplicated, in the order they take versions base+1 .. version.
 * n may be 0 (everything was a re-send): then there is nothing to store
 * or broadcast, and commit changes nothing.
 */
struct collab_pending {
	uint64_t base;	  /* the authority's version when prepared */
	uint64_t version; /* its version after commit: base + n */
	size_t n;
	struct collab_update *updates; /* [n], updates[i] takes version
					  base + i + 1 */
	/* private */
	struct utext text; /* the document after them */
	bool committed;
};

/*
 * Validates, de-duplicates and rebases 'updates' (the JSON array a client
 * pushed: [{"clientID": string, "changes": ChangeSet JSON}, ...]; other
 * members of the objects are ignored), made on top of 'version', and
 * builds the resulting document, without changing c. On success the
 * caller stores p->updates, then calls collab_commit() or collab_abort().
 */
int collab_prepare(struct collab *c, uint64_t version, const json_t *updates,
		   struct collab_pending *p);
/* Makes a prepared push current: the new text, the log entries (evicting
 * the oldest beyond the window), the version. Cannot fail. p->updates
 * stay readable (they point into the log) until p is released. */
void collab_commit(struct collab *c, struct collab_pending *p);
/* Drops a prepared push; c is as before collab_prepare(). */
void collab_abort(struct collab *c, struct collab_pending *p);
/* Frees what p still owns (after commit or abort, or a failed prepare). */
void collab_pending_release(struct collab_pending *p);
/* collab_prepare() + collab_commit(), for callers with nothing to store. */
int collab_push(struct collab *c, uint64_t version, const json_t *updates,
		struct collab_pending *p);

/*
 * Updates since 'version', as the JSON array a client feeds to
 * receiveUpdates() after parsing ([{"clientID", "changes"}, ...]; empty
 * when version is current). -ESTALE outside [collab_oldest(), version].
 */
int collab_pull(const struct collab *c, uint64_t version, json_t **out);
/* The update that took version v to v + 1, or NULL outside the window. */
const struct collab_update *collab_update_at(const struct collab *c,
					     uint64_t v);
/* {"clientID": ..., "changes": [...]}; NULL when out of memory. */
json_t *collab_update_json(const struct collab_update *u);

/*
 * Restoring from a store: after collab_new() from a snapshot (text at
 * version S), collab_load_update() replays a stored update that came after
 * it (v must be collab_version(c); it is applied and appended), and
 * collab_load_history() puts back an update older than the window, whose
 * effect the text already holds (v must be collab_oldest(c) - 1: load them
 * newest first), so that clients a little behind can still push and pull.
 * changes_json is the stored JSON text (len bytes). -E2BIG from
 * load_history when the window is full: stop loading.
 */
int collab_load_update(struct collab *c, uint64_t v, const char *client_id,
		       const char *changes_json, size_t len);
int collab_load_history(struct collab *c, uint64_t v, const char *client_id,
			const char *changes_json, size_t len);

/*
 * Maps a selection range made at 'version' to the current version, update
 * by update, as SelectionRange.map does: an empty range (anchor == head)
 * sticks before text inserted at it; a non-empty one does not grow at its
 * ends. The direction (anchor before or after head) is kept. -ESTALE
 * outside the window, -EINVAL if a position is past the end of the
 * document at that version.
 */
int collab_map_selection(const struct collab *c, uint64_t version,
			 size_t *anchor, size_t *head);

#endif
