/*
 * run.c - the run engine.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "log.h"
#include "run.h"
#include "sandbox/sandbox.h"
#include "sha256.h"

#define READ_CHUNK (64 * 1024)
#define PROBE_MS 100

enum { FD_OUT, FD_ERR, FD_IN, NFD };

struct run {
	struct run_engine *e;
	struct run *next;		/* in e->runs */
	char id[33];			/* 128 random bits, hex */
	const struct lang *lang;
	enum run_mode mode;
	enum run_state state;
	enum run_step step;
	struct limits lim;		/* the current step's */
	struct limits run_lim, compile_lim;
	bool keep_stdin;
	uint16_t rows, cols;
	bool queued;			/* waiting in e->queue */
	bool admitted;			/* holds one of e->batch_slots */
	struct run *qnext;		/* in e->queue */

	/* what the steps need: the source files, args, the artefact */
	struct sandbox_file *files;	/* files[0] named lang->file */
	size_t nfiles;
	char *srcbuf;			/* names + data of 'files' */
	char **args;			/* NULL-terminated */
	char *flags;
	char cache_key[65];
	struct buf artefact;		/* collected by the compile step */
	bool have_artefact;
	struct sandbox_file *afiles;	/* parsed from 'artefact' */
	size_t nafiles;
	/* the compiler's output, kept (bounded) with the artefact so a cache
	 * hit shows its warnings again: chunks { u8 stream, u32 len, bytes } */
	struct buf cout;
	char cout_key[65];
	uint64_t sandbox_id;
	bool spawn_pending;		/* sandbox_spawn() accepted, no spawned() yet */
	bool sandbox_done;		/* exited() came from the sandbox */
	struct sandbox_result sres;
	enum run_kill_reason kill_reason;
	bool draining;			/* killed: read to EOF even if paused */

	int fd[NFD];			/* tty: fd[FD_OUT] is the master, both ways */
	uv_poll_t poll[NFD];
	bool poll_init[NFD];
	int poll_events[NFD];		/* what the poll watches now */
	bool closing_stdin;		/* close stdin once inbuf is drained */

	struct run_sub *subs;
	unsigned paused;		/* subs that asked for a pause */
	struct ring scrollback;
	struct buf inbuf;		/* input not yet written */
	uint64_t bytes[3];
	bool truncated[3];

	uv_timer_t wall_timer;		/* wall limit */
	uv_timer_t probe_timer;		/* input-wait sampling */
	uv_timer_t linger_timer;	/* orphan grace, then linger after exit */
	bool output_since_probe;
	bool probe_pending;
	int waiting_samples;
	uint64_t start_ns;

	bool exited;
	struct run_result result;
	unsigned handles_open;		/* uv handles not yet closed */
	bool freeing;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *run_status_name(enum run_status s)
{
	static const char *const names[] = {
		[RUN_OK] = "ok",
		[RUN_RUNTIME_ERROR] = "runtime_error",
		[RUN_SIGNAL] = "signal",
		[RUN_KILLED] = "killed",
		[RUN_CPU_LIMIT] = "cpu_limit",
		[RUN_WALL_LIMIT] = "wall_limit",
		[RUN_MEMORY_LIMIT] = "memory_limit",
		[RUN_OUTPUT_LIMIT] = "output_limit",
		[RUN_PIDS_LIMIT] = "pids_limit",
		[RUN_INTERNAL_ERROR] = "internal_error",
		[RUN_COMPILE_ERROR] = "compile_error",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void run_verdict(const struct sandbox_result *sres, enum run_kill_reason why,
		 const struct limits *lim, bool output_truncated,
		 struct run_result *out)
{
	char a[32];
	int st = sres->status;

	out->exit_code = -1;
	out->signal = 0;
	if (sres->error) {
		out->status = RUN_INTERNAL_ERROR;
		snprintf(out->message, sizeof(out->message),
			 "the program could not be started: %.200s",
			 sres->message[0] ? sres->message : strerror(-sres->error));
		return;
	}
	if (WIFEXITED(st))
		out->exit_code = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		out->signal = WTERMSIG(st);

	if (why == RUN_KILL_OUTPUT || output_truncated) {
		out->status = RUN_OUTPUT_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "output limit of %s exceeded",
			 limit_fmt_bytes(lim->output_bytes, a, sizeof(a)));
	} else if (why == RUN_KILL_WALL || sres->hit == SANDBOX_HIT_WALL) {
		out->status = RUN_WALL_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "wall time limit of %s exceeded",
			 limit_fmt_ms(lim->wall_ms, a, sizeof(a)));
	} else if (why == RUN_KILL_USER) {
		out->status = RUN_KILLED;
		snprintf(out->message, sizeof(out->message), "stopped");
	} else if (why == RUN_KILL_ORPHANED) {
		out->status = RUN_KILLED;
		snprintf(out->message, sizeof(out->message),
			 "killed: no client attached");
	} else if (why == RUN_KILL_SHUTDOWN) {
		out->status = RUN_KILLED;
		snprintf(out->message, sizeof(out->message),
			 "killed: the server is shutting down");
	} else if (sres->hit == SANDBOX_HIT_CPU ||
		   (out->signal == SIGXCPU)) {
		out->status = RUN_CPU_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "CPU time limit of %s exceeded",
			 limit_fmt_ms(lim->cpu_ms, a, sizeof(a)));
	} else if (sres->hit == SANDBOX_HIT_MEMORY) {
		out->status = RUN_MEMORY_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "memory limit of %s exceeded",
			 limit_fmt_bytes(lim->memory_bytes, a, sizeof(a)));
	} else if (sres->hit == SANDBOX_HIT_PIDS) {
		out->status = RUN_PIDS_LIMIT;
		snprintf(out->message, sizeof(out->message),
			 "process limit of %u reached", lim->pids);
	} else if (out->signal) {
		const char *abbrev = sigabbrev_np(out->signal);
		out->status = RUN_SIGNAL;
		snprintf(out->message, sizeof(out->message),
			 "killed by signal SIG%s (%s)", abbrev ? abbrev : "?",
			 strsignal(out->signal));
	} else if (out->exit_code == 0) {
		out->status = RUN_OK;
		snprintf(out->message, sizeof(out->message), "exited with code 0");
	} else {
		out->status = RUN_RUNTIME_ERROR;
		snprintf(out->message, sizeof(out->message),
			 "exited with code %d", out->exit_code);
	}
}

/* ---- lifetime ---------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
	struct run *r = h->data;

	if (--r->handles_open == 0 && r->freeing) {
		ring_release(&r->scrollback);
		buf_release(&r->inbuf);
		buf_release(&r->artefact);
		buf_release(&r->cout);
		free(r->files);
		free(r->srcbuf);
		free(r->afiles);
		free(r->flags);
		lang_argv_free(r->args);
		free(r);
	}
}

static void close_handle(struct run *r, uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_handle_closed);
}

static void close_fd(struct run *r, int i)
{
	if (r->poll_init[i]) {
		close_handle(r, (uv_handle_t *)&r->poll[i]);
		r->poll_init[i] = false;
	}
	if (r->fd[i] >= 0) {
		close(r->fd[i]);
		r->fd[i] = -1;
	}
}

static void run_free(struct run *r)
{
	struct run **pp;

	for (pp = &r->e->runs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	for (int i = 0; i < NFD; i++)
		close_fd(r, i);
	r->freeing = true;
	close_handle(r, (uv_handle_t *)&r->wall_timer);
	close_handle(r, (uv_handle_t *)&r->probe_timer);
	close_handle(r, (uv_handle_t *)&r->linger_timer);
}

static void on_linger(uv_timer_t *t)
{
	struct run *r = t->data;

	if (r->exited) {
		if (!r->subs)
			run_free(r);
		return;
	}
	/* the orphan grace period ended with nobody attached */
	log_info("run %s: no client attached, killing", r->id);
	run_kill(r, RUN_KILL_ORPHANED);
}

static void maybe_orphaned(struct run *r)
{
	if (r->subs || r->freeing)
		return;
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

/* ---- polling ----------------------------------------------------------- */

static void on_poll(uv_poll_t *p, int status, int events);

/* Recomputes what each fd's poll watches: output unless paused, input when
 * there is some to write. */
static void update_polls(struct run *r)
{
	for (int i = 0; i < NFD; i++) {
		bool reads = i != FD_IN;
		bool writes = i == FD_IN || r->mode == RUN_TTY;
		int want = 0;

		if (r->fd[i] < 0)
			continue;
		if (reads && (!r->paused || r->draining))
			want |= UV_READABLE;
		if (writes && r->inbuf.len && r->step == RUN_STEP_RUN)
			want |= UV_WRITABLE;
		if (!r->poll_init[i]) {
			if (uv_poll_init(r->e->loop, &r->poll[i], r->fd[i])) {
				log_error("run %s: cannot poll fd %d", r->id,
					  r->fd[i]);
				continue;
			}
			r->poll[i].data = r;
			r->poll_init[i] = true;
			r->handles_open++;
			r->poll_events[i] = 0;
		}
		if (want == r->poll_events[i])
			continue;
		if (want)
			uv_poll_start(&r->poll[i], want, on_poll);
		else
			uv_poll_stop(&r->poll[i]);
		r->poll_events[i] = want;
	}
}

static void finish(struct run *r);

static void set_state(struct run *r, enum run_state st)
{
	if (r->state == st || r->state == RUN_EXITED)
		return;
	r->state = st;
	for (struct run_sub *s = r->subs, *n; s; s = n) {
		n = s->next;
		if (s->ops->state)
			s->ops->state(s, st);
	}
}

static void deliver(struct run *r, enum run_stream stream, const char *p,
		    size_t n)
{
	r->output_since_probe = true;
	r->waiting_samples = 0;
	if (r->state == RUN_WAITING)
		set_state(r, RUN_RUNNING);
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
		s->ops->output(s, stream, p, n);
	}
}

static void read_output(struct run *r, int i)
{
	enum run_stream stream = i == FD_ERR ? RUN_STDERR : RUN_STDOUT;
	char buf[READ_CHUNK];
	ssize_t n = read(r->fd[i], buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {	/* EOF, or EIO: the last slave of the pty closed */
		close_fd(r, i);
		finish(r);
		return;
	}
	uint64_t cap = r->lim.output_bytes;
	if (r->bytes[stream] > cap)	/* cannot be, but never underflow */
		cap = r->bytes[stream];
	size_t keep = (size_t)n;
	if (r->bytes[stream] + keep > cap) {
		keep = (size_t)(cap - r->bytes[stream]);
		r->truncated[stream] = true;
	}
	r->bytes[stream] += keep;
	if (keep)
		deliver(r, stream, buf, keep);
	if (r->truncated[stream]) {
		/* cut cleanly at the cap: nothing more is read */
		if (r->kill_reason == RUN_KILL_NONE)
			run_kill(r, RUN_KILL_OUTPUT);
		close_fd(r, i);
		finish(r);
	}
}

static void write_input(struct run *r, int fd)
{
	ssize_t n = write(fd, r->inbuf.data, r->inbuf.len);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		buf_reset(&r->inbuf);	/* the program closed its input */
		if (r->mode == RUN_PIPES)
			close_fd(r, FD_IN);
		return;
	}
	buf_consume(&r->inbuf, (size_t)n);
	if (r->inbuf.len == 0 && r->closing_stdin && r->mode == RUN_PIPES)
		close_fd(r, FD_IN);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct run *r = p->data;
	int i = (int)(p - r->poll);

	if (status < 0)
		events = UV_READABLE;	/* let read() report the error */
	if ((events & UV_WRITABLE) && r->fd[i] >= 0)
		write_input(r, r->fd[i]);
	if ((events & (UV_READABLE | UV_DISCONNECT)) && i != FD_IN &&
	    r->fd[i] >= 0)
		read_output(r, i);
	if (!r->freeing && !r->exited)
		update_polls(r);
}

/* ---- the end ----------------------------------------------------------- */

static bool output_open(const struct run *r)
{
	return r->fd[FD_OUT] >= 0 || r->fd[FD_ERR] >= 0;
}

static void end(struct run *r);
static int spawn_step(struct run *r, enum run_step step);
static void pump_queue(struct run_engine *e);

/* The outcome of the step that just ended, from the sandbox's report. */
static void step_verdict(struct run *r, struct run_result *v)
{
	memset(v, 0, sizeof(*v));
	run_verdict(&r->sres, r->kill_reason, &r->lim,
		    r->truncated[RUN_STDOUT] || r->truncated[RUN_STDERR], v);
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
	close_fd(r, FD_IN);
	step_verdict(r, &v);
	if (r->step == RUN_STEP_RUN) {
		set_main(&r->result, &v);
		end(r);
		return;
	}
	/* the compile step */
	r->result.compile_ran = true;
	r->e->compiles++;
	if (v.status == RUN_OK && !r->have_artefact) {
		v.status = RUN_INTERNAL_ERROR;
		snprintf(v.message, sizeof(v.message), "the compiler left no "
			 "files to run (or more than the compile tmpfs holds)");
	}
	copy_step(&r->result.compile, &v);
	if (v.status == RUN_OK) {
		if (r->e->cache && r->cache_key[0]) {
			cache_put(r->e->cache, r->cache_key, r->artefact.data,
				  r->artefact.len);
			if (r->cout.len)
				cache_put(r->e->cache, r->cout_key, r->cout.data,
					  r->cout.len);
		}
		if (r->e->closing) {
			v.status = RUN_KILLED;
			snprintf(v.message, sizeof(v.message),
				 "killed: the server is shutting down");
			set_main(&r->result, &v);
			end(r);
			return;
		}
		int err = spawn_step(r, RUN_STEP_RUN);
		if (err) {
			v.status = RUN_INTERNAL_ERROR;
			snprintf(v.message, sizeof(v.message),
				 "the program could not be started: %s",
				 strerror(-err));
			set_main(&r->result, &v);
			end(r);
		}
		return;
	}
	set_main(&r->result, &v);
	if (v.status != RUN_KILLED && v.status != RUN_INTERNAL_ERROR) {
		r->result.status = RUN_COMPILE_ERROR;
		snprintf(r->result.message, sizeof(r->result.message),
			 "compilation failed: %.200s", v.message);
	}
	end(r);
}

/* A step is over once the sandbox reported the exit and every byte of
 * output has been read and delivered. */
static void finish(struct run *r)
{
	if (r->exited || !r->sandbox_done || output_open(r))
		return;
	step_done(r);
}

/* The run is over: tell every subscriber. */
static void end(struct run *r)
{
	struct run_engine *e = r->e;
	struct run_result *res = &r->result;

	r->exited = true;
	close_fd(r, FD_IN);
	uv_timer_stop(&r->wall_timer);
	uv_timer_stop(&r->probe_timer);
	uv_timer_stop(&r->linger_timer);
	r->state = RUN_EXITED;
	e->active--;
	if (r->admitted) {
		r->admitted = false;
		e->batch_active--;
	}
	log_info("run %s: %s: %s (wall %llu ms, cpu %llu ms, mem %llu KiB, "
		 "out %llu bytes)", r->id, r->lang->id, res->message,
		 (unsigned long long)res->wall_ms,
		 (unsigned long long)res->cpu_ms,
		 (unsigned long long)res->memory_bytes / 1024,
		 (unsigned long long)(res->bytes[1] + res->bytes[2]));

	while (r->subs) {
		struct run_sub *s = r->subs;
		r->subs = s->next;
		s->next = NULL;
		s->run = NULL;
		if (s->paused)
			r->paused--;
		s->paused = false;
		s->ops->exited(s, res);
	}
	if (e->closing || r->mode == RUN_PIPES)
		run_free(r);
	else
		maybe_orphaned(r);	/* linger for a late reconnect */
	pump_queue(e);
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
	if (r->kill_reason != RUN_KILL_NONE) {
		sandbox_kill(r->e->sb, r->sandbox_id);
	} else if (r->state == RUN_STARTING) {
		r->state = RUN_RUNNING;
	}
	/* a compiler reads no input: the request's is for the program */
	if (r->mode == RUN_PIPES &&
	    (r->step == RUN_STEP_COMPILE || (r->closing_stdin && !r->inbuf.len)))
		close_fd(r, FD_IN);
	update_polls(r);
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
			set_state(r, RUN_RUNNING);
		return;
	}
	if (++r->waiting_samples >= 2 && r->state == RUN_RUNNING)
		set_state(r, RUN_WAITING);
}

/* Reads the compile step's collected files (valid during exited() only). */
static void take_artefact(struct run *r, int fd)
{
	char tmp[65536];
	off_t off = 0;
	ssize_t n;
	int nf;

	buf_reset(&r->artefact);
	while ((n = pread(fd, tmp, sizeof(tmp), off)) > 0) {
		if (buf_append(&r->artefact, tmp, (size_t)n))
			return;
		off += n;
	}
	if (n < 0)
		return;
	free(r->afiles);
	r->afiles = calloc(256, sizeof(*r->afiles));
	if (!r->afiles)
		return;
	nf = sandbox_collect_parse(r->artefact.data, r->artefact.len,
				   r->afiles, 256);
	if (nf <= 0)
		return;
	r->nafiles = (size_t)nf;
	r->have_artefact = true;
}

static void on_sandbox_exited(void *data, const struct sandbox_result *res)
{
	struct run *r = data;

	if (res->collected && r->step == RUN_STEP_COMPILE)
		take_artefact(r, res->collect_fd);
	r->sres = *res;
	r->sres.collected = false;
	r->sres.collect_fd = -1;
	r->sandbox_done = true;
	r->spawn_pending = false;
	finish(r);
}

static const struct sandbox_run_ops sandbox_ops = {
	.spawned = on_spawned,
	.probed = on_probed,
	.exited = on_sandbox_exited,
};

/* ---- timers ------------------------------------------------------------ */

static void on_wall(uv_timer_t *t)
{
	struct run *r = t->data;
	run_kill(r, RUN_KILL_WALL);
}

static void on_probe_tick(uv_timer_t *t)
{
	struct run *r = t->data;

	if (r->exited || r->state == RUN_STARTING || r->probe_pending)
		return;
	if (r->output_since_probe) {
		r->output_since_probe = false;
		r->waiting_samples = 0;
		return;
	}
	if (sandbox_probe_input(r->e->sb, r->sandbox_id) == 0)
		r->probe_pending = true;
}

/* ---- public ------------------------------------------------------------ */

void run_engine_init(struct run_engine *e, uv_loop_t *loop,
		     struct sandbox *sb, const struct lang_table *langs)
{
	memset(e, 0, sizeof(*e));
	e->loop = loop;
	e->sb = sb;
	e->langs = langs;
	limit_default_interactive(&e->max_tty);
	limit_default_batch(&e->max_pipes);
	limit_default_compile(&e->max_compile);
	e->queue_max = 64;
	e->orphan_ms = 10000;
	e->scrollback = 256 * 1024;
	e->input_max = 1024 * 1024;
}

void run_engine_kill_all(struct run_engine *e)
{
	e->closing = true;
	for (struct run *r = e->runs; r; r = r->next)
		if (!r->exited)
			run_kill(r, RUN_KILL_SHUTDOWN);
}

void run_engine_release(struct run_engine *e)
{
	e->closing = true;
	while (e->runs) {
		struct run *r = e->runs;
		if (!r->exited) {
			/* the sandbox is gone: nothing will report */
			r->sandbox_done = true;
			for (int i = 0; i < NFD; i++)
				close_fd(r, i);
			finish(r);
		}
		if (e->runs == r)
			run_free(r);
	}
}

static void hex_id(char out[33])
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
	limit_lower(&max, req ? req : &none, out);
}

/* Starts 'step' in a fresh sandbox. 0 or -errno. */
static int spawn_step(struct run *r, enum run_step step)
{
	const struct lang *l = r->lang;
	struct sandbox_file *files = r->files, *merged = NULL;
	size_t nfiles = r->nfiles;
	const char *env[64];
	char **argv;
	int err;

	r->step = step;
	r->lim = step == RUN_STEP_COMPILE ? r->compile_lim : r->run_lim;
	for (int i = 0; i < NFD; i++)
		close_fd(r, i);
	r->sandbox_done = false;
	memset(&r->sres, 0, sizeof(r->sres));
	memset(r->bytes, 0, sizeof(r->bytes));
	memset(r->truncated, 0, sizeof(r->truncated));
	r->draining = false;
	r->waiting_samples = 0;
	r->closing_stdin = r->mode == RUN_PIPES && !r->keep_stdin;

	if (step == RUN_STEP_COMPILE) {
		argv = lang_expand(l->compile, l->file, r->flags, NULL, false);
	} else {
		argv = lang_expand(l->run, l->file, NULL,
				   (const char *const *)r->args, true);
		if (r->have_artefact) {
			/* the artefact, plus the sources it does not shadow */
			merged = calloc(r->nafiles + r->nfiles, sizeof(*merged));
			if (!merged) {
				lang_argv_free(argv);
				return -ENOMEM;
			}
			memcpy(merged, r->afiles, r->nafiles * sizeof(*merged));
			nfiles = r->nafiles;
			for (size_t i = 0; i < r->nfiles; i++) {
				bool shadowed = false;
				for (size_t j = 0; j < r->nafiles; j++)
					if (!strcmp(r->afiles[j].name,
						    r->files[i].name))
						shadowed = true;
				if (!shadowed)
					merged[nfiles++] = r->files[i];
			}
			files = merged;
		}
	}
	if (!argv) {
		free(merged);
		return -ENOMEM;
	}
	build_env(l, r->mode, env, sizeof(env) / sizeof(env[0]) - 1);
	struct sandbox_spec spec = {
		.argv = (const char *const *)argv,
		.envp = env,
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
		.collect_max = r->lim.tmpfs_bytes,
	};
	err = sandbox_spawn(r->e->sb, &spec, &sandbox_ops, r, &r->sandbox_id);
	lang_argv_free(argv);
	free(merged);
	if (err)
		return err;
	r->spawn_pending = true;
	r->start_ns = now_ns();
	if (step == RUN_STEP_RUN)
		r->result.ran = true;
	if (r->state == RUN_WAITING)
		set_state(r, RUN_RUNNING);
	uv_timer_start(&r->wall_timer, on_wall, r->lim.wall_ms, 0);
	log_info("run %s: %s '%s' on %s (cpu %llu ms, wall %llu ms)", r->id,
		 step == RUN_STEP_COMPILE ? "compiling" : "started", l->id,
		 r->mode == RUN_TTY ? "a terminal" : "pipes",
		 (unsigned long long)r->lim.cpu_ms,
		 (unsigned long long)r->lim.wall_ms);
	for (struct run_sub *s = r->subs, *n; s; s = n) {
		n = s->next;
		if (s->ops->stage)
			s->ops->stage(s, step);
	}
	return 0;
}

/* The first step: compile unless the cache has the artefact. */
static int start_first(struct run *r)
{
	if (r->lang->compile && r->have_artefact && r->cout.len) {
		/* a cache hit: the compile step's output, as it was */
		const char *p = r->cout.data, *end = p + r->cout.len;
		r->step = RUN_STEP_COMPILE;
		for (struct run_sub *s = r->subs, *n; s; s = n) {
			n = s->next;
			if (s->ops->stage)
				s->ops->stage(s, RUN_STEP_COMPILE);
		}
		while (end - p >= 5) {
			uint8_t tag = (uint8_t)p[0];
			uint32_t len;
			memcpy(&len, p + 1, 4);
			if ((size_t)(end - p - 5) < len ||
			    (tag != RUN_STDOUT && tag != RUN_STDERR))
				break;
			deliver(r, (enum run_stream)tag, p + 5, len);
			p += 5 + len;
		}
	}
	return spawn_step(r, r->lang->compile && !r->have_artefact
				     ? RUN_STEP_COMPILE
				     : RUN_STEP_RUN);
}

static void dequeue(struct run_engine *e, struct run *r)
{
	for (struct run **pp = &e->queue_head; *pp; pp = &(*pp)->qnext) {
		if (*pp == r) {
			*pp = r->qnext;
			break;
		}
	}
	e->queue_tail = NULL;
	for (struct run *q = e->queue_head; q; q = q->qnext)
		e->queue_tail = q;
	r->qnext = NULL;
	r->queued = false;
	e->queued--;
}

/* Starts queued runs while batch slots are free. */
static void pump_queue(struct run_engine *e)
{
	while (e->queue_head && e->batch_active < e->batch_slots &&
	       !e->closing) {
		struct run *r = e->queue_head;
		int err;

		dequeue(e, r);
		r->admitted = true;
		e->batch_active++;
		err = start_first(r);
		if (err == -EAGAIN) {
			/* every sandbox slot is busy (interactive runs): wait
			 * at the head for the next end */
			r->admitted = false;
			e->batch_active--;
			r->queued = true;
			r->qnext = e->queue_head;
			e->queue_head = r;
			if (!e->queue_tail)
				e->queue_tail = r;
			e->queued++;
			return;
		}
		if (err) {
			struct sandbox_result sres = { .error = err };
			run_verdict(&sres, RUN_KILL_NONE, &r->run_lim, false,
				    &r->result);
			end(r);
		}
	}
}

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

/* The cache key: everything that affects what the compiler writes. */
static void compile_key(struct run *r)
{
	const struct lang *l = r->lang;
	struct sha256 h;
	struct stat st;

	sha256_init(&h);
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
	sha256_init(&h);
	sha256_field(&h, r->cache_key, 64);
	sha256_field(&h, r->mode == RUN_TTY ? "output/tty" : "output/pipes", 12);
	sha256_hex(&h, r->cout_key);
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

	for (size_t i = 0; i < n; i++) {
		const char *name = i ? in[i].name : r->lang->file;
		if (!name || (in[i].len && !in[i].data))
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(name, j ? in[j].name : r->lang->file))
				return -EINVAL;
		total += strlen(name) + 1 + in[i].len;
	}
	r->files = calloc(n, sizeof(*r->files));
	r->srcbuf = malloc(total ? total : 1);
	if (!r->files || !r->srcbuf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *name = i ? in[i].name : r->lang->file;
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
	return 0;
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
	if (e->closing)
		return -EPIPE;
	if (req->queue && e->batch_slots && e->queued >= e->queue_max &&
	    (e->batch_active >= e->batch_slots || e->queue_head))
		return -EBUSY;
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
	run_step_limits(e, l, req->mode, RUN_STEP_RUN, &req->limits,
			&r->run_lim);
	run_step_limits(e, l, req->mode, RUN_STEP_COMPILE,
			&req->compile_limits, &r->compile_lim);
	r->lim = r->run_lim;
	r->step = RUN_STEP_RUN;
	r->keep_stdin = req->keep_stdin;
	hex_id(r->id);
	buf_init(&r->inbuf, e->input_max);
	buf_init(&r->artefact, 256u << 20);
	buf_init(&r->cout, 64u << 10);
	if (ring_init(&r->scrollback, req->mode == RUN_TTY ? e->scrollback : 0)) {
		free(r);
		return -ENOMEM;
	}
	if ((err = copy_files(r, req)))
		goto out_free;
	if (req->args && !(r->args = dup_argv(req->args))) {
		err = -ENOMEM;
		goto out_free;
	}
	if (req->compile_flags && !(r->flags = strdup(req->compile_flags))) {
		err = -ENOMEM;
		goto out_free;
	}
	if (req->mode == RUN_PIPES && req->stdin_len &&
	    buf_append(&r->inbuf, req->stdin_data, req->stdin_len)) {
		err = -E2BIG;
		goto out_free;
	}
	if (l->compile) {
		r->result.compiled = true;
		compile_key(r);
		if (e->cache &&
		    cache_get(e->cache, r->cache_key, &r->artefact) == 0) {
			r->afiles = calloc(256, sizeof(*r->afiles));
			int nf = r->afiles ? sandbox_collect_parse(
				r->artefact.data, r->artefact.len, r->afiles,
				256) : -ENOMEM;
			if (nf > 0) {
				r->nafiles = (size_t)nf;
				r->have_artefact = true;
				r->result.compile_cached = true;
				e->compile_cache_hits++;
				if (cache_get(e->cache, r->cout_key, &r->cout))
					buf_reset(&r->cout);
			}
		}
	}

	uv_timer_init(e->loop, &r->wall_timer);
	uv_timer_init(e->loop, &r->probe_timer);
	uv_timer_init(e->loop, &r->linger_timer);
	r->wall_timer.data = r->probe_timer.data = r->linger_timer.data = r;
	r->handles_open += 3;
	r->next = e->runs;
	e->runs = r;
	e->active++;
	e->started_total++;
	sub->run = NULL;
	sub->next = NULL;
	sub->paused = false;
	run_attach(r, sub);

	if (req->queue && e->batch_slots &&
	    (e->batch_active >= e->batch_slots || e->queue_head)) {
		r->queued = true;
		if (e->queue_tail)
			e->queue_tail->qnext = r;
		else
			e->queue_head = r;
		e->queue_tail = r;
		e->queued++;
		log_debug("run %s: queued (%u waiting)", r->id, e->queued);
	} else {
		if (req->queue && e->batch_slots) {
			r->admitted = true;
			e->batch_active++;
		}
		err = start_first(r);
		if (err) {
			/* undo: the caller sees an error and no callback */
			r->exited = true;
			run_detach(sub);
			if (r->admitted) {
				r->admitted = false;
				e->batch_active--;
			}
			e->active--;
			e->started_total--;
			run_free(r);
			return err;
		}
	}
	uv_timer_start(&r->probe_timer, on_probe_tick, PROBE_MS, PROBE_MS);
	*out = r;
	return 0;

out_free:
	ring_release(&r->scrollback);
	buf_release(&r->inbuf);
	buf_release(&r->artefact);
	buf_release(&r->cout);
	free(r->files);
	free(r->srcbuf);
	free(r->flags);
	lang_argv_free(r->args);
	free(r);
	return err;
}

struct run *run_find(struct run_engine *e, const char *id)
{
	if (!id)
		return NULL;
	for (struct run *r = e->runs; r; r = r->next)
		if (!r->freeing && strcmp(r->id, id) == 0)
			return r;
	return NULL;
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

enum run_step run_get_step(const struct run *r)
{
	return r->step;
}

const struct run_result *run_get_result(const struct run *r)
{
	return r->exited ? &r->result : NULL;
}

/* Hands the scrollback to a newly attached subscriber. */
static void replay(struct run *r, struct run_sub *sub)
{
	size_t n = ring_len(&r->scrollback);
	char *tmp;

	if (n == 0 || !(tmp = malloc(n)))
		return;
	ring_copy(&r->scrollback, tmp, n);
	sub->ops->output(sub, RUN_STDOUT, tmp, n);
	free(tmp);
}

void run_attach(struct run *r, struct run_sub *sub)
{
	if (sub->run)
		run_detach(sub);
	sub->paused = false;
	if (r->exited) {
		replay(r, sub);
		sub->run = NULL;
		sub->ops->exited(sub, &r->result);
		return;
	}
	uv_timer_stop(&r->linger_timer);
	sub->run = r;
	sub->next = r->subs;
	r->subs = sub;
	replay(r, sub);
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
	if (!r->exited && !r->freeing)
		update_polls(r);
	maybe_orphaned(r);
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
	if (!r->exited && !r->spawn_pending)
		update_polls(r);
}

int run_input(struct run *r, const char *p, size_t n)
{
	int err;

	if (r->exited || (r->mode == RUN_PIPES && !r->keep_stdin))
		return -EPIPE;
	if (r->mode == RUN_PIPES && r->fd[FD_IN] < 0 && !r->spawn_pending &&
	    !r->queued && r->step == RUN_STEP_RUN)
		return -EPIPE;
	err = buf_append(&r->inbuf, p, n);
	if (err)
		return err;
	if (!r->spawn_pending)
		update_polls(r);
	return 0;
}

void run_close_input(struct run *r)
{
	if (r->mode != RUN_PIPES || r->exited)
		return;
	r->keep_stdin = false;
	if (r->step != RUN_STEP_RUN || r->queued)
		return;	/* the run step will close it once written */
	r->closing_stdin = true;
	if (!r->inbuf.len && !r->spawn_pending)
		close_fd(r, FD_IN);
}

int run_resize(struct run *r, uint16_t rows, uint16_t cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (r->mode != RUN_TTY || r->fd[FD_OUT] < 0)
		return -EINVAL;
	if (ioctl(r->fd[FD_OUT], TIOCSWINSZ, &ws))
		return -errno;
	return 0;
}

bool run_tty_canonical(struct run *r)
{
	struct termios t;

	if (r->mode != RUN_TTY || r->fd[FD_OUT] < 0)
		return false;
	return tcgetattr(r->fd[FD_OUT], &t) == 0 && (t.c_lflag & ICANON);
}

void run_kill(struct run *r, enum run_kill_reason why)
{
	if (r->exited || r->sandbox_done)
		return;
	if (r->kill_reason == RUN_KILL_NONE)
		r->kill_reason = why;
	if (r->queued) {	/* never started: it ends here */
		struct sandbox_result sres = { 0 };
		dequeue(r->e, r);
		run_verdict(&sres, why, &r->run_lim, false, &r->result);
		end(r);
		return;
	}
	log_debug("run %s: kill (reason %d)", r->id, (int)why);
	sandbox_kill(r->e->sb, r->sandbox_id);
	/* what is left in the pty or pipes is bounded by their buffers:
	 * read it to EOF, paused or not, so the run can end */
	r->draining = true;
	if (!r->spawn_pending)
		update_polls(r);
}

int run_signal(struct run *r, int sig)
{
	if (r->exited || r->sandbox_done)
		return -ESRCH;
	return sandbox_signal(r->e->sb, r->sandbox_id, sig);
}
