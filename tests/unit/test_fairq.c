/*
 * test_fairq.c - admission of one class: slots, per-client caps, the
 * fair order between clients, positions in the queue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "run/fairq.h"

/* A run of the test: its client and its queue entry. */
struct trun {
	const char *who;
	struct fairq_entry e;
	bool admitted;
};

#define run_of(ep) ((struct trun *)((char *)(ep) - offsetof(struct trun, e)))

/* Starts or queues r as run_start() would; returns the verdict. */
static enum fairq_verdict submit(struct fairq *q, struct trun *r)
{
	struct fairq_client *c = fairq_client(q, r->who, true);
	enum fairq_verdict v = fairq_check(q, c, true);

	if (v == FAIRQ_START) {
		fairq_take(q, c);
		r->admitted = true;
	} else if (v == FAIRQ_WAIT) {
		fairq_push(q, c, &r->e);
	}
	return v;
}

/* r ends: its slot goes back; returns the run admitted next, if any. */
static struct trun *end_and_pump(struct fairq *q, struct trun *r)
{
	struct fairq_entry *e;

	fairq_give(q, fairq_client(q, r->who, false));
	r->admitted = false;
	if (!(e = fairq_next(q)))
		return NULL;
	fairq_admit(q, e);
	run_of(e)->admitted = true;
	return run_of(e);
}

/* The case: client A has two runs going and two waiting; B asks
 * for one. The next free slot is B's, not A's third. */
static void test_fewest_runs_first(void **state)
{
	struct fairq q;
	struct trun a[4] = {{.who = "A"}, {.who = "A"}, {.who = "A"}, {.who = "A"}}, b = {.who = "B"};

	(void)state;
	fairq_init(&q, 2, 64, 0, 16);
	assert_int_equal(submit(&q, &a[0]), FAIRQ_START);
	assert_int_equal(submit(&q, &a[1]), FAIRQ_START);
	assert_int_equal(submit(&q, &a[2]), FAIRQ_WAIT);
	assert_int_equal(submit(&q, &a[3]), FAIRQ_WAIT);
	assert_int_equal(submit(&q, &b), FAIRQ_WAIT);
	assert_int_equal(q.waiting, 3);
	assert_ptr_equal(end_and_pump(&q, &a[0]), &b);
	assert_ptr_equal(end_and_pump(&q, &a[1]), &a[2]);
	assert_ptr_equal(end_and_pump(&q, &b), &a[3]);
	assert_null(end_and_pump(&q, &a[2]));
	assert_null(end_and_pump(&q, &a[3]));
	assert_int_equal(q.active, 0);
	assert_int_equal(q.waiting, 0);
	assert_int_equal(q.nclients, 0);	/* nothing held, nothing kept */
	fairq_release(&q);
}

/* Equal holdings: the longest waiting goes first, and one client's runs
 * go in their own order (round robin between clients). */
static void test_round_robin(void **state)
{
	struct fairq q;
	struct trun x = {.who = "X"}, a[3] = {{.who = "A"}, {.who = "A"}, {.who = "A"}}, b[2] = {{.who = "B"}, {.who = "B"}},
		    c = {.who = "C"};

	(void)state;
	fairq_init(&q, 1, 64, 0, 16);
	assert_int_equal(submit(&q, &x), FAIRQ_START);
	for (int i = 0; i < 3; i++)
		assert_int_equal(submit(&q, &a[i]), FAIRQ_WAIT);
	for (int i = 0; i < 2; i++)
		assert_int_equal(submit(&q, &b[i]), FAIRQ_WAIT);
	assert_int_equal(submit(&q, &c), FAIRQ_WAIT);
	/* every one holds 0 slots when its turn comes: A, B, C, A, B, A */
	struct trun *r = end_and_pump(&q, &x);
	assert_ptr_equal(r, &a[0]);
	assert_ptr_equal(r = end_and_pump(&q, r), &b[0]);
	assert_ptr_equal(r = end_and_pump(&q, r), &c);
	assert_ptr_equal(r = end_and_pump(&q, r), &a[1]);
	assert_ptr_equal(r = end_and_pump(&q, r), &b[1]);
	assert_ptr_equal(r = end_and_pump(&q, r), &a[2]);
	assert_null(end_and_pump(&q, r));
	fairq_release(&q);
}

/* A client at its cap waits for its own runs even with slots free; the
 * others pass it. */
static void test_client_cap(void **state)
{
	struct fairq q;
	struct trun a[3] = {{.who = "A"}, {.who = "A"}, {.who = "A"}}, b = {.who = "B"};

	(void)state;
	fairq_init(&q, 4, 64, 2, 16);
	assert_int_equal(submit(&q, &a[0]), FAIRQ_START);
	assert_int_equal(submit(&q, &a[1]), FAIRQ_START);
	assert_int_equal(submit(&q, &a[2]), FAIRQ_WAIT);	/* its cap */
	assert_null(fairq_next(&q));	/* slots free, but A may not */
	assert_int_equal(submit(&q, &b), FAIRQ_START);	/* B passes */
	assert_ptr_equal(end_and_pump(&q, &a[0]), &a[2]);
	fairq_release(&q);
}

/* The class's queue and each client's share of it are bounded. */
static void test_bounds(void **state)
{
	struct fairq q;
	struct trun r[8];

	(void)state;
	for (int i = 0; i < 8; i++)
		r[i] = (struct trun){.who = i < 6 ? "A" : "B"};
	fairq_init(&q, 1, 4, 0, 3);
	assert_int_equal(submit(&q, &r[0]), FAIRQ_START);
	assert_int_equal(submit(&q, &r[1]), FAIRQ_WAIT);
	assert_int_equal(submit(&q, &r[2]), FAIRQ_WAIT);
	assert_int_equal(submit(&q, &r[3]), FAIRQ_WAIT);
	assert_int_equal(submit(&q, &r[4]), FAIRQ_CLIENT_FULL);	/* A: 3 */
	assert_int_equal(submit(&q, &r[6]), FAIRQ_WAIT);		/* B: 1 */
	assert_int_equal(submit(&q, &r[7]), FAIRQ_QUEUE_FULL);	/* 4 */
	/* one leaves the queue (its client went away): room again */
	fairq_remove(&q, &r[2].e);
	assert_null(r[2].e.cl);
	assert_int_equal(submit(&q, &r[7]), FAIRQ_WAIT);
	fairq_release(&q);
}

/* A slot freed while others wait is theirs: a client asking again at once
 * (a batch job's next case) does not take it ahead of them. */
static void test_no_jumping(void **state)
{
	struct fairq q;
	struct trun a1 = {.who = "A"}, a2 = {.who = "A"}, b = {.who = "B"};
	struct fairq_entry *e;

	(void)state;
	fairq_init(&q, 1, 64, 0, 16);
	assert_int_equal(submit(&q, &a1), FAIRQ_START);
	assert_int_equal(submit(&q, &b), FAIRQ_WAIT);
	fairq_give(&q, fairq_client(&q, "A", false));	/* a1 ends */
	assert_int_equal(submit(&q, &a2), FAIRQ_WAIT);	/* its next case */
	assert_non_null(e = fairq_next(&q));
	assert_ptr_equal(run_of(e), &b);	/* B was never served */
	fairq_admit(&q, e);
	assert_ptr_equal(end_and_pump(&q, &b), &a2);
	fairq_release(&q);
}

/* Held back by the caller's gate (memory): everyone waits, in order. */
static void test_not_ready(void **state)
{
	struct fairq q;
	struct fairq_client *c;

	(void)state;
	fairq_init(&q, 4, 4, 0, 4);
	c = fairq_client(&q, "A", true);
	assert_int_equal(fairq_check(&q, c, false), FAIRQ_WAIT);
	assert_int_equal(fairq_check(&q, c, true), FAIRQ_START);
	fairq_release(&q);
}

static unsigned changes;
static void count_change(struct fairq_entry *e, void *arg)
{
	(void)e;
	(void)arg;
	changes++;
}

/* 'ahead' follows the order fairq_next() will take; only changes are
 * reported. */
static void test_positions(void **state)
{
	struct fairq q;
	struct trun x = {.who = "X"}, a[3] = {{.who = "A"}, {.who = "A"}, {.who = "A"}}, b = {.who = "B"};

	(void)state;
	fairq_init(&q, 1, 64, 0, 16);
	submit(&q, &x);
	for (int i = 0; i < 3; i++)
		submit(&q, &a[i]);
	fairq_positions(&q, true, count_change, NULL);
	assert_int_equal(changes, 3);
	assert_int_equal(a[0].e.ahead, 0);
	assert_int_equal(a[1].e.ahead, 1);
	assert_int_equal(a[2].e.ahead, 2);
	submit(&q, &b);	/* B holds nothing: after A's first, before A's next */
	changes = 0;
	fairq_positions(&q, false, count_change, NULL);
	assert_int_equal(b.e.ahead, 1);
	assert_int_equal(a[1].e.ahead, 2);
	assert_int_equal(a[2].e.ahead, 3);
	assert_int_equal(changes, 3);	/* a[0] kept its place */
	/* the order is the order of admission */
	struct trun *r = end_and_pump(&q, &x);
	assert_ptr_equal(r, &a[0]);
	assert_ptr_equal(r = end_and_pump(&q, r), &b);
	assert_ptr_equal(r = end_and_pump(&q, r), &a[1]);
	fairq_release(&q);
}

/* Keys are compared whole (up to the bound), hashed into many buckets. */
static void test_clients(void **state)
{
	struct fairq q;
	char key[128];

	(void)state;
	fairq_init(&q, 10, 10, 0, 10);
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "a192.168.%d.%d", i / 256, i % 256);
		assert_non_null(fairq_client(&q, key, true));
	}
	assert_int_equal(q.nclients, 3000);
	assert_non_null(fairq_client(&q, "a192.168.0.7", false));
	assert_null(fairq_client(&q, "a192.168.0.7x", false));
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	struct fairq_client *c = fairq_client(&q, key, true);
	assert_int_equal(strlen(c->key), FAIRQ_KEY_MAX - 1);
	assert_ptr_equal(fairq_client(&q, key, false), c);
	fairq_release(&q);
	assert_int_equal(q.nclients, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fewest_runs_first),
	    cmocka_unit_test(test_round_robin),
	    cmocka_unit_test(test_client_cap),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_not_ready),
	    cmocka_unit_test(test_no_jumping),
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_clients),
	};

	return cmocka_run_group_tests_name("fairq", tests, NULL, NULL);
}
