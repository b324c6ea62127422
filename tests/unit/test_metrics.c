/*
 * test_metrics.c - the metrics registry: registration rules, the exact
 * Prometheus text it renders, escaping, histograms, bounds, NULL safety.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/metrics.h"

static const char *const langs[] = {"c", "python"};
static const char *const statuses[] = {"ok", "runtime_error", "killed"};

static char *render(struct metrics *r)
{
	struct buf b;
	char *s;

	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_render(r, &b), 0);
	s = strdup(buf_str(&b));
	buf_release(&b);
	return s;
}

static void test_registration_rules(void **state)
{
	struct metrics *r = metrics_new();
	const double ok[] = {1, 2}, bad[] = {2, 1}, dup[] = {1, 1};

	assert_non_null(metrics_counter(r, "a_total", "x", METRIC_NO_LABEL,
					METRIC_NO_LABEL));
	/* a name is registered once */
	assert_null(metrics_gauge(r, "a_total", "x", METRIC_NO_LABEL,
				  METRIC_NO_LABEL));
	/* names and label names are checked */
	assert_null(metrics_gauge(r, "9lives", "x", METRIC_NO_LABEL,
				  METRIC_NO_LABEL));
	assert_null(metrics_gauge(r, "has space", "x", METRIC_NO_LABEL,
				  METRIC_NO_LABEL));
	assert_null(metrics_gauge(r, "g", "x", METRIC_LABEL("le", langs, 2),
				  METRIC_NO_LABEL));
	assert_null(metrics_gauge(r, "g", "x", METRIC_LABEL("a:b", langs, 2),
				  METRIC_NO_LABEL));
	assert_null(metrics_gauge(r, "g", "x", METRIC_LABEL("l", langs, 0),
				  METRIC_NO_LABEL));
	/* a second dimension needs a first */
	assert_null(metrics_gauge(r, "g", "x", METRIC_NO_LABEL,
				  METRIC_LABEL("l", langs, 2)));
	/* buckets strictly increasing */
	assert_null(metrics_histogram(r, "h1", "x", bad, 2, METRIC_NO_LABEL,
				      METRIC_NO_LABEL));
	assert_null(metrics_histogram(r, "h2", "x", dup, 2, METRIC_NO_LABEL,
				      METRIC_NO_LABEL));
	assert_non_null(metrics_histogram(r, "h3", "x", ok, 2, METRIC_NO_LABEL,
					  METRIC_NO_LABEL));
	assert_non_null(metrics_gauge(r, "g", "x", METRIC_LABEL("l", langs, 2),
				      METRIC_NO_LABEL));
	metrics_free(r);
	metrics_free(NULL);
}

static void test_null_and_range_are_noops(void **state)
{
	struct metrics *r = metrics_new();
	struct metric *c = metrics_counter(r, "c_total", "h",
					   METRIC_LABEL("language", langs, 2),
					   METRIC_NO_LABEL);

	metric_inc(NULL, 0);
	metric_set(NULL, 0, 1);
	metric_observe(NULL, 0, 1);
	assert_int_equal(metric_series(c, 2, 0), SIZE_MAX); /* no 3rd lang */
	metric_inc(c, metric_series(c, 2, 0));
	metric_inc(c, SIZE_MAX);
	metric_observe(c, 0, 1);	/* not a histogram */
	assert_true(metric_value(c, 0) == 0 && metric_value(c, 1) == 0);
	metric_add(c, metric_series(c, 1, 0), 5);
	assert_true(metric_value(c, 1) == 5);
	metrics_free(r);
}

static void test_exact_text(void **state)
{
	struct metrics *r = metrics_new();
	struct metric *runs = metrics_counter(
	    r, "coderoom_runs_total", "Runs ended.",
	    METRIC_LABEL("language", langs, 2),
	    METRIC_LABEL("status", statuses, 3));
	struct metric *g = metrics_gauge(r, "coderoom_queue_length",
					 "Waiting.", METRIC_NO_LABEL,
					 METRIC_NO_LABEL);
	char *s;

	metric_inc(runs, metric_series(runs, 1, 0));
	metric_inc(runs, metric_series(runs, 1, 0));
	metric_add(runs, metric_series(runs, 0, 2), 7);
	metric_set(g, 0, 2.5);
	s = render(r);
	assert_string_equal(s,
		"# HELP coderoom_runs_total Runs ended.\n"
		"# TYPE coderoom_runs_total counter\n"
		"coderoom_runs_total{language=\"c\",status=\"ok\"} 0\n"
		"coderoom_runs_total{language=\"c\",status=\"runtime_error\"} 0\n"
		"coderoom_runs_total{language=\"c\",status=\"killed\"} 7\n"
		"coderoom_runs_total{language=\"python\",status=\"ok\"} 2\n"
		"coderoom_runs_total{language=\"python\",status=\"runtime_error\"} 0\n"
		"coderoom_runs_total{language=\"python\",status=\"killed\"} 0\n"
		"# HELP coderoom_queue_length Waiting.\n"
		"# TYPE coderoom_queue_length gauge\n"
		"coderoom_queue_length 2.5\n");
	free(s);
	metrics_free(r);
}

static void test_histogram(void **state)
{
	struct metrics *r = metrics_new();
	const double b[] = {0.1, 1, 10};
	struct metric *h = metrics_histogram(r, "d_seconds", "D.", b, 3,
					     METRIC_LABEL("language", langs, 2),
					     METRIC_NO_LABEL);
	char *s;

	/* on a bound counts in that bucket (le = less or equal) */
	metric_observe(h, metric_series(h, 0, 0), 0.1);
	metric_observe(h, metric_series(h, 0, 0), 0.5);
	metric_observe(h, metric_series(h, 0, 0), 100);
	metric_observe(h, metric_series(h, 0, 0), NAN);	/* ignored */
	s = render(r);
	assert_non_null(strstr(s,
		"# TYPE d_seconds histogram\n"
		"d_seconds_bucket{language=\"c\",le=\"0.1\"} 1\n"
		"d_seconds_bucket{language=\"c\",le=\"1\"} 2\n"
		"d_seconds_bucket{language=\"c\",le=\"10\"} 2\n"
		"d_seconds_bucket{language=\"c\",le=\"+Inf\"} 3\n"
		"d_seconds_sum{language=\"c\"} 100.6\n"
		"d_seconds_count{language=\"c\"} 3\n"
		"d_seconds_bucket{language=\"python\",le=\"0.1\"} 0\n"));
	assert_true(metric_value(h, 0) == 3);
	free(s);
	metrics_free(r);
}

static void test_escaping(void **state)
{
	static const char *const odd[] = {"a\"b\\c\nd"};
	struct metrics *r = metrics_new();
	struct metric *g = metrics_gauge(r, "odd", "help with \\ and\nnewline",
					 METRIC_LABEL("v", odd, 1),
					 METRIC_NO_LABEL);
	char *s;

	metric_set(g, 0, -1);
	s = render(r);
	assert_string_equal(s, "# HELP odd help with \\\\ and\\nnewline\n"
			       "# TYPE odd gauge\n"
			       "odd{v=\"a\\\"b\\\\c\\nd\"} -1\n");
	free(s);
	metrics_free(r);
}

static int hook_calls;
static struct metric *hooked;
static void hook(void *data)
{
	hook_calls++;
	metric_set(hooked, 0, *(double *)data);
}

static void test_collect_hook_and_cap(void **state)
{
	struct metrics *r = metrics_new();
	double v = 42;
	struct buf b;
	char *s;

	hooked = metrics_gauge(r, "h", "x", METRIC_NO_LABEL, METRIC_NO_LABEL);
	assert_int_equal(metrics_on_collect(r, hook, &v), 0);
	s = render(r);
	assert_int_equal(hook_calls, 1);
	assert_non_null(strstr(s, "\nh 42\n"));
	free(s);
	/* a rendering past the buffer's maximum says so */
	buf_init(&b, 16);
	assert_int_equal(metrics_render(r, &b), -ENOBUFS);
	buf_release(&b);
	metrics_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registration_rules),
	    cmocka_unit_test(test_null_and_range_are_noops),
	    cmocka_unit_test(test_exact_text),
	    cmocka_unit_test(test_histogram),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_collect_hook_and_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
