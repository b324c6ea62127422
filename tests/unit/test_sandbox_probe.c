/*
 * test_sandbox_probe.c - parsing /proc/PID/task/TID/syscall lines (as seen
 * on Linux 6.x x86-64) into "running", "reading", "polling", "blocked".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sandbox/sb_internal.h"

struct row {
	const char *line;
	enum sb_thread_state want;
	long fd;
};

static const struct row rows[] = {
    {"running\n", SB_THREAD_RUNNING, -1},
    /* C fgets, cat, Python input(): read(0, ...) */
    {"0 0x0 0x55d0c0a4b2a0 0x400 0x0 0x0 0x0 0x7ffd3c1a1b58 0x7f3b2c2a1992\n",
     SB_THREAD_READ, 0},
    {"0 0x3 0x55d0c0a4b2a0 0x400 0x0 0x0 0x0 0x7ffd3c1a1b58 0x7f3b\n",
     SB_THREAD_READ, 3},
    {"19 0x0 0x7ffc 0x2 0x0 0x0 0x0 0x7ffd 0x7f3b\n", SB_THREAD_READ, 0},
    {"17 0x0 0x7ffc 0x2 0x0 0x0 0x0 0x7ffd 0x7f3b\n", SB_THREAD_READ, 0},
    /* readline (Python REPL, bash): pselect6 */
    {"270 0x1 0x7ffe 0x0 0x0 0x0 0x7ffe 0x7ffe 0x7f\n", SB_THREAD_POLL, -1},
    /* Node: epoll_pwait */
    {"281 0x11 0x7ffe 0x400 0xffffffffffffffff 0x0 0x8 0x7ffe 0x7f\n",
     SB_THREAD_POLL, -1},
    {"7 0x7ffe 0x1 0xffffffff 0x0 0x0 0x0 0x7ffe 0x7f\n", SB_THREAD_POLL, -1},
    {"271 0x7ffe 0x1 0x0 0x0 0x8 0x0 0x7ffe 0x7f\n", SB_THREAD_POLL, -1},
    {"232 0x3 0x7ffe 0x1 0xffffffff 0x0 0x0 0x7ffe 0x7f\n", SB_THREAD_POLL, -1},
    {"441 0x3 0x7ffe 0x1 0x0 0x0 0x8 0x7ffe 0x7f\n", SB_THREAD_POLL, -1},
    /* waiting for a child, sleeping, a futex: blocked, not input */
    {"61 0xffffffffffffffff 0x7ffe 0x0 0x0 0x0 0x0 0x7ffe 0x7f\n",
     SB_THREAD_BLOCKED, -1},
    {"230 0x1 0x0 0x7ffe 0x0 0x0 0x0 0x7ffe 0x7f\n", SB_THREAD_BLOCKED, -1},
    {"202 0x7f 0x80 0x0 0x0 0x0 0xffffffff 0x7ffe 0x7f\n", SB_THREAD_BLOCKED,
     -1},
    /* stopped or in a page fault: not in a syscall */
    {"-1 0x7ffe 0x7f3b\n", SB_THREAD_BLOCKED, -1},
    /* garbage */
    {"", SB_THREAD_UNKNOWN, -1},
    {"abc", SB_THREAD_UNKNOWN, -1},
    {"0", SB_THREAD_UNKNOWN, -1},
    {"0 0x", SB_THREAD_UNKNOWN, -1},
    {"0 zz", SB_THREAD_UNKNOWN, -1},
    {"99999999999999999999999 0x0", SB_THREAD_UNKNOWN, -1},
    /* an fd beyond int: not treated as a read of anything */
    {"0 0xffffffffffffffff 0x0", SB_THREAD_READ, -1},
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		long fd = 42;
		enum sb_thread_state got = sb_probe_parse(rows[i].line, &fd);
		if (got != rows[i].want || fd != rows[i].fd)
			fail_msg("row %zu '%s': state %d fd %ld, want %d %ld",
				 i, rows[i].line, got, fd, rows[i].want,
				 rows[i].fd);
	}
	long fd;
	assert_int_equal(sb_probe_parse(NULL, &fd), SB_THREAD_UNKNOWN);
}

static void test_tree_of_nothing(void **state)
{
	/* A pid without children (or no such pid): nothing waits. */
	assert_false(sb_probe_tree(999999999, false));
	assert_false(sb_probe_tree(999999999, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_tree_of_nothing),
	};

	return cmocka_run_group_tests_name("sandbox_probe", tests, NULL, NULL);
}
