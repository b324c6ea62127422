/*
 * sio_collab.c - the collaborative editor's Socket.IO events, on the rooms.
 *
 * A socket is a member through the struct room_member in its state; the
 * room decides, this file turns its ops into events. code_update carries
 * the whole text, so one that cannot go out at once (the client's queue
 * holds more than UPDATE_HOLD bytes) is not queued: it is sent when the
 * queue drains, with the text of that moment - nothing is lost by
 * skipping the texts in between.
 *
 * Cluster mode (room_bus.h): a join waits for the room's fetch (its ack
 * follows from the joined() op), and a change is ordered by the shared
 * store (it comes back as updates(); a refusal as push_done(), which
 * tells the page with an "error" and the room's text).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "net/server.h"
#include "proto/app.h"
#include "proto/sio_collab.h"
#include "proto/sio_runner.h"
#include "room/chat.h"
#include "room/room.h"
#include "room/textdiff.h"

#define UPDATE_HOLD (64 * 1024)

/* A socket's state (sio_socket_state()). */
struct collab {
	struct sio_socket *s;
	struct room_member member; /* member.room: the session joined */
	bool update_pending;	   /* a code_update waits for the queue */
	/* cluster mode: the join_session waiting for its room's fetch */
	int64_t join_ack;	   /* its ack id (SIO_NO_ID: none asked) */
	char join_id[48];	   /* the session it names (for an error) */
};

#define collab_of_member(mp)                                                   \
	((struct collab *)((char *)(mp)-offsetof(struct collab, member)))

static const struct room_member_ops member_ops;

static struct rooms *rooms_of(struct sio_socket *s)
{
	return sio_socket_app(s)->rooms;
}

/* The id a participant has in these events: its socket id when it is a
 * Socket.IO member (the page knows its socket.id), else its member id. */
static const char *display_id(const struct room_member *o)
{
	if (o->ops == &member_ops)
		return sio_socket_id(collab_of_member(o)->s);
	return o->id;
}

/* ---- what the room tells a member */

static void send_code_update(struct collab *c)
{
	size_t len;
	const char *text;

	if (sio_socket_queued(c->s) > UPDATE_HOLD) {
		c->update_pending = true;
		return;
	}
	c->update_pending = false;
	text = room_text(c->member.room, &len, NULL);
	if (sio_emit(c->s, "code_update",
		     json_pack("{s:s%}", "content", text, len)) == -E2BIG)
		sio_emit(c->s, "error",
			 json_pack(
			     "{s:s}", "message",
			     "the session's document is too large to send over "
			     "Socket.IO"));
}

static void op_updates(struct room_member *m, uint32_t file, uint64_t from,
		       const struct collab_update *u, size_t n,
		       const struct room_member *by)
{
	/* its own code_change: the client has the text already (and a
	 * stale copy could undo what it typed since); these events carry
	 * file 0 only (a room's other files are the native protocol's) */
	if (by != m && file == 0)
		send_code_update(collab_of_member(m));
}

static void op_presence(struct room_member *m, const struct room_member *who)
{
	(void)m, (void)who; /* no cursors in these events */
}

static json_t *participants_json(const struct room *r)
{
	json_t *parts = json_object(), *writers = json_array(), *host;
	/* the host's id as the page knows it (a key of participants), or
	 * null while the host is away: r->rec.host is a member id, which
	 * means nothing to a Socket.IO page */
	const char *host_id = NULL;

	for (const struct room_member *o = r->members; o; o = o->next) {
		enum room_role role = room_role_of(r, o);
		if (role == ROOM_HOST)
			host_id = display_id(o);
		json_object_set_new(parts, display_id(o),
				    json_pack("{s:s, s:s}", "name", o->name,
					      "role", room_role_name(role)));
	}
	/* oldest first, as they joined (the list is newest first) */
	for (const struct room_member *o = r->members; o; o = o->next)
		if (room_role_of(r, o) != ROOM_READER)
			json_array_insert_new(writers, 0,
					      json_string(display_id(o)));
	host = host_id ? json_string(host_id) : json_null();
	return json_pack("{s:o, s:o, s:o}", "participants", parts, "host_id",
			 host, "writer_ids", writers);
}

static void op_members(struct room_member *m)
{
	struct collab *c = collab_of_member(m);

	sio_emit(c->s, "participants_update", participants_json(m->room));
}

/* "2026-12-01T16:00:00.000Z" */
static json_t *timestamp_json(int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char out[40], day[32];

	if (ms < 0 || !gmtime_r(&secs, &tm) ||
	    !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm))
		return json_null();
	snprintf(out, sizeof(out), "%s.%03dZ", day, (int)(ms % 1000));
	return json_string(out);
}

static json_t *chat_json(const struct room_chat_line *l)
{
	return json_pack("{s:I, s:s, s:s%, s:o}", "id", (json_int_t)l->id,
			 "name", l->name, "message", l->text, l->text_len,
			 "timestamp", timestamp_json(l->ts));
}

static void op_chat(struct room_member *m, const struct room_chat_line *line)
{
	sio_emit(collab_of_member(m)->s, "chat_message", chat_json(line));
}

static void op_settings(struct room_member *m)
{
	(void)m; /* the language: no event for it */
}

static void op_run_started(struct room_member *m, struct run *run)
{
	sio_runner_watch(collab_of_member(m)->s, run);
}

static void join_answer(struct collab *c, struct sio_call *call, int err,
			const char *session, const char *tok);

static void op_joined(struct room_member *m, int err, const char *token)
{
	struct collab *c = collab_of_member(m);
	struct sio_call call = { .event = "join_session", .ack = c->join_ack };

	join_answer(c, &call, err, c->join_id, token);
}

static void op_push_done(struct room_member *m, int err, uint32_t file,
			 uint64_t version)
{
	struct collab *c = collab_of_member(m);

	(void)file, (void)version;
	if (!err)	/* a re-send: the page has the text */
		return;
	sio_emit(c->s, "error",
		 json_pack("{s:s}", "message",
			   err == -E2BIG ? "the document is larger than a "
					   "session document may be"
					 : "a change could not be stored; the "
					   "session's text follows"));
	send_code_update(c);
}

static void op_removed(struct room_member *m, const char *reason)
{
	struct collab *c = collab_of_member(m);

	sio_runner_set_target(c->s, NULL, NULL);
	sio_runner_unwatch(c->s);
	c->update_pending = false;
	sio_emit(c->s, "error",
		 json_pack("{s:s}", "message",
			   strcmp(reason, "replaced") == 0
			       ? "you joined this session again "
				 "elsewhere"
			       : "the session was closed"));
}

static const struct room_member_ops member_ops = {
    .updates = op_updates,
    .presence = op_presence,
    .members = op_members,
    .chat = op_chat,
    .settings = op_settings,
    .run_started = op_run_started,
    .removed = op_removed,
    .joined = op_joined,
    .push_done = op_push_done,
};

/*
 * Makes the room's text p[0..n) (line ends as "\n"): the smallest change,
 * or none at all when it is the text already (a page sends its whole text
 * on every key). *changed says whether the stored text differs from p as
 * sent. 0 or room_replace_text()'s error.
 */
static int replace_text(struct room_member *m, const char *p, size_t n,
			bool *normalised)
{
	const char *text;
	size_t have, len;
	char *norm;
	int err = 0;

	if (!(norm = malloc(n + 1)))
		return -ENOMEM;
	memcpy(norm, p, n);
	len = textdiff_lf(norm, n);
	*normalised = len != n;
	text = room_text(m->room, &have, NULL);
	if (len != have || memcmp(norm, text, len) != 0)
		err = room_replace_text(m, 0, norm, len);
	free(norm);
	return err;
}

/* ---- the room's run, for the runner's events */

static const char *target_start(void *ctx, const char *code, size_t len,
				const char *lang)
{
	struct room_member *m = &((struct collab *)ctx)->member;
	bool normalised;
	int err;

	if (!room_can_write(m))
		return "readers cannot start the session's run; ask the host "
		       "for write access";
	if (room_run_active(m->room))
		return "the session's program is running; stop it first";
	/* the code a page sends with its run is the text it shows: the
	 * room runs its document, so the two are made the same first */
	if (code && (err = replace_text(m, code, len, &normalised)) &&
	    err != -EINPROGRESS)	/* cluster mode: on its way */
		return err == -E2BIG
			   ? "the code is larger than a session "
			     "document may be"
			   : "the code could not be stored; nothing ran";
	err = room_run_start(m, lang, 24, 80, NULL);
	switch (err) {
	case 0:
		return NULL;
	case -EBUSY:
		return "the session's program is running; stop it first";
	case -ENOENT:
		return "that language is not installed on this server";
	case -EAGAIN:
		return "the server is busy; try again shortly";
	default:
		return "cannot start the program";
	}
}

static const char *target_input(void *ctx, const char *p, size_t n)
{
	int err = room_run_input(&((struct collab *)ctx)->member, p, n);

	switch (err) {
	case 0:
		return NULL;
	case -EACCES:
		return "readers cannot type into the session's run";
	case -ENOBUFS:
		return "the program is not reading its input";
	case -ESRCH:
		return "no program is running";
	default:
		return "the program's input is closed";
	}
}

static const char *target_stop(void *ctx)
{
	int err = room_run_stop(&((struct collab *)ctx)->member);

	switch (err) {
	case 0:
		return NULL;
	case -EACCES:
		return "readers cannot stop the session's run";
	default:
		return "no program is running";
	}
}

static const struct sio_run_target room_target = {
    .start = target_start,
    .input = target_input,
    .stop = target_stop,
};

/* ---- the events */

static json_t *payload(struct sio_socket *s, struct sio_call *call)
{
	if (!json_is_object(call->arg)) {
		sio_fail(s, call, "'%s' wants an object argument", call->event);
		return NULL;
	}
	return call->arg;
}

/* A string field, or NULL after refusing the call. */
static json_t *str_field(struct sio_socket *s, struct sio_call *call,
			 json_t *msg, const char *key)
{
	json_t *v = json_object_get(msg, key);

	if (!json_is_string(v)) {
		sio_fail(s, call, "'%s' needs a string '%s'", call->event, key);
		return NULL;
	}
	return v;
}

/* The member of a joined socket whose call names its session (when it
 * names one), and within the rate; else NULL after refusing the call. */
static struct room_member *in_session(struct sio_socket *s, struct collab *c,
				      struct sio_call *call, json_t *msg)
{
	struct room_member *m = &c->member;
	json_t *id = json_object_get(msg, "session_id");
	bool first;

	if (!m->room) {
		sio_fail(s, call, "join a session first (join_session)");
		return NULL;
	}
	if (id && (!json_is_string(id) ||
		   strcmp(json_string_value(id), m->room->rec.id) != 0)) {
		sio_fail(s, call,
			 "this socket is in session '%s', not that one",
			 m->room->rec.id);
		return NULL;
	}
	if (!room_rate_ok(m, server_now_ms(), &first)) {
		if (first)
			sio_fail(
			    s, call,
			    "more than %u session messages a "
			    "second; the rest of this second's are dropped",
			    rooms_of(s)->lim.rate);
		else
			sio_ack(s, call,
				json_pack("{s:b, s:s}", "ok", 0, "error",
					  "rate limited"));
		return NULL;
	}
	return m;
}

static void leave(struct collab *c)
{
	if (c->member.joining)	/* cluster mode: the join is called off */
		room_leave(&c->member);
	if (!c->member.room)
		return;
	sio_runner_set_target(c->s, NULL, NULL);
	sio_runner_unwatch(c->s);
	room_leave(&c->member);
	c->update_pending = false;
}

/* What a joining socket is told: the text, the members, the chat, and
 * the room's run if one is going. */
static void welcome(struct collab *c)
{
	struct room *r = c->member.room;
	json_t *msgs = json_array();
	struct run *run = room_run_active(r);
	size_t first =
	    r->chat.n > ROOM_CHAT_HISTORY ? r->chat.n - ROOM_CHAT_HISTORY : 0;

	c->update_pending = false;
	send_code_update(c);
	sio_emit(c->s, "participants_update", participants_json(r));
	for (size_t i = first; msgs && i < r->chat.n; i++)
		json_array_append_new(msgs,
				      chat_json(chat_ring_at(&r->chat, i)));
	sio_emit(c->s, "chat_history", json_pack("{s:o}", "messages", msgs));
	if (run)
		sio_runner_watch(c->s, run);
}

static void on_join(struct sio_socket *s, void *state, struct sio_call *call)
{
	struct collab *c = state;
	struct rooms *reg = rooms_of(s);
	json_t *msg = payload(s, call), *id, *name, *token;
	char tok[ROOM_TOKEN_LEN + 1];
	const char *nm = "Anonymous";
	size_t nlen = 9;
	int err;

	if (!msg || !(id = str_field(s, call, msg, "session_id")))
		return;
	name = json_object_get(msg, "name");
	token = json_object_get(msg, "token");
	if (name && !json_is_null(name) && !json_is_string(name)) {
		sio_fail(s, call, "'name' must be a string");
		return;
	}
	if (token && !json_is_null(token) && !json_is_string(token)) {
		sio_fail(s, call, "'token' must be a string");
		return;
	}
	if (json_is_string(name) && json_string_length(name)) {
		nm = json_string_value(name);
		nlen = json_string_length(name);
	}
	if (!reg) {
		sio_fail(s, call, "sessions are not available on this server");
		return;
	}
	if (c->member.room &&
	    strcmp(c->member.room->rec.id, json_string_value(id)) == 0) {
		welcome(c); /* joined already: the same welcome again */
		sio_ack(s, call,
			json_pack("{s:b, s:s, s:s}", "ok", 1, "id",
				  display_id(&c->member), "role",
				  room_role_name(room_role_of(c->member.room,
							      &c->member))));
		return;
	}
	if (c->member.joining) {
		sio_fail(s, call, "a join is on its way");
		return;
	}
	if (!c->member.room && sio_runner_busy(s)) {
		sio_fail(s, call, "stop your program before joining a session");
		return;
	}
	/* a join that will be refused leaves the socket in its session (a
	 * bot with a typo in an id must not drop out of where it was) */
	if (c->member.room) {
		char clean[sizeof(c->member.name)];
		struct room_record rec;

		if (chat_name_clean(nm, nlen, clean, sizeof(clean))) {
			join_answer(c, call, -EINVAL, json_string_value(id), NULL);
			return;
		}
		if (rooms_lookup(reg, json_string_value(id), &rec) == -ENOENT) {
			join_answer(c, call, -ENOENT, json_string_value(id), NULL);
			return;
		}
	}
	leave(c);
	memset(&c->member, 0, sizeof(c->member));
	c->member.ops = &member_ops;
	err = room_join(reg, json_string_value(id), nm, nlen,
			json_is_string(token) ? json_string_value(token) : NULL,
			&c->member, tok);
	if (err == -EINPROGRESS) {	/* cluster mode: op_joined() answers */
		c->join_ack = call->ack;
		snprintf(c->join_id, sizeof(c->join_id), "%s",
			 json_string_value(id));
		call->acked = true;	/* not {"ok": true} now */
		return;
	}
	join_answer(c, call, err, json_string_value(id), tok);
}

/* The outcome of a join, now or (cluster mode) once the room came. */
static void join_answer(struct collab *c, struct sio_call *call, int err,
			const char *session, const char *tok)
{
	struct sio_socket *s = c->s;
	struct rooms *reg = rooms_of(s);

	switch (err) {
	case 0:
		break;
	case -EINVAL:
		sio_fail(s, call,
			 "a name is 1 to 64 characters, without "
			 "control characters");
		return;
	case -ENOENT:
		sio_fail(s, call,
			 "no session '%.40s' (POST /create_session "
			 "makes one)",
			 session);
		return;
	case -EUSERS:
		sio_fail(s, call, "the session has its maximum of %u members",
			 reg->lim.members);
		return;
	case -EMFILE:
		sio_fail(s, call,
			 "the server has its maximum of %u sessions "
			 "open; try again later",
			 reg->lim.rooms);
		return;
	default:
		sio_fail(s, call, "cannot join the session: %s",
			 strerror(-err));
		return;
	}
	log_info("room: '%s': member '%s' joined (socket.io %s)",
		 c->member.room->rec.id, c->member.id, sio_socket_id(s));
	sio_runner_unwatch(s);
	sio_runner_set_target(s, &room_target, c);
	sio_ack(
	    s, call,
	    json_pack("{s:b, s:s, s:s, s:s, s:s}", "ok", 1, "session_id",
		      c->member.room->rec.id, "id", display_id(&c->member),
		      "role",
		      room_role_name(room_role_of(c->member.room, &c->member)),
		      "token", tok));
	welcome(c);
}

static void on_code_change(struct sio_socket *s, void *state,
			   struct sio_call *call)
{
	struct collab *c = state;
	json_t *msg = payload(s, call), *content;
	struct room_member *m;
	bool normalised;
	int err;

	if (!msg || !(m = in_session(s, c, call, msg)) ||
	    !(content = str_field(s, call, msg, "content")))
		return;
	if (!room_can_write(m)) {
		sio_fail(s, call,
			 "readers cannot edit; ask the host for write "
			 "access");
		return;
	}
	err = replace_text(m, json_string_value(content),
			   json_string_length(content), &normalised);
	switch (err) {
	case 0:
	case -EINPROGRESS:	/* cluster mode: updates() or push_done() */
		break;
	case -E2BIG:
		sio_fail(s, call, "the document may hold at most %zu bytes",
			 rooms_of(s)->lim.doc_bytes);
		return;
	case -EINVAL:
		sio_fail(s, call, "the content is not text (UTF-8)");
		return;
	default:
		sio_fail(s, call,
			 "the change could not be stored (%s); "
			 "nothing changed, send it again",
			 strerror(-err));
		return;
	}
	/* line ends were made "\n": the client's text is not the room's */
	if (normalised)
		send_code_update(c);
}

static void on_send_message(struct sio_socket *s, void *state,
			    struct sio_call *call)
{
	struct collab *c = state;
	json_t *msg = payload(s, call), *text;
	struct room_member *m;
	int err;

	if (!msg || !(m = in_session(s, c, call, msg)) ||
	    !(text = str_field(s, call, msg, "message")))
		return;
	err = room_chat(m, json_string_value(text), json_string_length(text));
	if (err == -E2BIG)
		sio_fail(s, call, "a chat message holds at most %zu bytes",
			 rooms_of(s)->lim.chat_bytes);
	else if (err == -EINVAL)
		sio_fail(s, call,
			 "a chat message is text: not empty, no "
			 "control characters");
	else if (err)
		sio_fail(s, call,
			 "the message could not be stored; send it "
			 "again");
}

static void set_role(struct sio_socket *s, struct collab *c,
		     struct sio_call *call, enum room_role role)
{
	json_t *msg = payload(s, call), *target;
	struct room_member *m;
	const char *id;
	int err;

	if (!msg || !(m = in_session(s, c, call, msg)) ||
	    !(target = str_field(s, call, msg, "target")))
		return;
	id = json_string_value(target);
	for (const struct room_member *o = m->room->members; o; o = o->next) {
		if (strcmp(display_id(o), id) == 0) {
			id = o->id;
			break;
		}
	}
	err = room_set_role(m, id, role);
	if (err == -EACCES)
		sio_fail(s, call,
			 "only the host may grant or revoke write "
			 "access");
	else if (err == -ENOENT)
		sio_fail(s, call, "no participant '%.40s' in the session",
			 json_string_value(target));
	else if (err == -EINVAL)
		sio_fail(s, call, "the host always writes");
	else if (err)
		sio_fail(s, call, "the role could not be stored");
}

static void on_grant(struct sio_socket *s, void *state, struct sio_call *call)
{
	set_role(s, state, call, ROOM_WRITER);
}

static void on_revoke(struct sio_socket *s, void *state, struct sio_call *call)
{
	set_role(s, state, call, ROOM_READER);
}

/* ---- the module */

static void collab_connect(struct sio_socket *s, void *state)
{
	((struct collab *)state)->s = s;
}

static void collab_disconnect(struct sio_socket *s, void *state)
{
	leave(state);
}

static void collab_drained(struct sio_socket *s, void *state)
{
	struct collab *c = state;

	if (c->update_pending && c->member.room)
		send_code_update(c);
}

static const struct sio_event events[] = {
    {"join_session", on_join},	       {"code_change", on_code_change},
    {"send_message", on_send_message}, {"grant_write", on_grant},
    {"revoke_write", on_revoke},       {NULL, NULL},
};

const struct sio_module sio_collab = {
    .name = "collab",
    .state_size = sizeof(struct collab),
    .connect = collab_connect,
    .disconnect = collab_disconnect,
    .drained = collab_drained,
    .events = events,
};
