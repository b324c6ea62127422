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
};

/* One file written into the work dir before the program starts. */
struct sandbox_file {
	const char *name;	/* relative, no "..", no leading '/' */
	const void *data;
	size_t len;
	unsigned mode;		/* e.g. 0644, 0755 */
};

struct sandbox_spec {
	const char *const *argv;	/* NULL-terminated; argv[0] absolute */
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
	 * (more: nothing is collected). They arrive in the exit report as
	 * a memfd (sandbox_result.collect_fd), see sandbox_collect_parse().
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
	int error;		/* 0, or -errno when the run could not start */
	char message[256];	/* human-readable cause when error != 0 */
	/* spec.collect: when 'collected', collect_fd is a memfd holding the
	 * files; it is valid during exited() only (closed after it returns). */
	bool collected;
	int collect_fd;
};

/* A run's resources now (sandbox_usage()), from its cgroup. */
struct sandbox_usage {
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
	/* Optional: answer to sandbox_usage() for a run that is running
	 * (none comes for a run that has not started or has ended). */
	void (*usage)(void *data, const struct sandbox_usage *u);
};

/* What the host can give, for start-up logs and /api/health. */
struct sandbox_features {
	bool userns, pidns, netns, mountns;
	bool seccomp;
	bool cgroup_memory, cgroup_pids, cgroup_cpu, cgroup_kill;
	const char *cgroup_backend;	/* "v2", "v1", or "none" */
	bool strong;			/* every feature a safe run needs */
	char missing[256];		/* what is missing, comma separated */
};

struct sandbox_config {
	const char *state_dir;		/* root-owned scratch dir of the spawner */
	uid_t uid_base;			/* host uid of slot 0 (default 200000) */
	unsigned slots;			/* max concurrent runs (uids) */
	bool allow_weak;		/* run even if !features.strong */
	struct sandbox_limits defaults;	/* filled in by sandbox_open() */
};

/*
 * The spawner's entry point: main() calls this first thing with its own
 * argc/argv. Returns -1 at once unless this process is a spawner that
 * sandbox_open() started (it re-executes the server binary); a spawner
 * never returns from it.
 */
int sandbox_spawner_main(int argc, char **argv);

/*
 * Fork the spawner. Must be called as root, before the server drops
 * privileges and before it starts threads. Returns 0 or -errno.
 * On success *out is valid until sandbox_close().
 */
int sandbox_open(uv_loop_t *loop, const struct sandbox_config *cfg,
		 struct sandbox **out);

/* What the host gave the spawner (valid until sandbox_close()). */
const struct sandbox_features *sandbox_features(const struct sandbox *sb);

/*
 * Ask for a run. 'spec' is copied before returning. Returns 0 and sets *id,
 * or -errno (-EAGAIN: every slot is busy; -EINVAL: bad spec; -EPIPE: the
 * spawner is gone), in which case no callback will be called.
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
int sandbox_usage(struct sandbox *sb, uint64_t id);

/*
 * Shut down: kill every run, stop the spawner (waiting for it, bounded),
 * call exited() for every run not yet reported (killed == true), and free
 * 'sb'. Blocks; meant for shutdown. Closes its uv handles: run the loop
 * once more (UV_RUN_NOWAIT) afterwards so their close callbacks fire.
 */
void sandbox_close(struct sandbox *sb);

#endif /* CODEROOM_SANDBOX_H */
