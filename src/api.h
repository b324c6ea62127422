/*
 * api.h - HTTP API handlers, one file per family:
 *
 *   api_health.c    GET /api/health, GET /api/languages
 *   api_execute.c   POST /api/execute, GET /api/execute, POST /run_code
 *
 * Each answers with http_reply*() (http.h), at once or when its run ends.
 */
#ifndef CODEROOM_API_H
#define CODEROOM_API_H

struct conn;

void api_health(struct conn *c);
void api_languages(struct conn *c);
void api_execute_info(struct conn *c);
void api_execute(struct conn *c);
void api_run_code(struct conn *c);

#endif
