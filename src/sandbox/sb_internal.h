/*
 * sb_internal.h - declarations shared by the files of src/sandbox/.
 *
 * Never included outside src/sandbox/ (except by its unit tests).
 */
#ifndef CODEROOM_SB_INTERNAL_H
#define CODEROOM_SB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"
#include "sandbox/sb_proto.h"

struct cgroup_run;

/* Built-in defaults for limits left at 0. */
#define SB_DEF_MEMORY  (256ull << 20)
#define SB_DEF_PIDS    64
#define SB_DEF_NOFILE  256
#define SB_MAX_NOFILE  65536 /* the most a run's NOFILE is ever set to */
#define SB_DEF_FSIZE   (64ull << 20)
#define SB_DEF_TMPFS   (64ull << 20)
#define SB_DEF_CPU_MS  10000
#define SB_DEF_WALL_MS 600000
#define SB_DEF_CPU_WEIGHT 100

#define SB_DEF_STATE_DIR "/run/coderoom-sandbox"
#define SB_DEF_UID_BASE	 200000
#define SB_DEF_SLOTS	 64
#define SB_MAX_SLOTS	 4096

/* Uid/gid seen inside the sandbox's user namespace. */
#define SB_INNER_ID 1000

/* --- sb_spawner.c ------------------------------------------------------ */

struct sb_spawner_config {
	char state_dir[256];
	uid_t uid_base;
	unsigned slots;
	uint64_t runs_memory;	/* every run together, 0: unlimited */
	uint32_t runs_pids;
	struct sandbox_limits defaults;
	bool log_json;	/* log lines as JSON (the server's --log-format) */
};

/* Run the spawner on socket 'sock'; never returns. */
__attribute__((noreturn)) void
sb_spawner_main(int sock, const struct sb_spawner_config *c);

/* How long a run with 'used_ms' of its 'limit_ms' of CPU time may go
 * unchecked on 'cpus' CPUs (0: over the limit now). Pure. */
uint64_t sb_check_gap_ms(uint64_t limit_ms, uint64_t used_ms, unsigned cpus);

/* Fill in every 0 in 'l' from 'def'. */
void sb_limits_apply_defaults(struct sandbox_limits *l,
			      const struct sandbox_limits *def);

/* --- sandbox.c: how the helpers are started ---------------------------- */

#define SB_SPAWNER_FLAG "--sandbox-spawner"
#define SB_SUPER_FLAG	"--sandbox-supervisor"

/*
 * Re-execute the server binary (by 'exe_fd', an O_PATH fd, when >= 0,
 * else by path 'exe') as a helper: 'flag' says which, 'sock' is its
 * socket (kept across exec), 'c' its configuration, in argv. The
 * environment is empty. Never returns.
 */
__attribute__((noreturn)) void
sb_exec_helper(int exe_fd, const char *exe, const char *flag, int sock,
	       const struct sb_spawner_config *c);

/* --- sb_super.c -------------------------------------------------------- */

/* Run the supervisor on socket 'sock' (see sb_super.c); never returns. */
__attribute__((noreturn)) void
sb_super_main(int sock, const struct sb_spawner_config *c);

/* --- sb_child.c: init and the program, before exec -------------------- */

/* Records init and the program send to the spawner (one per packet). */
enum sb_report_kind {
	SB_REP_PID = 1, /* the program says hello (SCM_CREDENTIALS: host pid) */
	SB_REP_STARTED, /* the program's exec succeeded */
	SB_REP_FAILED,	/* setup or exec failed: err, msg */
	SB_REP_STATUS,	/* the program's wait status: val */
	SB_REP_COLLECT, /* spec.collect: a memfd of the files (SCM_RIGHTS) */
	SB_REP_LAST,	/* STATUS, and nothing but init is left in the run */
};

struct sb_report {
	uint32_t kind;
	int32_t err; /* -errno for FAILED */
	int64_t val;
	char msg[200];
};

/* Everything init needs; prepared by the spawner before clone. */
struct sb_child_ctx {
	const struct sb_spec *spec; /* limits already defaulted */
	uid_t host_uid;		    /* uid_base + slot */
	gid_t host_gid;
	int report_fd; /* SOCK_SEQPACKET to the spawner */
	/* The run's groups, which a cold init joins itself first thing
	 * (cg_in_v2: born in the v2 one); NULL: none, or a warm init that
	 * joined them in the pool. */
	struct cgroup_run *cg;
	bool cg_in_v2;
	int stdio[3];  /* child ends: slave x3 or pipe ends */
	int tty_slave; /* -1 when !tty */
	/* A warm init's run with a terminal: the slave, cloned by the
	 * spawner as a detached mount (open_tree(OPEN_TREE_CLONE)), and its
	 * name under /dev/pts: the root is pivoted already, the host's
	 * /dev/pts out of reach. -1: bind the slave by its path. */
	int tty_tree;
	char tty_name[16];
	const char *state_dir;
	bool userns;  /* create a user namespace */
	bool mountns; /* pivot into a fresh root */
	bool seccomp; /* load the filter (before the exec) */
	bool overlay; /* host dirs through overlayfs (else read-only binds) */
	bool mknod;   /* device nodes of the run's own (else binds) */
	bool prepared; /* a warm init did SB_MOUNTS_EARLY and _SEAL already:
			  its root is the run's */
	bool bset_empty; /* init emptied its bounding set already */
	/* the limits its early mounts were sized with (sb_mounts.c) */
	struct sandbox_limits guess;
	/* A warm init's program, forked and prepared before the run was
	 * known (sb_program_warm()); prog_go -1: init forks it. */
	int prog_go;	  /* socket: the go, with spec_fd and the stdio */
	int prog_exec_fd; /* read end of its exec pipe */
	pid_t prog_pid;
	int spec_fd; /* the run's spec (a sealed memfd), for the program */
};

/* Empty the calling process's capability bounding set (needs
 * CAP_SETPCAP; its effective capabilities stay). A warm init does it
 * while it waits in the pool, so its hand-out does not. */
void sb_drop_bounding_set(void);

/* init, pid 1 of the run; never returns. */
__attribute__((noreturn)) void sb_child_init(const struct sb_child_ctx *c);

/*
 * pid 2 of a warm init, forked before its run is known: drops everything
 * that does not depend on the run (uid, groups, user namespace,
 * capabilities, signals, and it attaches the seccomp filter; see
 * sb_child.c) at once, then waits on 'go_fd'
 * for init's go (the spec memfd, decoded with the defaults 'def', and its
 * stdio) and becomes the program. 'early' needs host_uid/gid, report_fd,
 * userns and seccomp. A failure is reported on 'exec_fd', the write end
 * of the exec pipe init reads. Never returns; exits quietly when init
 * goes without a go (dropped from the pool).
 */
__attribute__((noreturn)) void
sb_program_warm(const struct sb_child_ctx *early, int go_fd, int exec_fd,
		const struct sandbox_limits *def);

/* --- sb_mounts.c ------------------------------------------------------- */

enum sb_mounts_phase {
	SB_MOUNTS_ALL,	 /* everything */
	SB_MOUNTS_EARLY, /* what does not need the run; what needs its
			    limits with c->spec's, a guess kept in c->guess */
	SB_MOUNTS_SEAL,	 /* a warm init once its program is prepared: the
			    read-only root and the pivot into it */
	SB_MOUNTS_LATE,	 /* the rest, in the pivoted root ('root' ""): the
			    run's terminal, the guessed sizes corrected */
};

/*
 * Build the run's root file system under 'root' (an empty directory in a
 * private mount namespace) and pivot into it, all at once or in three
 * phases (a warm init does the early one and the seal ahead). Returns 0 or
 * -errno with 'err' describing the failing step.
 */
int sb_mounts_setup(const char *root, const struct sb_child_ctx *c,
		    enum sb_mounts_phase phase, char *err, size_t errlen);

/* Sanity of the step table (unit tested): 0 or the index+1 of a bad step. */
int sb_mounts_check_table(void);

/* --- sb_filter.c ------------------------------------------------------- */

/* Load the seccomp filter: the last step before exec, or for a program
 * forked ahead, once it is prepared (nothing after needs a call it
 * denies). 0 or -errno. */
int sb_filter_load(void);

/* init's own filter (an allow list), loaded once it has dropped to the
 * run's uid. 0 or -errno. */
int sb_filter_load_init(void);

/* Compile both filters once (the spawner, at start), so that every load
 * after it, in any child, only loads them. 0 or -errno. */
int sb_filter_prepare(void);

/* Whether libseccomp and the kernel can do it. */
bool sb_filter_available(void);

/* The program's filter (init false) or init's, compiled as a binary tree
 * (tree, as loaded) or as libseccomp's linear list (for the unit test that
 * compares the two), into *out; the caller frees out->filter. 0 or
 * -errno. */
struct sock_fprog;
int sb_filter_compile(bool init, bool tree, struct sock_fprog *out);

/* --- sb_probe.c -------------------------------------------------------- */

enum sb_thread_state {
	SB_THREAD_UNKNOWN = 0, /* unparsable */
	SB_THREAD_RUNNING,     /* "running" */
	SB_THREAD_BLOCKED,     /* in a syscall that is not a read of input */
	SB_THREAD_READ,	       /* read/readv/pread on some fd (fd set) */
	SB_THREAD_POLL,	       /* select/poll/epoll family */
};

/*
 * Parse one /proc/PID/task/TID/syscall line. Sets *fd to the first
 * argument for SB_THREAD_READ. Pure.
 */
enum sb_thread_state sb_probe_parse(const char *line, long *fd);

/* /proc files one probe reads at most, whatever the thread count. */
#define SB_PROBE_BUDGET 48

/*
 * Whether the processes below 'init_pid' (host pid, excluded itself) are
 * all blocked with at least one waiting for input. 'quiet': the caller
 * knows no thread of the run used CPU lately (its cgroup), so finding one
 * thread reading its input is enough. Reads at most SB_PROBE_BUDGET files.
 */
bool sb_probe_tree(pid_t init_pid, bool quiet);

/* --- sb_uids.c --------------------------------------------------------- */

#define SB_UID_LOCK_DIR "/run/coderoom-uids"

enum sb_idfile {
	SB_IDFILE_PASSWD, /* name:x:uid:... */
	SB_IDFILE_GROUP,  /* name:x:gid:... */
	SB_IDFILE_SUBID,  /* name:first:count (/etc/subuid, /etc/subgid) */
};

/*
 * Whether ids [first, first + count) hold an id (or a subordinate range)
 * of the file 'text'. Returns 1 and describes the first such entry in
 * 'why' ("uid 65534 of 'nobody'"), with *next past the last one, or 0.
 * Pure.
 */
int sb_uids_conflict(const char *text, enum sb_idfile kind, uint64_t first,
		     uint64_t count, uint64_t *next, char *why, size_t whylen);

/* A lease file's name "FIRST-LAST". Pure. */
bool sb_uids_parse_lease(const char *name, uint64_t *first, uint64_t *last);

/* A range of run uids held for this process's life. */
struct sb_uid_lease {
	int fd;		/* the lease file, flock()ed; -1: none */
	uid_t first;
	unsigned count;
	char path[320];
};

/*
 * Reserve 'count' run uids from 'first' (0: the first free range from
 * SB_DEF_UID_BASE) under the lease directory 'dir' (see sb_uids.c). 0,
 * or -EADDRINUSE (another coderoom's), -EEXIST (a host account, group or
 * subordinate range), -errno, with the reason in 'why'.
 */
int sb_uids_reserve(struct sb_uid_lease *l, const char *dir, uid_t first,
		    unsigned count, char *why, size_t whylen);
void sb_uids_release(struct sb_uid_lease *l);

/* --- sb_util.c --------------------------------------------------------- */

/* Remove 'name' under dir fd 'dfd' recursively, never following a
 * symlink. 0 or -errno (ENOENT counts as success). */
int sb_rm_rf_at(int dfd, const char *name);

/* Write all of 'len' bytes; 0 or -errno. */
int sb_write_all(int fd, const void *buf, size_t len);

/* Write a small string to an existing file (cgroup, proc). 0 or -errno. */
int sb_write_file(const char *path, const char *s);

/* Read up to len-1 bytes of a small file, NUL-terminated. Bytes or -errno */
ssize_t sb_read_file(const char *path, char *buf, size_t len);

/* fork() without the atfork handlers (see sb_util.c). */
pid_t sb_fork(void);

/* Close every fd >= 3 but the n in keep[] (sorted in place): a child of
 * the spawner keeps nothing of its other runs. A few close_range() calls,
 * not a close() per number. */
void sb_close_all_except(int *keep, size_t n);

/* The fds of a received message's SCM_RIGHTS, at most max of them into
 * fds (the rest are closed: a peer cannot make us leak descriptors).
 * Returns how many were stored. */
struct msghdr;
size_t sb_take_fds(struct msghdr *mh, int *fds, size_t max);
/* Attaches n fds as SCM_RIGHTS to mh, using ctl (at least
 * CMSG_SPACE(n * sizeof(int)) bytes, cmsghdr-aligned) as its control
 * buffer. n == 0 leaves mh without control data. */
void sb_put_fds(struct msghdr *mh, void *ctl, const int *fds, size_t n);

/* Monotonic clock in ms. */
uint64_t sb_now_ms(void);

/* Read and decode the spec in sealed memfd 'memfd' (not closed), all of
 * it or only its head (sb_spec_decode_head()), its zero limits filled in
 * from 'def'. 0 or -errno with *why set; the caller releases the spec
 * (sb_spec_release()). */
int sb_read_spec(int memfd, const struct sandbox_limits *def, bool head_only,
		 struct sb_spec *spec, const char **why);

#endif /* CODEROOM_SB_INTERNAL_H */
