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
 *
 * Cluster mode: with a backend (run_engine_set_backend()), runs execute
 * on another node. Such a remote run is a struct run like any other for
 * the dialects: the same calls, the same callbacks, its own scrollback
 * here; only where its program runs differs (see "Remote runs" below).
 *
 * Admission (run_queue.c, fairq.h): a run is interactive (a person at a
 * terminal: held by what it costs, memory and processes, not by CPUs) or
 * batch (an API call: held to about one run per CPU). Each class has its
 * slots, per-client caps and a bounded queue that is fair between clients;
 * all runs together stay within the memory and processes the engine may
 * give them. A run that finds no slot waits in the queue (queued() tells
 * its subscribers how many are ahead; admitted() when it starts), up to
 * 'queue_wait_ms' for an interactive one (then it ends, RUN_SERVER_BUSY).
 * An interactive run that waits for input with nobody typing ends after
 * 'idle_ms'.
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
#include "run/fairq.h"
#include "run/lang.h"

struct sandbox;
struct run;
struct run_sub;

enum run_mode { RUN_TTY, RUN_PIPES };
/* What admits a run: see the top of the file. */
enum run_class { RUN_INTERACTIVE, RUN_BATCH, RUN_NCLASS };
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
	RUN_WORKER_LOST,	/* cluster: the worker running it stopped
				   answering (killed, machine gone) */
	RUN_SERVER_BUSY,	/* waited for a slot past the queue's time
				   bound: it never ran */
};

/* Why the engine itself killed a run. */
enum run_kill_reason {
	RUN_KILL_NONE,
	RUN_KILL_USER,		/* Stop */
	RUN_KILL_WALL,
	RUN_KILL_OUTPUT,
	RUN_KILL_OUTPUT_RATE,	/* output faster than output_rate, past the burst */
	RUN_KILL_ORPHANED,	/* nobody attached within the grace period */
	RUN_KILL_SHUTDOWN,
	RUN_KILL_IDLE,		/* waited for input with nobody typing */
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
	/* Cluster: the run was refused after run_start() had returned 0 (the
	 * cluster's queue was full, known only once Redis answered): the
	 * error run_start() would have returned (status internal_error).
	 * Dialects answer it as they answer that error. 0 otherwise. */
	int start_error;
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
	/* Optional: run_attach()'s scrollback replay is over; live output
	 * follows. At once for a run of this node; later for a remote run,
	 * whose scrollback comes from the cluster. Not called when the run
	 * had ended: exited() follows the replay instead. */
	void (*attached)(struct run_sub *sub, enum run_state state);
	/* Optional: the run attached to by id turned out not to exist (known
	 * only after asking the cluster); the sub is detached after. Without
	 * it, the sub gets exited() with status internal_error. */
	void (*missing)(struct run_sub *sub);
	/* Optional: the cluster link of a remote run was lost (up false) or
	 * is back (up true); the run itself goes on where it runs. */
	void (*link)(struct run_sub *sub, bool up);
	/* Optional: the run waits for a slot with 'ahead' runs to be
	 * admitted before it; called when that number changes (not when the
	 * run joins the queue: run_queue_ahead() tells then). */
	void (*queued)(struct run_sub *sub, unsigned ahead);
	/* Optional: the queued run got its slot and starts now. */
	void (*admitted)(struct run_sub *sub);
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
	bool replay_due;	/* remote: attached before the scrollback came */
};

struct run_request {
	const struct lang *lang;
	const char *code;	/* the entry file's text (or use 'files') */
	size_t code_len;
	/* Instead of 'code': one or more files, the first is the entry point
	 * (named as run_entry_name() says), the others keep their names,
	 * relative paths (sandbox_path_ok()) that do not clash. */
	const struct sandbox_file *files;
	size_t nfiles;
	const char *const *args;	/* program arguments, NULL-terminated */
	const char *compile_flags;	/* {flags} of the compile command */
	struct limits compile_limits;	/* requested; 0 fields: the server's */
	enum run_class cls;	/* admission: interactive (the default) or batch */
	const char *client;	/* who asks (per-client caps, fair queueing):
				   "t<n>" API token n, "a<addr>" anonymous;
				   NULL counts as one anonymous client */
	bool continues;		/* batch: the next case of a job already
				   admitted: waits even when the queue is full */
	const char *stdin_data;	/* pipe mode: written, then stdin closed */
	size_t stdin_len;
	bool keep_stdin;	/* pipe mode: stdin stays open for run_input() */
	bool interactive;	/* pipe mode with a person at the other end:
				   the interactive maxima (max_tty) apply,
				   not the batch ones */
	enum run_mode mode;
	uint16_t rows, cols;	/* tty mode */
	struct limits limits;	/* requested; 0 fields: the server's */
	bool here;		/* cluster mode: run it on this node's sandbox
				   (a worker's own runs), not through the
				   backend */
};

struct cache;
struct run_backend_ops;
struct metric;
struct metrics;

/* The engine's metrics (run_metrics.c); NULL families count nothing. */
struct run_metrics {
	struct metric *runs;		/* runs ended {language, status} */
	struct metric *duration;	/* wall seconds {language} */
	struct metric *queue_wait;	/* seconds waited for a batch slot */
	struct metric *spawn;		/* seconds from spawn to started */
	struct metric *output;		/* bytes read {stream} */
	struct metric *probes;		/* input-wait probes sent */
	const char **lang_ids;		/* label values, owned */
};

/* What admits runs (0 fields: see run_engine_admission()). */
struct run_admission {
	unsigned slots[RUN_NCLASS];	/* runs at once, by class */
	unsigned queue[RUN_NCLASS];	/* runs waiting, at most */
	unsigned client_runs;		/* one client's interactive runs */
	unsigned client_queue[RUN_NCLASS]; /* one client's runs waiting */
	uint64_t queue_wait_ms;		/* longest wait of an interactive run */
	uint64_t idle_ms;		/* idle timeout, 0: none */
	uint64_t runs_memory;		/* every run together, 0: unbounded */
	uint64_t run_memory_reserve;	/* counted per run before it uses it */
	uint64_t runs_pids;		/* every run together, 0: unbounded */
	uint64_t run_pids_reserve;
};

struct run_engine {
	uv_loop_t *loop;
	struct sandbox *sb;
	const struct lang_table *langs;
	struct cache *cache;		/* compile cache, or NULL */
	struct limits max_tty;		/* configured maxima, interactive */
	struct limits max_pipes;	/* configured maxima, batch */
	struct limits max_compile;	/* configured maxima, compile steps */
	struct run_admission adm;	/* as run_engine_admission() set it */
	struct fairq q[RUN_NCLASS];	/* admission, by class */
	uint64_t refused[RUN_NCLASS];	/* runs turned away (full) */
	uint64_t timed_out;		/* interactive runs that waited too long */
	uint64_t idle_killed;		/* ended by the idle timeout */
	bool held;			/* the last admission lacked memory or
					   processes */
	bool pumping;			/* in run__pump_queue() */
	uv_timer_t tick;		/* queue deadlines, idle runs */
	bool tick_init;
	uint64_t compiles, compile_cache_hits;
	uint64_t orphan_ms;		/* reattach grace */
	size_t scrollback;		/* bytes kept per tty run */
	size_t input_max;		/* bytes of pending input per run */
	struct run *runs;		/* every live or lingering run */
	unsigned active;		/* runs of this node not yet exited */
	unsigned remote;		/* remote runs held (cluster mode) */
	const struct run_backend_ops *backend;	/* cluster mode, or NULL */
	void *backend_data;
	uint64_t started_total;
	bool closing;
	struct run_metrics m;
};

/* Sets up the engine with defaults (4 interactive and 1 batch slot, no
 * memory bound) until run_engine_admission(). */
void run_engine_init(struct run_engine *e, uv_loop_t *loop,
		     struct sandbox *sb, const struct lang_table *langs);
/* Sets what admits runs; call before the first run. 0 fields keep the
 * engine's defaults. */
void run_engine_admission(struct run_engine *e, const struct run_admission *a);
/* Kills every run (reason shutdown); their exits follow from the sandbox. */
void run_engine_kill_all(struct run_engine *e);
/* Frees lingering runs; call after sandbox_close() delivered every exit. */
void run_engine_release(struct run_engine *e);
/* Registers the engine's metrics in 'reg' (one series per language of
 * e->langs and status). 0 or -ENOMEM (then nothing is counted). */
int run_engine_metrics(struct run_engine *e, struct metrics *reg);
/* Frees the label values; after the registry is freed. */
void run_engine_metrics_release(struct run_engine *e);

/*
 * Starts a run and subscribes 'sub' to it. Returns 0 and sets *out, or
 * -EINVAL (bad request), -ENOENT (language unavailable), -EAGAIN (every
 * sandbox slot busy), -EBUSY (no slot and the queue is full), -EDQUOT (no
 * slot and this client has its share of the queue waiting), -ENOMEM,
 * -EPIPE (sandbox gone). A queued run (run_queue_ahead() >= 0) stays
 * RUN_STARTING until a slot frees; killing it ends it at once (status
 * killed).
 */
int run_start(struct run_engine *e, const struct run_request *req,
	      struct run_sub *sub, struct run **out);
/* Runs to be admitted before this queued one, or -1 when it is not
 * waiting. */
int run_queue_ahead(const struct run *r);
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
/* The mode whose maxima a request's steps get (run_step_limits()): the
 * interactive ones (RUN_TTY) for a terminal or for pipes with a person at
 * the other end (req->interactive), else the batch ones. Pure. */
enum run_mode run_limits_mode(const struct run_request *req);
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
/* Input bytes queued and not yet written to the program. */
size_t run_input_pending(const struct run *r);
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
/* A sentence for an error of run_start(), for the dialects' answers. */
const char *run_start_error(int err);
/* Whether a run_start() error may go away if the client retries later
 * (busy, the cluster unreachable): HTTP APIs answer 503. */
bool run_start_retryable(int err);
/* The name the entry file is written under: 'given' when the language's
 * commands name it by {file} (lang.entry_named) and it is not empty, else
 * the language's 'file'. Pure. */
const char *run_entry_name(const struct lang *l, const char *given);
/* The run step's fields of a result (status, code, times, output sizes)
 * as a step result, the shape every API reports steps in. */
void run_main_step(const struct run_result *r, struct run_step_result *s);

/*
 * ---- Remote runs (cluster mode) ----------------------------------------
 *
 * With a backend set, run_start() hands each new run (unless req->here)
 * to ops->start() instead of the sandbox, and run_find() makes a run for
 * a well-formed id it does not hold and asks ops->open() about it. The
 * engine keeps what a subscriber sees: subscribers and their pauses, the
 * state, step and result, the scrollback (tty), the linger after the end.
 * A remote run whose last subscriber leaves before its end is released
 * at once (where it runs, the cluster decides about orphans); after its
 * end it lingers like any run. The backend acts where the run executes
 * (ops below) and reports back with run_remote_*(); it never calls back
 * from inside an op, and must not free a run (release() is its last
 * word about it). Remote runs do not count in 'active': a gateway's
 * shutdown does not wait for them, and does not kill them.
 *
 * run_start() errors a backend adds: -ENOTCONN (the cluster's Redis is
 * unreachable), -EHOSTUNREACH (no worker is up), -EBUSY (the cluster's
 * queue is full), -EAGAIN (no worker has a free slot, for a run that may
 * not wait).
 */
struct run_backend_ops {
	int (*start)(void *be, struct run *r, const struct run_request *req);
	/* 0: run_remote_found()/missing() follow later; -errno: not now
	 * (run_find() returns NULL). */
	int (*open)(void *be, struct run *r);
	int (*input)(void *be, struct run *r, const char *p, size_t n);
	void (*close_input)(void *be, struct run *r);
	int (*resize)(void *be, struct run *r, uint16_t rows, uint16_t cols);
	void (*kill)(void *be, struct run *r, enum run_kill_reason why);
	int (*signal)(void *be, struct run *r, int sig);
	/* Some subscriber paused the run (true), or none does (false). */
	void (*pause)(void *be, struct run *r, bool paused);
	void (*release)(void *be, struct run *r);
	/* Optional: a subscriber that wants usage() samples attached (a
	 * run started without one sends none until asked). */
	void (*usage)(void *be, struct run *r);
};

void run_engine_set_backend(struct run_engine *e,
			    const struct run_backend_ops *ops, void *data);
bool run_is_remote(const struct run *r);
void *run_remote_data(const struct run *r);
void run_remote_set_data(struct run *r, void *data);
/* start(): whether a subscriber of r wants usage() samples (the backend
 * asks the node that runs it to send them). */
bool run_remote_wants_usage(const struct run *r);
/* open(): the run exists; what it is. Its scrollback follows with
 * run_remote_history(), then run_remote_ready() (or run_remote_exited()). */
void run_remote_found(struct run *r, enum run_mode mode, const struct lang *l,
		      const struct limits *lim);
/* open(): no such run. Its subscribers get missing(); the run goes. */
void run_remote_missing(struct run *r);
/* Output from before this node followed the run: the scrollback only. */
void run_remote_history(struct run *r, const char *p, size_t n);
/* The scrollback is complete: subscribers waiting for it get it and
 * attached(); live output follows. */
void run_remote_ready(struct run *r);
void run_remote_output(struct run *r, enum run_stream stream, const char *p,
		       size_t n);
/* RUN_RUNNING or RUN_WAITING; whether its terminal reads lines. */
void run_remote_state(struct run *r, enum run_state st, bool canonical);
void run_remote_stage(struct run *r, enum run_step step);
/* A usage sample: to the subscribers that want one (none once it
 * ended). */
void run_remote_usage(struct run *r, const struct run_usage *u);
/* The end: every subscriber gets exited(); the run lingers. */
void run_remote_exited(struct run *r, const struct run_result *res);
/* The cluster link went down (false) or came back (true). */
void run_remote_link(struct run *r, bool up);

/* The verdict for a finished run: pure, for tests. */
struct sandbox_result;
void run_verdict(const struct sandbox_result *sres, enum run_kill_reason why,
		 const struct limits *lim, bool output_truncated,
		 struct run_result *out);

#endif
