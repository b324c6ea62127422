/*
 * batch.c - batch jobs of the HTTP APIs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/batch.h"

#define job_of(subp) \
	((struct batch_job *)((char *)(subp) - offsetof(struct batch_job, sub)))

static void out_init(struct batch_out *o, uint64_t cap)
{
	for (int i = 0; i < 3; i++)
		buf_init(&o->b[i], (size_t)cap * (i ? 1 : 2) + 1);
}

static void out_release(struct batch_out *o)
{
	for (int i = 0; i < 3; i++)
		buf_release(&o->b[i]);
}

struct batch_job *batch_job_new(const struct lang *l)
{
	struct batch_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->lang = l;
	j->args = calloc(1, sizeof(char *));
	if (!j->args) {
		free(j);
		return NULL;
	}
	return j;
}

void batch_job_free(struct batch_job *j)
{
	if (!j)
		return;
	run_detach(&j->sub);
	for (size_t i = 0; i < j->nfiles; i++) {
		free((char *)j->files[i].name);
		free((void *)j->files[i].data);
	}
	free(j->files);
	for (size_t i = 0; i < j->nargs; i++)
		free(j->args[i]);
	free(j->args);
	free(j->compile_flags);
	for (size_t i = 0; i < j->ncases; i++) {
		free(j->cases[i].stdin_data);
		free(j->cases[i].expected);
		out_release(&j->cases[i].out);
	}
	free(j->cases);
	out_release(&j->compile_out);
	free(j);
}

int batch_add_file(struct batch_job *j, const char *name, const void *data,
		   size_t len)
{
	struct sandbox_file *v = realloc(j->files, (j->nfiles + 1) * sizeof(*v));
	char *n, *d;

	if (!v)
		return -ENOMEM;
	j->files = v;
	n = strdup(name);
	d = malloc(len ? len : 1);
	if (!n || !d) {
		free(n);
		free(d);
		return -ENOMEM;
	}
	if (len)
		memcpy(d, data, len);
	v[j->nfiles++] = (struct sandbox_file){ .name = n, .data = d,
						.len = len, .mode = 0644 };
	return 0;
}

int batch_add_arg(struct batch_job *j, const char *arg)
{
	char **v = realloc(j->args, (j->nargs + 2) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	j->args = v;
	if (!(v[j->nargs] = strdup(arg)))
		return -ENOMEM;
	v[++j->nargs] = NULL;
	return 0;
}

int batch_add_case(struct batch_job *j, const char *in, size_t inlen,
		   const char *expected, size_t explen)
{
	struct batch_case *v = realloc(j->cases, (j->ncases + 1) * sizeof(*v));
	struct batch_case *c;

	if (!v)
		return -ENOMEM;
	j->cases = v;
	c = &v[j->ncases];
	memset(c, 0, sizeof(*c));
	c->stdin_data = malloc(inlen ? inlen : 1);
	if (!c->stdin_data)
		return -ENOMEM;
	if (inlen)
		memcpy(c->stdin_data, in, inlen);
	c->stdin_len = inlen;
	if (expected) {
		c->expected = malloc(explen + 1);
		if (!c->expected) {
			free(c->stdin_data);
			return -ENOMEM;
		}
		memcpy(c->expected, expected, explen);
		c->expected[explen] = '\0';
		c->expected_len = explen;
	}
	j->ncases++;
	return 0;
}

static int start_case(struct batch_job *j, bool continues);

static void on_output(struct run_sub *sub, enum run_stream stream,
		      const char *p, size_t n)
{
	struct batch_job *j = job_of(sub);
	struct batch_out *o = sub->run && run_get_step(sub->run) ==
			      RUN_STEP_COMPILE ? &j->compile_out
					       : &j->cases[j->cur].out;

	buf_append_some(&o->b[stream], p, n);
	buf_append_some(&o->b[0], p, n);
}

static void on_exited(struct run_sub *sub, const struct run_result *res)
{
	struct batch_job *j = job_of(sub);
	struct batch_case *k = &j->cases[j->cur];

	k->res = *res;
	k->done = true;
	if (res->compile_ran && !j->have_compile) {
		j->have_compile = true;
		j->compile_res = *res;
	}
	/* the next case, unless this one could not run */
	if (j->cur + 1 < j->ncases && res->ran &&
	    res->status != RUN_INTERNAL_ERROR && res->status != RUN_KILLED &&
	    res->status != RUN_WORKER_LOST) {
		j->cur++;
		/* the job already waited its turn: a full queue does not fail
		 * it half-way; its next case waits its turn like any run */
		int err = start_case(j, true);
		if (err == 0)
			return;
		struct batch_case *nk = &j->cases[j->cur];
		nk->done = true;
		nk->res.status = RUN_INTERNAL_ERROR;
		nk->res.exit_code = -1;
		snprintf(nk->res.message, sizeof(nk->res.message),
			 "cannot start the run: %s", run_start_error(err));
	}
	j->done(j);
}

static const struct run_sub_ops sub_ops = {
	.output = on_output,
	.exited = on_exited,
};

static int start_case(struct batch_job *j, bool continues)
{
	struct run_engine *e = j->engine;
	struct batch_case *k = &j->cases[j->cur];
	struct run *run;
	struct run_request req = {
		.lang = j->lang,
		.files = j->files,
		.nfiles = j->nfiles,
		.args = (const char *const *)j->args,
		.compile_flags = j->compile_flags,
		.compile_limits = j->compile_limits,
		.limits = j->limits,
		.stdin_data = k->stdin_data,
		.stdin_len = k->stdin_len,
		.mode = RUN_PIPES,
		.cls = RUN_BATCH,
		.client = j->client,
		.continues = continues,
	};
	struct limits lim;

	run_step_limits(e, j->lang, RUN_PIPES, RUN_STEP_RUN,
			&j->limits, &lim);
	out_release(&k->out);
	out_init(&k->out, lim.output_bytes);
	j->sub.ops = &sub_ops;
	return run_start(e, &req, &j->sub, &run);
}

int batch_start(struct batch_job *j, struct run_engine *e,
		batch_done_fn done, void *owner)
{
	struct limits lim;

	j->engine = e;
	j->done = done;
	j->owner = owner;
	run_step_limits(e, j->lang, RUN_PIPES, RUN_STEP_COMPILE,
			&j->compile_limits, &lim);
	out_release(&j->compile_out);
	out_init(&j->compile_out, lim.output_bytes);
	j->cur = 0;
	return start_case(j, false);
}

/* Length of s without trailing white space and newlines. */
static size_t trim_end(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
		     s[n - 1] == '\r' || s[n - 1] == '\v' || s[n - 1] == '\f' ||
		     s[n - 1] == '\0'))
		n--;
	return n;
}

bool batch_output_matches(const char *a, size_t al, const char *b, size_t bl)
{
	if (!a)
		a = "", al = 0;
	if (!b)
		b = "", bl = 0;
	al = trim_end(a, al);
	bl = trim_end(b, bl);
	while (al || bl) {
		const char *ae = memchr(a, '\n', al), *be = memchr(b, '\n', bl);
		size_t an = ae ? (size_t)(ae - a) : al;
		size_t bn = be ? (size_t)(be - b) : bl;
		size_t at = trim_end(a, an), bt = trim_end(b, bn);
		if (at != bt || memcmp(a, b, at))
			return false;
		if (!ae != !be)
			return false;
		a += an + (ae ? 1 : 0);
		al -= an + (ae ? 1 : 0);
		b += bn + (be ? 1 : 0);
		bl -= bn + (be ? 1 : 0);
	}
	return true;
}
