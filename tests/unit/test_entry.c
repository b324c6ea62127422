/*
 * test_entry.c - run events and control entries: each type round-trips
 * with its fields, values out of range are refused on both sides, every
 * truncation and any trailing byte is refused, and a result keeps every
 * field (both steps, flags, messages); a usage sample keeps its figures.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/entry.h"

#define ID "0123456789abcdef0123456789abcdef"

/* Every prefix and the entry plus one byte are refused by dec(). */
static void check_cuts(const struct buf *b, int (*dec)(const void *, size_t, void *),
		       void *out)
{
	char *more = malloc(b->len + 1);

	for (size_t n = 0; n < b->len; n++)
		assert_int_equal(dec(b->data, n, out), -EINVAL);
	memcpy(more, b->data, b->len);
	more[b->len] = 'x';
	assert_int_equal(dec(more, b->len + 1, out), -EINVAL);
	free(more);
}

static int ev_dec(const void *p, size_t n, void *out)
{
	return event_decode(p, n, out);
}

static int ctl_dec(const void *p, size_t n, void *out)
{
	return ctl_decode(p, n, out);
}

static void full_result(struct run_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = RUN_RUNTIME_ERROR;
	r->exit_code = 3;
	r->signal = 0;
	r->wall_ms = 12345678901ull;
	r->cpu_ms = 77;
	r->memory_bytes = 1ull << 40;
	r->bytes[RUN_STDOUT] = 5;
	r->bytes[RUN_STDERR] = 1ull << 33;
	r->truncated[RUN_STDERR] = true;
	snprintf(r->message, sizeof(r->message), "exited with code 3");
	r->compiled = true;
	r->compile_ran = true;
	r->ran = true;
	r->compile.status = RUN_OK;
	r->compile.exit_code = -1;
	r->compile.signal = 9;
	r->compile.wall_ms = 4;
	r->compile.bytes[RUN_STDOUT] = 8;
	r->compile.truncated[RUN_STDOUT] = true;
	snprintf(r->compile.message, sizeof(r->compile.message), "ok (%s)",
		 "warnings");
}

static void test_events(void **state)
{
	struct run_event in, out;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 22);

	in = (struct run_event){ .type = EVENT_CLAIMED, .worker = "w-1.host" };
	assert_int_equal(event_encode(&in, &b), 0);
	assert_int_equal(event_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.type, EVENT_CLAIMED);
	assert_string_equal(out.worker, "w-1.host");
	check_cuts(&b, ev_dec, &out);

	buf_reset(&b);
	in = (struct run_event){ .type = EVENT_STAGE, .step = RUN_STEP_COMPILE };
	assert_int_equal(event_encode(&in, &b), 0);
	assert_int_equal(event_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.step, RUN_STEP_COMPILE);
	check_cuts(&b, ev_dec, &out);

	buf_reset(&b);
	in = (struct run_event){ .type = EVENT_OUTPUT, .stream = RUN_STDERR,
				 .offset = 1ull << 50, .data = "a\0b\r\n",
				 .len = 5 };
	assert_int_equal(event_encode(&in, &b), 0);
	assert_int_equal(event_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.stream, RUN_STDERR);
	assert_true(out.offset == 1ull << 50);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.data, "a\0b\r\n", 5);
	check_cuts(&b, ev_dec, &out);

	buf_reset(&b);
	in = (struct run_event){ .type = EVENT_STATE, .state = RUN_WAITING,
				 .canonical = true, .input_done = 42 };
	assert_int_equal(event_encode(&in, &b), 0);
	assert_int_equal(event_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.state, RUN_WAITING);
	assert_true(out.canonical);
	assert_int_equal(out.input_done, 42);
	check_cuts(&b, ev_dec, &out);

	buf_reset(&b);
	in = (struct run_event){ .type = EVENT_EXIT };
	full_result(&in.result);
	assert_int_equal(event_encode(&in, &b), 0);
	assert_int_equal(event_decode(b.data, b.len, &out), 0);
	assert_memory_equal(&out.result, &in.result, sizeof(in.result));
	check_cuts(&b, ev_dec, &out);

	buf_reset(&b);
	in = (struct run_event){ .type = EVENT_USAGE, .usage = {
		.step = RUN_STEP_COMPILE, .cpu_ms = 1234, .wall_ms = 1ull << 40,
		.memory_bytes = 64ull << 20, .memory_peak = UINT64_MAX,
		.pids = UINT32_MAX } };
	assert_int_equal(event_encode(&in, &b), 0);
	assert_int_equal(event_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.type, EVENT_USAGE);
	assert_memory_equal(&out.usage, &in.usage, sizeof(in.usage));
	check_cuts(&b, ev_dec, &out);
	buf_release(&b);
}

static void test_event_refusals(void **state)
{
	struct run_event in;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 22);
	in = (struct run_event){ .type = EVENT_CLAIMED, .worker = "" };
	assert_int_equal(event_encode(&in, &b), -EINVAL);
	in = (struct run_event){ .type = EVENT_STAGE, .step = 3 };
	assert_int_equal(event_encode(&in, &b), -EINVAL);
	in = (struct run_event){ .type = EVENT_OUTPUT, .stream = 0, .data = "x",
				 .len = 1 };
	assert_int_equal(event_encode(&in, &b), -EINVAL);
	in.stream = RUN_STDOUT;
	in.len = ENTRY_DATA_MAX + 1;
	assert_int_equal(event_encode(&in, &b), -EINVAL);
	in = (struct run_event){ .type = EVENT_STATE, .state = RUN_EXITED };
	assert_int_equal(event_encode(&in, &b), -EINVAL);
	in = (struct run_event){ .type = EVENT_USAGE, .usage.step = 3 };
	assert_int_equal(event_encode(&in, &b), -EINVAL);
	in = (struct run_event){ .type = EVENT_EXIT };
	in.result.status = (enum run_status)99;
	assert_int_equal(event_encode(&in, &b), -EINVAL);
	in.result.status = RUN_WORKER_LOST;
	in.result.exit_code = 256;
	assert_int_equal(event_encode(&in, &b), -EINVAL);
	in.result.exit_code = -1;
	assert_int_equal(event_encode(&in, &b), 0);	/* worker_lost is fine */
	in = (struct run_event){ .type = 0 };
	assert_int_equal(event_encode(&in, &b), -EINVAL);
	/* nothing half-written by the refusals */
	struct run_event out;
	assert_int_equal(event_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.result.status, RUN_WORKER_LOST);
	/* every status up to the last one travels (server_busy: an
	 * interactive run that waited too long), none after it */
	buf_reset(&b);
	in = (struct run_event){ .type = EVENT_EXIT };
	in.result.status = RUN_SERVER_BUSY;
	in.result.exit_code = -1;
	assert_int_equal(event_encode(&in, &b), 0);
	assert_int_equal(event_decode(b.data, b.len, &out), 0);
	assert_int_equal(out.result.status, RUN_SERVER_BUSY);
	in.result.status = (enum run_status)(ENTRY_STATUS_MAX + 1);
	assert_int_equal(event_encode(&in, &b), -EINVAL);

	/* hand-made bytes: a bad magic, type, stream, state */
	static const unsigned char bad[][6] = {
		{ 'X', EVENT_STAGE, RUN_STEP_RUN },
		{ 'E', 9, 0 },
		{ 'E', EVENT_STAGE, 0 },
		{ 'E', EVENT_OUTPUT, 3, 0, 0 },
		{ 'E', EVENT_STATE, RUN_EXITED, 0, 0 },
		{ 'E', EVENT_STATE, RUN_RUNNING, 2, 0 },
		{ 'E', EVENT_USAGE, 3, 0, 0, 0 },	/* no such step */
		{ 'E', EVENT_USAGE, RUN_STEP_RUN, 0, 0, 0 },	/* cut */
	};
	static const size_t badlen[] = { 3, 3, 3, 5, 5, 5, 6, 6 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(event_decode(bad[i], badlen[i], &out), -EINVAL);
	static const unsigned char good[] = { 'E', EVENT_STATE, RUN_RUNNING, 1, 0 };
	assert_int_equal(event_decode(good, sizeof(good), &out), 0);
	buf_release(&b);
}

static void test_ctl(void **state)
{
	struct ctl in, out;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 22);
	const struct ctl cases[] = {
		{ .type = CTL_INPUT, .run = ID, .data = "hi\n\0", .len = 4 },
		{ .type = CTL_INPUT, .run = ID, .data = NULL, .len = 0 },
		{ .type = CTL_EOF, .run = ID },
		{ .type = CTL_RESIZE, .run = ID, .rows = 1000, .cols = 1 },
		{ .type = CTL_KILL, .run = ID, .reason = RUN_KILL_ORPHANED },
		{ .type = CTL_SIGNAL, .run = ID, .sig = 64 },
		{ .type = CTL_ACK, .run = ID, .gateway = "gw", .offset = 9999 },
		{ .type = CTL_BYE, .run = ID, .gateway = "gw-2" },
		{ .type = CTL_USAGE, .run = ID },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		in = cases[i];
		assert_int_equal(ctl_encode(&in, &b), 0);
		assert_int_equal(ctl_decode(b.data, b.len, &out), 0);
		assert_int_equal(out.type, in.type);
		assert_string_equal(out.run, ID);
		assert_int_equal(out.len, in.len);
		if (in.len)
			assert_memory_equal(out.data, in.data, in.len);
		assert_int_equal(out.rows, in.rows);
		assert_int_equal(out.cols, in.cols);
		assert_int_equal(out.reason, in.reason);
		assert_int_equal(out.sig, in.sig);
		assert_true(out.offset == in.offset);
		if (in.gateway)
			assert_string_equal(out.gateway, in.gateway);
		check_cuts(&b, ctl_dec, &out);
	}
	/* refused */
	const struct ctl bad[] = {
		{ .type = CTL_EOF, .run = "short" },
		{ .type = CTL_RESIZE, .run = ID, .rows = 0, .cols = 80 },
		{ .type = CTL_RESIZE, .run = ID, .rows = 24, .cols = 1001 },
		{ .type = CTL_KILL, .run = ID, .reason = 77 },
		{ .type = CTL_SIGNAL, .run = ID, .sig = 0 },
		{ .type = CTL_SIGNAL, .run = ID, .sig = 65 },
		{ .type = CTL_ACK, .run = ID, .gateway = "" },
		{ .type = CTL_BYE, .run = ID, .gateway = NULL },
		{ .type = 0, .run = ID },
		{ .type = CTL_USAGE + 1, .run = ID },
	};
	buf_reset(&b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctl_encode(&bad[i], &b), -EINVAL);
		assert_int_equal(b.len, 0);
	}
	buf_release(&b);
}

static void test_result_alone(void **state)
{
	struct run_result in, out;
	struct buf b;

	(void)state;
	full_result(&in);
	buf_init(&b, 4096);
	assert_int_equal(result_encode(&in, &b), 0);
	assert_int_equal(result_decode(b.data, b.len, &out), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(result_decode(b.data, n, &out), -EINVAL);
	/* a message without its NUL inside the field is refused */
	memset(in.message, 'm', sizeof(in.message));
	buf_reset(&b);
	assert_int_equal(result_encode(&in, &b), -EINVAL);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_event_refusals),
		cmocka_unit_test(test_ctl),
		cmocka_unit_test(test_result_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
