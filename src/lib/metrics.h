/*
 * metrics.h - counters, gauges and histograms, rendered in the Prometheus
 * text exposition format (0.0.4) for GET /metrics.
 *
 * A family (one metric name) is registered at start-up with every label
 * value it will ever have (each language, each status): registration
 * allocates, and the hot path (metric_inc/add/set/observe) only indexes
 * an array: no allocation, no lookup, no lock. A series is picked by its
 * label values' indexes, metric_series(m, i, j). Single-threaded: the
 * event loop's thread only.
 *
 * Adding a metric:
 *   1. register it where its owner starts up, keep the pointer:
 *        static const char *const streams[] = {"stdout", "stderr"};
 *        m->bytes = metrics_counter(reg, "coderoom_output_bytes_total",
 *                                   "Bytes of program output streamed.",
 *                                   METRIC_LABEL("stream", streams, 2),
 *                                   METRIC_NO_LABEL);
 *   2. count where it happens: metric_add(m->bytes, stream_index, n);
 *   or, for a value its owner keeps anyway (a queue length), set it from a
 *   collect hook (metrics_on_collect) that runs before every rendering.
 * Every metric_*() call accepts a NULL family (registration failed, or
 * metrics are off) and an out-of-range series as no-ops.
 */
#ifndef CODEROOM_METRICS_H
#define CODEROOM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

/* One label dimension and all its values (kept by pointer: they must
 * outlive the registry). */
struct metric_label {
	const char *name;
	const char *const *values;
	size_t n;
};
#define METRIC_LABEL(name, values, n) ((struct metric_label){(name), (values), (n)})
#define METRIC_NO_LABEL ((struct metric_label){NULL, NULL, 0})

struct metric;
struct metrics;

typedef void (*metrics_collect_fn)(void *data);

/* An empty registry, or NULL (out of memory). */
struct metrics *metrics_new(void);
/* Frees the registry and every family in it. NULL is fine. */
void metrics_free(struct metrics *r);

/*
 * Register a family. 'name' must match [a-zA-Z_:][a-zA-Z0-9_:]* and be
 * new; 'help' is one line. 'a' and 'b' are up to two label dimensions
 * (METRIC_NO_LABEL for none). Returns the family, or NULL (bad name,
 * duplicate, out of memory); the registry owns it.
 */
struct metric *metrics_counter(struct metrics *r, const char *name,
			       const char *help, struct metric_label a,
			       struct metric_label b);
struct metric *metrics_gauge(struct metrics *r, const char *name,
			     const char *help, struct metric_label a,
			     struct metric_label b);
/* 'bounds': the buckets' upper bounds, strictly increasing (+Inf is
 * implied), at most METRIC_MAX_BUCKETS; copied. */
#define METRIC_MAX_BUCKETS 24
struct metric *metrics_histogram(struct metrics *r, const char *name,
				 const char *help, const double *bounds,
				 size_t nbounds, struct metric_label a,
				 struct metric_label b);

/* Call 'fn(data)' before every rendering (to set gauges from state kept
 * elsewhere). 0 or -ENOMEM. */
int metrics_on_collect(struct metrics *r, metrics_collect_fn fn, void *data);

/* The series of label value indexes (i of 'a', j of 'b'); 0 without
 * labels. Out of range: a series no call will touch. */
size_t metric_series(const struct metric *m, size_t i, size_t j);

/* Counters: add (never negative). */
void metric_add(struct metric *m, size_t series, uint64_t n);
static inline void metric_inc(struct metric *m, size_t series)
{
	metric_add(m, series, 1);
}
/* Gauges: set. Counters may be set too, from a monotonic count their
 * owner keeps (a collect hook mirroring it). */
void metric_set(struct metric *m, size_t series, double v);
/* Histograms: one observation (seconds, bytes...). */
void metric_observe(struct metric *m, size_t series, double v);

/* The value of a counter or gauge series, or a histogram's count (tests). */
double metric_value(const struct metric *m, size_t series);

/*
 * Render every family (running the collect hooks first) to 'out', in
 * registration order. 0, or -ENOBUFS when 'out' reached its maximum
 * (then 'out' holds a truncated rendering).
 */
int metrics_render(struct metrics *r, struct buf *out);

#endif /* CODEROOM_METRICS_H */
