/*
 * routes.c - the HTTP route table and the WebSocket dialects.
 */
#include "proto/api.h"
#include "proto/routes.h"

const struct ws_dialect *const proto_dialects[] = {
	&ws_native,
	&ws_execute,
	&ws_piston,
	NULL,
};

const struct http_route proto_routes[] = {
	{ "/", false, HTTP_GET, api_root },
	{ "/api/health", false, HTTP_GET, api_health },
	{ "/api/languages", false, HTTP_GET, api_languages },
	{ "/api/execute", false, HTTP_GET | HTTP_POST, api_execute },
	{ "/run_code", false, HTTP_POST, api_run_code },
	{ "/api/runs", false, HTTP_POST, api_runs },
	{ "/api/v2/runtimes", false, HTTP_GET, api_piston_runtimes },
	{ "/api/v2/execute", false, HTTP_POST, api_piston_execute },
	{ "/create_session", false, HTTP_POST, api_create_session },
	{ "/editor/", true, HTTP_GET, api_editor },
	{ "/api/rooms/", true, HTTP_GET, api_rooms },
	{ "/api/generate", false, HTTP_POST, api_generate },
	{ NULL, false, 0, NULL },
};
