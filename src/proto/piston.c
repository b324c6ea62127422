/*
 * piston.c - Piston v2 request validation and result shapes.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/semver.h"
#include "proto/piston.h"
#include "proto/report.h"

void piston_version(const struct lang *l, char *out, size_t outlen)
{
	semver_normalize(l->version, out, outlen);
}

static bool name_matches(const struct lang *l, const char *name)
{
	if (!strcasecmp(l->piston, name) || !strcasecmp(l->id, name))
		return true;
	for (char **a = l->aliases; a && *a; a++)
		if (!strcasecmp(*a, name))
			return true;
	return false;
}

const struct lang *piston_runtime(const struct lang_table *t,
				  const char *language, const char *range)
{
	const struct lang *best = NULL;
	char v[64], bv[64];

	for (size_t i = 0; i < t->n; i++) {
		const struct lang *l = &t->v[i];
		if (!l->available || !name_matches(l, language))
			continue;
		piston_version(l, v, sizeof(v));
		if (!semver_satisfies(v, range))
			continue;
		if (best) {
			piston_version(best, bv, sizeof(bv));
			if (semver_cmp(v, bv) <= 0)
				continue;
		}
		best = l;
	}
	return best;
}

/* One limit: "<type>_<constraint>" in ms or bytes. 0/absent: default;
 * -1: the server's maximum. false with a message when invalid. */
static bool limit(json_t *body, const char *name, uint64_t max, uint64_t def,
		  uint64_t *out, char *msg, size_t msglen)
{
	json_t *v = json_object_get(body, name);
	double x;

	*out = def < max ? def : max;
	if (!v || json_is_null(v) || json_is_false(v))
		return true;
	if (!json_is_number(v)) {
		snprintf(msg, msglen, "If specified, %s must be a number", name);
		return false;
	}
	x = json_number_value(v);
	if (x == 0)
		return true;
	if (x == -1) {
		*out = max;
		return true;
	}
	if (x < 0) {
		snprintf(msg, msglen, "%s must be non-negative", name);
		return false;
	}
	/* the limits rule every API shares: 1..max */
	uint64_t n = x >= 1e18 ? UINT64_MAX : (uint64_t)ceil(x);
	if (rules_limit_check(n, max) != RULES_LIMIT_OK) {
		snprintf(msg, msglen, "%s cannot exceed the configured limit of "
			 "%llu", name, (unsigned long long)max);
		return false;
	}
	*out = n;
	return true;
}

struct batch_job *piston_job(const struct api_ctx *ctx, json_t *body,
			     struct api_err *e)
{
	json_t *language = json_object_get(body, "language");
	json_t *version = json_object_get(body, "version");
	json_t *files = json_object_get(body, "files");
	json_t *args = json_object_get(body, "args");
	json_t *in = json_object_get(body, "stdin");
	const struct lang *l;
	struct batch_job *j;
	struct limits rmax, cmax;
	char msg[300];
	json_t *f;
	size_t i;
	bool utf8 = false;

	if (!json_is_object(body)) {
		api_err_set(e, 400, NULL, "the body must be a JSON object");
		return NULL;
	}
	if (!json_is_string(language) || !json_string_length(language)) {
		api_err_set(e, 400, "language", "language is required as a "
			    "string");
		return NULL;
	}
	if (!json_is_string(version) || !json_string_length(version)) {
		api_err_set(e, 400, "version", "version is required as a "
			    "string");
		return NULL;
	}
	if (!json_is_array(files)) {
		api_err_set(e, 400, "files", "files is required as an array");
		return NULL;
	}
	json_array_foreach(files, i, f) {
		if (!json_is_string(json_object_get(f, "content"))) {
			api_err_set(e, 400, "files", "files[%zu].content is "
				    "required as a string", i);
			return NULL;
		}
	}
	l = piston_runtime(ctx->langs, json_string_value(language),
			   json_string_value(version));
	if (!l) {
		api_err_set(e, 400, "language", "%.100s-%.60s runtime is "
			    "unknown", json_string_value(language),
			    json_string_value(version));
		return NULL;
	}
	json_array_foreach(files, i, f) {
		json_t *en = json_object_get(f, "encoding");
		if (!json_is_string(en) || !strcmp(json_string_value(en), "utf8") ||
		    (strcmp(json_string_value(en), "base64") &&
		     strcmp(json_string_value(en), "hex")))
			utf8 = true;
	}
	if (!utf8) {
		api_err_set(e, 400, "files", "files must include at least one "
			    "utf8 encoded file");
		return NULL;
	}
	rules_max(ctx, l, false, &rmax);
	rules_max(ctx, l, true, &cmax);
	if (!(j = batch_job_new(l)))
		goto out_nomem;
	/* Piston's order: memory_limit, timeout, cpu_time; compile, run */
	msg[0] = '\0';
	if (!limit(body, "compile_memory_limit", cmax.memory_bytes,
		   cmax.memory_bytes, &j->compile_limits.memory_bytes, msg,
		   sizeof(msg)) ||
	    !limit(body, "run_memory_limit", rmax.memory_bytes,
		   rmax.memory_bytes, &j->limits.memory_bytes, msg,
		   sizeof(msg)) ||
	    !limit(body, "compile_timeout", cmax.wall_ms,
		   PISTON_COMPILE_TIMEOUT, &j->compile_limits.wall_ms, msg,
		   sizeof(msg)) ||
	    !limit(body, "run_timeout", rmax.wall_ms, PISTON_RUN_TIMEOUT,
		   &j->limits.wall_ms, msg, sizeof(msg)) ||
	    !limit(body, "compile_cpu_time", cmax.cpu_ms,
		   PISTON_COMPILE_CPU_TIME, &j->compile_limits.cpu_ms, msg,
		   sizeof(msg)) ||
	    !limit(body, "run_cpu_time", rmax.cpu_ms, PISTON_RUN_CPU_TIME,
		   &j->limits.cpu_ms, msg, sizeof(msg))) {
		api_err_set(e, 400, NULL, "%s", msg);
		goto fail;
	}
	if (json_array_size(files) > RULES_MAX_FILES) {
		api_err_set(e, 400, "files", "files may hold at most %d files",
			    RULES_MAX_FILES);
		goto fail;
	}
	json_array_foreach(files, i, f) {
		json_t *name = json_object_get(f, "name");
		json_t *content = json_object_get(f, "content");
		json_t *en = json_object_get(f, "encoding");
		const char *enc = json_is_string(en) ? json_string_value(en)
						     : "utf8";
		char defname[32];
		const char *fname;
		size_t flen;

		if (strcmp(enc, "base64") && strcmp(enc, "hex"))
			enc = "utf8";	/* Piston: anything else is utf8 */
		/* Piston names an unnamed file "file<i>.code"; the entry
		 * file, the language's own name */
		snprintf(defname, sizeof(defname), "file%zu.code", i);
		if (json_is_string(name) && json_string_length(name)) {
			fname = json_string_value(name);
			flen = json_string_length(name);
		} else {
			fname = i ? defname : NULL;
			flen = i ? strlen(defname) : 0;
		}
		if (rules_add_file(j, i, fname, flen, enc,
				   json_string_value(content),
				   json_string_length(content), e))
			goto fail;
	}
	if (args && !json_is_null(args)) {
		json_t *a;
		if (!json_is_array(args) ||
		    json_array_size(args) > RULES_MAX_ARGS) {
			api_err_set(e, 400, "args", "args must be an array of at "
				    "most %d strings", RULES_MAX_ARGS);
			goto fail;
		}
		json_array_foreach(args, i, a) {
			char num[32];
			const char *s = json_string_value(a);
			if (json_is_integer(a)) {	/* JS would stringify */
				snprintf(num, sizeof(num), "%lld",
					 (long long)json_integer_value(a));
				s = num;
			}
			if (!s || strlen(s) != (json_is_string(a) ?
				json_string_length(a) : strlen(s))) {
				api_err_set(e, 400, "args", "args[%zu] must be a "
					    "string", i);
				goto fail;
			}
			if (batch_add_arg(j, s))
				goto out_nomem_job;
		}
	}
	if (in && !json_is_null(in) && !json_is_string(in)) {
		api_err_set(e, 400, "stdin", "stdin must be a string");
		goto fail;
	}
	/* Piston adds a trailing newline to stdin when there is none */
	{
		size_t n = json_is_string(in) ? json_string_length(in) : 0;
		const char *s = json_is_string(in) ? json_string_value(in) : "";
		char *buf = malloc(n + 2);
		if (!buf)
			goto out_nomem_job;
		memcpy(buf, s, n);
		if (n == 0 || s[n - 1] != '\n')
			buf[n++] = '\n';
		int err = batch_add_case(j, buf, n, NULL, 0);
		free(buf);
		if (err)
			goto out_nomem_job;
	}
	return j;
out_nomem_job:
	batch_job_free(j);
out_nomem:
	api_err_set(e, 500, NULL, "out of memory");
	return NULL;
fail:
	batch_job_free(j);
	return NULL;
}

/* Piston's signal table (api/src/api/v2.js SIGNALS), by Linux number; the
 * three it lists that Linux does not have (SIGEMT, SIGINFO, SIGLOST) are
 * refused, since the reference server could not send them either. */
static const struct { const char *name; int sig; } piston_signals[] = {
	{ "SIGABRT", SIGABRT }, { "SIGALRM", SIGALRM }, { "SIGBUS", SIGBUS },
	{ "SIGCHLD", SIGCHLD }, { "SIGCLD", SIGCHLD }, { "SIGCONT", SIGCONT },
	{ "SIGFPE", SIGFPE }, { "SIGHUP", SIGHUP }, { "SIGILL", SIGILL },
	{ "SIGINT", SIGINT }, { "SIGIO", SIGIO }, { "SIGIOT", SIGABRT },
	{ "SIGKILL", SIGKILL }, { "SIGPIPE", SIGPIPE }, { "SIGPOLL", SIGIO },
	{ "SIGPROF", SIGPROF }, { "SIGPWR", SIGPWR }, { "SIGQUIT", SIGQUIT },
	{ "SIGSEGV", SIGSEGV }, { "SIGSTKFLT", SIGSTKFLT },
	{ "SIGSTOP", SIGSTOP }, { "SIGTSTP", SIGTSTP }, { "SIGSYS", SIGSYS },
	{ "SIGTERM", SIGTERM }, { "SIGTRAP", SIGTRAP }, { "SIGTTIN", SIGTTIN },
	{ "SIGTTOU", SIGTTOU }, { "SIGUNUSED", SIGSYS }, { "SIGURG", SIGURG },
	{ "SIGUSR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 },
	{ "SIGVTALRM", SIGVTALRM }, { "SIGXCPU", SIGXCPU },
	{ "SIGXFSZ", SIGXFSZ }, { "SIGWINCH", SIGWINCH },
};

int piston_signal(const char *name)
{
	for (size_t i = 0; i < sizeof(piston_signals) / sizeof(piston_signals[0]);
	     i++)
		if (!strcmp(name, piston_signals[i].name))
			return piston_signals[i].sig;
	/* beyond Piston: the real-time signals, as results name them */
	if (!strncmp(name, "SIGRTMIN", 8) || !strncmp(name, "SIGRTMAX", 8)) {
		const char *p = name + 8;
		int base = name[6] == 'I' ? SIGRTMIN : SIGRTMAX, off = 0;
		if (*p == '+' || *p == '-') {
			if (p[1] < '0' || p[1] > '9' || (p[2] && p[3]) ||
			    (p[2] && (p[2] < '0' || p[2] > '9')))
				return 0;
			off = atoi(p + 1) * (*p == '-' ? -1 : 1);
		} else if (*p) {
			return 0;
		}
		int s = base + off;
		return s >= SIGRTMIN && s <= SIGRTMAX ? s : 0;
	}
	return 0;
}

const char *piston_status(const struct run_step_result *s)
{
	switch (s->status) {
	case RUN_OK: return NULL;
	case RUN_RUNTIME_ERROR: return "RE";
	case RUN_SIGNAL: return "SG";
	case RUN_MEMORY_LIMIT: return "SG";
	case RUN_PIDS_LIMIT: return s->signal ? "SG" : "RE";
	case RUN_CPU_LIMIT: return "TO";
	case RUN_WALL_LIMIT: return "TO";
	case RUN_OUTPUT_LIMIT:
		return s->truncated[RUN_STDOUT] ? "OL" : "EL";
	case RUN_KILLED: return "SG";
	case RUN_INTERNAL_ERROR: return "XX";
	case RUN_COMPILE_ERROR: return "RE";
	case RUN_WORKER_LOST: return "XX";
	case RUN_SERVER_BUSY: return "XX";
	}
	return "XX";
}

static const char *piston_message(const struct run_step_result *s, char *buf,
				  size_t len)
{
	switch (s->status) {
	case RUN_OK: return NULL;
	case RUN_RUNTIME_ERROR:
		snprintf(buf, len, "Exited with error status %d", s->exit_code);
		return buf;
	case RUN_CPU_LIMIT: return "Time limit exceeded";
	case RUN_WALL_LIMIT: return "Time limit exceeded (wall clock)";
	case RUN_OUTPUT_LIMIT:
		return s->truncated[RUN_STDOUT] ? "stdout length exceeded"
						: "stderr length exceeded";
	case RUN_SIGNAL:
		snprintf(buf, len, "Caught fatal signal %d", s->signal);
		return buf;
	default:
		return s->message;
	}
}

json_t *piston_stage_json(const struct run_step_result *s,
			  const struct batch_out *o)
{
	const char *st = piston_status(s);
	char mbuf[300], sig[32];
	const char *m = piston_message(s, mbuf, sizeof(mbuf));
	int signo = s->signal;
	bool named;

	/* Piston reports the kill of a limit as SIGKILL */
	if (!signo && (s->status == RUN_CPU_LIMIT || s->status == RUN_WALL_LIMIT ||
		       s->status == RUN_OUTPUT_LIMIT ||
		       s->status == RUN_MEMORY_LIMIT))
		signo = SIGKILL;
	named = signo && report_signal_name(signo, sig, sizeof(sig));
	bool killed_by_limit = s->status == RUN_CPU_LIMIT ||
			       s->status == RUN_WALL_LIMIT ||
			       s->status == RUN_OUTPUT_LIMIT;
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:I, s:I}",
			 "stdout", report_text(&o->b[RUN_STDOUT]),
			 "stderr", report_text(&o->b[RUN_STDERR]),
			 "code", s->exit_code >= 0 && !killed_by_limit ?
				 json_integer(s->exit_code) : json_null(),
			 "signal", named ? json_string(sig) : json_null(),
			 "output", report_text(&o->b[0]),
			 "memory", (json_int_t)s->memory_bytes,
			 "message", m ? json_string(m) : json_null(),
			 "status", st ? json_string(st) : json_null(),
			 "cpu_time", (json_int_t)s->cpu_ms,
			 "wall_time", (json_int_t)s->wall_ms);
}
