/*
 * room_store.c - the room layer's store (room/room_store.h) in cluster
 * mode: reads from what the gateway fetched (cluster/room_cache.h),
 * writes to Redis, where every gateway finds them.
 *
 * Durability: Redis is the rooms' durable store in cluster mode, run with
 * appendonly yes and appendfsync always (docs/operations.md): Redis then
 * answers a write only once it is on disk, so a Redis restart or crash
 * loses no edit a client has seen confirmed. Why not each gateway's
 * SQLite: a room outlives any one gateway, every gateway must read it
 * whole, and its order must be one; a copy per gateway would need a
 * replication of its own.
 *
 * What waits for Redis and what does not:
 *  - edits (log_append) and chat lines (chat_append) answer -EINPROGRESS:
 *    their place in the room's order is Redis's, and they come back to
 *    every gateway, this one included, through the room's channel
 *    (cluster/room_bus.c); a refused edit comes back as
 *    room_push_stored();
 *  - a room's creation, a member's record, the settings and a snapshot
 *    are written at once here and sent to Redis right after: their
 *    writer is one (a new room's creator, a member's own join, the host);
 *    if Redis refuses, it is logged, and the gateways converge on what
 *    Redis holds (the settings event carries it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster.h"
#include "cluster/room_cache.h"
#include "cluster/room_wire.h"
#include "cluster/scripts.h"
#include "lib/log.h"

/* ---- the cache ------------------------------------------------------------ */

struct croom *croom_find(struct room_cluster *rc, const char *id)
{
	for (struct croom *cr = rc->rooms; cr; cr = cr->next)
		if (!strcmp(cr->id, id))
			return cr;
	return NULL;
}

struct croom *croom_get(struct room_cluster *rc, const char *id)
{
	struct croom *cr = croom_find(rc, id);

	if (cr || !(cr = calloc(1, sizeof(*cr))))
		return cr;
	snprintf(cr->id, sizeof(cr->id), "%s", id);
	snprintf(cr->channel, sizeof(cr->channel), KEY_PREFIX "room:%s", id);
	cr->next = rc->rooms;
	rc->rooms = cr;
	return cr;
}

void croom_clear(struct croom *cr)
{
	free(cr->snap_text);
	cr->snap_text = NULL;
	cr->snap_len = 0;
	for (size_t i = 0; i < cr->nlog; i++) {
		free(cr->log[i].client_id);
		free(cr->log[i].member);
		free(cr->log[i].changes);
	}
	free(cr->log);
	cr->log = NULL;
	cr->nlog = 0;
	for (size_t i = 0; i < cr->nchat; i++) {
		free(cr->chat[i].name);
		free(cr->chat[i].text);
	}
	free(cr->chat);
	cr->chat = NULL;
	cr->nchat = 0;
	free(cr->mem);
	cr->mem = NULL;
	cr->nmem = 0;
	free(cr->on);
	cr->on = NULL;
	cr->non = 0;
	cr->fetched = false;
}

void croom_free(struct room_cluster *rc, struct croom *cr)
{
	for (struct croom **pp = &rc->rooms; *pp; pp = &(*pp)->next) {
		if (*pp == cr) {
			*pp = cr->next;
			break;
		}
	}
	croom_clear(cr);
	free(cr);
}

static bool zero_hash(const unsigned char *h)
{
	for (int i = 0; i < ROOM_HASH_LEN; i++)
		if (h[i])
			return false;
	return true;
}

const struct room_member_record *croom_member(const struct croom *cr,
					      const char *id)
{
	for (size_t i = 0; i < cr->nmem; i++)
		if (!strcmp(cr->mem[i].id, id))
			return &cr->mem[i];
	return NULL;
}

int croom_put_member(struct croom *cr, const struct room_member_record *m)
{
	struct room_member_record *t = (struct room_member_record *)
					croom_member(cr, m->id);

	if (!t) {
		struct room_member_record *v = realloc(cr->mem, (cr->nmem + 1) *
						       sizeof(*v));
		if (!v)
			return -ENOMEM;
		cr->mem = v;
		t = &v[cr->nmem++];
		memset(t, 0, sizeof(*t));
	}
	unsigned char keep[ROOM_HASH_LEN];
	memcpy(keep, t->token_hash, sizeof(keep));
	*t = *m;
	if (zero_hash(t->token_hash))	/* the sender did not know it */
		memcpy(t->token_hash, keep, sizeof(keep));
	return 0;
}

int croom_put_chat(struct croom *cr, const struct room_chat_record *c,
		   size_t keep)
{
	struct cached_chat *v, *l;

	if (cr->nchat && c->id <= cr->chat[cr->nchat - 1].id)
		return 0;
	if (cr->nchat >= keep && keep) {
		free(cr->chat[0].name);
		free(cr->chat[0].text);
		memmove(cr->chat, cr->chat + 1, (cr->nchat - 1) * sizeof(*cr->chat));
		cr->nchat--;
	}
	if (!(v = realloc(cr->chat, (cr->nchat + 1) * sizeof(*v))))
		return -ENOMEM;
	cr->chat = v;
	l = &v[cr->nchat];
	memset(l, 0, sizeof(*l));
	l->id = c->id;
	memcpy(l->member, c->member, sizeof(l->member));
	l->name = strdup(c->name ? c->name : "");
	l->text = malloc(c->text_len + 1);
	if (!l->name || !l->text) {
		free(l->name);
		free(l->text);
		return -ENOMEM;
	}
	if (c->text_len)
		memcpy(l->text, c->text, c->text_len);
	l->text[c->text_len] = '\0';
	l->text_len = c->text_len;
	l->ts = c->ts;
	cr->nchat++;
	return 0;
}

int croom_put_log(struct croom *cr, const struct room_log_entry *e)
{
	struct cached_log *v, *l;

	for (size_t i = 0; i < cr->nlog; i++)
		if (cr->log[i].version == e->version)
			return 0;
	if (!(v = realloc(cr->log, (cr->nlog + 1) * sizeof(*v))))
		return -ENOMEM;
	cr->log = v;
	l = &v[cr->nlog];
	memset(l, 0, sizeof(*l));
	l->version = e->version;
	l->client_id = strdup(e->client_id);
	l->member = strdup(e->member);
	l->changes = malloc(e->changes_len + 1);
	if (!l->client_id || !l->member || !l->changes) {
		free(l->client_id);
		free(l->member);
		free(l->changes);
		return -ENOMEM;
	}
	memcpy(l->changes, e->changes, e->changes_len);
	l->changes[e->changes_len] = '\0';
	l->len = e->changes_len;
	cr->nlog++;
	return 0;
}

/* ---- the store's operations ---------------------------------------------- */

static struct croom *ready(struct room_cluster *rc, const char *id)
{
	struct croom *cr = croom_find(rc, id);

	return cr && cr->fetched ? cr : NULL;
}

static void on_written(struct redis_link *l, redisReply *r, void *data)
{
	const char *what = data;

	(void)l;
	if (!r)
		log_warn("room: could not store %s in Redis: the link went",
			 what);
	else if (r->type == REDIS_REPLY_ERROR)
		log_warn("room: Redis refused %s: %.200s", what, r->str);
}

static void now_str(char *out, size_t len)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, len, "%lld", (long long)ts.tv_sec * 1000 +
		 ts.tv_nsec / 1000000);
}

static int st_create(void *impl, const struct room_record *r,
		     const char *text, size_t len)
{
	struct room_cluster *rc = impl;
	struct croom *cr = croom_get(rc, r->id);
	char now[24];

	if (!cr)
		return -ENOMEM;
	if (cr->fetched || cr->room)
		return -EEXIST;
	if (!redis_link_up(&rc->c->cmd))
		return -EIO;
	croom_clear(cr);
	cr->rec = *r;
	if (len && !(cr->snap_text = malloc(len + 1)))
		return -ENOMEM;
	if (len) {
		memcpy(cr->snap_text, text, len);
		cr->snap_text[len] = '\0';
	}
	cr->snap_len = len;
	cr->snap_version = 0;
	cr->fetched = true;
	cr->fetched_ms = redis_now_ms();
	now_str(now, sizeof(now));
	const char *argv[] = { "EVAL", SCRIPT_ROOM_CREATE, "0", r->id,
			       r->language, r->open_edit ? "1" : "0", now,
			       text ? text : "" };
	size_t lens[] = { 4, strlen(SCRIPT_ROOM_CREATE), 1, strlen(r->id),
			  strlen(r->language), 1, strlen(now), len };
	static char what[] = "a new room";
	redis_link_cmd(&rc->c->cmd, on_written, what, 0, 8, argv, lens);
	rc->stored++;
	return 0;
}

static int st_get(void *impl, const char *id, struct room_record *out)
{
	struct room_cluster *rc = impl;
	struct croom *cr = ready(rc, id);

	if (cr) {
		*out = cr->rec;
		return 0;
	}
	/* not here: fetched now in the background, so the next ask (a
	 * join, a retry of an HTTP read) finds it */
	if (rc->reg && rc->reg->bus)
		rc->reg->bus->fetch(rc->reg->bus_data, id);
	return -EAGAIN;
}

static int st_count(void *impl, uint64_t *n)
{
	*n = ((struct room_cluster *)impl)->stored;
	return 0;
}

static int st_settings_put(void *impl, const struct room_record *r)
{
	struct room_cluster *rc = impl;
	struct croom *cr = croom_find(rc, r->id);
	bool claim = cr && !cr->rec.host[0] && r->host[0];
	char now[24];

	if (!redis_link_up(&rc->c->cmd))
		return -EIO;
	if (cr) {
		cr->rec = *r;
		cr->writes++;
	}
	now_str(now, sizeof(now));
	const char *argv[] = { "EVAL", SCRIPT_ROOM_SETTINGS, "0", r->id,
			       r->language, r->open_edit ? "1" : "0", r->host,
			       claim ? "1" : "0", now, NULL };
	static char what[] = "a room's settings";
	redis_link_cmdv(&rc->c->cmd, on_written, what, 0, argv);
	return 0;
}

static int st_snapshot_get(void *impl, const char *id, uint64_t *version,
			   char **text, size_t *len)
{
	struct croom *cr = ready(impl, id);

	if (!cr)
		return -ENOENT;
	if (!(*text = malloc(cr->snap_len + 1)))
		return -ENOMEM;
	if (cr->snap_len)
		memcpy(*text, cr->snap_text, cr->snap_len);
	(*text)[cr->snap_len] = '\0';
	*len = cr->snap_len;
	*version = cr->snap_version;
	return 0;
}

static int st_snapshot_put(void *impl, const char *id, uint64_t version,
			   const char *text, size_t len, uint64_t keep_from)
{
	struct room_cluster *rc = impl;
	char v[24], keep[24];

	if (!redis_link_up(&rc->c->cmd))
		return -EIO;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)version);
	snprintf(keep, sizeof(keep), "%llu", (unsigned long long)keep_from);
	const char *argv[] = { "EVAL", SCRIPT_ROOM_SNAPSHOT, "0", id, v, text,
			       keep };
	size_t lens[] = { 4, strlen(SCRIPT_ROOM_SNAPSHOT), 1, strlen(id),
			  strlen(v), len, strlen(keep) };
	static char what[] = "a room's snapshot";
	redis_link_cmd(&rc->c->cmd, on_written, what, 0, 7, argv, lens);
	return 0;
}

/* The answer to a compare-and-append: to the room, if still open here. */
struct appended {
	struct room_cluster *rc;
	char id[ROOM_ID_LEN + 1];
};

static void on_appended(struct redis_link *l, redisReply *r, void *data)
{
	struct appended *a = data;
	struct croom *cr = croom_find(a->rc, a->id);
	struct room *room = cr ? cr->room : NULL;

	(void)l;
	if (room) {
		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_INTEGER ||
		    r->element[1]->type != REDIS_REPLY_INTEGER) {
			if (r && r->type == REDIS_REPLY_ERROR)
				log_warn("room: '%s': Redis refused an edit: "
					 "%.200s", a->id, r->str);
			room_push_stored(room, -EIO, 0);
		} else if (r->element[0]->integer == 1) {
			room_push_stored(room, 0,
					 (uint64_t)r->element[1]->integer);
		} else if (r->element[0]->integer == 0) {
			room_push_stored(room, -ESTALE,
					 (uint64_t)r->element[1]->integer);
		} else {
			room_push_stored(room, -ENOENT, 0);
		}
	}
	free(a);
}

static int st_log_append(void *impl, const char *id, uint64_t base,
			 const struct room_log_entry *e, size_t n)
{
	struct room_cluster *rc = impl;
	struct appended *a;
	struct buf ev, *ents = NULL;
	const char **argv = NULL;
	size_t *lens = NULL;
	char b[24], now[24];
	int err = -ENOMEM;

	if (!redis_link_up(&rc->c->cmd))
		return -EIO;
	if (n > ROOM_PUSH_MAX || !n)
		return -EINVAL;
	buf_init(&ev, (size_t)RW_CHANGES_MAX * 2);
	if (!(a = calloc(1, sizeof(*a))) ||
	    !(ents = calloc(n, sizeof(*ents))) ||
	    !(argv = calloc(7 + n, sizeof(*argv))) ||
	    !(lens = calloc(7 + n, sizeof(*lens))))
		goto out;
	if ((err = rw_updates_encode(&ev, base, e[0].member, e, n)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		buf_init(&ents[i], (size_t)RW_CHANGES_MAX + 1024);
		if ((err = rw_log_encode(&ents[i], &e[i])))
			goto out;
	}
	snprintf(b, sizeof(b), "%llu", (unsigned long long)base);
	now_str(now, sizeof(now));
	argv[0] = "EVAL";
	argv[1] = SCRIPT_ROOM_APPEND;
	argv[2] = "0";
	argv[3] = id;
	argv[4] = b;
	argv[5] = now;
	argv[6] = ev.data;
	for (int i = 0; i < 7; i++)
		lens[i] = strlen(argv[i]);
	lens[6] = ev.len;
	for (size_t i = 0; i < n; i++) {
		argv[7 + i] = ents[i].data;
		lens[7 + i] = ents[i].len;
	}
	a->rc = rc;
	snprintf(a->id, sizeof(a->id), "%s", id);
	err = redis_link_cmd(&rc->c->cmd, on_appended, a, 0, (int)(7 + n), argv,
			     lens);
	if (err == 0) {
		a = NULL;
		err = -EINPROGRESS;
	} else {
		err = -EIO;
	}
out:
	free(a);
	buf_release(&ev);
	for (size_t i = 0; ents && i < n; i++)
		buf_release(&ents[i]);
	free(ents);
	free(argv);
	free(lens);
	return err;
}

static int st_log_each(void *impl, const char *id, uint64_t from, uint64_t to,
		       bool desc, room_log_fn fn, void *arg)
{
	struct croom *cr = ready(impl, id);

	if (!cr)
		return -ENOENT;
	/* the cache holds history newest first, then the log in order:
	 * walk by version */
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < cr->nlog; i++) {
		if (cr->log[i].version < lo)
			lo = cr->log[i].version;
		if (cr->log[i].version > hi)
			hi = cr->log[i].version;
	}
	if (!cr->nlog)
		return 0;
	if (from < lo)
		from = lo;
	if (to > hi + 1)
		to = hi + 1;
	for (uint64_t k = 0; from + k < to; k++) {
		uint64_t v = desc ? to - 1 - k : from + k;
		for (size_t i = 0; i < cr->nlog; i++) {
			const struct cached_log *l = &cr->log[i];
			if (l->version != v)
				continue;
			struct room_log_entry e = {
				.version = l->version, .client_id = l->client_id,
				.member = l->member, .changes = l->changes,
				.changes_len = l->len,
			};
			int r = fn(arg, &e);
			if (r)
				return r;
			break;
		}
	}
	return 0;
}

static int st_chat_append(void *impl, const char *id,
			  struct room_chat_record *line, size_t keep)
{
	struct room_cluster *rc = impl;
	struct buf rest;
	char k[24];
	int err;

	if (!redis_link_up(&rc->c->cmd))
		return -EIO;
	buf_init(&rest, RW_TEXT_MAX + 1024);
	if ((err = rw_chat_encode_rest(&rest, line))) {
		buf_release(&rest);
		return err;
	}
	snprintf(k, sizeof(k), "%zu", keep);
	const char *argv[] = { "EVAL", SCRIPT_ROOM_CHAT, "0", id, "C", rest.data,
			       k };
	size_t lens[] = { 4, strlen(SCRIPT_ROOM_CHAT), 1, strlen(id), 1,
			  rest.len, strlen(k) };
	static char what[] = "a chat line";
	err = redis_link_cmd(&rc->c->cmd, on_written, what, 0, 7, argv, lens);
	buf_release(&rest);
	return err ? -EIO : -EINPROGRESS;
}

static int st_chat_recent(void *impl, const char *id, size_t n,
			  room_chat_fn fn, void *arg)
{
	struct croom *cr = ready(impl, id);
	size_t from;

	if (!cr)
		return -ENOENT;
	from = cr->nchat > n ? cr->nchat - n : 0;
	for (size_t i = from; i < cr->nchat; i++) {
		const struct cached_chat *l = &cr->chat[i];
		struct room_chat_record c = {
			.id = l->id, .name = l->name, .text = l->text,
			.text_len = l->text_len, .ts = l->ts,
		};
		memcpy(c.member, l->member, sizeof(c.member));
		int r = fn(arg, &c);
		if (r)
			return r;
	}
	return 0;
}

static int st_member_put(void *impl, const char *room,
			 const struct room_member_record *m, size_t keep)
{
	struct room_cluster *rc = impl;
	struct croom *cr = croom_find(rc, room);
	struct room_member_record rec = *m;
	char hex[2 * ROOM_HASH_LEN + 1] = "";
	struct buf b;
	int err;

	(void)keep;
	if (!redis_link_up(&rc->c->cmd))
		return -EIO;
	if (cr) {
		cr->writes++;
		croom_put_member(cr, m);
		const struct room_member_record *t = croom_member(cr, m->id);
		if (t)	/* with the token hash, if it is known here */
			memcpy(rec.token_hash, t->token_hash, ROOM_HASH_LEN);
	}
	if (!zero_hash(rec.token_hash))
		for (int i = 0; i < ROOM_HASH_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", rec.token_hash[i]);
	buf_init(&b, 4096);
	if ((err = rw_member_encode(&b, &rec))) {
		buf_release(&b);
		return err;
	}
	const char *argv[] = { "EVAL", SCRIPT_ROOM_MEMBER, "0", room, rec.id,
			       b.data, hex };
	size_t lens[] = { 4, strlen(SCRIPT_ROOM_MEMBER), 1, strlen(room),
			  strlen(rec.id), b.len, strlen(hex) };
	static char what[] = "a member";
	redis_link_cmd(&rc->c->cmd, on_written, what, 0, 7, argv, lens);
	buf_release(&b);
	return 0;
}

static int st_member_by_token(void *impl, const char *room,
			      const unsigned char hash[ROOM_HASH_LEN],
			      struct room_member_record *out)
{
	struct croom *cr = ready(impl, room);

	if (!cr)
		return -ENOENT;
	for (size_t i = 0; i < cr->nmem; i++) {
		if (!memcmp(cr->mem[i].token_hash, hash, ROOM_HASH_LEN)) {
			*out = cr->mem[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int st_member_exists(void *impl, const char *room, const char *id,
			    bool *exists)
{
	struct croom *cr = ready(impl, room);

	*exists = cr && croom_member(cr, id);
	return 0;
}

static const struct room_store_ops cluster_store_ops = {
	.create = st_create,
	.get = st_get,
	.count = st_count,
	.settings_put = st_settings_put,
	.snapshot_get = st_snapshot_get,
	.snapshot_put = st_snapshot_put,
	.log_append = st_log_append,
	.log_each = st_log_each,
	.chat_append = st_chat_append,
	.chat_recent = st_chat_recent,
	.member_put = st_member_put,
	.member_by_token = st_member_by_token,
	.member_exists = st_member_exists,
};

void room_cluster_store(struct room_store *st, struct room_cluster *rc)
{
	st->ops = &cluster_store_ops;
	st->impl = rc;
}
