/*
 * run.c - the run engine: a run's lifetime.
 *
 * Starting a run and each of its steps, the sandbox's callbacks, the
 * subscribers (output, state, stage, the end) and their flow control, the
 * wall timer and the input-wait probe, kill, and the end: the result handed
 * to every subscriber, then the orphan grace and the linger, and freeing.
 * Its fds are run_io.c's, what a step runs with run_step.c's, admission
 * run_queue.c's, the verdict run_verdict.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "run/run_internal.h"

#define PROBE_MS 100
/* A run found waiting is probed again only after input (or a resize, or
 * a signal) reached it, the only things that can end the wait unseen by
 * its output, and at this backstop: a class of idle programs costs the
 * spawner a probe a second each, not ten. */
#define PROBE_WAITING_MS 1000

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- lifetime ---------------------------------------------------------- */

/* Frees r's memory; its handles are closed (or were never opened). */
static void release(struct run *r)
{
	ring_release(&r->scrollback);
	buf_release(&r->inbuf);
	run__step_release(r);
	free(r);
}

/* One of r's handles is closed: r goes once the last one is. */
static void handle_closed(struct run *r)
{
	if (--r->handles_open == 0 && r->freeing)
		release(r);
}

static void on_handle_closed(uv_handle_t *h)
{
	handle_closed(h->data);
}

static void close_handle(struct run *r, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_handle_closed);
}

static void on_poll_closed(uv_handle_t *h)
{
	struct run *r = h->data;

	free(h);
	handle_closed(r);
}

void run__close_fd(struct run *r, int i)
{
	if (r->poll[i]) {
		uv_close((uv_handle_t *)r->poll[i], on_poll_closed);
		r->poll[i] = NULL;
	}
	if (r->fd[i] >= 0) {
		close(r->fd[i]);
		r->fd[i] = -1;
	}
}

void run__free(struct run *r)
{
	struct run **pp;

	for (pp = &r->e->runs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	for (int i = 0; i < NFD; i++)
		run__close_fd(r, i);
	r->freeing = true;
	if (r->remote) {
		r->e->remote--;
		if (r->held && r->e->backend)
			r->e->backend->release(r->e->backend_data, r);
		r->held = false;
	}
	close_handle(r, (uv_handle_t *)&r->wall_timer);
	close_handle(r, (uv_handle_t *)&r->probe_timer);
	close_handle(r, (uv_handle_t *)&r->linger_timer);
}

static void on_linger(uv_timer_t *t)
{
	struct run *r = t->data;

	if (r->exited || r->remote) {
		/* remote: opened by id and never attached to */
		if (!r->subs)
			run__free(r);
		return;
	}
	/* the orphan grace period ended with nobody attached */
	log_info("run %s: no client attached, killing", r->id);
	run_kill(r, RUN_KILL_ORPHANED);
}

void run__linger(struct run *r, uint64_t ms)
{
	uv_timer_start(&r->linger_timer, on_linger, ms, 0);
}

void run__maybe_orphaned(struct run *r)
{
	if (r->subs || r->freeing)
		return;
	if (r->remote && !r->exited) {
		/* where it runs, the cluster keeps it for a reattach */
		run__free(r);
		return;
	}
	if (r->exited) {
		uv_timer_start(&r->linger_timer, on_linger, r->e->orphan_ms, 0);
		return;
	}
	if (r->mode == RUN_PIPES || r->e->orphan_ms == 0 || r->e->closing) {
		run_kill(r, RUN_KILL_ORPHANED);
		return;
	}
	uv_timer_start(&r->linger_timer, on_linger, r->e->orphan_ms, 0);
}

/* ---- subscribers ------------------------------------------------------- */

void run__set_state(struct run *r, enum run_state st)
{
	if (r->state == st || r->state == RUN_EXITED)
		return;
	r->state = st;
	if (st == RUN_WAITING)
		r->idle_since_ms = run__now_ms();
	for (struct run_sub *s = r->subs, *n; s; s = n) {
		n = s->next;
		if (s->ops->state && !s->replay_due)
			s->ops->state(s, st);
	}
}

void run__notify_stage(struct run *r, enum run_step step)
{
	for (struct run_sub *s = r->subs, *n; s; s = n) {
		n = s->next;
		if (s->ops->stage && !s->replay_due)
			s->ops->stage(s, step);
	}
}

void run__deliver(struct run *r, enum run_stream stream, const char *p,
		  size_t n)
{
	r->output_since_probe = true;
	r->waiting_samples = 0;
	run__count_output(r, stream, n);
	if (r->state == RUN_WAITING)
		run__set_state(r, RUN_RUNNING);
	if (r->mode == RUN_TTY)
		ring_write(&r->scrollback, p, n);
	if (r->step == RUN_STEP_COMPILE && !r->result.compile_cached) {
		uint32_t len = (uint32_t)n;
		uint8_t tag = (uint8_t)stream;
		if (r->cout.len + 5 + n <= r->cout.max) {
			buf_append(&r->cout, &tag, 1);
			buf_append(&r->cout, &len, 4);
			buf_append(&r->cout, p, n);
		}
	}
	for (struct run_sub *s = r->subs, *nx; s; s = nx) {
		nx = s->next;
		if (!s->replay_due)	/* remote: its scrollback comes first */
			s->ops->output(s, stream, p, n);
	}
}

/* ---- a step's end, the run's end --------------------------------------- */

static bool output_open(const struct run *r)
{
	return r->fd[FD_OUT] >= 0 || r->fd[FD_ERR] >= 0;
}

static int spawn_step(struct run *r, enum run_step step);

/* The outcome of the step that just ended, from the sandbox's report. */
static void step_verdict(struct run *r, struct run_result *v)
{
	memset(v, 0, sizeof(*v));
	run_verdict(&r->sres, r->kill_reason, &r->lim,
		    r->truncated[RUN_STDOUT] || r->truncated[RUN_STDERR], v);
	if (r->kill_reason == RUN_KILL_IDLE && v->status == RUN_KILLED) {
		char a[32];
		snprintf(v->message, sizeof(v->message),
			 "killed: waited for input for %s with nobody typing "
			 "(the idle timeout)",
			 limit_fmt_ms(r->e->adm.idle_ms, a, sizeof(a)));
	}
	v->wall_ms = r->sres.wall_ms ? r->sres.wall_ms
				     : (now_ns() - r->start_ns) / 1000000;
	v->cpu_ms = r->sres.cpu_ms;
	v->memory_bytes = r->sres.memory_peak;
	memcpy(v->bytes, r->bytes, sizeof(v->bytes));
	memcpy(v->truncated, r->truncated, sizeof(v->truncated));
}

static void copy_step(struct run_step_result *d, const struct run_result *v)
{
	d->status = v->status;
	d->exit_code = v->exit_code;
	d->signal = v->signal;
	d->wall_ms = v->wall_ms;
	d->cpu_ms = v->cpu_ms;
	d->memory_bytes = v->memory_bytes;
	memcpy(d->bytes, v->bytes, sizeof(d->bytes));
	memcpy(d->truncated, v->truncated, sizeof(d->truncated));
	memcpy(d->message, v->message, sizeof(d->message));
}

/* The main fields of res from v (the compile fields stay). */
static void set_main(struct run_result *res, const struct run_result *v)
{
	res->status = v->status;
	res->exit_code = v->exit_code;
	res->signal = v->signal;
	res->wall_ms = v->wall_ms;
	res->cpu_ms = v->cpu_ms;
	res->memory_bytes = v->memory_bytes;
	memcpy(res->bytes, v->bytes, sizeof(res->bytes));
	memcpy(res->truncated, v->truncated, sizeof(res->truncated));
	memcpy(res->message, v->message, sizeof(res->message));
}

static void step_done(struct run *r)
{
	struct run_result v;

	uv_timer_stop(&r->wall_timer);
	run__close_fd(r, FD_IN);
	step_verdict(r, &v);
	if (r->step == RUN_STEP_RUN) {
		set_main(&r->result, &v);
		run__end(r);
		return;
	}
	/* the compile step */
	r->result.compile_ran = true;
	r->e->compiles++;
	if (v.status == RUN_OK && !r->have_artefact && r->sres.collect_overflow) {
		char lim[32];
		v.status = RUN_OUTPUT_LIMIT;
		snprintf(v.message, sizeof(v.message), "the compiled program is "
			 "larger than the %s a run can be given",
			 limit_fmt_bytes(SANDBOX_BYTES_MAX, lim, sizeof(lim)));
	} else if (v.status == RUN_OK && !r->have_artefact) {
		v.status = RUN_INTERNAL_ERROR;
		snprintf(v.message, sizeof(v.message), "the compiler left no "
			 "files to run");
	}
	copy_step(&r->result.compile, &v);
	if (v.status == RUN_OK) {
		run__compile_store(r);
		if (r->e->closing) {
			v.status = RUN_KILLED;
			snprintf(v.message, sizeof(v.message),
				 "killed: the server is shutting down");
			set_main(&r->result, &v);
			run__end(r);
			return;
		}
		int err = spawn_step(r, RUN_STEP_RUN);
		if (err) {
			v.status = RUN_INTERNAL_ERROR;
			snprintf(v.message, sizeof(v.message),
				 "the program could not be started: %s",
				 strerror(-err));
			set_main(&r->result, &v);
			run__end(r);
		}
		return;
	}
	set_main(&r->result, &v);
	if (v.status != RUN_KILLED && v.status != RUN_INTERNAL_ERROR) {
		r->result.status = RUN_COMPILE_ERROR;
		snprintf(r->result.message, sizeof(r->result.message),
			 "compilation failed: %.200s", v.message);
	}
	run__end(r);
}

void run__finish(struct run *r)
{
	if (r->exited || !r->sandbox_done || output_open(r))
		return;
	step_done(r);
}

void run__tell_exited(struct run *r)
{
	while (r->subs) {
		struct run_sub *s = r->subs;
		r->subs = s->next;
		s->next = NULL;
		s->run = NULL;
		if (s->paused)
			r->paused--;
		s->paused = false;
		if (s->replay_due) {	/* remote: attached before the replay */
			s->replay_due = false;
			run__replay(r, s);
		}
		s->ops->exited(s, &r->result);
	}
}

void run__end(struct run *r)
{
	struct run_engine *e = r->e;
	struct run_result *res = &r->result;

	r->exited = true;
	run__close_fd(r, FD_IN);
	uv_timer_stop(&r->wall_timer);
	uv_timer_stop(&r->probe_timer);
	uv_timer_stop(&r->linger_timer);
	r->state = RUN_EXITED;
	e->active--;
	run__slot_release(r);
	run__count_end(r);
	struct log_kv kv[] = {
		LOG_STR("run", r->id),
		LOG_STR("lang", r->lang->id),
		LOG_STR("mode", r->mode == RUN_TTY ? "tty" : "pipes"),
		LOG_STR("status", run_status_name(res->status)),
		LOG_NUM("exit_code", res->exit_code),
		LOG_NUM("signal", res->signal),
		LOG_NUM("wall_ms", res->wall_ms),
		LOG_NUM("cpu_ms", res->cpu_ms),
		LOG_NUM("memory_bytes", res->memory_bytes),
		LOG_NUM("stdout_bytes", res->bytes[RUN_STDOUT]),
		LOG_NUM("stderr_bytes", res->bytes[RUN_STDERR]),
		LOG_NUM("compiled", res->compile_ran),
	};
	log_event(LOG_INFO, "run_end", kv, sizeof(kv) / sizeof(kv[0]),
		  "run %s: %s: %s (wall %llu ms, cpu %llu ms, mem %llu KiB, "
		  "out %llu bytes)", r->id, r->lang->id, res->message,
		  (unsigned long long)res->wall_ms,
		  (unsigned long long)res->cpu_ms,
		  (unsigned long long)res->memory_bytes / 1024,
		  (unsigned long long)(res->bytes[1] + res->bytes[2]));

	run__tell_exited(r);
	if (e->closing || r->mode == RUN_PIPES)
		run__free(r);
	else
		run__maybe_orphaned(r);	/* linger for a late reconnect */
	run__pump_queue(e);
}

/* ---- sandbox callbacks ------------------------------------------------- */

static void on_spawned(void *data, int err, const struct sandbox_proc *proc)
{
	struct run *r = data;

	r->spawn_pending = false;
	if (err) {
		log_warn("run %s: spawn failed: %s", r->id, strerror(-err));
		return;	/* exited() follows with the error */
	}
	if (r->mode == RUN_TTY) {
		r->fd[FD_OUT] = proc->tty_fd;
	} else {
		r->fd[FD_IN] = proc->stdin_fd;
		r->fd[FD_OUT] = proc->stdout_fd;
		r->fd[FD_ERR] = proc->stderr_fd;
	}
	for (int i = 0; i < NFD; i++)
		if (r->fd[i] >= 0)
			fcntl(r->fd[i], F_SETFL,
			      fcntl(r->fd[i], F_GETFL) | O_NONBLOCK);
	log_debug("run %s: spawned, host pid %d", r->id, (int)proc->pid);
	run__count_spawned(r, now_ns() - r->start_ns);
	if (r->kill_reason != RUN_KILL_NONE) {
		sandbox_kill(r->e->sb, r->sandbox_id);
	} else if (r->state == RUN_STARTING) {
		r->state = RUN_RUNNING;
	}
	/* a compiler reads no input: the request's is for the program */
	if (r->mode == RUN_PIPES &&
	    (r->step == RUN_STEP_COMPILE || (r->closing_stdin && !r->inbuf.len)))
		run__close_fd(r, FD_IN);
	run__update_polls(r);
}

static void on_probed(void *data, bool waiting)
{
	struct run *r = data;

	r->probe_pending = false;
	if (r->exited)
		return;
	if (!waiting || r->output_since_probe) {
		r->waiting_samples = 0;
		if (r->state == RUN_WAITING)
			run__set_state(r, RUN_RUNNING);
		return;
	}
	if (++r->waiting_samples >= 2 && r->state == RUN_RUNNING)
		run__set_state(r, RUN_WAITING);
}

static void on_sandbox_exited(void *data, const struct sandbox_result *res)
{
	struct run *r = data;

	if (res->collected && r->step == RUN_STEP_COMPILE)
		run__take_artefact(r, res->collect_fd);
	r->sres = *res;
	r->sres.collected = false;
	r->sres.collect_fd = -1;
	r->sandbox_done = true;
	r->spawn_pending = false;
	run__finish(r);
}

static void on_usage(void *data, const struct sandbox_run_usage *su)
{
	struct run *r = data;
	struct run_usage u = {
		.step = r->step,
		.cpu_ms = su->cpu_ms,
		.wall_ms = su->wall_ms,
		.memory_bytes = su->memory_bytes,
		.memory_peak = su->memory_peak,
		.pids = su->pids,
	};

	r->usage_pending = false;
	if (r->exited || r->sandbox_done)
		return;
	for (struct run_sub *s = r->subs, *n; s; s = n) {
		n = s->next;
		if (s->usage && s->ops->usage)
			s->ops->usage(s, &u);
	}
}

static const struct sandbox_run_ops sandbox_ops = {
	.spawned = on_spawned,
	.probed = on_probed,
	.exited = on_sandbox_exited,
	.usage = on_usage,
};

/* ---- timers ------------------------------------------------------------ */

static void on_wall(uv_timer_t *t)
{
	struct run *r = t->data;
	run_kill(r, RUN_KILL_WALL);
}

/* Asks the sandbox for a usage sample every RUN_USAGE_MS while a step's
 * program runs and someone wants it; one request at a time. */
static void sample_usage(struct run *r)
{
	bool wanted = false;

	if (++r->usage_ticks * PROBE_MS < RUN_USAGE_MS)
		return;
	r->usage_ticks = 0;
	for (struct run_sub *s = r->subs; s && !wanted; s = s->next)
		wanted = s->usage && s->ops->usage;
	if (!wanted || r->usage_pending || r->spawn_pending ||
	    r->sandbox_done || r->state == RUN_STARTING)
		return;
	if (sandbox_run_usage(r->e->sb, r->sandbox_id) == 0)
		r->usage_pending = true;
}

static void on_probe_tick(uv_timer_t *t)
{
	struct run *r = t->data;

	if (!r->exited)
		sample_usage(r);

	if (r->exited || r->state == RUN_STARTING || r->probe_pending)
		return;
	if (r->output_since_probe) {
		r->output_since_probe = false;
		r->waiting_samples = 0;
		return;
	}
	uint64_t now = uv_now(r->e->loop);
	if (r->state == RUN_WAITING && !r->input_since_probe &&
	    now - r->probe_ms < PROBE_WAITING_MS)
		return;
	r->input_since_probe = false;
	if (sandbox_probe_input(r->e->sb, r->sandbox_id) == 0) {
		r->probe_pending = true;
		r->probe_ms = now;
		run__count_probe(r);
	}
}

/* ---- the engine -------------------------------------------------------- */

void run_engine_init(struct run_engine *e, uv_loop_t *loop,
		     struct sandbox *sb, const struct lang_table *langs)
{
	static const struct run_admission defaults = {
		.slots = { 4, 1 },
		.queue = { 64, 64 },
		.client_runs = 4,
		.client_queue = { 64, 64 },
		.queue_wait_ms = 300000,
		.run_memory_reserve = 16u << 20,
		.run_pids_reserve = 8,
	};

	memset(e, 0, sizeof(*e));
	e->loop = loop;
	e->sb = sb;
	e->langs = langs;
	limit_default_interactive(&e->max_tty);
	limit_default_batch(&e->max_pipes);
	limit_default_compile(&e->max_compile);
	e->orphan_ms = 10000;
	e->scrollback = 256 * 1024;
	e->input_max = 1024 * 1024;
	e->adm = defaults;
	run_engine_admission(e, &defaults);
	if (loop && uv_timer_init(loop, &e->tick) == 0) {
		e->tick.data = e;
		uv_unref((uv_handle_t *)&e->tick);
		e->tick_init = true;
	}
}

#define SET(f) if (a->f) e->adm.f = a->f

void run_engine_admission(struct run_engine *e, const struct run_admission *a)
{
	for (int c = 0; c < RUN_NCLASS; c++) {
		SET(slots[c]);
		SET(queue[c]);
		SET(client_queue[c]);
	}
	SET(client_runs);
	SET(queue_wait_ms);
	SET(run_memory_reserve);
	SET(run_pids_reserve);
	e->adm.idle_ms = a->idle_ms;
	e->adm.runs_memory = a->runs_memory;
	e->adm.runs_pids = a->runs_pids;
	/* the queues are empty: set them up afresh */
	fairq_release(&e->q[RUN_INTERACTIVE]);
	fairq_release(&e->q[RUN_BATCH]);
	fairq_init(&e->q[RUN_INTERACTIVE], e->adm.slots[RUN_INTERACTIVE],
		   e->adm.queue[RUN_INTERACTIVE], e->adm.client_runs,
		   e->adm.client_queue[RUN_INTERACTIVE]);
	fairq_init(&e->q[RUN_BATCH], e->adm.slots[RUN_BATCH],
		   e->adm.queue[RUN_BATCH], 0, e->adm.client_queue[RUN_BATCH]);
}

#undef SET

void run_engine_kill_all(struct run_engine *e)
{
	e->closing = true;
	/* remote runs go on where they run: a gateway's clients may come
	 * back through another gateway */
	for (struct run *r = e->runs; r; r = r->next)
		if (!r->exited && !r->remote)
			run_kill(r, RUN_KILL_SHUTDOWN);
}

static void on_tick_closed(uv_handle_t *h)
{
	(void)h;
}

void run_engine_release(struct run_engine *e)
{
	e->closing = true;
	if (e->tick_init) {
		uv_close((uv_handle_t *)&e->tick, on_tick_closed);
		e->tick_init = false;
	}
	while (e->runs) {
		struct run *r = e->runs;
		if (!r->exited && !r->remote) {
			/* the sandbox is gone: nothing will report */
			r->sandbox_done = true;
			for (int i = 0; i < NFD; i++)
				run__close_fd(r, i);
			run__finish(r);
		}
		if (e->runs == r)
			run__free(r);
	}
	fairq_release(&e->q[RUN_INTERACTIVE]);
	fairq_release(&e->q[RUN_BATCH]);
}

/* ---- starting ---------------------------------------------------------- */

void run__hex_id(char out[33])
{
	unsigned char rnd[16];
	static const char hex[] = "0123456789abcdef";

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		uint64_t t = now_ns();
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(rand() ^ (int)(t >> (i % 8)));
	}
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 15];
	}
	out[32] = '\0';
}

void run__link(struct run *r)
{
	struct run_engine *e = r->e;

	uv_timer_init(e->loop, &r->wall_timer);
	uv_timer_init(e->loop, &r->probe_timer);
	uv_timer_init(e->loop, &r->linger_timer);
	r->wall_timer.data = r->probe_timer.data = r->linger_timer.data = r;
	r->handles_open += 3;
	r->next = e->runs;
	e->runs = r;
}

/* Starts 'step' in a fresh sandbox. 0 or -errno. */
static int spawn_step(struct run *r, enum run_step step)
{
	struct run_step_spec s;
	int err;

	r->step = step;
	r->lim = step == RUN_STEP_COMPILE ? r->compile_lim : r->run_lim;
	for (int i = 0; i < NFD; i++)
		run__close_fd(r, i);
	r->sandbox_done = false;
	memset(&r->sres, 0, sizeof(r->sres));
	memset(r->bytes, 0, sizeof(r->bytes));
	memset(r->truncated, 0, sizeof(r->truncated));
	r->draining = false;
	r->waiting_samples = 0;
	/* answers about the last step's sandbox may never come: it is
	 * forgotten, and a late answer is dropped (a probe left pending
	 * would keep this step from ever being probed) */
	r->usage_pending = false;
	r->probe_pending = false;
	r->output_since_probe = false;
	r->input_since_probe = false;
	r->usage_ticks = 0;
	run__rate_reset(r);
	r->closing_stdin = r->mode == RUN_PIPES && !r->keep_stdin;

	if ((err = run__step_spec(r, step, &s)))
		return err;
	err = sandbox_spawn(r->e->sb, &s.spec, &sandbox_ops, r, &r->sandbox_id);
	run__step_spec_release(&s);
	if (err)
		return err;
	/* the sandbox has its copy: a running program holds no artefact */
	if (step == RUN_STEP_RUN)
		run__drop_artefact(r);
	r->spawn_pending = true;
	r->start_ns = now_ns();
	if (step == RUN_STEP_RUN)
		r->result.ran = true;
	if (r->state == RUN_WAITING)
		run__set_state(r, RUN_RUNNING);
	uv_timer_start(&r->wall_timer, on_wall, r->lim.wall_ms, 0);
	struct log_kv kv[] = {
		LOG_STR("run", r->id),
		LOG_STR("lang", r->lang->id),
		LOG_STR("step", step == RUN_STEP_COMPILE ? "compile" : "run"),
		LOG_STR("mode", r->mode == RUN_TTY ? "tty" : "pipes"),
		LOG_NUM("cpu_limit_ms", r->lim.cpu_ms),
		LOG_NUM("wall_limit_ms", r->lim.wall_ms),
	};
	log_event(LOG_INFO, "run_step", kv, sizeof(kv) / sizeof(kv[0]),
		  "run %s: %s '%s' on %s (cpu %llu ms, wall %llu ms)", r->id,
		  step == RUN_STEP_COMPILE ? "compiling" : "started",
		  r->lang->id, r->mode == RUN_TTY ? "a terminal" : "pipes",
		  (unsigned long long)r->lim.cpu_ms,
		  (unsigned long long)r->lim.wall_ms);
	run__notify_stage(r, step);
	return 0;
}

int run__start_first(struct run *r)
{
	/* Looked up now, at admission, not when the request came: a run
	 * waiting in the queue holds no artefact. */
	run__compile_lookup(r);
	if (r->lang->compile && r->have_artefact && r->cout.len) {
		/* a cache hit: the compile step's output, as it was */
		const char *p = r->cout.data, *end = p + r->cout.len;
		r->step = RUN_STEP_COMPILE;
		run__notify_stage(r, RUN_STEP_COMPILE);
		while (end - p >= 5) {
			uint8_t tag = (uint8_t)p[0];
			uint32_t len;
			memcpy(&len, p + 1, 4);
			if ((size_t)(end - p - 5) < len ||
			    (tag != RUN_STDOUT && tag != RUN_STDERR))
				break;
			run__deliver(r, (enum run_stream)tag, p + 5, len);
			p += 5 + len;
		}
	}
	return spawn_step(r, r->lang->compile && !r->have_artefact
				     ? RUN_STEP_COMPILE
				     : RUN_STEP_RUN);
}

int run_start(struct run_engine *e, const struct run_request *req,
	      struct run_sub *sub, struct run **out)
{
	const struct lang *l = req->lang;
	struct run *r;
	int err;

	if (!l || (!req->code && !req->nfiles))
		return -EINVAL;
	if (!l->available)
		return -ENOENT;
	char bad[64];
	if (req->compile_flags &&
	    lang_flags_check(l, req->compile_flags, bad, sizeof(bad)))
		return -EPERM;	/* the APIs say which flag; this is a net */
	if (e->closing)
		return -EPIPE;
	if (e->backend && !req->here)
		return run__start_remote(e, req, sub, out);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->e = e;
	r->lang = l;
	r->mode = req->mode;
	r->state = RUN_STARTING;
	r->rows = req->rows;
	r->cols = req->cols;
	for (int i = 0; i < NFD; i++)
		r->fd[i] = -1;
	enum run_mode lim_mode = run_limits_mode(req);
	run_step_limits(e, l, lim_mode, RUN_STEP_RUN, &req->limits,
			&r->run_lim);
	run_step_limits(e, l, lim_mode, RUN_STEP_COMPILE,
			&req->compile_limits, &r->compile_lim);
	r->lim = r->run_lim;
	r->step = RUN_STEP_RUN;
	r->keep_stdin = req->keep_stdin;
	r->cls = req->cls == RUN_BATCH ? RUN_BATCH : RUN_INTERACTIVE;
	snprintf(r->client, sizeof(r->client), "%s",
		 req->client ? req->client : "");
	run__hex_id(r->id);
	buf_init(&r->inbuf, e->input_max);
	if (ring_init(&r->scrollback, req->mode == RUN_TTY ? e->scrollback : 0)) {
		free(r);
		return -ENOMEM;
	}
	if ((err = run__step_init(r, req)))
		goto out_free;
	if (req->mode == RUN_PIPES && req->stdin_len &&
	    buf_append(&r->inbuf, req->stdin_data, req->stdin_len)) {
		err = -E2BIG;
		goto out_free;
	}
	if ((err = run__admit(r, req->continues)) < 0)
		goto out_free;

	run__link(r);
	e->active++;
	e->started_total++;
	run__link_sub(r, sub);

	if (!r->queued) {
		err = run__start_first(r);
		if (err) {
			/* undo: the caller sees an error and no callback */
			r->exited = true;
			run_detach(sub);
			run__slot_release(r);
			e->active--;
			e->started_total--;
			run__free(r);
			return err;
		}
	}
	uv_timer_start(&r->probe_timer, on_probe_tick, PROBE_MS, PROBE_MS);
	run__tick_start(e);
	*out = r;
	return 0;

out_free:
	release(r);
	return err;
}

/* ---- public ------------------------------------------------------------ */

struct run *run_find(struct run_engine *e, const char *id)
{
	if (!id)
		return NULL;
	for (struct run *r = e->runs; r; r = r->next)
		if (!r->freeing && strcmp(r->id, id) == 0)
			return r;
	return e->backend ? run__open_remote(e, id) : NULL;
}

const char *run_id(const struct run *r)
{
	return r->id;
}

enum run_state run_get_state(const struct run *r)
{
	return r->state;
}

enum run_mode run_get_mode(const struct run *r)
{
	return r->mode;
}

const struct limits *run_limits(const struct run *r)
{
	return &r->run_lim;
}

const struct lang *run_lang(const struct run *r)
{
	return r->lang;
}

enum run_step run_get_step(const struct run *r)
{
	return r->step;
}

const struct run_result *run_get_result(const struct run *r)
{
	return r->exited ? &r->result : NULL;
}

void run__replay(struct run *r, struct run_sub *sub)
{
	size_t n = ring_len(&r->scrollback);
	char *tmp;

	if (n == 0 || !(tmp = malloc(n)))
		return;
	ring_copy(&r->scrollback, tmp, n);
	sub->ops->output(sub, RUN_STDOUT, tmp, n);
	free(tmp);
}

void run__link_sub(struct run *r, struct run_sub *sub)
{
	sub->paused = false;
	sub->replay_due = false;
	sub->run = r;
	sub->next = r->subs;
	r->subs = sub;
}

void run_attach(struct run *r, struct run_sub *sub)
{
	if (sub->run)
		run_detach(sub);
	sub->paused = false;
	sub->replay_due = false;
	if (r->exited) {
		run__replay(r, sub);
		sub->run = NULL;
		sub->ops->exited(sub, &r->result);
		return;
	}
	uv_timer_stop(&r->linger_timer);
	run__link_sub(r, sub);
	r->idle_since_ms = run__now_ms();	/* someone came back */
	if (r->remote && sub->usage && sub->ops->usage && r->e->backend->usage)
		r->e->backend->usage(r->e->backend_data, r);
	if (r->resolving) {	/* remote: the scrollback is on its way */
		sub->replay_due = true;
		return;
	}
	run__replay(r, sub);
	if (sub->run == r && sub->ops->attached)
		sub->ops->attached(sub, r->state);
}

void run_detach(struct run_sub *sub)
{
	struct run *r = sub->run;
	struct run_sub **pp;

	if (!r)
		return;
	for (pp = &r->subs; *pp; pp = &(*pp)->next) {
		if (*pp == sub) {
			*pp = sub->next;
			break;
		}
	}
	if (sub->paused) {
		sub->paused = false;
		r->paused--;
	}
	sub->run = NULL;
	sub->next = NULL;
	sub->replay_due = false;
	if (!r->exited && !r->freeing && !r->remote)
		run__update_polls(r);
	else if (r->remote && !r->exited && r->held && !r->freeing)
		r->e->backend->pause(r->e->backend_data, r, r->paused > 0);
	run__maybe_orphaned(r);
}

void run_sub_pause(struct run_sub *sub, bool paused)
{
	struct run *r = sub->run;

	if (!r || sub->paused == paused)
		return;
	sub->paused = paused;
	if (paused)
		r->paused++;
	else
		r->paused--;
	if (r->remote) {
		if (!r->exited && r->held)
			r->e->backend->pause(r->e->backend_data, r, r->paused > 0);
		return;
	}
	if (!r->exited && !r->spawn_pending)
		run__update_polls(r);
}

void run_kill(struct run *r, enum run_kill_reason why)
{
	if (r->exited || r->sandbox_done)
		return;
	if (r->remote) {
		if (r->held)
			r->e->backend->kill(r->e->backend_data, r, why);
		return;
	}
	if (r->kill_reason == RUN_KILL_NONE)
		r->kill_reason = why;
	if (r->queued) {	/* never started: it ends here */
		struct sandbox_result sres = { 0 };
		run__dequeue(r);
		run_verdict(&sres, why, &r->run_lim, false, &r->result);
		run__end(r);
		return;
	}
	log_debug("run %s: kill (reason %d)", r->id, (int)why);
	sandbox_kill(r->e->sb, r->sandbox_id);
	/* what is left in the pty or pipes is bounded by their buffers:
	 * read it to EOF, paused or not, so the run can end */
	r->draining = true;
	if (!r->spawn_pending)
		run__update_polls(r);
}

int run_signal(struct run *r, int sig)
{
	if (r->exited || r->sandbox_done)
		return -ESRCH;
	r->input_since_probe = true;
	if (r->remote)
		return r->held ? r->e->backend->signal(r->e->backend_data, r, sig)
			       : -ESRCH;
	return sandbox_signal(r->e->sb, r->sandbox_id, sig);
}

const char *run_start_error(int err)
{
	switch (err) {
	case -EINVAL: return "the request is not valid (no code, or bad file names)";
	case -ENOENT: return "the language is not installed";
	case -EAGAIN: return "every run slot is busy; try again shortly";
	case -EBUSY: return "the run queue is full; try again shortly";
	case -ENOMEM: return "out of memory";
	case -EPIPE: return "the server is shutting down";
	case -E2BIG: return "the input is too large";
	case -ENOTCONN: return "the cluster is unavailable (its Redis cannot be "
			       "reached); try again shortly";
	case -EHOSTUNREACH: return "no worker of the cluster is up to run it; "
				   "try again shortly";
	default: return strerror(-err);
	}
}

bool run_start_retryable(int err)
{
	return err == -EAGAIN || err == -EBUSY || err == -ENOTCONN ||
	       err == -EHOSTUNREACH;
}
