/*
 * test_log.c - log lines as text and as JSON: the JSON is valid (parsed
 * back with jansson) whatever the message holds, events carry their
 * fields, levels filter, and text lines keep their historic shape.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "lib/log.h"

static char out[65536];

/* Runs fn() with stderr captured into 'out'. */
static void capture(void (*fn)(void))
{
	char path[] = "/tmp/test_log.XXXXXX";
	int fd = mkstemp(path), err = dup(2);
	ssize_t n;

	assert_true(fd >= 0 && err >= 0);
	unlink(path);
	dup2(fd, 2);
	fn();
	dup2(err, 2);
	close(err);
	n = pread(fd, out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
}

static void say_plain(void)
{
	log_info("run ab12: exited \"quoted\" \\ tab\there \x01 bell");
}

static void say_bad_utf8(void)
{
	log_warn("http: path '%s'", "caf\xc3\xa9 \xff\xfe end");
}

static void say_event(void)
{
	struct log_kv kv[] = {
		LOG_STR("peer", "127.0.0.1"),
		LOG_NUM("status", 404),
		LOG_STR("path", "/x\"y"),
		LOG_STR("nothing", NULL),
	};
	log_event(LOG_INFO, "access", kv, 4, "http: %s %d", "GET", 404);
}

static void say_debug(void)
{
	log_debug("hidden %d", 1);
	log_info("shown");
}

static json_t *one_line(void)
{
	json_error_t e;
	json_t *j;
	char *nl = strchr(out, '\n');

	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');	/* exactly one line */
	j = json_loadb(out, (size_t)(nl - out), 0, &e);
	if (!j)
		fail_msg("not JSON (%s): %s", e.text, out);
	return j;
}

static void test_json_plain(void **state)
{
	json_t *j;

	log_set_format(LOG_FORMAT_JSON);
	capture(say_plain);
	j = one_line();
	assert_string_equal(json_string_value(json_object_get(j, "level")),
			    "info");
	assert_string_equal(json_string_value(json_object_get(j, "comp")),
			    "run");
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
			    "run ab12: exited \"quoted\" \\ tab\there \x01 bell");
	assert_non_null(strstr(json_string_value(json_object_get(j, "ts")),
			       "Z"));
	json_decref(j);
	log_set_format(LOG_FORMAT_TEXT);
}

static void test_json_bad_utf8(void **state)
{
	json_t *j;

	log_set_format(LOG_FORMAT_JSON);
	capture(say_bad_utf8);
	j = one_line();
	/* valid UTF-8 kept, invalid bytes replaced */
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
			    "http: path 'caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd end'");
	json_decref(j);
	log_set_format(LOG_FORMAT_TEXT);
}

static void test_json_event(void **state)
{
	json_t *j;

	log_set_format(LOG_FORMAT_JSON);
	capture(say_event);
	j = one_line();
	assert_string_equal(json_string_value(json_object_get(j, "event")),
			    "access");
	assert_string_equal(json_string_value(json_object_get(j, "peer")),
			    "127.0.0.1");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 404);
	assert_string_equal(json_string_value(json_object_get(j, "path")),
			    "/x\"y");
	assert_string_equal(json_string_value(json_object_get(j, "nothing")),
			    "");
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
			    "http: GET 404");
	json_decref(j);
	log_set_format(LOG_FORMAT_TEXT);
}

static void test_text_shape_and_levels(void **state)
{
	capture(say_event);
	/* "2026-11-22T00:12:32.123Z info  http: GET 404" */
	assert_int_equal(strlen(out), 24 + 1 + 6 + 13 + 1);
	assert_memory_equal(out + 24, " info  http: GET 404\n", 21);
	capture(say_debug);
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "shown"));
	log_set_level(LOG_DEBUG);
	capture(say_debug);
	assert_non_null(strstr(out, "debug hidden 1"));
	log_set_level(LOG_INFO);
}

static void test_parse(void **state)
{
	enum log_format f;

	assert_int_equal(log_parse_format("json", &f), 0);
	assert_int_equal(f, LOG_FORMAT_JSON);
	assert_int_equal(log_parse_format("text", &f), 0);
	assert_int_equal(f, LOG_FORMAT_TEXT);
	assert_int_equal(log_parse_format("JSON", &f), -EINVAL);
	assert_int_equal(log_parse_format("", &f), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_plain),
	    cmocka_unit_test(test_json_bad_utf8),
	    cmocka_unit_test(test_json_event),
	    cmocka_unit_test(test_text_shape_and_levels),
	    cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
