/*
 * test_openai.c - chunks of a streamed chat completion as OpenAI, Ollama,
 * llama.cpp's server and vLLM send them, errors in their shapes, and what
 * is not a chunk at all.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/openai.h"

struct row {
	const char *name;
	const char *type;
	const char *data;
	int ret;
	enum openai_kind kind;
	const char *text;
	const char *finish;
};

static const struct row rows[] = {
	{ "done", "", "[DONE]", 0, OPENAI_DONE, NULL, "" },
	{ "openai role chunk", "",
	  "{\"id\":\"chatcmpl-AbC\",\"object\":\"chat.completion.chunk\","
	  "\"created\":1733000000,\"model\":\"gpt-4o-mini-2024-07-18\","
	  "\"system_fingerprint\":\"fp_0aa8d3e20b\",\"choices\":[{\"index\":0,"
	  "\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
	  "\"logprobs\":null,\"finish_reason\":null}]}",
	  0, OPENAI_DELTA, "", "" },
	{ "openai content", "",
	  "{\"id\":\"chatcmpl-AbC\",\"object\":\"chat.completion.chunk\","
	  "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"print(\\\"h\\u00e9\\\")\"},"
	  "\"logprobs\":null,\"finish_reason\":null}]}",
	  0, OPENAI_DELTA, "print(\"h\xC3\xA9\")", "" },
	{ "openai stop", "",
	  "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{},"
	  "\"logprobs\":null,\"finish_reason\":\"stop\"}]}",
	  0, OPENAI_DELTA, "", "stop" },
	{ "openai usage chunk", "",
	  "{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":9}}",
	  0, OPENAI_DELTA, "", "" },
	{ "ollama chunk", "",
	  "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\","
	  "\"created\":1733000000,\"model\":\"llama3.2\",\"system_fingerprint\":"
	  "\"fp_ollama\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
	  "\"assistant\",\"content\":\"```\"},\"finish_reason\":null}]}",
	  0, OPENAI_DELTA, "```", "" },
	{ "ollama length", "",
	  "{\"id\":\"chatcmpl-123\",\"choices\":[{\"index\":0,\"delta\":{"
	  "\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":\"length\"}]}",
	  0, OPENAI_DELTA, "", "length" },
	{ "llama.cpp null content", "",
	  "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":"
	  "\"assistant\",\"content\":null}}],\"created\":1733000000,\"id\":"
	  "\"chatcmpl-abc\",\"model\":\"gpt-3.5-turbo\",\"object\":"
	  "\"chat.completion.chunk\"}",
	  0, OPENAI_DELTA, "", "" },
	{ "llama.cpp final with timings", "",
	  "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}],"
	  "\"usage\":{\"completion_tokens\":10},\"timings\":{\"predicted_ms\":1.5}}",
	  0, OPENAI_DELTA, "", "stop" },
	{ "vllm stop_reason", "",
	  "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":"
	  "\"Qwen/Qwen2.5-Coder-7B-Instruct\",\"choices\":[{\"index\":0,\"delta\":"
	  "{\"content\":\"\"},\"logprobs\":null,\"finish_reason\":\"stop\","
	  "\"stop_reason\":null}]}",
	  0, OPENAI_DELTA, "", "stop" },
	{ "error object", "",
	  "{\"error\":{\"code\":500,\"message\":\"the model crashed\",\"type\":"
	  "\"server_error\"}}",
	  0, OPENAI_ERROR, "the model crashed", "" },
	{ "error string", "", "{\"error\":\"out of memory\"}", 0, OPENAI_ERROR,
	  "out of memory", "" },
	{ "error without message", "", "{\"error\":{\"code\":7}}", 0,
	  OPENAI_ERROR, "{\"code\":7}", "" },
	{ "vllm error object", "",
	  "{\"object\":\"error\",\"message\":\"bad request\",\"type\":"
	  "\"BadRequestError\",\"code\":400}",
	  0, OPENAI_ERROR, "bad request", "" },
	{ "named error event, text", "error", "upstream went away", 0,
	  OPENAI_ERROR, "upstream went away", "" },
	{ "null error is no error", "",
	  "{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"a\"}}]}", 0,
	  OPENAI_DELTA, "a", "" },
	/* not chunks */
	{ "not json", "", "hello", -EBADMSG, 0, NULL, NULL },
	{ "truncated json", "", "{\"choices\":[{\"delta\":{\"content\":\"a", -EBADMSG,
	  0, NULL, NULL },
	{ "array", "", "[1,2]", -EBADMSG, 0, NULL, NULL },
	{ "choices not an array", "", "{\"choices\":{}}", -EBADMSG, 0, NULL, NULL },
	{ "choice not an object", "", "{\"choices\":[3]}", -EBADMSG, 0, NULL, NULL },
	{ "delta not an object", "", "{\"choices\":[{\"delta\":\"x\"}]}", -EBADMSG,
	  0, NULL, NULL },
	{ "content a number", "", "{\"choices\":[{\"delta\":{\"content\":5}}]}",
	  -EBADMSG, 0, NULL, NULL },
	{ "finish a number", "", "{\"choices\":[{\"finish_reason\":1}]}", -EBADMSG,
	  0, NULL, NULL },
	{ "duplicate keys", "", "{\"choices\":[],\"choices\":[]}", -EBADMSG, 0,
	  NULL, NULL },
	{ "invalid utf-8", "", "{\"choices\":[{\"delta\":{\"content\":\"\xC3\"}}]}",
	  -EBADMSG, 0, NULL, NULL },
	{ "lone surrogate", "",
	  "{\"choices\":[{\"delta\":{\"content\":\"\\ud83d\"}}]}", -EBADMSG, 0,
	  NULL, NULL },
	{ "named error, bad utf-8", "error", "\xFF", -EBADMSG, 0, NULL, NULL },
};

static void test_events(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct openai_event ev;
		int ret = openai_parse_event(r->type, r->data, strlen(r->data),
					     &ev);
		if (ret != r->ret)
			fail_msg("%s: returned %d, want %d", r->name, ret,
				 r->ret);
		if (ret) {
			assert_null(ev.text);
			continue;
		}
		if (ev.kind != r->kind)
			fail_msg("%s: kind %d, want %d", r->name, ev.kind,
				 r->kind);
		if (r->text && (!ev.text || strcmp(ev.text, r->text)))
			fail_msg("%s: text '%s', want '%s'", r->name,
				 ev.text ? ev.text : "(null)", r->text);
		if (ev.text)
			assert_int_equal(strlen(ev.text), ev.len);
		assert_string_equal(ev.finish, r->finish);
		openai_event_release(&ev);
	}
}

static void test_request(void **state)
{
	json_t *j = openai_chat_request("llama3.2", "sys", "user \xE6\x97\xA5");
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	assert_string_equal(s, "{\"messages\":[{\"content\":\"sys\",\"role\":"
			       "\"system\"},{\"content\":\"user \xE6\x97\xA5\",\"role\":"
			       "\"user\"}],\"model\":\"llama3.2\",\"stream\":true}");
	free(s);
	json_decref(j);
	/* text that is not UTF-8 is no request */
	assert_null(openai_chat_request("m", "s", "\xFF"));
}

static void test_error_text(void **state)
{
	static const struct {
		const char *body, *want;
	} t[] = {
		{ "{\n    \"error\": {\n        \"message\": \"Incorrect API key "
		  "provided: sk-abc.\",\n        \"type\": \"invalid_request_error\","
		  "\n        \"param\": null,\n        \"code\": \"invalid_api_key\"\n"
		  "    }\n}\n", "Incorrect API key provided: sk-abc." },
		{ "{\"error\":{\"message\":\"model \\\"x\\\" not found, try pulling "
		  "it first\",\"type\":\"api_error\",\"param\":null,\"code\":null}}",
		  "model \"x\" not found, try pulling it first" },
		{ "{\"error\":\"unauthorized\"}", "unauthorized" },
		{ "{\"object\":\"error\",\"message\":\"The model `x` does not exist."
		  "\",\"type\":\"NotFoundError\",\"param\":null,\"code\":404}",
		  "The model `x` does not exist." },
		{ "{\"detail\":\"Not Found\"}", "Not Found" },
		{ "{\"detail\":[{\"loc\":[\"body\"]}]}", "" },
		{ "Too Many Requests\nmore", "Too Many Requests" },
		{ "<html><body>502</body></html>", "" },
		{ "line one\r\nline two", "line one" },
		{ "{\"error\":{\"message\":\"a\\nb\\tc\"}}", "a bc" },
		{ "\xFF\xFE", "" },
		{ "", "" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		openai_error_text(t[i].body, strlen(t[i].body), out, sizeof(out));
		assert_string_equal(out, t[i].want);
	}
	/* cut to the buffer, at a character boundary */
	char small[6];
	const char *body = "{\"error\":\"ab\xE6\x97\xA5\xE6\x97\xA5\"}";
	openai_error_text(body, strlen(body), small, sizeof(small));
	assert_string_equal(small, "ab\xE6\x97\xA5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_error_text),
	};
	return cmocka_run_group_tests_name("openai", tests, NULL, NULL);
}
