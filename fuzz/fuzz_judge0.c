/*
 * fuzz_judge0.c - judge0_parse() on JSON from arbitrary bytes, with and
 * without base64_encoded; a parsed submission is turned into its job,
 * rendered with every field (plain and Base64), stored as a row and read
 * back, which must render the same. A refused one has Judge0's error
 * shape: an object of arrays of strings. judge0_fields() and
 * judge0_split_args() get the raw bytes too.
 */
#include "fuzz_api.h"
#include "proto/judge0.h"
#include "store/store_judge0.h"

/* run.c's, reached only through judge0_result(): not here */
void run_main_step(const struct run_result *r, struct run_step_result *s)
{
	fuzz_fail("run_main_step reached", __FILE__, __LINE__);
}

static void row_release(struct store_judge0 *r)
{
	free(r->attrs);
	free(r->result);
	for (int i = 0; i < STORE_JUDGE0_TEXTS; i++)
		free(r->text[i].p);
}

static void roundtrip(const struct judge0_sub *s)
{
	struct store_judge0 row;
	struct judge0_sub back;
	bool u1, u2;

	CHECK(judge0_to_row(s, &row) == 0);
	/* judge0_from_row() takes the texts: hand it copies */
	for (int i = 0; i < STORE_JUDGE0_TEXTS; i++)
		if (row.text[i].p) {
			char *c = malloc(row.text[i].n + 1);
			CHECK(c);
			memcpy(c, row.text[i].p, row.text[i].n + 1);
			row.text[i].p = c;
		}
	CHECK(judge0_from_row(&fz_langs, &row, &back) == 0);
	row_release(&row);
	json_t *a = judge0_render(s, ~(uint64_t)0 >> 29, true, &u1);
	json_t *b = judge0_render(&back, ~(uint64_t)0 >> 29, true, &u2);
	CHECK(a && b && json_equal(a, b));
	json_decref(a);
	json_decref(b);
	judge0_sub_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_ctx ctx = fz_ctx();
	struct judge0_config cfg;
	json_t *body = json_loadb((const char *)data, size,
				  JSON_DECODE_ANY, NULL);
	char *str = malloc(size + 1);
	uint64_t set;
	struct api_err e;

	CHECK(str);
	memcpy(str, data, size);
	str[size] = '\0';
	if (judge0_fields(str, &set, &e))
		CHECK(!strncmp(e.message, "invalid fields: [", 17));
	char **args = judge0_split_args(str);
	CHECK(args);
	for (char **a = args; *a; a++)
		free(*a);
	free(args);
	free(str);
	if (!body)
		return 0;
	judge0_config_init(&cfg, &ctx);
	cfg.enable_callbacks = size & 1;
	for (int b64 = 0; b64 < 2; b64++) {
		struct judge0_sub s;
		json_t *errors = NULL;
		bool utf8_error;
		memset(&e, 0, sizeof(e));
		if (judge0_parse(&ctx, &cfg, body, b64, &s, &errors, &e)) {
			const char *k;
			json_t *v, *m;
			size_t i;
			fz_check_err(&e);
			CHECK(e.status == 422);
			CHECK(json_is_object(errors) && json_object_size(errors));
			json_object_foreach(errors, k, v) {
				CHECK(json_is_array(v) && json_array_size(v));
				json_array_foreach(v, i, m)
					CHECK(json_is_string(m));
			}
			json_decref(errors);
			continue;
		}
		CHECK(errors == NULL);
		CHECK(s.lang && s.lang->judge0_id == s.language_id);
		CHECK(s.status_id == J0_IN_QUEUE);
		snprintf(s.token, sizeof(s.token),
			 "00000000-0000-4000-8000-000000000000");
		struct batch_job *j = judge0_job(&ctx, &s);
		CHECK(j);
		fz_check_job(j);
		CHECK((int64_t)j->ncases == s.number_of_runs);
		batch_job_free(j);
		json_t *r = judge0_render(&s, ~(uint64_t)0 >> 29, false,
					  &utf8_error);
		CHECK(r || utf8_error);
		if (r) {
			char *d = json_dumps(r, JSON_COMPACT);
			CHECK(d);
			free(d);
		}
		json_decref(r);
		roundtrip(&s);
		judge0_sub_release(&s);
	}
	json_decref(body);
	return 0;
}
