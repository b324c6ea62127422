/*
 * test_job.c - a run request as a job entry: round trips (code, files,
 * args, stdin, flags, limits, both modes), what a worker gets back as a
 * run request, the caps, and every malformed input refused: truncation at
 * each byte, a flipped magic, trailing bytes, a bad run id, a '/' in a
 * file name, an unknown flag, an unknown version. The interactive and
 * usage flags and the output rate survive the trip; a version 1 job (a
 * gateway of the previous release) still decodes, as not interactive.
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

#include "cluster/job.h"
#include "cluster/wire.h"

#define ID "0123456789abcdef0123456789abcdef"

static char py_id[] = "python", py_file[] = "main.py";
static struct lang py = { .id = py_id, .file = py_file };

static void encode(const struct job *j, struct buf *b)
{
	buf_init(b, JOB_BYTES_MAX + 1024);
	assert_int_equal(job_encode(j, b), 0);
}

static void same_limits(const struct limits *a, const struct limits *b)
{
	assert_memory_equal(a, b, sizeof(*a));
}

static void test_code_tty(void **state)
{
	struct run_request req = {
		.lang = &py, .code = "print(input())", .code_len = 14,
		.mode = RUN_TTY, .rows = 40, .cols = 132,
		.limits = { .cpu_ms = 500, .wall_ms = 9000 },
	};
	struct job j, *d = malloc(sizeof(*d));
	struct run_request back;
	struct buf b;

	(void)state;
	assert_int_equal(job_from_request(&req, ID, "gw-1", &j), 0);
	encode(&j, &b);
	assert_int_equal(job_decode(b.data, b.len, d), 0);
	assert_string_equal(d->id, ID);
	assert_string_equal(d->gateway, "gw-1");
	assert_string_equal(d->lang, "python");
	assert_int_equal(d->mode, RUN_TTY);
	assert_int_equal(d->rows, 40);
	assert_int_equal(d->cols, 132);
	assert_false(d->batch);
	assert_int_equal(d->nfiles, 1);
	assert_string_equal(d->files[0].name, "");
	assert_int_equal(d->files[0].len, 14);
	assert_memory_equal(d->files[0].data, "print(input())", 14);
	assert_int_equal(d->nargs, 0);
	assert_null(d->args[0]);
	assert_null(d->compile_flags);
	same_limits(&d->limits, &req.limits);

	job_to_request(d, &py, &back);
	assert_ptr_equal(back.lang, &py);
	assert_int_equal(back.nfiles, 1);
	assert_int_equal(back.mode, RUN_TTY);
	assert_int_equal(back.rows, 40);
	assert_non_null(back.args);
	assert_null(back.args[0]);
	buf_release(&b);
	free(d);
}

static void test_files_pipes(void **state)
{
	struct sandbox_file files[] = {
		{ .name = "ignored.c", .data = "int main(){}", .len = 12, .mode = 0644 },
		{ .name = "util.h", .data = "", .len = 0, .mode = 0600 },
		{ .name = "data.bin", .data = "\0\1\2\377", .len = 4, .mode = 0755 },
	};
	const char *args[] = { "-v", "", "two words", NULL };
	struct run_request req = {
		.lang = &py, .files = files, .nfiles = 3, .args = args,
		.compile_flags = "-O2 -Wall", .cls = RUN_BATCH,
		.stdin_data = "line 1\nline 2\n\0x", .stdin_len = 16,
		.mode = RUN_PIPES, .keep_stdin = true,
		.limits = { .cpu_ms = 1, .wall_ms = 2, .memory_bytes = 3,
			    .output_bytes = 4, .tmpfs_bytes = 5, .pids = 6,
			    .nofile = 7 },
		.compile_limits = { .cpu_ms = UINT64_MAX, .pids = UINT32_MAX },
	};
	struct job j, *d = malloc(sizeof(*d));
	struct buf b;

	(void)state;
	assert_int_equal(job_from_request(&req, ID, "worker.example_2", &j), 0);
	encode(&j, &b);
	assert_int_equal(job_decode(b.data, b.len, d), 0);
	assert_int_equal(d->mode, RUN_PIPES);
	assert_true(d->batch);
	assert_true(d->keep_stdin);
	assert_int_equal(d->nfiles, 3);
	assert_string_equal(d->files[0].name, "");	/* the entry point */
	assert_string_equal(d->files[1].name, "util.h");
	assert_int_equal(d->files[1].len, 0);
	assert_int_equal(d->files[1].mode, 0600);
	assert_int_equal(d->files[2].len, 4);
	assert_memory_equal(d->files[2].data, "\0\1\2\377", 4);
	assert_int_equal(d->files[2].mode, 0755);
	assert_int_equal(d->nargs, 3);
	assert_string_equal(d->args[1], "");
	assert_string_equal(d->args[2], "two words");
	assert_null(d->args[3]);
	assert_string_equal(d->compile_flags, "-O2 -Wall");
	assert_int_equal(d->stdin_len, 16);
	assert_memory_equal(d->stdin_data, "line 1\nline 2\n\0x", 16);
	same_limits(&d->limits, &req.limits);
	same_limits(&d->compile_limits, &req.compile_limits);
	buf_release(&b);
	free(d);
}

static void test_refused_requests(void **state)
{
	struct job j;
	struct run_request req = { .lang = &py, .mode = RUN_TTY };
	struct sandbox_file many[JOB_FILES_MAX + 1];

	(void)state;
	assert_int_equal(job_from_request(&req, ID, "g", &j), -EINVAL);
	req.lang = NULL;
	req.code = "x";
	assert_int_equal(job_from_request(&req, ID, "g", &j), -EINVAL);
	req.lang = &py;
	for (size_t i = 0; i < JOB_FILES_MAX + 1; i++)
		many[i] = (struct sandbox_file){ .name = "f", .data = "", .mode = 0644 };
	req.code = NULL;
	req.files = many;
	req.nfiles = JOB_FILES_MAX + 1;
	assert_int_equal(job_from_request(&req, ID, "g", &j), -EINVAL);
	/* encoding checks what it writes too */
	req.nfiles = 1;
	assert_int_equal(job_from_request(&req, "not-an-id", "g", &j), 0);
	struct buf b;
	buf_init(&b, 1 << 20);
	assert_int_equal(job_encode(&j, &b), -EINVAL);
	assert_int_equal(b.len, 0);
	/* over the buffer's maximum: nothing is left half-written */
	assert_int_equal(job_from_request(&req, ID, "g", &j), 0);
	buf_release(&b);
	buf_init(&b, 10);
	assert_int_equal(job_encode(&j, &b), -ENOBUFS);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

/* A valid encoding cut at every length, and with a byte more, is refused;
 * the bytes flipped one at a time never crash (some still decode). */
static void test_malformed(void **state)
{
	const char *args[] = { "a", NULL };
	struct sandbox_file files[] = {
		{ .name = "", .data = "x", .len = 1, .mode = 0644 },
		{ .name = "b.txt", .data = "yy", .len = 2, .mode = 0644 },
	};
	struct run_request req = {
		.lang = &py, .files = files, .nfiles = 2, .args = args,
		.compile_flags = "-g", .mode = RUN_PIPES, .stdin_data = "in",
		.stdin_len = 2,
	};
	struct job j, *d = malloc(sizeof(*d));
	struct buf b;

	(void)state;
	assert_int_equal(job_from_request(&req, ID, "g", &j), 0);
	encode(&j, &b);
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(job_decode(b.data, n, d), -EINVAL);
	char *more = malloc(b.len + 1);
	memcpy(more, b.data, b.len);
	more[b.len] = 0;
	assert_int_equal(job_decode(more, b.len + 1, d), -EINVAL);
	for (size_t i = 0; i < b.len; i++) {
		memcpy(more, b.data, b.len);
		more[i] ^= 0x5a;
		(void)job_decode(more, b.len, d);
	}
	/* the magic */
	memcpy(more, b.data, b.len);
	assert_int_equal(more[3], 2);
	more[3] = 3;	/* a later version */
	assert_int_equal(job_decode(more, b.len, d), -EINVAL);
	more[3] = 0;
	assert_int_equal(job_decode(more, b.len, d), -EINVAL);
	free(more);
	buf_release(&b);

	/* a file name with a '/' cannot come from job_encode: build it */
	files[1].name = "../etc";
	assert_int_equal(job_from_request(&req, ID, "g", &j), 0);
	buf_init(&b, 1 << 20);
	assert_int_equal(job_encode(&j, &b), 0);	/* the worker refuses it */
	assert_int_equal(job_decode(b.data, b.len, d), -EINVAL);
	buf_release(&b);
	/* an upper-case id is not ours */
	files[1].name = "b.txt";
	assert_int_equal(job_from_request(&req, "0123456789ABCDEF0123456789abcdef",
					  "g", &j), 0);
	buf_init(&b, 1 << 20);
	assert_int_equal(job_encode(&j, &b), -EINVAL);
	buf_release(&b);
	free(d);
}

/* A pipe run with a person at the other end (/ws/execute, Socket.IO, /ws
 * with prepared stdin) stays one on the worker: the interactive maxima
 * apply there; so do the client's wish for usage samples and the output
 * rate the gateway resolved. */
static void test_interactive_usage(void **state)
{
	struct run_request req = {
		.lang = &py, .code = "input()", .code_len = 7,
		.mode = RUN_PIPES, .keep_stdin = true, .interactive = true,
		.limits = { .wall_ms = 60000, .output_rate = 1 << 20,
			    .output_burst = 16 << 20, .nofile = 64 },
		.compile_limits = { .output_rate = 3, .output_burst = 4 },
	};
	struct job j, *d = malloc(sizeof(*d));
	struct run_request back;
	struct buf b;

	(void)state;
	assert_int_equal(job_from_request(&req, ID, "gw", &j), 0);
	assert_true(j.interactive);
	assert_false(j.usage);	/* the subscriber's, set by the caller */
	j.usage = true;
	encode(&j, &b);
	assert_int_equal(job_decode(b.data, b.len, d), 0);
	assert_true(d->interactive);
	assert_true(d->usage);
	assert_true(d->keep_stdin);
	assert_false(d->batch);
	same_limits(&d->limits, &req.limits);
	same_limits(&d->compile_limits, &req.compile_limits);
	job_to_request(d, &py, &back);
	assert_true(back.interactive);
	assert_int_equal(back.mode, RUN_PIPES);
	assert_int_equal(back.limits.output_rate, 1 << 20);
	assert_int_equal(back.limits.output_burst, 16 << 20);
	buf_release(&b);

	/* and neither flag when not asked */
	req.interactive = false;
	assert_int_equal(job_from_request(&req, ID, "gw", &j), 0);
	encode(&j, &b);
	assert_int_equal(job_decode(b.data, b.len, d), 0);
	assert_false(d->interactive);
	assert_false(d->usage);
	job_to_request(d, &py, &back);
	assert_false(back.interactive);
	buf_release(&b);
	free(d);
}

/* Version 1, written here field by field as the previous release's
 * encoder did: 7 limits each, flags 1 and 2 only. */
static void v1_job(struct buf *b, uint8_t flags)
{
	struct wire_w w;

	buf_init(b, 1 << 20);
	wire_w_init(&w, b);
	wire_put_raw(&w, "CRJ\1", 4);
	wire_put_str(&w, ID);
	wire_put_str(&w, "old-gw");
	wire_put_str(&w, "python");
	wire_put_u8(&w, 1);		/* pipes */
	wire_put_u8(&w, flags);
	wire_put_uv(&w, 24);
	wire_put_uv(&w, 80);
	for (int i = 0; i < 7; i++)	/* limits: cpu .. nofile */
		wire_put_uv(&w, (uint64_t)(i + 1) * 100);
	for (int i = 0; i < 7; i++)	/* compile limits */
		wire_put_uv(&w, 0);
	wire_put_uv(&w, 1);
	wire_put_str(&w, "");
	wire_put_uv(&w, 0644);
	wire_put_bytes(&w, "print(1)", 8);
	wire_put_uv(&w, 1);
	wire_put_str(&w, "arg");
	wire_put_u8(&w, 0);
	wire_put_bytes(&w, "in", 2);
	assert_int_equal(w.err, 0);
}

static void test_version1(void **state)
{
	struct job *d = malloc(sizeof(*d));
	struct buf b;

	(void)state;
	v1_job(&b, 2);	/* keep_stdin */
	assert_int_equal(job_decode(b.data, b.len, d), 0);
	assert_string_equal(d->id, ID);
	assert_string_equal(d->gateway, "old-gw");
	assert_int_equal(d->mode, RUN_PIPES);
	assert_true(d->keep_stdin);
	assert_false(d->batch);
	assert_false(d->interactive);
	assert_false(d->usage);
	assert_int_equal(d->limits.cpu_ms, 100);
	assert_int_equal(d->limits.wall_ms, 200);
	assert_int_equal(d->limits.memory_bytes, 300);
	assert_int_equal(d->limits.output_bytes, 400);
	assert_int_equal(d->limits.output_rate, 0);	/* the worker's */
	assert_int_equal(d->limits.output_burst, 0);
	assert_int_equal(d->limits.tmpfs_bytes, 500);
	assert_int_equal(d->limits.pids, 600);
	assert_int_equal(d->limits.nofile, 700);
	assert_int_equal(d->nfiles, 1);
	assert_memory_equal(d->files[0].data, "print(1)", 8);
	assert_string_equal(d->args[0], "arg");
	assert_int_equal(d->stdin_len, 2);
	buf_release(&b);

	/* the flags of version 2 are unknown in version 1 */
	v1_job(&b, 2 | 4);
	assert_int_equal(job_decode(b.data, b.len, d), -EINVAL);
	buf_release(&b);
	v1_job(&b, 8);
	assert_int_equal(job_decode(b.data, b.len, d), -EINVAL);
	buf_release(&b);
	free(d);
}

static void test_id_valid(void **state)
{
	(void)state;
	assert_true(job_id_valid(ID));
	assert_false(job_id_valid(NULL));
	assert_false(job_id_valid(""));
	assert_false(job_id_valid(ID "0"));
	assert_false(job_id_valid("0123456789abcdef0123456789abcde"));
	assert_false(job_id_valid("0123456789abcdef0123456789abcdeg"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_tty),
		cmocka_unit_test(test_files_pipes),
		cmocka_unit_test(test_refused_requests),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_interactive_usage),
		cmocka_unit_test(test_version1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
