/*
 * run_internal.h - what the files of the run engine share: struct run and
 * the run__ functions one of them offers the others.
 *
 * Only src/run*.c include this; everyone else uses run.h. The engine is
 * cut by concern:
 *   run.c         a run's lifetime: start, steps, the sandbox's callbacks,
 *                 subscribers and flow control, kill, the end, the linger
 *   run_io.c      its fds: polling the pty or pipes, reading output,
 *                 writing input, the terminal's size and mode
 *   run_step.c    what a step runs with: files, argv, environment, limits,
 *                 the compile step's artefact and the compile cache
 *   run_queue.c   admission: slots by class, the fair queue (fairq.c),
 *                 memory and processes, queue deadlines, the idle timeout
 *   run_verdict.c a finished step's status and message (pure)
 *   run_metrics.c what the engine counts for /metrics
 * All of it runs on the engine's loop thread.
 */
#ifndef CODEROOM_RUN_INTERNAL_H
#define CODEROOM_RUN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "lib/buf.h"
#include "lib/limit.h"
#include "lib/ring.h"
#include "run/run.h"
#include "sandbox/sandbox.h"

/* The program's fds, by role. */
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
	enum run_class cls;
	char client[FAIRQ_KEY_MAX];	/* who asked (see run_request) */
	bool queued;			/* waiting in e->q[cls] */
	uint64_t queued_ns;		/* since (uv_hrtime), for the metric */
	bool admitted;			/* holds a slot of e->q[cls] */
	struct fairq_entry qe;		/* in the queue */
	uint64_t queue_deadline_ms;	/* interactive: the longest wait */
	uint64_t idle_since_ms;		/* waiting for input, untouched, since */

	/* what the steps need: the source files, args, the artefact */
	struct sandbox_file *files;	/* files[0] named lang->file */
	size_t nfiles;
	char *srcbuf;			/* names + data of 'files' */
	size_t src_bytes;		/* its size */
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
	/* fd i's watcher, NULL when none. Its own allocation, freed when its
	 * close completes: the next step's fd gets a new one at once, even
	 * while libuv is still closing the last step's. */
	uv_poll_t *poll[NFD];
	int poll_events[NFD];		/* what the poll watches now */
	bool closing_stdin;		/* close stdin once inbuf is drained */

	struct run_sub *subs;
	unsigned paused;		/* subs that asked for a pause */
	struct ring scrollback;
	struct buf inbuf;		/* input not yet written */
	uint64_t bytes[3];
	bool truncated[3];
	struct limit_bucket rate;	/* the output rate limit */

	uv_timer_t wall_timer;		/* wall limit */
	uv_timer_t probe_timer;		/* input-wait sampling */
	uv_timer_t linger_timer;	/* orphan grace, then linger after exit */
	bool output_since_probe;
	bool input_since_probe;		/* input, a resize or a signal */
	uint64_t probe_ms;		/* when the last probe was sent */
	bool probe_pending;
	bool usage_pending;		/* a sandbox_run_usage() is unanswered */
	unsigned usage_ticks;		/* probe ticks since the last sample */
	int waiting_samples;
	uint64_t start_ns;

	bool exited;
	struct run_result result;
	unsigned handles_open;		/* uv handles not yet closed */
	bool freeing;

	/* cluster mode (run_remote.c): the run executes on another node */
	bool remote;
	bool held;			/* the backend knows it: release() due */
	bool resolving;			/* opened by id, not found yet */
	bool canonical;			/* its terminal reads lines (last said) */
	void *rdata;			/* the backend's */
};

/* ---- run.c ------------------------------------------------------------- */

/* 32 random hex digits. */
void run__hex_id(char out[33]);
/* Opens r's three timers (wall, probe, linger; closed by run__free) and
 * links r into r->e's list of runs. r->e must be set. */
void run__link(struct run *r);
/* Links sub to r (no replay): a new run's first subscriber. */
void run__link_sub(struct run *r, struct run_sub *sub);
/* The scrollback to one subscriber. */
void run__replay(struct run *r, struct run_sub *sub);
/* RUN_RUNNING <-> RUN_WAITING, told to every subscriber. */
void run__set_state(struct run *r, enum run_state st);
/* Tells every subscriber that 'step' begins. */
void run__notify_stage(struct run *r, enum run_step step);
/* Gives r->result to every subscriber (exited()) and detaches them. */
void run__tell_exited(struct run *r);
/* No subscriber is left: the orphan grace, the linger, or the end. */
void run__maybe_orphaned(struct run *r);
/* Starts the linger timer: then r is freed if it has no subscriber (or,
 * not exited and not remote, killed as an orphan). */
void run__linger(struct run *r, uint64_t ms);
/* Unlinks r from the engine and closes its handles; freed after. */
void run__free(struct run *r);

/* Closes fd i and its poll, if open. */
void run__close_fd(struct run *r, int i);
/* Hands output bytes to the scrollback, the kept compiler output and every
 * subscriber; the program is running, not waiting for input. */
void run__deliver(struct run *r, enum run_stream stream, const char *p,
		  size_t n);
/* A step is over once the sandbox reported the exit and every byte of
 * output has been read and delivered: then its result is made and the next
 * step starts, or the run ends. Call whenever one of the two may be done. */
void run__finish(struct run *r);

/* Starts the first step: compile, unless the cache has the artefact (then
 * its compiler output is replayed and the run step starts). 0 or -errno;
 * -EAGAIN when every sandbox slot is busy. */
int run__start_first(struct run *r);
/* The run is over (r->result is set): tells every subscriber, gives back
 * the batch slot, frees or lingers the run, then starts queued runs. */
void run__end(struct run *r);

/* ---- run_io.c ---------------------------------------------------------- */

/* A step begins: the output rate limit's whole burst is available. */
void run__rate_reset(struct run *r);
/* Recomputes what each fd's poll watches: output unless paused (or while
 * draining), input when there is some to write; starts polling new fds. */
void run__update_polls(struct run *r);

/* ---- run_step.c -------------------------------------------------------- */

/* Copies what the steps need from 'req' (files or code, args, compile
 * flags) into r. 0, -EINVAL (bad or duplicate file name) or -ENOMEM; on
 * error run__step_release() frees what was copied. */
int run__step_init(struct run *r, const struct run_request *req);
/* Frees what run__step_init(), run__compile_lookup() and
 * run__take_artefact() allocated. */
void run__step_release(struct run *r);
/* For a compiled language: computes the cache keys and, on a cache hit,
 * takes the artefact and the compiler's output from the cache. Called
 * when the run is admitted (run__start_first()), never while it waits: a
 * queued run holds no artefact. Idempotent. */
void run__compile_lookup(struct run *r);
/* Frees the artefact (once the run step has its copy). */
void run__drop_artefact(struct run *r);
/* What the compile step may leave (collect_max): the step's tmpfs, and
 * never more than a run step can be given with the sources. */
uint64_t run__collect_max(const struct run *r);
/* Takes the compile step's collected files from 'fd' (a collect_fd, valid
 * during the sandbox's exited() only); have_artefact tells if it worked. */
void run__take_artefact(struct run *r, int fd);
/* Stores a successful compile step's artefact and output in the cache. */
void run__compile_store(struct run *r);

/* A step's sandbox_spec and what it points into. */
struct run_step_spec {
	struct sandbox_spec spec;
	const char *env[64];
	char **argv;
	struct sandbox_file *merged;	/* the artefact plus sources, or NULL */
};
/* Fills 's' for 'step' with r's current limits (r->lim). 0 or -ENOMEM;
 * on success release it with run__step_spec_release(). */
int run__step_spec(const struct run *r, enum run_step step,
		   struct run_step_spec *s);
void run__step_spec_release(struct run_step_spec *s);

/* ---- run_remote.c ------------------------------------------------------ */

/* run_start() with a backend: a remote run. Same contract. */
int run__start_remote(struct run_engine *e, const struct run_request *req,
		      struct run_sub *sub, struct run **out);
/* run_find() of an id not held here: a run the backend opens, or NULL. */
struct run *run__open_remote(struct run_engine *e, const char *id);

/* ---- run_queue.c ------------------------------------------------------- */

/* Admits a new run (r->cls, r->client set) as 'req' asks: 0 when it holds
 * a slot and may start, 1 when it waits in the queue (run__pump_queue()
 * starts it), -EBUSY (the queue is full) or -EDQUOT (its client's share of
 * the queue is). */
int run__admit(struct run *r, bool continues);
/* Takes a queued run out of the queue. */
void run__dequeue(struct run *r);
/* Gives back r's slot, if it holds one. */
void run__slot_release(struct run *r);
/* Starts queued runs while slots, memory and processes allow, fairly
 * between clients, and tells the ones still waiting where they stand. */
void run__pump_queue(struct run_engine *e);
/* The engine's tick (queue deadlines, idle runs) runs while runs do. */
void run__tick_start(struct run_engine *e);
/* Monotonic clock in ms. */
uint64_t run__now_ms(void);

/* ---- run_metrics.c ----------------------------------------------------- */

/* A run ended (r->result is set): by language and status, its duration. */
void run__count_end(struct run *r);
/* n output bytes read from the program. */
void run__count_output(struct run *r, enum run_stream stream, size_t n);
/* A step's program started, 'ns' after sandbox_spawn(). */
void run__count_spawned(struct run *r, uint64_t ns);
/* An input-wait probe was asked of the sandbox. */
void run__count_probe(struct run *r);
/* A run that asked for admission got its slot after 'waited_ns'. */
void run__count_admitted(struct run *r, uint64_t waited_ns);

#endif
