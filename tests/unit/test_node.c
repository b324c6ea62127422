/*
 * test_node.c - the heartbeat script's reply as a node table: live nodes
 * with their fields, the queue's length, the dead consumers; malformed
 * replies refused without touching the table; free slots and workers.
 * Replies are written as RESP bytes and read by hiredis's own reader.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "cluster/node.h"

static redisReply *resp(const char *s)
{
	redisReader *r = redisReaderCreate();
	void *reply = NULL;

	assert_int_equal(redisReaderFeed(r, s, strlen(s)), REDIS_OK);
	assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
	assert_non_null(reply);
	redisReaderFree(r);
	return reply;
}


static void test_parse(void **state)
{
	struct node_table t = { 0 };
	char dead[4][NODE_ID_MAX + 1];
	size_t ndead;
	redisReply *r = resp(
		"*3\r\n:5\r\n"
		"*6\r\n"
		"$3\r\ngw1\r\n$13\r\n1700000000500\r\n"
		"*4\r\n$4\r\nrole\r\n$7\r\ngateway\r\n$9\r\nfollowing\r\n$1\r\n3\r\n"
		"$3\r\nwk1\r\n$13\r\n1700000000900\r\n"
		"*14\r\n$4\r\nrole\r\n$6\r\nworker\r\n$5\r\nslots\r\n$1\r\n4\r\n"
		"$4\r\nused\r\n$1\r\n1\r\n$6\r\nbslots\r\n$1\r\n2\r\n"
		"$5\r\nbused\r\n$1\r\n1\r\n$5\r\nlangs\r\n$22\r\npython=3.11.2,c=12.2.0\r\n"
		"$4\r\nhost\r\n$3\r\nh\x01x\r\n"
		"*2\r\n$4\r\nwk-9\r\n$4\r\nwk-8\r\n");

	(void)state;
	assert_int_equal(node_table_parse(&t, r, dead, 4, &ndead), 0);
	assert_int_equal(t.waiting, 5);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.v[0].id, "gw1");
	assert_string_equal(t.v[0].role, "gateway");
	assert_int_equal(t.v[0].following, 3);
	assert_false(node_is_worker(&t.v[0]));
	const struct node_info *w = node_find(&t, "wk1");
	assert_non_null(w);
	assert_true(node_is_worker(w));
	assert_int_equal(w->slots, 4);
	assert_int_equal(w->used, 1);
	assert_int_equal(w->batch_slots, 2);
	assert_int_equal(w->batch_used, 1);
	assert_string_equal(w->langs, "python=3.11.2,c=12.2.0");
	assert_string_equal(w->host, "h?x");	/* control bytes never reach logs */
	assert_true(w->seen_ms == 1700000000900ull);
	assert_true(t.now_ms == 1700000000900ull);
	assert_null(node_find(&t, "nobody"));
	assert_int_equal(node_free_slots(&t), 3);
	assert_int_equal(node_workers(&t), 1);
	assert_int_equal(ndead, 2);
	assert_string_equal(dead[0], "wk-9");
	assert_int_equal(t.refreshes, 1);
	freeReplyObject(r);
	node_table_release(&t);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"$2\r\nno\r\n",				/* not an array */
		"*2\r\n:1\r\n*0\r\n",			/* two elements */
		"*3\r\n$1\r\n1\r\n*0\r\n*0\r\n",	/* waiting not an integer */
		"*3\r\n:1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*0\r\n", /* not triples */
		"*3\r\n:1\r\n*3\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n$1\r\nx\r\n*0\r\n",
		"*3\r\n:1\r\n*3\r\n:7\r\n$1\r\n1\r\n*0\r\n*0\r\n",	/* id not a string */
		"*3\r\n:1\r\n*0\r\n:0\r\n",		/* dead not an array */
	};
	struct node_table t = { 0 };
	char dead[2][NODE_ID_MAX + 1];
	size_t ndead;

	(void)state;
	/* a good table first: a bad reply leaves it as it was */
	redisReply *good = resp("*3\r\n:0\r\n*3\r\n$1\r\nn\r\n$1\r\n9\r\n*0\r\n*0\r\n");
	assert_int_equal(node_table_parse(&t, good, dead, 2, &ndead), 0);
	freeReplyObject(good);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		redisReply *r = resp(bad[i]);
		assert_int_equal(node_table_parse(&t, r, dead, 2, &ndead), -EINVAL);
		freeReplyObject(r);
		assert_int_equal(t.n, 1);
		assert_string_equal(t.v[0].id, "n");
	}
	assert_int_equal(node_table_parse(&t, NULL, dead, 2, &ndead), -EINVAL);
	node_table_release(&t);
}

static void test_ids(void **state)
{
	char id[NODE_ID_MAX + 2];

	(void)state;
	assert_true(node_id_valid("worker-1.eu_west"));
	assert_false(node_id_valid(""));
	assert_false(node_id_valid(NULL));
	assert_false(node_id_valid("a b"));
	assert_false(node_id_valid("a:b"));
	memset(id, 'x', NODE_ID_MAX);
	id[NODE_ID_MAX] = '\0';
	assert_true(node_id_valid(id));
	id[NODE_ID_MAX] = 'x';
	id[NODE_ID_MAX + 1] = '\0';
	assert_false(node_id_valid(id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
