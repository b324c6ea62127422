/*
 * room.c - the registry of open rooms, joining and leaving, roles,
 * settings and chat. The documents are in room_doc.c, adding, renaming and
 * deleting files in room_files.c, the run in room_run.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "room/room.h"
#include "room/room_ids.h"
#include "room/room_internal.h"
#include "run/lang.h"

/* Twelve colours that stay readable on the IDE's dark and light themes. */
static const char *const palette[] = {
	"#e5484d", "#3e63dd", "#30a46c", "#f76b15", "#8e4ec6", "#12a594",
	"#d6409f", "#ffc53d", "#0090ff", "#a18072", "#7ce2fe", "#bdee63",
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

void room_limits_default(struct room_limits *l)
{
	l->doc_bytes = 512 * 1024;
	l->log = 1000;
	l->chat_bytes = 2000;
	l->members = 50;
	l->rooms = 1000;
	l->stored_rooms = 100000;
	l->rate = 50;
	l->snapshot_every = 100;
	l->members_kept = 1000;
}

int64_t room_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rooms_init(struct rooms *reg, const struct room_store *store,
	       const struct room_limits *lim, struct run_engine *engine,
	       const struct lang_table *langs)
{
	memset(reg, 0, sizeof(*reg));
	reg->store = *store;
	reg->lim = *lim;
	if (reg->lim.log < 100)
		reg->lim.log = 100;	/* a push holds up to 100 updates */
	if (!reg->lim.snapshot_every)
		reg->lim.snapshot_every = 1;
	reg->engine = engine;
	reg->langs = langs;
	return 0;
}

void rooms_set_bus(struct rooms *reg, const struct room_bus_ops *ops,
		   void *bus)
{
	reg->bus = ops;
	reg->bus_data = bus;
}

/* Takes every member out of r, telling each it was removed ("closing"). */
static void remove_members(struct room *r)
{
	while (r->members) {
		struct room_member *m = r->members;
		r->members = m->next;
		r->nmembers--;
		m->room = NULL;
		m->next = NULL;
		if (m->ops->removed)
			m->ops->removed(m, "closing");
	}
}

static void room_free(struct room *r)
{
	struct room **pp;

	for (pp = &r->reg->list; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	r->reg->open--;
	/* members of other nodes: the room no longer exists here for them */
	remove_members(r);
	if (r->reg->bus)
		r->reg->bus->closed(r->reg->bus_data, r);
	room_push_release(r);
	room_run_release(r);
	room_doc_unload(r);	/* a last snapshot: the next load is quick */
	room_doc_free(r);
	chat_ring_release(&r->chat);
	free(r);
}

void rooms_release(struct rooms *reg)
{
	while (reg->list) {
		struct room *r = reg->list;
		remove_members(r);
		room_free(r);
	}
}

bool room_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n != ROOM_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

int rooms_create(struct rooms *reg, const char *language, const char *text,
		 size_t len, char *id)
{
	const struct lang *l = lang_find(reg->langs, language ? language : "python");
	struct room_record rec;
	uint64_t n = 0;
	char *copy = NULL;
	int err;

	if (!l)
		return -ENOENT;
	if (len > reg->lim.doc_bytes)
		return -E2BIG;
	if ((err = reg->store.ops->count(reg->store.impl, &n)))
		return err;
	if (n >= reg->lim.stored_rooms)
		return -EDQUOT;	/* -ENOSPC is the store's: the disk is full */
	/* the store keeps what clients will see: no "\r" */
	if ((err = room_text_copy(text, &len, &copy)))
		return err;
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.language, sizeof(rec.language), "%s", l->id);
	rec.created_ms = rec.updated_ms = room_wall_ms();
	for (int tries = 0; tries < 4; tries++) {
		if ((err = room_ids_room(rec.id)))
			break;
		err = reg->store.ops->create(reg->store.impl, &rec, copy, len);
		if (err != -EEXIST)
			break;
	}
	if (!err)
		memcpy(id, rec.id, ROOM_ID_LEN + 1);
	free(copy);
	return err;
}

int rooms_lookup(struct rooms *reg, const char *id, struct room_record *out)
{
	struct room *r;

	if (!room_id_valid(id))
		return -ENOENT;
	if ((r = rooms_find(reg, id))) {
		*out = r->rec;
		return 0;
	}
	return reg->store.ops->get(reg->store.impl, id, out);
}

struct room *rooms_find(struct rooms *reg, const char *id)
{
	for (struct room *r = reg->list; r; r = r->next)
		if (strcmp(r->rec.id, id) == 0)
			return r;
	return NULL;
}

static int chat_loaded(void *arg, const struct room_chat_record *c)
{
	struct room *r = arg;

	return chat_ring_push(&r->chat, c->id, c->member, c->name, c->text,
			      c->text_len, c->ts);
}

/* The room, opened (loaded from the store) if it was not. */
static int room_open(struct rooms *reg, const char *id, struct room **out)
{
	struct room *r;
	int err;

	if (!room_id_valid(id))
		return -ENOENT;
	if ((r = rooms_find(reg, id))) {
		*out = r;
		return 0;
	}
	if (reg->open >= reg->lim.rooms)
		return -EMFILE;
	if (!(r = calloc(1, sizeof(*r))))
		return -ENOMEM;
	r->reg = reg;
	if ((err = reg->store.ops->get(reg->store.impl, id, &r->rec)))
		goto out_free;
	if ((err = chat_ring_init(&r->chat, ROOM_CHAT_HISTORY)) ||
	    (err = reg->store.ops->chat_recent(reg->store.impl, id,
					       ROOM_CHAT_HISTORY, chat_loaded,
					       r)))
		goto out_free;
	if ((err = room_doc_load(r)))
		goto out_free;
	room_run_init(r);
	r->next = reg->list;
	reg->list = r;
	reg->open++;
	reg->loads++;
	if (reg->bus)
		reg->bus->opened(reg->bus_data, r);
	*out = r;
	return 0;

out_free:
	if (err != -ENOENT && err != -EAGAIN)	/* -EAGAIN: being fetched */
		log_warn("room: cannot open '%s': %s", id, strerror(-err));
	room_doc_free(r);
	chat_ring_release(&r->chat);
	free(r);
	return err;
}

static void maybe_close(struct room *r)
{
	if (!r->nlocal && !r->holds)
		room_free(r);
}

int room_hold(struct rooms *reg, const char *id, struct room **out)
{
	int err = room_open(reg, id, out);

	if (!err)
		(*out)->holds++;
	return err;
}

void room_release(struct room *r)
{
	if (r && r->holds) {
		r->holds--;
		maybe_close(r);
	}
}

enum room_role room_role_of(const struct room *r, const struct room_member *m)
{
	if (r && strcmp(r->rec.host, m->id) == 0)
		return ROOM_HOST;
	return m->role;
}

const char *room_role_name(enum room_role role)
{
	return role == ROOM_HOST ? "host" : role == ROOM_WRITER ? "writer" :
	       "reader";
}

bool room_can_write(const struct room_member *m)
{
	return m->room && room_role_of(m->room, m) != ROOM_READER;
}

const char *room_file_name(const struct room *r)
{
	const struct lang *l = lang_find(r->reg->langs, r->rec.language);

	return l && l->file ? l->file : "main.txt";
}

static bool rate_take(struct room_member *m, double rate, uint64_t now_ms,
		      bool *first);

bool room_rate_ok(struct room_member *m, uint64_t now_ms, bool *first)
{
	return rate_take(m, m->room ? m->room->reg->lim.rate : 50, now_ms,
			 first);
}

bool rooms_rate_ok(const struct rooms *reg, struct room_member *m,
		   uint64_t now_ms, bool *first)
{
	return rate_take(m, reg->lim.rate, now_ms, first);
}

static bool rate_take(struct room_member *m, double rate, uint64_t now_ms,
		      bool *first)
{
	*first = false;
	if (m->rate_ms == 0) {
		m->rate_tokens = rate;
		m->rate_ms = now_ms;
	}
	m->rate_tokens += (double)(now_ms - m->rate_ms) * rate / 1000.0;
	if (m->rate_tokens > rate)
		m->rate_tokens = rate;
	m->rate_ms = now_ms;
	if (m->rate_tokens >= 1.0) {
		m->rate_tokens -= 1.0;
		m->rate_warned = false;
		return true;
	}
	*first = !m->rate_warned;
	m->rate_warned = true;
	return false;
}

bool room_answer_ok(struct room_member *m, const struct room_limits *lim,
		    uint64_t now_ms, uint64_t *wait_ms)
{
	double rate = 2.0 * (double)lim->doc_bytes;
	double burst = 4.0 * (double)lim->doc_bytes;

	*wait_ms = 0;
	if (m->answer_ms == 0) {
		m->answer_tokens = burst;
		m->answer_ms = now_ms;
	}
	if (now_ms > m->answer_ms)
		m->answer_tokens += (double)(now_ms - m->answer_ms) * rate /
				    1000.0;
	if (m->answer_tokens > burst)
		m->answer_tokens = burst;
	m->answer_ms = now_ms;
	if (m->answer_tokens > 0)
		return true;
	*wait_ms = (uint64_t)(-m->answer_tokens * 1000.0 / rate) + 1;
	return false;
}

void room_answer_spent(struct room_member *m, size_t bytes)
{
	m->answer_tokens -= (double)bytes;
}

/* Everyone's members() after a change of the roster or a role. */
void room_broadcast_members(struct room *r)
{
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->members)
			o->ops->members(o);
}

static struct room_member *find_member(struct room *r, const char *id)
{
	for (struct room_member *o = r->members; o; o = o->next)
		if (strcmp(o->id, id) == 0)
			return o;
	return NULL;
}

static void unlink_member(struct room_member *m)
{
	struct room *r = m->room;

	for (struct room_member **pp = &r->members; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			r->nmembers--;
			if (!m->proxy)
				r->nlocal--;
			break;
		}
	}
	m->next = NULL;
	m->room = NULL;
}

/* old's id joins again (a new connection, or a second proxy of it): old
 * leaves ("replaced"), and its selection is no longer shown. */
static void replace_member(struct room *r, struct room_member *old)
{
	unlink_member(old);
	if (old->ops->removed)
		old->ops->removed(old, "replaced");
	if (old->has_sel) {
		old->has_sel = false;
		room_broadcast_presence(r, old);
	}
}

static const char *pick_color(const struct room *r, const char *member_id)
{
	unsigned used = 0;

	for (const struct room_member *o = r->members; o; o = o->next)
		for (size_t i = 0; i < NPALETTE; i++)
			if (strcmp(o->color, palette[i]) == 0)
				used |= 1u << i;
	for (size_t i = 0; i < NPALETTE; i++)
		if (!(used & (1u << i)))
			return palette[i];
	return palette[strtoul(member_id, NULL, 16) % NPALETTE];
}

static int member_record(const struct room *r, const struct room_member *m,
			 struct room_member_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->id, m->id, sizeof(rec->id));
	memcpy(rec->name, m->name, sizeof(rec->name));
	rec->role = room_role_of(r, m);
	memcpy(rec->color, m->color, sizeof(rec->color));
	memcpy(rec->token_hash, m->token_hash, sizeof(rec->token_hash));
	return 0;
}

static int store_member(struct room *r, const struct room_member *m)
{
	struct room_member_record rec;

	member_record(r, m, &rec);
	return r->reg->store.ops->member_put(r->reg->store.impl, r->rec.id,
					     &rec, r->reg->lim.members_kept);
}

/* A returning member (by token), or a new one. */
static int identify(struct room *r, const char *token, struct room_member *m,
		    char *token_out, bool *returning)
{
	struct room_member_record rec;
	const struct room_store *st = &r->reg->store;
	int err;

	*returning = false;
	if (token && room_ids_token_valid(token)) {
		unsigned char h[ROOM_HASH_LEN];
		room_ids_hash(token, h);
		err = st->ops->member_by_token(st->impl, r->rec.id, h, &rec);
		if (err && err != -ENOENT)
			return err;
		if (!err) {
			memcpy(m->id, rec.id, sizeof(m->id));
			m->role = rec.role == ROOM_READER ? ROOM_READER : ROOM_WRITER;
			memcpy(m->color, rec.color, sizeof(m->color));
			memcpy(m->token_hash, h, sizeof(h));
			memcpy(token_out, token, ROOM_TOKEN_LEN + 1);
			*returning = true;
			return 0;
		}
	}
	for (int tries = 0;; tries++) {
		bool taken = false;
		if ((err = room_ids_member(m->id)))
			return err;
		if (!find_member(r, m->id) &&
		    !(err = st->ops->member_exists(st->impl, r->rec.id, m->id,
						   &taken)) && !taken)
			break;
		if (err || tries > 8)
			return err ? err : -EAGAIN;
	}
	if ((err = room_ids_token(token_out)))
		return err;
	room_ids_hash(token_out, m->token_hash);
	m->role = r->rec.open_edit ? ROOM_WRITER : ROOM_READER;
	snprintf(m->color, sizeof(m->color), "%s", pick_color(r, m->id));
	return 0;
}

static int join_now(struct rooms *reg, const char *id, const char *token,
		    struct room_member *m, char *token_out)
{
	struct room_record before;
	struct room *r;
	struct room_member *old;
	bool returning, new_host = false;
	int err;

	if ((err = room_open(reg, id, &r)))
		return err;
	r->holds++;	/* stays open while we work */
	if ((err = identify(r, token, m, token_out, &returning)))
		goto out;
	old = returning ? find_member(r, m->id) : NULL;
	if (!old && r->nmembers >= reg->lim.members) {
		err = -EUSERS;
		goto out;
	}
	before = r->rec;
	if (!r->rec.host[0]) {		/* the first member ever */
		memcpy(r->rec.host, m->id, sizeof(r->rec.host));
		m->role = ROOM_WRITER;
		new_host = true;
		if ((err = reg->store.ops->settings_put(reg->store.impl,
							&r->rec))) {
			r->rec = before;
			goto out;
		}
	}
	if ((err = store_member(r, m))) {
		if (new_host) {
			r->rec = before;
			reg->store.ops->settings_put(reg->store.impl, &r->rec);
		}
		goto out;
	}
	if (old)	/* the same member on a new connection */
		replace_member(r, old);
	m->has_sel = false;
	m->proxy = false;
	m->room = r;	/* the rate bucket stays the connection's */
	m->next = r->members;
	r->members = m;
	r->nmembers++;
	r->nlocal++;
	for (struct room_member *o = m->next; o; o = o->next)
		if (o->ops->members)	/* m hears it in its welcome */
			o->ops->members(o);
	if (reg->bus)
		reg->bus->online(reg->bus_data, r, m, true);
out:
	r->holds--;
	if (err)
		maybe_close(r);
	return err;
}

int room_join(struct rooms *reg, const char *id, const char *name,
	      size_t name_len, const char *token, struct room_member *m,
	      char *token_out)
{
	struct room_join_wait *w;
	int err;

	if (m->room || m->joining)
		return -EALREADY;
	if (chat_name_clean(name, name_len, m->name, sizeof(m->name)))
		return -EINVAL;
	if (!reg->bus || !room_id_valid(id) || rooms_find(reg, id))
		return join_now(reg, id, token, m, token_out);
	err = reg->bus->fetch(reg->bus_data, id);
	if (err != -EINPROGRESS)
		return err ? err : join_now(reg, id, token, m, token_out);
	/* the room is on its way: the join goes on in rooms_fetched() */
	if (!(w = calloc(1, sizeof(*w))))
		return -ENOMEM;
	memcpy(w->room, id, sizeof(w->room));
	w->reg = reg;
	w->m = m;
	m->join_wait = w;
	if (token && strlen(token) <= ROOM_TOKEN_LEN) {
		snprintf(w->token, sizeof(w->token), "%s", token);
		w->has_token = true;
	}
	w->next = reg->waits;
	reg->waits = w;
	m->joining = true;
	return -EINPROGRESS;
}

void rooms_fetched(struct rooms *reg, const char *id, int err)
{
	struct room_join_wait **pp = &reg->waits;

	while (*pp) {
		struct room_join_wait *w = *pp;
		char token[ROOM_TOKEN_LEN + 1] = "";
		int e = err;
		if (strcmp(w->room, id)) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->m->joining = false;
		w->m->join_wait = NULL;
		if (!e)
			e = join_now(reg, id, w->has_token ? w->token : NULL, w->m,
				     token);
		if (w->m->ops->joined)
			w->m->ops->joined(w->m, e, token);
		free(w);
		pp = &reg->waits;	/* joined() may have changed the list */
	}
}

/* A join waiting for its fetch, given up (the member goes away). */
static void join_cancel(struct room_member *m)
{
	struct room_join_wait *w = m->join_wait;

	m->joining = false;
	m->join_wait = NULL;
	if (!w)
		return;
	for (struct room_join_wait **pp = &w->reg->waits; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	free(w);
}

void room_leave(struct room_member *m)
{
	struct room *r = m->room;

	if (m->joining)
		join_cancel(m);
	if (!r)
		return;
	room_push_forget(r, m);
	unlink_member(m);
	if (!m->proxy && r->reg->bus)
		r->reg->bus->online(r->reg->bus_data, r, m, false);
	if (m->has_sel) {
		m->has_sel = false;
		room_broadcast_presence(r, m);
	}
	room_broadcast_members(r);
	maybe_close(r);
}

int room_chat(struct room_member *m, const char *text, size_t len)
{
	struct room *r = m->room;
	struct room_chat_record rec;
	const struct room_chat_line *line;
	int err;

	if (!r)
		return -ENOENT;
	if ((err = chat_line_check(text, len, r->reg->lim.chat_bytes)))
		return err;
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.member, m->id, sizeof(rec.member));
	rec.name = m->name;
	rec.text = text;
	rec.text_len = len;
	rec.ts = room_wall_ms();
	err = r->reg->store.ops->chat_append(r->reg->store.impl, r->rec.id,
					     &rec, ROOM_CHAT_HISTORY * 5);
	if (err == -EINPROGRESS)	/* ordered by the shared store: every
					   node hears it as room_apply_chat() */
		return 0;
	if (err)
		return err;
	if ((err = chat_ring_push(&r->chat, rec.id, m->id, m->name, text, len,
				  rec.ts)))
		return err;	/* stored: the next load shows it */
	line = chat_ring_at(&r->chat, r->chat.n - 1);
	r->reg->chats++;
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->chat)
			o->ops->chat(o, line);
	return 0;
}

int room_set_role(struct room_member *m, const char *target,
		  enum room_role role)
{
	struct room *r = m->room;
	struct room_member *t;
	bool all = strcmp(target, "*") == 0;
	int err;

	if (!r)
		return -ENOENT;
	if (room_role_of(r, m) != ROOM_HOST)
		return -EACCES;
	if (role != ROOM_READER && role != ROOM_WRITER)
		return -EINVAL;
	if (!all) {
		if (!(t = find_member(r, target)))
			return -ENOENT;
		if (room_role_of(r, t) == ROOM_HOST)
			return role == ROOM_WRITER ? 0 : -EINVAL;
		enum room_role was = t->role;
		t->role = role;
		if ((err = store_member(r, t))) {
			t->role = was;
			return err;
		}
	} else {
		for (t = r->members; t; t = t->next) {
			if (room_role_of(r, t) == ROOM_HOST || t->role == role)
				continue;
			t->role = role;
			if ((err = store_member(r, t)))
				log_warn("room: '%s': cannot store the role of "
					 "'%s': %s", r->rec.id, t->id,
					 strerror(-err));
		}
	}
	room_broadcast_members(r);
	return 0;
}

int room_set_settings(struct room_member *m, int open_edit,
		      const char *language)
{
	struct room *r = m->room;
	struct room_record before;
	const struct lang *l = NULL;
	int err;

	if (!r)
		return -ENOENT;
	if (room_role_of(r, m) != ROOM_HOST)
		return -EACCES;
	if (language && !(l = lang_find(r->reg->langs, language)))
		return -ENOENT;
	before = r->rec;
	if (open_edit >= 0)
		r->rec.open_edit = open_edit != 0;
	if (l)
		snprintf(r->rec.language, sizeof(r->rec.language), "%s", l->id);
	r->rec.updated_ms = room_wall_ms();
	if ((err = r->reg->store.ops->settings_put(r->reg->store.impl,
						   &r->rec))) {
		r->rec = before;
		return err;
	}
	if (open_edit >= 0) {	/* everyone at once, as the new default */
		enum room_role role = open_edit ? ROOM_WRITER : ROOM_READER;
		for (struct room_member *t = r->members; t; t = t->next) {
			if (room_role_of(r, t) == ROOM_HOST || t->role == role)
				continue;
			t->role = role;
			if ((err = store_member(r, t)))
				log_warn("room: '%s': cannot store the role of "
					 "'%s': %s", r->rec.id, t->id,
					 strerror(-err));
		}
	}
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->settings)
			o->ops->settings(o);
	if (open_edit >= 0)
		room_broadcast_members(r);
	return 0;
}

int room_set_host(struct room_member *m, const char *target)
{
	struct room *r = m->room;
	struct room_record before;
	struct room_member *t;
	int err;

	if (!r)
		return -ENOENT;
	if (room_role_of(r, m) != ROOM_HOST)
		return -EACCES;
	if (!(t = find_member(r, target)))
		return -ENOENT;
	if (t == m)
		return 0;
	before = r->rec;
	memcpy(r->rec.host, t->id, sizeof(r->rec.host));
	r->rec.updated_ms = room_wall_ms();
	if ((err = r->reg->store.ops->settings_put(r->reg->store.impl,
						   &r->rec))) {
		r->rec = before;
		return err;
	}
	t->role = ROOM_WRITER;
	m->role = ROOM_WRITER;
	store_member(r, t);
	store_member(r, m);
	room_broadcast_members(r);
	return 0;
}

/* ---- cluster mode: what other nodes did (room_bus.h) -------------------- */

int room_proxy_join(struct room *r, struct room_member *m)
{
	struct room_member *old = find_member(r, m->id);

	if (old)	/* the same member twice: the newest wins */
		replace_member(r, old);
	if (r->nmembers >= r->reg->lim.members)
		return -EUSERS;
	m->proxy = true;
	m->has_sel = false;
	m->room = r;
	m->next = r->members;
	r->members = m;
	r->nmembers++;
	room_broadcast_members(r);
	return 0;
}

void room_apply_member(struct room *r, const struct room_member_record *rec)
{
	struct room_member *t = find_member(r, rec->id);

	if (!t)
		return;
	if (rec->role != ROOM_HOST)
		t->role = rec->role == ROOM_READER ? ROOM_READER : ROOM_WRITER;
	if (rec->name[0])
		memcpy(t->name, rec->name, sizeof(t->name));
	if (rec->color[0])
		memcpy(t->color, rec->color, sizeof(t->color));
	room_broadcast_members(r);
}

void room_apply_settings(struct room *r, const char *language, bool open_edit,
			 const char *host)
{
	bool lang_changed = language && *language &&
			    strcmp(language, r->rec.language);
	bool open_changed = open_edit != r->rec.open_edit;
	bool host_changed = host && strcmp(host, r->rec.host);

	if (lang_changed)
		snprintf(r->rec.language, sizeof(r->rec.language), "%s",
			 language);
	r->rec.open_edit = open_edit;
	if (host_changed)
		snprintf(r->rec.host, sizeof(r->rec.host), "%s", host);
	if (lang_changed || open_changed)
		for (struct room_member *o = r->members; o; o = o->next)
			if (o->ops->settings)
				o->ops->settings(o);
	if (open_changed || host_changed)
		room_broadcast_members(r);
}

int room_apply_chat(struct room *r, const struct room_chat_record *c)
{
	const struct room_chat_line *line;
	int err;

	if (r->chat.n && c->id <= chat_ring_at(&r->chat, r->chat.n - 1)->id)
		return 0;	/* had it */
	if ((err = chat_ring_push(&r->chat, c->id, c->member, c->name, c->text,
				  c->text_len, c->ts)))
		return err;
	line = chat_ring_at(&r->chat, r->chat.n - 1);
	r->rec.chat_seq = c->id;
	r->reg->chats++;
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->chat)
			o->ops->chat(o, line);
	return 0;
}
