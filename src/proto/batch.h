/*
 * batch.h - one batch job of the HTTP APIs: compile once, run one or more
 * cases on pipes, keep each step's output, answer when the last one ends.
 *
 * The API files parse a request into a batch_job (batch_job_new(), then
 * batch_add_file(), ...) and call batch_start(); the job lives in the HTTP
 * request (freed with it, also when the client goes away: the run is then
 * killed as an orphan) and calls its 'done' callback once, with every
 * case's result, for the API file to map into its response shape.
 */
#ifndef CODEROOM_BATCH_H
#define CODEROOM_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"
#include "run/run.h"
#include "sandbox/sandbox.h"

struct conn;
struct batch_job;

/* The captured output of one step: [0] interleaved, [1] stdout, [2] stderr. */
struct batch_out {
	struct buf b[3];
};

struct batch_case {
	char *stdin_data;
	size_t stdin_len;
	char *expected;			/* NULL: nothing to compare */
	size_t expected_len;
	bool done;
	struct run_result res;
	struct batch_out out;		/* the run step's output */
};

typedef void (*batch_done_fn)(struct conn *c, struct batch_job *j);

struct batch_job {
	const struct lang *lang;
	struct sandbox_file *files;	/* owned: names and data */
	size_t nfiles;
	char **args;			/* NULL-terminated, owned */
	size_t nargs;
	char *compile_flags;
	struct limits limits, compile_limits;
	struct batch_case *cases;	/* at least one */
	size_t ncases, cur;
	struct batch_out compile_out;	/* of the compile step, if it ran */
	bool have_compile;		/* compile_res is valid */
	struct run_result compile_res;	/* the run that compiled */
	batch_done_fn done;
	void *user;			/* for the API file */
	struct conn *c;			/* the request it answers */
	char client[64];		/* who asks (app_client()) */
	struct run_sub sub;		/* the case (or compile) running */
};

struct batch_job *batch_job_new(const struct lang *l, batch_done_fn done);
void batch_job_free(struct batch_job *j);
/* Copies; 0 or -ENOMEM. */
int batch_add_file(struct batch_job *j, const char *name, const void *data,
		   size_t len);
int batch_add_arg(struct batch_job *j, const char *arg);
int batch_add_case(struct batch_job *j, const char *in, size_t inlen,
		   const char *expected, size_t explen);

/*
 * Starts the job for request 'c' (its http_req owns the job from now on,
 * also on error). Returns 0, or run_start()'s error: -EBUSY (queue full),
 * -EDQUOT (this client's share of the queue is full), -EAGAIN, -ENOENT
 * ...; the caller answers the error. Batch runs are admitted as
 * RUN_BATCH, fairly between clients.
 */
int batch_start(struct conn *c, struct batch_job *j);

/* Whether 'out' matches 'expected', ignoring white space at line ends and
 * blank lines at the end. Pure. */
bool batch_output_matches(const char *out, size_t outlen, const char *exp,
			  size_t explen);
/* Decodes base64 (standard or URL alphabet, padding optional) or hex into
 * *out (malloc'd). 0 or -EINVAL. Pure. */
int batch_decode(const char *enc, const char *s, size_t len, char **out,
		 size_t *outlen);

#endif
