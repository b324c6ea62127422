/*
 * reader.c - many streams through one blocking XREAD (see reader.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/reader.h"
#include "lib/log.h"

static void send_read(struct reader *rd);

void reader_init(struct reader *rd, struct redis_link *link,
		 struct redis_link *cmd)
{
	memset(rd, 0, sizeof(*rd));
	rd->link = link;
	rd->cmd = cmd;
	rd->count = 32;
	rd->block_ms = 5000;
}

static struct reader_sub *find(struct reader *rd, const char *key, size_t n)
{
	for (struct reader_sub *s = rd->subs; s; s = s->next)
		if (strlen(s->key) == n && !memcmp(s->key, key, n))
			return s;
	return NULL;
}

static void on_unblocked(struct redis_link *l, redisReply *r, void *data)
{
	struct reader *rd = data;

	(void)l;
	(void)r;
	rd->unblocking = false;
}

/* The set of streams changed: make the XREAD out (if any) return now. */
static void changed(struct reader *rd)
{
	char id[32];

	if (!rd->reading) {
		send_read(rd);
		return;
	}
	rd->stale = true;
	if (rd->unblocking || !rd->link->client_id || !redis_link_up(rd->cmd))
		return;
	snprintf(id, sizeof(id), "%lld", rd->link->client_id);
	const char *args[] = { "CLIENT", "UNBLOCK", id, NULL };
	if (redis_link_cmdv(rd->cmd, on_unblocked, rd, 0, args) == 0)
		rd->unblocking = true;
}

void reader_add(struct reader *rd, struct reader_sub *s)
{
	if (s->linked)
		return;
	s->next = rd->subs;
	rd->subs = s;
	s->linked = true;
	if (!s->last[0])
		snprintf(s->last, sizeof(s->last), "0-0");
	if (!s->paused)
		changed(rd);
}

void reader_remove(struct reader *rd, struct reader_sub *s)
{
	if (!s->linked)
		return;
	for (struct reader_sub **pp = &rd->subs; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	s->linked = false;
	s->next = NULL;
	/* the XREAD out may still name it: its entries are dropped */
}

void reader_pause(struct reader *rd, struct reader_sub *s, bool paused)
{
	if (s->paused == paused)
		return;
	s->paused = paused;
	if (!paused && s->linked)
		changed(rd);
}

/* Hands the entries of one stream's reply element to its owner. */
static void dispatch(struct reader *rd, const redisReply *stream)
{
	const redisReply *key, *entries;
	struct reader_sub *s;

	if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2)
		return;
	key = stream->element[0];
	entries = stream->element[1];
	if (key->type != REDIS_REPLY_STRING || entries->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < entries->elements; i++) {
		const redisReply *e = entries->element[i];
		const redisReply *id, *fields;
		if (!(s = find(rd, key->str, key->len)))
			return;	/* removed meanwhile */
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
			continue;
		id = e->element[0];
		fields = e->element[1];
		if (id->type != REDIS_REPLY_STRING || id->len >= sizeof(s->last))
			continue;
		memcpy(s->last, id->str, id->len);
		s->last[id->len] = '\0';
		rd->entries++;
		if (fields->type != REDIS_REPLY_ARRAY)
			continue;
		for (size_t f = 0; f + 1 < fields->elements; f += 2) {
			const redisReply *name = fields->element[f];
			const redisReply *val = fields->element[f + 1];
			if (name->type == REDIS_REPLY_STRING && name->len == 1 &&
			    name->str[0] == 'e' && val->type == REDIS_REPLY_STRING) {
				s->ops->entry(s, s->last, val->str, val->len);
				break;
			}
		}
	}
	if ((s = find(rd, key->str, key->len)) && s->ops->batch_end)
		s->ops->batch_end(s);
}

static void on_read(struct redis_link *l, redisReply *r, void *data)
{
	struct reader *rd = data;

	(void)l;
	rd->reading = false;
	rd->stale = false;
	if (!r)
		return;	/* the link went; reader_link_up() starts again */
	if (r->type == REDIS_REPLY_ERROR) {
		log_warn("cluster: XREAD failed: %.200s", r->str);
	} else if (r->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < r->elements; i++)
			dispatch(rd, r->element[i]);
	}
	/* nil: timed out or unblocked; either way, read again */
	send_read(rd);
}

static void send_read(struct reader *rd)
{
	const char **argv;
	size_t *lens, n = 0, max = 0;
	char count[16], block[24];
	int err;

	if (rd->reading || !redis_link_up(rd->link))
		return;
	for (struct reader_sub *s = rd->subs; s; s = s->next)
		if (!s->paused)
			max++;
	if (!max)
		return;
	argv = calloc(6 + 2 * max, sizeof(*argv));
	lens = calloc(6 + 2 * max, sizeof(*lens));
	if (!argv || !lens) {
		free(argv);
		free(lens);
		return;
	}
	snprintf(count, sizeof(count), "%u", rd->count);
	snprintf(block, sizeof(block), "%llu", (unsigned long long)rd->block_ms);
	argv[n++] = "XREAD";
	argv[n++] = "COUNT";
	argv[n++] = count;
	argv[n++] = "BLOCK";
	argv[n++] = block;
	argv[n++] = "STREAMS";
	for (struct reader_sub *s = rd->subs; s; s = s->next)
		if (!s->paused)
			argv[n++] = s->key;
	for (struct reader_sub *s = rd->subs; s; s = s->next)
		if (!s->paused)
			argv[n++] = s->last;
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(argv[i]);
	err = redis_link_cmd(rd->link, on_read, rd, rd->block_ms + rd->link->cmd_ms,
			     (int)n, argv, lens);
	free(argv);
	free(lens);
	if (err == 0) {
		rd->reading = true;
		rd->reads++;
	}
}

void reader_link_up(struct reader *rd)
{
	rd->reading = false;
	rd->unblocking = false;
	send_read(rd);
}

void reader_link_down(struct reader *rd)
{
	rd->reading = false;
	rd->unblocking = false;
}
