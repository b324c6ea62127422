/*
 * api_judge0.h - the Judge0 CE service: submissions kept in SQLite, run
 * through the same admission control as every API run, answered by token.
 *
 * main opens it after the database (the server's one store, which
 * outlives it) and registers it in struct app; api_judge0() (api.h)
 * answers its HTTP paths. Submissions left waiting or running by a stop
 * are run again when it opens; finished ones expire 'keep_ms' after they
 * finished.
 */
#ifndef CODEROOM_API_JUDGE0_H
#define CODEROOM_API_JUDGE0_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

struct app;
struct judge0;
struct store;

struct judge0_options {
	struct store *store;		/* the server's database (not owned) */
	uint64_t keep_ms;		/* a finished submission's lifetime */
	const char *const *callback_hosts;	/* NULL-terminated, or NULL */
	bool callback_private;		/* loopback/private addresses too */
	uint64_t callback_timeout_ms;
};

/* NULL (logged) when the database cannot be opened. */
struct judge0 *judge0_open(struct app *app, uv_loop_t *loop,
			   const struct judge0_options *o);
/* Shutdown begins: results of runs killed from now on are not stored
 * (the submissions run again after the restart), callbacks in flight are
 * abandoned. */
void judge0_shutdown(struct judge0 *j);
/* Frees it; its timer is closed on the loop (run it once more). */
void judge0_close(struct judge0 *j);

#endif
