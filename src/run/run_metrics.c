/*
 * run_metrics.c - what the run engine counts for /metrics.
 *
 * Registered once at start-up with every language of the table and every
 * status, so counting a run's end is two array increments; run.c,
 * run_io.c and run_queue.c call run__count_*() where things happen.
 */
#include <errno.h>
#include <stdlib.h>

#include "lib/metrics.h"
#include "run/run_internal.h"

/* Seconds; a run's wall time spans milliseconds to the 30 min default. */
static const double duration_bounds[] = {
	0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800,
};
/* Seconds in the admission queue. */
static const double wait_bounds[] = {
	0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
};
/* Seconds from sandbox_spawn() to the program's exec. */
static const double spawn_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

static const char *status_names[RUN_COMPILE_ERROR + 1];
static const char *const stream_names[] = { "stdout", "stderr" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

int run_engine_metrics(struct run_engine *e, struct metrics *reg)
{
	struct run_metrics *m = &e->m;
	size_t nl = e->langs ? e->langs->n : 0;

	for (int s = 0; s <= RUN_COMPILE_ERROR; s++)
		status_names[s] = run_status_name((enum run_status)s);
	m->lang_ids = calloc(nl ? nl : 1, sizeof(*m->lang_ids));
	if (!m->lang_ids)
		return -ENOMEM;
	for (size_t i = 0; i < nl; i++)
		m->lang_ids[i] = e->langs->v[i].id;

	struct metric_label lang = METRIC_LABEL("language", m->lang_ids, nl);
	m->runs = metrics_counter(reg, "coderoom_runs_total",
				  "Runs ended, by language and status.", lang,
				  METRIC_LABEL("status", status_names,
					       N(status_names)));
	m->duration = metrics_histogram(
	    reg, "coderoom_run_duration_seconds",
	    "Wall time of ended runs (their last step), by language.",
	    duration_bounds, N(duration_bounds), lang, METRIC_NO_LABEL);
	m->queue_wait = metrics_histogram(
	    reg, "coderoom_queue_wait_seconds",
	    "Time runs waited for a slot before they started.",
	    wait_bounds, N(wait_bounds), METRIC_NO_LABEL, METRIC_NO_LABEL);
	m->spawn = metrics_histogram(
	    reg, "coderoom_sandbox_spawn_seconds",
	    "Time from asking the sandbox for a run to its program starting.",
	    spawn_bounds, N(spawn_bounds), METRIC_NO_LABEL, METRIC_NO_LABEL);
	m->output = metrics_counter(
	    reg, "coderoom_output_bytes_total",
	    "Bytes of program output read and streamed, by stream.",
	    METRIC_LABEL("stream", stream_names, N(stream_names)),
	    METRIC_NO_LABEL);
	m->probes = metrics_counter(
	    reg, "coderoom_input_probes_total",
	    "Input-wait probes asked of the sandbox (is a run blocked reading "
	    "its input?).", METRIC_NO_LABEL, METRIC_NO_LABEL);
	if (!m->runs || !m->duration || !m->queue_wait || !m->spawn ||
	    !m->output || !m->probes)
		return -ENOMEM;
	return 0;
}

static size_t lang_index(const struct run *r)
{
	const struct lang_table *t = r->e->langs;

	if (!t || r->lang < t->v || r->lang >= t->v + t->n)
		return SIZE_MAX;
	return (size_t)(r->lang - t->v);
}

void run__count_end(struct run *r)
{
	struct run_metrics *m = &r->e->m;
	size_t li = lang_index(r);

	metric_inc(m->runs, metric_series(m->runs, li, r->result.status));
	metric_observe(m->duration, metric_series(m->duration, li, 0),
		       (double)r->result.wall_ms / 1000.0);
}

void run__count_output(struct run *r, enum run_stream stream, size_t n)
{
	metric_add(r->e->m.output, stream == RUN_STDERR ? 1 : 0, n);
}

void run__count_spawned(struct run *r, uint64_t ns)
{
	metric_observe(r->e->m.spawn, 0, (double)ns / 1e9);
}

void run__count_probe(struct run *r)
{
	metric_inc(r->e->m.probes, 0);
}

void run__count_admitted(struct run *r, uint64_t waited_ns)
{
	metric_observe(r->e->m.queue_wait, 0, (double)waited_ns / 1e9);
}

void run_engine_metrics_release(struct run_engine *e)
{
	free(e->m.lang_ids);
	e->m.lang_ids = NULL;
}
