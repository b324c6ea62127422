/*
 * routes.c - the HTTP route table and the WebSocket dialects.
 */
#include "proto/api.h"
#include "proto/routes.h"
#include "proto/sio_collab.h"
#include "proto/sio_runner.h"
#include "proto/sio_transport.h"

const struct ws_dialect *const proto_dialects[] = {
	&ws_native,
	&ws_execute,
	&ws_piston,
	&sio_ws,
	NULL,
};

const struct sio_module *const proto_sio_modules[] = {
	&sio_runner,
	&sio_collab,	/* after the runner: it sets the runner's target */
	NULL,
};

#define EVERY_METHOD (HTTP_GET | HTTP_POST | HTTP_PUT | HTTP_DELETE | \
		      HTTP_PATCH | HTTP_OPTIONS | HTTP_OTHER)

const struct http_route proto_routes[] = {
	{ "/api/health", false, HTTP_GET, api_health, NULL },
	{ "/api/languages", false, HTTP_GET, api_languages, NULL },
	{ "/api/execute", false, HTTP_GET | HTTP_POST, api_execute, NULL },
	{ "/run_code", false, HTTP_POST, api_run_code, NULL },
	{ "/api/runs", false, HTTP_POST, api_runs, NULL },
	{ "/api/v2/runtimes", false, HTTP_GET, api_piston_runtimes, NULL },
	{ "/api/v2/execute", false, HTTP_POST, api_piston_execute, NULL },
	{ "/create_session", false, HTTP_POST, api_create_session, NULL },
	{ "/editor/", true, HTTP_GET, api_editor, NULL },
	{ "/api/rooms/", true, HTTP_GET, api_rooms, NULL },
	/* Engine.IO answers every method itself, as its reference does */
	{ "/socket.io/", true, EVERY_METHOD, sio_http, sio_http_headers },
	{ NULL, false, 0, NULL, NULL },
};
