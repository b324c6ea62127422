/*
 * fuzz_entry.c - event_decode(), ctl_decode() and result_decode() on any
 * bytes (all three on every input).
 *
 * Checks: whatever decodes is in range (enums, run ids, sizes) and encodes
 * again to bytes that decode to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/entry.h"
#include "cluster/job.h"
#include "fuzz.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_bytes(const char *a, const char *b, size_t n)
{
	return n == 0 || !memcmp(a, b, n);
}

static bool same_result(const struct run_result *a, const struct run_result *b)
{
	return !memcmp(a, b, sizeof(*a));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_event ev, ev2;
	struct ctl c, c2;
	struct run_result res, res2;
	struct buf b;

	buf_init(&b, 4u << 20);
	if (event_decode(data, size, &ev) == 0) {
		CHECK(ev.type >= EVENT_CLAIMED && ev.type <= EVENT_USAGE);
		CHECK(ev.len <= ENTRY_DATA_MAX);
		CHECK(event_encode(&ev, &b) == 0);
		CHECK(event_decode(b.data, b.len, &ev2) == 0);
		CHECK(ev.type == ev2.type && same_str(ev.worker, ev2.worker) &&
		      ev.step == ev2.step && ev.stream == ev2.stream &&
		      ev.offset == ev2.offset && ev.len == ev2.len &&
		      same_bytes(ev.data, ev2.data, ev.len) &&
		      ev.state == ev2.state && ev.canonical == ev2.canonical &&
		      ev.input_done == ev2.input_done &&
		      same_result(&ev.result, &ev2.result) &&
		      !memcmp(&ev.usage, &ev2.usage, sizeof(ev.usage)));
	}
	buf_reset(&b);
	if (ctl_decode(data, size, &c) == 0) {
		CHECK(job_id_valid(c.run));
		CHECK(c.type >= CTL_INPUT && c.type <= CTL_USAGE);
		CHECK(ctl_encode(&c, &b) == 0);
		CHECK(ctl_decode(b.data, b.len, &c2) == 0);
		CHECK(c.type == c2.type && !strcmp(c.run, c2.run) &&
		      c.len == c2.len && same_bytes(c.data, c2.data, c.len) &&
		      c.rows == c2.rows && c.cols == c2.cols &&
		      c.reason == c2.reason && c.sig == c2.sig &&
		      same_str(c.gateway, c2.gateway) && c.offset == c2.offset);
	}
	buf_reset(&b);
	if (result_decode(data, size, &res) == 0) {
		CHECK(res.status <= ENTRY_STATUS_MAX);
		CHECK(result_encode(&res, &b) == 0);
		CHECK(result_decode(b.data, b.len, &res2) == 0);
		CHECK(same_result(&res, &res2));
	}
	buf_release(&b);
	return 0;
}
