/*
 * room_doc.c - a room's files as documents: loading them, pushes, pulls,
 * uploads, presence, snapshots.
 *
 * Each file is its own collab.h authority with its own version and log. A push is prepared (validated, rebased,
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

int room_text_copy(const char *text, size_t *len, char **out)
{
	char *copy;
	size_t n;
	int err;

	*out = NULL;
	if (!*len)
		return 0;
	if (!(copy = malloc(*len)))
		return -ENOMEM;
	memcpy(copy, text, *len);
	n = room_text_lf(copy, *len);
	if ((err = room_text_check(copy, n))) {
		free(copy);
		return err;
	}
	*len = n;
	*out = copy;
	return 0;
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

/* The store's per-file operations; file 0 only on a back end that keeps
 * one file a room. */
static int snap_get(struct room *r, uint32_t file, uint64_t *v, char **text,
		    size_t *len)
{
	const struct room_store *st = &r->reg->store;

	if (st->ops->file_snapshot_get)
		return st->ops->file_snapshot_get(st->impl, r->rec.id, file, v,
						  text, len);
	return file ? -EOPNOTSUPP :
	       st->ops->snapshot_get(st->impl, r->rec.id, v, text, len);
}

static int snap_put(struct room *r, uint32_t file, uint64_t v,
		    const char *text, size_t len, uint64_t keep)
{
	const struct room_store *st = &r->reg->store;

	if (st->ops->file_snapshot_put)
		return st->ops->file_snapshot_put(st->impl, r->rec.id, file, v,
						  text, len, keep);
	return file ? -EOPNOTSUPP :
	       st->ops->snapshot_put(st->impl, r->rec.id, v, text, len, keep);
}

static int log_append(struct room *r, uint32_t file, uint64_t base,
		      const struct room_log_entry *e, size_t n)
{
	const struct room_store *st = &r->reg->store;

	if (st->ops->file_log_append)
		return st->ops->file_log_append(st->impl, r->rec.id, file, base,
						e, n);
	return file ? -EOPNOTSUPP :
	       st->ops->log_append(st->impl, r->rec.id, base, e, n);
}

static int log_each(struct room *r, uint32_t file, uint64_t from, uint64_t to,
		    bool desc, room_log_fn fn, void *arg)
{
	const struct room_store *st = &r->reg->store;

	if (st->ops->file_log_each)
		return st->ops->file_log_each(st->impl, r->rec.id, file, from,
					      to, desc, fn, arg);
	return file ? -EOPNOTSUPP :
	       st->ops->log_each(st->impl, r->rec.id, from, to, desc, fn, arg);
}

bool room_files_supported(const struct room *r)
{
	const struct room_store_ops *ops = r->reg->store.ops;

	return ops->files_each && ops->file_add && ops->file_rename &&
	       ops->file_delete && ops->file_snapshot_get &&
	       ops->file_snapshot_put && ops->file_log_append &&
	       ops->file_log_each;
}

/* clientID -> member, for the updates of the log window */
static struct room_client *client_find(struct room_file *f, const char *id)
{
	for (size_t i = 0; i < f->nclients; i++)
		if (strcmp(f->clients[i].id, id) == 0)
			return &f->clients[i];
	return NULL;
}

static int client_note(struct room_file *r, const char *id, const char *member,
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
	struct room_file *f;
};

static int load_after(void *arg, const struct room_log_entry *e)
{
	struct load_ctx *x = arg;
	int err = collab_load_update(x->f->doc, e->version, e->client_id,
				     e->changes, e->changes_len);

	if (err) {
		log_warn("room: '%s': file %u: stored update %llu does not "
			 "apply: %s", x->r->rec.id, (unsigned)x->f->id,
			 (unsigned long long)e->version, strerror(-err));
		return err;
	}
	client_note(x->f, e->client_id, e->member, e->version + 1);
	return 0;
}

static int load_before(void *arg, const struct room_log_entry *e)
{
	struct load_ctx *x = arg;
	int err;

	if (e->version + 1 != collab_oldest(x->f->doc))
		return 1;	/* a gap: stop */
	err = collab_load_history(x->f->doc, e->version, e->client_id,
				  e->changes, e->changes_len);
	if (err)
		return 1;	/* the window is full */
	client_note(x->f, e->client_id, e->member, e->version + 1);
	return 0;
}

void room_file_free(struct room_file *f)
{
	if (!f)
		return;
	collab_free(f->doc);
	free(f->clients);
	free(f->name);
	free(f);
}

int room_file_open(struct room *r, uint32_t id, const char *name,
		   uint64_t version, struct room_file **out)
{
	struct collab_caps caps;
	struct room_file *f = calloc(1, sizeof(*f));
	struct load_ctx x = { r, f };
	uint64_t v;
	char *text = NULL;
	size_t len = 0;
	int err;

	if (!f)
		return -ENOMEM;
	f->id = id;
	if (name && !(f->name = strdup(name))) {
		err = -ENOMEM;
		goto out_free;
	}
	caps_of(&r->reg->lim, &caps);
	if ((err = snap_get(r, id, &v, &text, &len)))
		goto out_free;
	/* a snapshot may be bigger than today's cap (the flag was lowered):
	 * load it anyway, edits that grow it are refused */
	if (len > caps.max_doc_bytes)
		caps.max_doc_bytes = len;
	err = collab_new(&caps, text, len, v, &f->doc);
	free(text);
	if (err)
		goto out_free;
	f->snap_version = v;
	if ((err = log_each(r, id, v, UINT64_MAX, false, load_after, &x)))
		goto out_free;
	if (collab_version(f->doc) != version)
		log_warn("room: '%s': file %u: the log ends at %llu, the room "
			 "says %llu", r->rec.id, (unsigned)id,
			 (unsigned long long)collab_version(f->doc),
			 (unsigned long long)version);
	err = log_each(r, id, 0, v, true, load_before, &x);
	if (err < 0)
		goto out_free;
	*out = f;
	return 0;

out_free:
	room_file_free(f);
	return err;
}

struct list_ctx {
	struct room *r;
	int err;
};

static int load_listed(void *arg, const struct room_file_record *rec)
{
	struct list_ctx *x = arg;
	struct room *r = x->r;

	if (r->nfiles == ROOM_FILES_MAX) {
		log_warn("room: '%s': more than %d files stored; file %u and "
			 "later are not loaded", r->rec.id, ROOM_FILES_MAX,
			 (unsigned)rec->id);
		return 1;
	}
	x->err = room_file_open(r, rec->id, rec->name, rec->version,
				&r->files[r->nfiles]);
	if (x->err)
		return x->err;
	r->nfiles++;
	return 0;
}

int room_doc_load(struct room *r)
{
	const struct room_store *st = &r->reg->store;
	struct list_ctx x = { r, 0 };
	int err;

	if (!room_files_supported(r)) {
		if ((err = room_file_open(r, 0, NULL, r->rec.version,
					  &r->files[0])))
			return err;
		r->nfiles = 1;
		r->rec.entry = 0;
		return 0;
	}
	err = st->ops->files_each(st->impl, r->rec.id, load_listed, &x);
	if (err < 0)
		return err;
	if (!room_file_find(r, 0)) {
		log_warn("room: '%s': no file 0 stored", r->rec.id);
		return -EIO;
	}
	if (!room_file_find(r, r->rec.entry))
		r->rec.entry = 0;
	r->rec.version = collab_version(room_file_find(r, 0)->doc);
	return 0;
}

static void snapshot(struct room *r, struct room_file *f)
{
	uint64_t v = collab_version(f->doc);
	uint64_t keep = v > r->reg->lim.log ? v - r->reg->lim.log : 0;
	size_t len;
	const char *text = collab_text(f->doc, &len);
	int err;

	if (v == f->snap_version)
		return;
	if ((err = snap_put(r, f->id, v, text, len, keep))) {
		log_warn("room: '%s': file %u: no snapshot at %llu: %s",
			 r->rec.id, (unsigned)f->id, (unsigned long long)v,
			 strerror(-err));
		return;	/* the log still has everything */
	}
	f->snap_version = v;
}

void room_doc_unload(struct room *r)
{
	for (size_t i = 0; i < r->nfiles; i++)
		if (r->files[i]->doc)
			snapshot(r, r->files[i]);
}

void room_doc_free(struct room *r)
{
	for (size_t i = 0; i < r->nfiles; i++)
		room_file_free(r->files[i]);
	r->nfiles = 0;
}

struct room_file *room_file_find(const struct room *r, uint32_t id)
{
	for (size_t i = 0; i < r->nfiles; i++)
		if (r->files[i]->id == id)
			return r->files[i];
	return NULL;
}

const char *room_file_label(const struct room *r, const struct room_file *f)
{
	return f->name ? f->name : room_file_name(r);
}

const char *room_file_text(const struct room_file *f, size_t *len,
			   uint64_t *version)
{
	size_t n;

	if (version)
		*version = collab_version(f->doc);
	return collab_text(f->doc, len ? len : &n);
}

const char *room_text(const struct room *r, size_t *len, uint64_t *version)
{
	return room_file_text(room_file_find(r, 0), len, version);
}

void room_broadcast_presence(struct room *r, const struct room_member *who)
{
	for (struct room_member *o = r->members; o; o = o->next)
		if (o != who && o->ops->presence)
			o->ops->presence(o, who);
}

/* Every member's selection in f follows the updates from..now. */
static void map_presence(struct room *r, struct room_file *f, uint64_t from)
{
	for (struct room_member *o = r->members; o; o = o->next) {
		if (!o->has_sel || o->sel_file != f->id)
			continue;
		if (collab_map_selection(f->doc, from, &o->anchor, &o->head))
			o->has_sel = false;
	}
}

/* Stores, commits and broadcasts a prepared push. */
static int accept_push(struct room_member *m, struct room_file *f,
		       struct collab_pending *p)
{
	struct room *r = m->room;
	struct room_log_entry *e = calloc(p->n, sizeof(*e));
	int err;

	if (!e) {
		collab_abort(f->doc, p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n; i++) {
		e[i].version = p->base + i;
		e[i].client_id = p->updates[i].client_id;
		e[i].member = m->id;
		e[i].changes = p->updates[i].json;
		e[i].changes_len = p->updates[i].json_len;
	}
	err = log_append(r, f->id, p->base, e, p->n);
	free(e);
	if (err == -EINPROGRESS) {
		/* out for its place in the shared order: it comes back to
		 * every node, this one included, as room_apply_updates() */
		collab_abort(f->doc, p);
		return err;
	}
	if (err) {
		log_warn("room: '%s': file %u: cannot store %zu updates at "
			 "%llu: %s", r->rec.id, (unsigned)f->id, p->n,
			 (unsigned long long)p->base, strerror(-err));
		collab_abort(f->doc, p);
		return err == -ESTALE ? -EIO : err;
	}
	collab_commit(f->doc, p);
	if (f->id == 0)
		r->rec.version = p->version;
	r->reg->pushes++;
	r->reg->updates += p->n;
	for (size_t i = 0; i < p->n; i++)
		client_note(f, p->updates[i].client_id, m->id, p->base + i + 1);
	map_presence(r, f, p->base);
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->updates)
			o->ops->updates(o, f->id, p->base, p->updates, p->n, m);
	if (p->version - f->snap_version >= r->reg->lim.snapshot_every)
		snapshot(r, f);
	return 0;
}

/* Refuses a push that carries a clientID another member's updates use,
 * or the upload clientID of another member ("upload:<id>", which
 * room_replace_text() uses): taken first, it would make that member's
 * uploads fail as "a clientID of another member". */
static int check_clients(struct room_file *r, const struct room_member *m,
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

static int push_untimed(struct room_member *m, uint32_t file,
			uint64_t version, const json_t *updates,
			size_t *accepted);

int room_push_file(struct room_member *m, uint32_t file, uint64_t version,
		   const json_t *updates, size_t *accepted)
{
	uint64_t t0 = now_ns();
	int err = push_untimed(m, file, version, updates, accepted);

	if (m->room)
		push_timed(m->room->reg, t0);
	return err;
}

int room_push(struct room_member *m, uint64_t version, const json_t *updates,
	      size_t *accepted)
{
	return room_push_file(m, 0, version, updates, accepted);
}

static struct room_push_wait *wait_new(struct room_member *m, uint32_t file,
				       uint64_t version, const json_t *updates)
{
	struct room_push_wait *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->m = m;
	w->file = file;
	w->version = version;
	w->updates = json_incref((json_t *)updates);
	return w;
}

static void wait_free(struct room_push_wait *w)
{
	json_decref(w->updates);
	free(w);
}

/* File 0's version: what the cluster's pushes are gated on (a room of a
 * store shared by several nodes has file 0 only, room_files_supported()). */
static uint64_t gate_version(const struct room *r)
{
	return collab_version(room_file_find(r, 0)->doc);
}

static int push_now(struct room_member *m, uint32_t file, uint64_t version,
		    const json_t *updates, size_t *accepted);

static int push_untimed(struct room_member *m, uint32_t file,
			uint64_t version, const json_t *updates,
			size_t *accepted)
{
	struct room *r = m->room;
	struct room_push_wait *w, **pp;

	if (accepted)
		*accepted = 0;
	if (!r || !room_file_find(r, file))
		return -ENOENT;
	if (!room_can_write(m))
		return -EACCES;
	if (!json_is_array(updates))
		return -EINVAL;
	if (!r->push_inflight && !r->push_queue &&
	    gate_version(r) >= r->push_gate)
		return push_now(m, file, version, updates, accepted);
	/* cluster mode: one push in flight a room; this one waits its turn */
	if (!(w = wait_new(m, file, version, updates)))
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
	       gate_version(r) >= r->push_gate) {
		struct room_push_wait *w = r->push_queue;
		int err;
		r->push_queue = w->next;
		w->next = NULL;
		if (!w->m || w->m->room != r) {
			wait_free(w);
			continue;
		}
		err = room_can_write(w->m) ? push_now(w->m, w->file, w->version,
						       w->updates, NULL)
					   : -EACCES;
		if (err == -EINPROGRESS) {
			if (r->push_inflight)
				r->push_inflight->m = w->m;
		} else if (w->m->ops->push_done) {
			/* refused, or all re-sends (answered as a pull) */
			w->m->ops->push_done(w->m, err, w->file, w->version);
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
					     w->file, w->version);
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

static int push_now(struct room_member *m, uint32_t file, uint64_t version,
		    const json_t *updates, size_t *accepted)
{
	struct room *r = m->room;
	struct room_file *f = room_file_find(r, file);
	struct collab_pending p;
	int err;

	if (!f)
		return -ENOENT;	/* deleted while the push waited */
	if ((err = check_clients(f, m, updates)))
		return err;
	memset(&p, 0, sizeof(p));
	if ((err = collab_prepare(f->doc, version, updates, &p))) {
		collab_pending_release(&p);
		return err;
	}
	if (p.n == 0) {		/* every one of them was a re-send */
		collab_commit(f->doc, &p);
		collab_pending_release(&p);
		return 0;
	}
	err = accept_push(m, f, &p);
	if (!err && accepted)
		*accepted = p.n;
	if (err == -EINPROGRESS) {	/* cluster mode: in flight */
		struct room_push_wait *w = wait_new(m, file, version, updates);
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
	struct room_file *f = room_file_find(r, 0);
	struct room_member *by = NULL;
	uint64_t v = collab_version(f->doc);
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
		err = collab_load_update(f->doc, from + i, client_ids[i],
					 changes[i], lens[i]);
		if (err) {
			log_warn("room: '%s': update %llu from the cluster does "
				 "not apply: %s", r->rec.id,
				 (unsigned long long)(from + i), strerror(-err));
			break;
		}
		client_note(f, client_ids[i], member, from + i + 1);
	}
	uint64_t now = collab_version(f->doc);
	if (now == v)
		return err;
	r->rec.version = now;
	r->reg->pushes++;	/* a new broadcast (ws_room caches by it) */
	r->reg->updates += now - v;
	map_presence(r, f, v);
	/* one updates() for them all: it answers the pusher's push once;
	 * the log is a ring, so they are copied side by side */
	struct collab_update *u = calloc((size_t)(now - v), sizeof(*u));
	if (!u)
		return -ENOMEM;
	for (uint64_t k = v; k < now; k++)
		u[k - v] = *collab_update_at(f->doc, k);
	for (struct room_member *o = r->members; o; o = o->next)
		if (o->ops->updates)
			o->ops->updates(o, f->id, v, u, (size_t)(now - v), by);
	free(u);
	if (now - f->snap_version >= r->reg->lim.snapshot_every)
		snapshot(r, f);
	push_pump(r);
	return err;
}

int room_pull(struct room_member *m, uint32_t file, uint64_t version,
	      json_t **out)
{
	struct room_file *f;

	if (!m->room || !(f = room_file_find(m->room, file)))
		return -ENOENT;
	return collab_pull(f->doc, version, out);
}

int room_replace_text(struct room_member *m, uint32_t file, const char *text,
		      size_t len)
{
	struct room *r = m->room;
	struct room_file *f;
	json_t *changes = NULL, *updates = NULL;
	char client[ROOM_MEMBER_ID_LEN + 8];
	char *copy;
	const char *old;
	size_t olen;
	uint64_t v;
	int err;

	if (!r || !(f = room_file_find(r, file)))
		return -ENOENT;
	if (!room_can_write(m))
		return -EACCES;
	if (len > r->reg->lim.doc_bytes)
		return -E2BIG;
	if (!(copy = malloc(len + 1)))
		return -ENOMEM;
	memcpy(copy, text, len);
	len = room_text_lf(copy, len);
	old = room_file_text(f, &olen, &v);
	if ((err = textdiff_changes(old, olen, copy, len, &changes)))
		goto out;
	snprintf(client, sizeof(client), "upload:%s", m->id);
	updates = json_pack("[{s:s, s:O}]", "clientID", client, "changes",
			    changes);
	if (!updates) {
		err = -ENOMEM;
		goto out;
	}
	err = room_push_file(m, file, v, updates, NULL);
out:
	json_decref(updates);
	json_decref(changes);
	free(copy);
	return err;
}

int room_presence(struct room_member *m, uint32_t file, bool has,
		  uint64_t version, size_t anchor, size_t head)
{
	struct room *r = m->room;
	struct room_file *f;
	int err;

	if (!r)
		return -ENOENT;
	if (has) {
		if (!(f = room_file_find(r, file)))
			return -ENOENT;
		if ((err = collab_map_selection(f->doc, version, &anchor, &head)))
			return err;
		m->sel_file = file;
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
