/*
 * test_sse.c - the server-sent events decoder: a table of streams and the
 * events they carry, each fed whole, split at every byte, and byte by
 * byte; the bounds; a callback that stops the feed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/sse.h"

/* Events as "type|data" lines joined with "\n" ("|" separates: the
 * samples below use none in their data). */
struct got {
	char text[4096];
	size_t len;
	int events;
	int stop_after;		/* return 1 after this many, 0: never */
};

static int on_event(void *arg, const char *type, const char *data,
		    size_t len)
{
	struct got *g = arg;

	assert_int_equal(strlen(data), len);	/* NUL-terminated */
	g->len += (size_t)snprintf(g->text + g->len, sizeof(g->text) - g->len,
				   "%s%s|%.*s", g->events ? "\n" : "", type,
				   (int)len, data);
	g->events++;
	return g->stop_after && g->events >= g->stop_after ? 1 : 0;
}

struct sample {
	const char *name;
	const char *in;
	const char *events;
	bool pending;		/* the stream ends inside an event */
};

static const struct sample samples[] = {
	{ "empty", "", "", false },
	{ "one event", "data: hello\n\n", "|hello", false },
	{ "no space after colon", "data:hello\n\n", "|hello", false },
	{ "only one space removed", "data:  two\n\n", "| two", false },
	{ "two data lines", "data: a\ndata: b\n\n", "|a\nb", false },
	{ "empty data line", "data\n\n", "|", false },
	{ "CRLF", "data: x\r\n\r\ndata: y\r\n\r\n", "|x\n|y", false },
	{ "CR alone", "data: x\r\rdata: y\r\r", "|x\n|y", false },
	{ "mixed ends", "data: x\r\n\ndata: y\n\r\n", "|x\n|y", false },
	{ "named event", "event: error\ndata: boom\n\n", "error|boom", false },
	{ "type resets", "event: e\ndata: 1\n\ndata: 2\n\n", "e|1\n|2", false },
	{ "comment", ": keep-alive\n\ndata: x\n\n", "|x", false },
	{ "id and retry ignored", "id: 7\nretry: 100\ndata: x\n\n", "|x",
	  false },
	{ "no data: no event", "event: ping\n\n", "", false },
	{ "unknown field", "foo: bar\ndata: x\n\n", "|x", false },
	{ "BOM", "\xEF\xBB\xBF" "data: x\n\n", "|x", false },
	{ "BOM only at start", "data: x\n\n\xEF\xBB\xBF" "data: y\n\n",
	  "|x", false },
	{ "openai", "data: {\"choices\":[]}\n\ndata: [DONE]\n\n",
	  "|{\"choices\":[]}\n|[DONE]", false },
	{ "utf-8 kept", "data: \xE6\x97\xA5\xF0\x9F\x91\x8B\n\n",
	  "|\xE6\x97\xA5\xF0\x9F\x91\x8B", false },
	{ "ends mid-event", "data: x\n\ndata: y\n", "|x", true },
	{ "ends mid-line", "data: x\n\ndata: y", "|x", true },
	{ "colon in value", "data: a:b\n\n", "|a:b", false },
};

static void check(const struct sample *s, const size_t *cuts, size_t ncuts)
{
	struct sse d;
	struct got g = { 0 };
	size_t at = 0, n = strlen(s->in);

	sse_init(&d, 4096, 4096);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : n;
		assert_int_equal(sse_feed(&d, s->in + at, end - at, on_event,
					  &g), 0);
		at = end;
	}
	if (strcmp(g.text, s->events))
		fail_msg("%s: got '%s', want '%s'", s->name, g.text,
			 s->events);
	assert_int_equal(sse_pending(&d), s->pending);
	sse_release(&d);
}

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const struct sample *s = &samples[i];
		size_t n = strlen(s->in), cut[2];

		check(s, NULL, 0);
		for (size_t a = 0; a <= n; a++) {
			cut[0] = a;
			check(s, cut, 1);
			for (size_t b = a; b <= n; b += 3) {
				cut[1] = b;
				check(s, cut, 2);
			}
		}
		size_t bytes[256];
		for (size_t k = 0; k < n && k < 256; k++)
			bytes[k] = k;
		check(s, bytes, n < 256 ? n : 256);
	}
}

static void test_bounds(void **state)
{
	struct sse d;
	struct got g = { 0 };
	char line[80];

	/* a line over line_max */
	sse_init(&d, 16, 64);
	memset(line, 'x', sizeof(line));
	assert_int_equal(sse_feed(&d, line, 16, on_event, &g), 0);
	assert_int_equal(sse_feed(&d, "y", 1, on_event, &g), -E2BIG);
	assert_int_equal(sse_feed(&d, "\n\n", 2, on_event, &g), -E2BIG);
	sse_release(&d);

	/* data over data_max across lines */
	sse_init(&d, 64, 15);
	assert_int_equal(sse_feed(&d, "data: 0123456\n", 14, on_event, &g), 0);
	assert_int_equal(sse_feed(&d, "data: 0123456\n", 14, on_event, &g),
			 -E2BIG);
	sse_release(&d);
	assert_int_equal(g.events, 0);

	/* an event type longer than the field */
	sse_init(&d, 256, 64);
	memset(line, 'e', sizeof(line));
	assert_int_equal(sse_feed(&d, "event: ", 7, on_event, &g), 0);
	assert_int_equal(sse_feed(&d, line, 70, on_event, &g), 0);
	assert_int_equal(sse_feed(&d, "\n", 1, on_event, &g), -E2BIG);
	sse_release(&d);
}

static void test_stop(void **state)
{
	struct sse d;
	struct got g = { .stop_after = 1 };
	const char *in = "data: a\n\ndata: b\n\n";

	sse_init(&d, 64, 64);
	assert_int_equal(sse_feed(&d, in, strlen(in), on_event, &g), 1);
	assert_int_equal(g.events, 1);
	assert_string_equal(g.text, "|a");
	sse_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_stop),
	};
	return cmocka_run_group_tests_name("sse", tests, NULL, NULL);
}
