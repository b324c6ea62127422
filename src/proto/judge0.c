/*
 * judge0.c - Judge0 CE 1.13's request, result and response shapes.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base64.h"
#include "lib/utf8.h"
#include "proto/judge0.h"
#include "run/run.h"
#include "store/store_judge0.h"

static const char *const status_names[] = {
	"", "In Queue", "Processing", "Accepted", "Wrong Answer",
	"Time Limit Exceeded", "Compilation Error", "Runtime Error (SIGSEGV)",
	"Runtime Error (SIGXFSZ)", "Runtime Error (SIGFPE)",
	"Runtime Error (SIGABRT)", "Runtime Error (NZEC)",
	"Runtime Error (Other)", "Internal Error", "Exec Format Error",
};

const char *judge0_status_name(int id)
{
	return id >= 1 && id <= J0_STATUS_MAX ? status_names[id] : "";
}

/* ---- configuration --------------------------------------------------- */

static double dmin(double a, double b) { return a < b ? a : b; }
static int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

void judge0_config_init(struct judge0_config *c, const struct api_ctx *ctx)
{
	const struct limits *m = &ctx->engine->max_pipes;

	memset(c, 0, sizeof(*c));
	/* Judge0's defaults and maxima (app/helpers/config.rb), lowered to
	 * what this server allows */
	c->max_cpu_time_limit = dmin(15, (double)m->cpu_ms / 1000);
	c->max_cpu_extra_time = 5;
	c->max_wall_time_limit = dmin(20, (double)m->wall_ms / 1000);
	c->cpu_time_limit = dmin(5, c->max_cpu_time_limit);
	c->cpu_extra_time = 1;
	c->wall_time_limit = dmin(10, c->max_wall_time_limit);
	c->max_memory_limit = imin(512000, (int64_t)(m->memory_bytes / 1024));
	c->memory_limit = imin(128000, c->max_memory_limit);
	c->max_stack_limit = 128000;
	c->stack_limit = 64000;
	c->max_max_processes_and_or_threads = imin(120, m->pids);
	c->max_processes_and_or_threads =
		imin(60, c->max_max_processes_and_or_threads);
	c->max_max_file_size = imin(4096, (int64_t)(m->output_bytes / 1024));
	c->max_file_size = imin(1024, c->max_max_file_size);
	c->number_of_runs = 1;
	c->max_number_of_runs = 20;
	c->max_submission_batch_size = 20;
	c->max_queue_size = ctx->engine->q[RUN_BATCH].queue_max;
}

json_t *judge0_config_json(const struct judge0_config *c)
{
	json_t *j = json_object();

#define B(k, v) json_object_set_new(j, k, json_boolean(v))
#define I(k, v) json_object_set_new(j, k, json_integer(v))
#define R(k, v) json_object_set_new(j, k, json_real(v))
	B("maintenance_mode", false);
	B("enable_wait_result", true);
	B("enable_compiler_options", true);
	json_object_set_new(j, "allowed_languages_for_compile_options",
			    json_array());
	B("enable_command_line_arguments", true);
	B("enable_submission_delete", true);
	B("enable_callbacks", c->enable_callbacks);
	I("callbacks_max_tries", 3);
	R("callbacks_timeout", 5.0);
	B("enable_additional_files", false);
	I("max_queue_size", c->max_queue_size);
	R("cpu_time_limit", c->cpu_time_limit);
	R("max_cpu_time_limit", c->max_cpu_time_limit);
	R("cpu_extra_time", c->cpu_extra_time);
	R("max_cpu_extra_time", c->max_cpu_extra_time);
	R("wall_time_limit", c->wall_time_limit);
	R("max_wall_time_limit", c->max_wall_time_limit);
	I("memory_limit", c->memory_limit);
	I("max_memory_limit", c->max_memory_limit);
	I("stack_limit", c->stack_limit);
	I("max_stack_limit", c->max_stack_limit);
	I("max_processes_and_or_threads", c->max_processes_and_or_threads);
	I("max_max_processes_and_or_threads",
	  c->max_max_processes_and_or_threads);
	B("enable_per_process_and_thread_time_limit", false);
	B("allow_enable_per_process_and_thread_time_limit", false);
	B("enable_per_process_and_thread_memory_limit", false);
	B("allow_enable_per_process_and_thread_memory_limit", false);
	I("max_file_size", c->max_file_size);
	I("max_max_file_size", c->max_max_file_size);
	I("number_of_runs", c->number_of_runs);
	I("max_number_of_runs", c->max_number_of_runs);
	B("redirect_stderr_to_stdout", false);
	I("max_extract_size", 0);
	B("enable_batched_submissions", true);
	I("max_submission_batch_size", c->max_submission_batch_size);
	R("submission_cache_duration", 0);
	B("use_docs_as_homepage", false);
	B("allow_enable_network", false);
	B("enable_network", false);
#undef B
#undef I
#undef R
	return j;
}

/* ---- small formats --------------------------------------------------- */

/* A Ruby Float#to_s of a limit: "15.0", "0.5" */
static void ruby_float(double v, char *out, size_t len)
{
	snprintf(out, len, "%.15g", v);
	if (!strpbrk(out, ".en"))
		strncat(out, ".0", len - strlen(out) - 1);
}

void judge0_decimal(double secs, char *out, size_t len)
{
	char *p;

	snprintf(out, len, "%.3f", secs);
	p = out + strlen(out) - 1;
	while (p > out && *p == '0' && p[-1] != '.')
		*p-- = '\0';
}

void judge0_time(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03dZ", buf, (int)(ms % 1000));
}

char **judge0_split_args(const char *s)
{
	size_t cap = 8, n = 0;
	char **v = calloc(cap, sizeof(*v));
	char *w = malloc(strlen(s ? s : "") + 1);
	size_t wl = 0;
	bool in_word = false;
	char q = 0;

	if (!v || !w)
		goto out_nomem;
	for (const char *p = s ? s : ""; ; p++) {
		char ch = *p;
		if (ch && strchr("$&;<>|`", ch))
			continue;	/* Judge0 removes these */
		if (!ch || (!q && (ch == ' ' || ch == '\t' || ch == '\n'))) {
			if (in_word) {
				w[wl] = '\0';
				if (n + 2 > cap) {
					char **nv = realloc(v, 2 * cap *
							    sizeof(*v));
					if (!nv)
						goto out_nomem;
					v = nv;
					cap *= 2;
				}
				if (!(v[n++] = strdup(w)))
					goto out_nomem;
				v[n] = NULL;
				wl = 0;
				in_word = false;
			}
			if (!ch)
				break;
			continue;
		}
		in_word = true;
		if (q) {
			if (ch == q)
				q = 0;
			else if (ch == '\\' && q == '"' && p[1])
				w[wl++] = *++p;
			else
				w[wl++] = ch;
		} else if (ch == '\'' || ch == '"') {
			q = ch;
		} else if (ch == '\\' && p[1]) {
			w[wl++] = *++p;
		} else {
			w[wl++] = ch;
		}
	}
	free(w);
	return v;
out_nomem:
	free(w);
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
	return NULL;
}

/* ---- languages ------------------------------------------------------- */

const struct lang *judge0_lang(const struct lang_table *t, int id)
{
	for (size_t i = 0; id > 0 && i < t->n; i++)
		if (t->v[i].judge0_id == id && t->v[i].available)
			return &t->v[i];
	return NULL;
}

void judge0_lang_name(const struct lang *l, char *out, size_t len)
{
	const char *t = l->judge0_name && *l->judge0_name ? l->judge0_name
							  : NULL;
	size_t o = 0;

	if (!t) {
		snprintf(out, len, "%s (%s)", l->name,
			 *l->version ? l->version : "unknown");
		return;
	}
	for (const char *p = t; *p && o + 1 < len;) {
		if (!strncmp(p, "{version}", 9)) {
			o += (size_t)snprintf(out + o, len - o, "%s",
					      *l->version ? l->version
							  : "unknown");
			if (o >= len)
				o = len - 1;
			p += 9;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

static json_t *argv_text(char **v)
{
	char buf[2048];
	size_t o = 0;

	if (!v)
		return json_null();
	for (char **p = v; *p && o < sizeof(buf); p++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
				      p == v ? "" : " ", *p);
	buf[sizeof(buf) - 1] = '\0';
	buf[utf8_valid_prefix(buf, strlen(buf))] = '\0';
	return json_string(buf);
}

json_t *judge0_lang_json(const struct lang *l)
{
	char name[128];

	judge0_lang_name(l, name, sizeof(name));
	return json_pack("{s:i, s:s, s:b, s:s, s:o, s:o}", "id", l->judge0_id,
			 "name", name, "is_archived", 0, "source_file", l->file,
			 "compile_cmd", argv_text(l->compile),
			 "run_cmd", argv_text(l->run));
}

/* ---- parsing --------------------------------------------------------- */

void judge0_sub_release(struct judge0_sub *s)
{
	for (int i = 0; i < J0_NTEXT; i++)
		free(s->text[i].p);
	free(s->compiler_options);
	free(s->command_line_arguments);
	free(s->callback_url);
	free(s->message);
	memset(s, 0, sizeof(*s));
}

static int dup_opt(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

int judge0_sub_copy(struct judge0_sub *dst, const struct judge0_sub *src)
{
	*dst = *src;
	dst->compiler_options = dst->command_line_arguments = NULL;
	dst->callback_url = dst->message = NULL;
	for (int i = 0; i < J0_NTEXT; i++)
		dst->text[i] = (struct judge0_bytes){ NULL, 0 };
	for (int i = 0; i < J0_NTEXT; i++) {
		if (!src->text[i].p)
			continue;
		if (!(dst->text[i].p = malloc(src->text[i].n + 1)))
			goto out_nomem;
		memcpy(dst->text[i].p, src->text[i].p, src->text[i].n + 1);
		dst->text[i].n = src->text[i].n;
	}
	if (dup_opt(&dst->compiler_options, src->compiler_options) ||
	    dup_opt(&dst->command_line_arguments,
		    src->command_line_arguments) ||
	    dup_opt(&dst->callback_url, src->callback_url) ||
	    dup_opt(&dst->message, src->message))
		goto out_nomem;
	return 0;
out_nomem:
	judge0_sub_release(dst);
	return -ENOMEM;
}

/* Rails' validation errors: {"field": ["message", ...]} */
static void add_error(json_t *errors, struct api_err *e, const char *field,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add_error(json_t *errors, struct api_err *e, const char *field,
		      const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg[utf8_valid_prefix(msg, strlen(msg))] = '\0';
	if (!e->status)
		api_err_set(e, 422, field, "%s %s", field, msg);
	json_t *a = json_object_get(errors, field);
	if (!a) {
		a = json_array();
		json_object_set_new(errors, field, a);
	}
	json_array_append_new(a, json_string(msg));
}

/* A numeric attribute as Rails casts it: a number or a numeric string;
 * null, "" or absent: not given. False with "is not a number". */
static bool number(json_t *body, const char *key, bool *given, double *out,
		   json_t *errors, struct api_err *e)
{
	json_t *v = json_object_get(body, key);

	*given = false;
	if (!v || json_is_null(v))
		return true;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		while (*s == ' ')
			s++;
		if (!*s)
			return true;
		double d = strtod(s, &end);
		while (*end == ' ')
			end++;
		if (*end || !isfinite(d)) {
			add_error(errors, e, key, "is not a number");
			return false;
		}
		*out = d;
		*given = true;
		return true;
	}
	if (!json_is_number(v)) {
		add_error(errors, e, key, "is not a number");
		return false;
	}
	*out = json_number_value(v);
	*given = true;
	return true;
}

/* One numeric limit with Judge0's bounds: lo (inclusive unless 'gt'), hi
 * (inclusive); 'def' when not given. */
static void limit(json_t *body, const char *key, double lo, bool gt,
		  double hi, bool integer, double def, double *out,
		  json_t *errors, struct api_err *e)
{
	bool given;
	double v = def;
	char h[32], l[32];

	*out = def;
	if (!number(body, key, &given, &v, errors, e) || !given)
		return;
	if (integer) {
		v = trunc(v);	/* an integer column casts */
		snprintf(h, sizeof(h), "%.0f", hi);
		snprintf(l, sizeof(l), "%.0f", lo);
	} else {
		ruby_float(hi, h, sizeof(h));
		ruby_float(lo, l, sizeof(l));
	}
	if (gt ? !(v > lo) : !(v >= lo))
		add_error(errors, e, key, "must be greater than %s%s",
			  gt ? "" : "or equal to ", l);
	else if (!(v <= hi))
		add_error(errors, e, key, "must be less than or equal to %s", h);
	*out = v;
}

/* A text attribute: a string (decoded when base64), or null. */
static int text(json_t *body, const char *key, bool base64,
		struct judge0_bytes *out, json_t *errors, struct api_err *e)
{
	json_t *v = json_object_get(body, key);
	const char *s;
	size_t n;

	out->p = NULL;
	out->n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
	} else if (json_is_number(v) || json_is_boolean(v)) {
		/* Rails keeps a text column's value as its JSON text */
		char *d = json_dumps(v, JSON_ENCODE_ANY);
		if (!d)
			return -ENOMEM;
		out->p = d;
		out->n = strlen(d);
		return 0;
	} else {
		add_error(errors, e, key, "is invalid");
		return 0;
	}
	if (base64) {
		int err = base64_decode(s, n, false, &out->p, &out->n);
		if (err == -ENOMEM)
			return err;
		if (err) {
			/* Ruby's decode64 skips what is not Base64; a body
			 * that is not Base64 at all is an error here */
			add_error(errors, e, key, "is not valid Base64 "
				  "(base64_encoded=true)");
			out->p = NULL;
			out->n = 0;
		}
		return 0;
	}
	if (!(out->p = malloc(n + 1)))
		return -ENOMEM;
	memcpy(out->p, s, n);
	out->p[n] = '\0';
	out->n = n;
	return 0;
}

/* Characters (code points) of valid UTF-8. */
static size_t chars(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* A short string attribute (compiler_options...), max 512 characters. */
static int string(json_t *body, const char *key, char **out, json_t *errors,
		  struct api_err *e)
{
	json_t *v = json_object_get(body, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		add_error(errors, e, key, "is invalid");
		return 0;
	}
	if (chars(json_string_value(v), json_string_length(v)) > 512) {
		add_error(errors, e, key, "is too long (maximum is 512 "
			  "characters)");
		return 0;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		add_error(errors, e, key, "is invalid");
		return 0;
	}
	if (!(*out = strdup(json_string_value(v))))
		return -ENOMEM;
	return 0;
}

/* A boolean attribute as Rails casts it: true/false, "true"/"false",
 * 1/0, "1"/"0"; null: default. */
static bool boolean(json_t *body, const char *key, bool def)
{
	json_t *v = json_object_get(body, key);
	const char *s = json_string_value(v);

	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (s && *s)
		return strcmp(s, "false") && strcmp(s, "0") && strcmp(s, "f") &&
		       strcmp(s, "off") && strcmp(s, "F") && strcmp(s, "FALSE");
	return def;
}

static bool blank(const struct judge0_bytes *b)
{
	if (!b->p)
		return true;
	for (size_t i = 0; i < b->n; i++)
		if (!strchr(" \t\n\r\f\v", b->p[i]))
			return false;
	return true;
}

int judge0_parse(const struct api_ctx *ctx, const struct judge0_config *cfg,
		 json_t *body, bool base64, struct judge0_sub *s,
		 json_t **errors, struct api_err *e)
{
	json_t *errs = json_object();
	double d;
	bool given;
	int err = 0;

	memset(s, 0, sizeof(*s));
	memset(e, 0, sizeof(*e));
	*errors = NULL;
	if (!errs)
		return -ENOMEM;
	if (!json_is_object(body)) {
		add_error(errs, e, "submission", "must be a JSON object");
		goto out_invalid;
	}
	if ((err = text(body, "source_code", base64, &s->text[J0_SOURCE],
			errs, e)) ||
	    (err = text(body, "stdin", base64, &s->text[J0_STDIN], errs, e)) ||
	    (err = text(body, "expected_output", base64,
			&s->text[J0_EXPECTED], errs, e)))
		goto out_err;
	if (blank(&s->text[J0_SOURCE]) && !json_object_get(errs, "source_code"))
		add_error(errs, e, "source_code", "can't be blank");
	if (number(body, "language_id", &given, &d, errs, e)) {
		if (!given)
			add_error(errs, e, "language_id", "can't be blank");
		else if (d != trunc(d) || d < 1 || d > 1e9 ||
			 !(s->lang = judge0_lang(ctx->langs, (int)d)))
			add_error(errs, e, "language_id", "language with id %.15g "
				  "doesn't exist", d);
		if (given && d == trunc(d) && fabs(d) < 1e9)
			s->language_id = (int)d;
	}
	double v;
	limit(body, "number_of_runs", 0, true, (double)cfg->max_number_of_runs,
	      true, (double)cfg->number_of_runs, &v, errs, e);
	s->number_of_runs = (int64_t)v;
	limit(body, "cpu_time_limit", 0, false, cfg->max_cpu_time_limit, false,
	      cfg->cpu_time_limit, &s->cpu_time_limit, errs, e);
	limit(body, "cpu_extra_time", 0, false, cfg->max_cpu_extra_time, false,
	      cfg->cpu_extra_time, &s->cpu_extra_time, errs, e);
	limit(body, "wall_time_limit", 1, false, cfg->max_wall_time_limit,
	      false, cfg->wall_time_limit, &s->wall_time_limit, errs, e);
	limit(body, "memory_limit", 2048, false, (double)cfg->max_memory_limit,
	      true, (double)cfg->memory_limit, &v, errs, e);
	s->memory_limit = (int64_t)v;
	limit(body, "stack_limit", 0, false, (double)cfg->max_stack_limit, true,
	      (double)cfg->stack_limit, &v, errs, e);
	s->stack_limit = (int64_t)v;
	/* the JVM needs more threads than Judge0's default of 60 */
	double pdef = (double)cfg->max_processes_and_or_threads;
	if (s->lang && s->lang->limits.pids &&
	    s->lang->limits.pids > cfg->max_processes_and_or_threads)
		pdef = (double)s->lang->limits.pids;
	limit(body, "max_processes_and_or_threads", 0, true,
	      pdef > (double)cfg->max_max_processes_and_or_threads ? pdef :
	      (double)cfg->max_max_processes_and_or_threads, true, pdef, &v,
	      errs, e);
	s->max_processes_and_or_threads = (int64_t)v;
	limit(body, "max_file_size", 0, false, (double)cfg->max_max_file_size,
	      true, (double)cfg->max_file_size, &v, errs, e);
	s->max_file_size = (int64_t)v;
	s->per_process_time = boolean(body,
		"enable_per_process_and_thread_time_limit", false);
	s->per_process_memory = boolean(body,
		"enable_per_process_and_thread_memory_limit", false);
	if (s->per_process_time)
		add_error(errs, e, "enable_per_process_and_thread_time_limit",
			  "this option cannot be enabled");
	if (s->per_process_memory)
		add_error(errs, e, "enable_per_process_and_thread_memory_limit",
			  "this option cannot be enabled");
	s->redirect_stderr_to_stdout = boolean(body,
		"redirect_stderr_to_stdout", false);
	s->enable_network = boolean(body, "enable_network", false);
	if (s->enable_network)
		add_error(errs, e, "enable_network", "enabling network is not "
			  "allowed");
	if ((err = string(body, "compiler_options", &s->compiler_options, errs,
			  e)) ||
	    (err = string(body, "command_line_arguments",
			  &s->command_line_arguments, errs, e)))
		goto out_err;
	if (s->compiler_options && *s->compiler_options && s->lang &&
	    !s->lang->compile)
		add_error(errs, e, "compiler_options", "setting compiler options "
			  "is only allowed for compiled languages");
	else if (s->compiler_options && s->lang && s->lang->compile) {
		/* the flags the compiler would get (judge0_job() drops the
		 * shell's characters): only the language's allowed ones, so
		 * none of them runs a program with the compile limits */
		char bad[64], *f = strdup(s->compiler_options), *o = f;
		if (!f)
			goto out_nomem;
		for (char *p = f; *p; p++)
			if (!strchr("$&;<>|`", *p))
				*o++ = *p;
		*o = '\0';
		if (lang_flags_check(s->lang, f, bad, sizeof(bad)))
			add_error(errs, e, "compiler_options", "'%s' is not "
				  "allowed for %s (the allowed flags: GET "
				  "/api/languages, compile_flags)", bad,
				  s->lang->id);
		free(f);
	}
	json_t *cb = json_object_get(body, "callback_url");
	if (cb && !json_is_null(cb) &&
	    (!json_is_string(cb) || json_string_length(cb))) {
		if (!cfg->enable_callbacks)
			add_error(errs, e, "callback_url", "setting callback is "
				  "not allowed");
		else if (!json_is_string(cb) || json_string_length(cb) > 2048 ||
			 strlen(json_string_value(cb)) != json_string_length(cb))
			add_error(errs, e, "callback_url", "is invalid");
		else if (!(s->callback_url = strdup(json_string_value(cb))))
			goto out_nomem;
	}
	json_t *af = json_object_get(body, "additional_files");
	if (af && !json_is_null(af) &&
	    (!json_is_string(af) || json_string_length(af)))
		add_error(errs, e, "additional_files", "setting additional "
			  "files is not allowed");
	if (json_object_size(errs))
		goto out_invalid;
	json_decref(errs);
	s->status_id = J0_IN_QUEUE;
	return 0;
out_invalid:
	*errors = errs;
	judge0_sub_release(s);
	if (!e->status)
		api_err_set(e, 422, NULL, "invalid submission");
	return -EINVAL;
out_nomem:
	err = -ENOMEM;
out_err:
	json_decref(errs);
	judge0_sub_release(s);
	api_err_set(e, 500, NULL, "out of memory");
	return err;
}

/* ---- the job and its result ------------------------------------------ */

static uint64_t cap(uint64_t v, uint64_t max)
{
	if (v < 1)
		v = 1;
	return max && v > max ? max : v;
}

struct batch_job *judge0_job(const struct api_ctx *ctx,
			     const struct judge0_sub *s)
{
	struct batch_job *j;
	struct limits max;
	struct api_err e;
	char **args = NULL;

	if (!s->lang || !(j = batch_job_new(s->lang)))
		return NULL;
	if (rules_add_file(j, 0, NULL, 0, "utf8", s->text[J0_SOURCE].p ?
			   s->text[J0_SOURCE].p : "", s->text[J0_SOURCE].n, &e))
		goto fail;
	rules_max(ctx, s->lang, false, &max);
	j->limits.cpu_ms = cap((uint64_t)ceil((s->cpu_time_limit +
					       s->cpu_extra_time) * 1000),
			       max.cpu_ms);
	j->limits.wall_ms = cap((uint64_t)ceil(s->wall_time_limit * 1000),
				max.wall_ms);
	j->limits.memory_bytes = cap((uint64_t)s->memory_limit * 1024,
				     max.memory_bytes);
	j->limits.pids = (uint32_t)cap((uint64_t)s->max_processes_and_or_threads,
				       max.pids);
	j->limits.output_bytes = cap((uint64_t)s->max_file_size * 1024,
				     max.output_bytes);
	if (s->compiler_options && s->lang->compile) {
		char *f = strdup(s->compiler_options), *o = f;
		if (!f)
			goto fail;
		for (char *p = f; *p; p++)	/* Judge0 removes these */
			if (!strchr("$&;<>|`", *p))
				*o++ = *p;
		*o = '\0';
		j->compile_flags = f;
	}
	if (!(args = judge0_split_args(s->command_line_arguments)))
		goto fail;
	for (char **a = args; *a; a++)
		if (batch_add_arg(j, *a))
			goto fail;
	for (int64_t i = 0; i < (s->number_of_runs > 0 ? s->number_of_runs : 1);
	     i++)
		if (batch_add_case(j, s->text[J0_STDIN].p ? s->text[J0_STDIN].p
							  : "",
				   s->text[J0_STDIN].n, s->text[J0_EXPECTED].p,
				   s->text[J0_EXPECTED].n))
			goto fail;
	for (char **a = args; *a; a++)
		free(*a);
	free(args);
	return j;
fail:
	for (char **a = args; a && *a; a++)
		free(*a);
	free(args);
	batch_job_free(j);
	return NULL;
}

static int set_bytes(struct judge0_bytes *b, const struct buf *src)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
	if (!src || !src->len)
		return 0;
	if (!(b->p = malloc(src->len + 1)))
		return -ENOMEM;
	memcpy(b->p, src->data, src->len);
	b->p[src->len] = '\0';
	b->n = src->len;
	return 0;
}

static int set_message(struct judge0_sub *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int set_message(struct judge0_sub *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	free(s->message);
	s->message = NULL;
	if (!fmt)
		return 0;
	va_start(ap, fmt);
	r = vasprintf(&s->message, fmt, ap);
	va_end(ap);
	if (r < 0) {
		s->message = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int by_signal(int sig)
{
	switch (sig) {
	case SIGSEGV: return J0_SIGSEGV;
	case SIGXFSZ: return J0_SIGXFSZ;
	case SIGFPE: return J0_SIGFPE;
	case SIGABRT: return J0_SIGABRT;
	default: return J0_OTHER;
	}
}

/* One run's status, exit code, signal and isolate's message. */
static int case_status(struct judge0_sub *s, const struct batch_case *k)
{
	struct run_step_result r;
	int st;

	run_main_step(&k->res, &r);
	s->has_exit_code = true;
	s->exit_code = 0;	/* Judge0: the exit code, or 0 */
	s->has_exit_signal = false;
	s->exit_signal = 0;
	switch (r.status) {
	case RUN_OK:
		st = !k->expected ||
		     batch_output_matches(k->out.b[RUN_STDOUT].data,
					  k->out.b[RUN_STDOUT].len, k->expected,
					  k->expected_len) ?
		     J0_ACCEPTED : J0_WRONG_ANSWER;
		set_message(s, NULL);
		break;
	case RUN_RUNTIME_ERROR:
		st = J0_NZEC;
		s->exit_code = r.exit_code;
		set_message(s, "Exited with error status %d", r.exit_code);
		break;
	case RUN_CPU_LIMIT:
	case RUN_WALL_LIMIT:
		st = J0_TLE;
		s->has_exit_signal = true;
		s->exit_signal = SIGKILL;
		set_message(s, r.status == RUN_CPU_LIMIT ? "Time limit exceeded"
			    : "Time limit exceeded (wall clock)");
		break;
	case RUN_OUTPUT_LIMIT:	/* Judge0's stdout is a file of max_file_size */
		st = J0_SIGXFSZ;
		s->has_exit_signal = true;
		s->exit_signal = SIGXFSZ;
		set_message(s, "Caught fatal signal %d", SIGXFSZ);
		break;
	case RUN_MEMORY_LIMIT:	/* the cgroup's OOM kill */
		st = J0_OTHER;
		s->has_exit_signal = true;
		s->exit_signal = r.signal ? r.signal : SIGKILL;
		set_message(s, "Caught fatal signal %d", s->exit_signal);
		break;
	case RUN_SIGNAL:
	case RUN_PIDS_LIMIT:
		if (!r.signal) {
			st = J0_NZEC;
			s->exit_code = r.exit_code;
			set_message(s, "Exited with error status %d",
				    r.exit_code);
			break;
		}
		st = by_signal(r.signal);
		s->has_exit_signal = true;
		s->exit_signal = r.signal;
		set_message(s, "Caught fatal signal %d", r.signal);
		break;
	default:	/* killed (shutdown), internal error */
		s->has_exit_code = false;
		set_message(s, "%s", r.message);
		return J0_INTERNAL;
	}
	/* isolate reports TO when the CPU time passed the limit, also when
	 * the program ended within the extra time */
	if (st != J0_TLE && (double)r.cpu_ms > s->cpu_time_limit * 1000) {
		st = J0_TLE;
		set_message(s, "Time limit exceeded");
	}
	return st;
}

int judge0_result(struct judge0_sub *s, const struct batch_job *j)
{
	const struct batch_case *first = &j->cases[0];
	double t = 0, w = 0, m = 0;
	size_t n = 0;
	int err = 0;

	s->finished_ms = 0;
	if (first->done && first->res.status == RUN_COMPILE_ERROR) {
		const struct run_step_result *c = &j->compile_res.compile;
		s->status_id = J0_COMPILE_ERROR;
		if (j->have_compile && (c->status == RUN_CPU_LIMIT ||
					c->status == RUN_WALL_LIMIT)) {
			struct buf b;
			buf_init(&b, 64);
			buf_append_some(&b, "Compilation time limit exceeded.", 32);
			err = set_bytes(&s->text[J0_COMPILE], &b);
			buf_release(&b);
		} else {
			err = set_bytes(&s->text[J0_COMPILE], &j->compile_out.b[0]);
		}
		set_bytes(&s->text[J0_STDOUT], NULL);
		set_bytes(&s->text[J0_STDERR], NULL);
		s->has_time = s->has_exit_code = s->has_exit_signal = false;
		set_message(s, NULL);
		return err;
	}
	if ((err = set_bytes(&s->text[J0_COMPILE], &j->compile_out.b[0])))
		return err;
	for (size_t i = 0; i < j->ncases; i++) {
		const struct batch_case *k = &j->cases[i];
		if (!k->done)
			break;
		s->status_id = case_status(s, k);
		if (s->status_id == J0_INTERNAL && !k->res.ran) {
			if (!n)
				s->has_time = false;
			break;
		}
		t += (double)k->res.cpu_ms / 1000;
		w += (double)k->res.wall_ms / 1000;
		m += (double)k->res.memory_bytes / 1024;
		n++;
		const struct buf *out = &k->out.b[s->redirect_stderr_to_stdout ?
						  0 : RUN_STDOUT];
		if ((err = set_bytes(&s->text[J0_STDOUT], out)) ||
		    (err = set_bytes(&s->text[J0_STDERR],
				     s->redirect_stderr_to_stdout ? NULL :
				     &k->out.b[RUN_STDERR])))
			return err;
		if (s->status_id != J0_ACCEPTED)
			break;
	}
	if (!j->ncases || !j->cases[0].done) {
		s->status_id = J0_INTERNAL;
		set_message(s, "the submission could not run");
	}
	if (n) {	/* Judge0 averages time and memory over the runs */
		s->has_time = true;
		s->time = t / (double)n;
		s->wall_time = w / (double)n;
		s->memory = (int64_t)llround(m / (double)n);
	}
	return 0;
}

/* ---- rendering ------------------------------------------------------- */

/* Judge0 1.13's attributes in its serializer's order (the table's
 * columns, then status and language). */
static const char *const fields[] = {
	"source_code", "language_id", "stdin", "expected_output", "stdout",
	"status_id", "created_at", "finished_at", "time", "memory", "stderr",
	"token", "number_of_runs", "cpu_time_limit", "cpu_extra_time",
	"wall_time_limit", "memory_limit", "stack_limit",
	"max_processes_and_or_threads",
	"enable_per_process_and_thread_time_limit",
	"enable_per_process_and_thread_memory_limit", "max_file_size",
	"compile_output", "exit_code", "exit_signal", "message", "wall_time",
	"compiler_options", "command_line_arguments",
	"redirect_stderr_to_stdout", "callback_url", "additional_files",
	"enable_network", "status", "language",
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define F(i) ((uint64_t)1 << (i))
static const uint64_t default_fields = F(4) | F(8) | F(9) | F(10) | F(11) |
				       F(22) | F(25) | F(33);

int judge0_fields(const char *list, uint64_t *set, struct api_err *e)
{
	char bad[256] = "", buf[1024];
	uint64_t got = 0;
	bool all = false;
	char *save = NULL;

	*set = default_fields;
	if (!list || !*list)
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *f = strtok_r(buf, ",", &save); f;
	     f = strtok_r(NULL, ",", &save)) {
		size_t i;
		if (!strcmp(f, "*")) {
			all = true;
			continue;
		}
		for (i = 0; i < NFIELDS; i++)
			if (!strcmp(f, fields[i]))
				break;
		if (i < NFIELDS) {
			got |= F(i);
			continue;
		}
		size_t bl = strlen(bad);
		snprintf(bad + bl, sizeof(bad) - bl, "%s%s", bl ? ", " : "", f);
	}
	if (bad[0]) {
		api_err_set(e, 400, "fields", "invalid fields: [%s]", bad);
		return -EINVAL;
	}
	if (all)
		*set = F(NFIELDS) - 1;
	else if (got)
		*set = got;
	return 0;
}

static json_t *text_json(const struct judge0_bytes *b, bool base64,
			 bool *utf8_error)
{
	if (!b->p)
		return json_null();
	if (base64) {
		char *s = base64_encode(b->p, b->n, true);
		json_t *j = s ? json_string(s) : NULL;
		free(s);
		return j;
	}
	if (utf8_valid_prefix(b->p, b->n) != b->n || memchr(b->p, 0, b->n)) {
		*utf8_error = true;
		return json_null();
	}
	return json_stringn(b->p, b->n);
}

static json_t *decimal_json(bool has, double v)
{
	char s[32];

	if (!has)
		return json_null();
	judge0_decimal(v, s, sizeof(s));
	return json_string(s);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *judge0_render(const struct judge0_sub *s, uint64_t set, bool base64,
		      bool *utf8_error)
{
	json_t *o = json_object();
	char buf[64];

	*utf8_error = false;
	for (size_t i = 0; i < NFIELDS && o; i++) {
		json_t *v = NULL;
		if (!(set & F(i)))
			continue;
		switch (i) {
		case 0: v = text_json(&s->text[J0_SOURCE], base64, utf8_error);
			break;
		case 1: v = json_integer(s->language_id); break;
		case 2: v = text_json(&s->text[J0_STDIN], base64, utf8_error);
			break;
		case 3: v = text_json(&s->text[J0_EXPECTED], base64, utf8_error);
			break;
		case 4: v = text_json(&s->text[J0_STDOUT], base64, utf8_error);
			break;
		case 5: v = json_integer(s->status_id); break;
		case 6: judge0_time(s->created_ms, buf, sizeof(buf));
			v = json_string(buf);
			break;
		case 7: if (s->finished_ms) {
				judge0_time(s->finished_ms, buf, sizeof(buf));
				v = json_string(buf);
			} else {
				v = json_null();
			}
			break;
		case 8: v = decimal_json(s->has_time, s->time); break;
		case 9: v = s->has_time ? json_integer(s->memory) : json_null();
			break;
		case 10: v = text_json(&s->text[J0_STDERR], base64, utf8_error);
			break;
		case 11: v = json_string(s->token); break;
		case 12: v = json_integer(s->number_of_runs); break;
		case 13: v = decimal_json(true, s->cpu_time_limit); break;
		case 14: v = decimal_json(true, s->cpu_extra_time); break;
		case 15: v = decimal_json(true, s->wall_time_limit); break;
		case 16: v = json_integer(s->memory_limit); break;
		case 17: v = json_integer(s->stack_limit); break;
		case 18: v = json_integer(s->max_processes_and_or_threads); break;
		case 19: v = json_boolean(s->per_process_time); break;
		case 20: v = json_boolean(s->per_process_memory); break;
		case 21: v = json_integer(s->max_file_size); break;
		case 22: v = text_json(&s->text[J0_COMPILE], base64, utf8_error);
			break;
		case 23: v = s->has_exit_code ? json_integer(s->exit_code)
					      : json_null();
			break;
		case 24: v = s->has_exit_signal ? json_integer(s->exit_signal)
						: json_null();
			break;
		case 25: {
			struct judge0_bytes m = { s->message, s->message ?
						  strlen(s->message) : 0 };
			v = text_json(&m, base64, utf8_error);
			break;
		}
		case 26: v = decimal_json(s->has_time, s->wall_time); break;
		case 27: v = str_or_null(s->compiler_options); break;
		case 28: v = str_or_null(s->command_line_arguments); break;
		case 29: v = json_boolean(s->redirect_stderr_to_stdout); break;
		case 30: v = str_or_null(s->callback_url); break;
		case 31: v = json_null(); break;
		case 32: v = json_boolean(s->enable_network); break;
		case 33: v = json_pack("{s:i, s:s}", "id", s->status_id,
				       "description",
				       judge0_status_name(s->status_id));
			break;
		case 34: {
			char name[128] = "";
			if (s->lang)
				judge0_lang_name(s->lang, name, sizeof(name));
			v = json_pack("{s:i, s:s}", "id", s->language_id,
				      "name", name);
			break;
		}
		}
		if (!v || json_object_set_new(o, fields[i], v)) {
			json_decref(o);
			return NULL;
		}
	}
	if (*utf8_error) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- the stored row ------------------------------------------------- */

int judge0_to_row(const struct judge0_sub *s, struct store_judge0 *r)
{
	json_t *a, *res = NULL;

	memset(r, 0, sizeof(*r));
	snprintf(r->token, sizeof(r->token), "%s", s->token);
	r->created_ms = s->created_ms;
	r->finished_ms = s->finished_ms;
	r->status_id = s->status_id;
	a = json_pack("{s:i, s:o, s:o, s:o, s:f, s:f, s:f, s:I, s:I, s:I, s:I,"
		      " s:I, s:b, s:b, s:b, s:b}",
		      "language_id", s->language_id,
		      "compiler_options", str_or_null(s->compiler_options),
		      "command_line_arguments",
		      str_or_null(s->command_line_arguments),
		      "callback_url", str_or_null(s->callback_url),
		      "cpu_time_limit", s->cpu_time_limit,
		      "cpu_extra_time", s->cpu_extra_time,
		      "wall_time_limit", s->wall_time_limit,
		      "memory_limit", (json_int_t)s->memory_limit,
		      "stack_limit", (json_int_t)s->stack_limit,
		      "max_processes_and_or_threads",
		      (json_int_t)s->max_processes_and_or_threads,
		      "max_file_size", (json_int_t)s->max_file_size,
		      "number_of_runs", (json_int_t)s->number_of_runs,
		      "per_process_time", s->per_process_time,
		      "per_process_memory", s->per_process_memory,
		      "redirect_stderr_to_stdout", s->redirect_stderr_to_stdout,
		      "enable_network", s->enable_network);
	if (!a)
		return -ENOMEM;
	r->attrs = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (s->finished_ms) {
		res = json_pack("{s:b, s:f, s:f, s:I}", "has_time", s->has_time,
				"time", s->time, "wall_time", s->wall_time,
				"memory", (json_int_t)s->memory);
		if (res && s->has_exit_code)
			json_object_set_new(res, "exit_code",
					    json_integer(s->exit_code));
		if (res && s->has_exit_signal)
			json_object_set_new(res, "exit_signal",
					    json_integer(s->exit_signal));
		if (res && s->message)
			json_object_set_new(res, "message",
					    json_string(s->message));
		r->result = res ? json_dumps(res, JSON_COMPACT) : NULL;
		json_decref(res);
	}
	if (!r->attrs || (s->finished_ms && !r->result)) {
		judge0_row_release(r);
		return -ENOMEM;
	}
	for (int i = 0; i < J0_NTEXT && i < STORE_JUDGE0_TEXTS; i++) {
		r->text[i].p = s->text[i].p;
		r->text[i].n = s->text[i].n;
	}
	return 0;
}

void judge0_row_release(struct store_judge0 *r)
{
	free(r->attrs);
	free(r->result);
	r->attrs = r->result = NULL;
}

static char *json_strdup(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? strdup(v) : NULL;
}

int judge0_from_row(const struct lang_table *t, struct store_judge0 *r,
		    struct judge0_sub *s)
{
	json_t *a = json_loads(r->attrs ? r->attrs : "", 0, NULL);
	json_t *res = r->result ? json_loads(r->result, 0, NULL) : NULL;
	json_t *v;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(a) || (r->result && !json_is_object(res))) {
		json_decref(a);
		json_decref(res);
		return -EINVAL;
	}
	snprintf(s->token, sizeof(s->token), "%s", r->token);
	s->created_ms = r->created_ms;
	s->finished_ms = r->finished_ms;
	s->status_id = r->status_id;
	s->language_id = (int)json_integer_value(json_object_get(a,
							       "language_id"));
	s->lang = judge0_lang(t, s->language_id);
	s->compiler_options = json_strdup(a, "compiler_options");
	s->command_line_arguments = json_strdup(a, "command_line_arguments");
	s->callback_url = json_strdup(a, "callback_url");
	s->cpu_time_limit = json_number_value(json_object_get(a,
							      "cpu_time_limit"));
	s->cpu_extra_time = json_number_value(json_object_get(a,
							      "cpu_extra_time"));
	s->wall_time_limit = json_number_value(json_object_get(a,
							       "wall_time_limit"));
	s->memory_limit = json_integer_value(json_object_get(a, "memory_limit"));
	s->stack_limit = json_integer_value(json_object_get(a, "stack_limit"));
	s->max_processes_and_or_threads = json_integer_value(
		json_object_get(a, "max_processes_and_or_threads"));
	s->max_file_size = json_integer_value(json_object_get(a,
							      "max_file_size"));
	s->number_of_runs = json_integer_value(json_object_get(a,
							       "number_of_runs"));
	s->per_process_time = json_is_true(json_object_get(a,
							   "per_process_time"));
	s->per_process_memory = json_is_true(json_object_get(a,
							     "per_process_memory"));
	s->redirect_stderr_to_stdout = json_is_true(json_object_get(a,
					"redirect_stderr_to_stdout"));
	s->enable_network = json_is_true(json_object_get(a, "enable_network"));
	if (res) {
		s->has_time = json_is_true(json_object_get(res, "has_time"));
		s->time = json_number_value(json_object_get(res, "time"));
		s->wall_time = json_number_value(json_object_get(res,
								 "wall_time"));
		s->memory = json_integer_value(json_object_get(res, "memory"));
		if ((v = json_object_get(res, "exit_code"))) {
			s->has_exit_code = true;
			s->exit_code = (int)json_integer_value(v);
		}
		if ((v = json_object_get(res, "exit_signal"))) {
			s->has_exit_signal = true;
			s->exit_signal = (int)json_integer_value(v);
		}
		s->message = json_strdup(res, "message");
	}
	json_decref(a);
	json_decref(res);
	for (int i = 0; i < J0_NTEXT && i < STORE_JUDGE0_TEXTS; i++) {
		s->text[i].p = r->text[i].p;
		s->text[i].n = r->text[i].n;
		r->text[i].p = NULL;
		r->text[i].n = 0;
	}
	return 0;
}
