/*
 * server.h - the network side: lws on our libuv loop, routing, shutdown.
 *
 * One lws context serves HTTP (API + static files) and the WebSocket
 * dialects, routed on the request path (not on the subprotocol: a client
 * without one binds to protocols[0] whatever it asked for). What answers
 * a path is registered by main: the HTTP routes (http.h) and the dialects
 * (ws.h); 'app' is theirs, opaque here.
 *
 * Liveness: a WebSocket that has been silent for cfg->ws_ping_ms gets a
 * ping (ahead of its queue); one silent for cfg->ws_timeout_ms (no pong,
 * no message) is dropped, so its dialect's closed() runs within seconds
 * of a network that vanished without a FIN.
 */
#ifndef CODEROOM_SERVER_H
#define CODEROOM_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "lib/config.h"

struct lws_context;
struct conn;
struct webroot;
struct http_route;
struct ws_dialect;

struct server {
	uv_loop_t *loop;
	struct lws_context *ctx;
	const struct config *cfg;
	const struct webroot *web;
	const struct http_route *routes; /* ends with a NULL path */
	const struct ws_dialect *const *dialects; /* NULL-terminated */
	void *app;			/* what the routes and dialects act on */
	struct conn *conns;		/* open WebSockets */
	uv_timer_t sweep;		/* liveness */
	bool sweep_started;
	unsigned connections;		/* open HTTP + WebSocket connections */
	uint64_t next_conn_id;
	uint64_t start_ms;
	int port;			/* the port actually bound */
	bool shutting_down;
	unsigned in_callback;		/* depth of lws callbacks now running */
};

/* Creates the lws context on 'loop' and starts listening. 0 or -errno. */
int server_start(struct server *s);
/* Tells every WebSocket client (close 1001) and stops accepting. */
void server_begin_shutdown(struct server *s);
/* Destroys the context; run the loop afterwards so handles close, then
 * call server_finish() (outside the loop). */
void server_stop(struct server *s);
void server_finish(struct server *s);

/* A WebSocket frame was queued on c: written now when it is the only
 * one, the socket idle and lws not inside a callback; else at WRITEABLE. */
void server_ws_kick(struct conn *c);

uint64_t server_uptime_s(const struct server *s);
uint64_t server_now_ms(void);

#endif
