/*
 * generate.h - code from a prompt: the model endpoint the server talks
 * to (--ai-url, an OpenAI-compatible base URL), its key, and the limits
 * every client is held to. api_generate.c answers POST /api/generate
 * with it; the IDE's "Generate" box shows only when it is enabled.
 *
 * The server keeps the API key: it goes to the model endpoint only, never
 * to a client and never into a log. Limits: one answer is at most
 * 'max_bytes' of text and 'timeout_ms' long; a client address may start
 * 'rate' generations a minute (a bucket of 'rate' that refills over the
 * minute), and have at most GENERATE_PER_CLIENT running; the server runs
 * at most GENERATE_ACTIVE_MAX at once. The request parser, the rate
 * bucket and the prompt are pure, for the unit tests.
 */
#ifndef CODEROOM_GENERATE_H
#define CODEROOM_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "net/httpc_parse.h"

typedef struct ssl_ctx_st SSL_CTX;
struct lang;
struct lang_table;

#define GENERATE_PROMPT_MAX 4000	/* bytes of a prompt */
#define GENERATE_CODE_MAX (64 * 1024)	/* bytes of the current code sent */
#define GENERATE_PER_CLIENT 2		/* at once, per client address */
#define GENERATE_ACTIVE_MAX 16		/* at once, in all */
#define GENERATE_CLIENTS 256		/* addresses whose rate is tracked */

struct generate_config {
	const char *url;		/* base URL ("http://h:11434/v1"), or
					   NULL: the feature is off */
	const char *model;		/* required with url */
	const char *key_file;		/* the API key, first line; or NULL */
	const char *ca_file;		/* more CA certificates, or NULL */
	uint64_t timeout_ms;
	size_t max_bytes;
	unsigned rate;			/* a minute, per client address */
};

struct generate_client {
	char addr[64];			/* "" when free */
	double tokens;			/* generations it may start now */
	uint64_t at_ms;			/* when 'tokens' was computed */
	unsigned active;
};

struct generator {
	bool enabled;
	uv_loop_t *loop;
	struct httpc_url url;		/* <base>/chat/completions */
	char base[512];			/* for logs and health (no secrets) */
	char model[128];
	char *auth;			/* "Authorization: Bearer ...\r\n" */
	SSL_CTX *tls;			/* https only */
	uint64_t timeout_ms;
	size_t max_bytes;
	unsigned rate;
	unsigned active;
	uint64_t total, failed;		/* for /api/health */
	struct generate_client clients[GENERATE_CLIENTS];
};

/*
 * Reads the configuration (the key file, the CA file) and checks the URL.
 * A NULL cfg->url leaves the generator disabled (0). Returns 0, or
 * -EINVAL / -errno with the reason in 'why'.
 */
int generator_init(struct generator *g, uv_loop_t *loop,
		   const struct generate_config *cfg, char *why, size_t whylen);
void generator_release(struct generator *g);

/*
 * The chat completions URL of a base URL: "<base>/chat/completions", or
 * the base itself when it already ends so; a trailing '/' is dropped.
 * 0 or -EINVAL. Pure.
 */
int generate_endpoint(const char *base, struct httpc_url *out);

/* A parsed POST /api/generate body. Strings point into the JSON. */
struct generate_req {
	const char *prompt;
	const struct lang *lang;
	const char *code;		/* NULL when none was sent */
	size_t code_len;
};

/*
 * {prompt, language, code?}: the prompt 1..GENERATE_PROMPT_MAX bytes and
 * not blank, the language an id or alias of the table, the code at most
 * GENERATE_CODE_MAX bytes; any other field is refused. 0, or -EINVAL with
 * the field's name and a message. Pure.
 */
int generate_parse(json_t *body, const struct lang_table *langs,
		   struct generate_req *out, const char **field, char *msg,
		   size_t msglen);

/* The system and user messages for 'req' (malloc'd). 0 or -ENOMEM. Pure. */
int generate_messages(const struct generate_req *req, char **system,
		      char **user);

/*
 * Admission of a generation from 'addr' at 'now_ms': false when its
 * bucket is empty (*retry_s: seconds until the next one is allowed) or it
 * has GENERATE_PER_CLIENT running (*retry_s = 0), or the server has
 * GENERATE_ACTIVE_MAX running (*retry_s = 0, *busy = true). True takes a
 * token and counts it active: generate_done() gives the slot back. Pure.
 */
bool generate_admit(struct generator *g, const char *addr, uint64_t now_ms,
		    unsigned *retry_s, bool *busy);
void generate_done(struct generator *g, const char *addr);

#endif
