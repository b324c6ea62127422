/*
 * test_store_judge0.c - Judge0 submissions in SQLite (store/store_judge0.c)
 * on an in-memory database migrated like the real one: put, get (bytes and
 * nulls as they were), replace, unfinished rows in order, expiry, delete.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"
#include "store/store_judge0.h"

static struct store st;

static int setup(void **state)
{
	return store_open_path(&st, ":memory:");
}

static int teardown(void **state)
{
	store_close(&st);
	return 0;
}

static struct store_judge0 row(const char *token, int64_t created,
			       int64_t finished)
{
	struct store_judge0 r = { .created_ms = created,
				  .finished_ms = finished, .status_id = 1 };

	snprintf(r.token, sizeof(r.token), "%s", token);
	r.attrs = (char *)"{\"language_id\":71}";
	return r;
}

static int collect(void *arg, struct store_judge0 *r)
{
	char *out = arg;

	strcat(out, r->token);
	strcat(out, ",");
	return 0;
}

static void test_put_get(void **state)
{
	struct store_judge0 r = row("tok-a", 10, 0), got;

	r.text[0].p = (char *)"print(1)";
	r.text[0].n = 8;
	r.text[3].p = (char *)"\xfe\x00\xff";	/* bytes, not text */
	r.text[3].n = 3;
	r.text[4].p = (char *)"";		/* empty, not null */
	r.text[4].n = 0;
	assert_int_equal(store_judge0_put(&st, &r), 0);
	assert_int_equal(store_judge0_get(&st, "tok-a", &got), 0);
	assert_string_equal(got.token, "tok-a");
	assert_int_equal(got.created_ms, 10);
	assert_int_equal(got.finished_ms, 0);
	assert_string_equal(got.attrs, "{\"language_id\":71}");
	assert_null(got.result);
	assert_int_equal(got.text[0].n, 8);
	assert_memory_equal(got.text[0].p, "print(1)", 8);
	assert_int_equal(got.text[3].n, 3);
	assert_memory_equal(got.text[3].p, "\xfe\x00\xff", 3);
	assert_non_null(got.text[4].p);
	assert_int_equal(got.text[4].n, 0);
	assert_null(got.text[1].p);
	store_judge0_release(&got);
	/* finished: replaced in place */
	r.finished_ms = 20;
	r.status_id = 3;
	r.result = (char *)"{\"time\":0.01}";
	assert_int_equal(store_judge0_put(&st, &r), 0);
	assert_int_equal(store_judge0_get(&st, "tok-a", &got), 0);
	assert_int_equal(got.status_id, 3);
	assert_int_equal(got.finished_ms, 20);
	assert_string_equal(got.result, "{\"time\":0.01}");
	store_judge0_release(&got);
	assert_int_equal(store_judge0_get(&st, "nope", &got), -ENOENT);
}

static void test_unfinished_expire_delete(void **state)
{
	struct store_judge0 a = row("u-2", 200, 0), b = row("u-1", 100, 0),
			    c = row("f-1", 50, 1000), d = row("f-2", 60, 5000);
	char seen[256] = "";
	unsigned n;

	assert_int_equal(store_judge0_put(&st, &a), 0);
	assert_int_equal(store_judge0_put(&st, &b), 0);
	assert_int_equal(store_judge0_put(&st, &c), 0);
	assert_int_equal(store_judge0_put(&st, &d), 0);
	assert_int_equal(store_judge0_unfinished(&st, collect, seen), 0);
	assert_string_equal(seen, "u-1,u-2,");	/* oldest first */
	assert_int_equal(store_judge0_expire(&st, 2000, &n), 0);
	assert_int_equal(n, 2);	/* f-1 and tok-a (finished at 20) */
	struct store_judge0 got;
	assert_int_equal(store_judge0_get(&st, "f-1", &got), -ENOENT);
	assert_int_equal(store_judge0_get(&st, "f-2", &got), 0);
	store_judge0_release(&got);
	assert_int_equal(store_judge0_get(&st, "u-1", &got), 0);	/* never */
	store_judge0_release(&got);
	assert_int_equal(store_judge0_delete(&st, "f-2"), 0);
	assert_int_equal(store_judge0_delete(&st, "f-2"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_unfinished_expire_delete),
	};
	return cmocka_run_group_tests_name("store_judge0", tests, setup, teardown);
}
