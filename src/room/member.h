/*
 * member.h - a member of a room, as the room layer sees it.
 *
 * The room knows members, not sockets. A protocol dialect (native /ws,
 * Socket.IO, a cluster gateway) embeds a struct room_member in its
 * connection state, fills 'ops' and calls room_join(); the room then
 * tells it what happened through the ops, and the dialect turns that into
 * its own messages. Nothing in src/room/ builds a protocol message.
 *
 * The ops are called on the loop thread, from inside the room call that
 * caused them (a push, a join, a role change...), for every member
 * concerned, the one that acted included unless said otherwise. An op must
 * not call back into the room for another action (it may read the room:
 * room_text(), m->room->members, ...), and must not free the member; to
 * leave, the dialect calls room_leave() later (from its own message or
 * close handler). removed() is the exception: the room has already
 * unlinked the member when it is called.
 *
 * Which op for which message of docs/protocol.md:
 *   updates      accepted edits, to every member; 'by' is the member who
 *                pushed them (for it, they answer its push)
 *   presence     another member's selection moved, or it is gone (!has_sel)
 *   members      the roster, a role, the host or open_edit changed
 *   chat         a chat line, to every member (the sender included)
 *   settings     open_edit or the language changed
 *   run_started  the room's run began: attach to it (run_attach()) to get
 *                its output; a member who joins during a run is told by
 *                room_join()'s caller through room_run_active()
 *   files        a file was added, renamed or deleted, or the entry moved
 *   removed      the room dropped this member ("replaced": the same member
 *                joined again elsewhere; "closing": the server stops)
 *   joined       cluster mode: the end of a join that room_join() answered
 *                with -EINPROGRESS (the room was being fetched): err 0 and
 *                the token, or the error room_join() would have returned
 *   push_done    cluster mode: a push that room_push() took (-EINPROGRESS)
 *                ended without an updates() answer: err 0 when every
 *                update was a re-send (answer as a pull of 'file' from
 *                'version'),
 *                else the error room_push() would have returned
 * A proxy (cluster/room_bus.c) stands for a member connected to another
 * node: it is in the roster and has a selection, but its ops do nothing
 * (its own node tells it everything) and it does not keep the room open.
 */
#ifndef CODEROOM_ROOM_MEMBER_H
#define CODEROOM_ROOM_MEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "room/room_store.h"

struct room;
struct room_member;
struct room_chat_line;
struct collab_update;
struct run;
struct room_join_wait;

struct room_member_ops {
	void (*updates)(struct room_member *m, uint32_t file, uint64_t from,
			const struct collab_update *u, size_t n,
			const struct room_member *by);
	void (*presence)(struct room_member *m, const struct room_member *who);
	void (*members)(struct room_member *m);
	void (*chat)(struct room_member *m, const struct room_chat_line *line);
	void (*settings)(struct room_member *m);
	void (*run_started)(struct room_member *m, struct run *run);
	void (*removed)(struct room_member *m, const char *reason);
	/* a file was added, renamed or deleted, or the entry changed
	 * (enum room_file_event); 'file' is gone after a deletion */
	void (*files)(struct room_member *m, int event, uint32_t file,
		      const struct room_member *by);
	void (*joined)(struct room_member *m, int err, const char *token);
	void (*push_done)(struct room_member *m, int err, uint32_t file,
			  uint64_t version);
};

struct room_member {
	const struct room_member_ops *ops; /* set by the dialect */
	struct room *room;		/* NULL when in no room */
	struct room_member *next;	/* in room->members */

	char id[ROOM_MEMBER_ID_LEN + 1];
	char name[ROOM_NAME_MAX + 1];	/* plain text, never markup */
	enum room_role role;		/* ROOM_READER or ROOM_WRITER; the
					   host is room->rec.host */
	char color[8];			/* "#rrggbb" */
	unsigned char token_hash[ROOM_HASH_LEN];

	/* presence: the main selection, in positions of its file's current
	 * version (mapped through every update since it was set) */
	bool has_sel;
	uint32_t sel_file;		/* the file the selection is in */
	size_t anchor, head;

	bool proxy;			/* connected to another node */
	bool joining;			/* a join waits for the room's fetch */
	struct room_join_wait *join_wait;	/* then, which */
	/* who the member's connection is, for the run engine's per-client
	 * admission (a token or an address, set by the dialect; "" counts
	 * as one anonymous client) */
	char client[64];

	/* the room-message rate limit: a token bucket */
	double rate_tokens;
	uint64_t rate_ms;
	bool rate_warned;		/* one rate_limited error a burst */

	/* bytes of the answers it asked for (resync, pull): a bucket that
	 * may go into debt (room_answer_ok) */
	double answer_tokens;
	uint64_t answer_ms;
};

#endif
