/*
 * node.c - the table of live nodes, from the heartbeat script's reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/node.h"

bool node_id_valid(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if (n >= NODE_ID_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return n > 0;
}

bool node_is_worker(const struct node_info *n)
{
	return !strcmp(n->role, "worker") || !strcmp(n->role, "all");
}

const struct node_info *node_find(const struct node_table *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].id, id))
			return &t->v[i];
	return NULL;
}

unsigned node_free_slots(const struct node_table *t)
{
	unsigned free_slots = 0;

	for (size_t i = 0; i < t->n; i++)
		if (node_is_worker(&t->v[i]) && t->v[i].slots > t->v[i].used)
			free_slots += t->v[i].slots - t->v[i].used;
	return free_slots;
}

unsigned node_workers(const struct node_table *t)
{
	unsigned n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += node_is_worker(&t->v[i]);
	return n;
}

void node_table_release(struct node_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].langs);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static bool is_str(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING ||
		     r->type == REDIS_REPLY_STATUS);
}

static uint64_t num(const redisReply *r)
{
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer > 0 ? (uint64_t)r->integer : 0;
	if (is_str(r)) {
		char tmp[32];
		size_t n = r->len < sizeof(tmp) - 1 ? r->len : sizeof(tmp) - 1;
		memcpy(tmp, r->str, n);
		tmp[n] = '\0';
		return strtoull(tmp, NULL, 10);
	}
	return 0;
}

static void copy(char *dst, size_t len, const redisReply *r)
{
	size_t n = r->len < len - 1 ? r->len : len - 1;

	memcpy(dst, r->str, n);
	dst[n] = '\0';
	for (size_t i = 0; i < n; i++)	/* it goes into logs and JSON */
		if ((unsigned char)dst[i] < 0x20 || (unsigned char)dst[i] > 0x7e)
			dst[i] = '?';
}

/* One node: id, score, {field, value, ...}. false when malformed. */
static bool parse_node(struct node_info *n, const redisReply *id,
		       const redisReply *score, const redisReply *h)
{
	memset(n, 0, sizeof(*n));
	if (!is_str(id) || id->len > NODE_ID_MAX || !is_str(score) ||
	    h->type != REDIS_REPLY_ARRAY || h->elements % 2)
		return false;
	copy(n->id, sizeof(n->id), id);
	n->seen_ms = num(score);
	for (size_t i = 0; i < h->elements; i += 2) {
		const redisReply *k = h->element[i], *v = h->element[i + 1];
		if (!is_str(k) || !is_str(v))
			return false;
		if (k->len == 4 && !memcmp(k->str, "role", 4))
			copy(n->role, sizeof(n->role), v);
		else if (k->len == 5 && !memcmp(k->str, "slots", 5))
			n->slots = (unsigned)num(v);
		else if (k->len == 4 && !memcmp(k->str, "used", 4))
			n->used = (unsigned)num(v);
		else if (k->len == 6 && !memcmp(k->str, "bslots", 6))
			n->batch_slots = (unsigned)num(v);
		else if (k->len == 5 && !memcmp(k->str, "bused", 5))
			n->batch_used = (unsigned)num(v);
		else if (k->len == 9 && !memcmp(k->str, "following", 9))
			n->following = (unsigned)num(v);
		else if (k->len == 3 && !memcmp(k->str, "pid", 3))
			n->pid = (unsigned)num(v);
		else if (k->len == 4 && !memcmp(k->str, "host", 4))
			copy(n->host, sizeof(n->host), v);
		else if (k->len == 7 && !memcmp(k->str, "version", 7))
			copy(n->version, sizeof(n->version), v);
		else if (k->len == 2 && !memcmp(k->str, "up", 2))
			n->up_ms = num(v);
		else if (k->len == 5 && !memcmp(k->str, "langs", 5) &&
			 v->len < 65536 && !n->langs) {
			if (!(n->langs = malloc(v->len + 1)))
				return false;
			copy(n->langs, v->len + 1, v);
		}
	}
	return true;
}

int node_table_parse(struct node_table *t, const redisReply *r,
		     char dead[][NODE_ID_MAX + 1], size_t ndead,
		     size_t *n_dead)
{
	const redisReply *nodes, *d;
	struct node_table nt = { 0 };

	*n_dead = 0;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->type != REDIS_REPLY_ARRAY ||
	    r->element[1]->elements % 3 ||
	    r->element[2]->type != REDIS_REPLY_ARRAY)
		return -EINVAL;
	nodes = r->element[1];
	d = r->element[2];
	nt.waiting = r->element[0]->integer > 0 ? (uint64_t)r->element[0]->integer
						: 0;
	if (nodes->elements && !(nt.v = calloc(nodes->elements / 3,
						sizeof(*nt.v))))
		return -ENOMEM;
	for (size_t i = 0; i < nodes->elements; i += 3) {
		struct node_info *n = &nt.v[nt.n];
		if (!parse_node(n, nodes->element[i], nodes->element[i + 1],
				nodes->element[i + 2])) {
			free(n->langs);
			node_table_release(&nt);
			return -EINVAL;
		}
		if (n->seen_ms > nt.now_ms)
			nt.now_ms = n->seen_ms;
		nt.n++;
	}
	for (size_t i = 0; i < d->elements && *n_dead < ndead; i++) {
		const redisReply *e = d->element[i];
		if (is_str(e) && e->len <= NODE_ID_MAX)
			copy(dead[(*n_dead)++], NODE_ID_MAX + 1, e);
	}
	nt.refreshes = t->refreshes + 1;
	node_table_release(t);
	*t = nt;
	return 0;
}
