/*
 * room_doc.c - a room's document: loading it, pushes, pulls, uploads,
 * presence, snapshots.
 *
 * The authority is collab.h. A push is prepared (validated, rebased,
 * de-duplicated) without changing anything, stored (compare-and-append),
 * then committed and broadcast; a store failure aborts it. Every
 * snapshot_every updates the whole text is stored as a snapshot and the
 * log older than the window reconnecting clients need is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/utf8.h"
#include "room/room.h"
#include "room/room_internal.h"
#include "room/textdiff.h"

size_t room_text_lf(char *s, size_t len)
{
	return textdiff_lf(s, len);
}

int room_text_check(const char *s, size_t len)
{
	size_t u16;

	return utext_measure(s, len, &u16);
}

static void caps_of(const struct room_limits *l, struct collab_caps *caps)
{
	collab_caps_default(caps);
	caps->max_doc_bytes = l->doc_bytes;
	caps->max_log = l->log;
	caps->max_updates = ROOM_PUSH_MAX;	/* l->log >= 100 (rooms_init) */
	if (caps->max_log_bytes < 2 * l->doc_bytes)
		caps->max_log_bytes = 2 * l->doc_bytes;
}

/* clientID -> member, for the updates of the log window */
static struct room_client *client_find(struct room *r, const char *id)
{
	for (size_t i = 0; i < r->nclients; i++)
		if (strcmp(r->clients[i].id, id) == 0)
			return &r->clients[i];
	return NULL;
}

static int client_note(struct room *r, const char *id, const char *member,
		       uint64_t version)
{
	struct room_client *c = client_find(r, id);
	uint64_t oldest = collab_oldest(r->doc);

	if (strlen(id) >= sizeof(c->id))
		return -E2BIG;
	if (c) {
		if (version > c->last)
			c->last = version;
		return 0;
	}
	/* forget clients whose updates left the window */
	for (size_t i = 0; i < r->nclients;) {
		if (r->clients[i].last < oldest)
			r->clients[i] = r->clients[--r->nclients];
		else
			i++;
	}
	if (r->nclients == r->clients_cap) {
		size_t cap = r->clients_cap ? 2 * r->clients_cap : 16;
		struct room_client *v = realloc(r->clients, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->clients = v;
		r->clients_cap = cap;
	}
	c = &r->clients[r->nclients++];
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->member, sizeof(c->member), "%s", member);
	c->last = version;
	return 0;
}

struct load_ctx {
	struct room *r;
	int err;
};

static int load_after(void *arg, const struct room_log_entry *e)
{
	struct load_ctx *x = arg;
	int err = collab_load_update(x->r->doc, e->version, e->client_id,
				     e->changes, e->changes_len);

	if (err) {
		log_warn("room: '%s': stored update %llu does not apply: %s",
			 x->r->rec.id, (unsigned long long)e->version,
			 strerror(-err));
		return err;
	}
	client_note(x->r, e->client_id, e->member, e->version + 1);
	return 0;
}

static int load_before(void *arg, const struct room_log_entry *e)
{
	struct load_ctx *x = arg;
	int err;

	if (e->version + 1 != collab_oldest(x->r->doc))
		return 1;	/* a gap: stop */
	err = collab_load_history(x->r->doc, e->version, e->client_id,
				  e->changes, e->changes_len);
	if (err)
		return 1;	/* the window is full */
	client_note(x->r, e->client_id, e->member, e->version + 1);
	return 0;
}

int room_doc_load(struct room *r)
{
	const struct room_store *st = &r->reg->store;
	struct collab_caps caps;
	struct load_ctx x = { r, 0 };
	uint64_t v;
	char *text = NULL;
	size_t len = 0;
	int err;

	caps_of(&r->reg->lim, &caps);
	if ((err = st->ops->snapshot_get(st->impl, r->rec.id, &v, &text, &len)))
		return err;
	/* a snapshot may be bigger than today's cap (the flag was lowered):
	 * load it anyway, edits that grow it are refused */
	if (len > caps.max_doc_bytes)
		caps.max_doc_bytes = len;
	err = collab_new(&caps, text, len, v, &r->doc);
	free(text);
	if (err)
		return err;
	r->snap_version = v;
	if ((err = st->ops->log_each(st->impl, r->rec.id, v, UINT64_MAX, false,
				     load_after, &x)))
		return err;
	if (collab_version(r->doc) != r->rec.version) {
		log_warn("room: '%s': the log ends at %llu, the room says %llu",
			 r->rec.id, (unsigned long long)collab_version(r->doc),
			 (unsigned long long)r->rec.version);
		r->rec.version = collab_version(r->doc);
	}
	err = st->ops->log_each(st->impl, r->rec.id, 0, v, true, load_before,
				&x);
	return err < 0 ? err : 0;
}

static void snapshot(struct room *r)
{
	const struct room_store *st = &r->reg->store;
	uint64_t v = collab_version(r->doc);
	uint64_t keep = v > r->reg->lim.log ? v - r->reg->lim.log : 0;
	size_t len;
	const char *text = collab_text(r->doc, &len);
	int err;

	if (v == r->snap_version)
		return;
	if ((err = st->ops->snapshot_put(st->impl, r->rec.id, v, text, len,
					 keep))) {
		log_warn("room: '%s': no snapshot at %llu: %s", r->rec.id,
			 (unsigned long long)v, strerror(-err));
		return;	/* the log still has everything */
	}
	r->snap_version = v;
}

void room_doc_unload(struct room *r)
{
	if (r->doc)
		snapshot(r);
}

const char *room_text(const struct room *r, size_t *len, uint64_t *version)
{
	size_t n;

	if (version)
		*version = collab_version(r->doc);
	return collab_text(r->doc, len ? len : &n);
}

void room_broadcast_presence(struct room *r, const struct room_member *who)
{
	for (struct room_member *o = r->members; o; o = o->next)
		if (o != who && o->ops->presence)
			o->ops->presence(o, who);
}

/* Every member's selection follows the updates from..now. */
static void map_presence(struct room *r, uint64_t from)
{
	for (struct room_member *o = r->members; o; o = o->next) {
		if (!o->has_sel)
			continue;
		if (collab_map_selection(r->doc, from, &o->anchor, &o->head))
			o->has_sel = false;
	}
}

/* Stores, commits and broadcasts a prepared push. */
static int accept_push(struct room_member *m, struct collab_pending *p)
{
	struct room *r = m->room;
	const struct room_store *st = &r->reg->store;
	struct room_log_entry *e = calloc(p->n, sizeof(*e));
	int err;

	if (!e) {
		collab_abort(r->doc, p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n; i++) {
		e[i].version = p->base + i;
		e[i].client_id = p->updates[i].client_id;
		e[i].member = m->id;
		e[i].changes = p->updates[i].json;
		e[i].changes_len = p->updates[i].json_len;
	}
	err = st->ops->log_append(st->impl, r->rec.id, p->base, e, p->n);
	free(e);
	if (err == -EINPROGRESS) {
		/* out for its place in the shared order: it comes back to
		 * every node, this one included, as room_apply_updates() */
		collab_abort(r->doc, p);
		return err;
	}
	if (err) {
		log_warn("room: '%s': cannot store %zu updates at %llu: %s",
			 r->rec.id, p->n, (unsigned long long)p->base,
			 strerror(-err));
		collab_abort(r->doc, p);
		return err == -ESTALE ? -EIO : err;
	}
	collab_commit(r->doc, p);
	r->rec.version = p->version;
	r->reg->pushes++;
	r->reg->updates += p->n;
	for (size_t i = 0; i < p->n; i++)
		client_note(r, p->updates[i].client_id, m->id, p->base + i + 1);
	map_presence(r, p->base);
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->updates)
			o->ops->updates(o, p->base, p->updates, p->n, m);
	if (p->version - r->snap_version >= r->reg->lim.snapshot_every)
		snapshot(r);
	return 0;
}

/* Refuses a push that carries a clientID another member's updates use,
 * or the upload clientID of another member ("upload:<id>", which
 * room_replace_text() uses): taken first, it would make that member's
 * uploads fail as "a clientID of another member". */
static int check_clients(struct room *r, const struct room_member *m,
			 const json_t *updates)
{
	static const char upload[] = "upload:";
	size_t i;
	json_t *u;

	json_array_foreach(updates, i, u) {
		const char *id = json_string_value(json_object_get(u, "clientID"));
		struct room_client *c = id ? client_find(r, id) : NULL;
		if (c && strcmp(c->member, m->id) != 0)
			return -EPERM;
		if (id && !strncmp(id, upload, sizeof(upload) - 1) &&
		    strcmp(id + sizeof(upload) - 1, m->id) != 0)
			return -EPERM;
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void push_timed(struct rooms *reg, uint64_t t0)
{
	uint64_t ns = now_ns() - t0, slot = ns / 10000;
	size_t n = sizeof(reg->push_hist) / sizeof(reg->push_hist[0]);

	reg->push_hist[slot < n ? slot : n - 1]++;
	if (ns > reg->push_max_ns)
		reg->push_max_ns = ns;
}

uint64_t rooms_push_quantile_us(const struct rooms *reg, double q)
{
	size_t n = sizeof(reg->push_hist) / sizeof(reg->push_hist[0]);
	uint64_t total = 0, seen = 0;

	for (size_t i = 0; i < n; i++)
		total += reg->push_hist[i];
	if (!total)
		return 0;
	for (size_t i = 0; i < n; i++) {
		seen += reg->push_hist[i];
		if ((double)seen >= q * (double)total)
			return i == n - 1 ? reg->push_max_ns / 1000 : (i + 1) * 10;
	}
	return reg->push_max_ns / 1000;
}

static int push_untimed(struct room_member *m, uint64_t version,
			const json_t *updates, size_t *accepted);

int room_push(struct room_member *m, uint64_t version, const json_t *updates,
	      size_t *accepted)
{
	uint64_t t0 = now_ns();
	int err = push_untimed(m, version, updates, accepted);

	if (m->room)
		push_timed(m->room->reg, t0);
	return err;
}

static struct room_push_wait *wait_new(struct room_member *m,
				       uint64_t version, const json_t *updates)
{
	struct room_push_wait *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->m = m;
	w->version = version;
	w->updates = json_incref((json_t *)updates);
	return w;
}

static void wait_free(struct room_push_wait *w)
{
	json_decref(w->updates);
	free(w);
}

static int push_now(struct room_member *m, uint64_t version,
		    const json_t *updates, size_t *accepted);

static int push_untimed(struct room_member *m, uint64_t version,
			const json_t *updates, size_t *accepted)
{
	struct room *r = m->room;
	struct room_push_wait *w, **pp;

	if (accepted)
		*accepted = 0;
	if (!r)
		return -ENOENT;
	if (!room_can_write(m))
		return -EACCES;
	if (!json_is_array(updates))
		return -EINVAL;
	if (!r->push_inflight && !r->push_queue &&
	    collab_version(r->doc) >= r->push_gate)
		return push_now(m, version, updates, accepted);
	/* cluster mode: one push in flight a room; this one waits its turn */
	if (!(w = wait_new(m, version, updates)))
		return -ENOMEM;
	for (pp = &r->push_queue; *pp; pp = &(*pp)->next)
		;
	*pp = w;
	return -EINPROGRESS;
}

/* The next waiting pushes, while nothing is in flight and this node has
 * caught up with the version they must build on. */
static void push_pump(struct room *r)
{
	while (!r->push_inflight && r->push_queue &&
	       collab_version(r->doc) >= r->push_gate) {
		struct room_push_wait *w = r->push_queue;
		int err;
		r->push_queue = w->next;
		w->next = NULL;
		if (!w->m || w->m->room != r) {
			wait_free(w);
			continue;
		}
		err = room_can_write(w->m) ? push_now(w->m, w->version,
						       w->updates, NULL)
					   : -EACCES;
		if (err == -EINPROGRESS) {
			if (r->push_inflight)
				r->push_inflight->m = w->m;
		} else if (w->m->ops->push_done) {
			/* refused, or all re-sends (answered as a pull) */
			w->m->ops->push_done(w->m, err, w->version);
		}
		wait_free(w);
	}
}

void room_push_stored(struct room *r, int err, uint64_t version)
{
	struct room_push_wait *w = r->push_inflight;

	if (!w)
		return;
	r->push_inflight = NULL;
	if (err == 0) {
		/* its updates come back through room_apply_updates() */
		r->push_gate = version;
		wait_free(w);
	} else if (err == -ESTALE && w->m) {
		/* another node took the version: again, rebased, once this
		 * node has what it took */
		log_debug("room: '%s': a push raced another node's; rebasing "
			  "it on version %llu", r->rec.id,
			  (unsigned long long)version);
		r->push_gate = version;
		w->next = r->push_queue;
		r->push_queue = w;
	} else {
		if (w->m && w->m->ops->push_done)
			w->m->ops->push_done(w->m, err == -ESTALE ? -EIO : err,
					     w->version);
		wait_free(w);
	}
	push_pump(r);
}

void room_push_forget(struct room *r, const struct room_member *m)
{
	if (r->push_inflight && r->push_inflight->m == m)
		r->push_inflight->m = NULL;
	for (struct room_push_wait **pp = &r->push_queue; *pp;) {
		struct room_push_wait *w = *pp;
		if (w->m == m) {
			*pp = w->next;
			wait_free(w);
		} else {
			pp = &w->next;
		}
	}
}

void room_push_release(struct room *r)
{
	if (r->push_inflight)
		wait_free(r->push_inflight);
	r->push_inflight = NULL;
	while (r->push_queue) {
		struct room_push_wait *w = r->push_queue;
		r->push_queue = w->next;
		wait_free(w);
	}
}

static int push_now(struct room_member *m, uint64_t version,
		    const json_t *updates, size_t *accepted)
{
	struct room *r = m->room;
	struct collab_pending p;
	int err;

	if ((err = check_clients(r, m, updates)))
		return err;
	memset(&p, 0, sizeof(p));
	if ((err = collab_prepare(r->doc, version, updates, &p))) {
		collab_pending_release(&p);
		return err;
	}
	if (p.n == 0) {		/* every one of them was a re-send */
		collab_commit(r->doc, &p);
		collab_pending_release(&p);
		return 0;
	}
	err = accept_push(m, &p);
	if (!err && accepted)
		*accepted = p.n;
	if (err == -EINPROGRESS) {	/* cluster mode: in flight */
		struct room_push_wait *w = wait_new(m, version, updates);
		if (!w) {
			collab_pending_release(&p);
			return -ENOMEM;
		}
		r->push_inflight = w;
	}
	collab_pending_release(&p);
	return err;
}

/* ---- cluster mode: updates another node (or this one) stored ---------- */

int room_apply_updates(struct room *r, uint64_t from, const char *member,
		       size_t n, const char *const *client_ids,
		       const char *const *changes, const size_t *lens)
{
	struct room_member *by = NULL;
	uint64_t v = collab_version(r->doc);
	size_t skip;
	int err = 0;

	if (from > v)
		return -EAGAIN;	/* a gap: the caller fetches it first */
	if (from + n <= v)
		return 0;	/* had them */
	skip = (size_t)(v - from);
	for (struct room_member *o = r->members; o; o = o->next)
		if (!o->proxy && strcmp(o->id, member) == 0)
			by = o;
	for (size_t i = skip; i < n; i++) {
		/* stored already (the shared store ordered it): only the
		 * document and the clientID's member here */
		err = collab_load_update(r->doc, from + i, client_ids[i],
					 changes[i], lens[i]);
		if (err) {
			log_warn("room: '%s': update %llu from the cluster does "
				 "not apply: %s", r->rec.id,
				 (unsigned long long)(from + i), strerror(-err));
			break;
		}
		client_note(r, client_ids[i], member, from + i + 1);
	}
	uint64_t now = collab_version(r->doc);
	if (now == v)
		return err;
	r->rec.version = now;
	r->reg->pushes++;	/* a new broadcast (ws_room caches by it) */
	r->reg->updates += now - v;
	map_presence(r, v);
	/* one updates() for them all: it answers the pusher's push once;
	 * the log is a ring, so they are copied side by side */
	struct collab_update *u = calloc((size_t)(now - v), sizeof(*u));
	if (!u)
		return -ENOMEM;
	for (uint64_t k = v; k < now; k++)
		u[k - v] = *collab_update_at(r->doc, k);
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->updates)
			o->ops->updates(o, v, u, (size_t)(now - v), by);
	free(u);
	if (now - r->snap_version >= r->reg->lim.snapshot_every)
		snapshot(r);
	push_pump(r);
	return err;
}

int room_pull(struct room_member *m, uint64_t version, json_t **out)
{
	if (!m->room)
		return -ENOENT;
	return collab_pull(m->room->doc, version, out);
}

int room_replace_text(struct room_member *m, const char *text, size_t len)
{
	struct room *r = m->room;
	json_t *changes = NULL, *updates = NULL;
	char client[ROOM_MEMBER_ID_LEN + 8];
	char *copy;
	const char *old;
	size_t olen;
	uint64_t v;
	int err;

	if (!r)
		return -ENOENT;
	if (!room_can_write(m))
		return -EACCES;
	if (len > r->reg->lim.doc_bytes)
		return -E2BIG;
	if (!(copy = malloc(len + 1)))
		return -ENOMEM;
	memcpy(copy, text, len);
	len = room_text_lf(copy, len);
	old = room_text(r, &olen, &v);
	if ((err = textdiff_changes(old, olen, copy, len, &changes)))
		goto out;
	snprintf(client, sizeof(client), "upload:%s", m->id);
	updates = json_pack("[{s:s, s:O}]", "clientID", client, "changes",
			    changes);
	if (!updates) {
		err = -ENOMEM;
		goto out;
	}
	err = room_push(m, v, updates, NULL);
out:
	json_decref(updates);
	json_decref(changes);
	free(copy);
	return err;
}

int room_presence(struct room_member *m, bool has, uint64_t version,
		  size_t anchor, size_t head)
{
	struct room *r = m->room;
	int err;

	if (!r)
		return -ENOENT;
	if (has) {
		if ((err = collab_map_selection(r->doc, version, &anchor, &head)))
			return err;
		m->anchor = anchor;
		m->head = head;
	} else if (!m->has_sel) {
		return 0;
	}
	m->has_sel = has;
	room_broadcast_presence(r, m);
	if (!m->proxy && r->reg->bus)	/* the other nodes' members too */
		r->reg->bus->presence(r->reg->bus_data, r, m);
	return 0;
}
