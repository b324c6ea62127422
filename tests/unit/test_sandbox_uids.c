/*
 * test_sandbox_uids.c - the run uid range: the /etc parsers (pure), and
 * leases in a lock directory of the test's own: an explicit range over a
 * live lease is refused, the automatic one steps past it, a dead
 * holder's lease is taken over, a release frees the range.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/config.h"
#include "sandbox/sb_internal.h"

static const char passwd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "alice:x:200005:200005::/home/alice:/bin/sh\n"
    "broken line without colons\n"
    "bob:x:notanumber:1::/:/bin/sh\n";
static const char subuid[] = "alice:300000:65536\nbob:100000:10\n";

static void test_conflict(void **state)
{
	char why[128];
	uint64_t next = 0;

	assert_int_equal(sb_uids_conflict(passwd, SB_IDFILE_PASSWD, 200000,
					  5, &next, why, sizeof(why)),
			 0);
	assert_int_equal(sb_uids_conflict(passwd, SB_IDFILE_PASSWD, 200000,
					  6, &next, why, sizeof(why)),
			 1);
	assert_string_equal(why, "uid 200005 of 'alice'");
	assert_int_equal(next, 200006);
	assert_int_equal(sb_uids_conflict(passwd, SB_IDFILE_PASSWD, 65530, 10,
					  &next, why, sizeof(why)),
			 1);
	assert_string_equal(why, "uid 65534 of 'nobody'");
	/* group files have the same shape */
	assert_int_equal(sb_uids_conflict("nogroup:x:65534:\n", SB_IDFILE_GROUP,
					  65534, 1, &next, why, sizeof(why)),
			 1);
	assert_string_equal(why, "gid 65534 of 'nogroup'");
	/* subordinate ranges: any overlap, next is past the range */
	assert_int_equal(sb_uids_conflict(subuid, SB_IDFILE_SUBID, 365535, 4,
					  &next, why, sizeof(why)),
			 1);
	assert_string_equal(why, "subordinate ids 300000-365535 of 'alice'");
	assert_int_equal(next, 365536);
	assert_int_equal(sb_uids_conflict(subuid, SB_IDFILE_SUBID, 365536, 4,
					  &next, why, sizeof(why)),
			 0);
	assert_int_equal(sb_uids_conflict(subuid, SB_IDFILE_SUBID, 99990, 10,
					  &next, why, sizeof(why)),
			 0);
	assert_int_equal(sb_uids_conflict("", SB_IDFILE_SUBID, 1, 1, &next,
					  why, sizeof(why)),
			 0);
}

static void test_parse(void **state)
{
	uint64_t a, b;
	uint32_t f, l;

	assert_true(sb_uids_parse_lease("200000-200007", &a, &b));
	assert_int_equal(a, 200000);
	assert_int_equal(b, 200007);
	assert_false(sb_uids_parse_lease("200007-200000", &a, &b));
	assert_false(sb_uids_parse_lease("x-1", &a, &b));
	assert_false(sb_uids_parse_lease(".lock", &a, &b));
	assert_int_equal(config_parse_uid_range("300000", &f, &l), 0);
	assert_int_equal(f, 300000);
	assert_int_equal(l, 0);
	assert_int_equal(config_parse_uid_range("300000-300063", &f, &l), 0);
	assert_int_equal(l, 300063);
	assert_int_equal(config_parse_uid_range("999", &f, &l), -EINVAL);
	assert_int_equal(config_parse_uid_range("2000-1000", &f, &l), -EINVAL);
	assert_int_equal(config_parse_uid_range("2000-", &f, &l), -EINVAL);
	assert_int_equal(config_parse_uid_range("-5", &f, &l), -EINVAL);
	assert_int_equal(config_parse_uid_range("4294967295", &f, &l), -EINVAL);
}

static void test_leases(void **state)
{
	char dir[] = "/tmp/cr-uids-XXXXXX", why[512], cmd[128];
	struct sb_uid_lease a, b, c;

	if (geteuid() != 0) {
		skip(); /* /etc is read as it is; the dir is ours anyway */
		return;
	}
	assert_non_null(mkdtemp(dir));
	/* the first free range, at or past 200000 */
	assert_int_equal(sb_uids_reserve(&a, dir, 0, 8, why, sizeof(why)), 0);
	assert_true(a.first >= 200000);
	/* explicit, overlapping: refused, naming the holder's range */
	assert_int_equal(sb_uids_reserve(&b, dir, a.first + 4, 8, why,
					 sizeof(why)),
			 -EADDRINUSE);
	assert_non_null(strstr(why, "in use by another coderoom"));
	assert_int_equal(b.fd, -1);
	/* automatic: past it */
	assert_int_equal(sb_uids_reserve(&b, dir, 0, 8, why, sizeof(why)), 0);
	assert_true(b.first >= a.first + 8);
	/* a host account inside: refused */
	assert_int_equal(sb_uids_reserve(&c, dir, 65530, 10, why, sizeof(why)),
			 -EEXIST);
	assert_non_null(strstr(why, "'nobody'"));
	/* released: the same explicit range is free again */
	sb_uids_release(&a);
	assert_int_equal(sb_uids_reserve(&c, dir, b.first - 8, 8, why,
					 sizeof(why)),
			 0);
	sb_uids_release(&c);
	/* a holder that died without releasing: its lease is taken over */
	pid_t pid = fork();
	if (pid == 0) {
		struct sb_uid_lease d;
		_exit(sb_uids_reserve(&d, dir, 700000, 4, why, sizeof(why)) ? 1
									   : 0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(sb_uids_reserve(&c, dir, 700000, 4, why, sizeof(why)),
			 0);
	sb_uids_release(&c);
	sb_uids_release(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conflict),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_leases),
	};
	return cmocka_run_group_tests_name("sandbox_uids", tests, NULL, NULL);
}
