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

#define ANY (HTTP_GET | HTTP_POST | HTTP_PUT | HTTP_DELETE | HTTP_PATCH | \
	     HTTP_OPTIONS | HTTP_OTHER)

#define COMMON_ROUTES \
	{ "/", false, HTTP_GET, api_root, false, NULL }, \
	{ "/api/health", false, HTTP_GET, api_health, false, NULL }, \
	{ "/api/languages", false, HTTP_GET, api_languages, false, NULL }, \
	{ "/api/cluster", false, HTTP_GET, api_cluster, false, NULL }, \
	{ "/api/execute", false, HTTP_GET | HTTP_POST, api_execute, false, NULL }, \
	{ "/run_code", false, HTTP_POST, api_run_code, false, NULL }, \
	{ "/api/runs", false, HTTP_POST, api_runs, false, NULL }, \
	{ "/api/v2/", true, ANY, api_piston, true, NULL }, \
	{ "/judge0/", true, ANY, api_judge0, false, NULL }, \
	{ "/judge0", false, ANY, api_judge0, false, NULL }, \
	{ "/create_session", false, HTTP_POST, api_create_session, false, NULL }, \
	{ "/editor/", true, HTTP_GET, api_editor, false, NULL }, \
	{ "/api/rooms/", true, HTTP_GET, api_rooms, false, NULL }, \
	{ "/api/generate", false, HTTP_POST, api_generate, false, NULL }, \
	{ "/metrics", false, HTTP_GET, api_metrics, false, NULL }, \
	/* Engine.IO answers every method itself, as its reference does */ \
	{ "/socket.io/", true, ANY, sio_http, false, sio_http_headers }

const struct http_route proto_routes[] = {
	COMMON_ROUTES,
	{ NULL, false, 0, NULL, false, NULL },
};

/* With --judge0-root, Judge0's paths also at the root, as its clients
 * default to (the IDE keeps every other path). */
const struct http_route proto_routes_judge0_root[] = {
	COMMON_ROUTES,
	{ "/submissions", true, ANY, api_judge0, false, NULL },
	{ "/languages", true, ANY, api_judge0, false, NULL },
	{ "/statuses", false, ANY, api_judge0, false, NULL },
	{ "/about", false, ANY, api_judge0, false, NULL },
	{ "/system_info", false, ANY, api_judge0, false, NULL },
	{ "/config_info", false, ANY, api_judge0, false, NULL },
	{ "/workers", false, ANY, api_judge0, false, NULL },
	{ "/authenticate", false, ANY, api_judge0, false, NULL },
	{ "/version", false, ANY, api_judge0, false, NULL },
	{ NULL, false, 0, NULL, false, NULL },
};

const struct http_route proto_routes_worker[] = {
	{ "/api/health", false, HTTP_GET, api_health, false, NULL },
	{ "/api/languages", false, HTTP_GET, api_languages, false, NULL },
	{ "/api/cluster", false, HTTP_GET, api_cluster, false, NULL },
	{ NULL, false, 0, NULL, false, NULL },
};

const struct ws_dialect *const proto_dialects_none[] = { NULL };
