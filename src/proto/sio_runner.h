/*
 * sio_runner.h - the interactive runner's Socket.IO events (the original
 * runner's and the web terminal's page), on the run engine.
 *
 *   connected          server -> client on connect: {sid, languages}
 *   start_interactive  {code, language?} (Python by default)
 *                      -> started {run, language}
 *   output             server -> client as the program writes: {data, stream}
 *   input_request      server -> client when the program waits for input:
 *                      {prompt} (an addition; the original had none)
 *   send_input         {input} (or {data}): the text and a newline to stdin
 *   stop               kill the whole process tree
 *   exit               server -> client at the end:
 *                      {code, signal, status, wall_ms, cpu_ms}
 *   error              server -> client: {message}
 *
 * One run per socket at a time, on pipes (stdout and stderr apart, as the
 * original's subprocess); output is UTF-8 text (a character cut between
 * two reads is carried over, invalid bytes become U+FFFD), complete and in
 * order before "exit". The run is paused while the client's transport
 * holds more than STREAM_HIGH bytes (proto/stream.h). A socket that
 * disconnects takes its run with it: nothing can re-attach to it.
 *
 * A socket in a room (sio_collab.c) runs the room's run instead: the
 * collab module sets a target for start_interactive, send_input and stop
 * while the socket is in the room, and shows the room's run on the socket
 * with sio_runner_watch() (its output, a terminal's, is one stream).
 */
#ifndef CODEROOM_SIO_RUNNER_H
#define CODEROOM_SIO_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/sio_socket.h"

struct run;

extern const struct sio_module sio_runner;

/* Where the runner's events go instead of a run of the socket's own.
 * Each returns NULL, or why it refused (a message for the client). */
struct sio_run_target {
	/* code may be NULL (run what the target holds), lang NULL (its
	 * default) */
	const char *(*start)(void *ctx, const char *code, size_t len,
			     const char *lang);
	const char *(*input)(void *ctx, const char *p, size_t n);
	const char *(*stop)(void *ctx);
};

/* Sets (or with NULL clears) the socket's target. */
void sio_runner_set_target(struct sio_socket *s, const struct sio_run_target *t,
			   void *ctx);
/* Shows 'run' on the socket from now on (started, what the run still
 * holds of its output, live output, exit), leaving the run it showed. */
void sio_runner_watch(struct sio_socket *s, struct run *run);
/* Stops showing a run (without ending it). */
void sio_runner_unwatch(struct sio_socket *s);
/* Whether the socket has a run of its own going. */
bool sio_runner_busy(const struct sio_socket *s);

#endif
