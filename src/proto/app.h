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

struct config;
struct run_engine;
struct lang_table;
struct sandbox;
struct auth;
struct rooms;
struct generator;

struct app {
	const struct config *cfg;
	struct run_engine *engine;
	const struct lang_table *langs;
	struct sandbox *sb;		/* for health: its features */
	const struct auth *auth;	/* API tokens */
	struct rooms *rooms;		/* open rooms and the room store */
	struct generator *gen;		/* code from a prompt (maybe off) */
};

static inline struct app *app_of(const struct conn *c)
{
	return (struct app *)c->srv->app;
}

/* Whether the request (HTTP or a WebSocket upgrade) carries a valid API
 * token in Authorization or X-Api-Token, or none is configured. */
bool app_token_ok(const struct conn *c);
/* The same for the run APIs: false after answering 401 itself. */
bool app_authorized(struct conn *c);

#endif
