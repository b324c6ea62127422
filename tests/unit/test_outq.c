/*
 * test_outq.c - the outgoing frame queue: order, byte and frame counts, and
 * the LWS_PRE headroom in front of every payload.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/outq.h"

#define PRE 16 /* LWS_PRE is 16 on 64-bit builds */

static void test_empty(void **state)
{
	struct outq q;

	outq_init(&q, PRE);
	assert_true(outq_empty(&q));
	assert_null(outq_peek(&q));
	assert_int_equal(q.bytes, 0);
	assert_int_equal(q.frames, 0);
	outq_pop(&q); /* popping an empty queue is harmless */
	assert_true(outq_empty(&q));
	outq_release(&q);
}

static void test_fifo_order_and_counts(void **state)
{
	struct outq q;
	struct outq_frame *f;

	outq_init(&q, PRE);
	assert_int_equal(outq_push(&q, OUTQ_TEXT, NULL, 0, "one", 3), 0);
	assert_int_equal(outq_push(&q, OUTQ_BINARY, "\x01", 1, "two", 3), 0);
	assert_int_equal(outq_push(&q, OUTQ_HTTP, NULL, 0, "three!", 6), 0);
	assert_false(outq_empty(&q));
	assert_int_equal(q.frames, 3);
	assert_int_equal(q.bytes, 3 + 4 + 6); /* the prefix is payload */

	f = outq_peek(&q);
	assert_int_equal(f->kind, OUTQ_TEXT);
	assert_int_equal(f->len, 3);
	assert_memory_equal(f->payload, "one", 3);
	outq_pop(&q);
	assert_int_equal(q.bytes, 10);
	assert_int_equal(q.frames, 2);

	f = outq_peek(&q);
	assert_int_equal(f->kind, OUTQ_BINARY);
	assert_int_equal(f->len, 4);
	assert_memory_equal(f->payload, "\x01two", 4);
	outq_pop(&q);

	/* pushing after a pop keeps the order */
	assert_int_equal(outq_push(&q, OUTQ_TEXT, NULL, 0, "four", 4), 0);
	f = outq_peek(&q);
	assert_int_equal(f->kind, OUTQ_HTTP);
	assert_memory_equal(f->payload, "three!", 6);
	outq_pop(&q);
	f = outq_peek(&q);
	assert_memory_equal(f->payload, "four", 4);
	outq_pop(&q);
	assert_true(outq_empty(&q));
	assert_int_equal(q.bytes, 0);
	assert_int_equal(q.frames, 0);

	/* the queue works again after it ran empty (tail was reset) */
	assert_int_equal(outq_push(&q, OUTQ_TEXT, NULL, 0, "a", 1), 0);
	assert_int_equal(outq_push(&q, OUTQ_TEXT, NULL, 0, "b", 1), 0);
	assert_memory_equal(outq_peek(&q)->payload, "a", 1);
	outq_pop(&q);
	assert_memory_equal(outq_peek(&q)->payload, "b", 1);
	outq_release(&q);
	assert_true(outq_empty(&q));
	assert_int_equal(q.bytes, 0);
}

static void test_empty_payload(void **state)
{
	struct outq q;

	outq_init(&q, PRE);
	assert_int_equal(outq_push(&q, OUTQ_TEXT, NULL, 0, NULL, 0), 0);
	assert_int_equal(q.frames, 1);
	assert_int_equal(q.bytes, 0);
	assert_int_equal(outq_peek(&q)->len, 0);
	outq_release(&q);
}

static void test_headroom_writable(void **state)
{
	/* lws_write() writes its header into the PRE bytes before the
	 * payload: they must belong to the allocation (ASan would flag an
	 * overflow here), and writing them must not disturb the payload. */
	for (size_t pre = 0; pre <= 32; pre += 16) {
		struct outq q;
		struct outq_frame *f;

		outq_init(&q, pre);
		assert_int_equal(
		    outq_push(&q, OUTQ_BINARY, "\x02", 1, "data", 4), 0);
		f = outq_peek(&q);
		unsigned char *start = f->payload - pre;
		assert_true(start >= (unsigned char *)(f + 1));
		memset(start, 0xAA, pre);
		assert_memory_equal(f->payload,
				    "\x02"
				    "data",
				    5);
		/* and the frame header is intact */
		assert_int_equal(f->len, 5);
		assert_int_equal(f->kind, OUTQ_BINARY);
		outq_release(&q);
	}
}

static void test_frame_new_and_push_frame(void **state)
{
	struct outq q;
	struct outq_frame *f;

	outq_init(&q, PRE);
	f = outq_frame_new(&q, OUTQ_TEXT, 5);
	assert_non_null(f);
	assert_int_equal(f->len, 5);
	memset(f->payload - PRE, 0, PRE); /* headroom is ours */
	memcpy(f->payload, "hello", 5);
	outq_push_frame(&q, f);
	assert_int_equal(q.bytes, 5);
	assert_int_equal(q.frames, 1);
	assert_int_equal(outq_push(&q, OUTQ_TEXT, NULL, 0, "x", 1), 0);
	assert_ptr_equal(outq_peek(&q), f);
	assert_memory_equal(outq_peek(&q)->payload, "hello", 5);
	outq_release(&q);
}

static void test_many_frames(void **state)
{
	struct outq q;
	char s[16];

	outq_init(&q, PRE);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(s, sizeof(s), "%d", i);
		assert_int_equal(
		    outq_push(&q, OUTQ_TEXT, NULL, 0, s, (size_t)n), 0);
	}
	assert_int_equal(q.frames, 1000);
	for (int i = 0; i < 500; i++) {
		int n = snprintf(s, sizeof(s), "%d", i);
		assert_int_equal(outq_peek(&q)->len, (size_t)n);
		assert_memory_equal(outq_peek(&q)->payload, s, (size_t)n);
		outq_pop(&q);
	}
	assert_int_equal(q.frames, 500);
	outq_release(&q); /* frees the rest (LeakSanitizer checks) */
	assert_int_equal(q.frames, 0);
}

static void test_append_alone_is_exact(void **state)
{
	struct outq q;
	struct outq_frame *f;

	/* a frame queued alone (a keystroke's echo) is exactly its size */
	outq_init(&q, PRE);
	assert_int_equal(outq_append(&q, 1, "k", 1, 4096, 65536), 0);
	f = outq_peek(&q);
	assert_int_equal(f->kind, OUTQ_BINARY);
	assert_int_equal(f->len, 2);
	assert_int_equal(f->cap, 2);
	assert_memory_equal(f->payload, "\x01k", 2);
	assert_int_equal(q.bytes, 2);
	/* so the next one cannot join it: a frame of its own */
	assert_int_equal(outq_append(&q, 1, "l", 1, 4096, 65536), 0);
	assert_int_equal(q.frames, 2);
	outq_release(&q);
}

static void test_append_merges_behind_others(void **state)
{
	struct outq q;
	struct outq_frame *f;

	outq_init(&q, PRE);
	assert_int_equal(outq_push(&q, OUTQ_TEXT, NULL, 0, "{}", 2), 0);
	/* queued behind a frame: room to grow, and the next ones join */
	assert_int_equal(outq_append(&q, 1, "abc", 3, 16, 64), 0);
	assert_int_equal(outq_append(&q, 1, "def", 3, 16, 64), 0);
	assert_int_equal(q.frames, 2);
	assert_int_equal(q.bytes, 2 + 7);
	/* another stream's bytes do not join stdout's */
	assert_int_equal(outq_append(&q, 2, "err", 3, 16, 64), 0);
	assert_int_equal(q.frames, 3);
	/* nor does stdout join stderr's frame: order is kept */
	assert_int_equal(outq_append(&q, 1, "g", 1, 16, 64), 0);
	assert_int_equal(q.frames, 4);
	/* a text frame in between ends the merging */
	assert_int_equal(outq_push(&q, OUTQ_TEXT, NULL, 0, "[]", 2), 0);
	assert_int_equal(outq_append(&q, 1, "h", 1, 16, 64), 0);
	assert_int_equal(q.frames, 6);

	outq_pop(&q);
	f = outq_peek(&q);
	assert_int_equal(f->len, 7);
	assert_memory_equal(f->payload, "\x01" "abcdef", 7);
	outq_pop(&q);
	assert_memory_equal(outq_peek(&q)->payload, "\x02" "err", 4);
	outq_pop(&q);
	assert_memory_equal(outq_peek(&q)->payload, "\x01g", 2);
	outq_pop(&q);
	assert_memory_equal(outq_peek(&q)->payload, "[]", 2);
	outq_pop(&q);
	assert_memory_equal(outq_peek(&q)->payload, "\x01h", 2);
	outq_release(&q);
}

static void test_append_bounded(void **state)
{
	struct outq q;
	char big[100];

	memset(big, 'x', sizeof(big));
	outq_init(&q, PRE);
	assert_int_equal(outq_push(&q, OUTQ_TEXT, NULL, 0, "{}", 2), 0);
	/* room is capped by max; bytes past it start a new frame */
	assert_int_equal(outq_append(&q, 1, big, 10, 1000, 32), 0);
	assert_int_equal(outq_peek(&q)->next->cap, 32);
	assert_int_equal(outq_append(&q, 1, big, 21, 1000, 32), 0);
	assert_int_equal(q.frames, 2);
	assert_int_equal(outq_peek(&q)->next->len, 32);
	assert_int_equal(outq_append(&q, 1, big, 1, 1000, 32), 0);
	assert_int_equal(q.frames, 3);
	/* a chunk larger than max is one frame of its own size */
	assert_int_equal(outq_append(&q, 1, big, 100, 1000, 32), 0);
	assert_int_equal(q.frames, 4);
	assert_int_equal(q.tail->len, 101);
	assert_int_equal(q.bytes, 2 + 11 + 21 + 2 + 101);
	outq_release(&q);
	assert_int_equal(q.bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_fifo_order_and_counts),
	    cmocka_unit_test(test_empty_payload),
	    cmocka_unit_test(test_headroom_writable),
	    cmocka_unit_test(test_frame_new_and_push_frame),
	    cmocka_unit_test(test_many_frames),
	    cmocka_unit_test(test_append_alone_is_exact),
	    cmocka_unit_test(test_append_merges_behind_others),
	    cmocka_unit_test(test_append_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
