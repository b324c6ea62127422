/*
 * routes.h - everything the protocol layer answers, for main to register
 * in struct server: the HTTP route table and the WebSocket dialects.
 *
 *   ws_native.c    /ws               coderoom.v1 (docs/protocol.md)
 *   ws_execute.c   /ws/execute       the seed systems' protocol
 *   ws_piston.c    /api/v2/connect   Piston v2's interactive protocol
 *   sio_*.c        /socket.io/       Socket.IO (HTTP and WebSocket), with
 *                                    the event modules behind it
 *   api_*.c        the HTTP APIs (api.h)
 */
#ifndef CODEROOM_ROUTES_H
#define CODEROOM_ROUTES_H

#include "net/http.h"
#include "net/ws.h"

extern const struct ws_dialect ws_native;
extern const struct ws_dialect ws_execute;
extern const struct ws_dialect ws_piston;

struct sio_module;

/* NULL-terminated */
extern const struct ws_dialect *const proto_dialects[];
/* the Socket.IO event modules, NULL-terminated */
extern const struct sio_module *const proto_sio_modules[];
/* ends with an entry whose path is NULL */
extern const struct http_route proto_routes[];
/* A cluster worker: health, languages and the cluster's view only; no
 * WebSocket dialect (clients go to gateways). */
extern const struct http_route proto_routes_worker[];
extern const struct ws_dialect *const proto_dialects_none[];
/* the same, plus Judge0's paths at the root (--judge0-root) */
extern const struct http_route proto_routes_judge0_root[];

#endif
