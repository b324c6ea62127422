/*
 * room_bus.c - rooms across gateways: the room layer's bus (room/room_bus.h).
 *
 * Each gateway with members in a room holds its own struct room; this
 * file keeps them one room through Redis:
 *  - fetch: one atomic read (SCRIPT_ROOM_FETCH) fills the cache
 *    (cluster/room_cache.h) that the store serves the room's load from;
 *    the room's channel is subscribed first, so nothing published after
 *    the read is missed (an update the read already had is skipped by
 *    version);
 *  - the channel's events (cluster/room_wire.h) are applied in the room's
 *    order: updates by version (a gap, from a lost message or a reconnect,
 *    makes a resync: the same read again, applied as differences), chat
 *    lines by id, members' records, settings, members coming and going on
 *    other gateways (proxies), their selections, the room's run;
 *  - this gateway's own members are announced (online/offline), their
 *    selections and the runs they start published;
 *  - members of a gateway that died are dropped once its heartbeat has
 *    expired, and its "online" entries cleaned up.
 * Pub/sub loses what it sends while a link is down: every reconnect
 * resyncs every open room, and only updates (versions) and chat (ids)
 * carry an order to check; settings, roles and the roster are taken whole
 * from the read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/rooms.h"
#include "cluster/room_cache.h"
#include "cluster/room_wire.h"
#include "cluster/scripts.h"
#include "lib/log.h"
#include "run/run.h"

#define HISTORY 1000	/* updates before the snapshot a fetch takes */

static void resync(struct room_cluster *rc, struct croom *cr);

/* ---- proxies: members connected to other gateways ---------------------- */

static void px_updates(struct room_member *m, uint32_t file, uint64_t from,
		       const struct collab_update *u, size_t n,
		       const struct room_member *by)
{
	(void)m, (void)file, (void)from, (void)u, (void)n, (void)by;
}

static void px_presence(struct room_member *m, const struct room_member *who)
{
	(void)m, (void)who;
}

static void px_members(struct room_member *m)
{
	(void)m;
}

static void px_chat(struct room_member *m, const struct room_chat_line *l)
{
	(void)m, (void)l;
}

static void px_settings(struct room_member *m)
{
	(void)m;
}

static void px_run_started(struct room_member *m, struct run *run)
{
	(void)m, (void)run;
}

static void proxy_free(struct room_proxy *p)
{
	struct croom *cr = p->cr;

	for (struct room_proxy **pp = &cr->proxies; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	free(p);
}

/* The room let go of it (closing, or the member joined here itself). */
static void px_removed(struct room_member *m, const char *reason)
{
	(void)reason;
	proxy_free((struct room_proxy *)m);
}

static const struct room_member_ops proxy_ops = {
	.updates = px_updates,
	.presence = px_presence,
	.members = px_members,
	.chat = px_chat,
	.settings = px_settings,
	.run_started = px_run_started,
	.removed = px_removed,
};

static struct room_proxy *proxy_find(struct croom *cr, const char *member)
{
	for (struct room_proxy *p = cr->proxies; p; p = p->next)
		if (!strcmp(p->m.id, member))
			return p;
	return NULL;
}

/* A member shown here for 'gateway'. */
static void proxy_add(struct room_cluster *rc, struct croom *cr,
		      const char *gateway, const struct room_member_record *rec)
{
	struct room_proxy *p;
	struct room_member *local;

	if (!cr->room || !strcmp(gateway, rc->c->node_id))
		return;
	/* a gateway not in the node table yet may be new: a dead one's
	 * leftover goes with room_cluster_nodes_changed() */
	for (local = cr->room->members; local; local = local->next)
		if (!local->proxy && !strcmp(local->id, rec->id))
			return;	/* it is connected here now */
	if ((p = proxy_find(cr, rec->id))) {
		snprintf(p->gateway, sizeof(p->gateway), "%s", gateway);
		return;
	}
	if (!(p = calloc(1, sizeof(*p))))
		return;
	p->m.ops = &proxy_ops;
	memcpy(p->m.id, rec->id, sizeof(p->m.id));
	memcpy(p->m.name, rec->name, sizeof(p->m.name));
	memcpy(p->m.color, rec->color, sizeof(p->m.color));
	p->m.role = rec->role == ROOM_READER ? ROOM_READER : ROOM_WRITER;
	snprintf(p->gateway, sizeof(p->gateway), "%s", gateway);
	p->cr = cr;
	p->next = cr->proxies;
	cr->proxies = p;
	if (room_proxy_join(cr->room, &p->m))
		proxy_free(p);	/* the room is full here */
}

static void proxy_drop(struct room_proxy *p)
{
	if (p->m.room)
		room_leave(&p->m);	/* the others hear it */
	proxy_free(p);
}

/* ---- commands ------------------------------------------------------------ */

static void on_done(struct redis_link *l, redisReply *r, void *data)
{
	(void)l;
	if (r && r->type == REDIS_REPLY_ERROR)
		log_warn("room: Redis refused %s: %.200s", (const char *)data,
			 r->str);
}

static void publish(struct room_cluster *rc, struct croom *cr,
		    const struct buf *ev)
{
	const char *argv[] = { "PUBLISH", cr->channel, ev->data };
	size_t lens[] = { 7, strlen(cr->channel), ev->len };
	static char what[] = "an event";

	redis_link_cmd(&rc->c->cmd, on_done, what, 0, 3, argv, lens);
}

/* ---- applying what the room's channel and reads bring --------------- */

static void apply_run(struct room_cluster *rc, struct croom *cr,
		      const char *id, const char *by)
{
	struct run *run;

	snprintf(cr->run, sizeof(cr->run), "%s", id);
	if (!cr->room || !id[0])
		return;
	if (cr->room->run_sub.run && !strcmp(run_id(cr->room->run_sub.run), id))
		return;
	if (!(run = run_find(rc->c->engine, id)))
		return;
	room_apply_run(cr->room, run, by ? by : "");
}

/* Applies log entries (any order, any overlap) from the room's version. */
static void apply_log(struct room_cluster *rc, struct croom *cr,
		      struct room_log_entry *e, size_t n)
{
	uint64_t v;

	if (!cr->room)
		return;
	room_text(cr->room, NULL, &v);
	for (;;) {
		size_t k;
		for (k = 0; k < n && e[k].version != v; k++)
			;
		if (k == n)
			return;
		const char *id = e[k].client_id, *ch = e[k].changes;
		size_t len = e[k].changes_len;
		if (room_apply_updates(cr->room, v, e[k].member, 1, &id, &ch,
				       &len))
			return;
		v++;
	}
}

static void apply_event(struct room_cluster *rc, struct croom *cr,
			const struct rw_event *ev)
{
	struct room *r = cr->room;

	switch (ev->kind) {
	case 'U': {
		const char *ids[ROOM_PUSH_MAX], *ch[ROOM_PUSH_MAX];
		size_t lens[ROOM_PUSH_MAX];
		if (!r)
			break;
		for (size_t i = 0; i < ev->n; i++) {
			ids[i] = ev->u[i].client_id;
			ch[i] = ev->u[i].changes;
			lens[i] = ev->u[i].len;
		}
		if (room_apply_updates(r, ev->from, ev->member, ev->n, ids, ch,
				       lens) == -EAGAIN)
			resync(rc, cr);	/* a gap: missed some */
		break;
	}
	case 'C':
		if (ev->chat.id <= cr->chat_last)
			break;
		if (cr->chat_last && ev->chat.id > cr->chat_last + 1) {
			resync(rc, cr);	/* missed a line: take them in order */
			break;
		}
		croom_put_chat(cr, &ev->chat, ROOM_CHAT_HISTORY);
		cr->chat_last = ev->chat.id;
		if (r)
			room_apply_chat(r, &ev->chat);
		break;
	case 'M':
		cr->writes++;
		croom_put_member(cr, &ev->rec);
		if (r)
			room_apply_member(r, &ev->rec);
		break;
	case 'S':
		cr->writes++;
		snprintf(cr->rec.language, sizeof(cr->rec.language), "%s",
			 ev->language);
		cr->rec.open_edit = ev->open_edit;
		snprintf(cr->rec.host, sizeof(cr->rec.host), "%s", ev->host);
		if (r)
			room_apply_settings(r, ev->language, ev->open_edit,
					    ev->host);
		break;
	case 'O':
		cr->writes++;
		croom_put_member(cr, &ev->rec);
		proxy_add(rc, cr, ev->gateway, &ev->rec);
		break;
	case 'F': {
		struct room_proxy *p = proxy_find(cr, ev->member);
		cr->writes++;
		if (p && !strcmp(p->gateway, ev->gateway))
			proxy_drop(p);
		break;
	}
	case 'P': {
		struct room_proxy *p = proxy_find(cr, ev->member);
		if (p && r)	/* -ESTALE (not here yet): the next one */
			/* file 0: a cluster room keeps one file (its
			 * store has no per-file ops) */
			room_presence(&p->m, 0, ev->has, ev->version,
				      ev->anchor, ev->head);
		break;
	}
	case 'R':
		apply_run(rc, cr, ev->run, ev->member);
		break;
	}
}

static void on_message(struct redis_link *l, const char *channel,
		       const char *msg, size_t len, void *data)
{
	struct room_cluster *rc = data;
	const char *id = channel + strlen(KEY_PREFIX "room:");
	struct croom *cr;
	struct rw_event *ev;

	(void)l;
	if (strncmp(channel, KEY_PREFIX "room:", strlen(KEY_PREFIX "room:")) ||
	    !(cr = croom_find(rc, id)))
		return;
	if (!msg) {	/* subscribed: read what came before */
		if (cr->room)
			resync(rc, cr);
		return;
	}
	if (!(ev = malloc(sizeof(*ev))))
		return;
	rc->events++;
	if (rw_event_decode(msg, len, ev))
		log_warn("room: '%s': a malformed event dropped", cr->id);
	else if (cr->fetched)
		apply_event(rc, cr, ev);
	free(ev);
}

/* ---- reads ----------------------------------------------------------------- */

static bool str_is(const redisReply *r, const char *s)
{
	return r->type == REDIS_REPLY_STRING && r->len == strlen(s) &&
	       !memcmp(r->str, s, r->len);
}

static void copy_str(char *dst, size_t len, const redisReply *r)
{
	size_t n = r->len < len - 1 ? r->len : len - 1;

	memcpy(dst, r->str, n);
	dst[n] = '\0';
}

static uint64_t num(const redisReply *r)
{
	char tmp[32];

	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer > 0 ? (uint64_t)r->integer : 0;
	copy_str(tmp, sizeof(tmp), r);
	return strtoull(tmp, NULL, 10);
}

/* What a read of the room's keys holds, decoded (pointers into it). */
struct readout {
	struct room_record rec;
	char run[33];
	uint64_t snap_v;
	const char *snap;
	size_t snap_len;
	struct room_log_entry *log;	/* ascending: history, then after */
	size_t nlog;
	struct room_chat_record *chat;
	size_t nchat;
	struct room_member_record *mem;
	size_t nmem;
	struct { char gateway[NODE_ID_MAX + 1];
		 struct room_member_record rec; } *on;
	size_t non;
};

static void readout_free(struct readout *o)
{
	free(o->log);
	free(o->chat);
	free(o->mem);
	free(o->on);
}

/* SCRIPT_ROOM_FETCH's reply. 0, -ENOENT (no room), -EIO (malformed). */
static int readout_parse(const redisReply *r, const char *id,
			 struct readout *o)
{
	const redisReply *rec, *snap, *log, *hist, *chat, *mem, *on;

	memset(o, 0, sizeof(*o));
	if (!r)
		return -EIO;
	if (r->type == REDIS_REPLY_INTEGER)
		return -ENOENT;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 7)
		return -EIO;
	for (int i = 0; i < 7; i++)
		if (r->element[i]->type != REDIS_REPLY_ARRAY)
			return -EIO;
	rec = r->element[0];
	snap = r->element[1];
	log = r->element[2];
	hist = r->element[3];
	chat = r->element[4];
	mem = r->element[5];
	on = r->element[6];
	snprintf(o->rec.id, sizeof(o->rec.id), "%s", id);
	for (size_t i = 0; i + 1 < rec->elements; i += 2) {
		const redisReply *k = rec->element[i], *v = rec->element[i + 1];
		if (v->type != REDIS_REPLY_STRING)
			continue;
		if (str_is(k, "lang"))
			copy_str(o->rec.language, sizeof(o->rec.language), v);
		else if (str_is(k, "open"))
			o->rec.open_edit = v->len && v->str[0] == '1';
		else if (str_is(k, "host") && v->len == ROOM_MEMBER_ID_LEN)
			copy_str(o->rec.host, sizeof(o->rec.host), v);
		else if (str_is(k, "version"))
			o->rec.version = num(v);
		else if (str_is(k, "chat_seq"))
			o->rec.chat_seq = num(v);
		else if (str_is(k, "created"))
			o->rec.created_ms = (int64_t)num(v);
		else if (str_is(k, "updated"))
			o->rec.updated_ms = (int64_t)num(v);
		else if (str_is(k, "run") && v->len == 32)
			copy_str(o->run, sizeof(o->run), v);
	}
	if (snap->elements != 2 || snap->element[1]->type != REDIS_REPLY_STRING)
		return -EIO;
	o->snap_v = num(snap->element[0]);
	o->snap = snap->element[1]->str;
	o->snap_len = snap->element[1]->len;
	o->log = calloc(log->elements + hist->elements + 1, sizeof(*o->log));
	o->chat = calloc(chat->elements + 1, sizeof(*o->chat));
	o->mem = calloc(mem->elements + 1, sizeof(*o->mem));
	o->on = calloc(on->elements + 1, sizeof(*o->on));
	if (!o->log || !o->chat || !o->mem || !o->on)
		return -ENOMEM;
	for (size_t i = hist->elements; i-- > 0;)	/* newest first there */
		if (hist->element[i]->type == REDIS_REPLY_STRING &&
		    !rw_log_decode(hist->element[i]->str, hist->element[i]->len,
				   &o->log[o->nlog]))
			o->nlog++;
	for (size_t i = 0; i < log->elements; i++)
		if (log->element[i]->type == REDIS_REPLY_STRING &&
		    !rw_log_decode(log->element[i]->str, log->element[i]->len,
				   &o->log[o->nlog]))
			o->nlog++;
	for (size_t i = 0; i < chat->elements; i++)
		if (chat->element[i]->type == REDIS_REPLY_STRING &&
		    !rw_chat_decode(chat->element[i]->str, chat->element[i]->len,
				    &o->chat[o->nchat]))
			o->nchat++;
	for (size_t i = 0; i < mem->elements; i++)
		if (mem->element[i]->type == REDIS_REPLY_STRING &&
		    !rw_member_decode(mem->element[i]->str, mem->element[i]->len,
				      &o->mem[o->nmem]))
			o->nmem++;
	for (size_t i = 0; i < on->elements; i++) {
		struct rw_event ev;
		if (on->element[i]->type != REDIS_REPLY_STRING ||
		    rw_event_decode(on->element[i]->str, on->element[i]->len, &ev) ||
		    ev.kind != 'O')
			continue;
		snprintf(o->on[o->non].gateway, sizeof(o->on[0].gateway), "%s",
			 ev.gateway);
		o->on[o->non].rec = ev.rec;
		o->non++;
	}
	return 0;
}

/* The cache from a read (the room is not open here). */
static int fill(struct croom *cr, const struct readout *o)
{
	croom_clear(cr);
	cr->rec = o->rec;
	snprintf(cr->run, sizeof(cr->run), "%s", o->run);
	cr->snap_version = o->snap_v;
	if (!(cr->snap_text = malloc(o->snap_len + 1)))
		return -ENOMEM;
	memcpy(cr->snap_text, o->snap, o->snap_len);
	cr->snap_text[o->snap_len] = '\0';
	cr->snap_len = o->snap_len;
	for (size_t i = 0; i < o->nlog; i++)
		if (croom_put_log(cr, &o->log[i]))
			return -ENOMEM;
	for (size_t i = 0; i < o->nchat; i++)
		if (croom_put_chat(cr, &o->chat[i], ROOM_CHAT_HISTORY))
			return -ENOMEM;
	cr->chat_last = o->nchat ? o->chat[o->nchat - 1].id : 0;
	for (size_t i = 0; i < o->nmem; i++)
		if (croom_put_member(cr, &o->mem[i]))
			return -ENOMEM;
	if (o->non && !(cr->on = calloc(o->non, sizeof(*cr->on))))
		return -ENOMEM;
	for (size_t i = 0; i < o->non; i++) {
		snprintf(cr->on[i].gateway, sizeof(cr->on[i].gateway), "%s",
			 o->on[i].gateway);
		cr->on[i].rec = o->on[i].rec;
	}
	cr->non = o->non;
	cr->fetched = true;
	cr->fetched_ms = redis_now_ms();
	return 0;
}

/* The online entries of a read, as proxies (the room is open here). */
static void reconcile_online(struct room_cluster *rc, struct croom *cr,
			     const struct readout *o)
{
	for (struct room_proxy *p = cr->proxies, *n; p; p = n) {
		bool there = false;
		n = p->next;
		for (size_t i = 0; i < o->non && !there; i++)
			there = !strcmp(o->on[i].rec.id, p->m.id) &&
				!strcmp(o->on[i].gateway, p->gateway);
		if (!there)
			proxy_drop(p);
	}
	for (size_t i = 0; i < o->non; i++)
		proxy_add(rc, cr, o->on[i].gateway, &o->on[i].rec);
}

struct fetch_req {
	struct room_cluster *rc;
	char id[ROOM_ID_LEN + 1];
	bool resync;
	uint64_t writes;	/* the room's writes when it was sent */
};

static void on_fetched(struct redis_link *l, redisReply *r, void *data)
{
	struct fetch_req *f = data;
	struct room_cluster *rc = f->rc;
	struct croom *cr = croom_find(rc, f->id);
	struct readout o;
	int err;

	(void)l;
	err = readout_parse(r, f->id, &o);
	if (!cr) {	/* closed meanwhile */
		readout_free(&o);
		free(f);
		return;
	}
	if (!f->resync) {
		cr->fetching = false;
		if (!err)
			err = fill(cr, &o);
		if (err && err != -ENOENT)
			log_warn("room: cannot fetch '%s' from Redis: %s", f->id,
				 strerror(-err));
		cr->fetch_err = err;
		readout_free(&o);
		free(f);
		rooms_fetched(rc->reg, cr->id, err);	/* the joins go on */
		return;
	}
	/* a resync of an open room: what it missed, as differences */
	cr->resyncing = false;
	if (!err && cr->room) {
		rc->resyncs++;
		if (cr->writes != f->writes) {
			/* this node wrote settings or members after the read
			 * was sent: it is older than what this node holds;
			 * read again (after those writes, on the same link) */
			cr->resync_again = true;
		} else {
			for (size_t i = 0; i < o.nmem; i++) {
				croom_put_member(cr, &o.mem[i]);
				room_apply_member(cr->room, &o.mem[i]);
			}
			cr->rec.open_edit = o.rec.open_edit;
			snprintf(cr->rec.language, sizeof(cr->rec.language),
				 "%s", o.rec.language);
			snprintf(cr->rec.host, sizeof(cr->rec.host), "%s",
				 o.rec.host);
			room_apply_settings(cr->room, o.rec.language,
					    o.rec.open_edit, o.rec.host);
		}
		apply_log(rc, cr, o.log, o.nlog);
		for (size_t i = 0; i < o.nchat; i++) {
			if (o.chat[i].id <= cr->chat_last)
				continue;
			croom_put_chat(cr, &o.chat[i], ROOM_CHAT_HISTORY);
			cr->chat_last = o.chat[i].id;
			room_apply_chat(cr->room, &o.chat[i]);
		}
		if (cr->writes == f->writes)	/* else: read again */
			reconcile_online(rc, cr, &o);
		if (o.run[0])
			apply_run(rc, cr, o.run, NULL);
	}
	readout_free(&o);
	free(f);
	if (cr->resync_again) {
		cr->resync_again = false;
		resync(rc, cr);
	}
}

static int read_room(struct room_cluster *rc, struct croom *cr, bool again)
{
	struct fetch_req *f = calloc(1, sizeof(*f));
	char chat[16], hist[16];
	int err;

	if (!f)
		return -ENOMEM;
	f->rc = rc;
	f->resync = again;
	f->writes = cr->writes;
	snprintf(f->id, sizeof(f->id), "%s", cr->id);
	snprintf(chat, sizeof(chat), "%d", ROOM_CHAT_HISTORY);
	snprintf(hist, sizeof(hist), "%d", HISTORY);
	const char *args[] = { "EVAL", SCRIPT_ROOM_FETCH, "0", cr->id, chat,
			       hist, NULL };
	if ((err = redis_link_cmdv(&rc->c->cmd, on_fetched, f, 0, args)))
		free(f);
	return err;
}

static void resync(struct room_cluster *rc, struct croom *cr)
{
	if (cr->resyncing) {
		cr->resync_again = true;
		return;
	}
	if (read_room(rc, cr, true) == 0)
		cr->resyncing = true;
}

/* ---- the bus's ops ------------------------------------------------------- */

static int bus_fetch(void *bus, const char *id)
{
	struct room_cluster *rc = bus;
	struct croom *cr = croom_get(rc, id);

	if (!cr)
		return -ENOMEM;
	if (cr->fetched && (cr->room ||
			    redis_now_ms() - cr->fetched_ms < ROOM_CACHE_MS / 2))
		return 0;
	if (cr->fetching)
		return -EINPROGRESS;
	if (!redis_link_up(&rc->c->cmd) || !redis_link_up(&rc->sub))
		return -EIO;
	/* the channel first: what is published after the read is heard */
	if (!cr->subscribed &&
	    redis_link_subscribe(&rc->sub, cr->channel, on_message, rc) == 0)
		cr->subscribed = true;
	if (read_room(rc, cr, false))
		return -EIO;
	cr->fetching = true;
	return -EINPROGRESS;
}

static void bus_opened(void *bus, struct room *r)
{
	struct room_cluster *rc = bus;
	struct croom *cr = croom_get(rc, r->rec.id);

	if (!cr)
		return;
	cr->room = r;
	if (!cr->subscribed &&
	    redis_link_subscribe(&rc->sub, cr->channel, on_message, rc) == 0)
		cr->subscribed = true;
	/* the members online elsewhere, as the fetch read them: the joining
	 * member sees them (and picks another colour) */
	for (size_t i = 0; i < cr->non; i++)
		proxy_add(rc, cr, cr->on[i].gateway, &cr->on[i].rec);
	if (cr->run[0])
		apply_run(rc, cr, cr->run, NULL);
	/* anything published between the fetch and the subscription: a
	 * read, applied as differences */
	resync(rc, cr);
}

static void bus_closed(void *bus, struct room *r)
{
	struct room_cluster *rc = bus;
	struct croom *cr = croom_find(rc, r->rec.id);

	if (!cr)
		return;
	cr->room = NULL;
	while (cr->proxies)	/* the room removed them: nothing links */
		proxy_free(cr->proxies);
	if (cr->subscribed)
		redis_link_unsubscribe(&rc->sub, cr->channel);
	if (!cr->fetching && !cr->resyncing)
		croom_free(rc, cr);
	else
		cr->subscribed = false;	/* freed by the cache timer */
}

static void member_rec(const struct room *r, const struct room_member *m,
		       struct room_member_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->id, m->id, sizeof(rec->id));
	memcpy(rec->name, m->name, sizeof(rec->name));
	rec->role = room_role_of(r, m) == ROOM_READER ? ROOM_READER
						       : ROOM_WRITER;
	memcpy(rec->color, m->color, sizeof(rec->color));
}

static void bus_online(void *bus, struct room *r, const struct room_member *m,
		       bool on)
{
	struct room_cluster *rc = bus;
	struct croom *cr = croom_find(rc, r->rec.id);
	struct room_member_record rec;
	char key[96];
	struct buf ev;

	if (!cr)
		return;
	snprintf(key, sizeof(key), "%s:on", cr->channel);
	buf_init(&ev, 4096);
	member_rec(r, m, &rec);
	if (on) {
		if (rw_online_encode(&ev, rc->c->node_id, &rec) == 0) {
			const char *argv[] = { "HSET", key, m->id, ev.data };
			size_t lens[] = { 4, strlen(key), strlen(m->id), ev.len };
			static char what[] = "a member online";
			redis_link_cmd(&rc->c->cmd, on_done, what, 0, 4, argv,
				       lens);
			publish(rc, cr, &ev);
		}
	} else if (rw_offline_encode(&ev, rc->c->node_id, m->id) == 0) {
		const char *argv[] = { "HDEL", key, m->id, NULL };
		static char what[] = "a member offline";
		redis_link_cmdv(&rc->c->cmd, on_done, what, 0, argv);
		publish(rc, cr, &ev);
	}
	buf_release(&ev);
}

static void bus_presence(void *bus, struct room *r, const struct room_member *m)
{
	struct room_cluster *rc = bus;
	struct croom *cr = croom_find(rc, r->rec.id);
	struct buf ev;
	uint64_t v;

	if (!cr)
		return;
	room_text(r, NULL, &v);
	buf_init(&ev, 256);
	if (rw_presence_encode(&ev, m->id, m->has_sel, v, m->anchor, m->head) == 0)
		publish(rc, cr, &ev);
	buf_release(&ev);
}

static void bus_run(void *bus, struct room *r, struct run *run, const char *by)
{
	struct room_cluster *rc = bus;
	struct croom *cr = croom_find(rc, r->rec.id);
	char key[96];
	struct buf ev;

	if (!cr)
		return;
	snprintf(cr->run, sizeof(cr->run), "%s", run_id(run));
	snprintf(key, sizeof(key), "%s:rec", cr->channel);
	const char *argv[] = { "HSET", key, "run", cr->run, NULL };
	static char what[] = "the room's run";
	redis_link_cmdv(&rc->c->cmd, on_done, what, 0, argv);
	buf_init(&ev, 256);
	if (rw_run_encode(&ev, cr->run, by) == 0)
		publish(rc, cr, &ev);
	buf_release(&ev);
}

static const struct room_bus_ops bus_ops = {
	.fetch = bus_fetch,
	.opened = bus_opened,
	.closed = bus_closed,
	.online = bus_online,
	.presence = bus_presence,
	.run = bus_run,
};

/* ---- the node's side ------------------------------------------------------ */

static void sub_up(struct redis_link *l, void *data)
{
	struct room_cluster *rc = data;

	(void)l;
	for (struct croom *cr = rc->rooms; cr; cr = cr->next)
		if (cr->room)
			resync(rc, cr);	/* what the channel lost meanwhile */
}

static const struct redis_link_ops sub_ops = { .up = sub_up };

static void on_count(struct redis_link *l, redisReply *r, void *data)
{
	struct room_cluster *rc = data;

	(void)l;
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
		rc->stored = (uint64_t)r->integer;
}

static void on_tick(uv_timer_t *t)
{
	struct room_cluster *rc = t->data;
	uint64_t now = redis_now_ms();
	static unsigned ticks;

	for (struct croom *cr = rc->rooms, *n; cr; cr = n) {
		n = cr->next;
		if (!cr->room && !cr->fetching && !cr->resyncing &&
		    now - cr->fetched_ms > ROOM_CACHE_MS) {
			if (cr->subscribed)
				redis_link_unsubscribe(&rc->sub, cr->channel);
			croom_free(rc, cr);
		}
	}
	if (ticks++ % 10 == 0 && redis_link_up(&rc->c->cmd)) {
		const char *args[] = { "SCARD", KEY_PREFIX "rooms", NULL };
		redis_link_cmdv(&rc->c->cmd, on_count, rc, 0, args);
	}
}

struct room_cluster *room_cluster_new(struct cluster *c)
{
	struct room_cluster *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return NULL;
	rc->c = c;
	redis_link_init(&rc->sub, c->loop, &c->url, c->node_id, "rooms",
			&sub_ops, rc);
	uv_timer_init(c->loop, &rc->timer);
	rc->timer.data = rc;
	return rc;
}

void room_cluster_attach(struct room_cluster *rc, struct rooms *reg)
{
	rc->reg = reg;
	rooms_set_bus(reg, &bus_ops, rc);
}

void room_cluster_start(struct room_cluster *rc)
{
	redis_link_start(&rc->sub);
	uv_timer_start(&rc->timer, on_tick, 1000, 1000);
}

void room_cluster_link_up(struct room_cluster *rc)
{
	sub_up(&rc->sub, rc);
}

void room_cluster_nodes_changed(struct room_cluster *rc)
{
	if (!rc->c->heard)
		return;
	for (struct croom *cr = rc->rooms; cr; cr = cr->next) {
		for (struct room_proxy *p = cr->proxies, *n; p; p = n) {
			n = p->next;
			if (node_find(&rc->c->nodes, p->gateway)) {
				p->missing_since = 0;
				continue;
			}
			/* a new gateway's first heartbeat may still come */
			if (!p->missing_since)
				p->missing_since = redis_now_ms();
			if (redis_now_ms() - p->missing_since < NODE_TTL_MS)
				continue;
			/* its gateway died: it is gone, here and in Redis */
			char key[96];
			snprintf(key, sizeof(key), "%s:on", cr->channel);
			const char *argv[] = { "HDEL", key, p->m.id, NULL };
			static char what[] = "a dead gateway's member";
			redis_link_cmdv(&rc->c->cmd, on_done, what, 0, argv);
			proxy_drop(p);
		}
	}
}

/* Both the timer and the link closed: tell the owner (once). */
static void closed_maybe(struct room_cluster *rc)
{
	if (rc->handles || !rc->sub_closed || !rc->closed_cb)
		return;
	redis_link_closed_fn cb = rc->closed_cb;
	rc->closed_cb = NULL;
	cb(&rc->sub);
}

static void on_closed(uv_handle_t *h)
{
	struct room_cluster *rc = h->data;

	rc->handles--;
	closed_maybe(rc);
}

static void on_sub_closed(struct redis_link *l)
{
	struct room_cluster *rc = l->data;

	rc->sub_closed = true;
	closed_maybe(rc);
}

void room_cluster_close(struct room_cluster *rc, redis_link_closed_fn cb)
{
	rc->closed_cb = cb;
	uv_timer_stop(&rc->timer);
	rc->handles = 1;
	uv_close((uv_handle_t *)&rc->timer, on_closed);
	redis_link_close(&rc->sub, on_sub_closed);
}

void room_cluster_free(struct room_cluster *rc)
{
	if (!rc)
		return;
	if (rc->reg)	/* the rooms must not call a freed bus */
		rooms_set_bus(rc->reg, NULL, NULL);
	while (rc->rooms) {
		struct croom *cr = rc->rooms;
		while (cr->proxies)
			proxy_free(cr->proxies);
		croom_free(rc, cr);
	}
	free(rc);
}
