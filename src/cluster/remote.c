/*
 * remote.c - the gateway role: remote runs (see remote.h).
 *
 * One struct proxy per remote run: the engine's struct run it serves, the
 * run's events stream it follows (cluster/reader.h), its worker once
 * known, the output offset reached and acknowledged, and what waits for
 * the worker (input, resize, end of input, a signal, a kill). What this
 * gateway owes the cluster after a proxy is gone (a "bye" to the worker,
 * the release of a job not claimed yet) is kept in a small list until
 * Redis has it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/entry.h"
#include "cluster/job.h"
#include "cluster/remote.h"
#include "cluster/scripts.h"
#include "lib/limit.h"
#include "lib/log.h"
#include "run/lang.h"
#include "run/run.h"

#define QUEUED_TTL_MS (24 * 3600 * 1000)	/* a queued run's record */
#define ACK_EVERY (16u * 1024)

struct proxy {
	struct proxy *next;
	struct remote *rm;
	struct run *r;
	char id[33];
	char worker[NODE_ID_MAX + 1];	/* "" until claimed */
	char meta_key[128];
	struct reader_sub rs;		/* its events */
	struct buf job;			/* started here: the job, until claimed */
	enum run_mode mode;
	char lang[64];
	enum run_class cls;		/* its job's stream */
	uint64_t queued_ms;		/* origin: when it was queued */
	bool timeout_sent;		/* waited too long: taken out */
	bool keep_stdin;
	bool origin;			/* started through this gateway */
	bool enqueue_unsure;		/* the enqueue's answer was lost */
	bool claimed;
	bool exited;
	bool told_down;			/* subscribers know the link is down */
	bool lost_sent;
	bool paused;
	uint64_t offset;		/* output bytes taken */
	bool offset_known;
	uint64_t acked;			/* last offset acknowledged */
	bool ack_due;
	struct buf inbuf;		/* input waiting for the worker */
	uint64_t in_sent, in_done;
	uint16_t rows, cols;
	bool resize_due, eof_due;
	bool usage_asked, usage_due;	/* the worker sends usage samples */
	int sig_due;
	int kill_due;			/* reason + 1, or 0 */
	uint64_t missing_since;		/* its worker not seen alive */
	/* attach by id: the state found in the history */
	enum run_state hist_state;
	bool hist_canonical;
};

/* Something this gateway must still tell the cluster. */
struct owed {
	struct owed *next;
	char run[33];
	char worker[NODE_ID_MAX + 1];	/* "": the run was not claimed */
	bool kill;			/* not claimed, pipes: take it out */
};

struct remote {
	struct cluster *c;
	struct proxy *proxies;
	unsigned n;
	unsigned inflight;		/* enqueues not answered yet */
	struct owed *owed;
	uint64_t up_since;		/* the command link's */
};

static const struct run_backend_ops backend_ops;

/* ---- results made here -------------------------------------------------- */

static void lost_result(struct run_result *res, const char *worker)
{
	memset(res, 0, sizeof(*res));
	res->status = RUN_WORKER_LOST;
	res->exit_code = -1;
	res->ran = true;
	snprintf(res->message, sizeof(res->message), "the worker running it "
		 "('%.60s') stopped answering (killed, or its machine is "
		 "gone); its output may be cut short", worker);
}

static void killed_result(struct run_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = RUN_KILLED;
	res->exit_code = -1;
	snprintf(res->message, sizeof(res->message),
		 "stopped before a worker took it");
}

static void internal_result(struct run_result *res, const char *msg)
{
	memset(res, 0, sizeof(*res));
	res->status = RUN_INTERNAL_ERROR;
	res->exit_code = -1;
	snprintf(res->message, sizeof(res->message), "%s", msg);
}

/* Encodes res as an exit event and alone. false on failure. */
static bool encode_exit(const struct run_result *res, struct buf *ev,
			struct buf *alone)
{
	struct run_event e = { .type = EVENT_EXIT, .result = *res };

	buf_init(ev, 4096);
	buf_init(alone, 4096);
	if (event_encode(&e, ev) || result_encode(res, alone)) {
		buf_release(ev);
		buf_release(alone);
		return false;
	}
	return true;
}

/* ---- sending to the worker ----------------------------------------------- */

static void on_ignore(struct redis_link *l, redisReply *r, void *data)
{
	(void)l;
	(void)data;
	if (r && r->type == REDIS_REPLY_ERROR)
		log_warn("cluster: Redis refused a command: %.200s", r->str);
}

/* XADD of a control entry to the run's worker. 0 or -errno. */
static int send_ctl(struct proxy *p, const struct ctl *c)
{
	struct cluster *cl = p->rm->c;
	char key[128];
	struct buf b;
	int err;

	cluster__key(key, sizeof(key), "ctl", p->worker);
	buf_init(&b, ENTRY_DATA_MAX + 512);
	if ((err = ctl_encode(c, &b)))
		goto out;
	const char *argv[] = { "XADD", key, "MAXLEN", "~", "10000", "*", "e",
			       b.data };
	size_t lens[] = { 4, strlen(key), 6, 1, 5, 1, 1, b.len };
	err = redis_link_cmd(&cl->cmd, on_ignore, NULL, 0, 8, argv, lens);
out:
	buf_release(&b);
	return err;
}

static bool can_send(const struct proxy *p)
{
	return p->claimed && p->worker[0] && redis_link_up(&p->rm->c->cmd);
}

static void send_ack(struct proxy *p)
{
	struct ctl c = { .type = CTL_ACK, .run = p->id,
			 .gateway = p->rm->c->node_id, .offset = p->offset };

	if (!can_send(p) || p->exited)
		return;
	if (send_ctl(p, &c) == 0) {
		p->acked = p->offset;
		p->ack_due = false;
	}
}

/* Sends what waited for the worker (or for the link). */
static void flush(struct proxy *p)
{
	if (!can_send(p) || p->exited)
		return;
	if (p->resize_due) {
		struct ctl c = { .type = CTL_RESIZE, .run = p->id,
				 .rows = p->rows, .cols = p->cols };
		if (send_ctl(p, &c))
			return;
		p->resize_due = false;
	}
	while (p->inbuf.len) {
		size_t n = p->inbuf.len < ENTRY_DATA_MAX ? p->inbuf.len
							 : ENTRY_DATA_MAX;
		struct ctl c = { .type = CTL_INPUT, .run = p->id,
				 .data = p->inbuf.data, .len = n };
		if (send_ctl(p, &c))
			return;
		buf_consume(&p->inbuf, n);
	}
	if (p->eof_due) {
		struct ctl c = { .type = CTL_EOF, .run = p->id };
		if (send_ctl(p, &c))
			return;
		p->eof_due = false;
	}
	if (p->usage_due) {
		struct ctl c = { .type = CTL_USAGE, .run = p->id };
		if (send_ctl(p, &c))
			return;
		p->usage_due = false;
	}
	if (p->sig_due) {
		struct ctl c = { .type = CTL_SIGNAL, .run = p->id,
				 .sig = p->sig_due };
		if (send_ctl(p, &c))
			return;
		p->sig_due = 0;
	}
	if (p->kill_due) {
		struct ctl c = { .type = CTL_KILL, .run = p->id,
				 .reason = (enum run_kill_reason)(p->kill_due - 1) };
		if (send_ctl(p, &c))
			return;
		p->kill_due = 0;
	}
}

/* ---- the run's events ---------------------------------------------------- */

static void proxy_exited(struct proxy *p, const struct run_result *res)
{
	if (p->exited)
		return;
	p->exited = true;
	reader_remove(&p->rm->c->reader, &p->rs);
	buf_release(&p->job);
	run_remote_exited(p->r, res);	/* may release p */
}

/* Output bytes at offset 'off': the part not taken yet, to the run. */
static void take_output(struct proxy *p, const struct run_event *ev,
			bool history)
{
	const char *d = ev->data;
	size_t n = ev->len;

	if (!p->offset_known) {
		p->offset = ev->offset;
		p->offset_known = true;
	}
	if (ev->offset + n <= p->offset)
		return;		/* sent again after a reconnect */
	if (ev->offset < p->offset) {
		d += p->offset - ev->offset;
		n -= (size_t)(p->offset - ev->offset);
	} else if (ev->offset > p->offset) {
		log_warn("cluster: run %s: %llu output bytes were lost (trimmed "
			 "or lost with Redis)", p->id,
			 (unsigned long long)(ev->offset - p->offset));
	}
	p->offset = ev->offset + ev->len;
	if (p->offset - p->acked >= ACK_EVERY)
		p->ack_due = true;
	/* last: p is not touched after the run had its output */
	if (history)
		run_remote_history(p->r, d, n);
	else
		run_remote_output(p->r, ev->stream, d, n);
}

static void claimed_by(struct proxy *p, const char *worker)
{
	if (p->claimed && !strcmp(p->worker, worker))
		return;
	snprintf(p->worker, sizeof(p->worker), "%s", worker);
	p->claimed = true;
	p->missing_since = 0;
	buf_release(&p->job);	/* no more need to queue it again */
}

/* One live event. Returns false when p is gone. */
static void on_event(struct reader_sub *s, const char *id, const char *e,
		     size_t len)
{
	struct proxy *p = s->data;
	struct run_event ev;

	if (event_decode(e, len, &ev)) {
		log_warn("cluster: run %s: a malformed event %s: dropped", p->id,
			 id);
		return;
	}
	switch (ev.type) {
	case EVENT_CLAIMED:
		claimed_by(p, ev.worker);
		flush(p);
		p->ack_due = true;
		break;
	case EVENT_STAGE:
		run_remote_stage(p->r, ev.step);
		break;
	case EVENT_OUTPUT:
		take_output(p, &ev, false);
		break;
	case EVENT_STATE:
		p->in_done = ev.input_done;
		run_remote_state(p->r, ev.state, ev.canonical);
		break;
	case EVENT_EXIT:
		proxy_exited(p, &ev.result);	/* p may be gone */
		break;
	case EVENT_USAGE:
		run_remote_usage(p->r, &ev.usage);
		break;
	}
}

static void on_batch_end(struct reader_sub *s)
{
	struct proxy *p = s->data;

	if ((p->ack_due || p->offset > p->acked) && !p->paused)
		send_ack(p);
}

static const struct reader_sub_ops event_ops = {
	.entry = on_event,
	.batch_end = on_batch_end,
};

/* ---- proxies ------------------------------------------------------------- */

static struct proxy *proxy_new(struct remote *rm, struct run *r)
{
	struct proxy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->rm = rm;
	p->r = r;
	snprintf(p->id, sizeof(p->id), "%s", run_id(r));
	cluster__key(p->meta_key, sizeof(p->meta_key), "run", p->id);
	cluster__key(p->rs.key, sizeof(p->rs.key), "ev", p->id);
	snprintf(p->rs.last, sizeof(p->rs.last), "0-0");
	p->rs.ops = &event_ops;
	p->rs.data = p;
	buf_init(&p->job, JOB_BYTES_MAX);
	buf_init(&p->inbuf, rm->c->engine->input_max);
	p->next = rm->proxies;
	rm->proxies = p;
	rm->n++;
	run_remote_set_data(r, p);
	return p;
}

static void proxy_free(struct proxy *p)
{
	struct remote *rm = p->rm;

	for (struct proxy **pp = &rm->proxies; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	rm->n--;
	reader_remove(&rm->c->reader, &p->rs);
	redis_link_forget(&rm->c->cmd, p);
	buf_release(&p->job);
	buf_release(&p->inbuf);
	free(p);
}

static const char *mode_name(enum run_mode m)
{
	return m == RUN_TTY ? "tty" : "pipes";
}

static const char *class_letter(enum run_class k)
{
	return k == RUN_BATCH ? "b" : "i";
}

static void on_enqueued(struct redis_link *l, redisReply *r, void *data)
{
	struct proxy *p = data;
	struct run_result res;

	(void)l;
	p->rm->inflight--;
	if (!r) {	/* did it get there? asked again on the reconnect */
		p->enqueue_unsure = true;
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		log_warn("cluster: run %s: cannot queue: %.200s", p->id, r->str);
		internal_result(&res, "the cluster could not queue the run");
		proxy_exited(p, &res);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		return;
	if (r->element[0]->type == REDIS_REPLY_INTEGER) {
		internal_result(&res, run_start_error(-EBUSY));
		res.start_error = -EBUSY;
		proxy_exited(p, &res);
	}
}

static void enqueue(struct proxy *p)
{
	struct remote *rm = p->rm;
	struct cluster *c = rm->c;
	char max[16], ttl[24];

	snprintf(max, sizeof(max), "%u", c->queue_max[p->cls]);
	snprintf(ttl, sizeof(ttl), "%d", QUEUED_TTL_MS);
	const char *argv[] = { "EVAL", SCRIPT_ENQUEUE, "0", max, p->job.data,
			       p->id, c->node_id, mode_name(p->mode), p->lang,
			       ttl, class_letter(p->cls) };
	size_t lens[11];
	for (int i = 0; i < 11; i++)
		lens[i] = strlen(argv[i]);
	lens[4] = p->job.len;
	if (redis_link_cmd(&c->cmd, on_enqueued, p, 0, 11, argv, lens) == 0)
		rm->inflight++;
	else
		p->enqueue_unsure = true;
}

static int be_start(void *be, struct run *r, const struct run_request *req)
{
	struct remote *rm = be;
	struct cluster *c = rm->c;
	struct job *j;
	struct proxy *p;
	int err;

	/* what is known here at once; the queue's bound is checked where it
	 * is exact, in Redis (SCRIPT_ENQUEUE), and a refusal comes back as
	 * the run's end with start_error -EBUSY */
	if (!redis_link_up(&c->cmd) || !c->heard)
		return -ENOTCONN;
	if (!node_workers(&c->nodes))
		return -EHOSTUNREACH;
	if (!(j = malloc(sizeof(*j))))
		return -ENOMEM;
	if (!(p = proxy_new(rm, r))) {
		free(j);
		return -ENOMEM;
	}
	p->origin = true;
	p->mode = req->mode;
	p->cls = req->cls == RUN_BATCH ? RUN_BATCH : RUN_INTERACTIVE;
	p->queued_ms = redis_now_ms();
	p->keep_stdin = req->keep_stdin;
	snprintf(p->lang, sizeof(p->lang), "%s", req->lang->id);
	if (!(err = job_from_request(req, p->id, c->node_id, j))) {
		j->usage = p->usage_asked = run_remote_wants_usage(r);
		/* the gateway's limits, lowered: the worker lowers them more */
		enum run_mode lm = run_limits_mode(req);
		run_step_limits(c->engine, req->lang, lm, RUN_STEP_RUN,
				&req->limits, &j->limits);
		run_step_limits(c->engine, req->lang, lm,
				RUN_STEP_COMPILE, &req->compile_limits,
				&j->compile_limits);
		err = job_encode(j, &p->job);
	}
	free(j);
	if (err) {
		run_remote_set_data(r, NULL);
		proxy_free(p);
		return err == -ENOBUFS ? -E2BIG : err;
	}
	enqueue(p);
	reader_add(&c->reader, &p->rs);
	log_debug("cluster: run %s: queued (%s, %s)", p->id, p->lang,
		  mode_name(p->mode));
	return 0;
}

/* ---- attach by id -------------------------------------------------------- */

static bool str_is(const redisReply *r, const char *s)
{
	return r->type == REDIS_REPLY_STRING && r->len == strlen(s) &&
	       !memcmp(r->str, s, r->len);
}

static void on_history(struct redis_link *l, redisReply *r, void *data)
{
	struct proxy *p = data;
	struct run_result res;
	bool ended = false;

	(void)l;
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		run_remote_missing(p->r);	/* releases p */
		return;
	}
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i], *f;
		struct run_event ev;
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    e->element[0]->len >= sizeof(p->rs.last))
			continue;
		memcpy(p->rs.last, e->element[0]->str, e->element[0]->len);
		p->rs.last[e->element[0]->len] = '\0';
		f = e->element[1];
		if (f->type != REDIS_REPLY_ARRAY || f->elements != 2 ||
		    !str_is(f->element[0], "e") ||
		    event_decode(f->element[1]->str, f->element[1]->len, &ev))
			continue;
		switch (ev.type) {
		case EVENT_CLAIMED:
			claimed_by(p, ev.worker);
			break;
		case EVENT_STAGE:
			run_remote_stage(p->r, ev.step);	/* quiet */
			break;
		case EVENT_OUTPUT:
			take_output(p, &ev, true);
			break;
		case EVENT_STATE:
			p->in_done = ev.input_done;
			p->hist_state = ev.state;
			p->hist_canonical = ev.canonical;
			break;
		case EVENT_EXIT:
			res = ev.result;
			ended = true;
			break;
		case EVENT_USAGE:	/* a past sample: live ones follow */
			break;
		}
	}
	if (ended) {
		proxy_exited(p, &res);
		return;
	}
	if (p->hist_state)
		run_remote_state(p->r, p->hist_state, p->hist_canonical);
	run_remote_ready(p->r);
	reader_add(&p->rm->c->reader, &p->rs);
	p->ack_due = true;
	send_ack(p);	/* this gateway reads it now */
	flush(p);	/* what waited for the worker's name (usage) */
}

static void on_meta(struct redis_link *l, redisReply *r, void *data)
{
	struct proxy *p = data;
	struct cluster *c = p->rm->c;
	struct run_result res;
	bool have_res = false, found = false;

	(void)l;
	if (!r || r->type != REDIS_REPLY_ARRAY || !r->elements ||
	    r->elements % 2) {
		run_remote_missing(p->r);	/* releases p */
		return;
	}
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (v->type != REDIS_REPLY_STRING)
			continue;
		if (str_is(k, "mode")) {
			p->mode = str_is(v, "pipes") ? RUN_PIPES : RUN_TTY;
			found = true;
		} else if (str_is(k, "lang") && v->len < sizeof(p->lang)) {
			memcpy(p->lang, v->str, v->len);
			p->lang[v->len] = '\0';
		} else if (str_is(k, "w") && v->len && v->len <= NODE_ID_MAX) {
			char w[NODE_ID_MAX + 1];
			memcpy(w, v->str, v->len);
			w[v->len] = '\0';
			claimed_by(p, w);
		} else if (str_is(k, "res") &&
			   result_decode(v->str, v->len, &res) == 0) {
			have_res = true;
		}
	}
	if (!found) {
		run_remote_missing(p->r);
		return;
	}
	run_remote_found(p->r, p->mode, lang_find(c->langs, p->lang), NULL);
	const char *args[] = { "XRANGE", p->rs.key, "-", "+", NULL };
	if (redis_link_cmdv(&c->cmd, on_history, p, 0, args)) {
		if (have_res)
			proxy_exited(p, &res);
		else
			run_remote_missing(p->r);
	}
}

static int be_open(void *be, struct run *r)
{
	struct remote *rm = be;
	struct proxy *p;
	const char *args[3];
	int err;

	if (!redis_link_up(&rm->c->cmd))
		return -ENOTCONN;
	if (!(p = proxy_new(rm, r)))
		return -ENOMEM;
	args[0] = "HGETALL";
	args[1] = p->meta_key;
	args[2] = NULL;
	if ((err = redis_link_cmdv(&rm->c->cmd, on_meta, p, 0, args))) {
		run_remote_set_data(r, NULL);
		proxy_free(p);
	}
	return err;
}

/* ---- the backend's ops --------------------------------------------------- */

static int be_input(void *be, struct run *r, const char *d, size_t n)
{
	struct proxy *p = run_remote_data(r);
	struct run_engine *e = ((struct remote *)be)->c->engine;

	if (!p || p->exited || (p->mode == RUN_PIPES && p->origin &&
				!p->keep_stdin))
		return -EPIPE;
	if (p->in_sent - p->in_done + n > e->input_max)
		return -ENOBUFS;
	if (can_send(p) && !p->inbuf.len) {
		while (n) {
			size_t k = n < ENTRY_DATA_MAX ? n : ENTRY_DATA_MAX;
			struct ctl c = { .type = CTL_INPUT, .run = p->id,
					 .data = d, .len = k };
			if (send_ctl(p, &c))
				break;
			p->in_sent += k;
			d += k;
			n -= k;
		}
		if (!n)
			return 0;
	}
	if (buf_append(&p->inbuf, d, n))
		return -ENOBUFS;
	p->in_sent += n;
	return 0;
}

static void be_close_input(void *be, struct run *r)
{
	struct proxy *p = run_remote_data(r);

	(void)be;
	if (!p || p->exited)
		return;
	p->eof_due = true;
	flush(p);
}

static int be_resize(void *be, struct run *r, uint16_t rows, uint16_t cols)
{
	struct proxy *p = run_remote_data(r);

	(void)be;
	if (!p || p->exited)
		return -EINVAL;
	p->rows = rows;
	p->cols = cols;
	p->resize_due = true;
	flush(p);
	return 0;
}

/* Asks the worker once for usage samples (a job that asked at the start
 * has them already). */
static void be_usage(void *be, struct run *r)
{
	struct proxy *p = run_remote_data(r);

	(void)be;
	if (!p || p->exited || p->usage_asked)
		return;
	p->usage_asked = p->usage_due = true;
	flush(p);
}

static int be_signal(void *be, struct run *r, int sig)
{
	struct proxy *p = run_remote_data(r);

	(void)be;
	if (!p || p->exited)
		return -ESRCH;
	p->sig_due = sig;
	flush(p);
	return 0;
}

/* The kill of a run no worker has claimed (as far as we know): it ends
 * with 'res' (NULL: killed) if it still waits; if a worker has it, the
 * worker is told to kill it, unless only_waiting. */
static void kill_unclaimed(struct cluster *c, const char *run,
			   enum run_kill_reason why,
			   const struct run_result *res, bool only_waiting,
			   void *data)
{
	struct ctl kc = { .type = CTL_KILL, .run = run, .reason = why };
	struct run_result killed;
	struct buf kb, ev, alone;
	char linger[24];

	if (!res) {
		killed_result(&killed);
		res = &killed;
	}
	if (!encode_exit(res, &ev, &alone))
		return;
	buf_init(&kb, 1024);
	ctl_encode(&kc, &kb);
	snprintf(linger, sizeof(linger), "%llu",
		 (unsigned long long)c->linger_ms);
	const char *argv[] = { "EVAL", SCRIPT_KILL, "0", run, kb.data, ev.data,
			       alone.data, linger, only_waiting ? "1" : "0" };
	size_t lens[] = { 4, strlen(SCRIPT_KILL), 1, strlen(run), kb.len, ev.len,
			  alone.len, strlen(linger), 1 };
	redis_link_cmd(&c->cmd, on_ignore, data, 0, 9, argv, lens);
	buf_release(&kb);
	buf_release(&ev);
	buf_release(&alone);
}

static void be_kill(void *be, struct run *r, enum run_kill_reason why)
{
	struct remote *rm = be;
	struct proxy *p = run_remote_data(r);

	if (!p || p->exited)
		return;
	if (p->claimed) {
		p->kill_due = (int)why + 1;
		flush(p);
		return;
	}
	if (!redis_link_up(&rm->c->cmd)) {
		p->kill_due = (int)why + 1;	/* sent once it is claimed */
		return;
	}
	kill_unclaimed(rm->c, p->id, why, NULL, false, p);
}

static void be_pause(void *be, struct run *r, bool paused)
{
	struct remote *rm = be;
	struct proxy *p = run_remote_data(r);

	if (!p || p->exited || p->paused == paused)
		return;
	p->paused = paused;
	reader_pause(&rm->c->reader, &p->rs, paused);
	if (!paused)
		send_ack(p);
}

static void owe(struct remote *rm, struct proxy *p)
{
	struct owed *o = calloc(1, sizeof(*o));

	if (!o)
		return;
	snprintf(o->run, sizeof(o->run), "%s", p->id);
	snprintf(o->worker, sizeof(o->worker), "%s", p->worker);
	o->kill = !p->claimed && p->mode == RUN_PIPES;
	o->next = rm->owed;
	rm->owed = o;
}

/* Tells the cluster this gateway follows the run no more. */
static bool settle(struct remote *rm, struct owed *o)
{
	struct cluster *c = rm->c;

	if (!redis_link_up(&c->cmd))
		return false;
	if (o->worker[0]) {
		struct ctl bye = { .type = CTL_BYE, .run = o->run,
				   .gateway = c->node_id };
		struct proxy tmp = { .rm = rm, .claimed = true };
		snprintf(tmp.worker, sizeof(tmp.worker), "%s", o->worker);
		snprintf(tmp.id, sizeof(tmp.id), "%s", o->run);
		return send_ctl(&tmp, &bye) == 0;
	}
	if (o->kill) {
		kill_unclaimed(c, o->run, RUN_KILL_ORPHANED, NULL, false, NULL);
		return true;
	}
	struct ctl bye = { .type = CTL_BYE, .run = o->run,
			   .gateway = c->node_id };
	struct buf b;
	buf_init(&b, 1024);
	ctl_encode(&bye, &b);
	const char *argv[] = { "EVAL", SCRIPT_RELEASE, "0", o->run, b.data };
	size_t lens[] = { 4, strlen(SCRIPT_RELEASE), 1, strlen(o->run), b.len };
	int err = redis_link_cmd(&c->cmd, on_ignore, NULL, 0, 5, argv, lens);
	buf_release(&b);
	return err == 0;
}

static void settle_all(struct remote *rm)
{
	for (struct owed **pp = &rm->owed; *pp;) {
		struct owed *o = *pp;
		if (!settle(rm, o)) {
			pp = &o->next;
			continue;
		}
		*pp = o->next;
		free(o);
	}
}

static void be_release(void *be, struct run *r)
{
	struct remote *rm = be;
	struct proxy *p = run_remote_data(r);

	if (!p)
		return;
	run_remote_set_data(r, NULL);
	if (!p->exited && (p->origin || p->claimed)) {
		owe(rm, p);
		settle_all(rm);
	}
	proxy_free(p);
}

static const struct run_backend_ops backend_ops = {
	.start = be_start,
	.open = be_open,
	.input = be_input,
	.close_input = be_close_input,
	.resize = be_resize,
	.kill = be_kill,
	.signal = be_signal,
	.pause = be_pause,
	.release = be_release,
	.usage = be_usage,
};

/* ---- the link, the nodes ------------------------------------------------- */

static void on_requeue(struct redis_link *l, redisReply *r, void *data)
{
	struct proxy *p = data;

	(void)l;
	if (!r) {
		p->enqueue_unsure = true;
		return;
	}
	if (r->type == REDIS_REPLY_STRING && str_is(r, "requeued"))
		log_info("cluster: run %s: queued again (Redis had lost it)",
			 p->id);
}

static void requeue_if_lost(struct proxy *p)
{
	struct cluster *c = p->rm->c;
	char ttl[24];

	p->enqueue_unsure = false;
	snprintf(ttl, sizeof(ttl), "%d", QUEUED_TTL_MS);
	const char *argv[] = { "EVAL", SCRIPT_REQUEUE_IF_LOST, "0", p->id,
			       p->job.data, c->node_id, mode_name(p->mode),
			       p->lang, ttl, class_letter(p->cls) };
	size_t lens[10];
	for (int i = 0; i < 10; i++)
		lens[i] = strlen(argv[i]);
	lens[4] = p->job.len;
	if (redis_link_cmd(&c->cmd, on_requeue, p, 0, 10, argv, lens))
		p->enqueue_unsure = true;
}

void remote_link_up(struct remote *rm)
{
	rm->up_since = redis_now_ms();
	settle_all(rm);
	for (struct proxy *p = rm->proxies; p; p = p->next) {
		if (p->exited)
			continue;
		if (p->told_down) {
			p->told_down = false;
			run_remote_link(p->r, true);
		}
		if (p->origin && !p->claimed && p->job.len)
			requeue_if_lost(p);
		if (p->kill_due && !p->claimed) {
			kill_unclaimed(rm->c, p->id,
				       (enum run_kill_reason)(p->kill_due - 1),
				       NULL, false, p);
			p->kill_due = 0;
		}
		flush(p);
		p->ack_due = true;
		send_ack(p);
	}
}

void remote_link_down(struct remote *rm)
{
	for (struct proxy *p = rm->proxies; p; p = p->next) {
		if (p->exited || p->told_down)
			continue;
		p->told_down = true;
		run_remote_link(p->r, false);
	}
}

static void on_lost(struct redis_link *l, redisReply *r, void *data)
{
	(void)l;
	(void)r;
	(void)data;
}

/* The run's worker is gone and nobody reaped it: worker_lost, for every
 * gateway showing it (through its events). */
static void declare_lost(struct proxy *p)
{
	struct cluster *c = p->rm->c;
	struct run_result res;
	struct buf ev, alone;
	char linger[24];

	lost_result(&res, p->worker);
	if (!encode_exit(&res, &ev, &alone))
		return;
	snprintf(linger, sizeof(linger), "%llu",
		 (unsigned long long)c->linger_ms);
	const char *argv[] = { "EVAL", SCRIPT_LOST, "0", p->id, ev.data,
			       alone.data, linger };
	size_t lens[] = { 4, strlen(SCRIPT_LOST), 1, strlen(p->id), ev.len,
			  alone.len, strlen(linger) };
	if (redis_link_cmd(&c->cmd, on_lost, p, 0, 7, argv, lens) == 0) {
		p->lost_sent = true;
		log_warn("cluster: run %s: its worker '%s' is gone: worker_lost",
			 p->id, p->worker);
	}
	buf_release(&ev);
	buf_release(&alone);
}

/* An interactive run that waited for a worker past the engine's
 * queue_wait_ms leaves the queue and ends server_busy, as a local one
 * does (run_queue.c); one a worker took meanwhile goes on. */
static void maybe_time_out(struct proxy *p, uint64_t now)
{
	struct cluster *c = p->rm->c;
	uint64_t wait_ms = c->engine->adm.queue_wait_ms;
	struct run_result res;
	char a[32];

	if (!p->origin || p->cls != RUN_INTERACTIVE || p->timeout_sent ||
	    !wait_ms || now - p->queued_ms < wait_ms)
		return;
	memset(&res, 0, sizeof(res));
	res.status = RUN_SERVER_BUSY;
	res.exit_code = -1;
	snprintf(res.message, sizeof(res.message), "the cluster is full: no "
		 "worker had a free slot within %s; try again later",
		 limit_fmt_ms(wait_ms, a, sizeof(a)));
	p->timeout_sent = true;
	log_info("cluster: run %s: waited %s for a worker: server_busy", p->id,
		 a);
	kill_unclaimed(c, p->id, RUN_KILL_NONE, &res, true, p);
}

void remote_nodes_changed(struct remote *rm)
{
	struct cluster *c = rm->c;
	uint64_t now = redis_now_ms();

	if (!c->heard)
		return;
	for (struct proxy *p = rm->proxies; p; p = p->next)
		if (!p->exited && !p->claimed)
			maybe_time_out(p, now);
	for (struct proxy *p = rm->proxies; p; p = p->next) {
		if (p->exited || !p->claimed || p->lost_sent)
			continue;
		if (node_find(&c->nodes, p->worker)) {
			p->missing_since = 0;
			continue;
		}
		if (!p->missing_since) {
			p->missing_since = now;
			continue;
		}
		/* gone for a heartbeat's lifetime, with the link up as long:
		 * not a Redis restart that has not heard the worker yet */
		if (now - p->missing_since >= NODE_TTL_MS &&
		    now - rm->up_since >= NODE_TTL_MS)
			declare_lost(p);
	}
}

/* ---- the role ------------------------------------------------------------ */

struct remote *remote_new(struct cluster *c)
{
	struct remote *rm = calloc(1, sizeof(*rm));

	if (!rm)
		return NULL;
	rm->c = c;
	run_engine_set_backend(c->engine, &backend_ops, rm);
	return rm;
}

void remote_free(struct remote *rm)
{
	if (!rm)
		return;
	while (rm->proxies) {
		struct proxy *p = rm->proxies;
		if (p->r)
			run_remote_set_data(p->r, NULL);
		proxy_free(p);
	}
	while (rm->owed) {
		struct owed *o = rm->owed;
		rm->owed = o->next;
		free(o);
	}
	free(rm);
}

unsigned remote_count(const struct remote *rm)
{
	return rm->n;
}

bool remote_drained(const struct remote *rm)
{
	return !rm->owed;
}
