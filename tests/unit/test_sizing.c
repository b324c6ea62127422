/*
 * test_sizing.c - admission defaults from the machine: which resource
 * bounds the interactive runs, per-client shares, explicit values kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/sizing.h"

#define GiB (1024ull * 1024 * 1024)
#define MiB (1024ull * 1024)

/* The machine of issue 8: 2 cores, 24 GiB, pid_max 32768. */
static const struct host_facts box = {
	.cpus = 2, .mem_total = 24 * GiB, .pid_max = 32768,
	.threads_max = 192729, .nofile = 65536, .nofile_hard = 65536,
	.nr_open = 1048576,
};

static void test_issue8_box(void **state)
{
	struct sizing s = {0};

	(void)state;
	sizing_apply(&box, &s);
	assert_int_equal(s.runs_memory, 21 * GiB);	/* 24 - 24/8 */
	assert_int_equal(s.runs_pids, 16384);
	assert_int_equal(s.max_runs, 21 * 64);		/* 16 MiB each */
	assert_string_equal(s.bound, "memory");
	assert_true(s.max_runs >= 500);			/* the issue's class */
	assert_int_equal(s.api_concurrency, 2);
	assert_int_equal(s.client_runs, 21 * 64 / 4);
	assert_int_equal(s.client_queue, 64);
	assert_int_equal(s.queue, 256);
	assert_int_equal(s.api_client_queue, 32);
}

/* A small box still lets a class of dozens behind one address work, but
 * never gives one client more than half. */
static void test_small_boxes(void **state)
{
	struct host_facts f = box;
	struct sizing s = {0};

	(void)state;
	f.mem_total = 4 * GiB;	/* 3 GiB for runs: 192 */
	sizing_apply(&f, &s);
	assert_int_equal(s.max_runs, 192);
	assert_int_equal(s.client_runs, 48);
	memset(&s, 0, sizeof(s));
	s.max_runs = 8;		/* --max-runs 8 */
	sizing_apply(&f, &s);
	assert_int_equal(s.max_runs, 8);
	assert_string_equal(s.bound, "--max-runs");
	assert_int_equal(s.client_runs, 4);
	memset(&s, 0, sizeof(s));
	s.max_runs = 1;
	sizing_apply(&f, &s);
	assert_int_equal(s.client_runs, 1);
	memset(&s, 0, sizeof(s));
	f.mem_total = 1 * GiB;	/* under 2 GiB: half for runs */
	sizing_apply(&f, &s);
	assert_int_equal(s.runs_memory, 512 * MiB);
	assert_int_equal(s.max_runs, 32);
}

/* Whatever is scarcest bounds the runs, and is named. */
static void test_bounds(void **state)
{
	struct host_facts f = box;
	struct sizing s = {0};

	(void)state;
	f.pids_cgroup = 1000;	/* a container's pids.max */
	sizing_apply(&f, &s);
	assert_int_equal(s.runs_pids, 500);
	assert_int_equal(s.max_runs, 62);
	assert_string_equal(s.bound, "pids");

	f = box;
	memset(&s, 0, sizeof(s));
	f.nofile = 2048;	/* could not raise it */
	sizing_apply(&f, &s);
	assert_int_equal(s.max_runs, (2048 - 1024) / 4);
	assert_string_equal(s.bound, "open files");

	f = box;
	memset(&s, 0, sizeof(s));
	f.mem_total = 1024 * GiB;
	f.pid_max = 4194304;
	f.threads_max = 4194304;
	f.nofile = 1048576;
	sizing_apply(&f, &s);
	assert_int_equal(s.max_runs, SIZING_MAX_UIDS - 2);
	assert_string_equal(s.bound, "uids");

	f = box;
	memset(&s, 0, sizeof(s));
	f.mem_cgroup = 8 * GiB;	/* the server's own cgroup limit */
	sizing_apply(&f, &s);
	assert_int_equal(s.runs_memory, 7 * GiB);
}

/* Explicit values stay (clamped only to what the sandbox has). */
static void test_explicit(void **state)
{
	struct sizing s = {
		.runs_memory = 3 * GiB, .runs_pids = 999,
		.run_memory_reserve = 64 * MiB, .run_pids_reserve = 3,
		.queue = 7, .client_runs = 5000, .client_queue = 2,
		.api_concurrency = 3, .api_queue = 9, .api_client_queue = 4,
	};

	(void)state;
	sizing_apply(&box, &s);
	assert_int_equal(s.runs_memory, 3 * GiB);
	assert_int_equal(s.runs_pids, 999);
	assert_int_equal(s.max_runs, 48);	/* 3 GiB / 64 MiB */
	assert_int_equal(s.client_runs, 48);	/* never more than the box */
	assert_int_equal(s.client_queue, 2);
	assert_int_equal(s.queue, 7);
	assert_int_equal(s.api_concurrency, 3);
	assert_int_equal(s.api_queue, 9);
	assert_int_equal(s.api_client_queue, 4);
}

static void test_nofile(void **state)
{
	struct host_facts f = box;

	(void)state;
	f.nofile_hard = 4096;
	assert_int_equal(sizing_nofile_target(&f, 0), 65536);
	f.nofile_hard = 200000;
	assert_int_equal(sizing_nofile_target(&f, 0), 200000);
	assert_int_equal(sizing_nofile_target(&f, 5000000), 1048576);
	assert_int_equal(sizing_nofile_target(&f, 1000), 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_issue8_box),
	    cmocka_unit_test(test_small_boxes),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_explicit),
	    cmocka_unit_test(test_nofile),
	};

	return cmocka_run_group_tests_name("sizing", tests, NULL, NULL);
}
