/*
 * piston.h - Piston v2 compatibility: the request and result shapes shared
 * by POST /api/v2/execute (api_piston.c) and /api/v2/connect (ws_piston.c).
 *
 * Field names, units (ms, bytes), defaults, validation order and messages
 * follow Piston's api/src/api/v2.js and job.js; -1 as a limit means "the
 * server's maximum"; a JSON body is accepted whatever its Content-Type.
 */
#ifndef CODEROOM_PISTON_H
#define CODEROOM_PISTON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "proto/batch.h"
#include "proto/rules.h"
#include "run/run.h"

/* Piston's defaults where a request leaves a limit out (ms). */
#define PISTON_RUN_TIMEOUT 3000
#define PISTON_COMPILE_TIMEOUT 10000
#define PISTON_RUN_CPU_TIME 3000
#define PISTON_COMPILE_CPU_TIME 10000

/*
 * Validates a job ({language, version, files, stdin?, args?, limits...})
 * and builds it (pure). NULL with Piston's message in e->message when it
 * is invalid (status 400; 500 on ENOMEM). The first file keeps its name
 * (run_entry_name()), subdirectories are allowed, two files of one name
 * are refused (rules.h).
 */
struct batch_job *piston_job(const struct api_ctx *ctx, json_t *body,
			     struct api_err *e);
/* A signal by Piston's name ("SIGINT", "SIGPOLL"; also "SIGRTMIN+2"),
 * 0 when Piston or Linux does not know it. Pure. */
int piston_signal(const char *name);

/* The language by Piston name or alias whose version satisfies 'range'. */
const struct lang *piston_runtime(const struct lang_table *t,
				  const char *language, const char *range);
/* Piston's version string of a language ("3.11.2"). */
void piston_version(const struct lang *l, char *out, size_t outlen);

/* {stdout, stderr, code, signal, output, memory, message, status,
 *  cpu_time, wall_time} of one stage. */
json_t *piston_stage_json(const struct run_step_result *s,
			  const struct batch_out *o);
/* Piston's status code ("RE", "SG", "TO", "OL", "EL", "XX") or NULL. */
const char *piston_status(const struct run_step_result *s);

#endif
