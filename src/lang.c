/*
 * lang.c - the language table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "buf.h"
#include "lang.h"
#include "log.h"

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
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

static char *dup_str(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));
	return strdup(s ? s : def);
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
	l->version = strdup("");
	l->example = strdup("");
	if ((r = strv_from_json(json_object_get(obj, "aliases"), &l->aliases,
				"aliases", err, errlen)) ||
	    (r = strv_from_json(json_object_get(obj, "compile"), &l->compile,
				"compile", err, errlen)) ||
	    (r = strv_from_json(json_object_get(obj, "run"), &l->run, "run",
				err, errlen)) ||
	    (r = env_from_json(json_object_get(obj, "env"), &l->env, "env", err,
			       errlen)) ||
	    (r = env_from_json(json_object_get(obj, "env_pipes"), &l->env_pipes,
			       "env_pipes", err, errlen)))
		goto out_release;
	if (!l->run || !l->run[0] || l->run[0][0] != '/') {
		snprintf(err, errlen, "'run' must start with an absolute path");
		r = -EINVAL;
		goto out_release;
	}
	if (l->compile && (!l->compile[0] || l->compile[0][0] != '/')) {
		snprintf(err, errlen, "'compile' must start with an absolute path");
		r = -EINVAL;
		goto out_release;
	}
	if (!l->aliases)
		l->aliases = calloc(1, sizeof(char *));
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
	free(l->example);
	free(l->why);
	strv_free(l->aliases);
	strv_free(l->compile);
	strv_free(l->run);
	strv_free(l->env);
	strv_free(l->env_pipes);
	memset(l, 0, sizeof(*l));
}

/*
 * Runs argv (start-up only), collecting stdout+stderr for at most 5 s.
 * Returns the exit status or -errno.
 */
static int capture(char *const argv[], struct buf *out)
{
	int p[2], status;
	pid_t pid;
	struct timespec start, now;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		char tmp[1024];
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = 5000 - ((now.tv_sec - start.tv_sec) * 1000 +
				    (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		ssize_t n = read(p[0], tmp, sizeof(tmp));
		if (n <= 0)
			break;
		buf_append_some(out, tmp, (size_t)n);
	}
	close(p[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return status;
}

/* The first dotted number in s ("Python 3.11.2" -> "3.11.2"). */
static char *find_version(const char *s)
{
	regex_t re;
	regmatch_t m;
	char *v = NULL;

	if (regcomp(&re, "[0-9]+(\\.[0-9]+)+", REG_EXTENDED))
		return NULL;
	if (regexec(&re, s, 1, &m, 0) == 0)
		v = strndup(s + m.rm_so, (size_t)(m.rm_eo - m.rm_so));
	regfree(&re);
	return v;
}

static void probe(struct lang *l, json_t *obj)
{
	char **vcmd = NULL, err[128];
	struct buf out;

	if (access(l->run[0], X_OK)) {
		l->available = false;
		if (asprintf(&l->why, "'%s' is not installed", l->run[0]) < 0)
			l->why = NULL;
		return;
	}
	if (l->compile && access(l->compile[0], X_OK)) {
		l->available = false;
		if (asprintf(&l->why, "'%s' is not installed", l->compile[0]) < 0)
			l->why = NULL;
		return;
	}
	l->available = true;
	if (strv_from_json(json_object_get(obj, "version_command"), &vcmd,
			   "version_command", err, sizeof(err)) || !vcmd || !vcmd[0])
		goto out;
	buf_init(&out, 4096);
	if (capture(vcmd, &out) >= 0) {
		char *v = find_version(buf_str(&out));
		if (v) {
			free(l->version);
			l->version = v;
		}
	}
	buf_release(&out);
out:
	strv_free(vcmd);
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
		probe(&l, obj);
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
		if (!l->available)
			json_object_set_new(o, "reason", json_string(l->why ? l->why
							: "not installed"));
		if (with_examples)
			json_object_set_new(o, "example", json_string(l->example));
		json_array_append_new(arr, o);
	}
	return arr;
}
