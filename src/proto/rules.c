/*
 * rules.c - the rules every API's request parser shares.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/utf8.h"
#include "proto/rules.h"
#include "run/run.h"
#include "sandbox/sandbox.h"

void api_err_set(struct api_err *e, unsigned status, const char *field,
		 const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	/* a name from the request may be cut mid-character: JSON needs UTF-8 */
	e->message[utf8_valid_prefix(e->message, strlen(e->message))] = '\0';
	e->field[utf8_valid_prefix(e->field, strlen(e->field))] = '\0';
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
	return -1;
}

int rules_decode(const char *enc, const char *s, size_t len, char **out,
		 size_t *outlen)
{
	if (!strcmp(enc, "base64"))
		return base64_decode(s, len, true, out, outlen);
	if (strcmp(enc, "hex") || len % 2)
		return -EINVAL;
	char *o = malloc(len / 2 + 1);
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0) {
			free(o);
			return -EINVAL;
		}
		o[i / 2] = (char)(hi << 4 | lo);
	}
	o[len / 2] = '\0';
	*out = o;
	*outlen = len / 2;
	return 0;
}

/* At most 100 bytes of a name for a message, never cut in a character
 * (a cut one would end the message there: JSON needs UTF-8). */
static const char *short_name(const char *s, char out[101])
{
	snprintf(out, 101, "%s", s);
	out[utf8_valid_prefix(out, strlen(out))] = '\0';
	return out;
}

int rules_add_file(struct batch_job *j, size_t i, const char *name,
		   size_t namelen, const char *enc, const char *data,
		   size_t len, struct api_err *e)
{
	char field[48], *dec = NULL, s1[101], s2[101];
	const char *fname;
	size_t declen;
	int err;

	snprintf(field, sizeof(field), "files[%zu].name", i);
	if (j->nfiles >= RULES_MAX_FILES) {
		api_err_set(e, 400, "files", "at most %d files",
			    RULES_MAX_FILES);
		return -EINVAL;
	}
	if (name && (strlen(name) != namelen ||
		     !sandbox_path_ok(name, namelen))) {
		api_err_set(e, 400, field, "%s \"%s\" is not a valid file "
			    "path: relative, '/' between directories, no '.' "
			    "or '..' or empty parts, no control characters, at "
			    "most %d bytes", field, short_name(name, s1),
			    SANDBOX_PATH_MAX);
		return -EINVAL;
	}
	if (i > 0 && !name) {
		api_err_set(e, 400, field, "%s is required for every file but "
			    "the first (the entry point)", field);
		return -EINVAL;
	}
	fname = i == 0 ? run_entry_name(j->lang, name) : name;
	for (size_t k = 0; k < j->nfiles; k++)
		if (sandbox_paths_clash(j->files[k].name, fname)) {
			api_err_set(e, 400, field, "%s \"%s\" clashes with "
				    "files[%zu] (\"%s\"): the same name, or "
				    "a file and a directory of that name",
				    field, short_name(fname, s1), k,
				    short_name(j->files[k].name, s2));
			return -EINVAL;
		}
	if (strcmp(enc, "utf8")) {
		snprintf(field, sizeof(field), "files[%zu].content", i);
		err = rules_decode(enc, data, len, &dec, &declen);
		if (err == -ENOMEM)
			goto out_nomem;
		if (err) {
			api_err_set(e, 400, field, "%s is not valid %s", field,
				    enc);
			return -EINVAL;
		}
		data = dec;
		len = declen;
	}
	err = batch_add_file(j, fname, data, len);
	free(dec);
	if (err)
		goto out_nomem;
	return 0;
out_nomem:
	api_err_set(e, 500, NULL, "out of memory");
	return -ENOMEM;
}

enum rules_limit rules_limit_check(uint64_t v, uint64_t max)
{
	if (v < 1)
		return RULES_LIMIT_LOW;
	return v > max ? RULES_LIMIT_HIGH : RULES_LIMIT_OK;
}

void rules_max(const struct api_ctx *ctx, const struct lang *l, bool compile,
	       struct limits *out)
{
	run_step_limits(ctx->engine, l, RUN_PIPES,
			compile ? RUN_STEP_COMPILE : RUN_STEP_RUN, NULL, out);
}
