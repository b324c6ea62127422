/*
 * parse_seed.c - the requests of the seed systems' endpoints, parsed
 * (pure): POST /api/execute, POST /run_code and /ws/execute's "execute".
 */
#include <string.h>

#include "proto/parse.h"
#include "run/run.h"

struct batch_job *parse_seed(const struct api_ctx *ctx, json_t *body,
			     enum parse_seed_kind kind, struct api_err *e)
{
	json_t *code = json_object_get(body, "code");
	json_t *lang = json_object_get(body, "language");
	json_t *in = json_object_get(body, "stdin");
	const struct lang *l;
	struct batch_job *j;
	const char *name;

	if (!json_is_object(body)) {
		api_err_set(e, 400, NULL, "the body must be a JSON object");
		return NULL;
	}
	if (!json_is_string(code)) {
		api_err_set(e, 400, "code", kind == PARSE_SEED_WS ?
			    "'code' must be a string" :
			    "'code' is required and must be a string");
		return NULL;
	}
	if (kind != PARSE_SEED_RUN_CODE && lang && !json_is_null(lang) &&
	    !json_is_string(lang)) {
		api_err_set(e, 400, "language", "'language' must be a string");
		return NULL;
	}
	if (kind != PARSE_SEED_WS && in && !json_is_null(in) &&
	    !json_is_string(in)) {
		api_err_set(e, 400, "stdin", "'stdin' must be a string");
		return NULL;
	}
	name = json_is_string(lang) && kind != PARSE_SEED_RUN_CODE ?
	       json_string_value(lang) : "python";
	l = lang_find(ctx->langs, name);
	if (!l || !l->available) {
		if (kind == PARSE_SEED_WS)
			api_err_set(e, 400, "language", "unsupported language "
				    "'%.64s'", name);
		else if (l)
			api_err_set(e, 400, "language", "language '%s' is not "
				    "installed on this server", l->id);
		else
			api_err_set(e, 400, "language", "unknown language "
				    "'%.64s'", name);
		return NULL;
	}
	if (!(j = batch_job_new(l)))
		goto out_nomem;
	if (rules_add_file(j, 0, NULL, 0, "utf8", json_string_value(code),
			   json_string_length(code), e)) {
		batch_job_free(j);
		return NULL;
	}
	if (batch_add_case(j, json_is_string(in) ? json_string_value(in) : "",
			   json_is_string(in) ? json_string_length(in) : 0,
			   NULL, 0)) {
		batch_job_free(j);
		goto out_nomem;
	}
	return j;
out_nomem:
	api_err_set(e, 500, NULL, "out of memory");
	return NULL;
}
