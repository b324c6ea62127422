/*
 * lang.h - the language table: data files in languages/, not code.
 *
 * Each file describes one language: how to name its source file, how to
 * compile and run it, its environment and example, and how to ask the
 * toolchain its version. lang_table_load() reads them all at start-up and
 * probes each toolchain; a language whose toolchain is missing stays in the
 * table with available == false and a reason.
 */
#ifndef CODEROOM_LANG_H
#define CODEROOM_LANG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/limit.h"

struct lang {
	char *id;		/* "python" */
	char *name;		/* "Python" */
	char *version;		/* read from the toolchain, "" if unknown */
	char *file;		/* source file name in the work dir */
	char *editor;		/* CodeMirror mode name for the IDE */
	char *piston;		/* Piston's name for it ("c++"), or the id */
	char *runtime;		/* Piston's runtime ("gcc", "node"), or "" */
	char *example;		/* example program text, may be "" */
	char **aliases;		/* NULL-terminated */
	/*
	 * argv, NULL-terminated; NULL: no compile step. Placeholders, each a
	 * whole argument: "{file}" the entry file, "{sources}" the entry
	 * file and every other file of the job that matches 'sources' (zero
	 * or more arguments), "{flags}" the request's compile flags (zero or
	 * more arguments); inside a longer argument (a "/bin/sh -c" script)
	 * each is replaced in place, shell-quoted.
	 */
	char **compile;
	/* fnmatch(3) patterns (FNM_PATHNAME) of the job's files that
	 * "{sources}" adds after the entry file, e.g. "*.c"; NULL: none */
	char **sources;
	/* the entry file keeps the name the request gave it: the commands
	 * name it by "{file}" (else it is written as 'file') */
	bool entry_named;
	int judge0_id;		/* Judge0 CE's language id, 0: none */
	char *judge0_name;	/* Judge0's name ("C (GCC 12.2.0)"), "" */
	char **collect;		/* compile: files to keep (fnmatch patterns) */
	/* The request's compile flags allowed: every word must match one of
	 * 'flags_allow' and none of 'flags_deny' (fnmatch patterns; NULL:
	 * none allowed). "compile_flags": {"allow": [...], "deny": [...]} */
	char **flags_allow;
	char **flags_deny;
	/* The compiler runs code of the program itself (Template Haskell,
	 * Nim's staticExec): its compile step gets no more CPU time and
	 * memory than the run step ("compile_runs_code": true). */
	bool compile_runs_code;
	/* argv, NULL-terminated; "{file}" as above, "{args}" the program's
	 * arguments (appended at the end when there is no "{args}") */
	char **run;
	char **env;		/* "K=V" strings added for the program */
	char **env_pipes;	/* added only when running on pipes */
	struct limits limits;	/* run step: replaces the server's maxima
				   field by field where not 0 ("limits") */
	struct limits compile_limits;	/* same for the compile step */
	bool available;		/* toolchain found and answered */
	char *why;		/* when !available: the reason */
	char **vcmd;		/* version command (start-up only) */
};

struct lang_table {
	struct lang *v;
	size_t n;
};

/*
 * Loads every *.json of dir (examples from dir/examples/). Errors in one
 * file are logged and skip that file. The toolchains' version commands run
 * in parallel (bounded by 10 s in all). Returns 0 or -errno when the
 * directory cannot be read; an empty table is not an error.
 */
int lang_table_load(struct lang_table *t, const char *dir);
void lang_table_release(struct lang_table *t);
/* By id or alias, case-insensitively; NULL when unknown. */
const struct lang *lang_find(const struct lang_table *t, const char *name);
/* [{id,name,version,aliases,available,editor,compiled,file,reason?,
 *   example?}] */
json_t *lang_table_json(const struct lang_table *t, bool with_examples);

/* Parses one language object (no toolchain probe). Pure; for tests. */
int lang_parse(json_t *obj, struct lang *out, char *err, size_t errlen);
void lang_release(struct lang *l);

/*
 * Whether every word of 'flags' (split on white space) is an allowed
 * compile flag of 'l'. 0, or -EPERM with the first word that is not in
 * 'bad' (cut to badlen). Pure.
 */
int lang_flags_check(const struct lang *l, const char *flags, char *bad,
		     size_t badlen);

/*
 * Expands a command template (compile or run) into a new NULL-terminated
 * argv: {file}, {sources} (the vector 'sources', NULL: just 'file'),
 * {flags} (split on white space), {args}. A file name that starts with
 * '-' is passed as "./NAME" so no tool reads it as an option. Pure. The
 * caller frees the vector and its strings with lang_argv_free(). NULL on
 * ENOMEM.
 */
char **lang_expand(char *const *tmpl, const char *file,
		   const char *const *sources, const char *flags,
		   const char *const *args, bool append_args);
/* The entry file and the names of 'names' (n of them, the entry first)
 * that match l->sources, NULL-terminated, borrowed strings; free() the
 * vector. NULL on ENOMEM. Pure. */
const char **lang_sources(const struct lang *l, const char *const *names,
			  size_t n);
void lang_argv_free(char **argv);

#endif
