/*
 * run_step.c - what a run's steps run with.
 *
 * A run has a compile step (when its language has a compile command) and
 * a run step, each in a fresh sandbox. This file makes what they start
 * with: the request's files copied into the run, the argv and the
 * environment, each step's limits, and the compile step's artefact: the
 * files the compiler left, taken from the sandbox or from the compile
 * cache, whose key covers everything that changes what the compiler
 * writes. When a step starts and what its end means is run.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/sha256.h"
#include "run/cache.h"
#include "run/run_internal.h"

#define ARTEFACT_FILES_MAX 256

/* ---- the request's files and args -------------------------------------- */

static char **dup_argv(const char *const *a)
{
	size_t n = 0;
	char **v;

	while (a[n])
		n++;
	if (!(v = calloc(n + 1, sizeof(*v))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = strdup(a[i]))) {
			lang_argv_free(v);
			return NULL;
		}
	return v;
}

const char *run_entry_name(const struct lang *l, const char *given)
{
	return l->entry_named && given && *given ? given : l->file;
}

/* Copies the request's files (or code) into the run. 0 or -errno. */
static int copy_files(struct run *r, const struct run_request *req)
{
	struct sandbox_file one = {
		.name = r->lang->file, .data = req->code, .len = req->code_len,
		.mode = 0644,
	};
	const struct sandbox_file *in = req->nfiles ? req->files : &one;
	size_t n = req->nfiles ? req->nfiles : 1, total = 0, off = 0;
	const char *entry = run_entry_name(r->lang, in[0].name);

	for (size_t i = 0; i < n; i++) {
		const char *name = i ? in[i].name : entry;
		if (!name || !sandbox_path_ok(name, strlen(name)) || (in[i].len && !in[i].data))
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (sandbox_paths_clash(name, j ? in[j].name : entry))
				return -EINVAL;
		total += strlen(name) + 1 + in[i].len;
	}
	r->files = calloc(n, sizeof(*r->files));
	r->srcbuf = malloc(total ? total : 1);
	if (!r->files || !r->srcbuf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *name = i ? in[i].name : entry;
		size_t nl = strlen(name) + 1;
		memcpy(r->srcbuf + off, name, nl);
		r->files[i].name = r->srcbuf + off;
		off += nl;
		if (in[i].len)
			memcpy(r->srcbuf + off, in[i].data, in[i].len);
		r->files[i].data = r->srcbuf + off;
		r->files[i].len = in[i].len;
		r->files[i].mode = in[i].mode ? in[i].mode & 0777 : 0644;
		off += in[i].len;
	}
	r->nfiles = n;
	r->src_bytes = off;
	return 0;
}

int run__step_init(struct run *r, const struct run_request *req)
{
	int err;

	/* no bigger than what a spawn request may carry (collect_max) */
	buf_init(&r->artefact, SANDBOX_BYTES_MAX);
	buf_init(&r->cout, 64u << 10);
	if ((err = copy_files(r, req)))
		return err;
	if (req->args && !(r->args = dup_argv(req->args)))
		return -ENOMEM;
	if (req->compile_flags && !(r->flags = strdup(req->compile_flags)))
		return -ENOMEM;
	return 0;
}

void run__step_release(struct run *r)
{
	buf_release(&r->artefact);
	buf_release(&r->cout);
	free(r->files);
	free(r->srcbuf);
	free(r->afiles);
	free(r->flags);
	lang_argv_free(r->args);
}

/* ---- the compile step's artefact and the cache ------------------------- */

/* The cache key: everything that affects what the compiler writes. */
static void compile_key(struct run *r)
{
	const struct lang *l = r->lang;
	struct sha256 h;
	struct stat st;

	if (sha256_init(&h)) {
		sha256_final(&h, (unsigned char[32]){0});
		r->cache_key[0] = r->cout_key[0] = '\0'; /* no caching */
		return;
	}
	sha256_field(&h, "coderoom-compile/1", 18);
	sha256_field(&h, l->id, strlen(l->id));
	sha256_field(&h, l->version, strlen(l->version));
	for (char **p = l->compile; *p; p++)
		sha256_field(&h, *p, strlen(*p));
	sha256_field(&h, "", 0);
	for (char **p = l->collect; p && *p; p++)
		sha256_field(&h, *p, strlen(*p));
	sha256_field(&h, "", 0);
	for (char **p = l->env; p && *p; p++)
		sha256_field(&h, *p, strlen(*p));
	sha256_field(&h, "", 0);
	/* the toolchain binary itself: an upgrade changes the key */
	if (stat(l->compile[0], &st) == 0) {
		uint64_t v[3] = { (uint64_t)st.st_size, (uint64_t)st.st_mtime,
				  (uint64_t)st.st_ino };
		sha256_field(&h, v, sizeof(v));
	}
	sha256_field(&h, r->flags ? r->flags : "", r->flags ? strlen(r->flags) : 0);
	uint64_t n = r->nfiles;
	sha256_field(&h, &n, sizeof(n));
	for (size_t i = 0; i < r->nfiles; i++) {
		sha256_field(&h, r->files[i].name, strlen(r->files[i].name));
		sha256_field(&h, r->files[i].data, r->files[i].len);
		unsigned mode = r->files[i].mode;
		sha256_field(&h, &mode, sizeof(mode));
	}
	sha256_hex(&h, r->cache_key);
	/* the compiler's output differs on a terminal (colours, CR LF) */
	if (sha256_init(&h)) {
		sha256_final(&h, (unsigned char[32]){0});
		r->cout_key[0] = '\0';
		return;
	}
	sha256_field(&h, r->cache_key, 64);
	const char *which = r->mode == RUN_TTY ? "output/tty" : "output/pipes";
	sha256_field(&h, which, strlen(which));
	sha256_hex(&h, r->cout_key);
}

/* Parses r->artefact into r->afiles. True when it holds at least one file
 * (then have_artefact is set). */
static bool parse_artefact(struct run *r)
{
	int nf;

	free(r->afiles);
	r->afiles = calloc(ARTEFACT_FILES_MAX, sizeof(*r->afiles));
	nf = r->afiles ? sandbox_collect_parse(r->artefact.data,
					       r->artefact.len, r->afiles,
					       ARTEFACT_FILES_MAX)
		       : -ENOMEM;
	if (nf <= 0)
		return false;
	r->nafiles = (size_t)nf;
	r->have_artefact = true;
	return true;
}

void run__compile_lookup(struct run *r)
{
	struct run_engine *e = r->e;

	if (!r->lang->compile || r->have_artefact || r->result.compile_ran)
		return;
	if (!r->result.compiled) {
		r->result.compiled = true;
		compile_key(r);
	}
	if (e->cache && cache_get(e->cache, r->cache_key, &r->artefact) == 0 &&
	    parse_artefact(r)) {
		r->result.compile_cached = true;
		e->compile_cache_hits++;
		if (cache_get(e->cache, r->cout_key, &r->cout))
			buf_reset(&r->cout);
	}
}

void run__drop_artefact(struct run *r)
{
	buf_release(&r->artefact);
	free(r->afiles);
	r->afiles = NULL;
	r->nafiles = 0;
	r->have_artefact = false;
}

uint64_t run__collect_max(const struct run *r)
{
	/* what the run step can be given: its sources go with it */
	uint64_t room = SANDBOX_BYTES_MAX > r->src_bytes
				? SANDBOX_BYTES_MAX - r->src_bytes
				: 0;

	return r->lim.tmpfs_bytes < room ? r->lim.tmpfs_bytes : room;
}

void run__take_artefact(struct run *r, int fd)
{
	char tmp[65536];
	off_t off = 0;
	ssize_t n;

	buf_reset(&r->artefact);
	while ((n = pread(fd, tmp, sizeof(tmp), off)) > 0) {
		if (buf_append(&r->artefact, tmp, (size_t)n))
			return;
		off += n;
	}
	if (n < 0)
		return;
	parse_artefact(r);
}

void run__compile_store(struct run *r)
{
	struct cache *c = r->e->cache;

	/* only what a run step can be given (collect_max saw to it) */
	if (!c || !r->cache_key[0] || !r->have_artefact ||
	    r->artefact.len + r->src_bytes > SANDBOX_BYTES_MAX)
		return;
	cache_put(c, r->cache_key, r->artefact.data, r->artefact.len);
	if (r->cout.len)
		cache_put(c, r->cout_key, r->cout.data, r->cout.len);
}

/* ---- a step's limits, argv and environment ----------------------------- */

enum run_mode run_limits_mode(const struct run_request *req)
{
	return req->interactive ? RUN_TTY : req->mode;
}

void run_step_limits(const struct run_engine *e, const struct lang *l,
		     enum run_mode mode, enum run_step step,
		     const struct limits *req, struct limits *out)
{
	struct limits max = step == RUN_STEP_COMPILE ? e->max_compile
			    : mode == RUN_TTY	     ? e->max_tty
						     : e->max_pipes;
	const struct limits *ov = step == RUN_STEP_COMPILE ? &l->compile_limits
							   : &l->limits;
	struct limits none = { 0 };

	/* a language's overrides are resources (the JVM's memory and
	 * threads), never time */
	if (ov->memory_bytes)
		max.memory_bytes = ov->memory_bytes;
	if (ov->pids)
		max.pids = ov->pids;
	if (ov->nofile)
		max.nofile = ov->nofile;
	if (ov->tmpfs_bytes)
		max.tmpfs_bytes = ov->tmpfs_bytes;
	/* A compiler that runs the program's own code (Template Haskell,
	 * Nim's staticExec) gives that code no more CPU time or memory than
	 * the run step would: not the compiler's larger budget. */
	if (step == RUN_STEP_COMPILE && l->compile_runs_code) {
		struct limits run;
		run_step_limits(e, l, mode, RUN_STEP_RUN, NULL, &run);
		if (run.cpu_ms < max.cpu_ms)
			max.cpu_ms = run.cpu_ms;
		if (run.memory_bytes < max.memory_bytes)
			max.memory_bytes = run.memory_bytes;
	}
	limit_lower(&max, req ? req : &none, out);
}

/* The program's environment: a clean, fixed set plus the language's. */
static size_t build_env(const struct lang *l, enum run_mode mode,
			const char **env, size_t max)
{
	static const char *const base[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=/work",
		"USER=runner",
		"LOGNAME=runner",
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"TMPDIR=/tmp",
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]) && n < max; i++)
		env[n++] = base[i];
	if (mode == RUN_TTY && n < max)
		env[n++] = "TERM=xterm-256color";
	else if (n < max)
		env[n++] = "TERM=dumb";
	for (char **p = l->env; p && *p && n < max; p++)
		env[n++] = *p;
	for (char **p = l->env_pipes; mode == RUN_PIPES && p && *p && n < max; p++)
		env[n++] = *p;
	env[n] = NULL;
	return n;
}

int run__step_spec(const struct run *r, enum run_step step,
		   struct run_step_spec *s)
{
	const struct lang *l = r->lang;
	const struct sandbox_file *files = r->files;
	size_t nfiles = r->nfiles;

	const char *names[SANDBOX_FILES_MAX];
	const char **sources;
	size_t nn = r->nfiles < SANDBOX_FILES_MAX ? r->nfiles : SANDBOX_FILES_MAX;

	s->merged = NULL;
	for (size_t i = 0; i < nn; i++)
		names[i] = r->files[i].name;
	if (!(sources = lang_sources(l, names, nn)))
		return -ENOMEM;
	if (step == RUN_STEP_COMPILE) {
		s->argv = lang_expand(l->compile, r->files[0].name, sources,
				      r->flags, NULL, false);
	} else {
		s->argv = lang_expand(l->run, r->files[0].name, sources, NULL,
				      (const char *const *)r->args, true);
		if (r->have_artefact) {
			/* the artefact, plus the sources it does not shadow */
			s->merged = calloc(r->nafiles + r->nfiles,
					   sizeof(*s->merged));
			if (!s->merged) {
				free(sources);
				lang_argv_free(s->argv);
				return -ENOMEM;
			}
			memcpy(s->merged, r->afiles,
			       r->nafiles * sizeof(*s->merged));
			nfiles = r->nafiles;
			for (size_t i = 0; i < r->nfiles; i++) {
				bool shadowed = false;
				for (size_t j = 0; j < r->nafiles; j++)
					if (!strcmp(r->afiles[j].name,
						    r->files[i].name))
						shadowed = true;
				if (!shadowed)
					s->merged[nfiles++] = r->files[i];
			}
			files = s->merged;
		}
	}
	free(sources);
	if (!s->argv) {
		free(s->merged);
		return -ENOMEM;
	}
	build_env(l, r->mode, s->env, sizeof(s->env) / sizeof(s->env[0]) - 1);
	s->spec = (struct sandbox_spec){
		.argv = (const char *const *)s->argv,
		.envp = s->env,
		.files = files,
		.nfiles = nfiles,
		.tty = r->mode == RUN_TTY,
		.rows = r->rows ? r->rows : 24,
		.cols = r->cols ? r->cols : 80,
		.limits = {
			.memory_bytes = r->lim.memory_bytes,
			.pids = r->lim.pids,
			.nofile = r->lim.nofile,
			.fsize_bytes = r->lim.tmpfs_bytes,
			.tmpfs_bytes = r->lim.tmpfs_bytes,
			.cpu_ms = r->lim.cpu_ms,
			/* backstop: our own timer fires first */
			.wall_ms = r->lim.wall_ms + 2000,
		},
		.collect = step == RUN_STEP_COMPILE ?
			(const char *const *)l->collect : NULL,
		.collect_max = run__collect_max(r),
	};
	return 0;
}

void run__step_spec_release(struct run_step_spec *s)
{
	lang_argv_free(s->argv);
	free(s->merged);
}
