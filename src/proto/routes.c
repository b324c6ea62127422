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

#define ANY (HTTP_GET | HTTP_POST | HTTP_PUT | HTTP_DELETE | HTTP_PATCH | \
	     HTTP_OPTIONS | HTTP_OTHER)

#define COMMON_ROUTES \
	{ "/", false, HTTP_GET, api_root, false }, \
	{ "/api/health", false, HTTP_GET, api_health, false }, \
	{ "/api/languages", false, HTTP_GET, api_languages, false }, \
	{ "/api/execute", false, HTTP_GET | HTTP_POST, api_execute, false }, \
	{ "/run_code", false, HTTP_POST, api_run_code, false }, \
	{ "/api/runs", false, HTTP_POST, api_runs, false }, \
	{ "/api/v2/", true, ANY, api_piston, true }, \
	{ "/judge0/", true, ANY, api_judge0, false }, \
	{ "/judge0", false, ANY, api_judge0, false }, \
	{ "/create_session", false, HTTP_POST, api_create_session, false }, \
	{ "/editor/", true, HTTP_GET, api_editor, false }, \
	{ "/api/rooms/", true, HTTP_GET, api_rooms, false }, \
	{ "/api/generate", false, HTTP_POST, api_generate, false }, \
	{ "/metrics", false, HTTP_GET, api_metrics, false }

const struct http_route proto_routes[] = {
	COMMON_ROUTES,
	{ NULL, false, 0, NULL, false },
};

/* With --judge0-root, Judge0's paths also at the root, as its clients
 * default to (the IDE keeps every other path). */
const struct http_route proto_routes_judge0_root[] = {
	COMMON_ROUTES,
	{ "/submissions", true, ANY, api_judge0, false },
	{ "/languages", true, ANY, api_judge0, false },
	{ "/statuses", false, ANY, api_judge0, false },
	{ "/about", false, ANY, api_judge0, false },
	{ "/system_info", false, ANY, api_judge0, false },
	{ "/config_info", false, ANY, api_judge0, false },
	{ "/workers", false, ANY, api_judge0, false },
	{ "/authenticate", false, ANY, api_judge0, false },
	{ "/version", false, ANY, api_judge0, false },
	{ NULL, false, 0, NULL, false },
};
