/*
 * test_sandbox_filter.c - the seccomp filters are loaded as a binary tree
 * of syscall numbers (cheaper to attach), and must decide exactly as
 * libseccomp's plain linear list of the same rules would.
 *
 * Both forms of each filter (the program's and init's) are run through a
 * small classic-BPF interpreter (the kernel's semantics for seccomp) on
 * every syscall number of three ABIs (x86-64, x32, i386) and on the
 * argument values the rules look at (each clone flag bit with and without
 * garbage in the upper half, socket families 0..12 and beyond, the denied
 * ioctl requests with and without upper bits), and every action must be
 * the same. Known decisions are checked too, and the comparison must see
 * a difference where there is one (the program's filter against init's),
 * so that it cannot pass by comparing nothing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cmocka.h>

#include "sandbox/sb_internal.h"

#define X32_BIT 0x40000000u

/* Run a classic BPF seccomp program on 'd' as the kernel does; the
 * returned action, or 0xdeadbeef for a program the kernel would refuse
 * (out-of-range jump or load, an opcode seccomp does not allow). */
static uint32_t run(const struct sock_fprog *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
	const unsigned char *data = (const unsigned char *)d;

	for (unsigned pc = 0; pc < p->len; pc++) {
		const struct sock_filter *f = &p->filter[pc];
		uint32_t k = f->k;

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k % 4 || k + 4 > sizeof(*d))
				return 0xdeadbeef;
			memcpy(&a, data + k, 4);
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			a = sizeof(*d);
			break;
		case BPF_LDX | BPF_W | BPF_LEN:
			x = sizeof(*d);
			break;
		case BPF_LD | BPF_IMM:
			a = k;
			break;
		case BPF_LDX | BPF_IMM:
			x = k;
			break;
		case BPF_LD | BPF_MEM:
			if (k >= BPF_MEMWORDS)
				return 0xdeadbeef;
			a = mem[k];
			break;
		case BPF_LDX | BPF_MEM:
			if (k >= BPF_MEMWORDS)
				return 0xdeadbeef;
			x = mem[k];
			break;
		case BPF_ST:
			if (k >= BPF_MEMWORDS)
				return 0xdeadbeef;
			mem[k] = a;
			break;
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return 0xdeadbeef;
			mem[k] = x;
			break;
		case BPF_ALU | BPF_ADD | BPF_K: a += k; break;
		case BPF_ALU | BPF_SUB | BPF_K: a -= k; break;
		case BPF_ALU | BPF_AND | BPF_K: a &= k; break;
		case BPF_ALU | BPF_OR | BPF_K: a |= k; break;
		case BPF_ALU | BPF_XOR | BPF_K: a ^= k; break;
		case BPF_ALU | BPF_LSH | BPF_K: a = k < 32 ? a << k : 0; break;
		case BPF_ALU | BPF_RSH | BPF_K: a = k < 32 ? a >> k : 0; break;
		case BPF_ALU | BPF_AND | BPF_X: a &= x; break;
		case BPF_ALU | BPF_OR | BPF_X: a |= x; break;
		case BPF_ALU | BPF_NEG: a = -a; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_JMP | BPF_JA:
			if (pc + 1 + k >= p->len)
				return 0xdeadbeef;
			pc += k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X:
		case BPF_JMP | BPF_JGT | BPF_X:
		case BPF_JMP | BPF_JGE | BPF_X:
		case BPF_JMP | BPF_JSET | BPF_X: {
			uint32_t v = BPF_SRC(f->code) == BPF_X ? x : k;
			bool t;
			switch (BPF_OP(f->code)) {
			case BPF_JEQ: t = a == v; break;
			case BPF_JGT: t = a > v; break;
			case BPF_JGE: t = a >= v; break;
			default: t = (a & v) != 0; break;
			}
			unsigned off = t ? f->jt : f->jf;
			if (pc + 1 + off >= p->len)
				return 0xdeadbeef;
			pc += off;
			break;
		}
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return a;
		default:
			return 0xdeadbeef;
		}
	}
	return 0xdeadbeef; /* fell off the end */
}

static struct sock_fprog prog_tree, prog_list, init_tree, init_list;

static int setup(void **state)
{
	if (sb_filter_compile(false, true, &prog_tree) ||
	    sb_filter_compile(false, false, &prog_list) ||
	    sb_filter_compile(true, true, &init_tree) ||
	    sb_filter_compile(true, false, &init_list))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	free(prog_tree.filter);
	free(prog_list.filter);
	free(init_tree.filter);
	free(init_list.filter);
	return 0;
}

/* First-argument values: every single bit (clone's namespace flags among
 * them), alone and with the upper half set; the socket families around
 * the allowed three; SIGCHLD (init's fork) and variations; extremes. */
static size_t arg0_values(uint64_t *v)
{
	size_t n = 0;

	for (int b = 0; b < 64; b++)
		v[n++] = 1ull << b;
	for (int b = 0; b < 32; b++)
		v[n++] = 0xffffffff00000000ull | (1ull << b);
	for (uint64_t f = 0; f <= 12; f++) {
		v[n++] = f;
		v[n++] = (1ull << 32) | f;
	}
	v[n++] = SIGCHLD;
	v[n++] = SIGCHLD | CLONE_NEWUSER;
	v[n++] = SIGCHLD | CLONE_VM;
	v[n++] = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
		 CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
		 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	v[n++] = 0xffffffffull;
	v[n++] = ~0ull;
	return n;
}

/* Second-argument values: the denied ioctl requests (with garbage in the
 * upper half too) and ordinary ones. */
static size_t arg1_values(uint64_t *v)
{
	size_t n = 0;
	static const uint64_t req[] = {TIOCSTI, 0x541C /* TIOCLINUX */,
				       TIOCSETD, TCGETS, FIONREAD, TIOCGWINSZ,
				       0};
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		v[n++] = req[i];
		v[n++] = 0xdead000000000000ull | req[i];
	}
	v[n++] = ~0ull;
	return n;
}

/* Every decision of a and b over the inputs above; the number of inputs
 * on which they differ. */
static unsigned long differences(const struct sock_fprog *a,
				 const struct sock_fprog *b,
				 unsigned long *inputs)
{
	static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386,
					  0x12345678};
	uint64_t a0[160], a1[32];
	size_t n0 = arg0_values(a0), n1 = arg1_values(a1);
	unsigned long diff = 0;

	*inputs = 0;
	for (size_t ai = 0; ai < sizeof(arches) / sizeof(arches[0]); ai++)
		for (uint32_t nr = 0; nr < 1024 + 1024; nr++) {
			struct seccomp_data d = {.arch = arches[ai]};
			/* 0..1023, then the same numbers with the x32 bit */
			d.nr = (int)(nr < 1024 ? nr : X32_BIT | (nr - 1024));
			for (size_t i = 0; i < n0; i++)
				for (size_t j = 0; j < n1; j++) {
					d.args[0] = a0[i];
					d.args[1] = a1[j];
					d.args[2] = a1[j];
					(*inputs)++;
					if (run(a, &d) != run(b, &d))
						diff++;
				}
		}
	return diff;
}

static uint32_t action(const struct sock_fprog *p, int nr, uint64_t a0,
		       uint64_t a1)
{
	struct seccomp_data d = {.nr = nr, .arch = AUDIT_ARCH_X86_64};

	d.args[0] = a0;
	d.args[1] = a1;
	return run(p, &d);
}

static void test_tree_is_what_is_loaded_and_differs(void **state)
{
	/* Otherwise the comparison below would prove nothing. */
	assert_true(prog_tree.len > 0 && prog_list.len > 0);
	assert_false(prog_tree.len == prog_list.len &&
		     !memcmp(prog_tree.filter, prog_list.filter,
			     prog_list.len * sizeof(*prog_list.filter)));
	assert_false(init_tree.len == init_list.len &&
		     !memcmp(init_tree.filter, init_list.filter,
			     init_list.len * sizeof(*init_list.filter)));
}

static void test_known_decisions(void **state)
{
	const uint32_t eperm = SECCOMP_RET_ERRNO | EPERM;

	for (int t = 0; t < 2; t++) {
		const struct sock_fprog *p = t ? &prog_tree : &prog_list;
		assert_int_equal(action(p, __NR_read, 0, 0),
				 SECCOMP_RET_ALLOW);
		assert_int_equal(action(p, __NR_unshare, 0, 0), eperm);
		assert_int_equal(action(p, __NR_mount, 0, 0), eperm);
		assert_int_equal(action(p, __NR_fsync, 0, 0),
				 SECCOMP_RET_ERRNO);
		assert_int_equal(action(p, __NR_clone, SIGCHLD, 0),
				 SECCOMP_RET_ALLOW);
		assert_int_equal(action(p, __NR_clone, SIGCHLD | CLONE_NEWUSER,
					0),
				 eperm);
		assert_int_equal(action(p, __NR_clone3, 0, 0),
				 SECCOMP_RET_ERRNO | ENOSYS);
		assert_int_equal(action(p, __NR_ioctl, 0, TIOCSTI), eperm);
		assert_int_equal(
		    action(p, __NR_ioctl, 0, 0xdead000000000000ull | TIOCSTI),
		    eperm);
		assert_int_equal(action(p, __NR_ioctl, 0, TCGETS),
				 SECCOMP_RET_ALLOW);
		assert_int_equal(action(p, __NR_socket, AF_INET, 0),
				 SECCOMP_RET_ALLOW);
		assert_int_equal(action(p, __NR_socket, AF_NETLINK, 0),
				 SECCOMP_RET_ERRNO | EAFNOSUPPORT);
		/* another ABI is killed */
		struct seccomp_data d = {.nr = __NR_read,
					 .arch = AUDIT_ARCH_I386};
		assert_int_equal(run(p, &d), SECCOMP_RET_KILL_PROCESS);
		d = (struct seccomp_data){.nr = (int)(X32_BIT | __NR_read),
					  .arch = AUDIT_ARCH_X86_64};
		assert_int_equal(run(p, &d) & SECCOMP_RET_ACTION_FULL,
				 SECCOMP_RET_KILL_PROCESS);

		const struct sock_fprog *ip = t ? &init_tree : &init_list;
		assert_int_equal(action(ip, __NR_wait4, 0, 0),
				 SECCOMP_RET_ALLOW);
		assert_int_equal(action(ip, __NR_execve, 0, 0), eperm);
		assert_int_equal(action(ip, __NR_clone, SIGCHLD, 0),
				 SECCOMP_RET_ALLOW);
		assert_int_equal(action(ip, __NR_clone, SIGCHLD | CLONE_VM, 0),
				 eperm);
	}
}

static void test_same_decisions_program(void **state)
{
	unsigned long inputs;

	assert_int_equal(differences(&prog_tree, &prog_list, &inputs), 0);
	assert_true(inputs > 1000000);
}

static void test_same_decisions_init(void **state)
{
	unsigned long inputs;

	assert_int_equal(differences(&init_tree, &init_list, &inputs), 0);
	assert_true(inputs > 1000000);
}

/* The comparison sees a difference where there is one. */
static void test_comparison_can_fail(void **state)
{
	unsigned long inputs;

	assert_true(differences(&prog_tree, &init_tree, &inputs) > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_is_what_is_loaded_and_differs),
	    cmocka_unit_test(test_known_decisions),
	    cmocka_unit_test(test_same_decisions_program),
	    cmocka_unit_test(test_same_decisions_init),
	    cmocka_unit_test(test_comparison_can_fail),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
