/*
 * run.h - the run engine: one program execution, its output and its end.
 *
 * A run starts its program through the sandbox, reads its terminal (tty
 * mode) or its stdout/stderr pipes (pipe mode), and hands every byte to
 * each subscriber as it arrives. A subscriber that cannot keep up pauses
 * the run (run_sub_pause()): the engine stops reading, the program blocks
 * in write(), memory stays flat. A run enforces its wall time and output
 * limits itself; CPU, memory and pids are the sandbox's.
 *
 * Lifetime: a run is kept while it has subscribers or is running. When its
 * last subscriber leaves before the end, it keeps running for 'orphan_ms'
 * (a client may reconnect and run_attach()), then it is killed. After its
 * end it lingers for 'orphan_ms' so a late reconnect still sees the result.
 * Every subscriber gets exactly one exited() and is detached after it.
 */
#ifndef CODEROOM_RUN_H
#define CODEROOM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "lib/buf.h"
#include "lib/limit.h"
#include "lib/ring.h"
#include "run/lang.h"

struct sandbox;
struct run;
struct run_sub;

enum run_mode { RUN_TTY, RUN_PIPES };
/* A run has one or two steps, each its own sandbox with its own limits:
 * compile (when the language has a compile command and no cached
 * artefact), then run. */
enum run_step { RUN_STEP_COMPILE = 1, RUN_STEP_RUN = 2 };
enum run_stream { RUN_STDOUT = 1, RUN_STDERR = 2 };
enum run_state { RUN_STARTING, RUN_RUNNING, RUN_WAITING, RUN_EXITED };

enum run_status {
	RUN_OK,			/* exit code 0 */
	RUN_RUNTIME_ERROR,	/* exit code != 0 */
	RUN_SIGNAL,		/* killed by a signal of its own doing */
	RUN_KILLED,		/* stopped by a user, an owner gone, shutdown */
	RUN_CPU_LIMIT,
	RUN_WALL_LIMIT,
	RUN_MEMORY_LIMIT,
	RUN_OUTPUT_LIMIT,
	RUN_PIDS_LIMIT,
	RUN_INTERNAL_ERROR,	/* the run could not be started */
	RUN_COMPILE_ERROR,	/* the compile step failed: no run step */
};

/* Why the engine itself killed a run. */
enum run_kill_reason {
	RUN_KILL_NONE,
	RUN_KILL_USER,		/* Stop */
	RUN_KILL_WALL,
	RUN_KILL_OUTPUT,
	RUN_KILL_ORPHANED,	/* nobody attached within the grace period */
	RUN_KILL_SHUTDOWN,
};

/* The outcome of one step. */
struct run_step_result {
	enum run_status status;
	int exit_code;		/* -1 when ended by a signal */
	int signal;		/* 0 when it exited */
	uint64_t wall_ms, cpu_ms, memory_bytes;
	uint64_t bytes[3];	/* output bytes read, by stream */
	bool truncated[3];	/* a stream hit the output limit */
	char message[256];	/* the status in words */
};

/*
 * The outcome of a run. The first fields are the run step's; when the
 * compile step failed they are a copy of the compile step's with status
 * RUN_COMPILE_ERROR (the cause stays in compile.status).
 */
struct run_result {
	enum run_status status;
	int exit_code;		/* -1 when ended by a signal */
	int signal;		/* 0 when it exited */
	uint64_t wall_ms, cpu_ms, memory_bytes;
	uint64_t bytes[3];	/* output bytes read, by stream */
	bool truncated[3];	/* a stream hit the output limit */
	char message[256];	/* the status in words */
	bool compiled;		/* the language has a compile step */
	bool compile_cached;	/* its artefact came from the cache */
	bool compile_ran;	/* the compiler ran: 'compile' is valid */
	bool ran;		/* the run step started */
	struct run_step_result compile;
};

/* What a run uses now: a sample from its sandbox's cgroup. */
struct run_usage {
	enum run_step step;	/* the step sampled */
	uint64_t cpu_ms;	/* CPU of the step's whole tree so far */
	uint64_t wall_ms;	/* since the step's program started */
	uint64_t memory_bytes;	/* memory in use now, 0 unknown */
	uint64_t memory_peak;	/* the most so far in this step, 0 unknown */
	uint32_t pids;		/* processes + threads now, 0 unknown */
};

/* How often a run with a subscriber that wants usage() is sampled. */
#define RUN_USAGE_MS 250

struct run_sub_ops {
	/* Output bytes as they are read. */
	void (*output)(struct run_sub *sub, enum run_stream stream,
		       const char *p, size_t n);
	/* RUN_RUNNING <-> RUN_WAITING (blocked reading its input). */
	void (*state)(struct run_sub *sub, enum run_state state);
	/* The end; the sub is detached when this returns. */
	void (*exited)(struct run_sub *sub, const struct run_result *res);
	/* Optional: a step begins; output() bytes belong to it until the
	 * next stage() (run_get_step() tells too). */
	void (*stage)(struct run_sub *sub, enum run_step step);
	/* Optional: a usage sample, every RUN_USAGE_MS while a step runs,
	 * for a sub whose 'usage' is set (the engine samples only then). */
	void (*usage)(struct run_sub *sub, const struct run_usage *u);
};

struct run_sub {
	const struct run_sub_ops *ops;
	struct run *run;	/* NULL when detached */
	struct run_sub *next;	/* in run->subs */
	bool paused;		/* this sub asked the run to stop reading */
	bool usage;		/* wants usage() samples (set it before
				   run_start() or run_attach()) */
};

struct run_request {
	const struct lang *lang;
	const char *code;	/* the entry file's text (or use 'files') */
	size_t code_len;
	/* Instead of 'code': one or more files, the first is the entry point
	 * (written under the language's file name), the others keep theirs. */
	const struct sandbox_file *files;
	size_t nfiles;
	const char *const *args;	/* program arguments, NULL-terminated */
	const char *compile_flags;	/* {flags} of the compile command */
	struct limits compile_limits;	/* requested; 0 fields: the server's */
	bool queue;		/* admission control: wait for a batch slot
				   (bounded queue), else -EBUSY */
	const char *stdin_data;	/* pipe mode: written, then stdin closed */
	size_t stdin_len;
	bool keep_stdin;	/* pipe mode: stdin stays open for run_input() */
	enum run_mode mode;
	bool tty_limits;	/* pipe mode under the interactive maxima (an
				   IDE run reading prepared input) */
	uint16_t rows, cols;	/* tty mode */
	struct limits limits;	/* requested; 0 fields: the server's */
};

struct cache;

struct run_engine {
	uv_loop_t *loop;
	struct sandbox *sb;
	const struct lang_table *langs;
	struct cache *cache;		/* compile cache, or NULL */
	struct limits max_tty;		/* configured maxima, interactive */
	struct limits max_pipes;	/* configured maxima, batch */
	struct limits max_compile;	/* configured maxima, compile steps */
	unsigned batch_slots;		/* queued runs running at once */
	unsigned queue_max;		/* queued runs waiting, at most */
	unsigned batch_active;		/* queued runs holding a slot */
	unsigned queued;		/* queued runs waiting */
	struct run *queue_head, *queue_tail;
	uint64_t compiles, compile_cache_hits;
	uint64_t orphan_ms;		/* reattach grace */
	size_t scrollback;		/* bytes kept per tty run */
	size_t input_max;		/* bytes of pending input per run */
	struct run *runs;		/* every live or lingering run */
	unsigned active;		/* runs not yet exited */
	uint64_t started_total;
	bool closing;
};

void run_engine_init(struct run_engine *e, uv_loop_t *loop,
		     struct sandbox *sb, const struct lang_table *langs);
/* Kills every run (reason shutdown); their exits follow from the sandbox. */
void run_engine_kill_all(struct run_engine *e);
/* Frees lingering runs; call after sandbox_close() delivered every exit. */
void run_engine_release(struct run_engine *e);

/*
 * Starts a run and subscribes 'sub' to it. Returns 0 and sets *out, or
 * -EINVAL (bad request), -ENOENT (language unavailable), -EAGAIN (every
 * sandbox slot busy), -EBUSY (req->queue and the queue is full), -ENOMEM,
 * -EPIPE (sandbox gone). A queued run stays RUN_STARTING until a slot
 * frees; killing it ends it at once (status killed).
 */
int run_start(struct run_engine *e, const struct run_request *req,
	      struct run_sub *sub, struct run **out);
/* The run with this id (32 hex chars), or NULL. */
struct run *run_find(struct run_engine *e, const char *id);
const char *run_id(const struct run *r);
enum run_state run_get_state(const struct run *r);
enum run_mode run_get_mode(const struct run *r);
/* The step now running (RUN_STEP_RUN once over). */
enum run_step run_get_step(const struct run *r);
/* The run step's limits. */
const struct limits *run_limits(const struct run *r);
/* The language it runs. */
const struct lang *run_lang(const struct run *r);
/* The limits of a step for 'l': the server's maxima with the language's
 * overrides, lowered by 'req' (may be NULL). Pure. */
void run_step_limits(const struct run_engine *e, const struct lang *l,
		     enum run_mode mode, enum run_step step,
		     const struct limits *req, struct limits *out);
const struct run_result *run_get_result(const struct run *r); /* or NULL */

/* Subscribes sub; it gets the scrollback first (tty), then live output; an
 * exited run delivers exited() at once. */
void run_attach(struct run *r, struct run_sub *sub);
/* Unsubscribes; safe on a detached sub. May start the orphan timer. */
void run_detach(struct run_sub *sub);
/* Asks the run to stop (paused) or resume reading the program's output. */
void run_sub_pause(struct run_sub *sub, bool paused);

/* Queues input for the program. Returns 0, -ENOBUFS (too much pending),
 * -EPIPE (stdin closed or run over). */
int run_input(struct run *r, const char *p, size_t n);
/* Closes the program's stdin once pending input is written (pipe mode). */
void run_close_input(struct run *r);
int run_resize(struct run *r, uint16_t rows, uint16_t cols);
/* True when the program reads its terminal line by line (ICANON): then the
 * kernel keeps at most RUN_TTY_LINE_MAX bytes of one line. */
#define RUN_TTY_LINE_MAX 4095
bool run_tty_canonical(struct run *r);
void run_kill(struct run *r, enum run_kill_reason why);
/* Sends a signal to the program only (Piston's 'signal'). */
int run_signal(struct run *r, int sig);

const char *run_status_name(enum run_status s);
/* The run step's fields of a result (status, code, times, output sizes)
 * as a step result, the shape every API reports steps in. */
void run_main_step(const struct run_result *r, struct run_step_result *s);

/* The verdict for a finished run: pure, for tests. */
struct sandbox_result;
void run_verdict(const struct sandbox_result *sres, enum run_kill_reason why,
		 const struct limits *lim, bool output_truncated,
		 struct run_result *out);

#endif
