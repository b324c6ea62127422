/*
 * api.h - HTTP API handlers, one file per family:
 *
 *   api_health.c    GET /api/health, GET /api/languages, GET /api/cluster,
 *                   GET / (JSON)
 *   api_execute.c   POST and GET /api/execute, POST /run_code
 *   api_runs.c      POST /api/runs (native batch API)
 *   api_piston.c    /api/v2/: runtimes, execute, packages (Piston v2)
 *   api_judge0.c    /judge0/ (and the root paths): Judge0 CE
 *   api_rooms.c     POST /create_session, GET /editor/ID, GET /api/rooms/ID
 *   api_metrics.c   GET /metrics (Prometheus text format)
 *   api_generate.c  POST /api/generate (code from a prompt, streamed)
 *
 * Each answers with http_reply*() (http.h), at once or when its run ends.
 * routes.c maps the paths to them.
 */
#ifndef CODEROOM_API_H
#define CODEROOM_API_H

struct conn;
struct server;
struct metrics;

void api_health(struct conn *c);
void api_languages(struct conn *c);
/* GET /: the health JSON for a client that asks for JSON, else the IDE */
void api_root(struct conn *c);

/* The cluster's nodes as this node sees them (404 without --redis). */
void api_cluster(struct conn *c);
/* GET: the Next.js runner's health answer; POST: run a program */
void api_execute(struct conn *c);
void api_run_code(struct conn *c);
void api_runs(struct conn *c);
/* every path under /api/v2/ */
void api_piston(struct conn *c);
/* every path under /judge0/, and the root paths with --judge0-root */
void api_judge0(struct conn *c);
void api_create_session(struct conn *c);
void api_editor(struct conn *c);
void api_rooms(struct conn *c);
void api_metrics(struct conn *c);
/* Registers the server's own metrics (connections, queue, cache, the
 * spawner, the process) in 'reg'. 0 or -ENOMEM. */
int api_metrics_init(struct server *s, struct metrics *reg);
void api_generate(struct conn *c);

#endif
