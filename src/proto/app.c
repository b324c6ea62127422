/*
 * app.c - the checks the dialects share.
 */
#include "net/http.h"
#include "proto/app.h"
#include "proto/auth.h"
#include "proto/batch.h"

static void job_free_cb(void *p)
{
	batch_job_free(p);
}

void app_http_own(struct conn *c, struct batch_job *j)
{
	c->http->api = j;
	c->http->api_free = job_free_cb;
}

bool app_token_ok(const struct conn *c)
{
	const struct auth *a = app_of(c)->auth;
	char v[512];

	if (!auth_enabled(a))
		return true;
	if (http_header(c, "authorization", v, sizeof(v)) > 0 &&
	    auth_check_header(a, v))
		return true;
	if (http_header(c, "x-api-token", v, sizeof(v)) > 0 &&
	    auth_check_header(a, v))
		return true;
	return false;
}

bool app_authorized(struct conn *c)
{
	static const char body[] =
		"{\"error\":\"a valid API token is required (Authorization: "
		"Bearer TOKEN)\",\"message\":\"a valid API token is required\"}";

	if (app_token_ok(c))
		return true;
	http_reply(c, 401, "application/json", body, sizeof(body) - 1,
		   "WWW-Authenticate: Bearer\r\n");
	return false;
}
