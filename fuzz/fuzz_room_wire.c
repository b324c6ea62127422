/*
 * fuzz_room_wire.c - rw_event_decode(), rw_log_decode(),
 * rw_member_decode() and rw_chat_decode() on any bytes.
 *
 * Checks: what decodes is within the caps (updates, sizes, ids) and
 * encodes again to bytes that decode to the same value (the 'S' settings
 * event is Lua's: it is only range-checked).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/room_wire.h"
#include "fuzz.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

static bool same(const void *a, const void *b, size_t n)
{
	return n == 0 || !memcmp(a, b, n);
}

static struct rw_event ev, ev2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct room_log_entry e, e2;
	struct room_member_record m, m2;
	struct room_chat_record c, c2;
	struct buf b;

	buf_init(&b, 16u << 20);
	if (rw_event_decode(data, size, &ev) == 0) {
		switch (ev.kind) {
		case 'U': {
			struct room_log_entry *le = calloc(ev.n, sizeof(*le));
			CHECK(ev.n >= 1 && ev.n <= ROOM_PUSH_MAX);
			for (size_t i = 0; i < ev.n; i++) {
				le[i].client_id = ev.u[i].client_id;
				le[i].changes = ev.u[i].changes;
				le[i].changes_len = ev.u[i].len;
			}
			CHECK(rw_updates_encode(&b, ev.from, ev.member, le, ev.n) == 0);
			CHECK(rw_event_decode(b.data, b.len, &ev2) == 0);
			CHECK(ev2.from == ev.from && ev2.n == ev.n &&
			      !strcmp(ev2.member, ev.member));
			for (size_t i = 0; i < ev.n; i++)
				CHECK(!strcmp(ev2.u[i].client_id, ev.u[i].client_id) &&
				      ev2.u[i].len == ev.u[i].len &&
				      same(ev2.u[i].changes, ev.u[i].changes,
					   ev.u[i].len));
			free(le);
			break;
		}
		case 'M':
			CHECK(rw_member_encode(&b, &ev.rec) == 0);
			CHECK(rw_member_decode(b.data, b.len, &m2) == 0);
			CHECK(!memcmp(&m2, &ev.rec, sizeof(m2)));
			break;
		case 'O':
			CHECK(rw_online_encode(&b, ev.gateway, &ev.rec) == 0);
			CHECK(rw_event_decode(b.data, b.len, &ev2) == 0);
			CHECK(!memcmp(&ev2.rec, &ev.rec, sizeof(ev.rec)) &&
			      !strcmp(ev2.gateway, ev.gateway));
			break;
		case 'F':
			CHECK(rw_offline_encode(&b, ev.gateway, ev.member) == 0);
			break;
		case 'P':
			CHECK(rw_presence_encode(&b, ev.member, ev.has, ev.version,
						 ev.anchor, ev.head) == 0);
			CHECK(rw_event_decode(b.data, b.len, &ev2) == 0);
			CHECK(ev2.has == ev.has && ev2.version == ev.version &&
			      ev2.anchor == ev.anchor && ev2.head == ev.head);
			break;
		case 'R':
			CHECK(rw_run_encode(&b, ev.run, ev.member) == 0);
			break;
		case 'S':
			CHECK(strlen(ev.language) <= ROOM_LANG_MAX);
			break;
		case 'C':
			CHECK(ev.chat.text_len <= RW_TEXT_MAX);
			break;
		default:
			CHECK(!"an unknown kind decoded");
		}
	}
	buf_reset(&b);
	if (rw_log_decode(data, size, &e) == 0) {
		CHECK(rw_log_encode(&b, &e) == 0);
		CHECK(rw_log_decode(b.data, b.len, &e2) == 0);
		CHECK(e2.version == e.version && !strcmp(e2.client_id, e.client_id) &&
		      !strcmp(e2.member, e.member) && e2.changes_len == e.changes_len &&
		      same(e2.changes, e.changes, e.changes_len));
	}
	buf_reset(&b);
	if (rw_member_decode(data, size, &m) == 0) {
		CHECK(rw_member_encode(&b, &m) == 0);
		CHECK(rw_member_decode(b.data, b.len, &m2) == 0);
		CHECK(!memcmp(&m, &m2, sizeof(m)));
	}
	buf_reset(&b);
	if (rw_chat_decode(data, size, &c) == 0) {
		CHECK(rw_chat_encode_rest(&b, &c) == 0);
		struct buf line;
		unsigned char head[9] = { 'C' };
		buf_init(&line, 16u << 20);
		for (int i = 0; i < 8; i++)
			head[1 + i] = (unsigned char)(c.id >> (56 - 8 * i));
		buf_append(&line, head, 9);
		buf_append(&line, b.data, b.len);
		CHECK(rw_chat_decode(line.data, line.len, &c2) == 0);
		CHECK(c2.id == c.id && !strcmp(c2.member, c.member) &&
		      !strcmp(c2.name, c.name) && c2.text_len == c.text_len &&
		      same(c2.text, c.text, c.text_len) && c2.ts == c.ts);
		buf_release(&line);
	}
	buf_release(&b);
	return 0;
}
