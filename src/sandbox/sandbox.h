/*
 * sandbox.h - run a program isolated, limited and accounted for.
 *
 * This is the only header of src/sandbox/ that the rest of coderoom includes.
 *
 * sandbox_open() forks a small privileged helper, the spawner, while the
 * server still runs as root; the server then drops its privileges and asks
 * the spawner for runs over a unix socketpair. The spawner answers with the
 * run's terminal or pipe fds (SCM_RIGHTS) and, later, with its exit report.
 * Everything here is asynchronous and driven by the caller's libuv loop:
 * no function blocks for longer than a few syscalls.
 *
 * Per run: spawner -> init (pid 1 of fresh namespaces) -> program (pid 2).
 * When the program exits, init exits and the kernel kills whatever is left.
 * sandbox_kill() kills the whole tree at once, whatever it did (setsid,
 * double fork, SIGSTOP, ignoring signals).
 *
 * The spawner is restarted when it dies or stops answering (a root
 * supervisor, forked with it, starts the new one): the runs it had end at
 * once with result.lost (an internal error, message saying why), and new
 * runs work again as soon as the new spawner is up; sandbox_status()
 * tells the restarts. No call here ever waits for the spawner.
 *
 * Ownership: the caller owns the fds handed to its spawned() callback and
 * closes them. A run id is valid from sandbox_spawn() until its exited()
 * callback has returned; exited() is called exactly once for every run whose
 * sandbox_spawn() returned 0, also when spawning failed (after spawned() with
 * an error) and when the sandbox is closed.
 */
#ifndef CODEROOM_SANDBOX_H
#define CODEROOM_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

struct sandbox;

/* Limits of one run. 0 means "the spawner's built-in default". */
struct sandbox_limits {
	uint64_t memory_bytes;	/* cgroup memory limit, swap excluded */
	uint32_t pids;		/* processes + threads in the run */
	uint32_t nofile;	/* RLIMIT_NOFILE */
	uint64_t fsize_bytes;	/* RLIMIT_FSIZE: the largest file written */
	uint64_t tmpfs_bytes;	/* size of /tmp and of the work dir, each */
	uint64_t cpu_ms;	/* CPU time of the whole tree (cgroup) */
	uint64_t wall_ms;	/* backstop only: the server keeps its own timer */
	uint32_t cpu_weight;	/* share of the CPU against other runs when
				   they compete, 1..10000 (cgroup v2 scale,
				   v1 cpu.shares = weight * 1024 / 100) */
};

/* The most file bytes (data of every sandbox_file together) one spawn
 * request may carry. */
#define SANDBOX_BYTES_MAX (32u << 20)

/* One file written into the work dir before the program starts. */
struct sandbox_file {
	const char *name;	/* a relative path: sandbox_path_ok() */
	const void *data;
	size_t len;
	unsigned mode;		/* e.g. 0644, 0755 */
};

#define SANDBOX_FILES_MAX 256	/* files of one spec */
#define SANDBOX_PATH_MAX 1024	/* one file's relative path, bytes */
#define SANDBOX_DEPTH_MAX 16	/* directories in one path */

/*
 * The one rule for the name of a file written into the work dir: a
 * relative path of 1..SANDBOX_PATH_MAX bytes, components separated by
 * single '/' (no leading or trailing one), none empty, "." or "..", none
 * longer than 255 bytes, at most SANDBOX_DEPTH_MAX directories, and no
 * control characters. Parent directories are created; nothing is ever
 * followed through a symlink. Pure.
 */
bool sandbox_path_ok(const char *path, size_t len);
/* Whether two paths cannot both be written: the same, or one is a
 * directory of the other ("pkg" and "pkg/mod.py"). Pure. */
bool sandbox_paths_clash(const char *a, const char *b);

struct sandbox_spec {
	const char *const *argv;	/* NULL-terminated; argv[0] absolute,
					 * or ./NAME: a file of the work dir */
	const char *const *envp;	/* NULL-terminated; the whole environment */
	const struct sandbox_file *files;
	size_t nfiles;
	bool tty;		/* true: stdin/out/err on a pty; false: pipes */
	uint16_t rows, cols;	/* initial window size when tty */
	struct sandbox_limits limits;
	/*
	 * Files to hand back when the program exits with code 0 (a compile
	 * step's output), or NULL: fnmatch(3) patterns, NULL-terminated,
	 * matched against the names of the regular files at the top of the
	 * work dir. init reads them after the rest of the run is killed, as
	 * the run's uid, with O_NOFOLLOW; at most 'collect_max' bytes in all
	 * (file data plus 17 + name bytes a file; more: nothing is collected
	 * and the result says collect_overflow). They arrive in the exit
	 * report as a memfd (sandbox_result.collect_fd), see
	 * sandbox_collect_parse().
	 */
	const char *const *collect;
	uint64_t collect_max;
};

/* What spawned() hands over; the caller owns every fd >= 0. */
struct sandbox_proc {
	int tty_fd;		/* pty master when tty, else -1 */
	int stdin_fd;		/* write end of stdin pipe when !tty, else -1 */
	int stdout_fd;		/* read end of stdout pipe when !tty, else -1 */
	int stderr_fd;		/* read end of stderr pipe when !tty, else -1 */
	pid_t pid;		/* host pid of the program (pid 2), for logs */
};

/* Why the sandbox ended a run on its own. */
enum sandbox_limit_hit {
	SANDBOX_HIT_NONE = 0,
	SANDBOX_HIT_CPU,	/* cpu_ms exceeded */
	SANDBOX_HIT_WALL,	/* the wall_ms backstop fired */
	SANDBOX_HIT_MEMORY,	/* the OOM killer acted in the run's cgroup */
	SANDBOX_HIT_PIDS,	/* a fork/clone failed on the pids limit */
};

struct sandbox_result {
	int status;		/* wait status of the program (WIFEXITED...) */
	bool killed;		/* the tree was killed (sandbox_kill or a limit) */
	enum sandbox_limit_hit hit;
	uint64_t cpu_ms;	/* user + system CPU of the whole tree */
	uint64_t wall_ms;	/* from exec to exit */
	uint64_t memory_peak;	/* bytes, 0 when unknown */
	int error;		/* 0, or -errno when the run could not start
				   (or was lost) */
	bool lost;		/* its spawner died under it: error is -EPIPE,
				   nothing else is known of the run */
	char message[256];	/* human-readable cause when error != 0 */
	/* spec.collect: when 'collected', collect_fd is a memfd holding the
	 * files; it is valid during exited() only (closed after it returns). */
	bool collected;
	int collect_fd;
	bool collect_overflow;	/* the files were more than collect_max */
};

/* A run's resources now (sandbox_run_usage()), from its cgroup. */
struct sandbox_run_usage {
	uint64_t cpu_ms;	/* user + system CPU of the whole tree so far */
	uint64_t wall_ms;	/* since exec */
	uint64_t memory_bytes;	/* memory charged to the run now, 0 unknown */
	uint64_t memory_peak;	/* the most so far, 0 unknown */
	uint32_t pids;		/* processes + threads now, 0 unknown */
};

struct sandbox_run_ops {
	/* The program was started (err == 0, proc filled) or could not be
	 * (err < 0, proc NULL; exited() follows with the same error). */
	void (*spawned)(void *data, int err, const struct sandbox_proc *proc);
	/* Answer to sandbox_probe_input(): true when every thread of the run
	 * is blocked, at least one of them reading its stdin/terminal. */
	void (*probed)(void *data, bool waiting_for_input);
	/* The run is over: every process of it is gone. */
	void (*exited)(void *data, const struct sandbox_result *res);
	/* Optional: answer to sandbox_run_usage() for a run that is running
	 * (none comes for a run that has not started or has ended). */
	void (*usage)(void *data, const struct sandbox_run_usage *u);
};

/* What the host can give, for start-up logs and /api/health. */
struct sandbox_features {
	bool userns, pidns, netns, mountns;
	bool seccomp;
	bool cgroup_memory, cgroup_pids, cgroup_cpu, cgroup_kill;
	bool cgroup_cpu_weight;		/* runs share the CPU by weight */
	const char *cgroup_backend;	/* "v2", "v1", or "none" */
	bool strong;			/* every feature a safe run needs */
	char missing[256];		/* what is missing, comma separated */
	uid_t uid_first, uid_last;	/* the host uids of the runs */
	bool uids_configured;		/* given, not chosen */
};

/*
 * The runs' host uids (and gids) are a range of the server's own: checked
 * against /etc/passwd, /etc/group, /etc/subuid and /etc/subgid, and held
 * with a lock for the server's life so no other coderoom takes it. A
 * given range that breaks a rule makes sandbox_open() fail; without one,
 * the first free range of 'slots' uids from 200000 is taken.
 */
struct sandbox_config {
	const char *state_dir;		/* root-owned scratch dir of the spawner */
	uid_t uid_base;			/* host uid of slot 0; 0: choose */
	unsigned uid_count;		/* uids held from uid_base (0: slots) */
	const char *uid_lock_dir;	/* NULL: /run/coderoom-uids */
	unsigned slots;			/* max concurrent runs (uids) */
	uint64_t runs_memory;		/* memory of every run together (their
					   cgroup subtree's limit), 0: none */
	uint32_t runs_pids;		/* processes of every run together */
	bool allow_weak;		/* run even if !features.strong */
	struct sandbox_limits defaults;	/* filled in by sandbox_open() */
	uint64_t stall_ms;		/* a spawner silent this long while it
					   has work is replaced (0: 15000) */
	char *why;			/* if not NULL: why sandbox_open() */
	size_t why_len;			/* failed, NUL-terminated */
};

/* The spawner's state, for /api/health and /metrics. */
struct sandbox_status {
	const char *state;	/* "up", "starting", "restarting", "down" */
	unsigned restarts;	/* spawners started after the first */
	uint64_t lost_runs;	/* runs ended by a spawner's death */
	pid_t spawner_pid;	/* as it reported it; 0 while starting */
	unsigned pending;	/* requests queued behind a full socket */
	unsigned active;	/* runs not yet exited */
};

/*
 * The spawner's entry point: main() calls this first thing with its own
 * argc/argv. Returns -1 at once unless this process is a spawner that
 * sandbox_open() started (it re-executes the server binary); a spawner
 * never returns from it.
 */
int sandbox_spawner_main(int argc, char **argv);

/*
 * Reserve the run uids, then fork the supervisor, which starts the
 * spawner; waits (bounded) for the spawner's hello. Must be called as
 * root, before the server drops privileges and before it starts threads.
 * Returns 0 or -errno (-EADDRINUSE, -EEXIST: the configured uid range is
 * another coderoom's or the host's; cfg->why says which). On success
 * *out is valid until sandbox_close().
 */
int sandbox_open(uv_loop_t *loop, const struct sandbox_config *cfg,
		 struct sandbox **out);

/* What the host gave the spawner (valid until sandbox_close()). */
const struct sandbox_features *sandbox_features(const struct sandbox *sb);

/* What every run uses together, as the spawner last reported it (every
 * half second while runs live, and after each exit). */
struct sandbox_usage {
	bool known;		/* the cgroup layer reports it */
	uint64_t memory_bytes;	/* charged, reclaimable file cache excluded */
	uint32_t pids;		/* processes and threads, warm inits included */
	unsigned runs;		/* runs not yet exited */
};
void sandbox_usage(const struct sandbox *sb, struct sandbox_usage *u);

/* The spawner's state now; all zero (state NULL) for a NULL sb. */
void sandbox_status(const struct sandbox *sb, struct sandbox_status *st);

/*
 * Ask for a run. 'spec' is copied before returning. Returns 0 and sets *id,
 * or -errno (-EAGAIN: every slot is busy, or a spawner restart is due;
 * -EINVAL: bad spec; -EPIPE: no spawner can be started any more), in which
 * case no callback will be called.
 */
int sandbox_spawn(struct sandbox *sb, const struct sandbox_spec *spec,
		  const struct sandbox_run_ops *ops, void *data, uint64_t *id);

/*
 * Parses the content of a collect_fd: records { u32 namelen, u32 mode,
 * u64 len, name, NUL, data } (native endian). Fills up to 'max' entries of
 * 'files', whose names and data point into 'p'. Pure. Returns the number
 * of files, or -EBADMSG (bad record, bad name, more than 'max' files).
 */
int sandbox_collect_parse(const void *p, size_t len,
			  struct sandbox_file *files, size_t max);

/* Kill the whole tree of run 'id' (SIGKILL). Idempotent; exited() follows. */
int sandbox_kill(struct sandbox *sb, uint64_t id);

/* Send 'sig' to the program (pid 2) only, e.g. SIGINT. */
int sandbox_signal(struct sandbox *sb, uint64_t id, int sig);

/* Ask whether run 'id' is blocked reading its input; probed() answers. */
int sandbox_probe_input(struct sandbox *sb, uint64_t id);

/*
 * Ask for the resources run 'id' uses now; usage() answers (nothing when
 * the run is not running by the time the spawner reads the request). The
 * spawner reads the run's cgroup: cheap, but a caller samples a few times
 * a second at most.
 */
int sandbox_run_usage(struct sandbox *sb, uint64_t id);

/*
 * Shut down: kill every run, stop the spawner (waiting for it, bounded),
 * call exited() for every run not yet reported (killed == true), and free
 * 'sb'. Blocks; meant for shutdown. Closes its uv handles: run the loop
 * once more (UV_RUN_NOWAIT) afterwards so their close callbacks fire.
 */
void sandbox_close(struct sandbox *sb);

#endif /* CODEROOM_SANDBOX_H */
