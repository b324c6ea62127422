/*
 * fuzz_runs.c - parse_runs() (POST /api/runs) on JSON loaded from
 * arbitrary bytes. On success the job keeps every rule (fz_check_job());
 * on failure the error has a status and a message JSON can carry; nothing
 * leaks either way.
 */
#include "fuzz_api.h"
#include "proto/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_ctx ctx = fz_ctx();
	struct api_err e = { 0 };
	json_t *body = json_loadb((const char *)data, size,
				  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	struct batch_job *j;

	if (!body)
		return 0;
	j = parse_runs(&ctx, body, &e);
	if (j) {
		fz_check_job(j);
		CHECK(j->tests == (json_object_get(body, "tests") &&
				   !json_is_null(json_object_get(body, "tests"))));
		batch_job_free(j);
	} else {
		fz_check_err(&e);
	}
	json_decref(body);
	return 0;
}
