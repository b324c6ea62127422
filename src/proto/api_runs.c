/*
 * api_runs.c - the native batch API (docs/api.md).
 *
 *   POST /api/runs   {language, version?, code | files[], stdin?, args?,
 *                     compile_flags?, limits?, compile_limits?, tests?}
 *
 * Parses and validates the request (every problem is a 400 naming the
 * field), hands it to batch.c, and maps the result: per step (compile,
 * run) status, exit code, signal, output (stdout, stderr, interleaved),
 * times, memory and truncation flags; with 'tests', one run per case
 * (compiled once) and whether its output matched.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lib/semver.h"
#include "net/conn.h"
#include "net/http.h"
#include "proto/api.h"
#include "proto/app.h"
#include "proto/batch.h"
#include "proto/report.h"
#include "run/cache.h"

#define MAX_FILES 64
#define MAX_ARGS 256
#define MAX_TESTS 64

static json_t *step_json(const struct run_step_result *s,
			 const struct batch_out *o)
{
	return json_pack(
		"{s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:b, s:b, s:I, s:I, s:I}",
		"status", run_status_name(s->status),
		"exit_code", s->exit_code >= 0 ? json_integer(s->exit_code)
					       : json_null(),
		"signal", report_signal(s->signal),
		"message", s->message,
		"stdout", report_text(&o->b[RUN_STDOUT]),
		"stderr", report_text(&o->b[RUN_STDERR]),
		"output", report_text(&o->b[0]),
		"stdout_truncated", s->truncated[RUN_STDOUT],
		"stderr_truncated", s->truncated[RUN_STDERR],
		"cpu_ms", (json_int_t)s->cpu_ms,
		"wall_ms", (json_int_t)s->wall_ms,
		"memory_bytes", (json_int_t)s->memory_bytes);
}

static json_t *compile_json(const struct batch_job *j)
{
	if (!j->lang->compile)
		return json_null();
	if (j->have_compile) {
		json_t *o = step_json(&j->compile_res.compile, &j->compile_out);
		json_object_set_new(o, "cached", json_false());
		return o;
	}
	/* the artefact came from the cache: nothing ran */
	struct run_step_result s = { .status = RUN_OK, .exit_code = 0 };
	snprintf(s.message, sizeof(s.message), "compiled earlier (cache)");
	json_t *o = step_json(&s, &j->compile_out);
	json_object_set_new(o, "cached", json_true());
	return o;
}

static void on_done(struct conn *c, struct batch_job *j)
{
	const struct batch_case *first = &j->cases[0];
	const struct run_result *last = &j->cases[0].res;
	struct run_step_result s;
	unsigned passed = 0, failed = 0;
	bool compile_failed = first->res.status == RUN_COMPILE_ERROR;

	for (size_t i = 0; i < j->ncases; i++)
		if (j->cases[i].done)
			last = &j->cases[i].res;
	json_t *resp = json_pack("{s:s, s:s, s:s, s:s, s:o}",
				 "language", j->lang->id,
				 "version", j->lang->version,
				 "status", run_status_name(last->status),
				 "message", last->message,
				 "compile", compile_json(j));
	if (j->user) {	/* "tests" */
		json_t *arr = json_array();
		for (size_t i = 0; i < j->ncases; i++) {
			const struct batch_case *k = &j->cases[i];
			json_t *t = json_object();
			json_t *run = json_null();
			json_t *ok = json_null();
			if (k->done && k->res.ran) {
				run_main_step(&k->res, &s);
				run = step_json(&s, &k->out);
			}
			if (k->expected) {
				bool m = k->done && k->res.ran &&
					 k->res.status == RUN_OK &&
					 batch_output_matches(
						 k->out.b[RUN_STDOUT].data,
						 k->out.b[RUN_STDOUT].len,
						 k->expected, k->expected_len);
				ok = json_boolean(m);
				m ? passed++ : failed++;
			}
			json_object_set_new(t, "status", json_string(
				k->done ? run_status_name(k->res.status)
					: "not_run"));
			json_object_set_new(t, "passed", ok);
			json_object_set_new(t, "run", run);
			json_array_append_new(arr, t);
		}
		json_object_set_new(resp, "tests", arr);
		json_object_set_new(resp, "passed", json_integer(passed));
		json_object_set_new(resp, "failed", json_integer(failed));
	} else if (!compile_failed && first->res.ran) {
		run_main_step(&first->res, &s);
		json_object_set_new(resp, "run", step_json(&s, &first->out));
	} else {
		json_object_set_new(resp, "run", json_null());
	}
	if (last->start_error) {	/* cluster: refused once queued */
		json_decref(resp);
		http_reply_error(c, run_start_retryable(last->start_error) ? 503
				 : 500, NULL, "%s", run_start_error(last->start_error));
		return;
	}
	if (last->status == RUN_WORKER_LOST)	/* cluster: an error */
		json_object_set_new(resp, "error", json_string(last->message));
	http_reply_json(c, last->status == RUN_INTERNAL_ERROR ? 500 :
			   last->status == RUN_WORKER_LOST ? 503 : 200, resp);
}

/* A work dir file name the sandbox accepts. */
static bool name_ok(const char *s, size_t len)
{
	return len > 0 && len <= 255 && strlen(s) == len && !strchr(s, '/') &&
	       strcmp(s, ".") && strcmp(s, "..");
}

static const char *const limit_keys[] = {
	"wall_ms", "cpu_ms", "memory_bytes", "output_bytes", "pids", NULL,
};

/* Parses a limits object, every value in 1..max. false: answered 400. */
static bool parse_limits(struct conn *c, json_t *o, const char *what,
			 const struct limits *max, struct limits *out)
{
	const char *k;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (!o || json_is_null(o))
		return true;
	if (!json_is_object(o)) {
		http_reply_error(c, 400, what, "'%s' must be an object", what);
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
			http_reply_error(c, 400, field, "unknown limit '%s' (one "
					 "of wall_ms, cpu_ms, memory_bytes, "
					 "output_bytes, pids)", k);
			return false;
		}
		m = i == 0 ? max->wall_ms : i == 1 ? max->cpu_ms :
		    i == 2 ? max->memory_bytes : i == 3 ? max->output_bytes :
		    max->pids;
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			http_reply_error(c, 400, field, "'%s' must be a positive "
					 "integer", field);
			return false;
		}
		if ((uint64_t)json_integer_value(v) > m) {
			http_reply_error(c, 400, field, "'%s' is %lld, above this "
					 "server's maximum of %llu (a request may "
					 "lower limits, never raise them)", field,
					 (long long)json_integer_value(v),
					 (unsigned long long)m);
			return false;
		}
		uint64_t x = (uint64_t)json_integer_value(v);
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

/* Resolves 'language' (+ 'version'); false: answered 400. */
static const struct lang *find_lang(struct conn *c, json_t *body)
{
	json_t *lang = json_object_get(body, "language");
	json_t *ver = json_object_get(body, "version");
	const struct lang *l;
	char norm[64];

	if (!json_is_string(lang) || !json_string_length(lang)) {
		http_reply_error(c, 400, "language", "'language' is required "
				 "and must be a string (see GET /api/languages)");
		return NULL;
	}
	l = lang_find(app_of(c)->langs, json_string_value(lang));
	if (!l) {
		http_reply_error(c, 400, "language", "unknown language '%.64s' "
				 "(see GET /api/languages)",
				 json_string_value(lang));
		return NULL;
	}
	if (!l->available) {
		http_reply_error(c, 400, "language", "language '%s' is not "
				 "available on this server: %s", l->id,
				 l->why ? l->why : "not installed");
		return NULL;
	}
	if (ver && !json_is_null(ver)) {
		if (!json_is_string(ver)) {
			http_reply_error(c, 400, "version", "'version' must be a "
					 "string");
			return NULL;
		}
		semver_normalize(l->version, norm, sizeof(norm));
		if (strcmp(json_string_value(ver), l->version) &&
		    !semver_satisfies(norm, json_string_value(ver))) {
			http_reply_error(c, 400, "version", "'%s' is installed "
					 "at version %s, which does not match "
					 "'%.64s'", l->id, l->version,
					 json_string_value(ver));
			return NULL;
		}
	}
	return l;
}

static bool parse_files(struct conn *c, json_t *body, struct batch_job *j)
{
	json_t *code = json_object_get(body, "code");
	json_t *files = json_object_get(body, "files");
	json_t *f;
	size_t i;

	if (code && files) {
		http_reply_error(c, 400, "files", "send 'code' or 'files', not "
				 "both");
		return false;
	}
	if (code) {
		if (!json_is_string(code)) {
			http_reply_error(c, 400, "code", "'code' must be a string");
			return false;
		}
		return batch_add_file(j, j->lang->file, json_string_value(code),
				      json_string_length(code)) == 0;
	}
	if (!json_is_array(files) || !json_array_size(files)) {
		http_reply_error(c, 400, "files", "'code' (a string) or 'files' "
				 "(a non-empty array) is required");
		return false;
	}
	if (json_array_size(files) > MAX_FILES) {
		http_reply_error(c, 400, "files", "at most %d files", MAX_FILES);
		return false;
	}
	json_array_foreach(files, i, f) {
		char field[48];
		json_t *name = json_object_get(f, "name");
		json_t *content = json_object_get(f, "content");
		json_t *enc = json_object_get(f, "encoding");
		const char *e = json_is_string(enc) ? json_string_value(enc)
						    : "utf8";
		char *data = NULL;
		size_t len = 0;

		if (!json_is_object(f)) {
			snprintf(field, sizeof(field), "files[%zu]", i);
			http_reply_error(c, 400, field, "'%s' must be an object",
					 field);
			return false;
		}
		snprintf(field, sizeof(field), "files[%zu].content", i);
		if (!json_is_string(content)) {
			http_reply_error(c, 400, field, "'%s' is required and "
					 "must be a string", field);
			return false;
		}
		snprintf(field, sizeof(field), "files[%zu].encoding", i);
		if ((enc && !json_is_null(enc) && !json_is_string(enc)) ||
		    (strcmp(e, "utf8") && strcmp(e, "base64") &&
		     strcmp(e, "hex"))) {
			http_reply_error(c, 400, field, "'%s' must be \"utf8\", "
					 "\"base64\" or \"hex\"", field);
			return false;
		}
		snprintf(field, sizeof(field), "files[%zu].name", i);
		if (name && !json_is_null(name) &&
		    (!json_is_string(name) ||
		     !name_ok(json_string_value(name), json_string_length(name)))) {
			http_reply_error(c, 400, field, "'%s' must be a plain file "
					 "name (no '/', at most 255 bytes)", field);
			return false;
		}
		if (i > 0 && !json_is_string(name)) {
			http_reply_error(c, 400, field, "'%s' is required for every "
					 "file but the first (the entry point)",
					 field);
			return false;
		}
		const char *fname = i ? json_string_value(name) : j->lang->file;
		for (size_t k = 0; k < j->nfiles; k++)
			if (!strcmp(j->files[k].name, fname)) {
				http_reply_error(c, 400, field, "two files named "
						 "'%s' (the first file is "
						 "written as '%s')", fname,
						 j->lang->file);
				return false;
			}
		if (strcmp(e, "utf8")) {
			snprintf(field, sizeof(field), "files[%zu].content", i);
			if (batch_decode(e, json_string_value(content),
					 json_string_length(content), &data,
					 &len)) {
				http_reply_error(c, 400, field, "'%s' is not valid "
						 "%s", field, e);
				return false;
			}
			int err = batch_add_file(j, fname, data, len);
			free(data);
			if (err)
				return false;
		} else if (batch_add_file(j, fname, json_string_value(content),
					  json_string_length(content))) {
			return false;
		}
	}
	return true;
}

static bool parse_rest(struct conn *c, json_t *body, struct batch_job *j)
{
	json_t *in = json_object_get(body, "stdin");
	json_t *args = json_object_get(body, "args");
	json_t *flags = json_object_get(body, "compile_flags");
	json_t *tests = json_object_get(body, "tests");
	struct run_engine *e = app_of(c)->engine;
	struct limits max;
	json_t *a;
	size_t i;

	if (in && !json_is_null(in) && !json_is_string(in)) {
		http_reply_error(c, 400, "stdin", "'stdin' must be a string");
		return false;
	}
	if (args && !json_is_null(args)) {
		if (!json_is_array(args) || json_array_size(args) > MAX_ARGS) {
			http_reply_error(c, 400, "args", "'args' must be an array "
					 "of at most %d strings", MAX_ARGS);
			return false;
		}
		json_array_foreach(args, i, a) {
			if (!json_is_string(a) ||
			    strlen(json_string_value(a)) != json_string_length(a)) {
				char field[32];
				snprintf(field, sizeof(field), "args[%zu]", i);
				http_reply_error(c, 400, field, "'%s' must be a "
						 "string without NUL", field);
				return false;
			}
			if (batch_add_arg(j, json_string_value(a)))
				return false;
		}
	}
	if (flags && !json_is_null(flags)) {
		if (!json_is_string(flags) || json_string_length(flags) > 1024 ||
		    strlen(json_string_value(flags)) != json_string_length(flags)) {
			http_reply_error(c, 400, "compile_flags", "'compile_flags' "
					 "must be a string of at most 1024 bytes");
			return false;
		}
		if (!j->lang->compile && json_string_length(flags)) {
			http_reply_error(c, 400, "compile_flags", "'%s' has no "
					 "compile step", j->lang->id);
			return false;
		}
		j->compile_flags = strdup(json_string_value(flags));
	}
	run_step_limits(e, j->lang, RUN_PIPES, RUN_STEP_RUN, NULL, &max);
	if (!parse_limits(c, json_object_get(body, "limits"), "limits", &max,
			  &j->limits))
		return false;
	run_step_limits(e, j->lang, RUN_PIPES, RUN_STEP_COMPILE, NULL, &max);
	if (!parse_limits(c, json_object_get(body, "compile_limits"),
			  "compile_limits", &max, &j->compile_limits))
		return false;
	if (tests && !json_is_null(tests)) {
		json_t *t;
		if (!json_is_array(tests) || !json_array_size(tests) ||
		    json_array_size(tests) > MAX_TESTS) {
			http_reply_error(c, 400, "tests", "'tests' must be an array "
					 "of 1 to %d objects", MAX_TESTS);
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
				http_reply_error(c, 400, field, "'%s' must be an "
						 "object {stdin?: string, "
						 "expected_output?: string}",
						 field);
				return false;
			}
			if (batch_add_case(j, json_string_value(ti) ?
					   json_string_value(ti) : "",
					   json_string_length(ti),
					   json_string_value(te),
					   json_string_length(te)))
				return false;
		}
		j->user = j;	/* marks "tests" */
		return true;
	}
	return batch_add_case(j, json_is_string(in) ? json_string_value(in) : "",
			      json_is_string(in) ? json_string_length(in) : 0,
			      NULL, 0) == 0;
}

void api_runs(struct conn *c)
{
	const struct lang *l;
	struct batch_job *j = NULL;
	json_t *body, *v;
	const char *k;
	int err;

	if (!app_authorized(c))
		return;
	if (!(body = http_body_json(c)))
		return;
	json_object_foreach(body, k, v) {
		size_t i;
		for (i = 0; known_fields[i]; i++)
			if (!strcmp(k, known_fields[i]))
				break;
		if (!known_fields[i]) {
			http_reply_error(c, 400, k, "unknown field '%.64s'", k);
			goto out;
		}
	}
	if (!(l = find_lang(c, body)))
		goto out;
	if (!(j = batch_job_new(l, on_done))) {
		http_reply_error(c, 500, NULL, "out of memory");
		goto out;
	}
	if (!parse_files(c, body, j) || !parse_rest(c, body, j)) {
		if (!c->http->answered)
			http_reply_error(c, 500, NULL, "out of memory");
		batch_job_free(j);
		goto out;
	}
	err = batch_start(c, j);	/* the request owns j now */
	if ((err == -EBUSY || err == -EAGAIN) && !app_of(c)->cluster)
		http_reply_error(c, 503, NULL, "the server is busy (%u runs "
				 "waiting); retry shortly",
				 app_of(c)->engine->queued);
	else if (run_start_retryable(err))
		http_reply_error(c, 503, NULL, "%s", run_start_error(err));
	else if (err == -EINVAL)
		http_reply_error(c, 400, "files", "the files cannot be written "
				 "(duplicate or invalid names)");
	else if (err)
		http_reply_error(c, 500, NULL, "cannot start the run: %s",
				 run_start_error(err));
out:
	json_decref(body);
}
