/*
 * rules.h - what every API's request parser shares; pure.
 *
 * A parser reads a JSON request and builds a job description (a
 * struct batch_job that has not started) or fills a struct api_err
 * {status, field, message}; it never touches HTTP, a socket or the loop,
 * so unit tests and fuzzers drive it directly. The glue file of each API
 * turns an api_err into that API's error shape.
 *
 * The shared rules:
 *   - file names: sandbox_path_ok() (relative paths, subdirectories
 *     allowed; "..", absolute paths, empty components and control
 *     characters refused), no two files that clash (same name, or a file
 *     and a directory of that name: refused, never replaced), the entry
 *     file named as run_entry_name() says;
 *   - file contents: "utf8" as is, "base64" or "hex" decoded;
 *   - limits: a request may lower any limit, never raise one past the
 *     server's maximum for that language and step (run_step_limits()).
 */
#ifndef CODEROOM_RULES_H
#define CODEROOM_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/batch.h"

struct run_engine;
struct lang_table;

/* What a parser needs to know of the server. */
struct api_ctx {
	const struct lang_table *langs;
	const struct run_engine *engine;	/* its maxima (read only) */
};

/* Why a request is refused. */
struct api_err {
	unsigned status;	/* HTTP status: 400, 422, 500 (ENOMEM) */
	char field[64];		/* the offending field, or "" */
	char message[320];	/* UTF-8 text for the client */
};

void api_err_set(struct api_err *e, unsigned status, const char *field,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define RULES_MAX_FILES 64	/* files of one job */
#define RULES_MAX_ARGS 256	/* program arguments */
#define RULES_MAX_CASES 64	/* test cases (stdins) of one job */

/*
 * Adds file number 'i' of the job. 'name' may be NULL for the entry
 * file (i == 0): the language's file name. 'enc' is "utf8", "base64" or
 * "hex". On a broken rule: -EINVAL with e filled in ('field' names
 * "files[i].name" or "files[i].content"); -ENOMEM (status 500).
 */
int rules_add_file(struct batch_job *j, size_t i, const char *name,
		   size_t namelen, const char *enc, const char *data,
		   size_t len, struct api_err *e);

/* Decodes 'enc' ("base64" or "hex") content. 0, -EINVAL, -ENOMEM. */
int rules_decode(const char *enc, const char *s, size_t len, char **out,
		 size_t *outlen);

enum rules_limit { RULES_LIMIT_OK, RULES_LIMIT_LOW, RULES_LIMIT_HIGH };
/* The limits rule for one value: at least 1, at most 'max'. */
enum rules_limit rules_limit_check(uint64_t v, uint64_t max);

/* The server's maxima for a step of language l in batch (pipe) mode. */
void rules_max(const struct api_ctx *ctx, const struct lang *l,
	       bool compile, struct limits *out);

#endif
