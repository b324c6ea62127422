/*
 * job.h - a run request as the bytes of one entry of the cluster's job
 * stream. Pure.
 *
 * A job is what a gateway asks a worker to run: the run request (language
 * id, files, arguments, compile flags, stdin, limits, tty or pipes, the
 * terminal's size) plus the cluster's run id and the gateway that asked.
 * The encoding is compact and binary (cluster/wire.h), starts with a magic
 * and a version, and carries no JSON: nothing below proto knows a dialect.
 * job_encode() writes version 2; job_decode() reads 2 and 1 (a job queued
 * by a gateway of the previous release: not interactive, no usage, no
 * output rate in its limits, so the worker's maxima apply there).
 *
 * Of struct run_request, a job leaves out on purpose: 'client' and
 * 'continues' (admission was the cluster queue's; the worker admits each
 * job as a client of its own) and 'here' (the worker's own flag).
 *
 * job_decode() points into the input (strings are NUL-terminated there),
 * so the bytes must outlive the struct job. It checks everything a worker
 * relies on: the run id is 32 lowercase hex digits, counts and sizes are
 * within the caps below, the mode and sizes are in range, nothing is
 * truncated or left over.
 */
#ifndef CODEROOM_JOB_H
#define CODEROOM_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/limit.h"
#include "run/run.h"
#include "sandbox/sandbox.h"

#define JOB_FILES_MAX 256
#define JOB_ARGS_MAX 256
#define JOB_NAME_MAX 255	/* a file name, a language id, a node id */
#define JOB_FLAGS_MAX 4096	/* compile flags */
#define JOB_BYTES_MAX (64u << 20)	/* a whole job */
#define JOB_ID_LEN 32

struct job {
	const char *id;			/* the cluster's run id (32 hex) */
	const char *gateway;		/* node id of the gateway that asked */
	const char *lang;		/* language id */
	enum run_mode mode;
	bool batch;			/* a batch run (else interactive) */
	bool keep_stdin;		/* pipe mode: input comes later */
	bool interactive;		/* pipe mode with a person at the other
					   end: the interactive maxima apply */
	bool usage;			/* the client that started it wants
					   usage samples (a worker then sends
					   them as events) */
	uint16_t rows, cols;		/* tty mode */
	struct limits limits;		/* requested (0: the worker's) */
	struct limits compile_limits;
	/* files[0] is the entry point (its name may be ""): the worker writes
	 * it under the language's file name, as run_request does */
	struct sandbox_file files[JOB_FILES_MAX];
	size_t nfiles;			/* at least 1 */
	const char *args[JOB_ARGS_MAX + 1];	/* NULL-terminated */
	size_t nargs;
	const char *compile_flags;	/* NULL: none */
	const char *stdin_data;		/* pipe mode; may be NULL when 0 */
	size_t stdin_len;
};

/* Whether s is a cluster run id: 32 lowercase hex digits. */
bool job_id_valid(const char *s);

/*
 * Fills j from a run request (pointers into req, which must outlive j),
 * with the cluster's run id and the asking gateway's node id ('usage'
 * stays false: it is the subscriber's, not the request's). 0, or
 * -EINVAL (no language, no code, too many files or arguments).
 */
int job_from_request(const struct run_request *req, const char *id,
		     const char *gateway, struct job *j);
/* Fills req (pointers into j) to start the job with language l. */
void job_to_request(const struct job *j, const struct lang *l,
		    struct run_request *req);

/* Appends the encoding of j to out. 0, -ENOBUFS (over out's maximum or
 * JOB_BYTES_MAX), -ENOMEM or -EINVAL (a field over its cap). */
int job_encode(const struct job *j, struct buf *out);
/* Decodes p[0..n) into j. 0 or -EINVAL. */
int job_decode(const void *p, size_t n, struct job *j);

#endif
