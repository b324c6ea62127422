/*
 * redis_link.h - one connection to Redis that keeps itself up.
 *
 * A link resolves the host off the loop (uv_getaddrinfo), connects without
 * blocking (hiredis async on cluster/redis_uv.h), logs in (AUTH, SELECT,
 * CLIENT SETNAME), learns its CLIENT ID, checks that Redis serves (PING:
 * not still loading its data) and is then up. Connecting and logging in
 * have a deadline (connect_ms); so does every command (its own, or
 * cmd_ms): an unanswered command means a dead connection (a stopped or
 * unreachable Redis closes no socket), so the link drops it. A lost
 * connection is retried with exponential backoff (backoff_min_ms doubling
 * up to backoff_max_ms, with +-20% jitter) until redis_link_close().
 *
 * Commands: redis_link_cmd() sends one (binary-safe argv) and calls fn
 * exactly once: with the reply (which may be an error reply; see
 * redis_reply_ok()), or with NULL when it failed (link down, timed out,
 * connection lost before the answer). fn must not keep or free the reply.
 * While the link is not up, redis_link_cmd() refuses at once (-ENOTCONN):
 * nothing is queued behind a dead connection. redis_link_forget() stops
 * the callbacks of a caller that goes away.
 *
 * Pub/sub: a link used for it alone subscribes with
 * redis_link_subscribe(); its channels are subscribed again after every
 * reconnect (messages sent while it was down are lost: that is pub/sub).
 * The callback gets msg NULL when a subscription is in place (first, and
 * after each reconnect): from then on nothing published is missed, so
 * that is when to read what was published before.
 *
 * Everything runs on the loop's thread; nothing blocks.
 */
#ifndef CODEROOM_REDIS_LINK_H
#define CODEROOM_REDIS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis/async.h>
#include <uv.h>

#include "cluster/redis_url.h"

struct redis_link;

/* reply NULL: the command failed; l->why says why. */
typedef void (*redis_reply_fn)(struct redis_link *l, redisReply *reply,
			       void *data);
typedef void (*redis_msg_fn)(struct redis_link *l, const char *channel,
			     const char *msg, size_t len, void *data);
typedef void (*redis_link_closed_fn)(struct redis_link *l);

enum redis_link_state {
	LINK_DOWN,		/* waiting to (re)connect */
	LINK_CONNECTING,	/* resolving, connecting, logging in */
	LINK_UP,
	LINK_CLOSED,
};

struct redis_link_ops {
	/* Up (again): subscriptions are being renewed; resend state. */
	void (*up)(struct redis_link *l, void *data);
	/* Was up, is not any more (every pending command failed first). */
	void (*down)(struct redis_link *l, void *data);
};

struct redis_cmd;
struct redis_sub;

struct redis_link {
	uv_loop_t *loop;
	const struct redis_url *url;
	char name[64];			/* for logs and CLIENT SETNAME */
	const struct redis_link_ops *ops;
	void *data;
	uint64_t connect_ms, cmd_ms;	/* deadlines */
	uint64_t backoff_min_ms, backoff_max_ms;

	enum redis_link_state state;
	char why[160];			/* the last failure, in words */
	long long client_id;		/* CLIENT ID while up */
	uint64_t up_since_ms, down_since_ms;
	uint64_t connects, failures;	/* counters, for health */
	unsigned attempt;		/* failures since the last up */
	bool logged_down;		/* "unreachable" said once a streak */

	redisAsyncContext *ac;
	bool dropping;			/* we are freeing ac */
	bool dying;			/* ac is being freed: no new commands */
	uv_getaddrinfo_t gai;
	bool gai_busy;
	uv_timer_t retry_timer;		/* backoff, connect deadline */
	uv_timer_t tick;		/* command deadlines */
	unsigned handles;		/* open uv handles */
	redis_link_closed_fn closed_cb;

	struct redis_cmd *head, *tail;	/* pending, in order */
	size_t pending;
	struct redis_sub *subs;
};

/* Prepares l (does not connect yet). name is a short word ("cmd",
 * "reader"): the connection is named "coderoom:NODE:NAME" in Redis. */
void redis_link_init(struct redis_link *l, uv_loop_t *loop,
		     const struct redis_url *url, const char *node,
		     const char *name, const struct redis_link_ops *ops,
		     void *data);
/* Starts connecting (and keeps the link up from then on). */
void redis_link_start(struct redis_link *l);
/* Stops for good: pending commands fail (fn with NULL), then the handles
 * close and cb(l) is called from the loop; l may be freed there. */
void redis_link_close(struct redis_link *l, redis_link_closed_fn cb);

bool redis_link_up(const struct redis_link *l);
const char *redis_link_state_name(const struct redis_link *l);

/*
 * Sends a command. timeout_ms 0 uses l->cmd_ms. Returns 0 (fn will be
 * called once), -ENOTCONN (not up: fn is not called) or -ENOMEM.
 */
int redis_link_cmd(struct redis_link *l, redis_reply_fn fn, void *data,
		   uint64_t timeout_ms, int argc, const char **argv,
		   const size_t *argvlen);
/* The same with NUL-terminated arguments, NULL-terminated list. */
int redis_link_cmdv(struct redis_link *l, redis_reply_fn fn, void *data,
		    uint64_t timeout_ms, const char *const *args);
/* Pending commands of 'data' will not call back (they still complete). */
void redis_link_forget(struct redis_link *l, void *data);
/* Drops the connection now (as if it timed out) and reconnects. */
void redis_link_drop(struct redis_link *l, const char *why);

/* Subscribes to channel (now if up, and after every reconnect). 0 or
 * -ENOMEM. The same channel twice replaces the callback. */
int redis_link_subscribe(struct redis_link *l, const char *channel,
			 redis_msg_fn fn, void *data);
void redis_link_unsubscribe(struct redis_link *l, const char *channel);

/* A reply that is not an error (and not NULL). */
bool redis_reply_ok(const redisReply *r);

uint64_t redis_now_ms(void);

#endif
