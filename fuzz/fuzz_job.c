/*
 * fuzz_job.c - job_decode() on any bytes.
 *
 * Checks: a decoded job satisfies what a worker relies on (a valid run id,
 * counts within the caps, NUL-terminated argv, file names without '/');
 * it encodes again and decodes to the same job.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/job.h"
#include "fuzz.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

static bool same_bytes(const void *a, const void *b, size_t n)
{
	return n == 0 || !memcmp(a, b, n);
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct buf enc;

	if (job_decode(data, size, a)) {
		free(a);
		free(b);
		return 0;
	}
	CHECK(job_id_valid(a->id));
	CHECK(a->nfiles >= 1 && a->nfiles <= JOB_FILES_MAX);
	CHECK(a->nargs <= JOB_ARGS_MAX && a->args[a->nargs] == NULL);
	for (size_t i = 0; i < a->nfiles; i++) {
		CHECK(a->files[i].name && !strchr(a->files[i].name, '/'));
		CHECK(i == 0 || a->files[i].name[0]);
		CHECK(a->files[i].data || !a->files[i].len);
	}
	buf_init(&enc, JOB_BYTES_MAX + 64);
	CHECK(job_encode(a, &enc) == 0);
	CHECK(job_decode(enc.data, enc.len, b) == 0);
	CHECK(!strcmp(a->id, b->id) && !strcmp(a->gateway, b->gateway) &&
	      !strcmp(a->lang, b->lang) && a->mode == b->mode &&
	      a->batch == b->batch && a->keep_stdin == b->keep_stdin &&
	      a->interactive == b->interactive && a->usage == b->usage &&
	      a->rows == b->rows && a->cols == b->cols &&
	      !memcmp(&a->limits, &b->limits, sizeof(a->limits)) &&
	      !memcmp(&a->compile_limits, &b->compile_limits,
		      sizeof(a->limits)) &&
	      a->nfiles == b->nfiles && a->nargs == b->nargs &&
	      same_str(a->compile_flags, b->compile_flags) &&
	      a->stdin_len == b->stdin_len &&
	      same_bytes(a->stdin_data, b->stdin_data, a->stdin_len));
	for (size_t i = 0; i < a->nfiles; i++)
		CHECK(!strcmp(a->files[i].name, b->files[i].name) &&
		      a->files[i].mode == b->files[i].mode &&
		      a->files[i].len == b->files[i].len &&
		      same_bytes(a->files[i].data, b->files[i].data,
				 a->files[i].len));
	for (size_t i = 0; i < a->nargs; i++)
		CHECK(!strcmp(a->args[i], b->args[i]));
	buf_release(&enc);
	free(a);
	free(b);
	return 0;
}
