/*
 * api_judge0.c - Judge0 CE 1.13 over HTTP, under /judge0/ (and at the root
 * paths with --judge0-root):
 *
 *   POST   /submissions[?base64_encoded&wait&fields]   201 {"token"}
 *   GET    /submissions/{token}[?base64_encoded&fields]
 *   DELETE /submissions/{token}[?fields]
 *   POST   /submissions/batch[?base64_encoded]   201 [{"token"} | errors]
 *   GET    /submissions/batch?tokens=a,b[&base64_encoded&fields]
 *   GET    /languages, /languages/all, /languages/{id}, /statuses, /about,
 *          /version, /system_info, /config_info, /workers
 *   POST   /authenticate, /authorize
 *
 * judge0.c has the shapes; this file keeps the submissions (in SQLite, and
 * the live ones in memory), runs them as batch jobs on the engine's
 * admission queue, answers waiting requests, sends callbacks and expires
 * old rows. Tokens: with --api-token every path needs one, in
 * X-Auth-Token (Judge0's header, also as a query parameter) or as the
 * other APIs take it; 401 without.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>

#include "lib/log.h"
#include "net/callback.h"
#include "net/conn.h"
#include "net/http.h"
#include "proto/api.h"
#include "proto/api_judge0.h"
#include "proto/app.h"
#include "proto/auth.h"
#include "proto/judge0.h"
#include "run/run.h"
#include "store/store.h"
#include "store/store_judge0.h"

#define SWEEP_MS 1000
#define UTF8_ERROR "some attributes for this submission cannot be converted " \
		   "to UTF-8, use base64_encoded=true query parameter"
#define DISK_FULL "the server's disk is full: the submission cannot be " \
		  "stored; try again later"
#define UTF8_ERROR_MANY "some attributes for one or more submissions cannot " \
			"be converted to UTF-8, use base64_encoded=true query " \
			"parameter"

struct live;

/* A request waiting for a submission to finish (?wait=true). */
struct waiter {
	struct conn *c;
	struct live *live;		/* NULL once answered or detached */
	struct waiter *next;
	uint64_t fields;
	bool base64;
};

/* A submission waiting for admission or running. */
struct live {
	struct judge0 *j0;
	struct live *next;
	struct judge0_sub sub;
	struct batch_job *job;		/* NULL while not admitted */
	struct waiter *waiters;
	char client[APP_CLIENT_MAX];	/* who submitted (fair admission) */
};

struct judge0 {
	struct app *app;
	uv_loop_t *loop;
	struct store *store;		/* the server's, not owned */
	struct judge0_config cfg;
	struct callback_policy policy;
	struct callbacks cb;
	uint64_t keep_ms;
	uint64_t max_bytes;		/* of stored submissions */
	uint64_t evicted;		/* deleted early to stay under it */
	uint64_t refused;		/* new ones refused: nothing to evict */
	uv_timer_t sweep;
	struct live *live;
	bool closing;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void new_token(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (size_t i = 0; i < sizeof(b); i++)	/* never in practice */
			b[i] = (unsigned char)(rand() ^ (int)now_ms());
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
		 b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

static struct api_ctx ctx_of(const struct judge0 *j0)
{
	return app_api_ctx(j0->app);
}

/* ---- replies --------------------------------------------------------- */

static void reply_error(struct conn *c, unsigned status, const char *msg)
{
	http_reply_json(c, status, json_pack("{s:s}", "error", msg));
}

static void not_found(struct conn *c)
{
	http_reply_json(c, 404, json_pack("{s:i, s:s}", "status", 404,
					  "error", "Not Found"));
}

/* ?name=value (or a header of that name), copied into out; false when
 * absent. */
static bool query(struct conn *c, const char *name, char *out, size_t len)
{
	return http_query(c, name, out, len) >= 0;
}

static bool query_true(struct conn *c, const char *name)
{
	char v[16];

	return query(c, name, v, sizeof(v)) && !strcmp(v, "true");
}

/* ---- storing and finding --------------------------------------------- */

static int store_sub(struct judge0 *j0, const struct judge0_sub *s)
{
	struct store_judge0 row;
	int err;

	if ((err = judge0_to_row(s, &row)))
		return err;
	err = store_judge0_put(j0->store, &row);
	judge0_row_release(&row);
	if (err)
		log_warn("judge0: cannot store '%s': %s", s->token,
			 strerror(-err));
	return err;
}

static struct live *find_live(struct judge0 *j0, const char *token)
{
	for (struct live *l = j0->live; l; l = l->next)
		if (!strcmp(l->sub.token, token))
			return l;
	return NULL;
}

/* The submission by token, live or stored: 0, -ENOENT (none, or
 * expired), -errno. *out is a copy to release. */
static int find_sub(struct judge0 *j0, const char *token,
		    struct judge0_sub *out)
{
	struct live *l = find_live(j0, token);
	struct store_judge0 row;
	int err;

	memset(out, 0, sizeof(*out));
	if (l) {
		struct run_sub *rs = l->job ? &l->job->sub : NULL;
		if (judge0_sub_copy(out, &l->sub))
			return -ENOMEM;
		out->status_id = rs && rs->run &&
				 run_get_state(rs->run) != RUN_STARTING ?
				 J0_PROCESSING : J0_IN_QUEUE;
		return 0;
	}
	if (strlen(token) != 36)
		return -ENOENT;
	if ((err = store_judge0_get(j0->store, token, &row)))
		return err;
	err = judge0_from_row(j0->app->langs, &row, out);
	store_judge0_release(&row);
	if (err)
		return err;
	if (out->finished_ms && now_ms() - out->finished_ms >
				(int64_t)j0->keep_ms) {
		judge0_sub_release(out);
		return -ENOENT;	/* expired: the sweep deletes it */
	}
	return 0;
}

/* ---- running --------------------------------------------------------- */

static void live_free(struct live *l)
{
	struct judge0 *j0 = l->j0;

	for (struct live **p = &j0->live; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	for (struct waiter *w = l->waiters; w; w = w->next)
		w->live = NULL;
	batch_job_free(l->job);
	judge0_sub_release(&l->sub);
	free(l);
}

static void answer_waiter(struct waiter *w, const struct judge0_sub *s)
{
	bool utf8_error;
	json_t *o = judge0_render(s, w->fields, w->base64, &utf8_error);

	w->live = NULL;
	if (!o && utf8_error) {
		http_reply_json(w->c, 201, json_pack("{s:s, s:s}", "token",
						     s->token, "error",
						     UTF8_ERROR));
		return;
	}
	if (!o) {
		reply_error(w->c, 500, "out of memory");
		return;
	}
	http_reply_json(w->c, 201, o);
}

static void send_callback(struct judge0 *j0, const struct judge0_sub *s)
{
	uint64_t fields;
	struct api_err e;
	bool utf8_error;
	json_t *o;
	char *body;
	int err;

	if (!s->callback_url)
		return;
	/* Judge0: the default fields, Base64 */
	judge0_fields(NULL, &fields, &e);
	o = judge0_render(s, fields, true, &utf8_error);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body)
		return;
	if ((err = callback_put(&j0->cb, s->callback_url, body, strlen(body))) &&
	    err != -EAGAIN)	/* dropped, logged */
		log_warn("judge0: no callback for '%s': %s", s->token,
			 strerror(-err));
	free(body);
}

static void on_done(struct batch_job *job)
{
	struct live *l = job->owner;
	struct judge0 *j0 = l->j0;

	if (j0->closing || j0->app->engine->closing) {
		/* killed by the shutdown: stored as waiting, it runs again
		 * after the restart */
		live_free(l);
		return;
	}
	if (judge0_result(&l->sub, job)) {
		l->sub.status_id = J0_INTERNAL;
		free(l->sub.message);
		l->sub.message = strdup("out of memory");
	}
	l->sub.finished_ms = now_ms();
	store_sub(j0, &l->sub);
	for (struct waiter *w = l->waiters; w; w = w->next)
		if (w->live)
			answer_waiter(w, &l->sub);
	send_callback(j0, &l->sub);
	live_free(l);
}

/* Admits a live submission's job: 0, -EBUSY (queue full, try later),
 * -errno (it is finished as an internal error by the caller). */
static int admit(struct live *l)
{
	struct judge0 *j0 = l->j0;
	struct api_ctx ctx = ctx_of(j0);
	int err;

	if (!l->sub.lang)
		return -ENOENT;
	if (!l->job && !(l->job = judge0_job(&ctx, &l->sub)))
		return -ENOMEM;
	snprintf(l->job->client, sizeof(l->job->client), "%s", l->client);
	err = batch_start(l->job, j0->app->engine, on_done, l);
	if (err) {
		batch_job_free(l->job);
		l->job = NULL;
	}
	return err;
}

/* Ends a submission that cannot run. */
static void finish_internal(struct live *l, const char *why)
{
	l->sub.status_id = J0_INTERNAL;
	free(l->sub.message);
	l->sub.message = strdup(why);
	l->sub.finished_ms = now_ms();
	store_sub(l->j0, &l->sub);
	for (struct waiter *w = l->waiters; w; w = w->next)
		if (w->live)
			answer_waiter(w, &l->sub);
	send_callback(l->j0, &l->sub);
	live_free(l);
}

static struct live *live_new(struct judge0 *j0, struct judge0_sub *s)
{
	struct live *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->j0 = j0;
	l->sub = *s;		/* takes s's allocations */
	memset(s, 0, sizeof(*s));
	l->next = j0->live;
	j0->live = l;
	return l;
}

/* ---- submissions ----------------------------------------------------- */

static void waiter_free(void *p)
{
	struct waiter *w = p;

	if (w->live)
		for (struct waiter **q = &w->live->waiters; *q; q = &(*q)->next)
			if (*q == w) {
				*q = w->next;
				break;
			}
	free(w);
}

static json_t *errors_or_nomem(json_t *errors)
{
	return errors ? errors : json_pack("{s:s}", "error", "out of memory");
}

/* Deletes finished submissions, those that finished first, until the
 * stored ones and 'more' bytes fit in max_bytes (a client sending
 * submissions as fast as they run would otherwise fill the disk within
 * the keep time). At most 4096 go at once, so one call stays short.
 * Whether they fit now. */
static bool make_room(struct judge0 *j0, uint64_t more)
{
	uint64_t bytes = 0;
	unsigned n, gone = 0;
	bool fit = false;

	for (int round = 0; round < 256; round++) {
		if (store_judge0_bytes(j0->store, &bytes))
			break;
		if (bytes <= j0->max_bytes && more <= j0->max_bytes - bytes) {
			fit = true;
			break;
		}
		if (store_judge0_evict(j0->store, 16, &n) || !n)
			break;
		gone += n;
	}
	if (gone) {
		j0->evicted += gone;
		log_warn("judge0: %u finished submissions deleted before their "
			 "time: the stored ones were over --judge0-max-bytes "
			 "(%llu bytes)", gone, (unsigned long long)j0->max_bytes);
	}
	return fit;
}

/* What a new submission's row will hold before it runs: its texts, and
 * its attributes as JSON (at most a few hundred bytes besides the three
 * strings counted here). */
static uint64_t row_estimate(const struct judge0_sub *s)
{
	uint64_t n = 1024;

	for (int i = 0; i < J0_NTEXT; i++)
		n += s->text[i].n;
	if (s->compiler_options)
		n += strlen(s->compiler_options);
	if (s->command_line_arguments)
		n += strlen(s->command_line_arguments);
	if (s->callback_url)
		n += strlen(s->callback_url);
	return n;
}

/* Creates one submission of client 'client' (app_client()) from 'body':
 * its live entry (admitted, stored), or NULL with *errors (422) set or
 * *status 503 (queue full, or the stored submissions at
 * --judge0-max-bytes with none finished to make room), 507 (the disk is
 * full) or 500. */
static struct live *create_one(struct judge0 *j0, json_t *body, bool base64,
			       const char *client, json_t **errors,
			       unsigned *status)
{
	struct api_ctx ctx = ctx_of(j0);
	struct judge0_sub s;
	struct api_err e;
	struct live *l;
	int err;

	*errors = NULL;
	*status = 500;
	if ((err = judge0_parse(&ctx, &j0->cfg, body, base64, &s, errors,
				&e))) {
		*status = err == -EINVAL ? 422 : 500;
		return NULL;
	}
	if (s.callback_url) {
		char why[256];
		if (callback_check(&j0->policy, s.callback_url, why,
				   sizeof(why))) {
			*errors = json_pack("{s:[s]}", "callback_url", why);
			*status = 422;
			judge0_sub_release(&s);
			return NULL;
		}
	}
	if (!make_room(j0, row_estimate(&s))) {
		j0->refused++;
		*status = 503;
		judge0_sub_release(&s);
		return NULL;
	}
	new_token(s.token);
	s.created_ms = now_ms();
	if (!(l = live_new(j0, &s))) {
		judge0_sub_release(&s);
		return NULL;
	}
	snprintf(l->client, sizeof(l->client), "%s", client);
	err = admit(l);
	if (err == -EBUSY || err == -EAGAIN || err == -EDQUOT) {
		*status = 503;
		live_free(l);
		return NULL;
	}
	if ((err = store_sub(j0, &l->sub))) {
		live_free(l);	/* the job dies with it, unseen */
		if (err == -ENOSPC)
			*status = 507;
		return NULL;
	}
	if (err) {
		finish_internal(l, strerror(-err));
		return NULL;	/* stored: answered by token */
	}
	return l;
}

static void create(struct judge0 *j0, struct conn *c)
{
	bool base64 = query_true(c, "base64_encoded");
	bool wait = query_true(c, "wait");
	char fl[1024] = "";
	uint64_t fields;
	struct api_err e;
	json_t *body, *errors;
	unsigned status;
	struct live *l;

	query(c, "fields", fl, sizeof(fl));
	if (judge0_fields(fl, &fields, &e)) {
		reply_error(c, 400, e.message);
		return;
	}
	if (!(body = http_body_json(c)))
		return;
	char client[APP_CLIENT_MAX];
	app_client(c, client, sizeof(client));
	l = create_one(j0, body, base64, client, &errors, &status);
	json_decref(body);
	if (!l) {
		if (status == 503)
			reply_error(c, 503, "queue is full");
		else if (status == 507)
			reply_error(c, 507, DISK_FULL);
		else if (status == 422)
			http_reply_json(c, 422, errors_or_nomem(errors));
		else
			reply_error(c, 500, "cannot create the submission");
		return;
	}
	if (!wait) {
		http_reply_json(c, 201, json_pack("{s:s}", "token",
						  l->sub.token));
		return;
	}
	struct waiter *w = calloc(1, sizeof(*w));
	if (!w) {
		http_reply_json(c, 201, json_pack("{s:s}", "token",
						  l->sub.token));
		return;
	}
	w->c = c;
	w->live = l;
	w->fields = fields;
	w->base64 = base64;
	w->next = l->waiters;
	l->waiters = w;
	c->http->api = w;
	c->http->api_free = waiter_free;
}

static void batch_create(struct judge0 *j0, struct conn *c)
{
	bool base64 = query_true(c, "base64_encoded");
	json_t *body, *subs, *resp, *one;
	size_t i, n;
	bool any = false;
	char msg[128];

	char client[APP_CLIENT_MAX];

	app_client(c, client, sizeof(client));
	if (!(body = http_body_json(c)))
		return;
	subs = json_object_get(body, "submissions");
	n = json_is_array(subs) ? json_array_size(subs) : 0;
	if (n > (size_t)j0->cfg.max_submission_batch_size) {
		snprintf(msg, sizeof(msg), "number of submissions in a batch "
			 "should be less than or equal to %lld",
			 (long long)j0->cfg.max_submission_batch_size);
		reply_error(c, 400, msg);
		goto out;
	}
	if (!n) {
		reply_error(c, 400, "there should be at least one submission "
			    "in a batch");
		goto out;
	}
	const struct fairq *q = &j0->app->engine->q[RUN_BATCH];
	if (q->waiting + n > q->queue_max + (q->slots > q->active ?
					     q->slots - q->active : 0)) {
		reply_error(c, 503, "queue is full");
		goto out;
	}
	resp = json_array();
	json_array_foreach(subs, i, one) {
		json_t *errors;
		unsigned status;
		struct live *l = create_one(j0, one, base64, client, &errors,
					    &status);
		if (l) {
			any = true;
			json_array_append_new(resp, json_pack("{s:s}", "token",
							      l->sub.token));
		} else if (status == 503 || status == 507) {
			json_array_append_new(resp, json_pack("{s:s}", "error",
							      status == 503 ?
							      "queue is full" :
							      DISK_FULL));
		} else {
			json_array_append_new(resp, errors_or_nomem(errors));
		}
	}
	http_reply_json(c, any ? 201 : 422, resp);
out:
	json_decref(body);
}

/*
 * What GET and DELETE of one submission begin with: its ?fields, then the
 * submission itself. 0 with *s to release, or the error already answered.
 */
static int load_one(struct judge0 *j0, struct conn *c, const char *token,
		    uint64_t *fields, struct judge0_sub *s)
{
	char fl[1024] = "";
	struct api_err e;
	int err;

	query(c, "fields", fl, sizeof(fl));
	if (judge0_fields(fl, fields, &e)) {
		reply_error(c, 400, e.message);
		return -EINVAL;
	}
	if ((err = find_sub(j0, token, s))) {
		if (err == -ENOENT)
			not_found(c);
		else
			reply_error(c, 500, strerror(-err));
	}
	return err;
}

static void show(struct judge0 *j0, struct conn *c, const char *token)
{
	bool base64 = query_true(c, "base64_encoded");
	struct judge0_sub s;
	uint64_t fields;
	bool utf8_error;
	json_t *o;

	if (load_one(j0, c, token, &fields, &s))
		return;
	o = judge0_render(&s, fields, base64, &utf8_error);
	judge0_sub_release(&s);
	if (!o)
		reply_error(c, utf8_error ? 400 : 500, utf8_error ? UTF8_ERROR
						       : "out of memory");
	else
		http_reply_json(c, 200, o);
}

static void destroy(struct judge0 *j0, struct conn *c, const char *token)
{
	char msg[128];
	struct judge0_sub s;
	uint64_t fields;
	bool utf8_error;
	json_t *o;
	int err;

	if (load_one(j0, c, token, &fields, &s))
		return;
	if (s.status_id == J0_IN_QUEUE || s.status_id == J0_PROCESSING) {
		snprintf(msg, sizeof(msg), "submission cannot be deleted "
			 "because its status is %d (%s)", s.status_id,
			 judge0_status_name(s.status_id));
		judge0_sub_release(&s);
		reply_error(c, 400, msg);
		return;
	}
	if ((err = store_judge0_delete(j0->store, token)) && err != -ENOENT) {
		judge0_sub_release(&s);
		reply_error(c, 500, strerror(-err));
		return;
	}
	/* Judge0 answers with the deleted submission, Base64 always */
	o = judge0_render(&s, fields, true, &utf8_error);
	judge0_sub_release(&s);
	if (!o)
		reply_error(c, 500, "out of memory");
	else
		http_reply_json(c, 200, o);
}

static void batch_show(struct judge0 *j0, struct conn *c)
{
	bool base64 = query_true(c, "base64_encoded");
	char tokens[4096] = "", fl[1024] = "", msg[128];
	char *save = NULL;
	uint64_t fields;
	struct api_err e;
	json_t *arr;
	size_t n = 0;

	query(c, "fields", fl, sizeof(fl));
	if (judge0_fields(fl, &fields, &e)) {
		reply_error(c, 400, e.message);
		return;
	}
	if (!query(c, "tokens", tokens, sizeof(tokens)))
		http_header(c, "tokens", tokens, sizeof(tokens));
	for (const char *p = tokens; *p; p++)
		n += *p == ',';
	n += tokens[0] != '\0';
	if (n > (size_t)j0->cfg.max_submission_batch_size) {
		snprintf(msg, sizeof(msg), "number of submissions in a batch "
			 "should be less than or equal to %lld",
			 (long long)j0->cfg.max_submission_batch_size);
		reply_error(c, 400, msg);
		return;
	}
	if (!n) {
		reply_error(c, 400, "there should be at least one submission "
			    "in a batch");
		return;
	}
	arr = json_array();
	for (char *t = strtok_r(tokens, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		struct judge0_sub s;
		bool utf8_error = false;
		json_t *o = NULL;
		while (*t == ' ')
			t++;
		if (find_sub(j0, t, &s) == 0) {
			o = judge0_render(&s, fields, base64, &utf8_error);
			judge0_sub_release(&s);
			if (!o && utf8_error) {
				json_decref(arr);
				reply_error(c, 400, UTF8_ERROR_MANY);
				return;
			}
		}
		json_array_append_new(arr, o ? o : json_null());
	}
	http_reply_json(c, 200, json_pack("{s:o}", "submissions", arr));
}

/* ---- information ----------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a,
							"name")),
		      json_string_value(json_object_get(*(json_t *const *)b,
							"name")));
}

static void languages(struct judge0 *j0, struct conn *c, bool all)
{
	const struct lang_table *t = j0->app->langs;
	json_t *v[256], *arr = json_array();
	size_t n = 0;
	char name[128];

	for (size_t i = 0; i < t->n && n < 256; i++) {
		const struct lang *l = &t->v[i];
		if (!l->judge0_id || !l->available)
			continue;
		judge0_lang_name(l, name, sizeof(name));
		v[n] = json_pack("{s:i, s:s}", "id", l->judge0_id, "name", name);
		if (all)
			json_object_set_new(v[n], "is_archived", json_false());
		n++;
	}
	qsort(v, n, sizeof(v[0]), cmp_name);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	http_reply_json(c, 200, arr);
}

static void language(struct judge0 *j0, struct conn *c, const char *id)
{
	char *end;
	long v = strtol(id, &end, 10);
	const struct lang *l = *id && !*end && v > 0 && v < 1000000 ?
			       judge0_lang(j0->app->langs, (int)v) : NULL;

	if (!l)
		not_found(c);
	else
		http_reply_json(c, 200, judge0_lang_json(l));
}

static void statuses(struct conn *c)
{
	json_t *arr = json_array();

	for (int i = 1; i <= J0_STATUS_MAX; i++)
		json_array_append_new(arr, json_pack("{s:i, s:s}", "id", i,
						     "description",
						     judge0_status_name(i)));
	http_reply_json(c, 200, arr);
}

static void about(struct conn *c)
{
	http_reply_json(c, 200, json_pack(
		"{s:s, s:s, s:s, s:s}", "version", "1.13.1",
		"homepage", "coderoom " CODEROOM_VERSION
		" (the Judge0 CE 1.13 API; docs/api.md)",
		"source_code", "coderoom", "maintainer", "the operator of this "
		"server"));
}

static void system_info(struct conn *c)
{
	struct utsname u;
	struct sysinfo si;
	char model[256] = "", cpus[16], mem[32], swap[32], line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof(model), "%s",
				 strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	uname(&u);
	sysinfo(&si);
	snprintf(cpus, sizeof(cpus), "%d", get_nprocs());
	snprintf(mem, sizeof(mem), "%.1fG", (double)si.totalram * si.mem_unit /
		 (1024.0 * 1024 * 1024));
	snprintf(swap, sizeof(swap), "%.1fG", (double)si.totalswap *
		 si.mem_unit / (1024.0 * 1024 * 1024));
	http_reply_json(c, 200, json_pack("{s:s, s:s, s:s, s:s, s:s}",
					  "Architecture", u.machine,
					  "CPU(s)", cpus, "Model name", model,
					  "Mem", mem, "Swap", swap));
}

static void workers(struct judge0 *j0, struct conn *c)
{
	const struct fairq *q = &j0->app->engine->q[RUN_BATCH];
	unsigned idle = q->slots > q->active ? q->slots - q->active : 0;

	http_reply_json(c, 200, json_pack(
		"[{s:s, s:i, s:i, s:i, s:i, s:i, s:i}]", "queue", "default",
		"size", (int)q->waiting, "available", (int)q->slots,
		"idle", (int)idle, "working", (int)q->active,
		"paused", 0, "failed", 0));
}

/* ---- routing --------------------------------------------------------- */

static bool token_ok(struct conn *c)
{
	const struct auth *a = app_of(c)->auth;
	char v[512];

	if (!auth_enabled(a) || app_token_ok(c))
		return true;
	if ((http_header(c, "x-auth-token", v, sizeof(v)) > 0 ||
	     http_query(c, "X-Auth-Token", v, sizeof(v)) > 0) &&
	    auth_check_header(a, v))
		return true;
	return false;
}

void api_judge0(struct conn *c)
{
	struct judge0 *j0 = app_of(c)->judge0;
	const char *p = c->http->path;
	enum http_method m = c->http->method == HTTP_HEAD ? HTTP_GET
							  : c->http->method;

	if (!strncmp(p, "/judge0", 7))
		p += 7;
	if (!j0) {
		reply_error(c, 503, "the Judge0 API is not available (no "
			    "database)");
		return;
	}
	if (!token_ok(c)) {
		http_reply(c, 401, "application/json",
			   "{\"error\":\"Unauthorized\"}", 24, NULL);
		return;
	}
	if (!strcmp(p, "/submissions") || !strcmp(p, "/submissions/")) {
		if (m == HTTP_POST)
			create(j0, c);
		else if (m == HTTP_GET)	/* Judge0: needs an authorization */
			reply_error(c, 403, "listing every submission is not "
				    "available");
		else
			not_found(c);
	} else if (!strcmp(p, "/submissions/batch")) {
		if (m == HTTP_POST)
			batch_create(j0, c);
		else if (m == HTTP_GET)
			batch_show(j0, c);
		else
			not_found(c);
	} else if (!strncmp(p, "/submissions/", 13)) {
		if (m == HTTP_GET)
			show(j0, c, p + 13);
		else if (m == HTTP_DELETE)
			destroy(j0, c, p + 13);
		else
			not_found(c);
	} else if (m != HTTP_GET && m != HTTP_POST) {
		not_found(c);
	} else if (!strcmp(p, "/authenticate") || !strcmp(p, "/authorize")) {
		http_reply(c, 200, "application/json", "{}", 2, NULL);
	} else if (m != HTTP_GET) {
		not_found(c);
	} else if (!strcmp(p, "/languages") || !strcmp(p, "/languages/")) {
		languages(j0, c, false);
	} else if (!strcmp(p, "/languages/all")) {
		languages(j0, c, true);
	} else if (!strncmp(p, "/languages/", 11)) {
		language(j0, c, p + 11);
	} else if (!strcmp(p, "/statuses")) {
		statuses(c);
	} else if (!strcmp(p, "/about") || !strcmp(p, "") || !strcmp(p, "/")) {
		about(c);
	} else if (!strcmp(p, "/version")) {
		http_reply(c, 200, "text/plain", "1.13.1", 6, NULL);
	} else if (!strcmp(p, "/system_info")) {
		system_info(c);
	} else if (!strcmp(p, "/config_info")) {
		http_reply_json(c, 200, judge0_config_json(&j0->cfg));
	} else if (!strcmp(p, "/workers")) {
		workers(j0, c);
	} else {
		not_found(c);
	}
}

/* ---- the service ----------------------------------------------------- */

void judge0_stats(const struct judge0 *j0, struct judge0_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!j0)
		return;
	store_judge0_bytes(j0->store, &out->stored_bytes);
	out->evicted = j0->evicted;
	out->refused = j0->refused;
	out->callbacks_in_flight = j0->cb.inflight;
	out->callbacks_dropped = j0->cb.dropped;
}

static void on_sweep(uv_timer_t *t)
{
	struct judge0 *j0 = t->data;
	unsigned n = 0;

	if (j0->closing)
		return;
	if (store_judge0_expire(j0->store, now_ms() - (int64_t)j0->keep_ms,
				&n) == 0 && n)
		log_info("judge0: %u submissions expired", n);
	/* the outputs of those that finished since may have passed it */
	make_room(j0, 0);
	/* the ones that found the queue full (after a restart) */
	for (struct live *l = j0->live, *next; l; l = next) {
		next = l->next;
		if (l->job)
			continue;
		int err = admit(l);
		if (err == -EBUSY || err == -EAGAIN)
			break;	/* still full: later */
		if (err)
			finish_internal(l, strerror(-err));
	}
}

/* A submission left waiting or running by the last stop. */
static int on_unfinished(void *arg, struct store_judge0 *r)
{
	struct judge0 *j0 = arg;
	struct judge0_sub s;

	if (judge0_from_row(j0->app->langs, r, &s))
		return 0;
	if (!live_new(j0, &s))
		judge0_sub_release(&s);
	return 0;
}

struct judge0 *judge0_open(struct app *app, uv_loop_t *loop,
			   const struct judge0_options *o)
{
	struct judge0 *j0 = calloc(1, sizeof(*j0));
	struct api_ctx ctx = app_api_ctx(app);
	unsigned n = 0;

	if (!j0)
		return NULL;
	j0->app = app;
	j0->loop = loop;
	j0->keep_ms = o->keep_ms;
	j0->max_bytes = o->max_bytes ? o->max_bytes : UINT64_MAX;
	if (!(j0->store = o->store) || !j0->store->db) {
		log_error("judge0: no database");
		free(j0);
		return NULL;
	}
	j0->policy.hosts = o->callback_hosts;
	j0->policy.allow_private = o->callback_private;
	j0->policy.timeout_ms = o->callback_timeout_ms ? o->callback_timeout_ms
						       : 5000;
	j0->policy.tries = 3;
	j0->policy.max_inflight = o->callback_max;
	callbacks_init(&j0->cb, loop, &j0->policy);
	judge0_config_init(&j0->cfg, &ctx);
	j0->cfg.enable_callbacks = o->callback_hosts && o->callback_hosts[0];
	store_judge0_unfinished(j0->store, on_unfinished, j0);
	for (struct live *l = j0->live; l; l = l->next)
		n++;
	if (n)
		log_info("judge0: %u submissions left waiting by the last stop "
			 "run again", n);
	uv_timer_init(loop, &j0->sweep);
	j0->sweep.data = j0;
	uv_timer_start(&j0->sweep, on_sweep, 0, SWEEP_MS);
	uv_unref((uv_handle_t *)&j0->sweep);
	return j0;
}

void judge0_shutdown(struct judge0 *j0)
{
	if (!j0)
		return;
	j0->closing = true;
	uv_timer_stop(&j0->sweep);
	callbacks_close(&j0->cb);
}

static void on_sweep_closed(uv_handle_t *h)
{
	free(h->data);
}

void judge0_close(struct judge0 *j0)
{
	if (!j0)
		return;
	judge0_shutdown(j0);
	while (j0->live)
		live_free(j0->live);
	uv_close((uv_handle_t *)&j0->sweep, on_sweep_closed);
}
