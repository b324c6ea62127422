/*
 * api_metrics.c - GET /metrics: the Prometheus text format.
 *
 * The families other modules count themselves (the run engine's, see
 * run_metrics.c) are in the registry already; this file registers the
 * ones read from state kept elsewhere (connections, queue, cache, the
 * spawner, the process) and sets them in a collect hook just before each
 * rendering. WebSocket sessions are counted by their dialect's path, so
 * a dialect registered in routes.c shows up without a line here.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/metrics.h"
#include "net/conn.h"
#include "net/http.h"
#include "net/server.h"
#include "net/ws.h"
#include "proto/api.h"
#include "proto/app.h"
#include "proto/sio_transport.h"
#include "run/cache.h"
#include "run/run.h"
#include "sandbox/sandbox.h"

#define METRICS_MAX_BYTES (4u << 20)

/* WebSocket sessions by dialect: the "path" label. */
#define MAX_DIALECTS 32
static const char *dialect_paths[MAX_DIALECTS];
static size_t ndialects;
static const char *const version_value[] = { CODEROOM_VERSION };

static struct {
	struct server *srv;
	struct metric *info, *uptime, *connections, *sessions;
	struct metric *runs_active, *runs_started, *queue_len, *queue_running;
	struct metric *queue_slots, *cache_hits, *cache_misses;
	struct metric *cache_evictions, *cache_bytes;
	struct metric *spawner_up, *spawner_restarts, *lost_runs;
	struct metric *sandbox_queued, *rss, *fds, *cpu;
	struct metric *sio_sessions, *sio_opened, *sio_refused, *sio_timed_out;
	struct metric *sio_errors;
} M;

/* Open descriptors of this process (what a leak shows first). */
static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n ? n - 1 : 0;	/* not the one opendir holds */
}

static void read_proc(double *rss, double *cpu)
{
	char buf[1024];
	long page = sysconf(_SC_PAGESIZE), tick = sysconf(_SC_CLK_TCK);
	unsigned long long pages = 0, ut = 0, st = 0;
	FILE *f;

	*rss = *cpu = 0;
	if ((f = fopen("/proc/self/statm", "re"))) {
		if (fscanf(f, "%*u %llu", &pages) == 1)
			*rss = (double)pages * (double)page;
		fclose(f);
	}
	if ((f = fopen("/proc/self/stat", "re"))) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		/* fields after the command name, which may hold anything */
		const char *p = strrchr(buf, ')');
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %llu %llu", &ut, &st) == 2 && tick > 0)
			*cpu = (double)(ut + st) / (double)tick;
	}
}

static void collect(void *data)
{
	struct server *s = data;
	const struct app *a = s->app;
	const struct run_engine *e = a->engine;
	unsigned per_kind[MAX_DIALECTS] = { 0 };
	struct sandbox_status st;
	double rss, cpu;

	metric_set(M.info, 0, 1);
	metric_set(M.uptime, 0, (double)server_uptime_s(s));
	metric_set(M.connections, 0, s->connections);
	for (const struct conn *c = s->conns; c; c = c->next)
		for (size_t k = 0; k < ndialects; k++)
			if (c->dialect && c->dialect == s->dialects[k])
				per_kind[k]++;
	for (size_t k = 0; k < ndialects; k++)
		metric_set(M.sessions, k, per_kind[k]);
	metric_set(M.runs_active, 0, e->active);
	metric_set(M.runs_started, 0, (double)e->started_total);
	for (int k = 0; k < RUN_NCLASS; k++) {
		metric_set(M.queue_len, (size_t)k, e->q[k].waiting);
		metric_set(M.queue_running, (size_t)k, e->q[k].active);
		metric_set(M.queue_slots, (size_t)k, e->q[k].slots);
	}
	/* an artefact found, or a compile step run for want of one */
	metric_set(M.cache_hits, 0, (double)e->compile_cache_hits);
	metric_set(M.cache_misses, 0, (double)e->compiles);
	if (e->cache) {
		metric_set(M.cache_evictions, 0, (double)e->cache->evictions);
		metric_set(M.cache_bytes, 0, (double)e->cache->used_bytes);
	}
	sandbox_status(a->sb, &st);
	metric_set(M.spawner_up, 0, st.state && !strcmp(st.state, "up"));
	metric_set(M.spawner_restarts, 0, st.restarts);
	metric_set(M.lost_runs, 0, (double)st.lost_runs);
	metric_set(M.sandbox_queued, 0, st.pending);
	struct sio_stats sio;
	sio_hub_stats(a->sio, &sio);
	metric_set(M.sio_sessions, 0, sio.polling);
	metric_set(M.sio_sessions, 1, sio.sessions - sio.polling);
	metric_set(M.sio_opened, 0, (double)sio.opened);
	metric_set(M.sio_refused, 0, (double)sio.refused);
	metric_set(M.sio_timed_out, 0, (double)sio.timed_out);
	metric_set(M.sio_errors, 0, (double)sio.errors);
	read_proc(&rss, &cpu);
	metric_set(M.rss, 0, rss);
	metric_set(M.cpu, 0, cpu);
	metric_set(M.fds, 0, count_fds());
}

#define NOL METRIC_NO_LABEL

int api_metrics_init(struct server *s, struct metrics *reg)
{
	for (ndialects = 0; s->dialects && s->dialects[ndialects] &&
			    ndialects < MAX_DIALECTS; ndialects++)
		dialect_paths[ndialects] = s->dialects[ndialects]->path;
	M.srv = s;
	M.info = metrics_gauge(reg, "coderoom_build_info",
			       "Always 1; the version is a label.",
			       METRIC_LABEL("version", version_value, 1), NOL);
	M.uptime = metrics_gauge(reg, "coderoom_uptime_seconds",
				 "Seconds since the server started.", NOL, NOL);
	M.connections = metrics_gauge(reg, "coderoom_connections",
				      "Open HTTP and WebSocket connections.",
				      NOL, NOL);
	M.sessions = metrics_gauge(
	    reg, "coderoom_websocket_sessions",
	    "Open WebSocket sessions, by the path of their protocol.",
	    ndialects ? METRIC_LABEL("path", dialect_paths, ndialects) : NOL,
	    NOL);
	M.runs_active = metrics_gauge(reg, "coderoom_runs_active",
				      "Runs started and not yet ended.", NOL,
				      NOL);
	M.runs_started = metrics_counter(reg, "coderoom_runs_started_total",
					 "Runs started.", NOL, NOL);
	/* run.h's enum run_class, in its order */
	static const char *const classes[RUN_NCLASS] = { "interactive",
							 "batch" };
	struct metric_label cls = METRIC_LABEL("class", classes, RUN_NCLASS);
	M.queue_len = metrics_gauge(reg, "coderoom_queue_length",
				    "Runs waiting for a slot, by admission "
				    "class.", cls, NOL);
	M.queue_running = metrics_gauge(reg, "coderoom_queue_running",
					"Runs holding a slot, by admission "
					"class.", cls, NOL);
	M.queue_slots = metrics_gauge(reg, "coderoom_queue_slots",
				      "Runs allowed at once, by admission class "
				      "(--max-runs, --api-concurrency).", cls,
				      NOL);
	M.cache_hits = metrics_counter(reg, "coderoom_compile_cache_hits_total",
				       "Runs whose compiled artefact came from "
				       "the cache.", NOL, NOL);
	M.cache_misses = metrics_counter(
	    reg, "coderoom_compile_cache_misses_total",
	    "Compile steps run because no artefact was cached.", NOL, NOL);
	M.cache_evictions = metrics_counter(
	    reg, "coderoom_compile_cache_evictions_total",
	    "Artefacts dropped to stay under --cache-bytes.", NOL, NOL);
	M.cache_bytes = metrics_gauge(reg, "coderoom_compile_cache_bytes",
				      "Bytes of artefacts in the cache.", NOL,
				      NOL);
	M.spawner_up = metrics_gauge(reg, "coderoom_spawner_up",
				     "1 when the sandbox spawner is up.", NOL,
				     NOL);
	M.spawner_restarts = metrics_counter(
	    reg, "coderoom_spawner_restarts_total",
	    "Sandbox spawners started after the first (it died or hung).",
	    NOL, NOL);
	M.lost_runs = metrics_counter(reg, "coderoom_spawner_lost_runs_total",
				      "Runs ended because their spawner died.",
				      NOL, NOL);
	M.sandbox_queued = metrics_gauge(
	    reg, "coderoom_sandbox_queued_requests",
	    "Requests to the spawner waiting behind a full socket.", NOL,
	    NOL);
	M.rss = metrics_gauge(reg, "process_resident_memory_bytes",
			      "Resident memory of the server process.", NOL,
			      NOL);
	M.cpu = metrics_counter(reg, "process_cpu_seconds_total",
				"CPU time of the server process (not of the "
				"programs: they run in their own cgroups).",
				NOL, NOL);
	M.fds = metrics_gauge(reg, "process_open_fds",
			      "Open file descriptors of the server process.",
			      NOL, NOL);
	static const char *const transports[] = { "polling", "websocket" };
	M.sio_sessions = metrics_gauge(
	    reg, "coderoom_socketio_sessions",
	    "Open Socket.IO (Engine.IO) sessions, by transport.",
	    METRIC_LABEL("transport", transports, 2), NOL);
	M.sio_opened = metrics_counter(reg, "coderoom_socketio_opened_total",
				       "Socket.IO sessions opened.", NOL, NOL);
	M.sio_refused = metrics_counter(
	    reg, "coderoom_socketio_refused_total",
	    "Socket.IO handshakes refused: --sio-max-sessions reached.", NOL,
	    NOL);
	M.sio_timed_out = metrics_counter(
	    reg, "coderoom_socketio_timed_out_total",
	    "Socket.IO sessions ended by their ping timeout (the client "
	    "stopped polling or answering).", NOL, NOL);
	M.sio_errors = metrics_counter(
	    reg, "coderoom_socketio_errors_total",
	    "Socket.IO sessions ended by a protocol error or a limit.", NOL,
	    NOL);
	if (!M.info || !M.uptime || !M.connections || !M.sessions ||
	    !M.runs_active || !M.runs_started || !M.queue_len ||
	    !M.queue_running || !M.queue_slots || !M.cache_hits ||
	    !M.cache_misses || !M.cache_evictions || !M.cache_bytes ||
	    !M.spawner_up || !M.spawner_restarts ||
	    !M.lost_runs || !M.sandbox_queued || !M.rss || !M.cpu || !M.fds ||
	    !M.sio_sessions || !M.sio_opened || !M.sio_refused ||
	    !M.sio_timed_out || !M.sio_errors)
		return -ENOMEM;
	return metrics_on_collect(reg, collect, s);
}

void api_metrics(struct conn *c)
{
	struct app *a = app_of(c);
	struct buf out;

	if (!a->metrics) {
		http_reply_error(c, 404, NULL, "metrics are off");
		return;
	}
	buf_init(&out, METRICS_MAX_BYTES);
	if (metrics_render(a->metrics, &out)) {
		log_warn("metrics: the rendering passed %u bytes",
			 METRICS_MAX_BYTES);
		buf_release(&out);
		http_reply_error(c, 500, NULL, "the metrics are too large");
		return;
	}
	http_reply(c, 200, "text/plain; version=0.0.4; charset=utf-8",
		   out.data, out.len, "Cache-Control: no-store\r\n");
	buf_release(&out);
}
