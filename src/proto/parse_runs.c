/*
 * parse_runs.c - the request of POST /api/runs, parsed (pure).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/semver.h"
#include "proto/parse.h"
#include "run/run.h"

static const char *const limit_keys[] = {
	"wall_ms", "cpu_ms", "memory_bytes", "output_bytes", "pids", NULL,
};

/* A limits object, every value in 1..max. */
static bool parse_limits(json_t *o, const char *what,
			 const struct limits *max, struct limits *out,
			 struct api_err *e)
{
	const char *k;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (!o || json_is_null(o))
		return true;
	if (!json_is_object(o)) {
		api_err_set(e, 400, what, "'%s' must be an object", what);
		return false;
	}
	json_object_foreach(o, k, v) {
		char field[64];
		size_t i;
		uint64_t m;

		snprintf(field, sizeof(field), "%s.%.40s", what, k);
		for (i = 0; limit_keys[i]; i++)
			if (!strcmp(k, limit_keys[i]))
				break;
		if (!limit_keys[i]) {
			api_err_set(e, 400, field, "unknown limit '%.40s' (one of "
				    "wall_ms, cpu_ms, memory_bytes, output_bytes, "
				    "pids)", k);
			return false;
		}
		m = i == 0 ? max->wall_ms : i == 1 ? max->cpu_ms :
		    i == 2 ? max->memory_bytes : i == 3 ? max->output_bytes :
		    max->pids;
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			api_err_set(e, 400, field, "'%s' must be a positive "
				    "integer", field);
			return false;
		}
		uint64_t x = (uint64_t)json_integer_value(v);
		if (rules_limit_check(x, m) != RULES_LIMIT_OK) {
			api_err_set(e, 400, field, "'%s' is %llu, above this "
				    "server's maximum of %llu (a request may "
				    "lower limits, never raise them)", field,
				    (unsigned long long)x, (unsigned long long)m);
			return false;
		}
		switch (i) {
		case 0: out->wall_ms = x; break;
		case 1: out->cpu_ms = x; break;
		case 2: out->memory_bytes = x; break;
		case 3: out->output_bytes = x; break;
		case 4: out->pids = (uint32_t)x; break;
		}
	}
	return true;
}

static const char *const known_fields[] = {
	"language", "version", "code", "files", "stdin", "args",
	"compile_flags", "limits", "compile_limits", "tests", NULL,
};

static const struct lang *find_lang(const struct api_ctx *ctx, json_t *body,
				    struct api_err *e)
{
	json_t *lang = json_object_get(body, "language");
	json_t *ver = json_object_get(body, "version");
	const struct lang *l;
	char norm[64];

	if (!json_is_string(lang) || !json_string_length(lang)) {
		api_err_set(e, 400, "language", "'language' is required and "
			    "must be a string (see GET /api/languages)");
		return NULL;
	}
	l = lang_find(ctx->langs, json_string_value(lang));
	if (!l) {
		api_err_set(e, 400, "language", "unknown language '%.64s' (see "
			    "GET /api/languages)", json_string_value(lang));
		return NULL;
	}
	if (!l->available) {
		api_err_set(e, 400, "language", "language '%s' is not available "
			    "on this server: %s", l->id,
			    l->why ? l->why : "not installed");
		return NULL;
	}
	if (ver && !json_is_null(ver)) {
		if (!json_is_string(ver)) {
			api_err_set(e, 400, "version", "'version' must be a "
				    "string");
			return NULL;
		}
		semver_normalize(l->version, norm, sizeof(norm));
		if (strcmp(json_string_value(ver), l->version) &&
		    !semver_satisfies(norm, json_string_value(ver))) {
			api_err_set(e, 400, "version", "'%s' is installed at "
				    "version %s, which does not match '%.64s'",
				    l->id, l->version, json_string_value(ver));
			return NULL;
		}
	}
	return l;
}

static bool parse_files(json_t *body, struct batch_job *j, struct api_err *e)
{
	json_t *code = json_object_get(body, "code");
	json_t *files = json_object_get(body, "files");
	json_t *f;
	size_t i;

	if (code && files) {
		api_err_set(e, 400, "files", "send 'code' or 'files', not both");
		return false;
	}
	if (code) {
		if (!json_is_string(code)) {
			api_err_set(e, 400, "code", "'code' must be a string");
			return false;
		}
		return rules_add_file(j, 0, NULL, 0, "utf8",
				      json_string_value(code),
				      json_string_length(code), e) == 0;
	}
	if (!json_is_array(files) || !json_array_size(files)) {
		api_err_set(e, 400, "files", "'code' (a string) or 'files' (a "
			    "non-empty array) is required");
		return false;
	}
	if (json_array_size(files) > RULES_MAX_FILES) {
		api_err_set(e, 400, "files", "at most %d files",
			    RULES_MAX_FILES);
		return false;
	}
	json_array_foreach(files, i, f) {
		char field[48];
		json_t *name = json_object_get(f, "name");
		json_t *content = json_object_get(f, "content");
		json_t *enc = json_object_get(f, "encoding");
		const char *en = json_is_string(enc) ? json_string_value(enc)
						     : "utf8";

		if (!json_is_object(f)) {
			snprintf(field, sizeof(field), "files[%zu]", i);
			api_err_set(e, 400, field, "'%s' must be an object",
				    field);
			return false;
		}
		snprintf(field, sizeof(field), "files[%zu].content", i);
		if (!json_is_string(content)) {
			api_err_set(e, 400, field, "'%s' is required and must be "
				    "a string", field);
			return false;
		}
		snprintf(field, sizeof(field), "files[%zu].encoding", i);
		if ((enc && !json_is_null(enc) && !json_is_string(enc)) ||
		    (strcmp(en, "utf8") && strcmp(en, "base64") &&
		     strcmp(en, "hex"))) {
			api_err_set(e, 400, field, "'%s' must be \"utf8\", "
				    "\"base64\" or \"hex\"", field);
			return false;
		}
		snprintf(field, sizeof(field), "files[%zu].name", i);
		if (name && !json_is_null(name) && !json_is_string(name)) {
			api_err_set(e, 400, field, "'%s' must be a string",
				    field);
			return false;
		}
		if (rules_add_file(j, i, json_string_value(name),
				   json_string_length(name), en,
				   json_string_value(content),
				   json_string_length(content), e))
			return false;
	}
	return true;
}

static bool parse_rest(const struct api_ctx *ctx, json_t *body,
		       struct batch_job *j, struct api_err *e)
{
	json_t *in = json_object_get(body, "stdin");
	json_t *args = json_object_get(body, "args");
	json_t *flags = json_object_get(body, "compile_flags");
	json_t *tests = json_object_get(body, "tests");
	struct limits max;
	json_t *a;
	size_t i;

	if (in && !json_is_null(in) && !json_is_string(in)) {
		api_err_set(e, 400, "stdin", "'stdin' must be a string");
		return false;
	}
	if (args && !json_is_null(args)) {
		if (!json_is_array(args) ||
		    json_array_size(args) > RULES_MAX_ARGS) {
			api_err_set(e, 400, "args", "'args' must be an array of "
				    "at most %d strings", RULES_MAX_ARGS);
			return false;
		}
		json_array_foreach(args, i, a) {
			if (!json_is_string(a) ||
			    strlen(json_string_value(a)) != json_string_length(a)) {
				char field[32];
				snprintf(field, sizeof(field), "args[%zu]", i);
				api_err_set(e, 400, field, "'%s' must be a string "
					    "without NUL", field);
				return false;
			}
			if (batch_add_arg(j, json_string_value(a)))
				goto out_nomem;
		}
	}
	if (flags && !json_is_null(flags)) {
		if (!json_is_string(flags) || json_string_length(flags) > 1024 ||
		    strlen(json_string_value(flags)) != json_string_length(flags)) {
			api_err_set(e, 400, "compile_flags", "'compile_flags' must "
				    "be a string of at most 1024 bytes");
			return false;
		}
		if (!j->lang->compile && json_string_length(flags)) {
			api_err_set(e, 400, "compile_flags", "'%s' has no compile "
				    "step", j->lang->id);
			return false;
		}
		/* only flags that cannot run a program of the user's with
		 * the compiler's limits (docs/operations.md) */
		char bad[64];
		if (lang_flags_check(j->lang, json_string_value(flags), bad,
				     sizeof(bad))) {
			api_err_set(e, 400, "compile_flags", "'%s' is not allowed "
				    "for %s (the allowed flags: GET "
				    "/api/languages, compile_flags)", bad,
				    j->lang->id);
			return false;
		}
		if (!(j->compile_flags = strdup(json_string_value(flags))))
			goto out_nomem;
	}
	rules_max(ctx, j->lang, false, &max);
	if (!parse_limits(json_object_get(body, "limits"), "limits", &max,
			  &j->limits, e))
		return false;
	rules_max(ctx, j->lang, true, &max);
	if (!parse_limits(json_object_get(body, "compile_limits"),
			  "compile_limits", &max, &j->compile_limits, e))
		return false;
	if (tests && !json_is_null(tests)) {
		json_t *t;
		if (!json_is_array(tests) || !json_array_size(tests) ||
		    json_array_size(tests) > RULES_MAX_CASES) {
			api_err_set(e, 400, "tests", "'tests' must be an array of "
				    "1 to %d objects", RULES_MAX_CASES);
			return false;
		}
		json_array_foreach(tests, i, t) {
			char field[48];
			json_t *ti = json_object_get(t, "stdin");
			json_t *te = json_object_get(t, "expected_output");
			snprintf(field, sizeof(field), "tests[%zu]", i);
			if (!json_is_object(t) ||
			    (ti && !json_is_null(ti) && !json_is_string(ti)) ||
			    (te && !json_is_null(te) && !json_is_string(te))) {
				api_err_set(e, 400, field, "'%s' must be an object "
					    "{stdin?: string, expected_output?: "
					    "string}", field);
				return false;
			}
			if (batch_add_case(j, json_string_value(ti) ?
					   json_string_value(ti) : "",
					   json_string_length(ti),
					   json_string_value(te),
					   json_string_length(te)))
				goto out_nomem;
		}
		j->tests = true;
		return true;
	}
	if (batch_add_case(j, json_is_string(in) ? json_string_value(in) : "",
			   json_is_string(in) ? json_string_length(in) : 0,
			   NULL, 0))
		goto out_nomem;
	return true;
out_nomem:
	api_err_set(e, 500, NULL, "out of memory");
	return false;
}

struct batch_job *parse_runs(const struct api_ctx *ctx, json_t *body,
			     struct api_err *e)
{
	const struct lang *l;
	struct batch_job *j;
	const char *k;
	json_t *v;

	if (!json_is_object(body)) {
		api_err_set(e, 400, NULL, "the body must be a JSON object");
		return NULL;
	}
	json_object_foreach(body, k, v) {
		size_t i;
		for (i = 0; known_fields[i]; i++)
			if (!strcmp(k, known_fields[i]))
				break;
		if (!known_fields[i]) {
			api_err_set(e, 400, k, "unknown field '%.64s'", k);
			return NULL;
		}
	}
	if (!(l = find_lang(ctx, body, e)))
		return NULL;
	if (!(j = batch_job_new(l))) {
		api_err_set(e, 500, NULL, "out of memory");
		return NULL;
	}
	if (!parse_files(body, j, e) || !parse_rest(ctx, body, j, e)) {
		batch_job_free(j);
		return NULL;
	}
	return j;
}
