/*
 * test_room_msg.c - the native protocol's room messages, parsed: every
 * shape of docs/protocol.md accepted, every wrong field named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/room_msg.h"

/* Parses a message text; returns room_msg_parse()'s result. */
static int parse(const char *text, struct room_msg *m,
		 struct room_msg_error *e)
{
	static json_t *keep;
	json_error_t jerr;
	json_t *j;

	json_decref(keep);	/* borrowed strings live until the next call */
	keep = j = json_loads(text, JSON_ALLOW_NUL, &jerr);
	assert_non_null(j);
	return room_msg_parse(json_string_value(json_object_get(j, "type")), j,
			      m, e);
}

static void test_good(void **state)
{
	struct room_msg m;
	struct room_msg_error e;

	assert_int_equal(parse("{\"type\":\"join\",\"room\":\"r\",\"name\":\"Ada\"}", &m, &e), 1);
	assert_int_equal(m.type, RMSG_JOIN);
	assert_string_equal(m.room, "r");
	assert_string_equal(m.name, "Ada");
	assert_int_equal(m.name_len, 3);
	assert_null(m.token);
	assert_int_equal(parse("{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\",\"token\":\"t\"}", &m, &e), 1);
	assert_string_equal(m.token, "t");
	assert_int_equal(parse("{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\",\"token\":null}", &m, &e), 1);
	assert_null(m.token);

	assert_int_equal(parse("{\"type\":\"push\",\"version\":7,\"updates\":[]}", &m, &e), 1);
	assert_int_equal(m.type, RMSG_PUSH);
	assert_int_equal(m.version, 7);
	assert_true(json_is_array(m.updates));
	assert_int_equal(parse("{\"type\":\"pull\",\"version\":0}", &m, &e), 1);
	assert_int_equal(m.type, RMSG_PULL);

	assert_int_equal(parse("{\"type\":\"presence\",\"selection\":{\"anchor\":3,\"head\":1},\"version\":2}", &m, &e), 1);
	assert_true(m.has_sel);
	assert_true(m.has_version);
	assert_int_equal(m.anchor, 3);
	assert_int_equal(m.head, 1);
	assert_int_equal(parse("{\"type\":\"presence\",\"selection\":null}", &m, &e), 1);
	assert_false(m.has_sel);
	assert_false(m.has_version);

	assert_int_equal(parse("{\"type\":\"chat\",\"text\":\"a\\u0000b\"}", &m, &e), 1);
	assert_int_equal(m.text_len, 3);	/* NULs kept: the room refuses them */
	assert_int_equal(parse("{\"type\":\"role\",\"member\":\"*\",\"role\":\"writer\"}", &m, &e), 1);
	assert_true(m.writer);
	assert_int_equal(parse("{\"type\":\"role\",\"member\":\"ab\",\"role\":\"reader\"}", &m, &e), 1);
	assert_false(m.writer);
	assert_int_equal(parse("{\"type\":\"room_settings\",\"open_edit\":false}", &m, &e), 1);
	assert_int_equal(m.open_edit, 0);
	assert_null(m.language);
	assert_int_equal(parse("{\"type\":\"room_settings\",\"language\":\"c\"}", &m, &e), 1);
	assert_int_equal(m.open_edit, -1);
	assert_string_equal(m.language, "c");
	assert_int_equal(parse("{\"type\":\"host\",\"member\":\"ab\"}", &m, &e), 1);
	assert_int_equal(parse("{\"type\":\"upload\",\"text\":\"x\",\"name\":\"a.c\"}", &m, &e), 1);
	assert_string_equal(m.file_name, "a.c");
	assert_int_equal(parse("{\"type\":\"leave\"}", &m, &e), 1);
	assert_int_equal(m.type, RMSG_LEAVE);
}

/* Files: an optional file id on the document messages (0 without one),
 * the capability on join, and the file_* messages. */
static void test_files(void **state)
{
	struct room_msg m;
	struct room_msg_error e;

	assert_int_equal(parse("{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\"}", &m, &e), 1);
	assert_false(m.files);
	assert_int_equal(parse("{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\",\"files\":true}", &m, &e), 1);
	assert_true(m.files);
	assert_int_equal(parse("{\"type\":\"push\",\"version\":7,\"updates\":[]}", &m, &e), 1);
	assert_int_equal(m.file, 0);
	assert_int_equal(parse("{\"type\":\"push\",\"version\":7,\"updates\":[],\"file\":4294967295}", &m, &e), 1);
	assert_int_equal(m.file, UINT32_MAX);
	assert_int_equal(parse("{\"type\":\"pull\",\"version\":0,\"file\":3}", &m, &e), 1);
	assert_int_equal(m.file, 3);
	assert_int_equal(parse("{\"type\":\"resync\",\"file\":2}", &m, &e), 1);
	assert_int_equal(m.type, RMSG_RESYNC);
	assert_int_equal(m.file, 2);
	assert_int_equal(parse("{\"type\":\"presence\",\"selection\":null,\"file\":5}", &m, &e), 1);
	assert_int_equal(m.file, 5);
	assert_int_equal(parse("{\"type\":\"upload\",\"text\":\"x\",\"file\":1}", &m, &e), 1);
	assert_int_equal(m.file, 1);
	assert_int_equal(parse("{\"type\":\"file_add\",\"name\":\"lib/a.py\"}", &m, &e), 1);
	assert_int_equal(m.type, RMSG_FILE_ADD);
	assert_string_equal(m.file_name, "lib/a.py");
	assert_int_equal(m.file_name_len, 8);
	assert_string_equal(m.text, "");
	assert_int_equal(m.text_len, 0);
	assert_int_equal(parse("{\"type\":\"file_add\",\"name\":\"a\",\"text\":\"x\\u0000y\"}", &m, &e), 1);
	assert_int_equal(m.text_len, 3);
	assert_int_equal(parse("{\"type\":\"file_rename\",\"file\":0,\"name\":\"b.py\"}", &m, &e), 1);
	assert_int_equal(m.type, RMSG_FILE_RENAME);
	assert_int_equal(m.file, 0);
	assert_string_equal(m.file_name, "b.py");
	assert_int_equal(parse("{\"type\":\"file_delete\",\"file\":4}", &m, &e), 1);
	assert_int_equal(m.type, RMSG_FILE_DELETE);
	assert_int_equal(m.file, 4);
	assert_int_equal(parse("{\"type\":\"file_entry\",\"file\":4}", &m, &e), 1);
	assert_int_equal(m.type, RMSG_FILE_ENTRY);
}

static void test_not_room(void **state)
{
	struct room_msg m;
	struct room_msg_error e;

	assert_int_equal(parse("{\"type\":\"run\",\"code\":\"x\"}", &m, &e), 0);
	assert_int_equal(parse("{\"type\":\"stop\"}", &m, &e), 0);
	assert_int_equal(parse("{\"type\":\"JOIN\"}", &m, &e), 0);
}

static void test_bad(void **state)
{
	static const struct { const char *text, *field; } cases[] = {
		{ "{\"type\":\"join\",\"name\":\"A\"}", "room" },
		{ "{\"type\":\"join\",\"room\":1,\"name\":\"A\"}", "room" },
		{ "{\"type\":\"join\",\"room\":\"r\"}", "name" },
		{ "{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\",\"token\":1}", "token" },
		{ "{\"type\":\"push\",\"updates\":[]}", "version" },
		{ "{\"type\":\"push\",\"version\":-1,\"updates\":[]}", "version" },
		{ "{\"type\":\"push\",\"version\":1.0,\"updates\":[]}", "version" },
		{ "{\"type\":\"push\",\"version\":9007199254740992,\"updates\":[]}", "version" },
		{ "{\"type\":\"push\",\"version\":1,\"updates\":{}}", "updates" },
		{ "{\"type\":\"push\",\"version\":1}", "updates" },
		{ "{\"type\":\"pull\",\"version\":\"1\"}", "version" },
		{ "{\"type\":\"presence\",\"selection\":{\"anchor\":1}}", "selection" },
		{ "{\"type\":\"presence\",\"selection\":{\"anchor\":-1,\"head\":0}}", "selection" },
		{ "{\"type\":\"presence\",\"selection\":[1,2]}", "selection" },
		{ "{\"type\":\"presence\",\"version\":-2,\"selection\":null}", "version" },
		{ "{\"type\":\"chat\"}", "text" },
		{ "{\"type\":\"chat\",\"text\":[\"x\"]}", "text" },
		{ "{\"type\":\"role\",\"role\":\"writer\"}", "member" },
		{ "{\"type\":\"role\",\"member\":\"a\",\"role\":\"host\"}", "role" },
		{ "{\"type\":\"role\",\"member\":\"a\"}", "role" },
		{ "{\"type\":\"room_settings\"}", "open_edit" },
		{ "{\"type\":\"room_settings\",\"open_edit\":1}", "open_edit" },
		{ "{\"type\":\"room_settings\",\"language\":false}", "language" },
		{ "{\"type\":\"host\",\"member\":7}", "member" },
		{ "{\"type\":\"upload\"}", "text" },
		{ "{\"type\":\"upload\",\"text\":\"x\",\"name\":[]}", "name" },
		{ "{\"type\":\"join\",\"room\":\"r\",\"name\":\"A\",\"files\":1}", "files" },
		{ "{\"type\":\"push\",\"version\":1,\"updates\":[],\"file\":-1}", "file" },
		{ "{\"type\":\"push\",\"version\":1,\"updates\":[],\"file\":4294967296}", "file" },
		{ "{\"type\":\"pull\",\"version\":1,\"file\":\"1\"}", "file" },
		{ "{\"type\":\"resync\",\"file\":null}", "file" },
		{ "{\"type\":\"presence\",\"selection\":null,\"file\":1.5}", "file" },
		{ "{\"type\":\"upload\",\"text\":\"x\",\"file\":true}", "file" },
		{ "{\"type\":\"file_add\"}", "name" },
		{ "{\"type\":\"file_add\",\"name\":\"a.py\",\"text\":1}", "text" },
		{ "{\"type\":\"file_rename\",\"name\":\"a.py\"}", "file" },
		{ "{\"type\":\"file_rename\",\"file\":1}", "name" },
		{ "{\"type\":\"file_delete\"}", "file" },
		{ "{\"type\":\"file_entry\",\"file\":\"0\"}", "file" },
	};
	struct room_msg m;
	struct room_msg_error e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].text, &m, &e);
		if (r != -1 || !e.field || strcmp(e.field, cases[i].field))
			fail_msg("%s: got %d, field %s", cases[i].text, r,
				 e.field ? e.field : "(none)");
		assert_string_equal(e.code, "bad_field");
		assert_true(strlen(e.message) > 10);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_not_room),
	    cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
