/*
 * judge0.h - Judge0 CE 1.13's shapes, pure: a submission's request parsed
 * and validated, its result derived from a finished job, and a stored
 * submission rendered with ?fields and ?base64_encoded.
 *
 * Names, units and messages follow Judge0 CE v1.13.1 (app/models/
 * submission.rb, app/jobs/isolate_job.rb, app/enumerations/status.rb,
 * app/serializers/submission_serializer.rb): times in seconds (limits are
 * numbers; 'time' and 'wall_time' are decimal strings, as Rails renders
 * decimals), memory in kilobytes, statuses 1..14 with Judge0's
 * descriptions, validation errors as 422 {"field": ["message", ...]}.
 * Nothing here knows HTTP or the store; api_judge0.c is the glue.
 */
#ifndef CODEROOM_JUDGE0_H
#define CODEROOM_JUDGE0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/batch.h"
#include "proto/rules.h"

enum judge0_status {
	J0_IN_QUEUE = 1, J0_PROCESSING, J0_ACCEPTED, J0_WRONG_ANSWER,
	J0_TLE, J0_COMPILE_ERROR, J0_SIGSEGV, J0_SIGXFSZ, J0_SIGFPE,
	J0_SIGABRT, J0_NZEC, J0_OTHER, J0_INTERNAL, J0_EXEC_FORMAT,
};
#define J0_STATUS_MAX 14

/* Judge0's description of a status ("Accepted"), "" when out of range. */
const char *judge0_status_name(int id);

/* The texts of a submission, by index (decoded bytes, NULL: null). */
enum judge0_text {
	J0_SOURCE, J0_STDIN, J0_EXPECTED, J0_STDOUT, J0_STDERR, J0_COMPILE,
	J0_NTEXT,
};

struct judge0_bytes {
	char *p;		/* malloc'd, NUL-terminated; NULL: null */
	size_t n;
};

/* The limits Judge0 lets a request choose, and the server's defaults and
 * maxima for them (config_info). Seconds and kilobytes. */
struct judge0_config {
	double cpu_time_limit, max_cpu_time_limit;
	double cpu_extra_time, max_cpu_extra_time;
	double wall_time_limit, max_wall_time_limit;
	int64_t memory_limit, max_memory_limit;
	int64_t stack_limit, max_stack_limit;
	int64_t max_processes_and_or_threads, max_max_processes_and_or_threads;
	int64_t max_file_size, max_max_file_size;
	int64_t number_of_runs, max_number_of_runs;
	int64_t max_queue_size;
	int64_t max_submission_batch_size;
	bool enable_callbacks;
};

/* Judge0's defaults, each lowered to what the engine allows. Pure. */
void judge0_config_init(struct judge0_config *c, const struct api_ctx *ctx);
/* GET /config_info */
json_t *judge0_config_json(const struct judge0_config *c);

/* A submission: what it asked for, and (once finished) its result. */
struct judge0_sub {
	char token[37];			/* UUID */
	int language_id;
	const struct lang *lang;	/* NULL when not installed any more */
	struct judge0_bytes text[J0_NTEXT];
	char *compiler_options;		/* NULL: null */
	char *command_line_arguments;
	char *callback_url;
	double cpu_time_limit, cpu_extra_time, wall_time_limit;
	int64_t memory_limit, stack_limit, max_processes_and_or_threads;
	int64_t max_file_size, number_of_runs;
	bool per_process_time, per_process_memory;
	bool redirect_stderr_to_stdout, enable_network;
	/* the result */
	int status_id;
	int64_t created_ms, finished_ms;	/* 0: null */
	bool has_time;			/* time, wall_time, memory are set */
	double time, wall_time;		/* seconds */
	int64_t memory;			/* KB */
	bool has_exit_code, has_exit_signal;
	int exit_code, exit_signal;
	char *message;			/* NULL: null */
};

void judge0_sub_release(struct judge0_sub *s);
/* A deep copy of src into *dst. 0 or -ENOMEM (dst then empty). */
int judge0_sub_copy(struct judge0_sub *dst, const struct judge0_sub *src);

/*
 * Parses one submission object. 'base64': source_code, stdin and
 * expected_output are Base64. On success 0 (s filled, status In Queue,
 * defaults applied). On a validation error -EINVAL with *errors set to
 * Judge0's {"field": ["message", ...]} (every broken rule, as Rails
 * collects them; status 422) and e holding the first; -ENOMEM.
 * 'allow_callbacks': whether callback_url may be set at all.
 */
int judge0_parse(const struct api_ctx *ctx, const struct judge0_config *cfg,
		 json_t *body, bool base64, struct judge0_sub *s,
		 json_t **errors, struct api_err *e);

/* The job that runs a submission: number_of_runs cases. NULL on ENOMEM. */
struct batch_job *judge0_job(const struct api_ctx *ctx,
			     const struct judge0_sub *s);

/* Fills s's result from its finished job (status, texts, times). Pure
 * apart from allocating. 0 or -ENOMEM. */
int judge0_result(struct judge0_sub *s, const struct batch_job *j);

/*
 * ?fields: a comma-separated list, "*" for all. 0 and a bit set of the
 * fields to render, or -EINVAL with e->message Judge0's
 * "invalid fields: [a, b]". NULL or "" gives the default fields.
 */
int judge0_fields(const char *list, uint64_t *set, struct api_err *e);

/*
 * The submission as Judge0 renders it: the fields of 'set' in Judge0's
 * order, texts Base64 (Ruby's encode64 layout) when 'base64'. NULL with
 * *utf8_error set when a text is not UTF-8 and 'base64' is false (Judge0
 * answers that with an error asking for base64_encoded=true).
 */
json_t *judge0_render(const struct judge0_sub *s, uint64_t set, bool base64,
		      bool *utf8_error);

struct store_judge0;
/* The row that stores s: attrs and result are new JSON texts (free them
 * with judge0_row_release()), the texts are borrowed from s. 0, -ENOMEM. */
int judge0_to_row(const struct judge0_sub *s, struct store_judge0 *r);
void judge0_row_release(struct store_judge0 *r);
/* The submission of a stored row; the row's texts move into s. 0 or
 * -EINVAL (attrs not as judge0_to_row() writes them), -ENOMEM. */
int judge0_from_row(const struct lang_table *t, struct store_judge0 *r,
		    struct judge0_sub *s);

/* The language by Judge0 id among the available ones, or NULL. */
const struct lang *judge0_lang(const struct lang_table *t, int id);
/* Judge0's name of a language ("C (GCC 12.2.0)"). */
void judge0_lang_name(const struct lang *l, char *out, size_t len);
/* GET /languages/{id}: {id, name, is_archived, source_file, compile_cmd,
 * run_cmd} */
json_t *judge0_lang_json(const struct lang *l);

/* Seconds as Rails renders a decimal ("0.012", "5.0"). */
void judge0_decimal(double secs, char *out, size_t len);
/* A time in ms since 1970 as Rails renders it ("2026-12-01T14:00:00.123Z") */
void judge0_time(int64_t ms, char *out, size_t len);
/* Splits command_line_arguments as the bash script Judge0 runs would:
 * white space separates, quotes and backslashes group; Judge0's removed
 * characters ($&;<>|`) are dropped. NULL-terminated; NULL on ENOMEM. */
char **judge0_split_args(const char *s);

#endif
