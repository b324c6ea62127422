/*
 * fuzz_node.c - node_table_parse() on any reply Redis could send: the
 * input is RESP bytes, read by hiredis's own reader into a reply tree.
 *
 * Checks: a reply the parser takes gives a table within its bounds (ids
 * valid C strings of at most NODE_ID_MAX, printable fields, dead ids
 * within the given array); a refused one leaves the table as it was.
 *
 * hiredis 0.14's reader allocates an array of the size a "*N" header
 * announces before any element arrives (1.0 added a cap): such inputs
 * (N over 4096) are not fed, as they test hiredis, not our parser. Redis
 * is the cluster's own trusted server (docs/operations.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cluster/node.h"
#include "fuzz.h"

#define CHECK(x)                                                               \
	do {                                                                   \
		if (!(x))                                                      \
			fuzz_fail(#x, __FILE__, __LINE__);                     \
	} while (0)

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	redisReader *rd = redisReaderCreate();
	struct node_table t = { 0 };
	char dead[4][NODE_ID_MAX + 1];
	size_t ndead = 99;
	void *reply = NULL;

	if (!rd)
		return 0;
	for (size_t i = 0; i + 1 < size; i++) {
		if (data[i] != '*')
			continue;
		unsigned long n = 0;
		for (size_t k = i + 1; k < size && data[k] >= '0' && data[k] <= '9' &&
				       n <= 4096; k++)
			n = n * 10 + (unsigned long)(data[k] - '0');
		if (n > 4096) {
			redisReaderFree(rd);
			return 0;
		}
	}
	if (redisReaderFeed(rd, (const char *)data, size) != REDIS_OK ||
	    redisReaderGetReply(rd, &reply) != REDIS_OK || !reply) {
		redisReaderFree(rd);
		return 0;
	}
	/* a known table first, to see that a refusal leaves it */
	t.v = calloc(1, sizeof(*t.v));
	strcpy(t.v[0].id, "before");
	t.n = 1;
	if (node_table_parse(&t, reply, dead, 4, &ndead) == 0) {
		CHECK(ndead <= 4);
		for (size_t i = 0; i < ndead; i++)
			CHECK(strlen(dead[i]) <= NODE_ID_MAX && printable(dead[i]));
		for (size_t i = 0; i < t.n; i++) {
			const struct node_info *n = &t.v[i];
			CHECK(strlen(n->id) <= NODE_ID_MAX && printable(n->id));
			CHECK(printable(n->role) && printable(n->host) &&
			      printable(n->version));
			CHECK(!n->langs || printable(n->langs));
			CHECK(node_find(&t, n->id) != NULL);
		}
		(void)node_free_slots(&t);
		(void)node_workers(&t);
	} else {
		CHECK(t.n == 1 && !strcmp(t.v[0].id, "before"));
	}
	node_table_release(&t);
	freeReplyObject(reply);
	redisReaderFree(rd);
	return 0;
}
