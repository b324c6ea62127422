/*
 * room_cache.h - what a gateway holds of the rooms it serves in cluster
 * mode, shared by cluster/room_store.c (the room layer's store, answering
 * its reads from here and writing to Redis) and cluster/room_bus.c (the
 * fetches, the room's channel, the members of other gateways).
 *
 * A room's entry is filled by one atomic fetch from Redis (record,
 * snapshot, the log after it and some history before, recent chat,
 * members, who is online where) just before the room opens here, kept
 * current by the room's events while it is open, and dropped when it
 * closes (or, fetched but never opened, after ROOM_CACHE_MS).
 */
#ifndef CODEROOM_ROOM_CACHE_H
#define CODEROOM_ROOM_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/node.h"
#include "cluster/redis_link.h"
#include "room/room.h"

#define ROOM_CACHE_MS 3000	/* a fetched room nobody opened */

struct cluster;

struct cached_log {
	uint64_t version;
	char *client_id, *member, *changes;
	size_t len;
};

struct cached_chat {
	uint64_t id;
	char member[ROOM_MEMBER_ID_LEN + 1];
	char *name, *text;
	size_t text_len;
	int64_t ts;
};

/* A member of this room connected to another gateway, shown here. */
struct room_proxy {
	struct room_member m;		/* first: the room's view of it */
	struct room_proxy *next;
	char gateway[NODE_ID_MAX + 1];
	struct croom *cr;
	uint64_t missing_since;		/* its gateway not in the node table */
};

struct croom {
	struct croom *next;
	char id[ROOM_ID_LEN + 1];
	char channel[64];		/* coderoom:room:ID */
	bool fetched;			/* the data below is there */
	bool fetching;
	uint64_t fetched_ms;
	int fetch_err;
	struct room_record rec;
	char run[33];			/* the room's run (any gateway), or "" */
	uint64_t snap_version;
	char *snap_text;
	size_t snap_len;
	struct cached_log *log;		/* history and after the snapshot */
	size_t nlog;
	struct cached_chat *chat;
	size_t nchat;
	struct room_member_record *mem;
	size_t nmem;
	struct cached_online {		/* members online elsewhere, as read */
		char gateway[NODE_ID_MAX + 1];
		struct room_member_record rec;
	} *on;
	size_t non;
	struct room *room;		/* open here, or NULL */
	bool subscribed;
	struct room_proxy *proxies;
	uint64_t chat_last;		/* the newest line shown here */
	bool resyncing;
	bool resync_again;
	uint64_t writes;		/* changes to settings, members or the
					   roster seen here (written from here,
					   or heard): a read sent before one of
					   them is older than this node */
};

struct room_cluster {
	struct cluster *c;
	struct rooms *reg;
	struct croom *rooms;
	struct redis_link sub;		/* pub/sub: the rooms' channels */
	uint64_t stored;		/* rooms in Redis (for the cap) */
	uv_timer_t timer;		/* cache expiry, the count */
	unsigned handles;
	bool sub_closed;
	redis_link_closed_fn closed_cb;
	uint64_t events, resyncs;
};

struct croom *croom_find(struct room_cluster *rc, const char *id);
struct croom *croom_get(struct room_cluster *rc, const char *id);
/* Empties an entry's data (not its links). */
void croom_clear(struct croom *cr);
void croom_free(struct room_cluster *rc, struct croom *cr);
/* Cache updates from events and fetches. */
int croom_put_member(struct croom *cr, const struct room_member_record *m);
const struct room_member_record *croom_member(const struct croom *cr,
					      const char *id);
int croom_put_chat(struct croom *cr, const struct room_chat_record *c,
		   size_t keep);
int croom_put_log(struct croom *cr, const struct room_log_entry *e);

/* room_store.c: the room layer's store on this cache and Redis. */
void room_cluster_store(struct room_store *st, struct room_cluster *rc);

#endif
