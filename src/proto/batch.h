/*
 * batch.h - one batch job of the APIs: compile once, run one or more cases
 * on pipes, keep each step's output, report when the last one ends.
 *
 * A parser (rules.h) builds the job description: batch_job_new(), then
 * batch_add_file(), ... The API glue calls batch_start() and owns the job:
 * an HTTP request frees it with itself (a client gone away kills the run
 * as an orphan), a Judge0 submission when it has stored the result. The
 * job calls its 'done' callback once, with every case's result, for the
 * owner to map into its response shape. Nothing here knows HTTP.
 */
#ifndef CODEROOM_BATCH_H
#define CODEROOM_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"
#include "run/run.h"
#include "sandbox/sandbox.h"

struct batch_job;
struct run_engine;

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

typedef void (*batch_done_fn)(struct batch_job *j);

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
	bool tests;			/* the request listed test cases */
	batch_done_fn done;
	void *owner;			/* the API's: a conn, a submission */
	struct run_engine *engine;	/* set by batch_start() */
	char client[64];		/* who asks (app_client()), set by the
					   API before batch_start(): admission
					   is fair between clients */
	struct run_sub sub;		/* the case (or compile) running */
};

struct batch_job *batch_job_new(const struct lang *l);
void batch_job_free(struct batch_job *j);
/* Copies; 0 or -ENOMEM. */
int batch_add_file(struct batch_job *j, const char *name, const void *data,
		   size_t len);
int batch_add_arg(struct batch_job *j, const char *arg);
int batch_add_case(struct batch_job *j, const char *in, size_t inlen,
		   const char *expected, size_t explen);

/*
 * Starts the job on engine 'e' with admission control (the same queue as
 * every API run: RUN_BATCH, fair between clients, j->client). 'done' is
 * called when it ends, never from inside this call. Returns 0, or
 * run_start()'s error: -EBUSY (queue full), -EDQUOT (this client's share
 * of the queue is full), -EAGAIN, -ENOENT ...; then 'done' is not called
 * and the caller answers.
 */
int batch_start(struct batch_job *j, struct run_engine *e,
		batch_done_fn done, void *owner);

/* Whether 'out' matches 'expected', ignoring white space at line ends and
 * blank lines at the end. Pure. */
bool batch_output_matches(const char *out, size_t outlen, const char *exp,
			  size_t explen);

#endif
