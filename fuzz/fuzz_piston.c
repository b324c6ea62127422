/*
 * fuzz_piston.c - piston_job(), the job of POST /api/v2/execute and of
 * the "init" message of /api/v2/connect, on JSON from arbitrary bytes;
 * and piston_signal() on the same bytes as a signal name. A job keeps
 * every rule and Piston's own (stdin ends in a newline, limits within
 * the maxima); an error is a message.
 */
#include <signal.h>

#include "fuzz_api.h"
#include "proto/piston.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_ctx ctx = fz_ctx();
	struct api_err e = { 0 };
	json_t *body = json_loadb((const char *)data, size,
				  JSON_DECODE_ANY, NULL);
	char name[64];

	if (size < sizeof(name)) {
		memcpy(name, data, size);
		name[size] = '\0';
		int s = piston_signal(name);
		CHECK(s == 0 || (s >= 1 && s <= SIGRTMAX));
	}
	if (!body)
		return 0;
	struct batch_job *j = piston_job(&ctx, body, &e);
	if (j) {
		fz_check_job(j);
		CHECK(j->ncases == 1);
		CHECK(j->cases[0].stdin_len >= 1 &&
		      j->cases[0].stdin_data[j->cases[0].stdin_len - 1] == '\n');
		json_t *f0 = json_array_get(json_object_get(body, "files"), 0);
		json_t *n0 = json_object_get(f0, "name");
		if (json_is_string(n0) && json_string_length(n0) &&
		    j->lang->entry_named)
			CHECK(!strcmp(j->files[0].name, json_string_value(n0)));
		batch_job_free(j);
	} else {
		fz_check_err(&e);
	}
	json_decref(body);
	return 0;
}
