/*
 * api_fixture.h - a language table and an engine's maxima for the API
 * parser tests: the real lang_parse() on small language objects, the
 * default limits of a server started without flags.
 */
#ifndef CODEROOM_API_FIXTURE_H
#define CODEROOM_API_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/limit.h"
#include "proto/rules.h"
#include "run/lang.h"
#include "run/run.h"

static const char *const fx_lang_json[] = {
	"{\"id\":\"python\",\"name\":\"Python\",\"file\":\"main.py\","
	"\"aliases\":[\"py\",\"python3\"],\"run\":[\"/usr/bin/python3\",\"{file}\"],"
	"\"judge0\":{\"id\":71,\"name\":\"Python ({version})\"}}",
	"{\"id\":\"c\",\"name\":\"C\",\"file\":\"main.c\",\"runtime\":\"gcc\","
	"\"compile\":[\"/usr/bin/gcc\",\"{flags}\",\"-o\",\"main\",\"{sources}\"],"
	"\"collect\":[\"main\"],\"sources\":[\"*.c\"],"
	"\"compile_flags\":{\"allow\":[\"-O*\",\"-D*\",\"-W*\"],"
	"\"deny\":[\"-Wl,*\"]},"
	"\"run\":[\"/bin/sh\",\"-c\",\"exec ./main\",\"main\",\"{args}\"],"
	"\"judge0\":{\"id\":50,\"name\":\"C (GCC {version})\"}}",
	"{\"id\":\"java\",\"name\":\"Java\",\"file\":\"Main.java\","
	"\"compile\":[\"/bin/sh\",\"-c\",\"javac Main.java {flags}\"],"
	"\"collect\":[\"*.class\"],\"limits\":{\"pids\":256},"
	"\"run\":[\"/usr/bin/java\",\"Main\"],\"judge0\":{\"id\":62}}",
	"{\"id\":\"cpp\",\"name\":\"C++\",\"piston_name\":\"c++\","
	"\"file\":\"main.cpp\",\"aliases\":[\"cpp\"],"
	"\"compile\":[\"/usr/bin/g++\",\"{sources}\"],\"collect\":[\"a.out\"],"
	"\"run\":[\"/bin/sh\",\"-c\",\"./a.out\"]}",
	"{\"id\":\"ruby\",\"name\":\"Ruby\",\"file\":\"main.rb\","
	"\"run\":[\"/usr/bin/ruby\",\"{file}\"],\"judge0\":{\"id\":72}}",
};
#define FX_NLANGS (sizeof(fx_lang_json) / sizeof(fx_lang_json[0]))

static struct lang fx_lang_v[FX_NLANGS];
static struct lang_table fx_langs = { fx_lang_v, 0 };
static struct run_engine fx_engine;

/* Loads the table (ruby "not installed") and the default maxima. */
static int fx_setup(void **state)
{
	static const char *const versions[] = { "3.11.2", "12.2.0", "17.0.15",
						"12.2.0", "3.1.2" };
	char err[256];

	(void)state;
	if (fx_langs.n)
		return 0;
	for (size_t i = 0; i < FX_NLANGS; i++) {
		json_t *o = json_loads(fx_lang_json[i], 0, NULL);
		if (!o || lang_parse(o, &fx_lang_v[i], err, sizeof(err)))
			return -1;
		json_decref(o);
		free(fx_lang_v[i].version);
		fx_lang_v[i].version = strdup(versions[i]);
		fx_lang_v[i].available = i != 4;
		fx_langs.n++;
	}
	limit_default_interactive(&fx_engine.max_tty);
	limit_default_batch(&fx_engine.max_pipes);
	limit_default_compile(&fx_engine.max_compile);
	fairq_init(&fx_engine.q[RUN_BATCH], 2, 64, 0, 16);
	fairq_init(&fx_engine.q[RUN_INTERACTIVE], 4, 64, 4, 64);
	return 0;
}

static int fx_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < fx_langs.n; i++)
		lang_release(&fx_lang_v[i]);
	fx_langs.n = 0;
	return 0;
}

static struct api_ctx fx_ctx(void)
{
	return (struct api_ctx){ .langs = &fx_langs, .engine = &fx_engine };
}

static json_t *fx_json(const char *s)
{
	json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);

	if (!j)
		abort();	/* a test's own literal */
	return j;
}

#endif
