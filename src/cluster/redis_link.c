/*
 * redis_link.c - one connection to Redis that keeps itself up (see the
 * header for the promises).
 *
 * States: DOWN (a retry timer runs) -> CONNECTING (uv_getaddrinfo, then
 * hiredis's non-blocking connect, then the login commands; the retry timer
 * is the deadline of the whole attempt) -> UP -> DOWN ... CLOSED.
 * Pending commands form a FIFO in sending order, which is the order Redis
 * answers in; hiredis's privdata is the command's record. The tick timer
 * checks the oldest one's deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/redis_link.h"
#include "cluster/redis_uv.h"
#include "lib/log.h"

#define TICK_MS 100

struct redis_cmd {
	struct redis_cmd *next;
	struct redis_link *l;
	redis_reply_fn fn;	/* NULL: forgotten or internal */
	void *data;
	uint64_t deadline;
	uint64_t timeout;	/* ms, for the log */
	bool login;		/* part of the login */
};

struct redis_sub {
	struct redis_sub *next;
	char *channel;
	redis_msg_fn fn;
	void *data;
};

uint64_t redis_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool redis_reply_ok(const redisReply *r)
{
	return r && r->type != REDIS_REPLY_ERROR;
}

const char *redis_link_state_name(const struct redis_link *l)
{
	switch (l->state) {
	case LINK_DOWN: return "down";
	case LINK_CONNECTING: return "connecting";
	case LINK_UP: return "up";
	case LINK_CLOSED: return "closed";
	}
	return "?";
}

bool redis_link_up(const struct redis_link *l)
{
	return l->state == LINK_UP;
}

static void set_why(struct redis_link *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_why(struct redis_link *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->why, sizeof(l->why), fmt, ap);
	va_end(ap);
}

/* ---- handles ------------------------------------------------------------ */

static void maybe_closed(struct redis_link *l)
{
	if (l->state == LINK_CLOSED && l->handles == 0 && !l->gai_busy &&
	    !l->ac && l->closed_cb) {
		redis_link_closed_fn cb = l->closed_cb;
		l->closed_cb = NULL;
		cb(l);
	}
}

static void on_handle_closed(uv_handle_t *h)
{
	struct redis_link *l = h->data;

	l->handles--;
	maybe_closed(l);
}

/* ---- pending commands --------------------------------------------------- */

static void unlink_cmd(struct redis_link *l, struct redis_cmd *c)
{
	struct redis_cmd **pp, *prev = NULL;

	for (pp = &l->head; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			if (l->tail == c)
				l->tail = prev;
			l->pending--;
			return;
		}
	}
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_cmd *c = privdata;
	struct redis_link *l = c->l;

	unlink_cmd(l, c);
	if (!reply && !l->why[0])
		set_why(l, "the connection to Redis was lost");
	if (c->fn)
		c->fn(l, reply, c->data);
	free(c);
}

static int send_cmd(struct redis_link *l, redis_reply_fn fn, void *data,
		    uint64_t timeout_ms, bool login, int argc,
		    const char **argv, const size_t *argvlen)
{
	struct redis_cmd *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->l = l;
	c->fn = fn;
	c->data = data;
	c->login = login;
	c->timeout = timeout_ms ? timeout_ms : l->cmd_ms;
	c->deadline = redis_now_ms() + c->timeout;
	if (redisAsyncCommandArgv(l->ac, on_reply, c, argc, argv, argvlen) !=
	    REDIS_OK) {
		free(c);
		return -ENOTCONN;
	}
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->pending++;
	return 0;
}

int redis_link_cmd(struct redis_link *l, redis_reply_fn fn, void *data,
		   uint64_t timeout_ms, int argc, const char **argv,
		   const size_t *argvlen)
{
	if (l->state != LINK_UP || !l->ac || l->dying)
		return -ENOTCONN;
	return send_cmd(l, fn, data, timeout_ms, false, argc, argv, argvlen);
}

int redis_link_cmdv(struct redis_link *l, redis_reply_fn fn, void *data,
		    uint64_t timeout_ms, const char *const *args)
{
	const char *argv[32];
	size_t lens[32];
	int n = 0;

	while (args[n]) {
		if (n == 32)
			return -E2BIG;
		argv[n] = args[n];
		lens[n] = strlen(args[n]);
		n++;
	}
	return redis_link_cmd(l, fn, data, timeout_ms, n, argv, lens);
}

void redis_link_forget(struct redis_link *l, void *data)
{
	for (struct redis_cmd *c = l->head; c; c = c->next)
		if (c->data == data)
			c->fn = NULL;
}

/* ---- connecting and losing the connection ------------------------------- */

static void schedule_retry(struct redis_link *l);
static void start_connect(struct redis_link *l);

/* The connection is gone (or never came): fail what is pending, tell the
 * owner if it was up, and retry later. */
static void lost(struct redis_link *l)
{
	bool was_up = l->state == LINK_UP;

	if (l->state == LINK_CLOSED)
		return;
	l->state = LINK_DOWN;
	l->dying = false;
	l->client_id = 0;
	l->down_since_ms = redis_now_ms();
	if (was_up) {
		log_warn("redis: link '%s' lost: %s", l->name, l->why);
		l->logged_down = true;
		if (l->ops && l->ops->down)
			l->ops->down(l, l->data);
	} else if (!l->logged_down) {
		log_warn("redis: cannot reach Redis at %s:%d (link '%s'): %s; "
			 "retrying", l->url->host, l->url->port, l->name, l->why);
		l->logged_down = true;
	}
	l->failures++;
	schedule_retry(l);
}

/* Frees the hiredis context from outside its callbacks; every pending
 * command gets NULL. */
static void drop_ac(struct redis_link *l)
{
	redisAsyncContext *ac = l->ac;

	if (!ac)
		return;
	l->dying = true;
	l->dropping = true;
	redisAsyncFree(ac);	/* callbacks with NULL, then on_disconnect */
	l->dropping = false;
	l->ac = NULL;
}

void redis_link_drop(struct redis_link *l, const char *why)
{
	if (l->state == LINK_CLOSED || (!l->ac && l->state != LINK_CONNECTING))
		return;
	if (why != l->why)
		set_why(l, "%s", why);
	if (l->ac && (l->ac->c.flags & REDIS_IN_CALLBACK)) {
		/* hiredis frees it once the callback returns, then calls
		 * on_disconnect (it is connected: we are in a reply) */
		l->dying = true;
		redisAsyncFree(l->ac);
		return;
	}
	drop_ac(l);
	lost(l);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redis_link *l = ac->data;

	l->ac = NULL;
	if (l->dropping)
		return;		/* drop_ac()'s caller handles it */
	if (status != REDIS_OK || !l->why[0])
		set_why(l, "%s", ac->errstr && ac->err ? ac->errstr
						      : "Redis closed the connection");
	lost(l);
}

static void on_tick(uv_timer_t *t)
{
	struct redis_link *l = t->data;
	uint64_t now = redis_now_ms();

	if (l->head && now >= l->head->deadline && !l->dying) {
		char what[160];
		snprintf(what, sizeof(what), "Redis did not answer within %llu "
			 "ms (stopped, overloaded or unreachable)",
			 (unsigned long long)l->head->timeout);
		redis_link_drop(l, what);
	}
}

static void on_message(redisAsyncContext *ac, void *reply, void *privdata);

/* The login's steps, as the data of their commands. */
static const char STEP_AUTH[] = "auth", STEP_SELECT[] = "select",
		  STEP_SETNAME[] = "setname", STEP_ID[] = "id",
		  STEP_PING[] = "ping";

static void login_reply(struct redis_link *l, redisReply *r, void *data)
{
	const char *step = data;

	if (l->state != LINK_CONNECTING)
		return;
	if (!r) {
		/* the connection went: on_disconnect/drop handles it */
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		if (!strcmp(step, "auth"))
			set_why(l, "Redis refused the password: %.100s", r->str);
		else if (!strncmp(r->str, "LOADING", 7))
			set_why(l, "Redis is still loading its data");
		else
			set_why(l, "%s failed: %.100s", step, r->str);
		if (!strcmp(step, "auth") || !strcmp(step, "select"))
			log_error("redis: link '%s': %s", l->name, l->why);
		l->logged_down = true;
		redis_link_drop(l, l->why);
		return;
	}
	if (!strcmp(step, "id") && r->type == REDIS_REPLY_INTEGER)
		l->client_id = r->integer;
	if (strcmp(step, "ping"))
		return;
	/* logged in and serving */
	uv_timer_stop(&l->retry_timer);
	l->state = LINK_UP;
	l->attempt = 0;
	l->connects++;
	l->why[0] = '\0';
	l->up_since_ms = redis_now_ms();
	if (l->logged_down)
		log_info("redis: link '%s' up (%s:%d)", l->name, l->url->host,
			 l->url->port);
	else
		log_debug("redis: link '%s' up", l->name);
	l->logged_down = false;
	for (struct redis_sub *s = l->subs; s; s = s->next) {
		const char *argv[] = { "SUBSCRIBE", s->channel };
		size_t lens[] = { 9, strlen(s->channel) };
		redisAsyncCommandArgv(l->ac, on_message, NULL, 2, argv, lens);
	}
	if (l->ops && l->ops->up)
		l->ops->up(l, l->data);
}

static void login(struct redis_link *l)
{
	const struct redis_url *u = l->url;
	char db[16], name[128];

	snprintf(name, sizeof(name), "%s", l->name);
	for (char *p = name; *p; p++)	/* CLIENT SETNAME takes no spaces */
		if (*p == ' ')
			*p = '_';
	if (u->has_password) {
		const char *argv[3] = { "AUTH" };
		size_t lens[3] = { 4 };
		int n = 1;
		if (u->user[0]) {
			argv[n] = u->user;
			lens[n++] = strlen(u->user);
		}
		argv[n] = u->password;
		lens[n++] = strlen(u->password);
		send_cmd(l, login_reply, (void *)STEP_AUTH, l->connect_ms, true, n, argv,
			 lens);
	}
	if (u->db) {
		snprintf(db, sizeof(db), "%u", u->db);
		const char *argv[] = { "SELECT", db };
		size_t lens[] = { 6, strlen(db) };
		send_cmd(l, login_reply, (void *)STEP_SELECT, l->connect_ms, true, 2, argv,
			 lens);
	}
	const char *setname[] = { "CLIENT", "SETNAME", name };
	size_t setname_len[] = { 6, 7, strlen(name) };
	send_cmd(l, login_reply, (void *)STEP_SETNAME, l->connect_ms, true, 3, setname,
		 setname_len);
	const char *id[] = { "CLIENT", "ID" };
	size_t id_len[] = { 6, 2 };
	send_cmd(l, login_reply, (void *)STEP_ID, l->connect_ms, true, 2, id, id_len);
	const char *ping[] = { "PING" };
	size_t ping_len[] = { 4 };
	send_cmd(l, login_reply, (void *)STEP_PING, l->connect_ms, true, 1, ping,
		 ping_len);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct redis_link *l = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees ac after this returns */
		set_why(l, "%s", ac->errstr ? ac->errstr : "connect failed");
		l->ac = NULL;
		lost(l);
		return;
	}
	redisEnableKeepAlive((redisContext *)&ac->c);
	login(l);
}

static void on_message(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_link *l = ac->data;
	redisReply *r = reply;

	bool confirm;

	(void)privdata;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING)
		return;
	confirm = !strcmp(r->element[0]->str, "subscribe");
	if (!confirm && (strcmp(r->element[0]->str, "message") ||
			 r->element[2]->type != REDIS_REPLY_STRING))
		return;
	for (struct redis_sub *s = l->subs; s; s = s->next) {
		if (!strcmp(s->channel, r->element[1]->str)) {
			if (confirm)	/* in place: NULL says so */
				s->fn(l, s->channel, NULL, 0, s->data);
			else
				s->fn(l, s->channel, r->element[2]->str,
				      r->element[2]->len, s->data);
			return;
		}
	}
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
	struct redis_link *l = req->data;
	char ip[INET6_ADDRSTRLEN];
	redisAsyncContext *ac;
	int err;

	l->gai_busy = false;
	if (l->state != LINK_CONNECTING) {
		uv_freeaddrinfo(ai);
		maybe_closed(l);
		return;
	}
	if (status < 0 || !ai) {
		set_why(l, "cannot resolve '%s': %s", l->url->host,
			uv_strerror(status));
		uv_freeaddrinfo(ai);
		lost(l);
		return;
	}
	if (ai->ai_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, ip,
			  sizeof(ip));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
			  ip, sizeof(ip));
	uv_freeaddrinfo(ai);
	/* a numeric address: hiredis's getaddrinfo() does no lookup */
	ac = redisAsyncConnect(ip, l->url->port);
	if (!ac) {
		set_why(l, "out of memory");
		lost(l);
		return;
	}
	if (ac->err) {
		set_why(l, "%s", ac->errstr);
		redisAsyncFree(ac);
		lost(l);
		return;
	}
	if ((err = redis_uv_attach(ac, l->loop))) {
		set_why(l, "cannot poll the socket: %s", uv_strerror(err));
		redisAsyncFree(ac);
		lost(l);
		return;
	}
	ac->data = l;
	l->ac = ac;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

static void on_deadline(uv_timer_t *t)
{
	struct redis_link *l = t->data;

	if (l->state == LINK_DOWN) {
		start_connect(l);
		return;
	}
	if (l->state != LINK_CONNECTING)
		return;
	set_why(l, "connecting took longer than %llu ms",
		(unsigned long long)l->connect_ms);
	if (l->gai_busy) {	/* the lookup ends on its own */
		uv_cancel((uv_req_t *)&l->gai);
		lost(l);
		return;
	}
	redis_link_drop(l, l->why);
}

static void start_connect(struct redis_link *l)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM };
	char port[8];
	int err;

	if (l->state == LINK_CLOSED)
		return;
	if (l->gai_busy) {	/* a cancelled lookup has not ended yet */
		schedule_retry(l);
		return;
	}
	l->state = LINK_CONNECTING;
	l->why[0] = '\0';
	uv_timer_start(&l->retry_timer, on_deadline, l->connect_ms, 0);
	snprintf(port, sizeof(port), "%d", l->url->port);
	l->gai.data = l;
	err = uv_getaddrinfo(l->loop, &l->gai, on_resolved, l->url->host, port,
			     &hints);
	if (err) {
		set_why(l, "cannot resolve '%s': %s", l->url->host,
			uv_strerror(err));
		lost(l);
		return;
	}
	l->gai_busy = true;
}

static void schedule_retry(struct redis_link *l)
{
	uint64_t d = l->backoff_min_ms;

	for (unsigned i = 0; i < l->attempt && d < l->backoff_max_ms; i++)
		d *= 2;
	if (d > l->backoff_max_ms)
		d = l->backoff_max_ms;
	d = d * (80 + (uint64_t)(rand() % 41)) / 100;	/* +-20% */
	l->attempt++;
	uv_timer_start(&l->retry_timer, on_deadline, d, 0);
}

/* ---- public ------------------------------------------------------------- */

void redis_link_init(struct redis_link *l, uv_loop_t *loop,
		     const struct redis_url *url, const char *node,
		     const char *name, const struct redis_link_ops *ops,
		     void *data)
{
	memset(l, 0, sizeof(*l));
	l->loop = loop;
	l->url = url;
	snprintf(l->name, sizeof(l->name), "coderoom:%.40s:%.12s", node, name);
	l->ops = ops;
	l->data = data;
	l->connect_ms = 3000;
	l->cmd_ms = 5000;
	l->backoff_min_ms = 100;
	l->backoff_max_ms = 5000;
	l->state = LINK_DOWN;
	uv_timer_init(loop, &l->retry_timer);
	uv_timer_init(loop, &l->tick);
	l->retry_timer.data = l->tick.data = l;
	l->handles = 2;
}

void redis_link_start(struct redis_link *l)
{
	uv_timer_start(&l->tick, on_tick, TICK_MS, TICK_MS);
	start_connect(l);
}

void redis_link_close(struct redis_link *l, redis_link_closed_fn cb)
{
	if (l->state == LINK_CLOSED)
		return;
	set_why(l, "the link is closing");
	l->state = LINK_CLOSED;
	l->closed_cb = cb;
	if (l->gai_busy)
		uv_cancel((uv_req_t *)&l->gai);
	drop_ac(l);
	while (l->subs) {
		struct redis_sub *s = l->subs;
		l->subs = s->next;
		free(s->channel);
		free(s);
	}
	uv_close((uv_handle_t *)&l->retry_timer, on_handle_closed);
	uv_close((uv_handle_t *)&l->tick, on_handle_closed);
}

int redis_link_subscribe(struct redis_link *l, const char *channel,
			 redis_msg_fn fn, void *data)
{
	struct redis_sub *s;

	for (s = l->subs; s; s = s->next) {
		if (!strcmp(s->channel, channel)) {
			s->fn = fn;
			s->data = data;
			return 0;
		}
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->channel = strdup(channel))) {
		free(s);
		return -ENOMEM;
	}
	s->fn = fn;
	s->data = data;
	s->next = l->subs;
	l->subs = s;
	if (l->state == LINK_UP && l->ac) {
		const char *argv[] = { "SUBSCRIBE", channel };
		size_t lens[] = { 9, strlen(channel) };
		redisAsyncCommandArgv(l->ac, on_message, NULL, 2, argv, lens);
	}
	return 0;
}

void redis_link_unsubscribe(struct redis_link *l, const char *channel)
{
	for (struct redis_sub **pp = &l->subs; *pp; pp = &(*pp)->next) {
		struct redis_sub *s = *pp;
		if (strcmp(s->channel, channel))
			continue;
		*pp = s->next;
		if (l->state == LINK_UP && l->ac) {
			const char *argv[] = { "UNSUBSCRIBE", channel };
			size_t lens[] = { 11, strlen(channel) };
			redisAsyncCommandArgv(l->ac, NULL, NULL, 2, argv, lens);
		}
		free(s->channel);
		free(s);
		return;
	}
}
