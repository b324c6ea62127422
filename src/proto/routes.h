/*
 * routes.h - everything the protocol layer answers, for main to register
 * in struct server: the HTTP route table and the WebSocket dialects.
 *
 *   ws_native.c    /ws               coderoom.v1 (docs/protocol.md)
 *   ws_execute.c   /ws/execute       the seed systems' protocol
 *   ws_piston.c    /api/v2/connect   Piston v2's interactive protocol
 *   api_*.c        the HTTP APIs (api.h)
 */
#ifndef CODEROOM_ROUTES_H
#define CODEROOM_ROUTES_H

#include "net/http.h"
#include "net/ws.h"

extern const struct ws_dialect ws_native;
extern const struct ws_dialect ws_execute;
extern const struct ws_dialect ws_piston;

/* NULL-terminated */
extern const struct ws_dialect *const proto_dialects[];
/* ends with an entry whose path is NULL */
extern const struct http_route proto_routes[];
/* the same, plus Judge0's paths at the root (--judge0-root) */
extern const struct http_route proto_routes_judge0_root[];

#endif
