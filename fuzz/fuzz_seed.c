/*
 * fuzz_seed.c - parse_seed() (POST /api/execute, POST /run_code, the
 * "execute" message of /ws/execute) on JSON from arbitrary bytes, for
 * each of the three kinds: a job of one file and one case, or an error.
 */
#include "fuzz_api.h"
#include "proto/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_ctx ctx = fz_ctx();
	json_t *body = json_loadb((const char *)data, size,
				  JSON_DECODE_ANY, NULL);

	if (!body)
		return 0;
	for (int k = PARSE_SEED_EXECUTE; k <= PARSE_SEED_WS; k++) {
		struct api_err e = { 0 };
		struct batch_job *j = parse_seed(&ctx, body, k, &e);
		if (j) {
			fz_check_job(j);
			CHECK(j->nfiles == 1 && j->ncases == 1);
			CHECK(k != PARSE_SEED_RUN_CODE ||
			      !strcmp(j->lang->id, "python"));
			batch_job_free(j);
		} else {
			fz_check_err(&e);
		}
	}
	json_decref(body);
	return 0;
}
