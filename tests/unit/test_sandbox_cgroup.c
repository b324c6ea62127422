/*
 * test_sandbox_cgroup.c - the pure parsers of the cgroup layer: keyed
 * files (cpu.stat, memory.events, pids.events, memory.oom_control), single
 * values, mountinfo lines.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/cgroup.h"

static void test_keyed(void **state)
{
	static const char cpu_stat[] = "usage_usec 123456\nuser_usec 100000\n"
				       "system_usec 23456\n";
	static const char events[] = "low 0\nhigh 0\nmax 12\noom 1\n"
				     "oom_kill 1\noom_group_kill 0\n";
	static const char oom_control[] = "oom_kill_disable 0\n"
					  "under_oom 0\noom_kill 2\n";
	uint64_t v;

	assert_true(cgroup_parse_keyed(cpu_stat, "usage_usec", &v));
	assert_int_equal(v, 123456);
	assert_true(cgroup_parse_keyed(cpu_stat, "system_usec", &v));
	assert_int_equal(v, 23456);
	assert_false(cgroup_parse_keyed(cpu_stat, "usage", &v));
	/* "oom" must not match "oom_kill" and the other way round */
	assert_true(cgroup_parse_keyed(events, "oom", &v));
	assert_int_equal(v, 1);
	assert_true(cgroup_parse_keyed(events, "oom_kill", &v));
	assert_int_equal(v, 1);
	assert_true(cgroup_parse_keyed(events, "max", &v));
	assert_int_equal(v, 12);
	assert_true(cgroup_parse_keyed(oom_control, "oom_kill", &v));
	assert_int_equal(v, 2);
	assert_false(cgroup_parse_keyed("", "max", &v));
	assert_false(cgroup_parse_keyed("max \n", "max", &v));
	assert_false(cgroup_parse_keyed("max x\n", "max", &v));
}

static void test_u64(void **state)
{
	uint64_t v;

	assert_true(cgroup_parse_u64("268435456\n", &v));
	assert_int_equal(v, 268435456);
	assert_true(cgroup_parse_u64("max\n", &v));
	assert_true(v == UINT64_MAX);
	assert_true(cgroup_parse_u64("0", &v));
	assert_int_equal(v, 0);
	assert_false(cgroup_parse_u64("", &v));
	assert_false(cgroup_parse_u64("-1", &v));
	assert_false(cgroup_parse_u64("12abc", &v));
	assert_false(cgroup_parse_u64("maxx", &v));
	assert_false(cgroup_parse_u64("99999999999999999999999", &v));
}

static void test_mountinfo(void **state)
{
	char path[256], root[256], opts[256];
	int ver;

	assert_true(cgroup_parse_mountinfo(
	    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup "
	    "cgroup rw,memory\n",
	    &ver, path, sizeof(path), root, sizeof(root), opts, sizeof(opts)));
	assert_int_equal(ver, 1);
	assert_string_equal(path, "/sys/fs/cgroup/memory");
	assert_true(cgroup_has_option(opts, "memory"));
	assert_false(cgroup_has_option(opts, "mem"));

	assert_true(cgroup_parse_mountinfo(
	    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup "
	    "cgroup rw,cpu,cpuacct\n",
	    &ver, path, sizeof(path), root, sizeof(root), opts, sizeof(opts)));
	assert_string_equal(path, "/sys/fs/cgroup/cpu,cpuacct");
	assert_true(cgroup_has_option(opts, "cpuacct"));
	assert_true(cgroup_has_option(opts, "cpu"));

	assert_true(cgroup_parse_mountinfo(
	    "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime "
	    "shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
	    &ver, path, sizeof(path), root, sizeof(root), opts, sizeof(opts)));
	assert_int_equal(ver, 2);
	assert_string_equal(path, "/sys/fs/cgroup");

	assert_false(cgroup_parse_mountinfo(
	    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw\n", &ver,
	    path, sizeof(path), root, sizeof(root), opts, sizeof(opts)));
	assert_false(cgroup_parse_mountinfo(
	    "31 23 0:28 / /a\\040b rw - cgroup2 cgroup2 rw\n", &ver, path,
	    sizeof(path), root, sizeof(root), opts, sizeof(opts)));
	assert_false(cgroup_parse_mountinfo("garbage", &ver, path, sizeof(path),
					    root, sizeof(root), opts,
					    sizeof(opts)));
	assert_false(cgroup_parse_mountinfo("", &ver, path, sizeof(path), root,
					    sizeof(root), opts, sizeof(opts)));

	/* A container sharing the host's cgroup namespace sees its own
	 * group mounted at /sys/fs/cgroup: the root field says which. */
	assert_true(cgroup_parse_mountinfo(
	    "47 41 0:26 /system.slice/ctr.scope /sys/fs/cgroup rw,relatime - "
	    "cgroup2 cgroup2 rw,nsdelegate\n",
	    &ver, path, sizeof(path), root, sizeof(root), opts, sizeof(opts)));
	assert_int_equal(ver, 2);
	assert_string_equal(path, "/sys/fs/cgroup");
	assert_string_equal(root, "/system.slice/ctr.scope");
	assert_false(cgroup_parse_mountinfo(
	    "47 41 0:26 /a\\040b /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", &ver,
	    path, sizeof(path), root, sizeof(root), opts, sizeof(opts)));
}

/* Where our group is in a cgroup2 mount, from /proc/self/cgroup and the
 * mount's root. */
static void test_v2_dir(void **state)
{
	char d[64];

	assert_int_equal(cgroup_v2_dir("/sys/fs/cgroup", "/",
				       "/system.slice/c.service", d, sizeof(d)),
			 0);
	assert_string_equal(d, "/sys/fs/cgroup/system.slice/c.service");
	assert_int_equal(cgroup_v2_dir("/sys/fs/cgroup", "/", "/", d, sizeof(d)),
			 0);
	assert_string_equal(d, "/sys/fs/cgroup");
	/* the mount shows only the container's group */
	assert_int_equal(cgroup_v2_dir("/sys/fs/cgroup", "/s/ctr.scope",
				       "/s/ctr.scope", d, sizeof(d)),
			 0);
	assert_string_equal(d, "/sys/fs/cgroup");
	assert_int_equal(cgroup_v2_dir("/sys/fs/cgroup", "/s/ctr.scope",
				       "/s/ctr.scope/x", d, sizeof(d)),
			 0);
	assert_string_equal(d, "/sys/fs/cgroup/x");
	/* not below the mount's root: a prefix of the name is not enough */
	assert_int_equal(cgroup_v2_dir("/sys/fs/cgroup", "/s/ctr.scope",
				       "/s/ctr.scope2", d, sizeof(d)),
			 -ENOENT);
	assert_int_equal(cgroup_v2_dir("/sys/fs/cgroup", "/s/ctr.scope", "/s",
				       d, sizeof(d)),
			 -ENOENT);
	assert_int_equal(cgroup_v2_dir("/sys/fs/cgroup", "/", "/../x", d,
				       sizeof(d)),
			 -EINVAL);
	assert_int_equal(cgroup_v2_dir("/sys/fs/cgroup", "/", "x", d, sizeof(d)),
			 -EINVAL);
	assert_int_equal(cgroup_v2_dir("/sys/fs/cgroup", "/",
				       "/a/very/long/group/name/past/the/buffer",
				       d, 16),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keyed),
	    cmocka_unit_test(test_u64),
	    cmocka_unit_test(test_mountinfo),
	    cmocka_unit_test(test_v2_dir),
	};

	return cmocka_run_group_tests_name("sandbox_cgroup", tests, NULL, NULL);
}
