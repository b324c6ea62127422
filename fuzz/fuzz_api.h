/*
 * fuzz_api.h - what the API parser targets share: a small language table
 * (parsed by the real lang_parse()), an engine with the default maxima,
 * and the few run-engine calls batch.c makes, modelled (a link seam: the
 * parsers never start a run, so these abort if reached).
 *
 * Included by exactly one file per target.
 */
#ifndef CODEROOM_FUZZ_API_H
#define CODEROOM_FUZZ_API_H

#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "lib/limit.h"
#include "proto/rules.h"
#include "run/lang.h"
#include "run/run.h"
#include "sandbox/sandbox.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

static const char *const fz_lang_json[] = {
	"{\"id\":\"python\",\"name\":\"Python\",\"file\":\"main.py\","
	"\"aliases\":[\"py\"],\"run\":[\"/usr/bin/python3\",\"{file}\"],"
	"\"judge0\":{\"id\":71,\"name\":\"Python ({version})\"}}",
	"{\"id\":\"c\",\"name\":\"C\",\"file\":\"main.c\",\"runtime\":\"gcc\","
	"\"compile\":[\"/usr/bin/gcc\",\"{flags}\",\"-o\",\"main\",\"{sources}\"],"
	"\"collect\":[\"main\"],\"sources\":[\"*.c\"],"
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
};
#define FZ_NLANGS (sizeof(fz_lang_json) / sizeof(fz_lang_json[0]))

static struct lang fz_lang_v[FZ_NLANGS];
static struct lang_table fz_langs = { fz_lang_v, 0 };
static struct run_engine fz_engine;

static struct api_ctx fz_ctx(void)
{
	return (struct api_ctx){ .langs = &fz_langs, .engine = &fz_engine };
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const versions[] = { "3.11.2", "12.2.0", "17.0.15",
						"12.2.0" };
	char err[256];

	for (size_t i = 0; i < FZ_NLANGS; i++) {
		json_t *o = json_loads(fz_lang_json[i], 0, NULL);
		if (!o || lang_parse(o, &fz_lang_v[i], err, sizeof(err)))
			abort();
		json_decref(o);
		free(fz_lang_v[i].version);
		fz_lang_v[i].version = strdup(versions[i]);
		fz_lang_v[i].available = true;
		fz_langs.n++;
	}
	limit_default_interactive(&fz_engine.max_tty);
	limit_default_batch(&fz_engine.max_pipes);
	limit_default_compile(&fz_engine.max_compile);
	fairq_init(&fz_engine.q[RUN_BATCH], 2, 64, 0, 16);
	fairq_init(&fz_engine.q[RUN_INTERACTIVE], 4, 64, 4, 64);
	return 0;
}

/* ---- run.c, modelled: a parsed job is never started here ----------------- */

void run_detach(struct run_sub *sub)
{
	CHECK(sub->run == NULL);
}

int run_start(struct run_engine *e, const struct run_request *req,
	      struct run_sub *sub, struct run **out)
{
	fuzz_fail("run_start reached", __FILE__, __LINE__);
}

enum run_step run_get_step(const struct run *r)
{
	fuzz_fail("run_get_step reached", __FILE__, __LINE__);
}

const char *run_start_error(int err)
{
	fuzz_fail("run_start_error reached", __FILE__, __LINE__);
}

/* The job a parser built: the invariants every API relies on. */
static void fz_check_job(const struct batch_job *j)
{
	CHECK(j->lang != NULL);
	CHECK(j->nfiles >= 1 && j->nfiles <= RULES_MAX_FILES);
	CHECK(j->ncases >= 1);
	CHECK(j->args && !j->args[j->nargs]);
	for (size_t i = 0; i < j->nfiles; i++) {
		const char *n = j->files[i].name;
		CHECK(sandbox_path_ok(n, strlen(n)));
		for (size_t k = 0; k < i; k++)
			CHECK(!sandbox_paths_clash(n, j->files[k].name));
	}
	CHECK(!strcmp(j->files[0].name,
		      run_entry_name(j->lang, j->files[0].name)));
	struct limits max;
	struct api_ctx ctx = fz_ctx();
	rules_max(&ctx, j->lang, false, &max);
	CHECK(j->limits.cpu_ms <= max.cpu_ms);
	CHECK(j->limits.wall_ms <= max.wall_ms);
	CHECK(j->limits.memory_bytes <= max.memory_bytes);
	CHECK(j->limits.output_bytes <= max.output_bytes);
	CHECK(j->limits.pids <= max.pids);
	rules_max(&ctx, j->lang, true, &max);
	CHECK(j->compile_limits.cpu_ms <= max.cpu_ms);
	CHECK(j->compile_limits.wall_ms <= max.wall_ms);
	CHECK(j->compile_limits.memory_bytes <= max.memory_bytes);
	/* the expanded commands are well formed */
	const char *names[RULES_MAX_FILES];
	for (size_t i = 0; i < j->nfiles; i++)
		names[i] = j->files[i].name;
	const char **src = lang_sources(j->lang, names, j->nfiles);
	CHECK(src && src[0] == names[0]);
	char **argv = lang_expand(j->lang->compile ? j->lang->compile
						   : j->lang->run,
				  names[0], src, j->compile_flags,
				  (const char *const *)j->args, true);
	CHECK(argv && argv[0] && argv[0][0] == '/');
	lang_argv_free(argv);
	free(src);
}

/* An error: a status, and a message JSON can carry. */
static void fz_check_err(const struct api_err *e)
{
	CHECK(e->status == 400 || e->status == 422 || e->status == 500);
	CHECK(e->message[0] != '\0');
	json_t *j = json_pack("{s:s, s:s}", "message", e->message, "field",
			      e->field);
	CHECK(j != NULL);
	json_decref(j);
}

#endif
