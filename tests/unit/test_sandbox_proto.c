/*
 * test_sandbox_proto.c - the library <-> spawner messages and the mount
 * step table: encode, decode, and refuse everything malformed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/sb_internal.h"
#include "sandbox/sb_proto.h"

static const char *const argv_ok[] = {"/usr/bin/python3", "main.py", "a b",
				      NULL};
static const char *const envp_ok[] = {"PATH=/usr/bin", "HOME=/work",
				      "EMPTY=", NULL};
static const char code[] = "print('hi')\n";
static const struct sandbox_file files_ok[] = {
    {"main.py", code, sizeof(code) - 1, 0644},
    {"empty", NULL, 0, 0600},
    {".hidden", "x", 1, 0755},
};

static struct sandbox_spec good_spec(void)
{
	struct sandbox_spec s = {
	    .argv = argv_ok,
	    .envp = envp_ok,
	    .files = files_ok,
	    .nfiles = 3,
	    .tty = true,
	    .rows = 40,
	    .cols = 120,
	    .limits = {.memory_bytes = 1 << 20,
		       .pids = 7,
		       .nofile = 9,
		       .fsize_bytes = 11,
		       .tmpfs_bytes = 13,
		       .cpu_ms = 15,
		       .wall_ms = 17,
		       .cpu_weight = 250},
	};
	return s;
}

static void test_roundtrip(void **state)
{
	struct sandbox_spec s = good_spec();
	struct sb_spec d;
	uint8_t *buf;
	size_t len;

	assert_int_equal(sb_spec_encode(&s, &buf, &len), 0);
	assert_int_equal(sb_spec_decode(buf, len, &d), 0);
	assert_string_equal(d.argv[0], "/usr/bin/python3");
	assert_string_equal(d.argv[2], "a b");
	assert_null(d.argv[3]);
	assert_string_equal(d.envp[2], "EMPTY=");
	assert_null(d.envp[3]);
	assert_int_equal(d.nfiles, 3);
	assert_string_equal(d.files[0].name, "main.py");
	assert_int_equal(d.files[0].len, sizeof(code) - 1);
	assert_memory_equal(d.files[0].data, code, sizeof(code) - 1);
	assert_int_equal(d.files[1].len, 0);
	assert_int_equal(d.files[2].mode, 0755);
	assert_true(d.tty);
	assert_int_equal(d.rows, 40);
	assert_int_equal(d.cols, 120);
	assert_int_equal(d.limits.memory_bytes, 1 << 20);
	assert_int_equal(d.limits.pids, 7);
	assert_int_equal(d.limits.wall_ms, 17);
	assert_int_equal(d.limits.cpu_weight, 250);
	sb_spec_release(&d);
	free(buf);
	/* a weight past the cgroup's range is clamped, not refused */
	s.limits.cpu_weight = 1000000;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), 0);
	assert_int_equal(sb_spec_decode(buf, len, &d), 0);
	assert_int_equal(d.limits.cpu_weight, SB_MAX_CPU_WEIGHT);
	sb_spec_release(&d);
	free(buf);
}

/* Every truncation and every single-byte corruption is either refused or
 * decodes to something that passes validation; never a crash. */
static void test_truncated_and_corrupted(void **state)
{
	struct sandbox_spec s = good_spec();
	struct sb_spec d;
	uint8_t *buf, *copy;
	size_t len;

	assert_int_equal(sb_spec_encode(&s, &buf, &len), 0);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_not_equal(sb_spec_decode(buf, cut, &d), 0);
	copy = malloc(len);
	for (size_t i = 0; i < len; i++) {
		for (int v = 0; v < 256; v += 51) {
			memcpy(copy, buf, len);
			copy[i] = (uint8_t)v;
			if (sb_spec_decode(copy, len, &d) == 0) {
				assert_true(sb_exec_path_ok(d.argv[0]));
				for (size_t k = 0; k < d.nfiles; k++)
					assert_true(sb_name_ok(
					    d.files[k].name,
					    strlen(d.files[k].name)));
				sb_spec_release(&d);
			}
		}
	}
	free(copy);
	free(buf);
}

static void test_trailing_bytes_refused(void **state)
{
	struct sandbox_spec s = good_spec();
	struct sb_spec d;
	uint8_t *buf;
	size_t len;

	assert_int_equal(sb_spec_encode(&s, &buf, &len), 0);
	buf = realloc(buf, len + 1);
	buf[len] = 0;
	assert_int_equal(sb_spec_decode(buf, len + 1, &d), -EBADMSG);
	free(buf);
}

static void test_encode_refuses_bad_specs(void **state)
{
	struct sandbox_spec s;
	uint8_t *buf;
	size_t len;
	static const char *const rel[] = {"python3", NULL};
	static const char *const rel2[] = {"./", NULL};
	static const char *const rel3[] = {"./..", NULL};
	static const char *const rel4[] = {"./a/b", NULL};
	static const char *const rel5[] = {"../main", NULL};
	static const char *const none[] = {NULL};
	static const char *const badenv[] = {"NOEQUALS", NULL};
	static const char *const badenv2[] = {"=x", NULL};
	/* subdirectories are fine ("pkg/mod.py"); these are not */
	static const char *const names[] = {"",	   ".",	   "..",
					    "a//b", "/abs", "../x", "a/",
					    "a/../b", "a/./b", "a\x01b",
					    "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r"};

	s = good_spec();
	s.argv = rel;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), -EINVAL);
	s.argv = rel2;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), -EINVAL);
	s.argv = rel3;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), -EINVAL);
	s.argv = rel4;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), -EINVAL);
	s.argv = rel5;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), -EINVAL);
	s.argv = none;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), -EINVAL);
	s = good_spec();
	s.envp = badenv;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), -EINVAL);
	s.envp = badenv2;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), -EINVAL);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sandbox_file f = {names[i], "x", 1, 0644};
		s = good_spec();
		s.files = &f;
		s.nfiles = 1;
		assert_int_equal(sb_spec_encode(&s, &buf, &len), -EINVAL);
	}
	{
		struct sandbox_file f = {"suid", "x", 1, 04755};
		s = good_spec();
		s.files = &f;
		s.nfiles = 1;
		assert_int_equal(sb_spec_encode(&s, &buf, &len), -EINVAL);
	}
	s = good_spec();
	s.nfiles = SB_MAX_FILES + 1;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), -E2BIG);
	{
		struct sandbox_file f = {"pkg/sub/mod.py", "x", 1, 0644};
		s = good_spec();
		s.files = &f;
		s.nfiles = 1;
		assert_int_equal(sb_spec_encode(&s, &buf, &len), 0);
		free(buf);
	}
}

static void test_paths(void **state)
{
	assert_true(sandbox_path_ok("main.c", 6));
	assert_true(sandbox_path_ok("pkg/mod.py", 10));
	assert_false(sandbox_path_ok("pkg/../x", 8));
	assert_true(sandbox_paths_clash("a", "a"));
	assert_true(sandbox_paths_clash("pkg", "pkg/mod.py"));
	assert_true(sandbox_paths_clash("pkg/mod.py", "pkg"));
	assert_false(sandbox_paths_clash("pkg", "pkg2/x"));
	assert_false(sandbox_paths_clash("pkg/a", "pkg/b"));
}

static void test_decode_refuses_duplicates(void **state)
{
	struct sandbox_file f[2] = {{"a", "1", 1, 0644}, {"b", "2", 1, 0644}};
	struct sandbox_spec s = good_spec();
	struct sb_spec d;
	uint8_t *buf;
	size_t len;
	uint8_t *p;

	s.files = f;
	s.nfiles = 2;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), 0);
	/* rename "b" to "a" in place */
	p = memmem(buf, len,
		   "\x01\x00\x00\x00"
		   "b",
		   5);
	assert_non_null(p);
	p[4] = 'a';
	assert_int_equal(sb_spec_decode(buf, len, &d), -EBADMSG);
	free(buf);
}

static void test_name_ok(void **state)
{
	char longname[300];

	assert_true(sb_name_ok("main.c", 6));
	assert_true(sb_name_ok("...", 3));
	assert_false(sb_name_ok("..", 2));
	assert_false(sb_name_ok("a\0b", 3));
	memset(longname, 'x', sizeof(longname));
	assert_true(sb_name_ok(longname, 255));
	assert_false(sb_name_ok(longname, 256));
}

/* What a run may exec: absolute, or ./NAME of its work dir. */
static void test_exec_path_ok(void **state)
{
	static const char *const argv_rel[] = {"./main", "a b", NULL};
	struct sandbox_spec s = good_spec();
	struct sb_spec d;
	uint8_t *buf;
	size_t len;

	assert_true(sb_exec_path_ok("/usr/bin/python3"));
	assert_true(sb_exec_path_ok("./main"));
	assert_true(sb_exec_path_ok("./.hidden"));
	assert_false(sb_exec_path_ok("main"));
	assert_false(sb_exec_path_ok("./"));
	assert_false(sb_exec_path_ok("./."));
	assert_false(sb_exec_path_ok("./.."));
	assert_false(sb_exec_path_ok("./a/b"));
	assert_false(sb_exec_path_ok("../main"));
	assert_false(sb_exec_path_ok(""));
	s.argv = argv_rel;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), 0);
	assert_int_equal(sb_spec_decode(buf, len, &d), 0);
	assert_string_equal(d.argv[0], "./main");
	assert_string_equal(d.argv[1], "a b");
	assert_null(d.argv[2]);
	sb_spec_release(&d);
	free(buf);
}

static void test_msg_check(void **state)
{
	struct sb_msg m = {.magic = SB_MSG_MAGIC, .type = SB_MSG_KILL, .id = 1};

	assert_int_equal(sb_msg_check(&m, sizeof(m), 0), 0);
	assert_int_equal(sb_msg_check(&m, sizeof(m) - 1, 0), -EBADMSG);
	assert_int_equal(sb_msg_check(&m, sizeof(m), 1), -EBADMSG);
	m.len = 4;
	assert_int_equal(sb_msg_check(&m, sizeof(m) + 4, 0), -EBADMSG);
	m.len = 0;
	m.magic = 0;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 0), -EBADMSG);
	m.magic = SB_MSG_MAGIC;
	m.type = SB_MSG_TYPE_MAX;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 0), -EBADMSG);
	m.type = 0;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 0), -EBADMSG);
	m.type = SB_MSG_SPAWN;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 0), -EBADMSG);
	m.nfds = 1;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 1), 0);
	m.type = SB_MSG_SIGNAL;
	m.nfds = 0;
	m.arg = 0;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 0), -EBADMSG);
	m.arg = 2;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 0), 0);
	m.type = SB_MSG_SPAWNED;
	m.flags = 1;
	m.nfds = 1;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 1), 0);
	m.nfds = 3;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 3), -EBADMSG);
	m.flags = 0;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 3), 0);
	m.type = SB_MSG_EXIT;
	m.nfds = 0;
	m.len = sizeof(struct sb_wire_result);
	assert_int_equal(sb_msg_check(&m, sizeof(m) + m.len, 0), 0);
	m.len--;
	assert_int_equal(sb_msg_check(&m, sizeof(m) + m.len, 0), -EBADMSG);
	/* the usage report: header only, no fds */
	m.type = SB_MSG_USAGE;
	m.len = 0;
	m.arg = 123456789;
	m.flags = 42;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 0), 0);
	m.nfds = 1;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 1), -EBADMSG);
	m.nfds = 0;
	m.len = 4;
	assert_int_equal(sb_msg_check(&m, sizeof(m) + 4, 0), -EBADMSG);
}

/* The usage request and its report: strict sizes, no fds, arg 0 or 1;
 * each end takes only the other's messages. */
static void test_msg_usage(void **state)
{
	struct sb_msg m = {.magic = SB_MSG_MAGIC, .type = SB_MSG_RUN_USAGE, .id = 7};

	assert_int_equal(sb_msg_check(&m, sizeof(m), 0), 0);
	assert_int_equal(sb_msg_check(&m, sizeof(m), 1), -EBADMSG);
	m.len = sizeof(struct sb_wire_usage);
	assert_int_equal(sb_msg_check(&m, sizeof(m) + m.len, 0), -EBADMSG);
	m.type = SB_MSG_RUN_USAGE_REPORT;
	assert_int_equal(sb_msg_check(&m, sizeof(m) + m.len, 0), 0);
	m.arg = 1;
	assert_int_equal(sb_msg_check(&m, sizeof(m) + m.len, 0), 0);
	m.arg = 2;
	assert_int_equal(sb_msg_check(&m, sizeof(m) + m.len, 0), -EBADMSG);
	m.arg = -1;
	assert_int_equal(sb_msg_check(&m, sizeof(m) + m.len, 0), -EBADMSG);
	m.arg = 1;
	m.len--;
	assert_int_equal(sb_msg_check(&m, sizeof(m) + m.len, 0), -EBADMSG);
	m.len = 0;
	assert_int_equal(sb_msg_check(&m, sizeof(m), 0), -EBADMSG);

	assert_true(sb_msg_is_request(SB_MSG_SPAWN));
	assert_true(sb_msg_is_request(SB_MSG_KILL));
	assert_true(sb_msg_is_request(SB_MSG_SIGNAL));
	assert_true(sb_msg_is_request(SB_MSG_PROBE));
	assert_true(sb_msg_is_request(SB_MSG_RUN_USAGE));
	assert_false(sb_msg_is_request(SB_MSG_HELLO));
	assert_false(sb_msg_is_request(SB_MSG_SPAWNED));
	assert_false(sb_msg_is_request(SB_MSG_PROBED));
	assert_false(sb_msg_is_request(SB_MSG_EXIT));
	assert_false(sb_msg_is_request(SB_MSG_RUN_USAGE_REPORT));
	assert_false(sb_msg_is_request(SB_MSG_USAGE));	/* the spawner's */
	assert_false(sb_msg_is_request(0));
	assert_false(sb_msg_is_request(SB_MSG_TYPE_MAX));
}

static void test_result_wire(void **state)
{
	struct sandbox_result r = {.status = 9,
				   .killed = true,
				   .hit = SANDBOX_HIT_CPU,
				   .cpu_ms = 5,
				   .wall_ms = 6,
				   .memory_peak = 7};
	struct sandbox_result back;
	struct sb_wire_result w;

	memset(r.message, 'x', sizeof(r.message)); /* unterminated */
	sb_result_to_wire(&r, &w);
	w.hit = 99;
	sb_result_from_wire(&w, &back);
	assert_int_equal(back.status, 9);
	assert_true(back.killed);
	assert_int_equal(back.hit, SANDBOX_HIT_NONE); /* out of range */
	assert_int_equal(back.cpu_ms, 5);
	assert_int_equal(strlen(back.message), sizeof(back.message) - 1);
}

static void test_limits_defaults(void **state)
{
	struct sandbox_limits l = {.pids = 3};
	struct sandbox_limits def = {.memory_bytes = 1000};

	sb_limits_apply_defaults(&l, &def);
	assert_int_equal(l.pids, 3);
	assert_int_equal(l.memory_bytes, 1000);
	assert_int_equal(l.nofile, SB_DEF_NOFILE);
	assert_int_equal(l.cpu_ms, SB_DEF_CPU_MS);
}

/* The collect list travels with the spec, and an empty one is NULL. */
static void test_collect_roundtrip(void **state)
{
	static const char *const pats[] = {"*.class", "main", NULL};
	struct sandbox_spec s = good_spec();
	struct sb_spec d;
	uint8_t *buf;
	size_t len;

	s.collect = pats;
	s.collect_max = 12345;
	assert_int_equal(sb_spec_encode(&s, &buf, &len), 0);
	assert_int_equal(sb_spec_decode(buf, len, &d), 0);
	assert_non_null(d.collect);
	assert_string_equal(d.collect[0], "*.class");
	assert_string_equal(d.collect[1], "main");
	assert_null(d.collect[2]);
	assert_int_equal(d.collect_max, 12345);
	sb_spec_release(&d);
	free(buf);

	s = good_spec();
	assert_int_equal(sb_spec_encode(&s, &buf, &len), 0);
	assert_int_equal(sb_spec_decode(buf, len, &d), 0);
	assert_null(d.collect);
	sb_spec_release(&d);
	/* every truncation of the tail is refused */
	for (size_t cut = 1; cut <= 12; cut++)
		assert_int_not_equal(sb_spec_decode(buf, len - cut, &d), 0);
	free(buf);
}

/* Appends one collect record to b. */
static size_t rec(uint8_t *b, const char *name, uint32_t mode, const char *data,
		  uint64_t dlen)
{
	uint32_t nl = (uint32_t)strlen(name);
	size_t o = 0;

	memcpy(b + o, &nl, 4), o += 4;
	memcpy(b + o, &mode, 4), o += 4;
	memcpy(b + o, &dlen, 8), o += 8;
	memcpy(b + o, name, nl + 1), o += nl + 1;
	memcpy(b + o, data, dlen), o += dlen;
	return o;
}

static void test_collect_parse(void **state)
{
	uint8_t b[512];
	struct sandbox_file f[4];
	size_t n = 0;

	n += rec(b + n, "main", 0755, "\x7f" "ELF", 4);
	n += rec(b + n, "A$1.class", 0644, "", 0);
	assert_int_equal(sandbox_collect_parse(b, n, f, 4), 2);
	assert_string_equal(f[0].name, "main");
	assert_int_equal(f[0].mode, 0755);
	assert_int_equal(f[0].len, 4);
	assert_memory_equal(f[0].data, "\x7f" "ELF", 4);
	assert_string_equal(f[1].name, "A$1.class");
	assert_int_equal(f[1].len, 0);
	assert_int_equal(sandbox_collect_parse(b, 0, f, 4), 0);
	/* more files than room */
	assert_int_equal(sandbox_collect_parse(b, n, f, 1), -EBADMSG);
	/* truncated anywhere but at the end of the first record */
	size_t first = 16 + 5 + 4;
	for (size_t cut = 1; cut < n; cut++)
		assert_int_equal(sandbox_collect_parse(b, cut, f, 4),
				 cut == first ? 1 : -EBADMSG);
	/* bad names and modes */
	static const char *const bad[] = {"", ".", "..", "a/b"};
	for (size_t i = 0; i < 4; i++) {
		size_t m = rec(b, bad[i], 0644, "x", 1);
		assert_int_equal(sandbox_collect_parse(b, m, f, 4), -EBADMSG);
	}
	size_t m = rec(b, "x", 04755, "x", 1);
	assert_int_equal(sandbox_collect_parse(b, m, f, 4), -EBADMSG);
	/* a length past the end */
	m = rec(b, "x", 0644, "x", 1);
	uint64_t huge = 1ull << 40;
	memcpy(b + 8, &huge, 8);
	assert_int_equal(sandbox_collect_parse(b, m, f, 4), -EBADMSG);
}

static void test_exit_with_collect_fd(void **state)
{
	struct sb_msg m = {.magic = SB_MSG_MAGIC,
			   .type = SB_MSG_EXIT,
			   .len = sizeof(struct sb_wire_result),
			   .flags = SB_EXIT_COLLECT,
			   .nfds = 1};
	size_t got = sizeof(m) + m.len;

	assert_int_equal(sb_msg_check(&m, got, 1), 0);
	m.nfds = 0;
	assert_int_equal(sb_msg_check(&m, got, 0), -EBADMSG);
	m.flags = 0;
	assert_int_equal(sb_msg_check(&m, got, 0), 0);
	m.nfds = 1;
	assert_int_equal(sb_msg_check(&m, got, 1), -EBADMSG);
}

static void test_mount_table(void **state)
{
	assert_int_equal(sb_mounts_check_table(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_truncated_and_corrupted),
	    cmocka_unit_test(test_trailing_bytes_refused),
	    cmocka_unit_test(test_encode_refuses_bad_specs),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_decode_refuses_duplicates),
	    cmocka_unit_test(test_name_ok),
	    cmocka_unit_test(test_exec_path_ok),
	    cmocka_unit_test(test_msg_check),
	    cmocka_unit_test(test_msg_usage),
	    cmocka_unit_test(test_result_wire),
	    cmocka_unit_test(test_limits_defaults),
	    cmocka_unit_test(test_mount_table),
	    cmocka_unit_test(test_collect_roundtrip),
	    cmocka_unit_test(test_collect_parse),
	    cmocka_unit_test(test_exit_with_collect_fd),
	};

	return cmocka_run_group_tests_name("sandbox_proto", tests, NULL, NULL);
}
