/*
 * app.h - what the protocol dialects act on, and the checks they share.
 *
 * main fills one struct app at start-up and registers it as the server's
 * 'app' (net/server.h keeps it opaque); every HTTP handler and WebSocket
 * dialect reaches it with app_of(). Nothing here is owned by the app: main
 * creates and frees each part.
 */
#ifndef CODEROOM_APP_H
#define CODEROOM_APP_H

#include <stdbool.h>

#include "net/conn.h"
#include "net/server.h"
#include "proto/rules.h"

struct config;
struct run_engine;
struct lang_table;
struct sandbox;
struct auth;
struct cluster;
struct judge0;
struct batch_job;
struct sio_hub;
struct rooms;
struct generator;
struct host_facts;
struct sizing;
struct metrics;
struct keyrate;

struct app {
	const struct config *cfg;
	struct run_engine *engine;
	const struct lang_table *langs;
	struct sandbox *sb;		/* for health: its features */
	const struct auth *auth;	/* API tokens */
	struct cluster *cluster;	/* cluster mode (--redis), or NULL */
	struct judge0 *judge0;		/* Judge0 submissions, or NULL */
	struct sio_hub *sio;		/* Socket.IO sessions */
	struct rooms *rooms;		/* open rooms and the room store */
	const struct host_facts *host;	/* the machine, for health */
	const struct sizing *sizing;	/* what sized admission, for health */
	struct metrics *metrics;	/* GET /metrics, or NULL */
	struct keyrate *room_creates;	/* rooms a client may create, or NULL */
	struct generator *gen;		/* code from a prompt (maybe off) */
};

static inline struct app *app_of(const struct conn *c)
{
	return (struct app *)c->srv->app;
}

/* What the pure parsers need of the app. */
static inline struct api_ctx app_api_ctx(const struct app *a)
{
	return (struct api_ctx){ .langs = a->langs, .engine = a->engine };
}

/* Hands 'j' to the HTTP request of c: freed with it (which kills a run
 * still going as an orphan). */
void app_http_own(struct conn *c, struct batch_job *j);

/* Whether the request carries a valid API token, or none is configured:
 * in Authorization or X-Api-Token, and for a WebSocket also as the query
 * argument "token" or the subprotocol "coderoom.token.TOKEN". */
bool app_token_ok(const struct conn *c);
/* Who the client is, for per-client caps and fair queueing: its token
 * ("t<n>") or, anonymous, its address ("a<addr>", IPv6 by /64). */
#define APP_CLIENT_MAX 64
void app_client(const struct conn *c, char *out, size_t len);
/* The same for the run APIs: false after answering 401 itself. */
bool app_authorized(struct conn *c);

#endif
