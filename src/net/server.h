/*
 * server.h - the network side: lws on our libuv loop, routing, shutdown.
 *
 * One lws context serves HTTP (API + static files) and three WebSocket
 * dialects, routed on the request path (not on the subprotocol: a client
 * without one binds to protocols[0] whatever it asked for).
 */
#ifndef CODEROOM_SERVER_H
#define CODEROOM_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "lib/config.h"
#include "run/run.h"

struct lws_context;
struct conn;
struct webroot;
struct auth;

struct server {
	uv_loop_t *loop;
	struct lws_context *ctx;
	const struct config *cfg;
	struct run_engine *engine;
	const struct lang_table *langs;
	const struct webroot *web;
	struct sandbox *sb;
	const struct auth *auth;	/* API tokens (auth.h) */
	struct conn *conns;		/* open WebSockets */
	unsigned connections;		/* open HTTP + WebSocket connections */
	uint64_t next_conn_id;
	uint64_t start_ms;
	int port;			/* the port actually bound */
	bool shutting_down;
};

/* Creates the lws context on 'loop' and starts listening. 0 or -errno. */
int server_start(struct server *s);
/* Tells every WebSocket client (close 1001) and stops accepting. */
void server_begin_shutdown(struct server *s);
/* Destroys the context; run the loop afterwards so handles close. */
void server_stop(struct server *s);

uint64_t server_uptime_s(const struct server *s);
uint64_t server_now_ms(void);

#endif
