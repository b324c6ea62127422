/*
 * metrics.c - the metrics registry and its Prometheus text rendering.
 *
 * A family holds one flat array of series, nseries = na * nb (1 without
 * labels): a counter's uint64_t, a gauge's double, or a histogram's bucket
 * counts (nbounds + 1 each, not cumulative: the rendering sums them), its
 * count and its sum.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/metrics.h"

struct metric {
	struct metric *next;
	enum metric_type type;
	char *name, *help;
	struct metric_label a, b;
	size_t nseries;
	double bounds[METRIC_MAX_BUCKETS];
	size_t nbounds;
	uint64_t *counts;	/* counter: nseries; histogram: nseries *
				   (nbounds + 1) */
	double *values;		/* gauge: nseries; histogram: sums */
	uint64_t *hcount;	/* histogram: observations per series */
};

struct hook {
	struct hook *next;
	metrics_collect_fn fn;
	void *data;
};

struct metrics {
	struct metric *head, **tail;
	struct hook *hooks;
};

struct metrics *metrics_new(void)
{
	struct metrics *r = calloc(1, sizeof(*r));

	if (r)
		r->tail = &r->head;
	return r;
}

static void family_free(struct metric *m)
{
	free(m->name);
	free(m->help);
	free(m->counts);
	free(m->values);
	free(m->hcount);
	free(m);
}

void metrics_free(struct metrics *r)
{
	if (!r)
		return;
	while (r->head) {
		struct metric *m = r->head;
		r->head = m->next;
		family_free(m);
	}
	while (r->hooks) {
		struct hook *h = r->hooks;
		r->hooks = h->next;
		free(h);
	}
	free(r);
}

static bool name_ok(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			return false;
	return true;
}

static bool label_ok(const struct metric_label *l)
{
	if (!l->name)
		return !l->n;
	return name_ok(l->name) && strchr(l->name, ':') == NULL &&
	       strcmp(l->name, "le") && l->n > 0 && l->values;
}

static struct metric *add(struct metrics *r, enum metric_type type,
			  const char *name, const char *help,
			  const double *bounds, size_t nbounds,
			  struct metric_label a, struct metric_label b)
{
	struct metric *m;
	size_t na = a.name ? a.n : 1, nb = b.name ? b.n : 1;

	if (!r || !name_ok(name) || !label_ok(&a) || !label_ok(&b) ||
	    (b.name && !a.name) || nbounds > METRIC_MAX_BUCKETS ||
	    na > 4096 || nb > 4096)
		return NULL;
	for (size_t i = 1; i < nbounds; i++)
		if (!(bounds[i] > bounds[i - 1]))
			return NULL;
	for (m = r->head; m; m = m->next)
		if (!strcmp(m->name, name))
			return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->type = type;
	m->a = a;
	m->b = b;
	m->nseries = na * nb;
	m->nbounds = nbounds;
	if (nbounds)
		memcpy(m->bounds, bounds, nbounds * sizeof(*bounds));
	m->name = strdup(name);
	m->help = strdup(help ? help : "");
	if (type == METRIC_COUNTER)
		m->counts = calloc(m->nseries, sizeof(*m->counts));
	if (type == METRIC_GAUGE)
		m->values = calloc(m->nseries, sizeof(*m->values));
	if (type == METRIC_HISTOGRAM) {
		m->counts = calloc(m->nseries * (nbounds + 1),
				   sizeof(*m->counts));
		m->values = calloc(m->nseries, sizeof(*m->values));
		m->hcount = calloc(m->nseries, sizeof(*m->hcount));
	}
	if (!m->name || !m->help ||
	    (type != METRIC_GAUGE && !m->counts) ||
	    (type != METRIC_COUNTER && !m->values) ||
	    (type == METRIC_HISTOGRAM && !m->hcount)) {
		family_free(m);
		return NULL;
	}
	*r->tail = m;
	r->tail = &m->next;
	return m;
}

struct metric *metrics_counter(struct metrics *r, const char *name,
			       const char *help, struct metric_label a,
			       struct metric_label b)
{
	return add(r, METRIC_COUNTER, name, help, NULL, 0, a, b);
}

struct metric *metrics_gauge(struct metrics *r, const char *name,
			     const char *help, struct metric_label a,
			     struct metric_label b)
{
	return add(r, METRIC_GAUGE, name, help, NULL, 0, a, b);
}

struct metric *metrics_histogram(struct metrics *r, const char *name,
				 const char *help, const double *bounds,
				 size_t nbounds, struct metric_label a,
				 struct metric_label b)
{
	return add(r, METRIC_HISTOGRAM, name, help, bounds, nbounds, a, b);
}

int metrics_on_collect(struct metrics *r, metrics_collect_fn fn, void *data)
{
	struct hook *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->fn = fn;
	h->data = data;
	h->next = r->hooks;
	r->hooks = h;
	return 0;
}

size_t metric_series(const struct metric *m, size_t i, size_t j)
{
	size_t na, nb;

	if (!m)
		return 0;
	na = m->a.name ? m->a.n : 1;
	nb = m->b.name ? m->b.n : 1;
	if (i >= na || j >= nb)
		return SIZE_MAX;
	return i * nb + j;
}

void metric_add(struct metric *m, size_t series, uint64_t n)
{
	if (m && m->type == METRIC_COUNTER && series < m->nseries)
		m->counts[series] += n;
}

void metric_set(struct metric *m, size_t series, double v)
{
	if (!m || series >= m->nseries)
		return;
	if (m->type == METRIC_GAUGE)
		m->values[series] = v;
	else if (m->type == METRIC_COUNTER && v >= 0)
		m->counts[series] = (uint64_t)v;
}

void metric_observe(struct metric *m, size_t series, double v)
{
	size_t k;

	if (!m || m->type != METRIC_HISTOGRAM || series >= m->nseries ||
	    isnan(v))
		return;
	for (k = 0; k < m->nbounds && v > m->bounds[k]; k++)
		;
	m->counts[series * (m->nbounds + 1) + k]++;
	m->hcount[series]++;
	m->values[series] += v;
}

double metric_value(const struct metric *m, size_t series)
{
	if (!m || series >= m->nseries)
		return 0;
	switch (m->type) {
	case METRIC_COUNTER: return (double)m->counts[series];
	case METRIC_GAUGE: return m->values[series];
	case METRIC_HISTOGRAM: return (double)m->hcount[series];
	}
	return 0;
}

/* --- rendering ---------------------------------------------------------- */

struct out {
	struct buf *b;
	int err;
};

static void emit(struct out *o, const char *s, size_t n)
{
	if (!o->err && buf_append(o->b, s, n))
		o->err = -ENOBUFS;
}

static void emitf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void emitf(struct out *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		emit(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n
						      : sizeof(tmp) - 1);
}

/* 'help' escapes backslash and newline; a label value also the quote. */
static void emit_escaped(struct out *o, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			emit(o, "\\\\", 2);
		else if (*s == '\n')
			emit(o, "\\n", 2);
		else if (quote && *s == '"')
			emit(o, "\\\"", 2);
		else
			emit(o, s, 1);
	}
}

static void emit_double(struct out *o, double v)
{
	if (isinf(v))
		emit(o, v > 0 ? "+Inf" : "-Inf", 4);
	else if (isnan(v))
		emit(o, "NaN", 3);
	else {
		/* the shortest form that reads back the same */
		char tmp[40];
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
			if (strtod(tmp, NULL) == v)
				break;
		}
		emit(o, tmp, strlen(tmp));
	}
}

/* name{a="..",b="..",le=".."} (the braces only when there are labels) */
static void emit_series(struct out *o, const struct metric *m,
			const char *suffix, size_t s, const double *le)
{
	size_t nb = m->b.name ? m->b.n : 1;
	bool any = m->a.name || le;

	emit(o, m->name, strlen(m->name));
	emit(o, suffix, strlen(suffix));
	if (!any)
		return;
	emit(o, "{", 1);
	if (m->a.name) {
		emitf(o, "%s=\"", m->a.name);
		emit_escaped(o, m->a.values[s / nb], true);
		emit(o, "\"", 1);
	}
	if (m->b.name) {
		emitf(o, ",%s=\"", m->b.name);
		emit_escaped(o, m->b.values[s % nb], true);
		emit(o, "\"", 1);
	}
	if (le) {
		emitf(o, "%sle=\"", m->a.name ? "," : "");
		emit_double(o, *le);
		emit(o, "\"", 1);
	}
	emit(o, "}", 1);
}

static void render_family(struct out *o, const struct metric *m)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	const double inf = INFINITY;

	emitf(o, "# HELP %s ", m->name);
	emit_escaped(o, m->help, false);
	emitf(o, "\n# TYPE %s %s\n", m->name, types[m->type]);
	for (size_t s = 0; s < m->nseries; s++) {
		if (m->type == METRIC_COUNTER) {
			emit_series(o, m, "", s, NULL);
			emitf(o, " %llu\n", (unsigned long long)m->counts[s]);
			continue;
		}
		if (m->type == METRIC_GAUGE) {
			emit_series(o, m, "", s, NULL);
			emit(o, " ", 1);
			emit_double(o, m->values[s]);
			emit(o, "\n", 1);
			continue;
		}
		uint64_t cum = 0;
		const uint64_t *c = m->counts + s * (m->nbounds + 1);
		for (size_t k = 0; k <= m->nbounds; k++) {
			cum += c[k];
			emit_series(o, m, "_bucket", s,
				    k < m->nbounds ? &m->bounds[k] : &inf);
			emitf(o, " %llu\n", (unsigned long long)cum);
		}
		emit_series(o, m, "_sum", s, NULL);
		emit(o, " ", 1);
		emit_double(o, m->values[s]);
		emit(o, "\n", 1);
		emit_series(o, m, "_count", s, NULL);
		emitf(o, " %llu\n", (unsigned long long)m->hcount[s]);
	}
}

int metrics_render(struct metrics *r, struct buf *out)
{
	struct out o = {out, 0};

	for (struct hook *h = r->hooks; h; h = h->next)
		h->fn(h->data);
	for (const struct metric *m = r->head; m && !o.err; m = m->next)
		render_family(&o, m);
	return o.err;
}
