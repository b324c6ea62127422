/*
 * sb_filter.c - the seccomp filter, loaded as the last step before exec
 * (a program forked ahead by a warm init loads it as soon as it is
 * prepared, while it waits for its run: nothing it does after that calls
 * what the filter denies).
 *
 * Default allow; the calls below fail with EPERM (a program that probes
 * for them gets an ordinary error, not a crash), and those that would
 * flush the host's page cache succeed without doing anything. A syscall
 * from another ABI (int $0x80, x32) kills the process: the rules are
 * written for the native numbers only.
 *
 * init, pid 1 of the run, gets a filter of its own once it has dropped its
 * privileges (sb_filter_load_init()): an allow list of what it still does.
 *
 * libseccomp compiles the rules to BPF in ~0.5 ms; the spawner does that
 * once (sb_filter_prepare()) and every run only loads the result.
 *
 * Both filters are compiled as a binary tree of syscall numbers
 * (SCMP_FLTATR_CTL_OPTIMIZE 2), not libseccomp's default linear list: the
 * decisions are the same (a unit test compares both forms for every
 * syscall number and the argument values the rules look at), but loading
 * one costs about half: the kernel walks the filter once per syscall
 * number when it is attached, to find the calls it may allow without
 * running it, and a linear list makes that walk long. Measured ~170 us
 * -> ~90 us per run, on the request path.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

#include <seccomp.h>

#include "sandbox/sb_internal.h"

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

/* Denied outright. Names, so that calls unknown to this libseccomp or
 * kernel are skipped rather than breaking the build. */
static const char *const denied[] = {
    /* new namespaces and joining others */
    "unshare",
    "setns",
    /* the mount family: the file system view is fixed */
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "chroot",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    /* looking into or steering other processes */
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    /* large kernel attack surface, never needed by a test program */
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "keyctl",
    "add_key",
    "request_key",
    "open_by_handle_at",
    "name_to_handle_at",
    /* watching other processes' file accesses: an inode mark on a shared
     * file would report other runs' (and the host's) opens and execs */
    "fanotify_init",
    "fanotify_mark",
    /* machine-wide state */
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "syslog",
    "iopl",
    "ioperm",
    "vhangup",
    "lookup_dcookie",
    "nfsservctl",
    "personality",
};

/* Flushing to disk: the run's own files live in memory (tmpfs), so these
 * can only write back the host's page cache, and sleep uninterruptibly
 * (past the wall limit) doing it. They succeed and do nothing. */
static const char *const no_ops[] = {
    "sync", "syncfs", "fsync", "fdatasync", "sync_file_range",
};

static const int namespace_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
				   CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
				   CLONE_NEWCGROUP | 0x00000080 /* TIME */;

bool sb_filter_available(void)
{
	return seccomp_api_get() >= 1;
}

static int add_rules(scmp_filter_ctx ctx)
{
	int r;

	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r && r != -EEXIST)
			return r;
	}
	for (size_t i = 0; i < sizeof(no_ops) / sizeof(no_ops[0]); i++) {
		int nr = seccomp_syscall_resolve_name(no_ops[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), nr, 0);
		if (r && r != -EEXIST)
			return r;
	}
	/* clone: any namespace flag. clone3 passes its flags in memory,
	 * which a filter cannot read: ENOSYS makes glibc fall back to
	 * clone. */
	for (int bit = 0; bit < 32; bit++) {
		uint64_t f = 1ull << bit;
		if (!(namespace_flags & (int)f))
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				     SCMP_SYS(clone), 1,
				     SCMP_A0_64(SCMP_CMP_MASKED_EQ, f, f));
		if (r)
			return r;
	}
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (r)
		return r;

	/* Faking terminal input or poking the console: compare the low 32
	 * bits only (the request is an int; the upper half is garbage). */
	r = seccomp_rule_add(
	    ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
	    SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
	if (r)
		return r;
	r = seccomp_rule_add(
	    ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
	    SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
	if (r)
		return r;
	/* Switching the terminal's line discipline (N_HDLC, N_GSM, ...)
	 * reaches rarely used kernel code: a program has no need of it. */
	r = seccomp_rule_add(
	    ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
	    SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSETD));
	if (r)
		return r;

	/* Sockets: AF_UNIX, AF_INET, AF_INET6 only (no netlink, vsock,
	 * packet, ...). Any value with upper bits set is >= 11: denied. */
	static const int bad_low[] = {0, 3, 4, 5, 6, 7, 8, 9};
	static const int calls[2] = {SCMP_SYS(socket), SCMP_SYS(socketpair)};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(bad_low) / sizeof(bad_low[0]);
		     i++) {
			r = seccomp_rule_add(
			    ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), calls[k], 1,
			    SCMP_A0_64(SCMP_CMP_EQ, (uint64_t)bad_low[i]));
			if (r)
				return r;
		}
		r = seccomp_rule_add(
		    ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), calls[k], 1,
		    SCMP_A0_64(SCMP_CMP_GE, (uint64_t)AF_INET6 + 1));
		if (r)
			return r;
	}
	return 0;
}

/* A binary tree of syscall numbers instead of a list (same decisions).
 * A libseccomp without the attribute keeps the list: not an error. */
static void set_tree(scmp_filter_ctx ctx, bool tree)
{
	if (tree)
		(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
}

static int build(scmp_filter_ctx *out, bool tree)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return -ENOMEM;
	/* Another ABI would bypass the native-number rules: kill. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (!r)
		set_tree(ctx, tree);
	if (!r)
		r = add_rules(ctx);
	if (r) {
		seccomp_release(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

/*
 * init's own filter, loaded once the program is started and init has
 * dropped to the run's uid: what it does from then on (wait, report over
 * its socket, kill what is left, fork the reader of a compile step's
 * files, read them, exit) and nothing else. Anything else fails with
 * EPERM, so init can neither exec nor reach the kernel's larger parts.
 */
static const char *const init_allowed[] = {
    "read", "write", "close", "sendto", "sendmsg", "recvfrom", "recvmsg",
    "wait4", "waitid", "kill", "exit", "exit_group", "getpid", "gettid",
    "getuid", "geteuid", "getgid", "getegid", "prctl", "open", "openat",
    "fstat", "newfstatat", "statx", "getdents64", "lseek", "memfd_create",
    "mmap", "munmap", "brk", "mremap", "madvise", "rt_sigreturn",
    "rt_sigprocmask", "rt_sigaction", "restart_syscall", "dup", "fcntl",
    "clock_gettime", "futex", "poll",
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer's exit path resets the alternate signal stack and
     * aborts when it cannot (sanitizer builds only) */
    "sigaltstack",
#endif
};

static int build_init(scmp_filter_ctx *out, bool tree)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int r;

	if (!ctx)
		return -ENOMEM;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS);
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (!r)
		set_tree(ctx, tree);
	for (size_t i = 0;
	     !r && i < sizeof(init_allowed) / sizeof(init_allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(init_allowed[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r == -EEXIST)
			r = 0;
	}
	/* fork as sb_fork() does it: a plain child, no namespaces, no
	 * threads */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_A0_64(SCMP_CMP_EQ, SIGCHLD));
	if (r) {
		seccomp_release(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

/* The compiled filters, from sb_filter_prepare(); len 0 until then. */
static struct sock_fprog prepared, prepared_init;

/* Compile the filter 'make' makes into *fprog (its old program freed).
 * 0 or -errno. */
static int compile(int (*make)(scmp_filter_ctx *, bool), bool tree,
		   struct sock_fprog *fprog)
{
	scmp_filter_ctx ctx;
	struct sock_filter *prog = NULL;
	off_t size;
	int fd, r = make(&ctx, tree);

	if (r)
		return r;
	fd = memfd_create("coderoom-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		seccomp_release(ctx);
		return -errno;
	}
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	size = r ? 0 : lseek(fd, 0, SEEK_END);
	if (!r && (size <= 0 || size % (off_t)sizeof(*prog) ||
		   size / (off_t)sizeof(*prog) > BPF_MAXINSNS))
		r = -EINVAL;
	if (!r && !(prog = malloc((size_t)size)))
		r = -ENOMEM;
	if (!r && pread(fd, prog, (size_t)size, 0) != (ssize_t)size)
		r = -EIO;
	close(fd);
	if (r) {
		free(prog);
		return r;
	}
	free(fprog->filter);
	fprog->filter = prog;
	fprog->len = (unsigned short)(size / (off_t)sizeof(*prog));
	return 0;
}

int sb_filter_prepare(void)
{
	int r = compile(build, true, &prepared);

	return r ? r : compile(build_init, true, &prepared_init);
}

static int load(int (*make)(scmp_filter_ctx *, bool),
		const struct sock_fprog *fp)
{
	scmp_filter_ctx ctx;
	int r;

	if (fp->len) {
		/* What libseccomp's load does with CTL_NNP: no new privs
		 * first, then the filter, no flags. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, fp))
			return -errno;
		return 0;
	}
	r = make(&ctx, true);
	if (r)
		return r;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

int sb_filter_load(void)
{
	return load(build, &prepared);
}

int sb_filter_load_init(void)
{
	return load(build_init, &prepared_init);
}

int sb_filter_compile(bool init, bool tree, struct sock_fprog *out)
{
	*out = (struct sock_fprog){0};
	return compile(init ? build_init : build, tree, out);
}
