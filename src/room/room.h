/*
 * room.h - rooms: shared files, their members and their roles, a chat,
 * and the room's one run.
 *
 * Files: a room has 1 to ROOM_FILES_MAX files, each its own collab
 * document with its own version and log, addressed by an id that is never
 * reused. File 0 is the document every room had before rooms had files:
 * it is never deleted, and a call without a file id means it. Its name is
 * the room language's file name ("main.py") until someone renames it. The
 * entry file runs first (room_run_start() sends every file).
 *
 * The registry (struct rooms) holds the rooms that have members, at most
 * limits.rooms of them. A room is loaded from its store (room_store.h) on
 * its first join and freed when its last member leaves; idle rooms live
 * only in the store. A room is addressed by an unguessable id.
 *
 * Roles: the first member who ever joins is the host (and a writer);
 * later ones join as readers, or writers while open_edit is on. The host
 * grants and revokes write per member or for everyone, changes the
 * settings and hands the host role over. Every action is checked here,
 * whatever a client sends: -EACCES when the member's role may not.
 *
 * Write before broadcast: every accepted change (edit, chat line, role,
 * setting) is stored through room_store before any member hears of it; if
 * the store fails, nothing changed and the caller gets the error.
 *
 * Members are the dialects' (member.h): the room links and unlinks them
 * and calls their ops; it never frees one. Errors are 0 or -errno:
 *   -ENOENT  no such room / member / language     -EACCES  the role may not
 *   -EUSERS  the room is full                     -EMFILE  too many rooms open
 *   -EDQUOT  too many rooms stored                -E2BIG   over a size cap
 *   -ENOSPC  the store's disk is full
 *   -EINVAL  a malformed value                    -ESTALE  resync the client
 *   -EBUSY   the room's run is active             -EAGAIN  rate limited
 *   -EPERM   a clientID of another member         -EIO and others: the store
 */
#ifndef CODEROOM_ROOM_H
#define CODEROOM_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "room/chat.h"
#include "room/collab.h"
#include "room/member.h"
#include "room/room_bus.h"
#include "room/room_store.h"
#include "run/run.h"

#define ROOM_TOKEN_LEN 43	/* base64url of 32 random bytes */
#define ROOM_CHAT_HISTORY 200	/* lines sent on join */
#define ROOM_PUSH_MAX 100	/* updates in one push (collab's cap) */

/* Every cap is a command-line flag (lib/config.h). */
struct room_limits {
	size_t doc_bytes;	/* UTF-8 bytes of a document */
	size_t log;		/* updates kept for reconnecting clients */
	size_t chat_bytes;	/* bytes of a chat line */
	unsigned members;	/* members connected to one room */
	unsigned rooms;		/* rooms open (in memory) at once */
	uint64_t stored_rooms;	/* rooms in the store */
	unsigned rate;		/* room messages a second per member */
	unsigned snapshot_every; /* updates between snapshots */
	size_t members_kept;	/* members a room remembers (tokens) */
};

void room_limits_default(struct room_limits *l);

struct rooms {
	struct room_store store;
	struct room_limits lim;
	struct run_engine *engine;
	const struct lang_table *langs;
	struct room *list;	/* open rooms */
	unsigned open;
	/* counters, for health and benches */
	uint64_t loads, pushes, updates, chats;
	/* how long room_push() took (parse, rebase, store, every member's
	 * frame queued), in 10 us steps; the last slot is everything longer */
	uint32_t push_hist[4096];
	uint64_t push_max_ns;
	/* cluster mode (room_bus.h): the other nodes, and the joins waiting
	 * for a room's fetch */
	const struct room_bus_ops *bus;
	void *bus_data;
	struct room_join_wait *waits;
};

/* The q-quantile (0..1) of room_push() durations, in microseconds. */
uint64_t rooms_push_quantile_us(const struct rooms *reg, double q);

#define ROOM_FILES_MAX 32	/* files of one room */
#define ROOM_FILE_NAME_MAX 255	/* bytes of a file's path */

/* which member each clientID of a file's log window belongs to */
struct room_client {
	char id[65];
	char member[ROOM_MEMBER_ID_LEN + 1];
	uint64_t last;		/* the newest version it took */
};

struct room_file {
	uint32_t id;
	char *name;			/* malloc'd; NULL: the language's */
	struct collab *doc;
	uint64_t snap_version;		/* of the newest stored snapshot */
	struct room_client *clients;
	size_t nclients, clients_cap;
};

/* What room_member_ops.files() reports. */
enum room_file_event {
	ROOM_FILE_ADDED, ROOM_FILE_RENAMED, ROOM_FILE_DELETED, ROOM_FILE_ENTRY,
};

struct room {
	struct rooms *reg;
	struct room *next;		/* reg->list */
	struct room_record rec;		/* id, language, open_edit, host, entry */
	struct room_file *files[ROOM_FILES_MAX]; /* by increasing id */
	size_t nfiles;
	struct room_member *members;	/* connected, newest first */
	unsigned nmembers;
	struct chat_ring chat;
	unsigned holds;			/* room_hold() without a member */
	/* the room's run: its own subscription keeps it alive while the
	 * room is open; members attach their own to see it */
	struct run_sub run_sub;
	char run_by[ROOM_MEMBER_ID_LEN + 1];
	/* cluster mode: members of this node (proxies do not keep it open),
	 * the push in flight and the ones waiting behind it */
	unsigned nlocal;
	struct room_push_wait *push_inflight, *push_queue;
	uint64_t push_gate;		/* pushes wait for this version */
};

int rooms_init(struct rooms *reg, const struct room_store *store,
	       const struct room_limits *lim, struct run_engine *engine,
	       const struct lang_table *langs);
/* Removes every member ("closing") and frees every room. */
void rooms_release(struct rooms *reg);

/* A new room in the store (not opened): language id (NULL: python),
 * initial text (may be NULL). Sets id (ROOM_ID_LEN + 1 bytes). */
int rooms_create(struct rooms *reg, const char *language, const char *text,
		 size_t len, char *id);
/* The stored record of a room, open or not. -ENOENT. */
int rooms_lookup(struct rooms *reg, const char *id, struct room_record *out);
/* Whether s looks like a room id (before any lookup). */
bool room_id_valid(const char *s);

/*
 * Joins m (ops set, not in a room) to room 'id' as 'name'. With a token
 * the room knows, m becomes that member again (its id, role, colour; a
 * connection that has it already is removed, "replaced"); otherwise a new
 * member. token_out (ROOM_TOKEN_LEN + 1 bytes) gets the token to keep.
 * Every other member gets members(); the caller sends m its welcome
 * (room_text(), m->room->members, the chat, room_run_active()).
 * Cluster mode: -EINPROGRESS while the room is fetched; m's joined() op
 * follows with the outcome (token_out is not written then).
 */
int room_join(struct rooms *reg, const char *id, const char *name,
	      size_t name_len, const char *token, struct room_member *m,
	      char *token_out);
/* Unlinks m; the others get presence() (gone) and members(). The last
 * member's leaving closes the room. Safe when m is in no room. */
void room_leave(struct room_member *m);

/*
 * Opens a room without a member (an HTTP read); room_release() closes it
 * again when nobody joined meanwhile. Same errors as a join.
 */
int room_hold(struct rooms *reg, const char *id, struct room **out);
void room_release(struct room *r);
/* The open room, or NULL. */
struct room *rooms_find(struct rooms *reg, const char *id);

/* The member's role: ROOM_HOST for the host. */
enum room_role room_role_of(const struct room *r, const struct room_member *m);
const char *room_role_name(enum room_role role);
bool room_can_write(const struct room_member *m);

/* File 0's text and version. */
const char *room_text(const struct room *r, size_t *len, uint64_t *version);
/* The file name of the room's language ("main.py"). */
const char *room_file_name(const struct room *r);
/* File 'id', or NULL. */
struct room_file *room_file_find(const struct room *r, uint32_t id);
/* A file's name: its own, or the language's. */
const char *room_file_label(const struct room *r, const struct room_file *f);
/* A file's text and version. */
const char *room_file_text(const struct room_file *f, size_t *len,
			   uint64_t *version);
/* Whether the store keeps several files a room (else: file 0 only). */
bool room_files_supported(const struct room *r);

/*
 * Files (writers, as edits). A name is a relative path
 * (sandbox_path_ok(), at most ROOM_FILE_NAME_MAX bytes) that clashes with
 * no other file's. Every member then gets files(). Errors: -EACCES (a
 * reader), -ENOENT (no such file), -EINVAL (a bad name), -EEXIST (a name
 * that clashes), -EMLINK (ROOM_FILES_MAX files already), -E2BIG (text
 * over doc_bytes), -EPERM (file 0 cannot be deleted), -EOPNOTSUPP (the
 * store keeps one file a room), the store's.
 */
int room_file_add(struct room_member *m, const char *name, size_t name_len,
		  const char *text, size_t len, uint32_t *id);
int room_file_rename(struct room_member *m, uint32_t id, const char *name,
		     size_t name_len);
/* The entry file becomes file 0 when the entry is deleted. */
int room_file_delete(struct room_member *m, uint32_t id);
int room_file_entry(struct room_member *m, uint32_t id);

/* Token bucket of room messages: false (rate limited) when m has sent
 * more than limits.rate a second; *first set on the first refusal of a
 * burst (tell the client once). */
bool room_rate_ok(struct room_member *m, uint64_t now_ms, bool *first);
/* The same with the registry's rate, for a member in no room yet (a join
 * counts too: leaving and joining again does not refill the bucket). */
bool rooms_rate_ok(const struct rooms *reg, struct room_member *m,
		   uint64_t now_ms, bool *first);

/*
 * What a member asks for costs what it answers: a 15-byte resync is the
 * whole document. The answers to its resync and pull messages may come
 * to 2 x limits.doc_bytes a second, in a burst of 4 x (a bucket per
 * connection, like the message rate). room_answer_ok() says whether one
 * may go now (the bucket is not in debt; else *wait_ms until it is);
 * room_answer_spent() takes its size, which may leave the bucket in debt,
 * so one answer bigger than the burst (a long pull) still goes, once.
 */
bool room_answer_ok(struct room_member *m, const struct room_limits *lim,
		    uint64_t now_ms, uint64_t *wait_ms);
void room_answer_spent(struct room_member *m, size_t bytes);

/*
 * Editing (writers). A push of 'updates' (the JSON array of a push
 * message) made at 'version'; every member then gets updates().
 * *accepted (may be NULL) is how many were new: 0 when every one was a
 * re-send, and then nobody is told anything (the caller answers the
 * pusher). -ESTALE: the client must resync; -EINVAL: bad changes (resync
 * it too). Cluster mode: -EINPROGRESS when the push is out to the shared
 * store (or waits behind another): the pusher's updates() answers it, or
 * its push_failed() with one of these errors.
 */
int room_push(struct room_member *m, uint64_t version, const json_t *updates,
	      size_t *accepted);
/* The same on file 'file' (-ENOENT: no such file). room_push() is file 0. */
int room_push_file(struct room_member *m, uint32_t file, uint64_t version,
		   const json_t *updates, size_t *accepted);
/* The updates since version (a new JSON array), or -ESTALE. Anyone. */
int room_pull(struct room_member *m, uint32_t file, uint64_t version,
	      json_t **out);
/* Replaces a file by text (an upload): one update with the smallest
 * change, pushed as clientID "upload:<member id>". "\r\n" and "\r"
 * become "\n". */
int room_replace_text(struct room_member *m, uint32_t file, const char *text,
		      size_t len);

/* My selection in 'file' at 'version' (or none); the others get
 * presence(). */
int room_presence(struct room_member *m, uint32_t file, bool has,
		  uint64_t version, size_t anchor, size_t head);

/* A chat line from m; every member gets chat(). */
int room_chat(struct room_member *m, const char *text, size_t len);

/* Host only. target "*": every member but the host. */
int room_set_role(struct room_member *m, const char *target,
		  enum room_role role);
/* Host only. open_edit < 0 or language NULL: unchanged. */
int room_set_settings(struct room_member *m, int open_edit,
		      const char *language);
int room_set_host(struct room_member *m, const char *target);

/* The room's run (writers): runs the room's text now, in 'lang' (NULL:
 * the room's). Every member gets run_started(). */
int room_run_start(struct room_member *m, const char *lang, uint16_t rows,
		   uint16_t cols, struct run **out);
/* The room's run while it has not exited, or NULL. */
struct run *room_run_active(const struct room *r);
int room_run_stop(struct room_member *m);
int room_run_input(struct room_member *m, const char *p, size_t n);
int room_run_resize(struct room_member *m, uint16_t rows, uint16_t cols);

#endif
