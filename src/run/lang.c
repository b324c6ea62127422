/*
 * lang.c - the language table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "run/lang.h"

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/*
 * Whether l->run[0] is "./NAME" with NAME a plain file name that a
 * 'collect' pattern takes: the compiled program itself, exec'd straight
 * from the run's work directory (no /bin/sh -c 'exec ./main' in between:
 * that shell's exec cost about 1 ms a run). It exists only in the run, so
 * the start-up probe does not look for it on the host.
 */
static bool runs_artefact(const struct lang *l)
{
	const char *name;

	if (!l->compile || !l->collect || !l->run || !l->run[0] ||
	    strncmp(l->run[0], "./", 2))
		return false;
	name = l->run[0] + 2;
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (char **p = l->collect; *p; p++)
		if (fnmatch(*p, name, FNM_PATHNAME | FNM_PERIOD) == 0)
			return true;
	return false;
}

/* A JSON array of strings as a NULL-terminated vector; NULL for null. */
static int strv_from_json(json_t *a, char ***out, const char *what, char *err,
			  size_t errlen)
{
	size_t i;
	json_t *s;
	char **v;

	*out = NULL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a)) {
		snprintf(err, errlen, "'%s' must be an array of strings", what);
		return -EINVAL;
	}
	v = calloc(json_array_size(a) + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	json_array_foreach(a, i, s) {
		if (!json_is_string(s)) {
			snprintf(err, errlen, "'%s[%zu]' must be a string", what, i);
			strv_free(v);
			return -EINVAL;
		}
		v[i] = strdup(json_string_value(s));
	}
	*out = v;
	return 0;
}

static int env_from_json(json_t *o, char ***out, const char *what, char *err,
			 size_t errlen)
{
	const char *k;
	json_t *val;
	size_t i = 0;
	char **v;

	*out = NULL;
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "'%s' must be an object", what);
		return -EINVAL;
	}
	v = calloc(json_object_size(o) + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	json_object_foreach(o, k, val) {
		if (!json_is_string(val)) {
			snprintf(err, errlen, "'%s.%s' must be a string", what, k);
			strv_free(v);
			return -EINVAL;
		}
		if (asprintf(&v[i++], "%s=%s", k, json_string_value(val)) < 0) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

static int limits_from_json(json_t *o, struct limits *l, const char *what,
			    char *err, size_t errlen)
{
	static const char *const keys[] = { "cpu_ms", "wall_ms",
		"memory_bytes", "output_bytes", "tmpfs_bytes", "pids",
		"nofile" };
	const char *k;
	json_t *v;

	memset(l, 0, sizeof(*l));
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "'%s' must be an object", what);
		return -EINVAL;
	}
	json_object_foreach(o, k, v) {
		size_t i;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(k, keys[i]))
				break;
		if (i == sizeof(keys) / sizeof(keys[0]) || !json_is_integer(v) ||
		    json_integer_value(v) < 0) {
			snprintf(err, errlen, "'%s.%s' is not a known limit with "
				 "a non-negative integer", what, k);
			return -EINVAL;
		}
		uint64_t x = (uint64_t)json_integer_value(v);
		switch (i) {
		case 0: l->cpu_ms = x; break;
		case 1: l->wall_ms = x; break;
		case 2: l->memory_bytes = x; break;
		case 3: l->output_bytes = x; break;
		case 4: l->tmpfs_bytes = x; break;
		case 5: l->pids = x > 100000 ? 100000 : (uint32_t)x; break;
		case 6: l->nofile = x > 65536 ? 65536 : (uint32_t)x; break;
		}
	}
	return 0;
}

static char *dup_str(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return strdup(s ? s : def);
}

/* "compile_flags": {"allow": [...], "deny": [...]} */
static int flags_from_json(json_t *o, struct lang *l, char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	int r;

	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "'compile_flags' must be an object "
			 "{\"allow\": [...], \"deny\": [...]}");
		return -EINVAL;
	}
	json_object_foreach(o, k, v) {
		if (strcmp(k, "allow") && strcmp(k, "deny")) {
			snprintf(err, errlen, "'compile_flags.%s' is not "
				 "'allow' or 'deny'", k);
			return -EINVAL;
		}
	}
	if ((r = strv_from_json(json_object_get(o, "allow"), &l->flags_allow,
				"compile_flags.allow", err, errlen)) ||
	    (r = strv_from_json(json_object_get(o, "deny"), &l->flags_deny,
				"compile_flags.deny", err, errlen)))
		return r;
	return 0;
}

static bool matches_any(char *const *pats, const char *word)
{
	for (char *const *p = pats; p && *p; p++)
		if (fnmatch(*p, word, 0) == 0)
			return true;
	return false;
}

int lang_flags_check(const struct lang *l, const char *flags, char *bad,
		     size_t badlen)
{
	const char *p = flags ? flags : "";

	for (;;) {
		char word[1025];
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			return 0;
		n = strcspn(p, " \t\n");
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		if (n >= sizeof(word) || !matches_any(l->flags_allow, word) ||
		    matches_any(l->flags_deny, word)) {
			snprintf(bad, badlen, "%s", word);
			return -EPERM;
		}
		p += n;
	}
}

int lang_parse(json_t *obj, struct lang *l, char *err, size_t errlen)
{
	int r;

	memset(l, 0, sizeof(*l));
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "not a JSON object");
		return -EINVAL;
	}
	const char *id = json_string_value(json_object_get(obj, "id"));
	const char *file = json_string_value(json_object_get(obj, "file"));
	if (!id || !*id) {
		snprintf(err, errlen, "'id' is missing");
		return -EINVAL;
	}
	if (!file || !*file || strchr(file, '/')) {
		snprintf(err, errlen, "'file' must be a plain file name");
		return -EINVAL;
	}
	l->id = strdup(id);
	l->name = dup_str(obj, "name", id);
	l->file = strdup(file);
	l->editor = dup_str(obj, "editor", "");
	l->piston = dup_str(obj, "piston_name", id);
	l->runtime = dup_str(obj, "runtime", "");
	l->version = strdup("");
	l->example = strdup("");
	json_t *j0 = json_object_get(obj, "judge0");
	if (j0 && !json_is_null(j0)) {
		json_t *jid = json_object_get(j0, "id");
		json_t *jname = json_object_get(j0, "name");
		if (!json_is_object(j0) || !json_is_integer(jid) ||
		    json_integer_value(jid) < 1 ||
		    json_integer_value(jid) > 1000000 ||
		    (jname && !json_is_string(jname))) {
			snprintf(err, errlen, "'judge0' must be {\"id\": a "
				 "positive integer, \"name\"?: a string}");
			r = -EINVAL;
			goto out_release;
		}
		l->judge0_id = (int)json_integer_value(jid);
	}
	l->judge0_name = strdup(json_is_object(j0) &&
				json_is_string(json_object_get(j0, "name")) ?
				json_string_value(json_object_get(j0, "name")) :
				"");
	if ((r = strv_from_json(json_object_get(obj, "aliases"), &l->aliases,
				"aliases", err, errlen)) ||
	    (r = strv_from_json(json_object_get(obj, "compile"), &l->compile,
				"compile", err, errlen)) ||
	    (r = strv_from_json(json_object_get(obj, "run"), &l->run, "run",
				err, errlen)) ||
	    (r = strv_from_json(json_object_get(obj, "collect"), &l->collect,
				"collect", err, errlen)) ||
	    (r = strv_from_json(json_object_get(obj, "sources"), &l->sources,
				"sources", err, errlen)) ||
	    (r = strv_from_json(json_object_get(obj, "version_command"),
				&l->vcmd, "version_command", err, errlen)) ||
	    (r = limits_from_json(json_object_get(obj, "limits"), &l->limits,
				  "limits", err, errlen)) ||
	    (r = limits_from_json(json_object_get(obj, "compile_limits"),
				  &l->compile_limits, "compile_limits", err,
				  errlen)) ||
	    (r = env_from_json(json_object_get(obj, "env"), &l->env, "env", err,
			       errlen)) ||
	    (r = env_from_json(json_object_get(obj, "env_pipes"), &l->env_pipes,
			       "env_pipes", err, errlen)) ||
	    (r = flags_from_json(json_object_get(obj, "compile_flags"), l, err,
				 errlen)))
		goto out_release;
	json_t *rc = json_object_get(obj, "compile_runs_code");
	if (rc && !json_is_boolean(rc)) {
		snprintf(err, errlen, "'compile_runs_code' must be true or false");
		r = -EINVAL;
		goto out_release;
	}
	l->compile_runs_code = json_is_true(rc);
	if (!l->run || !l->run[0] ||
	    (l->run[0][0] != '/' && !runs_artefact(l))) {
		snprintf(err, errlen, "'run' must start with an absolute path "
			 "(or ./NAME, NAME a file the compile step collects)");
		r = -EINVAL;
		goto out_release;
	}
	if (l->compile && (!l->compile[0] || l->compile[0][0] != '/')) {
		snprintf(err, errlen, "'compile' must start with an absolute "
			 "path");
		r = -EINVAL;
		goto out_release;
	}
	if (l->compile && (!l->collect || !l->collect[0])) {
		snprintf(err, errlen, "a compiled language needs 'collect' (the "
			 "files the run step gets)");
		r = -EINVAL;
		goto out_release;
	}
	const char *ver = json_string_value(json_object_get(obj, "version"));
	if (ver) {
		free(l->version);
		l->version = strdup(ver);
	}
	if (l->compile && (!l->compile[0] || l->compile[0][0] != '/')) {
		snprintf(err, errlen, "'compile' must start with an absolute path");
		r = -EINVAL;
		goto out_release;
	}
	if (!l->aliases)
		l->aliases = calloc(1, sizeof(char *));
	/* the commands name the entry file by {file}: it may keep its name */
	l->entry_named = false;
	for (char **p = l->run; p && *p && !l->entry_named; p++)
		l->entry_named = strstr(*p, "{file}") || strstr(*p, "{sources}");
	for (char **p = l->compile; p && *p && !l->entry_named; p++)
		l->entry_named = strstr(*p, "{file}") || strstr(*p, "{sources}");
	for (char **p = l->run; p && *p && l->entry_named; p++)
		if (strstr(*p, l->file))
			l->entry_named = false;	/* also names it literally */
	for (char **p = l->compile; p && *p && l->entry_named; p++)
		if (strstr(*p, l->file))
			l->entry_named = false;
	return 0;

out_release:
	lang_release(l);
	return r;
}

void lang_release(struct lang *l)
{
	free(l->id);
	free(l->name);
	free(l->version);
	free(l->file);
	free(l->editor);
	free(l->piston);
	free(l->runtime);
	free(l->example);
	free(l->why);
	free(l->judge0_name);
	strv_free(l->sources);
	strv_free(l->aliases);
	strv_free(l->compile);
	strv_free(l->collect);
	strv_free(l->flags_allow);
	strv_free(l->flags_deny);
	strv_free(l->vcmd);
	strv_free(l->run);
	strv_free(l->env);
	strv_free(l->env_pipes);
	memset(l, 0, sizeof(*l));
}

/* The first dotted number in s ("Python 3.11.2" -> "3.11.2"), else the
 * first number ("25"). */
static char *find_version(const char *s)
{
	static const char *const pats[] = { "[0-9]+(\\.[0-9]+)+", "[0-9]+" };
	regex_t re;
	regmatch_t m;
	char *v = NULL;

	for (size_t i = 0; i < 2 && !v; i++) {
		if (regcomp(&re, pats[i], REG_EXTENDED))
			return NULL;
		if (regexec(&re, s, 1, &m, 0) == 0)
			v = strndup(s + m.rm_so, (size_t)(m.rm_eo - m.rm_so));
		regfree(&re);
	}
	return v;
}

struct probe_job {
	struct lang *l;
	pid_t pid;
	int fd;			/* read end of stdout+stderr, -1 at EOF */
	struct buf out;
};

/* Starts l's version command; 0 or -errno. */
static int probe_start(struct probe_job *j)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	j->pid = fork();
	if (j->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (j->pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		/* a tidy, fixed environment, like the sandbox's */
		static char path[] = "PATH=/usr/local/bin:/usr/bin:/bin",
			    home[] = "HOME=/tmp", lang[] = "LANG=C.UTF-8",
			    tmp[] = "TMPDIR=/tmp";
		char *env[] = { path, home, lang, tmp, NULL };
		execve(j->l->vcmd[0], j->l->vcmd, env);
		_exit(127);
	}
	close(p[1]);
	j->fd = p[0];
	return 0;
}

/* Whether the toolchain is there, then every version command at once. */
static void probe_all(struct lang_table *t)
{
	struct probe_job *jobs = calloc(t->n ? t->n : 1, sizeof(*jobs));
	struct pollfd *pfd = calloc(t->n ? t->n : 1, sizeof(*pfd));
	struct timespec start, now;
	size_t njobs = 0;

	if (!jobs || !pfd)
		goto out;
	for (size_t i = 0; i < t->n; i++) {
		struct lang *l = &t->v[i];
		const char *missing = NULL;

		if (!runs_artefact(l) && access(l->run[0], X_OK))
			missing = l->run[0];
		else if (l->compile && access(l->compile[0], X_OK))
			missing = l->compile[0];
		else if (l->vcmd && l->vcmd[0] && access(l->vcmd[0], X_OK))
			missing = l->vcmd[0];
		if (missing) {
			l->available = false;
			if (asprintf(&l->why, "'%s' is not installed", missing) < 0)
				l->why = NULL;
			continue;
		}
		l->available = true;
		if (!l->vcmd || !l->vcmd[0])
			continue;
		struct probe_job *j = &jobs[njobs];
		j->l = l;
		j->fd = -1;
		buf_init(&j->out, 4096);
		if (probe_start(j) == 0)
			njobs++;
		else
			buf_release(&j->out);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		nfds_t n = 0;
		for (size_t i = 0; i < njobs; i++)
			pfd[i] = (struct pollfd){ .fd = jobs[i].fd,
						  .events = POLLIN };
		for (size_t i = 0; i < njobs; i++)
			n += jobs[i].fd >= 0;
		if (!n)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = 10000 - ((now.tv_sec - start.tv_sec) * 1000 +
				     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || poll(pfd, njobs, (int)left) <= 0)
			break;
		for (size_t i = 0; i < njobs; i++) {
			char tmp[1024];
			ssize_t r;
			if (jobs[i].fd < 0 || !pfd[i].revents)
				continue;
			r = read(jobs[i].fd, tmp, sizeof(tmp));
			if (r > 0) {
				buf_append_some(&jobs[i].out, tmp, (size_t)r);
			} else if (r == 0 || errno != EINTR) {
				close(jobs[i].fd);
				jobs[i].fd = -1;
			}
		}
	}
	for (size_t i = 0; i < njobs; i++) {
		struct probe_job *j = &jobs[i];
		bool slow = j->fd >= 0;
		int status = 0;
		if (slow) {
			/* Slow is not broken: every version command runs at
			 * once, and on a small busy machine the JVM-based ones
			 * starve the rest past the deadline. The language
			 * stays offered; a run says what goes wrong. */
			kill(j->pid, SIGKILL);
			close(j->fd);
			log_warn("lang: %s: version command timed out; "
				 "still offered", j->l->id);
		}
		waitpid(j->pid, &status, 0);
		char *v = find_version(buf_str(&j->out));
		if (v && !j->l->version[0]) {
			free(j->l->version);
			j->l->version = v;
		} else {
			free(v);
		}
		if (!slow && (!WIFEXITED(status) || WEXITSTATUS(status) == 127)) {
			j->l->available = false;
			if (asprintf(&j->l->why, "'%s' does not run", j->l->vcmd[0])
			    < 0)
				j->l->why = NULL;
		}
		buf_release(&j->out);
	}
out:
	free(jobs);
	free(pfd);
}

void lang_argv_free(char **argv)
{
	strv_free(argv);
}

/* Appends 's' to the vector; false on ENOMEM. */
static bool push(char ***v, size_t *n, size_t *cap, char *s)
{
	if (!s)
		return false;
	if (*n + 2 > *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **nv = realloc(*v, nc * sizeof(**v));
		if (!nv) {
			free(s);
			return false;
		}
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
	return true;
}

/* Splits 'flags' on white space into the vector. */
static bool push_words(char ***v, size_t *n, size_t *cap, const char *flags)
{
	const char *p = flags ? flags : "";

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			return true;
		const char *e = p;
		while (*e && *e != ' ' && *e != '\t' && *e != '\n')
			e++;
		if (!push(v, n, cap, strndup(p, (size_t)(e - p))))
			return false;
		p = e;
	}
}

/* 'flags' as shell words, each single-quoted. */
static void shell_words(struct buf *b, const char *flags)
{
	const char *p = flags ? flags : "";
	bool first = true;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			return;
		if (!first)
			buf_append_some(b, " ", 1);
		first = false;
		buf_append_some(b, "'", 1);
		for (; *p && *p != ' ' && *p != '\t' && *p != '\n'; p++) {
			if (*p == '\'')
				buf_append_some(b, "'\\''", 4);
			else
				buf_append_some(b, p, 1);
		}
		buf_append_some(b, "'", 1);
	}
}

/* A file name as an argument: "./-x" for "-x". */
static char *file_arg(const char *name)
{
	char *s;

	if (name[0] != '-')
		return strdup(name);
	if (asprintf(&s, "./%s", name) < 0)
		return NULL;
	return s;
}

/* Appends 'name' single-quoted for the shell. */
static void shell_quote(struct buf *b, const char *name)
{
	buf_append_some(b, "'", 1);
	if (name[0] == '-')
		buf_append_some(b, "./", 2);
	for (const char *p = name; *p; p++) {
		if (*p == '\'')
			buf_append_some(b, "'\\''", 4);
		else
			buf_append_some(b, p, 1);
	}
	buf_append_some(b, "'", 1);
}

char **lang_expand(char *const *tmpl, const char *file,
		   const char *const *sources, const char *flags,
		   const char *const *args, bool append_args)
{
	const char *const one[] = { file, NULL };
	char **v = NULL;
	size_t n = 0, cap = 0;
	bool args_done = false;

	if (!sources)
		sources = one;
	if (!push(&v, &n, &cap, strdup(tmpl[0])))
		goto fail;
	for (size_t i = 1; tmpl[i]; i++) {
		const char *t = tmpl[i];
		if (!strcmp(t, "{file}")) {
			if (!push(&v, &n, &cap, file_arg(file)))
				goto fail;
		} else if (!strcmp(t, "{sources}")) {
			for (const char *const *p = sources; *p; p++)
				if (!push(&v, &n, &cap, file_arg(*p)))
					goto fail;
		} else if (!strcmp(t, "{flags}")) {
			if (!push_words(&v, &n, &cap, flags))
				goto fail;
		} else if (!strcmp(t, "{args}")) {
			args_done = true;
			for (const char *const *a = args; a && *a; a++)
				if (!push(&v, &n, &cap, strdup(*a)))
					goto fail;
		} else {
			struct buf b;
			buf_init(&b, 1 << 20);
			for (const char *p = t; *p;) {
				if (!strncmp(p, "{file}", 6)) {
					shell_quote(&b, file);
					p += 6;
				} else if (!strncmp(p, "{sources}", 9)) {
					for (const char *const *q = sources; *q;
					     q++) {
						if (q != sources)
							buf_append_some(&b, " ", 1);
						shell_quote(&b, *q);
					}
					p += 9;
				} else if (!strncmp(p, "{flags}", 7)) {
					shell_words(&b, flags);
					p += 7;
				} else {
					buf_append_some(&b, p, 1);
					p++;
				}
			}
			bool ok = push(&v, &n, &cap, strdup(buf_str(&b)));
			buf_release(&b);
			if (!ok)
				goto fail;
		}
	}
	if (append_args && !args_done)
		for (const char *const *a = args; a && *a; a++)
			if (!push(&v, &n, &cap, strdup(*a)))
				goto fail;
	return v;
fail:
	strv_free(v);
	return NULL;
}

const char **lang_sources(const struct lang *l, const char *const *names,
			  size_t n)
{
	const char **v = calloc(n + 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool take = i == 0;
		for (char **p = l->sources; !take && p && *p; p++)
			take = fnmatch(*p, names[i], FNM_PATHNAME) == 0;
		if (take)
			v[k++] = names[i];
	}
	return v;
}

static char *read_file(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	struct buf b;
	char tmp[4096];
	size_t n;

	if (!f)
		return NULL;
	buf_init(&b, max);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append_some(&b, tmp, n);
	fclose(f);
	char *s = strdup(buf_str(&b));
	buf_release(&b);
	return s;
}

static int cmp_lang(const void *a, const void *b)
{
	return strcmp(((const struct lang *)a)->name,
		      ((const struct lang *)b)->name);
}

int lang_table_load(struct lang_table *t, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	t->v = NULL;
	t->n = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char path[4096], err[256];
		json_error_t jerr;
		struct lang l;

		if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		json_t *obj = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
		if (!obj) {
			log_warn("lang: cannot load '%s': %s (line %d)", path,
				 jerr.text, jerr.line);
			continue;
		}
		if (lang_parse(obj, &l, err, sizeof(err))) {
			log_warn("lang: '%s': %s", path, err);
			json_decref(obj);
			continue;
		}
		if (lang_find(t, l.id)) {
			log_warn("lang: '%s': id '%s' defined twice", path, l.id);
			lang_release(&l);
			json_decref(obj);
			continue;
		}
		const char *ex = json_string_value(json_object_get(obj, "example"));
		if (ex && !strchr(ex, '/')) {
			snprintf(path, sizeof(path), "%s/examples/%s", dir, ex);
			char *text = read_file(path, 256 * 1024);
			if (text) {
				free(l.example);
				l.example = text;
			} else
				log_warn("lang: example '%s' missing", path);
		}
		json_decref(obj);
		struct lang *v = realloc(t->v, (t->n + 1) * sizeof(*v));
		if (!v) {
			lang_release(&l);
			break;
		}
		t->v = v;
		t->v[t->n++] = l;
	}
	closedir(d);
	probe_all(t);
	qsort(t->v, t->n, sizeof(*t->v), cmp_lang);
	return 0;
}

void lang_table_release(struct lang_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		lang_release(&t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

const struct lang *lang_find(const struct lang_table *t, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct lang *l = &t->v[i];
		if (strcasecmp(l->id, name) == 0)
			return l;
		for (char **a = l->aliases; a && *a; a++)
			if (strcasecmp(*a, name) == 0)
				return l;
	}
	return NULL;
}

json_t *lang_table_json(const struct lang_table *t, bool with_examples)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < t->n; i++) {
		const struct lang *l = &t->v[i];
		json_t *aliases = json_array();
		for (char **a = l->aliases; a && *a; a++)
			json_array_append_new(aliases, json_string(*a));
		json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:b, s:s, s:b}",
				      "id", l->id, "name", l->name, "version",
				      l->version, "aliases", aliases,
				      "available", l->available, "editor",
				      l->editor, "compiled", l->compile != NULL);
		json_object_set_new(o, "file", json_string(l->file));
		if (!l->available)
			json_object_set_new(o, "reason", json_string(l->why ? l->why
							: "not installed"));
		if (l->compile) {
			json_t *al = json_array(), *de = json_array();
			for (char **p = l->flags_allow; p && *p; p++)
				json_array_append_new(al, json_string(*p));
			for (char **p = l->flags_deny; p && *p; p++)
				json_array_append_new(de, json_string(*p));
			json_object_set_new(o, "compile_flags",
					    json_pack("{s:o, s:o}", "allow", al,
						      "deny", de));
		}
		if (with_examples)
			json_object_set_new(o, "example", json_string(l->example));
		json_array_append_new(arr, o);
	}
	return arr;
}
