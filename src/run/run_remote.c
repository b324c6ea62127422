/*
 * run_remote.c - remote runs: the engine's side of cluster mode.
 *
 * A remote run is a struct run without fds or a sandbox: the backend
 * (cluster/remote.c) moves its requests to the node where it runs and
 * feeds back what happens there through run_remote_*(). Everything a
 * subscriber sees goes through the same code as for a run of this node
 * (run__deliver(), run__set_state(), run__tell_exited(), the linger), so
 * the dialects cannot tell the difference. A run opened by id (a reattach
 * through another gateway) has subscribers before its scrollback has
 * arrived: they are marked replay_due and get it, then attached(), when
 * the backend says it is complete.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "run/run_internal.h"

void run_engine_set_backend(struct run_engine *e,
			    const struct run_backend_ops *ops, void *data)
{
	e->backend = ops;
	e->backend_data = data;
}

bool run_is_remote(const struct run *r)
{
	return r->remote;
}

void *run_remote_data(const struct run *r)
{
	return r->rdata;
}

void run_remote_set_data(struct run *r, void *data)
{
	r->rdata = data;
}

/* A remote run, linked into the engine; NULL on ENOMEM. */
static struct run *new_remote(struct run_engine *e, const char *id)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (ring_init(&r->scrollback, e->scrollback)) {
		free(r);
		return NULL;
	}
	r->e = e;
	r->remote = true;
	r->state = RUN_STARTING;
	r->step = RUN_STEP_RUN;
	r->mode = RUN_TTY;
	for (int i = 0; i < NFD; i++)
		r->fd[i] = -1;
	buf_init(&r->inbuf, 0);
	buf_init(&r->cout, 0);
	if (id)
		snprintf(r->id, sizeof(r->id), "%s", id);
	else
		run__hex_id(r->id);
	run__link(r);
	e->remote++;
	return r;
}

int run__start_remote(struct run_engine *e, const struct run_request *req,
		      struct run_sub *sub, struct run **out)
{
	struct run *r = new_remote(e, NULL);
	int err;

	if (!r)
		return -ENOMEM;
	r->lang = req->lang;
	r->mode = req->mode;
	r->rows = req->rows;
	r->cols = req->cols;
	r->keep_stdin = req->keep_stdin;
	run_step_limits(e, req->lang, run_limits_mode(req), RUN_STEP_RUN,
			&req->limits, &r->run_lim);
	run_step_limits(e, req->lang, run_limits_mode(req), RUN_STEP_COMPILE,
			&req->compile_limits, &r->compile_lim);
	r->lim = r->run_lim;
	run__link_sub(r, sub);
	err = e->backend->start(e->backend_data, r, req);
	if (err) {
		/* undo: the caller sees the error and no callback */
		r->exited = true;
		run_detach(sub);
		run__free(r);
		return err;
	}
	r->held = true;
	*out = r;
	return 0;
}

static bool id_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n >= 32 || !((s[n] >= '0' && s[n] <= '9') ||
				 (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 32;
}

struct run *run__open_remote(struct run_engine *e, const char *id)
{
	struct run *r;

	if (!id_ok(id) || e->closing || !(r = new_remote(e, id)))
		return NULL;
	r->resolving = true;
	r->held = true;
	if (e->backend->open(e->backend_data, r)) {
		r->held = false;
		run__free(r);
		return NULL;
	}
	/* freed again unless someone attaches (run_attach() stops it) */
	run__linger(r, 2000);
	return r;
}

void run_remote_found(struct run *r, enum run_mode mode, const struct lang *l,
		      const struct limits *lim)
{
	r->mode = mode;
	r->lang = l;
	if (lim)
		r->run_lim = r->lim = *lim;
}

void run_remote_missing(struct run *r)
{
	struct run_result res = { .status = RUN_INTERNAL_ERROR, .exit_code = -1 };

	r->resolving = false;
	r->exited = true;
	r->state = RUN_EXITED;
	snprintf(res.message, sizeof(res.message), "no run '%s' in the "
		 "cluster (it ended, or never was)", r->id);
	while (r->subs) {
		struct run_sub *s = r->subs;
		r->subs = s->next;
		s->next = NULL;
		s->run = NULL;
		s->replay_due = false;
		if (s->paused)
			r->paused--;
		s->paused = false;
		if (s->ops->missing)
			s->ops->missing(s);
		else
			s->ops->exited(s, &res);
	}
	run__free(r);
}

void run_remote_history(struct run *r, const char *p, size_t n)
{
	if (r->mode == RUN_TTY && !r->exited)
		ring_write(&r->scrollback, p, n);
}

void run_remote_ready(struct run *r)
{
	if (!r->resolving || r->exited)
		return;
	r->resolving = false;
	if (r->state == RUN_STARTING)
		r->state = RUN_RUNNING;
	for (struct run_sub *s = r->subs, *n; s; s = n) {
		n = s->next;
		if (!s->replay_due)
			continue;
		s->replay_due = false;
		run__replay(r, s);
		if (s->run == r && s->ops->attached)
			s->ops->attached(s, r->state);
	}
}

void run_remote_output(struct run *r, enum run_stream stream, const char *p,
		       size_t n)
{
	if (r->exited || !n)
		return;
	if (r->state == RUN_STARTING)
		r->state = RUN_RUNNING;
	run__deliver(r, stream, p, n);
}

void run_remote_state(struct run *r, enum run_state st, bool canonical)
{
	if (r->exited)
		return;
	r->canonical = canonical;
	if (r->state == RUN_STARTING)
		r->state = RUN_RUNNING;
	run__set_state(r, st);
}

void run_remote_stage(struct run *r, enum run_step step)
{
	if (r->exited)
		return;
	r->step = step;
	if (r->state == RUN_STARTING)
		r->state = RUN_RUNNING;
	run__notify_stage(r, step);
}

bool run_remote_wants_usage(const struct run *r)
{
	for (const struct run_sub *s = r->subs; s; s = s->next)
		if (s->usage && s->ops->usage)
			return true;
	return false;
}

void run_remote_usage(struct run *r, const struct run_usage *u)
{
	if (r->exited)
		return;
	for (struct run_sub *s = r->subs, *n; s; s = n) {
		n = s->next;
		if (s->usage && s->ops->usage)
			s->ops->usage(s, u);
	}
}

void run_remote_exited(struct run *r, const struct run_result *res)
{
	if (r->exited)
		return;
	r->result = *res;
	r->exited = true;
	r->resolving = false;
	r->state = RUN_EXITED;
	run__tell_exited(r);
	run__maybe_orphaned(r);	/* linger for a late reattach */
}

void run_remote_link(struct run *r, bool up)
{
	if (r->exited)
		return;
	for (struct run_sub *s = r->subs, *n; s; s = n) {
		n = s->next;
		if (s->ops->link && !s->replay_due)
			s->ops->link(s, up);
	}
}
