/*
 * test_generate.c - the code generator's pure parts: the endpoint URL of a
 * base URL, the request's rules, the messages sent to the model, and the
 * admission of clients (the rate bucket and the caps).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/generate.h"
#include "run/lang.h"

static struct lang_table table;

static int setup(void **state)
{
	static const char *py = "{\"id\":\"python\",\"name\":\"Python\","
		"\"aliases\":[\"py\"],\"file\":\"main.py\","
		"\"run\":[\"/usr/bin/python3\",\"{file}\"]}";
	json_error_t e;
	json_t *j = json_loads(py, 0, &e);
	char err[256];

	table.v = calloc(1, sizeof(*table.v));
	table.n = 1;
	assert_int_equal(lang_parse(j, &table.v[0], err, sizeof(err)), 0);
	json_decref(j);
	return 0;
}

static int teardown(void **state)
{
	lang_release(&table.v[0]);
	free(table.v);
	return 0;
}

static void test_endpoint(void **state)
{
	static const struct {
		const char *base, *path, *auth;
		bool tls;
		int ret;
	} t[] = {
		{ "https://api.openai.com/v1", "/v1/chat/completions",
		  "api.openai.com", true, 0 },
		{ "http://127.0.0.1:11434/v1/", "/v1/chat/completions",
		  "127.0.0.1:11434", false, 0 },
		{ "http://h:8000/v1/chat/completions", "/v1/chat/completions",
		  "h:8000", false, 0 },
		{ "http://[::1]:8080", "/chat/completions", "[::1]:8080", false, 0 },
		{ "http://h/v1?x=1", "", "", false, -EINVAL },
		{ "ftp://h/v1", "", "", false, -EINVAL },
		{ "http://user:pw@h/v1", "", "", false, -EINVAL },
	};
	struct httpc_url u;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(generate_endpoint(t[i].base, &u), t[i].ret);
		if (t[i].ret)
			continue;
		assert_string_equal(u.path, t[i].path);
		assert_string_equal(u.authority, t[i].auth);
		assert_int_equal(u.tls, t[i].tls);
	}
}

static int parse(const char *json, struct generate_req *r, const char **field)
{
	json_error_t e;
	json_t *j = json_loads(json, 0, &e);
	char msg[256];
	int ret;

	assert_non_null(j);
	*field = NULL;
	ret = generate_parse(j, &table, r, field, msg, sizeof(msg));
	if (ret)
		assert_true(strlen(msg) > 10);
	json_decref(j);	/* the strings are gone: compare before */
	return ret;
}

static void test_parse(void **state)
{
	struct generate_req r;
	const char *field;
	json_error_t e;
	char msg[256];

	/* the strings point into the JSON: keep it while looking */
	json_t *j = json_loads("{\"prompt\":\"add two numbers\",\"language\":"
			       "\"PY\",\"code\":\"x = 1\\n\"}", 0, &e);
	assert_int_equal(generate_parse(j, &table, &r, &field, msg, sizeof(msg)),
			 0);
	assert_string_equal(r.prompt, "add two numbers");
	assert_string_equal(r.lang->id, "python");
	assert_string_equal(r.code, "x = 1\n");
	assert_int_equal(r.code_len, 6);
	json_decref(j);

	assert_int_equal(parse("{\"prompt\":\"p\",\"language\":\"python\","
			       "\"code\":null}", &r, &field), 0);
	assert_null(r.code);

	static const struct {
		const char *json, *field;
	} bad[] = {
		{ "{\"language\":\"python\"}", "prompt" },
		{ "{\"prompt\":\"\",\"language\":\"python\"}", "prompt" },
		{ "{\"prompt\":\" \\n\\t\",\"language\":\"python\"}", "prompt" },
		{ "{\"prompt\":[],\"language\":\"python\"}", "prompt" },
		{ "{\"prompt\":\"p\"}", "language" },
		{ "{\"prompt\":\"p\",\"language\":\"cobol\"}", "language" },
		{ "{\"prompt\":\"p\",\"language\":\"python\",\"code\":1}", "code" },
		{ "{\"prompt\":\"p\",\"language\":\"python\",\"model\":\"x\"}", "" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].json, &r, &field), -EINVAL);
		assert_string_equal(field, bad[i].field);
	}
	/* the prompt's cap, exactly */
	char *big = malloc(GENERATE_PROMPT_MAX + 64);
	int n = snprintf(big, 64, "{\"prompt\":\"");
	memset(big + n, 'a', GENERATE_PROMPT_MAX);
	strcpy(big + n + GENERATE_PROMPT_MAX, "\",\"language\":\"python\"}");
	assert_int_equal(parse(big, &r, &field), 0);
	memset(big + n, 'a', GENERATE_PROMPT_MAX + 1);
	strcpy(big + n + GENERATE_PROMPT_MAX + 1, "\",\"language\":\"python\"}");
	assert_int_equal(parse(big, &r, &field), -EINVAL);
	free(big);
}

static void test_messages(void **state)
{
	struct generate_req r = { .prompt = "hangman", .lang = &table.v[0] };
	char *sys, *user;

	assert_int_equal(generate_messages(&r, &sys, &user), 0);
	assert_non_null(strstr(sys, "Python"));
	assert_non_null(strstr(sys, "main.py"));
	assert_non_null(strstr(sys, "no Markdown code fences"));
	assert_string_equal(user, "hangman");
	free(sys);
	free(user);

	r.code = "print(1)\nTAIL";
	r.code_len = 9;	/* only this much is the code */
	assert_int_equal(generate_messages(&r, &sys, &user), 0);
	assert_non_null(strstr(user, "hangman\n\nThe program as it is now"));
	assert_non_null(strstr(user, "print(1)\n"));
	assert_null(strstr(user, "TAIL"));
	free(sys);
	free(user);

	r.code = "  \n";	/* blank code: not sent */
	r.code_len = 3;
	assert_int_equal(generate_messages(&r, &sys, &user), 0);
	assert_string_equal(user, "hangman");
	free(sys);
	free(user);
}

static void test_admit(void **state)
{
	struct generator g = { .enabled = true, .rate = 3 };
	unsigned retry;
	bool busy;
	uint64_t t = 1000000;

	/* a bucket of 3 */
	for (int i = 0; i < 2; i++) {
		assert_true(generate_admit(&g, "10.0.0.1", t, &retry, &busy));
		generate_done(&g, "10.0.0.1");
	}
	assert_true(generate_admit(&g, "10.0.0.1", t, &retry, &busy));
	generate_done(&g, "10.0.0.1");
	assert_false(generate_admit(&g, "10.0.0.1", t, &retry, &busy));
	assert_false(busy);
	assert_int_equal(retry, 21);	/* one token: 20 s at 3 a minute */
	/* another address has its own bucket */
	assert_true(generate_admit(&g, "10.0.0.2", t, &retry, &busy));
	generate_done(&g, "10.0.0.2");
	/* 20 s later one more is allowed, not two */
	t += 20000;
	assert_true(generate_admit(&g, "10.0.0.1", t, &retry, &busy));
	generate_done(&g, "10.0.0.1");
	assert_false(generate_admit(&g, "10.0.0.1", t, &retry, &busy));
	/* a full minute refills to 3, never more */
	t += 600000;
	for (int i = 0; i < 3; i++) {
		assert_true(generate_admit(&g, "10.0.0.1", t, &retry, &busy));
		generate_done(&g, "10.0.0.1");
	}
	assert_false(generate_admit(&g, "10.0.0.1", t, &retry, &busy));
	assert_int_equal(g.active, 0);
}

static void test_caps(void **state)
{
	struct generator g = { .enabled = true, .rate = 1000 };
	unsigned retry;
	bool busy;
	char addr[32];

	/* two at once per address */
	assert_true(generate_admit(&g, "a", 1, &retry, &busy));
	assert_true(generate_admit(&g, "a", 1, &retry, &busy));
	assert_false(generate_admit(&g, "a", 1, &retry, &busy));
	assert_false(busy);
	assert_int_equal(retry, 0);
	generate_done(&g, "a");
	assert_true(generate_admit(&g, "a", 1, &retry, &busy));
	/* GENERATE_ACTIVE_MAX in all */
	for (int i = 2; i < GENERATE_ACTIVE_MAX; i++) {
		snprintf(addr, sizeof(addr), "b%d", i);
		assert_true(generate_admit(&g, addr, 1, &retry, &busy));
	}
	assert_int_equal(g.active, GENERATE_ACTIVE_MAX);
	assert_false(generate_admit(&g, "c", 1, &retry, &busy));
	assert_true(busy);
	/* more addresses than the table holds: idle ones are reused */
	struct generator h = { .enabled = true, .rate = 5 };
	for (int i = 0; i < GENERATE_CLIENTS * 3; i++) {
		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 256, i % 256);
		assert_true(generate_admit(&h, addr, 1, &retry, &busy));
		generate_done(&h, addr);
	}
	assert_int_equal(h.active, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_admit),
		cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests_name("generate", tests, setup, teardown);
}
