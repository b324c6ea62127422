/*
 * ws_room.c - the rooms of the native protocol (/ws): the room messages,
 * the room's run for a connection in a room, and the member ops that
 * turn what happens in the room into messages (docs/protocol.md, "Rooms
 * on /ws").
 *
 * A connection is a member through the struct room_member in its state
 * (native.h). The room layer decides; this file only parses (room_msg.c),
 * calls the room, and writes JSON. Broadcast messages that are the same
 * for every member (updates, chat) are serialised once per broadcast.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "net/conn.h"
#include "net/server.h"
#include "proto/app.h"
#include "proto/native.h"
#include "proto/room_msg.h"
#include "room/room.h"
#include "run/lang.h"
#include "sandbox/sandbox.h"

#define native_of_member(mp) \
	((struct native *)((char *)(mp) - offsetof(struct native, member)))
#define conn_of_member(mp) (native_of_member(mp)->st.c)

/* One serialisation for every member of a broadcast: 'seq' is a counter
 * of the registry that no other broadcast ever had. */
static struct {
	const void *key;		/* what was serialised */
	uint64_t seq;			/* with which broadcast */
	char *s;
	size_t len;
} cache;

static void send_cached(struct conn *c, const void *key, uint64_t seq,
			json_t *(*build)(const void *key, void *arg), void *arg)
{
	if (!cache.s || cache.key != key || cache.seq != seq) {
		json_t *j = build(key, arg);
		free(cache.s);
		cache.s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		cache.len = cache.s ? strlen(cache.s) : 0;
		cache.key = key;
		cache.seq = seq;
		json_decref(j);
	}
	if (cache.s)
		conn_send_text(c, cache.s, cache.len);
}

/* ---- what the room tells a member ---- */

struct updates_arg {
	uint32_t file;
	uint64_t from;
	size_t n;
};

static json_t *build_updates(const void *key, void *arg)
{
	const struct collab_update *u = key;
	struct updates_arg *a = arg;
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < a->n; i++)
		json_array_append_new(arr, collab_update_json(&u[i]));
	return json_pack("{s:s, s:I, s:o, s:I}", "type", "updates", "from",
			 (json_int_t)a->from, "updates", arr, "file",
			 (json_int_t)a->file);
}

static void op_updates(struct room_member *m, uint32_t file, uint64_t from,
		       const struct collab_update *u, size_t n,
		       const struct room_member *by)
{
	struct updates_arg a = { file, from, n };
	json_t *j;

	/* a client of one file hears of file 0 only */
	if (file != 0 && !native_of_member(m)->room_files)
		return;
	if (by != m) {
		send_cached(conn_of_member(m), u, m->room->reg->pushes,
			    build_updates, &a);
		return;
	}
	/* the pusher's copy answers its push */
	if ((j = build_updates(u, &a)))
		json_object_set_new(j, "push", json_true());
	conn_send_json(conn_of_member(m), j);
}

static json_t *selection_json(const struct room_member *who)
{
	return who->has_sel ? json_pack("{s:I, s:I}", "anchor",
					(json_int_t)who->anchor, "head",
					(json_int_t)who->head)
			    : json_null();
}

/* A member's selection as 'to' may see it: a client of one file sees
 * selections in file 0 only (others as none). */
static json_t *presence_fields(const struct room *r,
			       const struct room_member *who, bool files)
{
	const struct room_file *f = NULL;
	uint64_t v = 0;
	bool shown = who->has_sel && (files || who->sel_file == 0);

	if (shown && (f = room_file_find(r, who->sel_file)))
		room_file_text(f, NULL, &v);
	else
		room_text(r, NULL, &v);
	json_t *j = json_pack("{s:s, s:o, s:I}", "member", who->id,
			      "selection", shown ? selection_json(who) :
			      json_null(), "version", (json_int_t)v);

	if (j && files)
		json_object_set_new(j, "file", json_integer(
			(json_int_t)(shown ? who->sel_file : 0)));
	return j;
}

static void op_presence(struct room_member *m, const struct room_member *who)
{
	json_t *j = presence_fields(m->room, who,
				    native_of_member(m)->room_files);

	if (j)
		json_object_set_new(j, "type", json_string("presence"));
	conn_send_json(conn_of_member(m), j);
}

static json_t *file_json(const struct room *r, const struct room_file *f,
			 bool text)
{
	uint64_t v;
	size_t len;
	const char *t = room_file_text(f, &len, &v);
	json_t *j = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)f->id,
			      "name", room_file_label(r, f), "version",
			      (json_int_t)v);

	if (j && text)
		json_object_set_new(j, "text", json_stringn(t, len));
	return j;
}

static void op_files(struct room_member *m, int event, uint32_t file,
		     const struct room_member *by)
{
	struct room *r = m->room;
	const struct room_file *f = room_file_find(r, file);
	json_t *j = NULL;

	if (!native_of_member(m)->room_files)
		return;
	switch (event) {
	case ROOM_FILE_ADDED:
		if (f)
			j = json_pack("{s:s, s:o, s:s}", "type", "file_added",
				      "file", file_json(r, f, true), "by",
				      by->id);
		break;
	case ROOM_FILE_RENAMED:
		if (f)
			j = json_pack("{s:s, s:I, s:s, s:s}", "type",
				      "file_renamed", "file", (json_int_t)file,
				      "name", room_file_label(r, f), "by",
				      by->id);
		break;
	case ROOM_FILE_DELETED:
		j = json_pack("{s:s, s:I, s:s}", "type", "file_deleted", "file",
			      (json_int_t)file, "by", by->id);
		break;
	case ROOM_FILE_ENTRY:
		j = json_pack("{s:s, s:I, s:s}", "type", "file_entry", "file",
			      (json_int_t)file, "by", by->id);
		break;
	default:
		return;
	}
	conn_send_json(conn_of_member(m), j);
}

static json_t *member_json(const struct room *r, const struct room_member *o)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "id", o->id, "name", o->name,
			 "role", room_role_name(room_role_of(r, o)), "color",
			 o->color);
}

static json_t *members_json(const struct room *r)
{
	json_t *a = json_array();

	/* oldest first: the list is newest first */
	for (const struct room_member *o = r->members; a && o; o = o->next)
		json_array_insert_new(a, 0, member_json(r, o));
	return a;
}

static void op_members(struct room_member *m)
{
	struct room *r = m->room;

	conn_send_json(conn_of_member(m), json_pack(
		"{s:s, s:o, s:s, s:b}", "type", "members", "members",
		members_json(r), "host", r->rec.host, "open_edit",
		r->rec.open_edit));
}

static json_t *chat_json(const struct room_chat_line *l, bool typed)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:s%, s:I}", "id",
			      (json_int_t)l->id, "member", l->member, "name",
			      l->name, "text", l->text, l->text_len, "ts",
			      (json_int_t)l->ts);

	if (j && typed)
		json_object_set_new(j, "type", json_string("chat"));
	return j;
}

static json_t *build_chat(const void *key, void *arg)
{
	(void)arg;
	return chat_json(key, true);
}

static void op_chat(struct room_member *m, const struct room_chat_line *line)
{
	send_cached(conn_of_member(m), line, m->room->reg->chats, build_chat,
		    NULL);
}

static void op_settings(struct room_member *m)
{
	struct room *r = m->room;

	conn_send_json(conn_of_member(m), json_pack(
		"{s:s, s:b, s:s, s:s}", "type", "room_settings", "open_edit",
		r->rec.open_edit, "language", r->rec.language, "file",
		room_file_label(r, room_file_find(r, 0))));
}

static void op_run_started(struct room_member *m, struct run *run)
{
	native_watch(conn_of_member(m), run, false, m->room->run_by);
}

static void op_removed(struct room_member *m, const char *reason)
{
	struct native *nc = native_of_member(m);

	stream_reset(&nc->st, false);	/* stop watching the room's run */
	conn_send_json(nc->st.c, json_pack("{s:s, s:s}", "type", "removed",
					   "reason", reason));
}

static void op_joined(struct room_member *m, int err, const char *token);
static void op_push_done(struct room_member *m, int err, uint32_t file,
			 uint64_t version);

static const struct room_member_ops member_ops = {
	.updates = op_updates,
	.presence = op_presence,
	.members = op_members,
	.chat = op_chat,
	.settings = op_settings,
	.run_started = op_run_started,
	.removed = op_removed,
	.files = op_files,
	.joined = op_joined,
	.push_done = op_push_done,
};

/* ---- errors ---- */

static void send_errno(struct conn *c, int err, const char *what)
{
	const char *code;

	switch (err) {
	case -ENOENT: code = "not_found"; break;
	case -EACCES:
	case -EPERM: code = "forbidden"; break;
	case -E2BIG: code = "too_large"; break;
	case -EUSERS: code = "room_full"; break;
	case -EMFILE: code = "server_full"; break;
	case -EBUSY: code = "busy"; break;
	case -ESRCH: code = "no_run"; break;
	case -EINVAL: code = "bad_field"; break;
	case -EOPNOTSUPP: code = "not_supported"; break;
	case -ENOBUFS: code = "input_overflow"; break;
	case -EAGAIN: code = "server_busy"; break;
	case -ENOSPC:
	case -EIO:
	case -EROFS:
	case -ENOMEM: code = "store_failed"; break;
	default: code = "internal"; break;
	}
	conn_send_error(c, code, NULL, "%s", what);
}

static struct rooms *rooms_of(struct conn *c)
{
	return app_of(c)->rooms;
}

/* ---- the messages ---- */

static void send_joined(struct conn *c, const char *token)
{
	struct native *nc = native_of(c);
	struct room_member *m = &nc->member;
	struct room *r = m->room;
	const struct room_limits *lim = &r->reg->lim;
	json_t *chat = json_array(), *pres = json_array(), *j, *runj;
	json_t *files = NULL;
	struct run *run = room_run_active(r);
	uint64_t v;
	size_t len;
	const char *text = room_text(r, &len, &v);

	for (size_t i = 0; chat && i < r->chat.n; i++)
		json_array_append_new(chat, chat_json(chat_ring_at(&r->chat, i),
						      false));
	for (struct room_member *o = r->members; pres && o; o = o->next) {
		if (o == m || !o->has_sel || (!nc->room_files && o->sel_file))
			continue;
		json_array_append_new(pres, presence_fields(r, o,
							    nc->room_files));
	}
	if (nc->room_files) {
		files = json_array();
		for (size_t i = 0; files && i < r->nfiles; i++)
			json_array_append_new(files,
					      file_json(r, r->files[i], true));
	}
	runj = run ? json_pack("{s:s, s:s}", "id", run_id(run), "state",
			       run_get_state(run) == RUN_WAITING ?
			       "waiting_for_input" : "running")
		   : json_null();
	j = json_pack("{s:s, s:s, s:o, s:s, s:{s:I, s:s%}, s:s, s:s, s:b, "
		      "s:s, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:i, s:i, s:i, s:I}}",
		      "type", "joined", "room", r->rec.id,
		      "you", member_json(r, m), "token", token,
		      "doc", "version", (json_int_t)v, "text", text, len,
		      "language", r->rec.language, "file", room_file_label(r, room_file_find(r, 0)),
		      "open_edit", r->rec.open_edit, "host", r->rec.host,
		      "members", members_json(r), "presence", pres,
		      "chat", chat, "run", runj,
		      "limits", "doc_bytes", (json_int_t)lim->doc_bytes,
		      "chat_bytes", (json_int_t)lim->chat_bytes,
		      "members", (int)lim->members, "rate", (int)lim->rate,
		      "push_updates", ROOM_PUSH_MAX,
		      "message_bytes",
		      (json_int_t)c->srv->cfg->max_message_bytes);
	if (j && files) {
		json_object_set_new(j, "files", files);
		json_object_set_new(j, "entry",
				    json_integer((json_int_t)r->rec.entry));
		json_object_set_new(j, "files_supported",
				    json_boolean(room_files_supported(r)));
	} else {
		json_decref(files);
	}
	if (!j) {
		conn_send_error(c, "internal", NULL, "cannot encode the room");
		return;
	}
	conn_send_json(c, j);
	if (run)	/* the scrollback, "attached", then live output */
		native_watch(c, run, true, NULL);
}

static void join_answer(struct conn *c, int err, const char *token,
			const char *room);

static void do_join(struct conn *c, const struct room_msg *rm)
{
	struct native *nc = native_of(c);
	char token[ROOM_TOKEN_LEN + 1];
	int err;

	if (nc->member.joining) {
		conn_send_error(c, "busy", NULL, "a join is on its way");
		return;
	}
	if (nc->member.room) {
		conn_send_error(c, "already_joined", NULL,
				"this connection is in room '%s'; leave it first",
				nc->member.room->rec.id);
		return;
	}
	if (stream_active_run(&nc->st)) {
		conn_send_error(c, "busy", NULL, "stop this connection's run "
				"before joining a room");
		return;
	}
	nc->member.ops = &member_ops;
	snprintf(nc->member.client, sizeof(nc->member.client), "%s",
		 nc->client);
	nc->ack = rm->ack;
	nc->room_files = rm->files;
	err = room_join(rooms_of(c), rm->room, rm->name, rm->name_len,
			rm->token, &nc->member, token);
	if (err != -EINPROGRESS)	/* cluster mode: op_joined() follows */
		join_answer(c, err, token, rm->room);
}

/* The outcome of a join, now or (cluster mode) once the room came. */
static void join_answer(struct conn *c, int err, const char *token,
			const char *room)
{
	struct native *nc = native_of(c);

	switch (err) {
	case 0:
		log_info("room: '%s': member '%s' joined (conn %llu)",
			 nc->member.room->rec.id, nc->member.id,
			 (unsigned long long)c->id);
		send_joined(c, token);
		return;
	case -EINVAL:
		conn_send_error(c, "bad_field", "name", "a name is 1 to 64 "
				"characters, without control characters");
		return;
	case -ENOENT:
		if (room[0])
			conn_send_error(c, "not_found", "room", "no room '%.40s'",
					room);
		else
			conn_send_error(c, "not_found", "room", "no such room");
		return;
	case -EUSERS:
		conn_send_error(c, "room_full", NULL, "the room has its "
				"maximum of %u members", rooms_of(c)->lim.members);
		return;
	case -EMFILE:
		conn_send_error(c, "server_full", NULL, "the server has its "
				"maximum of %u rooms open; try again later",
				rooms_of(c)->lim.rooms);
		return;
	default:
		send_errno(c, err, "cannot join the room");
	}
}

static void send_resync(struct conn *c, struct room *r, uint32_t file)
{
	const struct room_file *f = room_file_find(r, file);
	uint64_t v;
	size_t len;
	const char *text;

	if (!f) {
		conn_send_error(c, "not_found", "file", "no file %u in the room",
				(unsigned)file);
		return;
	}
	text = room_file_text(f, &len, &v);
	conn_send_json(c, json_pack("{s:s, s:{s:I, s:s%}, s:I}", "type",
				    "resync", "doc", "version", (json_int_t)v,
				    "text", text, len, "file",
				    (json_int_t)file));
	room_answer_spent(&native_of(c)->member, len);
}

/* Whether the member may have the answer it asked for ('what': "resync"
 * or "pull") now; else it is told rate_limited (always: it waits for an
 * answer) with how long to wait. */
static bool answer_allowed(struct conn *c, const char *what)
{
	uint64_t wait_ms;

	if (room_answer_ok(&native_of(c)->member, &rooms_of(c)->lim,
			   server_now_ms(), &wait_ms))
		return true;
	conn_send_error(c, "rate_limited", what, "the %ss asked for came to "
			"more than %zu bytes a second; send it again in %llu "
			"ms", what, 2 * rooms_of(c)->lim.doc_bytes,
			(unsigned long long)wait_ms);
	return false;
}

static void do_pull(struct conn *c, const struct room_msg *rm,
		    const char *answers);

/* An error that answers a push: {"type":"error",...,"push":true}. */
static void __attribute__((format(printf, 4, 5)))
push_error(struct conn *c, const char *code, const char *field,
	   const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	j = json_pack("{s:s, s:s, s:s, s:b}", "type", "error", "code", code,
		      "message", msg, "push", 1);
	if (j && field)
		json_object_set_new(j, "field", json_string(field));
	conn_send_json(c, j);
}

static void push_answer(struct conn *c, int err, uint32_t file,
			uint64_t version, size_t accepted);
static void pull_answer(struct conn *c, uint32_t file, uint64_t version,
			const char *answers);

static void do_push(struct conn *c, const struct room_msg *rm)
{
	struct room_member *m = &native_of(c)->member;
	size_t accepted;
	int err;

	if (json_array_size(rm->updates) > ROOM_PUSH_MAX) {
		push_error(c, "too_large", "updates", "at most %d updates "
				"in one push: send the first %d, then the rest",
				ROOM_PUSH_MAX, ROOM_PUSH_MAX);
		return;
	}
	err = room_push_file(m, rm->file, rm->version, rm->updates, &accepted);
	if (err == -EINPROGRESS)	/* cluster mode: updates() answers it,
					   or op_push_done() */
		return;
	push_answer(c, err, rm->file, rm->version, accepted);
}

/* A push's answer, but for the updates that answer a stored one. */
static void push_answer(struct conn *c, int err, uint32_t file,
			uint64_t version, size_t accepted)
{
	struct room_member *m = &native_of(c)->member;

	switch (err) {
	case 0:
		/* every update was a re-send: answer as a pull would, so the
		 * client sees its own updates and knows its push is done */
		if (!accepted)
			pull_answer(c, file, version, "push");
		return;
	case -EACCES:
		push_error(c, "forbidden", NULL, "readers cannot edit; ask the "
			   "host for write access");
		return;
	case -EPERM:
		push_error(c, "forbidden", "updates", "a clientID of another "
			   "member: each editor has its own");
		return;
	case -ENOENT:
		push_error(c, "not_found", "file", "no file %u in the room "
			   "(deleted?)", (unsigned)file);
		return;
	case -ESTALE:
		send_resync(c, m->room, file);
		return;
	case -EINVAL:
		push_error(c, "bad_changes", "updates", "these changes do not "
			   "apply to the document at version %llu; reload it",
			   (unsigned long long)version);
		send_resync(c, m->room, file);
		return;
	case -E2BIG:
		push_error(c, "too_large", "updates", "the document may hold at "
			   "most %zu bytes", rooms_of(c)->lim.doc_bytes);
		return;
	default:
		push_error(c, "store_failed", NULL, "the edit could not be "
			   "stored (%s); nothing changed, push it again",
			   strerror(-err));
	}
}

/* The updates since rm->version to this client; 'answers' ("pull" or
 * "push") is set true in the message. */
static void do_pull(struct conn *c, const struct room_msg *rm,
		    const char *answers)
{
	pull_answer(c, rm->file, rm->version, answers);
}

static void pull_answer(struct conn *c, uint32_t file, uint64_t version,
			const char *answers)
{
	struct room_member *m = &native_of(c)->member;
	json_t *u = NULL;
	int err = room_pull(m, file, version, &u);

	if (err == -ESTALE) {
		send_resync(c, m->room, file);
		return;
	}
	if (err == -ENOENT) {
		conn_send_error(c, "not_found", strcmp(answers, "pull") ?
				"file" : "pull", "no file %u in the room",
				(unsigned)file);
		return;
	}
	if (err) {
		send_errno(c, err, "cannot read the updates");
		return;
	}
	json_t *j = json_pack("{s:s, s:I, s:o, s:b, s:I}", "type", "updates",
			      "from", (json_int_t)version, "updates", u,
			      answers, 1, "file", (json_int_t)file);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		send_errno(c, -ENOMEM, "cannot read the updates");
		return;
	}
	size_t n = strlen(s);
	conn_send_text(c, s, n);
	free(s);
	room_answer_spent(&native_of(c)->member, n);
}

static void do_presence(struct conn *c, const struct room_msg *rm)
{
	struct room_member *m = &native_of(c)->member;
	const struct room_file *f = room_file_find(m->room, rm->file);
	uint64_t v = 0;
	int err;

	if (rm->has_version)
		v = rm->version;
	else if (f)
		room_file_text(f, NULL, &v);
	err = room_presence(m, rm->file, rm->has_sel, v, rm->anchor, rm->head);
	if (err == -ENOENT)
		conn_send_error(c, "not_found", "file", "no file %u in the "
				"room", (unsigned)rm->file);
	else if (err == -ESTALE)
		conn_send_error(c, "bad_field", "version", "version %llu is "
				"not in the room's log", (unsigned long long)v);
	else if (err)
		conn_send_error(c, "bad_field", "selection", "the selection "
				"is outside the document at version %llu",
				(unsigned long long)v);
}

static void do_chat(struct conn *c, const struct room_msg *rm)
{
	int err = room_chat(&native_of(c)->member, rm->text, rm->text_len);

	if (err == -E2BIG)
		conn_send_error(c, "too_large", "text", "a chat line holds at "
				"most %zu bytes", rooms_of(c)->lim.chat_bytes);
	else if (err == -EINVAL)
		conn_send_error(c, "bad_field", "text", "a chat line is "
				"text: not empty, no control characters");
	else if (err)
		send_errno(c, err, "the line could not be stored; send it again");
}

static const char *const host_only =
	"only the host may change roles and settings";

static void do_role(struct conn *c, const struct room_msg *rm)
{
	int err = room_set_role(&native_of(c)->member, rm->member,
				rm->writer ? ROOM_WRITER : ROOM_READER);

	if (err == -EACCES)
		conn_send_error(c, "forbidden", NULL, "%s", host_only);
	else if (err == -ENOENT)
		conn_send_error(c, "not_found", "member", "no member '%.20s' "
				"in the room", rm->member);
	else if (err == -EINVAL)
		conn_send_error(c, "bad_field", "member", "the host is always "
				"a writer; hand the host role over first");
	else if (err)
		send_errno(c, err, "the role could not be stored");
}

static void do_settings(struct conn *c, const struct room_msg *rm)
{
	int err = room_set_settings(&native_of(c)->member, rm->open_edit,
				    rm->language);

	if (err == -EACCES)
		conn_send_error(c, "forbidden", NULL, "%s", host_only);
	else if (err == -ENOENT)
		conn_send_error(c, "unknown_language", "language",
				"unknown language '%.32s'", rm->language);
	else if (err)
		send_errno(c, err, "the settings could not be stored");
}

static void do_host(struct conn *c, const struct room_msg *rm)
{
	int err = room_set_host(&native_of(c)->member, rm->member);

	if (err == -EACCES)
		conn_send_error(c, "forbidden", NULL, "%s", host_only);
	else if (err == -ENOENT)
		conn_send_error(c, "not_found", "member", "no member '%.20s' "
				"in the room", rm->member);
	else if (err)
		send_errno(c, err, "the host could not be stored");
}

/* The language a file name's extension says, or NULL. */
static const char *lang_of_file(const struct lang_table *t, const char *name)
{
	const char *dot = name ? strrchr(name, '.') : NULL;

	if (!dot || !dot[1])
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		const char *fdot = t->v[i].file ? strrchr(t->v[i].file, '.') : NULL;
		if (fdot && strcasecmp(fdot, dot) == 0)
			return t->v[i].id;
	}
	return NULL;
}

static void do_upload(struct conn *c, const struct room_msg *rm)
{
	struct room_member *m = &native_of(c)->member;
	const char *lang;
	int err = room_replace_text(m, rm->file, rm->text, rm->text_len);

	if (err == -EACCES) {
		conn_send_error(c, "forbidden", NULL, "readers cannot replace "
				"the file; ask the host for write access");
		return;
	}
	if (err == -E2BIG) {
		conn_send_error(c, "too_large", "text", "the document may hold "
				"at most %zu bytes", rooms_of(c)->lim.doc_bytes);
		return;
	}
	if (err == -EINVAL) {
		conn_send_error(c, "bad_field", "text", "the file is not text "
				"(UTF-8)");
		return;
	}
	if (err == -ENOENT) {
		conn_send_error(c, "not_found", "file", "no file %u in the "
				"room", (unsigned)rm->file);
		return;
	}
	if (err && err != -EINPROGRESS) {	/* cluster: on its way */
		send_errno(c, err, "the file could not be stored; nothing "
			   "changed");
		return;
	}
	lang = lang_of_file(app_of(c)->langs, rm->file_name);
	if (lang && rm->file == 0 && strcmp(lang, m->room->rec.language) &&
	    room_role_of(m->room, m) == ROOM_HOST)
		room_set_settings(m, -1, lang);
}

static bool name_ok(const struct room_msg *rm)
{
	return rm->file_name && rm->file_name_len <= ROOM_FILE_NAME_MAX &&
	       strlen(rm->file_name) == rm->file_name_len &&
	       sandbox_path_ok(rm->file_name, rm->file_name_len);
}

/* file_add, file_rename, file_delete, file_entry: the answer is the
 * broadcast (file_added, ...), or an error. */
static void do_file(struct conn *c, const struct room_msg *rm)
{
	struct room_member *m = &native_of(c)->member;
	int err;

	switch (rm->type) {
	case RMSG_FILE_ADD:
		err = room_file_add(m, rm->file_name, rm->file_name_len,
				    rm->text, rm->text_len, NULL);
		break;
	case RMSG_FILE_RENAME:
		err = room_file_rename(m, rm->file, rm->file_name,
				       rm->file_name_len);
		break;
	case RMSG_FILE_DELETE:
		err = room_file_delete(m, rm->file);
		break;
	default:
		err = room_file_entry(m, rm->file);
		break;
	}
	switch (err) {
	case 0:
		return;
	case -EACCES:
		conn_send_error(c, "forbidden", NULL, "readers cannot change "
				"the files; ask the host for write access");
		return;
	case -EPERM:
		conn_send_error(c, "forbidden", "file", "file 0 is the room's "
				"first file and stays; empty it instead");
		return;
	case -ENOENT:
		conn_send_error(c, "not_found", "file", "no file %u in the "
				"room", (unsigned)rm->file);
		return;
	case -EINVAL:
		conn_send_error(c, "bad_field", name_ok(rm) ? "text" : "name",
				"a file name is a relative path of at most %d "
				"bytes ('/' between directories, no '.', '..' "
				"or empty parts, no control characters), its "
				"text UTF-8", ROOM_FILE_NAME_MAX);
		return;
	case -EEXIST:
		conn_send_error(c, "bad_field", "name", "'%.64s' clashes with "
				"another file of the room (the same name, or a "
				"file and a directory of that name)",
				rm->file_name);
		return;
	case -EMLINK:
		conn_send_error(c, "too_large", "files", "a room holds at most "
				"%d files", ROOM_FILES_MAX);
		return;
	case -E2BIG:
		conn_send_error(c, "too_large", "text", "a file may hold at "
				"most %zu bytes", rooms_of(c)->lim.doc_bytes);
		return;
	case -EOPNOTSUPP:
		conn_send_error(c, "not_supported", "files", "this server keeps "
				"one file a room (its room store has no "
				"files: a cluster's rooms)");
		return;
	default:
		send_errno(c, err, "the files could not be stored; nothing "
			   "changed");
	}
}

/* run, stop, input, resize on the room's run */
static bool room_run_message(struct conn *c, const char *t, json_t *msg)
{
	struct native *nc = native_of(c);
	struct room_member *m = &nc->member;
	int err;

	if (strcmp(t, "run") == 0) {
		json_t *lang = json_object_get(msg, "language");
		json_t *rows = json_object_get(msg, "rows");
		json_t *cols = json_object_get(msg, "cols");
		json_t *ack = json_object_get(msg, "ack");
		if ((lang && !json_is_string(lang)) ||
		    (rows && (!json_is_integer(rows) ||
			      json_integer_value(rows) < 1 ||
			      json_integer_value(rows) > 1000)) ||
		    (cols && (!json_is_integer(cols) ||
			      json_integer_value(cols) < 1 ||
			      json_integer_value(cols) > 1000))) {
			conn_send_error(c, "bad_field", NULL, "'language' is a "
					"string, 'rows' and 'cols' 1 to 1000");
			return true;
		}
		if (ack)
			nc->ack = json_is_true(ack);
		err = room_run_start(m, lang ? json_string_value(lang) : NULL,
				     rows ? (uint16_t)json_integer_value(rows) : 24,
				     cols ? (uint16_t)json_integer_value(cols) : 80,
				     NULL);
		if (err == -EACCES)
			conn_send_error(c, "forbidden", NULL, "readers cannot "
					"start the run");
		else if (err == -EBUSY)
			conn_send_error(c, "busy", NULL, "the room's run is "
					"active; stop it first");
		else if (err == -ENOENT)
			conn_send_error(c, "unknown_language", "language",
					"that language is not installed here");
		else if (err == -EAGAIN)
			conn_send_error(c, "server_busy", NULL, "every run slot "
					"is busy; try again shortly");
		else if (err == -EEXIST)
			conn_send_error(c, "bad_field", "files", "two files of "
					"the room would be written to the same "
					"path (the entry file takes the "
					"language's file name): rename one");
		else if (err)
			conn_send_error(c, "internal", NULL, "cannot start the "
					"run: %s", strerror(-err));
		return true;
	}
	if (strcmp(t, "stop") == 0) {
		err = room_run_stop(m);
		if (err == -EACCES)
			conn_send_error(c, "forbidden", NULL, "readers cannot "
					"stop the run");
		else if (err)
			conn_send_error(c, "no_run", NULL, "no run to stop");
		return true;
	}
	if (strcmp(t, "input") == 0) {
		json_t *d = json_object_get(msg, "data");
		if (!json_is_string(d))
			conn_send_error(c, "bad_field", "data",
					"'data' must be a string");
		else
			ws_room_input(c, json_string_value(d),
				      json_string_length(d));
		return true;
	}
	if (strcmp(t, "resize") == 0) {
		json_t *rows = json_object_get(msg, "rows");
		json_t *cols = json_object_get(msg, "cols");
		if (!json_is_integer(rows) || !json_is_integer(cols) ||
		    json_integer_value(rows) < 1 || json_integer_value(rows) > 1000 ||
		    json_integer_value(cols) < 1 || json_integer_value(cols) > 1000) {
			conn_send_error(c, "bad_field", "rows", "'rows' and "
					"'cols' are required, 1 to 1000");
			return true;
		}
		err = room_run_resize(m, (uint16_t)json_integer_value(rows),
				      (uint16_t)json_integer_value(cols));
		if (err == -EACCES)
			conn_send_error(c, "forbidden", NULL, "readers cannot "
					"resize the room's terminal");
		return true;
	}
	if (strcmp(t, "attach") == 0) {
		conn_send_error(c, "forbidden", NULL, "a connection in a room "
				"watches the room's run only");
		return true;
	}
	return false;
}

static void op_joined(struct room_member *m, int err, const char *token)
{
	struct native *nc = native_of_member(m);

	join_answer(nc->st.c, err, token, "");
}

static void op_push_done(struct room_member *m, int err, uint32_t file,
			 uint64_t version)
{
	push_answer(conn_of_member(m), err, file, version, 0);
}

void ws_room_input(struct conn *c, const char *p, size_t n)
{
	int err = room_run_input(&native_of(c)->member, p, n);

	if (err == -EACCES)
		conn_send_error(c, "forbidden", NULL, "readers cannot type "
				"into the room's terminal");
	else if (err == -ENOBUFS)
		conn_send_error(c, "input_overflow", NULL, "the program is not "
				"reading its input; %zu bytes dropped", n);
	else if (err)
		conn_send_error(c, "no_run", NULL, "no run to send input to");
}

bool ws_room_message(struct conn *c, const char *t, json_t *msg)
{
	struct native *nc = native_of(c);
	struct room_member *m = &nc->member;
	struct room_msg rm;
	struct room_msg_error perr;
	bool first;
	int r;

	r = room_msg_parse(t, msg, &rm, &perr);
	if (r == 0)
		return m->room ? room_run_message(c, t, msg) : false;
	if (r < 0) {
		conn_send_error(c, perr.code, perr.field, "%s", perr.message);
		return true;
	}
	if (!m->room && rm.type != RMSG_JOIN) {
		conn_send_error(c, "not_joined", NULL, "join a room first");
		return true;
	}
	/* a join counts too: leaving and joining again would otherwise be
	 * a fresh budget each time */
	if (!rooms_rate_ok(rooms_of(c), m, server_now_ms(), &first)) {
		/* a refused push or pull is always answered: a client keeps
		 * one in flight and must know to send it again */
		if (rm.type == RMSG_PUSH)
			push_error(c, "rate_limited", "push", "more than %u "
				   "room messages a second; this push was "
				   "dropped, send it again later",
				   rooms_of(c)->lim.rate);
		else if (first || rm.type == RMSG_PULL || rm.type == RMSG_JOIN)
			conn_send_error(c, "rate_limited",
					rm.type == RMSG_PULL ? "pull" :
					rm.type == RMSG_JOIN ? "join" : NULL,
					"more than %u room messages a second; "
					"this one was dropped, send it again "
					"later", rooms_of(c)->lim.rate);
		return true;
	}
	switch (rm.type) {
	case RMSG_JOIN: do_join(c, &rm); break;
	case RMSG_LEAVE: {
		char id[ROOM_ID_LEN + 1];
		memcpy(id, m->room->rec.id, sizeof(id));
		stream_reset(&nc->st, false);
		room_leave(m);
		conn_send_json(c, json_pack("{s:s, s:s}", "type", "left",
					    "room", id));
		break;
	}
	case RMSG_PUSH: do_push(c, &rm); break;
	case RMSG_PULL:
		if (answer_allowed(c, "pull"))
			do_pull(c, &rm, "pull");
		break;
	case RMSG_PRESENCE: do_presence(c, &rm); break;
	case RMSG_CHAT: do_chat(c, &rm); break;
	case RMSG_ROLE: do_role(c, &rm); break;
	case RMSG_SETTINGS: do_settings(c, &rm); break;
	case RMSG_HOST: do_host(c, &rm); break;
	case RMSG_UPLOAD: do_upload(c, &rm); break;
	case RMSG_RESYNC:
		if (answer_allowed(c, "resync"))
			send_resync(c, m->room, rm.file);
		break;
	case RMSG_FILE_ADD:
	case RMSG_FILE_RENAME:
	case RMSG_FILE_DELETE:
	case RMSG_FILE_ENTRY: do_file(c, &rm); break;
	default: break;
	}
	return true;
}

void ws_room_closed(struct conn *c)
{
	struct native *nc = native_of(c);

	if (nc->member.joining) {	/* cluster: its room was on its way */
		room_leave(&nc->member);
		return;
	}
	if (nc->member.room) {
		log_info("room: '%s': member '%s' left (conn %llu closed)",
			 nc->member.room->rec.id, nc->member.id,
			 (unsigned long long)c->id);
		room_leave(&nc->member);
	}
}
