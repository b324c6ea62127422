/*
 * app.c - the checks the dialects share: API tokens and who a client is.
 */
#include <string.h>

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

#define SUBPROTO_TOKEN "coderoom.token."

/*
 * The index of the API token the request presents, or -1. HTTP requests
 * present it in Authorization or X-Api-Token; a WebSocket may also give it
 * as the query argument "token" or as a subprotocol "coderoom.token.TOKEN"
 * (a browser cannot set headers on a WebSocket).
 */
static int presented_token(const struct conn *c)
{
	const struct auth *a = app_of(c)->auth;
	char v[600];
	int t;

	if (http_header(c, "authorization", v, sizeof(v)) > 0 &&
	    (t = auth_find(a, v)) >= 0)
		return t;
	if (http_header(c, "x-api-token", v, sizeof(v)) > 0 &&
	    (t = auth_find(a, v)) >= 0)
		return t;
	if (!c->ws)
		return -1;
	if (http_query(c, "token", v, sizeof(v)) > 0 &&
	    (t = auth_find(a, v)) >= 0)
		return t;
	if (http_header(c, "sec-websocket-protocol", v, sizeof(v)) > 0) {
		for (char *p = v; *p;) {
			size_t n;
			while (*p == ' ' || *p == ',')
				p++;
			n = strcspn(p, ", ");
			if (n > strlen(SUBPROTO_TOKEN) &&
			    !strncmp(p, SUBPROTO_TOKEN, strlen(SUBPROTO_TOKEN))) {
				char save = p[n];
				p[n] = '\0';
				t = auth_find(a, p + strlen(SUBPROTO_TOKEN));
				p[n] = save;
				if (t >= 0)
					return t;
			}
			p += n;
		}
	}
	return -1;
}

bool app_token_ok(const struct conn *c)
{
	return !auth_enabled(app_of(c)->auth) || presented_token(c) >= 0;
}

void app_client(const struct conn *c, char *out, size_t len)
{
	int t = auth_enabled(app_of(c)->auth) ? presented_token(c) : -1;

	auth_client_key(t, c->peer, out, len);
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
