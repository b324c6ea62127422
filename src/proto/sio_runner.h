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
 */
#ifndef CODEROOM_SIO_RUNNER_H
#define CODEROOM_SIO_RUNNER_H

#include "proto/sio_socket.h"

extern const struct sio_module sio_runner;

#endif
