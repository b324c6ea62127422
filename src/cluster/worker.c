/*
 * worker.c - the worker role (see worker.h).
 *
 * One struct export per run this worker holds: the run's subscriber (its
 * callbacks turn output, state, stage and the end into events), the
 * gateways reading it with their acknowledged offsets, the outbox of
 * commands Redis has not confirmed yet (sent in order, again after a
 * reconnect), and the ids of its output entries, to trim what every
 * reader has and the scrollback does not need.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/entry.h"
#include "cluster/job.h"
#include "cluster/scripts.h"
#include "cluster/worker.h"
#include "lib/log.h"
#include "run/lang.h"
#include "run/run.h"

#define OUT_ARGS 10
#define READERS_MAX 32
#define MARKS_MAX 4096		/* output entries remembered for trimming */
#define TRIM_EVERY 16		/* entries trimmed at once */
#define RUN_TTL_MS 60000	/* a running run's keys, refreshed */
#define CLAIM_BLOCK_MS 5000
#define USAGE_BEHIND 4		/* commands waiting: usage samples drop */

struct export;

/* A command for Redis that is kept until Redis confirms it. */
struct outcmd {
	struct outcmd *next;
	int argc;
	const char *argv[OUT_ARGS];
	size_t lens[OUT_ARGS];
	char *mem;		/* the copied arguments */
	size_t bytes;
	bool inflight;
	bool is_out;		/* an output event: remember its entry id */
	uint64_t out_end;	/* its end offset */
	void (*done)(struct export *x, redisReply *r);
};

struct mark {
	char id[48];
	uint64_t end;		/* output offset after this entry */
};

struct reader_ack {
	char node[NODE_ID_MAX + 1];
	uint64_t acked;
};

struct export {
	struct export *next;
	struct worker *w;
	struct run_sub sub;
	struct run *run;		/* NULL once it ended */
	char id[33];			/* the cluster's run id */
	char job[48];			/* its entry in the job stream */
	enum run_class cls;		/* which stream: jobs:i or jobs:b */
	char ev_key[128], meta_key[128];
	enum run_mode mode;
	char lang[64];
	uint64_t produced;		/* output bytes in events so far */
	uint64_t input_recv;		/* input bytes handed to the run */
	struct reader_ack readers[READERS_MAX];
	unsigned nreaders;
	bool claimed;			/* the claim is in Redis */
	bool paused;
	bool ended;			/* the finish is queued */
	bool unfinished;		/* not yet confirmed finished */
	uv_timer_t orphan;
	struct outcmd *out_head, *out_tail;
	size_t out_bytes, out_n;
	struct mark *marks;		/* output entries, oldest first */
	size_t nmarks, marks_cap;
	unsigned dropped;		/* marks dropped since the last XTRIM */
	char last_dropped[48];
	bool usage_out;			/* a usage event Redis has not taken */
	char usage_id[48];		/* the stream's usage event, "" none */
};

struct worker {
	struct cluster *c;
	struct reader_sub ctl;
	bool ready;
	bool claiming;
	bool stopping;
	unsigned groups_checked;	/* job streams whose group exists */
	unsigned reading;		/* classes of the XREADGROUP out */
	bool unblocking;		/* a CLIENT UNBLOCK of it is out */
	struct export *exports;
	unsigned held[RUN_NCLASS];	/* exports not finished, by class */
	uint64_t claimed_total;
	struct buf done_ids;		/* control entries to delete */
};

/* The job stream of a class, and its letter in the scripts' keys. */
static const char *const jobs_key[RUN_NCLASS] = { KEY_JOBS_I, KEY_JOBS_B };

static const char *class_letter(enum run_class cls)
{
	return cls == RUN_BATCH ? "b" : "i";
}

#define export_of(subp) \
	((struct export *)((char *)(subp) - offsetof(struct export, sub)))

static void maybe_claim(struct worker *w);
static void pump(struct export *x);
static void flow(struct export *x);

/* ---- the outbox --------------------------------------------------------- */

/* Queues a command; args whose bit is set in keep are static (not
 * copied). false on ENOMEM (logged: the command is lost). */
static bool queue_cmd(struct export *x, int argc, const char *const *argv,
		      const size_t *lens, unsigned keep,
		      void (*done)(struct export *, redisReply *))
{
	struct outcmd *o = calloc(1, sizeof(*o));
	size_t total = 0, off = 0;

	if (!o || argc > OUT_ARGS)
		goto out_nomem;
	for (int i = 0; i < argc; i++)
		if (!(keep & (1u << i)))
			total += lens[i];
	if (!(o->mem = malloc(total ? total : 1)))
		goto out_nomem;
	for (int i = 0; i < argc; i++) {
		if (keep & (1u << i)) {
			o->argv[i] = argv[i];
		} else {
			memcpy(o->mem + off, argv[i], lens[i]);
			o->argv[i] = o->mem + off;
			off += lens[i];
		}
		o->lens[i] = lens[i];
	}
	o->argc = argc;
	o->bytes = total;
	o->done = done;
	if (x->out_tail)
		x->out_tail->next = o;
	else
		x->out_head = o;
	x->out_tail = o;
	x->out_bytes += total;
	x->out_n++;
	pump(x);
	return true;
out_nomem:
	if (o)
		free(o->mem);
	free(o);
	log_error("cluster: run %s: out of memory, an event is lost", x->id);
	return false;
}

static void outcmd_free(struct outcmd *o)
{
	free(o->mem);
	free(o);
}

static void add_mark(struct export *x, const char *id, size_t len,
		     uint64_t end)
{
	if (len >= sizeof(x->marks[0].id))
		return;
	if (x->nmarks == x->marks_cap) {
		size_t cap = x->marks_cap ? 2 * x->marks_cap : 64;
		struct mark *m;
		if (cap > MARKS_MAX || !(m = realloc(x->marks, cap * sizeof(*m)))) {
			/* too many: forget the oldest (it is trimmed later by
			 * the next XTRIM past it) */
			memmove(x->marks, x->marks + 1,
				(x->nmarks - 1) * sizeof(*x->marks));
			x->nmarks--;
		} else {
			x->marks = m;
			x->marks_cap = cap;
		}
	}
	memcpy(x->marks[x->nmarks].id, id, len);
	x->marks[x->nmarks].id[len] = '\0';
	x->marks[x->nmarks].end = end;
	x->nmarks++;
}

static void export_free(struct export *x);
static void trim(struct export *x);

static void on_out_reply(struct redis_link *l, redisReply *r, void *data)
{
	struct export *x = data;
	struct outcmd *o = x->out_head;

	(void)l;
	if (!o)
		return;
	if (!r) {		/* the link went: send it again once it is back */
		for (struct outcmd *p = o; p; p = p->next)
			p->inflight = false;
		return;
	}
	x->out_head = o->next;
	if (!x->out_head)
		x->out_tail = NULL;
	x->out_bytes -= o->bytes;
	x->out_n--;
	if (r->type == REDIS_REPLY_ERROR)
		log_warn("cluster: run %s: Redis refused an event: %.200s", x->id,
			 r->str);
	else if (o->is_out && r->type == REDIS_REPLY_STRING)
		add_mark(x, r->str, r->len, o->out_end);
	bool was_out = o->is_out;
	if (o->done)
		o->done(x, r);
	outcmd_free(o);
	if (!x->unfinished && !x->out_head) {
		export_free(x);
		return;
	}
	if (was_out)
		trim(x);
	flow(x);
}

static void pump(struct export *x)
{
	struct redis_link *l = &x->w->c->cmd;

	for (struct outcmd *o = x->out_head; o; o = o->next) {
		if (o->inflight)
			continue;
		if (redis_link_cmd(l, on_out_reply, x, 0, o->argc, o->argv,
				   o->lens))
			return;	/* down: again on the next link up */
		o->inflight = true;
	}
}

/* Queues an event for the run's stream; done(), if any, gets Redis's
 * answer (the entry id). */
static void queue_event_done(struct export *x, const struct run_event *ev,
			     void (*done)(struct export *, redisReply *))
{
	struct buf b;
	const char *argv[] = { "XADD", x->ev_key, "MAXLEN", "~", "10000", "*",
			       "e", NULL };
	size_t lens[8];

	buf_init(&b, ENTRY_DATA_MAX + 64);
	if (event_encode(ev, &b)) {
		log_error("cluster: run %s: cannot encode an event", x->id);
		buf_release(&b);
		return;
	}
	argv[7] = b.data;
	for (int i = 0; i < 7; i++)
		lens[i] = strlen(argv[i]);
	lens[7] = b.len;
	if (queue_cmd(x, 8, argv, lens, 0x7d, done) && ev->type == EVENT_OUTPUT) {
		x->out_tail->is_out = true;
		x->out_tail->out_end = ev->offset + ev->len;
	}
	buf_release(&b);
}

static void queue_event(struct export *x, const struct run_event *ev)
{
	queue_event_done(x, ev, NULL);
}

/* ---- readers, flow control, trimming ------------------------------------ */

static uint64_t min_ack(const struct export *x)
{
	uint64_t m = x->produced;

	for (unsigned i = 0; i < x->nreaders; i++)
		if (x->readers[i].acked < m)
			m = x->readers[i].acked;
	return m;
}

static void flow(struct export *x)
{
	bool p;

	if (!x->run)
		return;
	p = x->produced - min_ack(x) > WORKER_WINDOW ||
	    x->out_bytes > WORKER_WINDOW;
	if (p != x->paused) {
		x->paused = p;
		log_debug("cluster: run %s: %s", x->id, p ? "paused (readers or "
			  "Redis behind)" : "resumed");
		run_sub_pause(&x->sub, p);
	}
}

static void on_trimmed(struct redis_link *l, redisReply *r, void *data)
{
	(void)l;
	(void)r;
	(void)data;
}

/* Drops from the stream what every reader has and the scrollback does
 * not need. */
static void trim(struct export *x)
{
	struct run_engine *e = x->w->c->engine;
	uint64_t keep = min_ack(x), back;
	size_t k = 0;
	char minid[48];

	back = x->mode == RUN_TTY ? e->scrollback : 0;
	if (x->produced - back < keep && x->produced >= back)
		keep = x->produced - back;
	else if (x->produced < back)
		keep = 0;
	while (k < x->nmarks && x->marks[k].end <= keep)
		k++;
	if (!k)
		return;
	snprintf(x->last_dropped, sizeof(x->last_dropped), "%s",
		 x->marks[k - 1].id);
	memmove(x->marks, x->marks + k, (x->nmarks - k) * sizeof(*x->marks));
	x->nmarks -= k;
	x->dropped += (unsigned)k;
	if (x->dropped < TRIM_EVERY && !x->ended)
		return;
	x->dropped = 0;
	if (x->nmarks) {
		snprintf(minid, sizeof(minid), "%s", x->marks[0].id);
	} else {	/* just past the last dropped entry */
		unsigned long long ms = 0, seq = 0;
		if (sscanf(x->last_dropped, "%llu-%llu", &ms, &seq) != 2)
			return;
		snprintf(minid, sizeof(minid), "%llu-%llu", ms, seq + 1);
	}
	const char *args[] = { "XTRIM", x->ev_key, "MINID", minid, NULL };
	redis_link_cmdv(&x->w->c->cmd, on_trimmed, NULL, 0, args);
}

static struct reader_ack *find_reader(struct export *x, const char *node)
{
	for (unsigned i = 0; i < x->nreaders; i++)
		if (!strcmp(x->readers[i].node, node))
			return &x->readers[i];
	return NULL;
}

static void on_orphaned(uv_timer_t *t)
{
	struct export *x = t->data;

	if (x->run && !x->nreaders) {
		log_info("cluster: run %s: no gateway follows it any more, "
			 "killing", x->id);
		run_kill(x->run, RUN_KILL_ORPHANED);
	}
}

/* Nobody follows the run: the reattach grace (terminal), or the end. */
static void orphaned(struct export *x)
{
	if (!x->run || x->nreaders)
		return;
	if (x->mode == RUN_PIPES || x->w->c->engine->orphan_ms == 0)
		run_kill(x->run, RUN_KILL_ORPHANED);
	else
		uv_timer_start(&x->orphan, on_orphaned,
			       x->w->c->engine->orphan_ms, 0);
}

static void add_reader(struct export *x, const char *node, uint64_t acked)
{
	struct reader_ack *ra = find_reader(x, node);

	if (!ra) {
		if (x->nreaders == READERS_MAX)
			return;
		ra = &x->readers[x->nreaders++];
		snprintf(ra->node, sizeof(ra->node), "%s", node);
		ra->acked = 0;
		uv_timer_stop(&x->orphan);
	}
	if (acked > ra->acked && acked <= x->produced)
		ra->acked = acked;
}

static void drop_reader(struct export *x, struct reader_ack *ra)
{
	*ra = x->readers[--x->nreaders];
	if (!x->nreaders)
		orphaned(x);
}

/* ---- the run's subscriber ----------------------------------------------- */

static void on_output(struct run_sub *sub, enum run_stream stream,
		      const char *p, size_t n)
{
	struct export *x = export_of(sub);

	while (n) {
		size_t k = n < WORKER_CHUNK ? n : WORKER_CHUNK;
		struct run_event ev = { .type = EVENT_OUTPUT, .stream = stream,
					.offset = x->produced, .data = p,
					.len = k };
		queue_event(x, &ev);
		x->produced += k;
		p += k;
		n -= k;
	}
	flow(x);
}

static void on_state(struct run_sub *sub, enum run_state state)
{
	struct export *x = export_of(sub);
	uint64_t pend = x->run ? run_input_pending(x->run) : 0;
	struct run_event ev = {
		.type = EVENT_STATE, .state = state,
		.canonical = x->run && run_tty_canonical(x->run),
		.input_done = x->input_recv > pend ? x->input_recv - pend : 0,
	};

	queue_event(x, &ev);
}

static void on_stage(struct run_sub *sub, enum run_step step)
{
	struct export *x = export_of(sub);
	struct run_event ev = { .type = EVENT_STAGE, .step = step };

	queue_event(x, &ev);
}

/* Redis took a usage event: the one before it goes, so the stream holds
 * one sample at most however long the run lasts (a reader that had not
 * read it skips it). */
static void on_usage_added(struct export *x, redisReply *r)
{
	x->usage_out = false;
	if (r->type != REDIS_REPLY_STRING || !r->len ||
	    r->len >= sizeof(x->usage_id))
		return;
	if (x->usage_id[0]) {
		const char *args[] = { "XDEL", x->ev_key, x->usage_id, NULL };
		redis_link_cmdv(&x->w->c->cmd, on_trimmed, NULL, 0, args);
	}
	memcpy(x->usage_id, r->str, r->len);
	x->usage_id[r->len] = '\0';
}

/* A sample of the run (the job asked for them): sent only while it is
 * fresh, as on a single node a sample is dropped rather than queued; not
 * while the last one is unanswered, output waits for Redis or a reader
 * is behind. */
static void on_usage(struct run_sub *sub, const struct run_usage *u)
{
	struct export *x = export_of(sub);
	struct run_event ev = { .type = EVENT_USAGE, .usage = *u };

	if (x->usage_out || x->paused || x->out_n > USAGE_BEHIND)
		return;
	x->usage_out = true;
	queue_event_done(x, &ev, on_usage_added);
}

static void on_finished(struct export *x, redisReply *r)
{
	x->unfinished = false;
	x->w->held[x->cls]--;
	maybe_claim(x->w);
}

/* Queues the end: the exit event, the record, the job acknowledged. */
static void finish(struct export *x, const struct run_result *res)
{
	struct run_event ev = { .type = EVENT_EXIT, .result = *res };
	struct buf evb, rb;
	char linger[24];

	x->ended = true;
	uv_timer_stop(&x->orphan);
	buf_init(&evb, 4096);
	buf_init(&rb, 4096);
	if (event_encode(&ev, &evb) || result_encode(res, &rb)) {
		log_error("cluster: run %s: cannot encode its result", x->id);
		ev.result.status = RUN_INTERNAL_ERROR;
	}
	snprintf(linger, sizeof(linger), "%llu",
		 (unsigned long long)x->w->c->linger_ms);
	const char *argv[] = { "EVAL", SCRIPT_FINISH, "0", x->id, x->job,
			       evb.data ? evb.data : "", rb.data ? rb.data : "",
			       linger, class_letter(x->cls) };
	size_t lens[] = { 4, strlen(SCRIPT_FINISH), 1, strlen(x->id),
			  strlen(x->job), evb.len, rb.len, strlen(linger), 1 };
	queue_cmd(x, 9, argv, lens, 0x107, on_finished);
	buf_release(&evb);
	buf_release(&rb);
	trim(x);
}

static void on_exited(struct run_sub *sub, const struct run_result *res)
{
	struct export *x = export_of(sub);

	x->run = NULL;
	finish(x, res);
}

static const struct run_sub_ops export_ops = {
	.output = on_output,
	.state = on_state,
	.exited = on_exited,
	.stage = on_stage,
	.usage = on_usage,
};

/* ---- exports ------------------------------------------------------------ */

static void on_orphan_closed(uv_handle_t *h)
{
	struct export *x = h->data;

	free(x->marks);
	free(x);
}

static void export_free(struct export *x)
{
	struct worker *w = x->w;

	for (struct export **pp = &w->exports; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	redis_link_forget(&w->c->cmd, x);
	while (x->out_head) {
		struct outcmd *o = x->out_head;
		x->out_head = o->next;
		outcmd_free(o);
	}
	run_detach(&x->sub);
	uv_close((uv_handle_t *)&x->orphan, on_orphan_closed);
}

static struct export *export_new(struct worker *w, const char *id,
				 const char *job, enum run_class cls)
{
	struct export *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->w = w;
	x->sub.ops = &export_ops;
	snprintf(x->id, sizeof(x->id), "%s", id);
	snprintf(x->job, sizeof(x->job), "%s", job);
	x->cls = cls;
	cluster__key(x->ev_key, sizeof(x->ev_key), "ev", id);
	cluster__key(x->meta_key, sizeof(x->meta_key), "run", id);
	uv_timer_init(w->c->loop, &x->orphan);
	x->orphan.data = x;
	x->unfinished = true;
	x->next = w->exports;
	w->exports = x;
	w->held[cls]++;
	return x;
}

static struct export *find_export(struct worker *w, const char *id)
{
	for (struct export *x = w->exports; x; x = x->next)
		if (!strcmp(x->id, id))
			return x;
	return NULL;
}

/* A job that cannot run: its end, at once. */
static void refuse(struct export *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void refuse(struct export *x, const char *fmt, ...)
{
	struct run_result res = { .status = RUN_INTERNAL_ERROR, .exit_code = -1 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res.message, sizeof(res.message), fmt, ap);
	va_end(ap);
	log_warn("cluster: run %s: %s", x->id, res.message);
	finish(x, &res);
}

static void on_claimed(struct export *x, redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER)
		return;
	if (r->element[0]->integer == 0) {	/* stopped while it waited */
		if (x->run)
			run_kill(x->run, RUN_KILL_USER);
		return;
	}
	x->claimed = true;
	if (r->elements > 1 && r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[1]->len && r->element[1]->len <= NODE_ID_MAX) {
		char gw[NODE_ID_MAX + 1];
		memcpy(gw, r->element[1]->str, r->element[1]->len);
		gw[r->element[1]->len] = '\0';
		add_reader(x, gw, 0);
	}
	if (!x->nreaders)
		orphaned(x);
}

static void claim(struct export *x)
{
	struct run_event ev = { .type = EVENT_CLAIMED,
				.worker = x->w->c->node_id };
	struct buf b;
	char ttl[24];

	buf_init(&b, 1024);
	event_encode(&ev, &b);
	snprintf(ttl, sizeof(ttl), "%d", RUN_TTL_MS);
	const char *argv[] = { "EVAL", SCRIPT_CLAIM, "0", x->id,
			       x->w->c->node_id, b.data, x->job, ttl,
			       class_letter(x->cls) };
	size_t lens[] = { 4, strlen(SCRIPT_CLAIM), 1, strlen(x->id),
			  strlen(x->w->c->node_id), b.len, strlen(x->job),
			  strlen(ttl), 1 };
	queue_cmd(x, 9, argv, lens, 0x107, on_claimed);
	buf_release(&b);
}

/* One job from the queue: run it here. */
static void take(struct worker *w, enum run_class k, const char *entry,
		 size_t entry_len, const char *blob, size_t blob_len,
		 const char *run_id)
{
	struct job *j = malloc(sizeof(*j));
	char *copy = malloc(blob_len ? blob_len : 1);
	char entry_id[48];
	struct export *x;
	struct run_request req;
	const struct lang *l;
	int err;

	snprintf(entry_id, sizeof(entry_id), "%.*s", (int)entry_len, entry);
	if (!j || !copy || !(x = export_new(w, run_id, entry_id, k))) {
		log_error("cluster: out of memory taking job %s", entry_id);
		goto out;
	}
	w->claimed_total++;
	memcpy(copy, blob, blob_len);
	if (job_decode(copy, blob_len, j) || strcmp(j->id, run_id)) {
		refuse(x, "the job %s is malformed", entry_id);
		goto out;
	}
	x->mode = j->mode;
	snprintf(x->lang, sizeof(x->lang), "%s", j->lang);
	l = lang_find(w->c->langs, j->lang);
	if (!l || !l->available) {
		char msg[160];
		snprintf(msg, sizeof(msg), "language '%.64s' is not installed on "
			 "worker '%.40s'", j->lang, w->c->node_id);
		refuse(x, "%s", msg);
		goto out;
	}
	job_to_request(j, l, &req);
	req.here = true;
	req.cls = k;	/* its stream says it */
	/* the cluster's queue was its queue: admitted here unless memory or
	 * processes are short (then it waits, never refused); per-client
	 * caps are a single node's (each job is a client of its own) */
	req.continues = true;
	char client[40];
	snprintf(client, sizeof(client), "j%s", run_id);
	req.client = client;
	x->sub.usage = j->usage;	/* the engine samples only then */
	err = run_start(w->c->engine, &req, &x->sub, &x->run);
	if (err) {
		refuse(x, "cannot start the run: %s", run_start_error(err));
		goto out;
	}
	log_info("cluster: run %s: taken (job %s, %s, %s)", x->id, entry_id,
		 l->id, j->mode == RUN_TTY ? "terminal" : "pipes");
	claim(x);
out:
	free(copy);
	free(j);
}

/* ---- claiming ----------------------------------------------------------- */

static void group_done(struct worker *w, redisReply *r, enum run_class k)
{
	if (r)	/* BUSYGROUP (it exists) is an answer too */
		w->groups_checked |= 1u << k;
	maybe_claim(w);
}

static void on_group_i(struct redis_link *l, redisReply *r, void *data)
{
	(void)l;
	group_done(data, r, RUN_INTERACTIVE);
}

static void on_group_b(struct redis_link *l, redisReply *r, void *data)
{
	(void)l;
	group_done(data, r, RUN_BATCH);
}

static void ensure_group(struct worker *w, enum run_class k)
{
	const char *args[] = { "XGROUP", "CREATE", jobs_key[k], JOBS_GROUP, "0",
			       "MKSTREAM", NULL };
	redis_link_cmdv(&w->c->cmd, k == RUN_BATCH ? on_group_b : on_group_i,
			w, 0, args);
}

/* The entries of one stream of an XREADGROUP reply: taken. */
static void take_entries(struct worker *w, enum run_class k,
			 const redisReply *es)
{
	for (size_t i = 0; es && es->type == REDIS_REPLY_ARRAY &&
			   i < es->elements; i++) {
		const redisReply *e = es->element[i], *f;
		const char *blob = NULL, *run = NULL;
		size_t blen = 0;
		char run_id[33] = "";
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		f = e->element[1];
		for (size_t j = 0; f->type == REDIS_REPLY_ARRAY &&
				   j + 1 < f->elements; j += 2) {
			const redisReply *n = f->element[j], *v = f->element[j + 1];
			if (n->type != REDIS_REPLY_STRING ||
			    v->type != REDIS_REPLY_STRING || n->len != 1)
				continue;
			if (n->str[0] == 'j') {
				blob = v->str;
				blen = v->len;
			} else if (n->str[0] == 'r' && v->len == 32) {
				run = v->str;
			}
		}
		if (run)
			memcpy(run_id, run, 32);
		if (!blob || !job_id_valid(run_id)) {
			log_warn("cluster: job %s has no job or run id: "
				 "dropped", e->element[0]->str);
			const char *ack[] = { "XACK", jobs_key[k], JOBS_GROUP,
					      e->element[0]->str, NULL };
			redis_link_cmdv(&w->c->cmd, NULL, NULL, 0, ack);
			continue;
		}
		take(w, k, e->element[0]->str, e->element[0]->len, blob, blen,
		     run_id);
	}
}

static void on_job(struct redis_link *l, redisReply *r, void *data)
{
	struct worker *w = data;

	(void)l;
	w->claiming = false;
	if (!r)
		return;		/* the jobs link went: worker_jobs_up() */
	if (r->type == REDIS_REPLY_ERROR) {
		if (!strncmp(r->str, "NOGROUP", 7))
			w->groups_checked = 0;	/* maybe_claim() makes them */
		else
			log_warn("cluster: XREADGROUP failed: %.200s", r->str);
	} else if (r->type == REDIS_REPLY_ARRAY) {
		/* one [stream, entries] per stream that had any */
		for (size_t i = 0; i < r->elements; i++) {
			const redisReply *st = r->element[i];
			if (st->type != REDIS_REPLY_ARRAY || st->elements != 2 ||
			    st->element[0]->type != REDIS_REPLY_STRING)
				continue;
			for (int k = 0; k < RUN_NCLASS; k++)
				if (!strcmp(st->element[0]->str, jobs_key[k]))
					take_entries(w, (enum run_class)k,
						     st->element[1]);
		}
	}
	maybe_claim(w);
}

static void on_unblocked(struct redis_link *l, redisReply *r, void *data)
{
	(void)l;
	(void)r;
	((struct worker *)data)->unblocking = false;
}

static void unblock(struct worker *w)
{
	char id[32];

	if (w->unblocking || !w->c->jlink.client_id ||
	    !redis_link_up(&w->c->cmd))
		return;
	snprintf(id, sizeof(id), "%lld", w->c->jlink.client_id);
	const char *args[] = { "CLIENT", "UNBLOCK", id, NULL };
	if (redis_link_cmdv(&w->c->cmd, on_unblocked, w, 0, args) == 0)
		w->unblocking = true;
}

/* Whether this worker has a free slot of class k: fewer held than its
 * slots, and none of its runs of that class waiting in the engine's own
 * queue (memory or processes short). */
static bool slot_free(const struct worker *w, enum run_class k)
{
	return w->held[k] < w->c->slots[k] &&
	       !w->c->engine->q[k].waiting;
}

/* Claims from the streams of the classes it has a free slot of, at most
 * one job each: a busy worker never takes a job it cannot start. */
static void maybe_claim(struct worker *w)
{
	const char *args[16];
	char block[16];
	int n = 0, nk = 0;
	enum run_class ks[RUN_NCLASS];

	unsigned mask = 0;

	if (w->stopping || !w->ready || !redis_link_up(&w->c->jlink))
		return;
	for (int k = 0; k < RUN_NCLASS; k++)
		if (slot_free(w, (enum run_class)k)) {
			ks[nk++] = (enum run_class)k;
			mask |= 1u << k;
		}
	if (w->claiming) {
		/* a slot of a class the blocked read does not ask for came
		 * free: make it return now, then read again with it */
		if (mask & ~w->reading)
			unblock(w);
		return;
	}
	if (!nk)
		return;
	for (int i = 0; i < nk; i++) {
		if (!(w->groups_checked & (1u << ks[i]))) {
			if (redis_link_up(&w->c->cmd))
				ensure_group(w, ks[i]);
			return;
		}
	}
	snprintf(block, sizeof(block), "%d", CLAIM_BLOCK_MS);
	args[n++] = "XREADGROUP";
	args[n++] = "GROUP";
	args[n++] = JOBS_GROUP;
	args[n++] = w->c->node_id;
	args[n++] = "COUNT";
	args[n++] = "1";
	args[n++] = "BLOCK";
	args[n++] = block;
	args[n++] = "STREAMS";
	for (int i = 0; i < nk; i++)
		args[n++] = jobs_key[ks[i]];
	for (int i = 0; i < nk; i++)
		args[n++] = ">";
	args[n] = NULL;
	if (redis_link_cmdv(&w->c->jlink, on_job, w,
			    CLAIM_BLOCK_MS + w->c->jlink.cmd_ms, args) == 0) {
		w->claiming = true;
		w->reading = mask;
	}
}

/* ---- control entries ----------------------------------------------------- */

static void on_ctl(struct reader_sub *s, const char *id, const char *e,
		   size_t len)
{
	struct worker *w = s->data;
	struct export *x;
	struct ctl c;
	int err;

	buf_append(&w->done_ids, id, strlen(id) + 1);
	if (ctl_decode(e, len, &c)) {
		log_warn("cluster: a malformed control entry %s: dropped", id);
		return;
	}
	if (!(x = find_export(w, c.run)))
		return;	/* over already */
	switch (c.type) {
	case CTL_INPUT:
		if (!x->run)
			break;
		err = run_input(x->run, c.data, c.len);
		if (err)
			log_debug("cluster: run %s: %zu input bytes dropped: %s",
				  x->id, c.len, strerror(-err));
		else
			x->input_recv += c.len;
		break;
	case CTL_EOF:
		if (x->run)
			run_close_input(x->run);
		break;
	case CTL_USAGE:	/* the engine samples while a sub wants it */
		x->sub.usage = true;
		break;
	case CTL_RESIZE:
		if (x->run)
			run_resize(x->run, c.rows, c.cols);
		break;
	case CTL_KILL:
		if (x->run)
			run_kill(x->run, c.reason);
		break;
	case CTL_SIGNAL:
		if (x->run)
			run_signal(x->run, c.sig);
		break;
	case CTL_ACK:
		add_reader(x, c.gateway, c.offset);
		trim(x);
		flow(x);
		break;
	case CTL_BYE: {
		struct reader_ack *ra = find_reader(x, c.gateway);
		if (ra)
			drop_reader(x, ra);
		trim(x);
		flow(x);
		break;
	}
	}
}

static void on_deleted(struct redis_link *l, redisReply *r, void *data)
{
	(void)l;
	(void)r;
	(void)data;
}

/* Deletes the control entries just handled. */
static void on_ctl_batch(struct reader_sub *s)
{
	struct worker *w = s->data;
	const char *argv[2 + 64];
	size_t lens[2 + 64];
	int n = 2;

	argv[0] = "XDEL";
	argv[1] = w->ctl.key;
	for (const char *p = w->done_ids.data;
	     p && p < w->done_ids.data + w->done_ids.len; p += strlen(p) + 1) {
		argv[n++] = p;
		if (n == 2 + 64 || p + strlen(p) + 1 >=
				       w->done_ids.data + w->done_ids.len) {
			for (int i = 0; i < n; i++)
				lens[i] = strlen(argv[i]);
			redis_link_cmd(&w->c->cmd, on_deleted, NULL, 0, n, argv,
				       lens);
			n = 2;
		}
	}
	buf_reset(&w->done_ids);
}

static const struct reader_sub_ops ctl_ops = {
	.entry = on_ctl,
	.batch_end = on_ctl_batch,
};

/* ---- the worker --------------------------------------------------------- */

struct worker *worker_new(struct cluster *c)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->c = c;
	cluster__key(w->ctl.key, sizeof(w->ctl.key), "ctl", c->node_id);
	snprintf(w->ctl.last, sizeof(w->ctl.last), "0-0");
	w->ctl.ops = &ctl_ops;
	w->ctl.data = w;
	buf_init(&w->done_ids, 1 << 20);
	return w;
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	reader_remove(&w->c->reader, &w->ctl);
	while (w->exports)
		export_free(w->exports);
	buf_release(&w->done_ids);
	free(w);
}

void worker_ready(struct worker *w)
{
	if (w->ready)
		return;
	w->ready = true;
	reader_add(&w->c->reader, &w->ctl);
	maybe_claim(w);
}

static void on_reasserted(struct redis_link *l, redisReply *r, void *data)
{
	struct export *x = data;

	(void)l;
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 0 && x->run) {
		/* declared lost while we were cut off: nobody sees it */
		log_warn("cluster: run %s: the cluster gave it up while this "
			 "worker was unreachable; killing it", x->id);
		run_kill(x->run, RUN_KILL_ORPHANED);
	}
}

void worker_cmd_up(struct worker *w)
{
	char ttl[24];

	snprintf(ttl, sizeof(ttl), "%d", RUN_TTL_MS);
	w->groups_checked = 0;
	for (struct export *x = w->exports, *n; x; x = n) {
		n = x->next;
		/* the records may have gone with a Redis restart */
		if (x->claimed && !x->ended) {
			const char *args[] = { "EVAL", SCRIPT_REASSERT, "0", x->id,
					       w->c->node_id,
					       x->mode == RUN_TTY ? "tty" : "pipes",
					       x->lang, x->job, ttl,
					       class_letter(x->cls), NULL };
			redis_link_cmdv(&w->c->cmd, on_reasserted, x, 0, args);
		}
		pump(x);
	}
	maybe_claim(w);
}

void worker_jobs_up(struct worker *w)
{
	w->claiming = false;
	maybe_claim(w);
}

static void on_refreshed(struct redis_link *l, redisReply *r, void *data)
{
	(void)l;
	(void)r;
	(void)data;
}

void worker_nodes_changed(struct worker *w)
{
	const struct node_table *t = &w->c->nodes;
	char ttl[24];

	snprintf(ttl, sizeof(ttl), "%d", RUN_TTL_MS);
	for (struct export *x = w->exports; x; x = x->next) {
		if (!w->c->heard)
			break;
		for (unsigned i = 0; i < x->nreaders;) {
			if (!node_find(t, x->readers[i].node)) {
				log_info("cluster: run %s: gateway '%s' is gone",
					 x->id, x->readers[i].node);
				drop_reader(x, &x->readers[i]);
				trim(x);
				flow(x);
				continue;
			}
			i++;
		}
		/* keep a running run's keys alive */
		if (x->claimed && !x->ended && t->refreshes % 10 == 0) {
			const char *a[] = { "PEXPIRE", x->meta_key, ttl, NULL };
			const char *b[] = { "PEXPIRE", x->ev_key, ttl, NULL };
			redis_link_cmdv(&w->c->cmd, on_refreshed, NULL, 0, a);
			redis_link_cmdv(&w->c->cmd, on_refreshed, NULL, 0, b);
		}
	}
	maybe_claim(w);
}

unsigned worker_used(const struct worker *w, enum run_class cls)
{
	return w->held[cls];
}

char *worker_langs(const struct worker *w)
{
	const struct lang_table *t = w->c->langs;
	struct buf b;
	char *s;

	buf_init(&b, 65536);
	for (size_t i = 0; i < t->n; i++) {
		const struct lang *l = &t->v[i];
		if (!l->available)
			continue;
		if (b.len)
			buf_append(&b, ",", 1);
		buf_append(&b, l->id, strlen(l->id));
		buf_append(&b, "=", 1);
		for (const char *p = l->version; *p; p++)
			if (*p != ',' && *p != '=')
				buf_append(&b, p, 1);
	}
	s = strdup(buf_str(&b));
	buf_release(&b);
	return s;
}

void worker_stop(struct worker *w)
{
	w->stopping = true;
}

bool worker_drained(const struct worker *w)
{
	for (const struct export *x = w->exports; x; x = x->next)
		if (x->unfinished || x->out_head)
			return false;
	return true;
}
