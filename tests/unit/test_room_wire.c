/*
 * test_room_wire.c - a room's data and events as bytes: each kind round
 * trips with its fields; refusals (bad member ids, roles, colours, too
 * many updates, trailing bytes, every truncation); the settings event as
 * the Lua script writes it; the chat line with its id in big-endian.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/room_wire.h"

#define MID "0123abcd"

static struct rw_event ev;	/* big: not on the stack */

static void check_cuts(const struct buf *b)
{
	char *more = malloc(b->len + 1);

	for (size_t n = 0; n < b->len; n++)
		assert_int_equal(rw_event_decode(b->data, n, &ev), -EINVAL);
	memcpy(more, b->data, b->len);
	more[b->len] = 0;
	assert_int_equal(rw_event_decode(more, b->len + 1, &ev), -EINVAL);
	free(more);
}

static void member(struct room_member_record *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), MID);
	snprintf(m->name, sizeof(m->name), "Ada 🎉");
	m->role = ROOM_WRITER;
	snprintf(m->color, sizeof(m->color), "#3e63dd");
	for (int i = 0; i < ROOM_HASH_LEN; i++)
		m->token_hash[i] = (unsigned char)(i * 7);
}

static void test_log_and_updates(void **state)
{
	struct room_log_entry e[3] = {
		{ .version = 41, .client_id = "c1", .member = MID,
		  .changes = "[0,[0,\"a\"]]", .changes_len = 11 },
		{ .version = 42, .client_id = "c1", .member = MID,
		  .changes = "[]", .changes_len = 2 },
		{ .version = 43, .client_id = "c2-long", .member = MID,
		  .changes = "[1]", .changes_len = 3 },
	}, d;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 20);
	assert_int_equal(rw_log_encode(&b, &e[0]), 0);
	assert_int_equal(rw_log_decode(b.data, b.len, &d), 0);
	assert_true(d.version == 41);
	assert_string_equal(d.client_id, "c1");
	assert_string_equal(d.member, MID);
	assert_int_equal(d.changes_len, 11);
	assert_memory_equal(d.changes, e[0].changes, 11);
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(rw_log_decode(b.data, n, &d), -EINVAL);

	buf_reset(&b);
	assert_int_equal(rw_updates_encode(&b, 41, MID, e, 3), 0);
	assert_int_equal(rw_event_decode(b.data, b.len, &ev), 0);
	assert_int_equal(ev.kind, 'U');
	assert_true(ev.from == 41);
	assert_string_equal(ev.member, MID);
	assert_int_equal(ev.n, 3);
	assert_string_equal(ev.u[2].client_id, "c2-long");
	assert_int_equal(ev.u[1].len, 2);
	check_cuts(&b);
	/* refused: no updates, too many, a member id that is not one */
	buf_reset(&b);
	assert_int_equal(rw_updates_encode(&b, 0, MID, e, 0), -EINVAL);
	assert_int_equal(rw_updates_encode(&b, 0, "nothex!!", e, 1), -EINVAL);
	struct room_log_entry *many = calloc(ROOM_PUSH_MAX + 1, sizeof(*many));
	for (int i = 0; i <= ROOM_PUSH_MAX; i++)
		many[i] = e[1];
	assert_int_equal(rw_updates_encode(&b, 0, MID, many, ROOM_PUSH_MAX), 0);
	buf_reset(&b);
	assert_int_equal(rw_updates_encode(&b, 0, MID, many, ROOM_PUSH_MAX + 1),
			 -EINVAL);
	assert_int_equal(b.len, 0);
	free(many);
	buf_release(&b);
}

static void test_member_online_offline(void **state)
{
	struct room_member_record m, d;
	struct buf b;

	(void)state;
	member(&m);
	buf_init(&b, 4096);
	assert_int_equal(rw_member_encode(&b, &m), 0);
	assert_int_equal(rw_member_decode(b.data, b.len, &d), 0);
	assert_memory_equal(&m, &d, sizeof(m));
	assert_int_equal(rw_event_decode(b.data, b.len, &ev), 0);
	assert_int_equal(ev.kind, 'M');
	assert_memory_equal(&ev.rec, &m, sizeof(m));
	check_cuts(&b);

	buf_reset(&b);
	assert_int_equal(rw_online_encode(&b, "gw-a", &m), 0);
	assert_int_equal(rw_event_decode(b.data, b.len, &ev), 0);
	assert_int_equal(ev.kind, 'O');
	assert_string_equal(ev.gateway, "gw-a");
	assert_string_equal(ev.rec.name, "Ada 🎉");
	check_cuts(&b);

	buf_reset(&b);
	assert_int_equal(rw_offline_encode(&b, "gw-a", MID), 0);
	assert_int_equal(rw_event_decode(b.data, b.len, &ev), 0);
	assert_int_equal(ev.kind, 'F');
	assert_string_equal(ev.member, MID);
	check_cuts(&b);

	/* refused */
	buf_reset(&b);
	m.role = 3;
	assert_int_equal(rw_member_encode(&b, &m), -EINVAL);
	m.role = ROOM_READER;
	snprintf(m.color, sizeof(m.color), "red");
	assert_int_equal(rw_member_encode(&b, &m), -EINVAL);
	member(&m);
	snprintf(m.id, sizeof(m.id), "0123ABCD");
	assert_int_equal(rw_member_encode(&b, &m), -EINVAL);
	member(&m);
	assert_int_equal(rw_online_encode(&b, "", &m), -EINVAL);
	assert_int_equal(rw_offline_encode(&b, "gw", "short"), -EINVAL);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_chat(void **state)
{
	struct room_chat_record c = { .name = "Ada", .text = "hello\0there",
				      .text_len = 11, .ts = -5 }, d;
	struct buf rest, line;

	(void)state;
	snprintf(c.member, sizeof(c.member), MID);
	buf_init(&rest, 4096);
	buf_init(&line, 4096);
	assert_int_equal(rw_chat_encode_rest(&rest, &c), 0);
	/* what SCRIPT_ROOM_CHAT does: 'C', the id big-endian, the rest */
	static const unsigned char id[9] = { 'C', 0, 0, 0, 0, 0, 0, 1, 2 };
	buf_append(&line, id, 9);
	buf_append(&line, rest.data, rest.len);
	assert_int_equal(rw_chat_decode(line.data, line.len, &d), 0);
	assert_true(d.id == 258);
	assert_string_equal(d.member, MID);
	assert_string_equal(d.name, "Ada");
	assert_int_equal(d.text_len, 11);
	assert_memory_equal(d.text, "hello\0there", 11);
	assert_true(d.ts == -5);
	assert_int_equal(rw_event_decode(line.data, line.len, &ev), 0);
	assert_int_equal(ev.kind, 'C');
	assert_true(ev.chat.id == 258);
	check_cuts(&line);
	buf_release(&rest);
	buf_release(&line);
}

static void test_settings_presence_run(void **state)
{
	static const char s1[] = "Spython\0" "1\0" MID "\0";
	static const char s2[] = "Sc\0" "0\0" "\0";
	static const char bad[][16] = { "Spython\0" "2\0\0", "Sx\0" "1\0" "bob\0",
					"Sx\0" "1\0" };
	struct buf b;

	(void)state;
	assert_int_equal(rw_event_decode(s1, sizeof(s1) - 1, &ev), 0);
	assert_string_equal(ev.language, "python");
	assert_true(ev.open_edit);
	assert_string_equal(ev.host, MID);
	assert_int_equal(rw_event_decode(s2, sizeof(s2) - 1, &ev), 0);
	assert_false(ev.open_edit);
	assert_string_equal(ev.host, "");
	assert_int_equal(rw_event_decode(bad[0], 12, &ev), -EINVAL);
	assert_int_equal(rw_event_decode(bad[1], 12, &ev), -EINVAL);
	assert_int_equal(rw_event_decode(bad[2], 5, &ev), -EINVAL); /* no host */
	assert_int_equal(rw_event_decode(s1, sizeof(s1), &ev), -EINVAL); /* + NUL */

	buf_init(&b, 1024);
	assert_int_equal(rw_presence_encode(&b, MID, true, 7, 3, 9), 0);
	assert_int_equal(rw_event_decode(b.data, b.len, &ev), 0);
	assert_int_equal(ev.kind, 'P');
	assert_true(ev.has && ev.version == 7 && ev.anchor == 3 && ev.head == 9);
	check_cuts(&b);
	buf_reset(&b);
	assert_int_equal(rw_run_encode(&b, "0123456789abcdef0123456789abcdef", MID), 0);
	assert_int_equal(rw_event_decode(b.data, b.len, &ev), 0);
	assert_int_equal(ev.kind, 'R');
	assert_string_equal(ev.run, "0123456789abcdef0123456789abcdef");
	check_cuts(&b);
	buf_reset(&b);
	assert_int_equal(rw_run_encode(&b, "not-a-run", MID), -EINVAL);
	assert_int_equal(rw_event_decode("Z", 1, &ev), -EINVAL);
	assert_int_equal(rw_event_decode("", 0, &ev), -EINVAL);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_and_updates),
		cmocka_unit_test(test_member_online_offline),
		cmocka_unit_test(test_chat),
		cmocka_unit_test(test_settings_presence_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
