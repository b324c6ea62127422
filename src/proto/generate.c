/*
 * generate.c - the code generator's configuration, request rules, prompt
 * and admission.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "net/httpc.h"
#include "proto/generate.h"
#include "run/lang.h"

#define SUFFIX "/chat/completions"

int generate_endpoint(const char *base, struct httpc_url *out)
{
	char url[1024];
	size_t n = strlen(base), sl = strlen(SUFFIX);

	if (n >= sizeof(url) - sl - 1)
		return -EINVAL;
	memcpy(url, base, n + 1);
	while (n && url[n - 1] == '/')
		url[--n] = '\0';
	if (n < sl || strcmp(url + n - sl, SUFFIX))
		memcpy(url + n, SUFFIX, sl + 1);
	if (strchr(url, '?'))
		return -EINVAL;	/* a base URL has no query */
	return httpc_url_parse(url, out);
}

/* The first line of 'path', trimmed: the key. */
static int read_key(const char *path, char **out, char *why, size_t whylen)
{
	char line[4096];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f) {
		int e = errno;
		snprintf(why, whylen, "cannot read the API key file '%s': %s",
			 path, strerror(e));
		return -e;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		     line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p) {
		snprintf(why, whylen, "the API key file '%s' is empty", path);
		return -EINVAL;
	}
	/* it goes into a header: printable ASCII only */
	for (const char *q = p; *q; q++) {
		if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e) {
			snprintf(why, whylen, "the API key in '%s' holds a "
				 "character that cannot go in a header", path);
			return -EINVAL;
		}
	}
	if (asprintf(out, "Authorization: Bearer %s\r\n", p) < 0)
		return -ENOMEM;
	return 0;
}

int generator_init(struct generator *g, uv_loop_t *loop,
		   const struct generate_config *cfg, char *why, size_t whylen)
{
	int r;

	memset(g, 0, sizeof(*g));
	g->loop = loop;
	if (!cfg->url)
		return 0;
	if (generate_endpoint(cfg->url, &g->url)) {
		snprintf(why, whylen, "--ai-url wants http(s)://HOST[:PORT]/PATH "
			 "(the API's base URL, such as https://api.openai.com/v1 "
			 "or http://127.0.0.1:11434/v1), not '%s'", cfg->url);
		return -EINVAL;
	}
	if (!cfg->model || !*cfg->model || strlen(cfg->model) >= sizeof(g->model)) {
		snprintf(why, whylen, "--ai-url needs --ai-model NAME (the "
			 "model the endpoint serves, e.g. gpt-4o-mini or "
			 "qwen2.5-coder:7b)");
		return -EINVAL;
	}
	if (utf8_valid_prefix(cfg->model, strlen(cfg->model)) !=
	    strlen(cfg->model)) {
		snprintf(why, whylen, "--ai-model is not UTF-8");
		return -EINVAL;
	}
	snprintf(g->model, sizeof(g->model), "%s", cfg->model);
	snprintf(g->base, sizeof(g->base), "%s://%.200s%.290s",
		 g->url.tls ? "https" : "http", g->url.authority, g->url.path);
	if (cfg->key_file && (r = read_key(cfg->key_file, &g->auth, why, whylen)))
		return r;
	if (g->url.tls && !(g->tls = httpc_tls_new(cfg->ca_file, why, whylen))) {
		generator_release(g);
		return -EINVAL;
	}
	g->timeout_ms = cfg->timeout_ms;
	g->max_bytes = cfg->max_bytes;
	g->rate = cfg->rate;
	g->enabled = true;
	return 0;
}

void generator_release(struct generator *g)
{
	if (g->auth) {
		explicit_bzero(g->auth, strlen(g->auth));
		free(g->auth);
		g->auth = NULL;
	}
	httpc_tls_free(g->tls);
	g->tls = NULL;
	g->enabled = false;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

int generate_parse(json_t *body, const struct lang_table *langs,
		   struct generate_req *out, const char **field, char *msg,
		   size_t msglen)
{
	json_t *prompt = json_object_get(body, "prompt");
	json_t *lang = json_object_get(body, "language");
	json_t *code = json_object_get(body, "code");
	const char *key;
	json_t *v;

	memset(out, 0, sizeof(*out));
	json_object_foreach(body, key, v) {
		if (strcmp(key, "prompt") && strcmp(key, "language") &&
		    strcmp(key, "code")) {
			*field = "";
			snprintf(msg, msglen, "unknown field '%.64s' (the fields "
				 "are prompt, language and code)", key);
			return -EINVAL;
		}
	}
	if (!json_is_string(prompt) || json_string_length(prompt) == 0 ||
	    json_string_length(prompt) > GENERATE_PROMPT_MAX ||
	    strlen(json_string_value(prompt)) != json_string_length(prompt) ||
	    blank(json_string_value(prompt))) {
		*field = "prompt";
		snprintf(msg, msglen, "'prompt' must be a text of 1 to %d bytes "
			 "saying what the program should do",
			 GENERATE_PROMPT_MAX);
		return -EINVAL;
	}
	if (!json_is_string(lang)) {
		*field = "language";
		snprintf(msg, msglen, "'language' must be a language id (GET "
			 "/api/languages)");
		return -EINVAL;
	}
	out->lang = lang_find(langs, json_string_value(lang));
	if (!out->lang) {
		*field = "language";
		snprintf(msg, msglen, "unknown language '%.64s'",
			 json_string_value(lang));
		return -EINVAL;
	}
	if (code && !json_is_null(code)) {
		if (!json_is_string(code) ||
		    json_string_length(code) > GENERATE_CODE_MAX ||
		    strlen(json_string_value(code)) != json_string_length(code)) {
			*field = "code";
			snprintf(msg, msglen, "'code' must be a text of at most "
				 "%d bytes", GENERATE_CODE_MAX);
			return -EINVAL;
		}
		out->code = json_string_value(code);
		out->code_len = json_string_length(code);
	}
	out->prompt = json_string_value(prompt);
	return 0;
}

int generate_messages(const struct generate_req *req, char **system,
		      char **user)
{
	const struct lang *l = req->lang;
	bool code = req->code && !blank(req->code);

	if (asprintf(system,
		     "You write %s programs for coderoom, a browser IDE that "
		     "runs them in a sandbox. The program is the file %s; it "
		     "runs in a terminal: it may read standard input and writes "
		     "standard output. It has no network, no GUI and no files "
		     "but its own. Answer with the complete program only: no "
		     "explanation before or after it, no Markdown code fences.",
		     l->name, l->file) < 0) {
		*system = NULL;
		return -ENOMEM;
	}
	if (asprintf(user, code ? "%s\n\nThe program as it is now (change it "
				  "as asked and give all of it):\n%.*s"
				: "%s",
		     req->prompt, (int)req->code_len, code ? req->code : "") < 0) {
		free(*system);
		*system = *user = NULL;
		return -ENOMEM;
	}
	return 0;
}

static struct generate_client *client_of(struct generator *g, const char *addr,
					 bool create, uint64_t now_ms)
{
	struct generate_client *free_slot = NULL, *oldest = NULL;

	for (size_t i = 0; i < GENERATE_CLIENTS; i++) {
		struct generate_client *c = &g->clients[i];
		if (c->addr[0] && !strcmp(c->addr, addr))
			return c;
		if (!c->addr[0]) {
			if (!free_slot)
				free_slot = c;
		} else if (!c->active && (!oldest || c->at_ms < oldest->at_ms)) {
			oldest = c;
		}
	}
	if (!create)
		return NULL;
	/* a new address: a free slot, else the idle one seen longest ago
	 * (it starts again with a full bucket: the table bounds memory,
	 * the per-address and global caps still hold) */
	struct generate_client *c = free_slot ? free_slot : oldest;
	if (!c)
		return NULL;
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->tokens = g->rate;
	c->at_ms = now_ms;
	c->active = 0;
	return c;
}

bool generate_admit(struct generator *g, const char *addr, uint64_t now_ms,
		    unsigned *retry_s, bool *busy)
{
	struct generate_client *c;

	*retry_s = 0;
	*busy = false;
	if (g->active >= GENERATE_ACTIVE_MAX) {
		*busy = true;
		return false;
	}
	c = client_of(g, addr, true, now_ms);
	if (!c) {
		*busy = true;	/* every tracked address is running */
		return false;
	}
	/* refill: 'rate' a minute, up to 'rate' */
	if (now_ms > c->at_ms) {
		c->tokens += (double)(now_ms - c->at_ms) * g->rate / 60000.0;
		if (c->tokens > g->rate)
			c->tokens = g->rate;
	}
	c->at_ms = now_ms;
	if (c->active >= GENERATE_PER_CLIENT)
		return false;
	if (c->tokens < 1.0) {
		double wait_ms = (1.0 - c->tokens) * 60000.0 / g->rate;
		*retry_s = (unsigned)(wait_ms / 1000.0) + 1;
		return false;
	}
	c->tokens -= 1.0;
	c->active++;
	g->active++;
	return true;
}

void generate_done(struct generator *g, const char *addr)
{
	struct generate_client *c = client_of(g, addr, false, 0);

	if (c && c->active)
		c->active--;
	if (g->active)
		g->active--;
}
