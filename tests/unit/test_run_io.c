/*
 * test_run_io.c - a run's fd watchers (run_io.c) on a real libuv loop:
 * a step's output closes and the next step's is watched within the same
 * turn of the loop, as when the sandbox answers the next step's spawn in
 * the same read of its socket as the last step's exit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "run/run_internal.h"

static struct run *new_run(struct run_engine *e)
{
	struct run *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->e = e;
	r->mode = RUN_PIPES;
	r->step = RUN_STEP_COMPILE;
	strcpy(r->id, "test");
	for (int i = 0; i < NFD; i++)
		r->fd[i] = -1;
	return r;
}

/* Turns the loop until every handle of r is closed. */
static void settle(uv_loop_t *loop, struct run *r)
{
	for (int i = 0; i < 100 && r->handles_open; i++)
		uv_run(loop, UV_RUN_NOWAIT);
	assert_int_equal(r->handles_open, 0);
}

static void test_output_replaced_within_one_turn(void **state)
{
	uv_loop_t loop;
	struct run_engine e;
	int a[2], b[2];

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	memset(&e, 0, sizeof(e));
	e.loop = &loop;
	struct run *r = new_run(&e);
	assert_int_equal(pipe(a), 0);

	/* the compile step's output, watched */
	r->fd[FD_OUT] = a[0];
	run__update_polls(r);
	assert_int_equal(r->handles_open, 1);
	/* its EOF: the fd and its watcher close (libuv finishes that at the
	 * turn's end) */
	run__close_fd(r, FD_OUT);
	/* the run step spawned before the turn ended: its output, watched;
	 * the lowest free fd is the one just closed, as in the server */
	assert_int_equal(pipe(b), 0);
	assert_int_equal(b[0], a[0]);
	r->step = RUN_STEP_RUN;
	r->fd[FD_OUT] = b[0];
	run__update_polls(r);
	assert_int_equal(r->handles_open, 2);
	/* the turn ends: the first watcher's close completes, the second
	 * still watches the fd */
	uv_run(&loop, UV_RUN_NOWAIT);
	assert_int_equal(r->handles_open, 1);
	assert_non_null(r->poll[FD_OUT]);
	assert_true(uv_is_active((uv_handle_t *)r->poll[FD_OUT]));

	run__close_fd(r, FD_OUT);
	settle(&loop, r);
	close(a[1]);
	close(b[1]);
	free(r);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_replaced_within_one_turn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
