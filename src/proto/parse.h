/*
 * parse.h - the pure request parsers of the native and seed APIs (Piston's
 * is in piston.h, Judge0's in judge0.h). JSON in, a job description or an
 * api_err out; rules.h has the rules they share.
 */
#ifndef CODEROOM_PARSE_H
#define CODEROOM_PARSE_H

#include <jansson.h>

#include "proto/rules.h"

/*
 * POST /api/runs: {language, version?, code | files[], stdin?, args?,
 * compile_flags?, limits?, compile_limits?, tests?} (docs/api.md). Unknown
 * fields are refused. Every error is a 400 naming the field. The job has
 * one case per test (or one), and 'tests' set when tests were listed.
 */
struct batch_job *parse_runs(const struct api_ctx *ctx, json_t *body,
			     struct api_err *e);

enum parse_seed_kind {
	PARSE_SEED_EXECUTE,	/* POST /api/execute {code, language?, stdin?} */
	PARSE_SEED_RUN_CODE,	/* POST /run_code {code}: Python */
	PARSE_SEED_WS,		/* /ws/execute "execute" {code, language?} */
};

/* The seed endpoints: a job of one file and one case (its stdin). */
struct batch_job *parse_seed(const struct api_ctx *ctx, json_t *body,
			     enum parse_seed_kind kind, struct api_err *e);

#endif
