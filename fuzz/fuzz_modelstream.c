/*
 * fuzz_modelstream.c - a model endpoint's answer as the code generator
 * reads it: server-sent events (lib/sse.h) -> OpenAI chunks
 * (proto/openai.h) -> the code without its fences (proto/fence.h).
 *
 * Input: 4 bytes seeding the chunk sizes, then the response body. Checks:
 * the events, the text and the streamed code are the same however the
 * body is cut (one piece, byte by byte, random pieces, empty pieces);
 * every delta is valid UTF-8; the streamed code is never longer than the
 * text and ends with what fence_strip() gives for the whole text (prose
 * let through before a fence is the only difference); fence_strip()
 * keeps valid UTF-8 valid.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/sse.h"
#include "lib/utf8.h"
#include "proto/fence.h"
#include "proto/openai.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

struct run {
	struct buf events;	/* a transcript of every event */
	struct buf text;	/* the deltas' text */
	struct buf code;	/* the fence stripper's output */
	struct fence f;
	int done, errors, bad;
};

static int on_event(void *arg, const char *type, const char *data,
		    size_t len)
{
	struct run *r = arg;
	struct openai_event ev;
	int ret = openai_parse_event(type, data, len, &ev);

	buf_append(&r->events, type, strlen(type));
	buf_append(&r->events, "|", 1);
	buf_append(&r->events, data, len);
	buf_append(&r->events, "\n", 1);
	if (ret) {
		CHECK(ret == -EBADMSG);
		r->bad++;
		return 0;
	}
	if (ev.kind == OPENAI_DONE)
		r->done++;
	else if (ev.kind == OPENAI_ERROR)
		r->errors++;
	else {
		CHECK(utf8_valid_prefix(ev.text, ev.len) == ev.len);
		buf_append(&r->text, ev.text, ev.len);
		CHECK(fence_feed(&r->f, ev.text, ev.len, &r->code) == 0);
	}
	openai_event_release(&ev);
	return 0;
}

static uint32_t next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void run_chunked(const char *p, size_t n, uint32_t seed, int mode,
			struct run *r)
{
	struct sse d;
	size_t at = 0;
	int ret = 0;

	seed = (seed * 2654435761u + (uint32_t)mode) | 1;
	memset(r, 0, sizeof(*r));
	buf_init(&r->events, 4 * n + 64);
	buf_init(&r->text, n + 1);
	buf_init(&r->code, n + 1);
	fence_init(&r->f);
	sse_init(&d, 4096, 8192);
	while (at < n && !ret) {
		size_t k = mode == 0 ? n - at : mode == 1 ? 1 : next(&seed) % 9;
		if (k > n - at)
			k = n - at;
		ret = sse_feed(&d, p + at, k, on_event, r);
		CHECK(ret == 0 || ret == -E2BIG);
		at += k;
	}
	if (!ret)
		CHECK(fence_finish(&r->f, &r->code) == 0);
	buf_append(&r->events, ret ? "E2BIG" : sse_pending(&d) ? "cut" : "end",
		   ret ? 5 : 3);
	sse_release(&d);
}

static bool same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && !memcmp(buf_str(a), buf_str(b), a->len);
}

static void release(struct run *r)
{
	buf_release(&r->events);
	buf_release(&r->text);
	buf_release(&r->code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed = 0x9E3779B9;
	struct run one, other;
	struct buf strip;

	if (size >= 4) {
		memcpy(&seed, data, 4);
		data += 4;
		size -= 4;
	}
	if (size > 1 << 16)
		return 0;
	run_chunked((const char *)data, size, seed, 0, &one);
	CHECK(one.code.len <= one.text.len);
	if (!strstr(buf_str(&one.events), "E2BIG")) {
		buf_init(&strip, one.text.len + 1);
		CHECK(fence_strip(buf_str(&one.text), one.text.len, &strip) == 0);
		CHECK(strip.len <= one.code.len);
		CHECK(!memcmp(buf_str(&one.code) + one.code.len - strip.len,
			      buf_str(&strip), strip.len));
		CHECK(utf8_valid_prefix(buf_str(&strip), strip.len) == strip.len);
		buf_release(&strip);
	}
	for (int mode = 1; mode <= 3; mode++) {
		run_chunked((const char *)data, size, seed, mode, &other);
		/* a bound passed at a different byte stops at a different
		 * event: compare complete runs only */
		if (!strstr(buf_str(&one.events), "E2BIG") &&
		    !strstr(buf_str(&other.events), "E2BIG")) {
			CHECK(same(&one.events, &other.events));
			CHECK(same(&one.text, &other.text));
			CHECK(same(&one.code, &other.code));
			CHECK(one.done == other.done && one.bad == other.bad &&
			      one.errors == other.errors);
		}
		release(&other);
	}
	release(&one);
	return 0;
}
