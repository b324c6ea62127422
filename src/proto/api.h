/*
 * api.h - HTTP API handlers, one file per family:
 *
 *   api_health.c    GET /api/health, GET /api/languages, GET / (JSON)
 *   api_execute.c   POST and GET /api/execute, POST /run_code
 *   api_runs.c      POST /api/runs (native batch API)
 *   api_piston.c    GET /api/v2/runtimes, POST /api/v2/execute
 *   api_rooms.c     POST /create_session, GET /editor/ID, GET /api/rooms/ID
 *   api_generate.c  POST /api/generate (code from a prompt, streamed)
 *
 * Each answers with http_reply*() (http.h), at once or when its run ends.
 * routes.c maps the paths to them.
 */
#ifndef CODEROOM_API_H
#define CODEROOM_API_H

struct conn;

void api_health(struct conn *c);
void api_languages(struct conn *c);
/* GET /: the health JSON for a client that asks for JSON, else the IDE */
void api_root(struct conn *c);
/* GET: the Next.js runner's health answer; POST: run a program */
void api_execute(struct conn *c);
void api_run_code(struct conn *c);
void api_runs(struct conn *c);
void api_piston_runtimes(struct conn *c);
void api_piston_execute(struct conn *c);
void api_create_session(struct conn *c);
void api_editor(struct conn *c);
void api_rooms(struct conn *c);
void api_generate(struct conn *c);

#endif
