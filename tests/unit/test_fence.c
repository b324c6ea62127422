/*
 * test_fence.c - Markdown fences out of a model's answer: a table of
 * answers with what streams out and what the final text is, each fed
 * whole, split at every byte, and byte by byte (the result never depends
 * on where the network cut the stream).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/fence.h"

struct sample {
	const char *name;
	const char *in;
	const char *streamed;	/* fence_feed() + fence_finish() */
	const char *final;	/* fence_strip(); NULL: the same */
};

static const struct sample samples[] = {
	{ "empty", "", "", NULL },
	{ "plain code", "print(1)\n", "print(1)\n", NULL },
	{ "no final newline", "print(1)", "print(1)", NULL },
	{ "fenced", "```python\nprint(1)\n```\n", "print(1)\n", NULL },
	{ "fenced, no newline at the end", "```python\nprint(1)\n```",
	  "print(1)\n", NULL },
	{ "fenced, no info", "```\nx = 1\n```", "x = 1\n", NULL },
	{ "tildes", "~~~c\nint x;\n~~~\n", "int x;\n", NULL },
	{ "longer fence", "````\n```\ninner\n```\n````\n", "```\ninner\n```\n",
	  NULL },
	{ "leading blank lines", "\n\n  \n```js\nf()\n```", "f()\n", NULL },
	{ "explanation after", "```py\na\n```\nThis prints a.\n", "a\n", NULL },
	{ "second block dropped", "```\na\n```\ntext\n```\nb\n```\n", "a\n",
	  NULL },
	{ "prose before", "Here is the code:\n```python\nprint(2)\n```\n",
	  "Here is the code:\nprint(2)\n", "print(2)\n" },
	{ "unclosed (cut)", "```go\npackage main\n", "package main\n", NULL },
	{ "closer with spaces", "```\na\n```   \nrest", "a\n", NULL },
	{ "closer with info is content", "```\na\n```py\nb\n```\n",
	  "a\n```py\nb\n", NULL },
	{ "indented 4: not a fence", "    ```\ncode\n", "    ```\ncode\n",
	  NULL },
	{ "indented 3: a fence", "   ```\ncode\n   ```\n", "code\n", NULL },
	{ "backtick info with backtick: not a fence", "``` a`b\nx\n",
	  "``` a`b\nx\n", NULL },
	{ "two backticks: text", "``x``\n", "``x``\n", NULL },
	{ "CRLF", "```\r\na\r\nb\r\n```\r\n", "a\nb\n", NULL },
	{ "lone CR", "a\rb\r", "a\nb\n", NULL },
	{ "python indentation kept", "def f():\n    return 1\n",
	  "def f():\n    return 1\n", NULL },
	{ "leading indented code", "    x = 1\n", "    x = 1\n", NULL },
	{ "utf-8", "```\nprint('日本 👋')\n```", "print('日本 👋')\n", NULL },
	{ "backticks inside code", "```\ns = \"```\"\n```\n", "s = \"```\"\n",
	  NULL },
	{ "blank lines inside kept", "```\na\n\n\nb\n```", "a\n\n\nb\n", NULL },
	{ "only a fence", "```", "", NULL },
};

static void run(const struct sample *s, const size_t *cuts, size_t ncuts)
{
	struct fence f;
	struct buf out;
	size_t at = 0, n = strlen(s->in);

	buf_init(&out, 1 << 16);
	fence_init(&f);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : n;
		assert_int_equal(fence_feed(&f, s->in + at, end - at, &out), 0);
		at = end;
	}
	assert_int_equal(fence_finish(&f, &out), 0);
	if (strcmp(buf_str(&out), s->streamed))
		fail_msg("%s: streamed '%s', want '%s'", s->name, buf_str(&out),
			 s->streamed);
	buf_release(&out);
}

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		const struct sample *s = &samples[i];
		size_t n = strlen(s->in), cut[2], bytes[128];
		struct buf out;

		run(s, NULL, 0);
		for (size_t a = 0; a <= n; a++) {
			cut[0] = a;
			run(s, cut, 1);
			for (size_t b = a; b <= n; b++) {
				cut[1] = b;
				run(s, cut, 2);
			}
		}
		for (size_t k = 0; k < n && k < 128; k++)
			bytes[k] = k;
		run(s, bytes, n < 128 ? n : 128);

		buf_init(&out, 1 << 16);
		buf_append(&out, "kept:", 5);	/* appends after what is there */
		assert_int_equal(fence_strip(s->in, n, &out), 0);
		const char *want = s->final ? s->final : s->streamed;
		if (strcmp(buf_str(&out) + 5, want))
			fail_msg("%s: final '%s', want '%s'", s->name,
				 buf_str(&out) + 5, want);
		assert_memory_equal(buf_str(&out), "kept:", 5);
		buf_release(&out);
	}
}

/* The output's cap is an error, not a crash or a silent cut. */
static void test_full(void **state)
{
	struct fence f;
	struct buf out;

	buf_init(&out, 8);
	fence_init(&f);
	assert_int_equal(fence_feed(&f, "abcdefghijkl\n", 13, &out), -ENOBUFS);
	buf_release(&out);
	buf_init(&out, 4);
	assert_int_equal(fence_strip("```\nabcdefgh\n```\n", 17, &out),
			 -ENOBUFS);
	buf_release(&out);
}

/* A long line that starts like a fence is released once it cannot be one
 * within FENCE_HOLD_MAX bytes; nothing is lost. */
static void test_long_held_line(void **state)
{
	char in[FENCE_HOLD_MAX * 3 + 8];
	struct fence f;
	struct buf out;

	memcpy(in, "```", 3);
	memset(in + 3, 'a', sizeof(in) - 4);
	in[sizeof(in) - 1] = '\0';
	buf_init(&out, 1 << 16);
	fence_init(&f);
	assert_int_equal(fence_feed(&f, in, strlen(in), &out), 0);
	assert_true(out.len > 0);	/* released before the line ended */
	assert_int_equal(fence_finish(&f, &out), 0);
	assert_string_equal(buf_str(&out), in);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_long_held_line),
	};
	return cmocka_run_group_tests_name("fence", tests, NULL, NULL);
}
