/*
 * test_redis_url.c - the --redis URL: every accepted form with what it
 * means, every refused one with its error code and a word of its message,
 * escapes, caps, and the redacted form never showing the password.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/redis_url.h"

struct url_case {
	const char *in;
	int ret;
	const char *host;	/* or, on error, a word the message has */
	int port;
	const char *user, *password;
	unsigned db;
};

static const struct url_case cases[] = {
	{ "redis://127.0.0.1", 0, "127.0.0.1", 6379, "", "", 0 },
	{ "redis://127.0.0.1:6380", 0, "127.0.0.1", 6380, "", "", 0 },
	{ "redis://localhost:1/", 0, "localhost", 1, "", "", 0 },
	{ "redis://redis.example.org:65535/15", 0, "redis.example.org", 65535,
	  "", "", 15 },
	{ "redis://10.0.0.5:6379/2", 0, "10.0.0.5", 6379, "", "", 2 },
	{ "redis://[::1]:7000/3", 0, "::1", 7000, "", "", 3 },
	{ "redis://[::1]", 0, "::1", 6379, "", "", 0 },
	{ "redis://:secret@host", 0, "host", 6379, "", "secret", 0 },
	{ "redis://secret@host:1", 0, "host", 1, "", "secret", 0 },
	{ "redis://alice:s3cr3t@host/9", 0, "host", 6379, "alice", "s3cr3t", 9 },
	{ "redis://:p%40ss%3Aw%2Frd@h", 0, "h", 6379, "", "p@ss:w/rd", 0 },
	{ "redis://:a@b@h", 0, "h", 6379, "", "a@b", 0 },	/* last '@' */
	{ "redis://:@h", 0, "h", 6379, "", "", 0 },		/* empty: no AUTH */
	{ "redis://my_host-1.lan:2", 0, "my_host-1.lan", 2, "", "", 0 },
	{ "redis://h/0", 0, "h", 6379, "", "", 0 },
	{ "redis://h/2147483647", 0, "h", 6379, "", "", 2147483647u },
	/* refused */
	{ "rediss://h:6380", -EPROTONOSUPPORT, "TLS", 0, NULL, NULL, 0 },
	{ "http://h", -EINVAL, "redis://", 0, NULL, NULL, 0 },
	{ "h:6379", -EINVAL, "redis://", 0, NULL, NULL, 0 },
	{ "", -EINVAL, "redis://", 0, NULL, NULL, 0 },
	{ "redis://", -EINVAL, "host", 0, NULL, NULL, 0 },
	{ "redis://:6379", -EINVAL, "host", 0, NULL, NULL, 0 },
	{ "redis://h:0", -EINVAL, "port", 0, NULL, NULL, 0 },
	{ "redis://h:65536", -EINVAL, "port", 0, NULL, NULL, 0 },
	{ "redis://h:", -EINVAL, "port", 0, NULL, NULL, 0 },
	{ "redis://h:http", -EINVAL, "port", 0, NULL, NULL, 0 },
	{ "redis://h:-1", -EINVAL, "port", 0, NULL, NULL, 0 },
	{ "redis://h:6379:1", -EINVAL, "port", 0, NULL, NULL, 0 },
	{ "redis://h/x", -EINVAL, "database", 0, NULL, NULL, 0 },
	{ "redis://h/1/2", -EINVAL, "database", 0, NULL, NULL, 0 },
	{ "redis://h/-1", -EINVAL, "database", 0, NULL, NULL, 0 },
	{ "redis://h/2147483648", -EINVAL, "database", 0, NULL, NULL, 0 },
	{ "redis://h/99999999999", -EINVAL, "database", 0, NULL, NULL, 0 },
	{ "redis://h?db=1", -EINVAL, "query", 0, NULL, NULL, 0 },
	{ "redis://h#x", -EINVAL, "fragment", 0, NULL, NULL, 0 },
	{ "redis://h st", -EINVAL, "space", 0, NULL, NULL, 0 },
	{ "redis://h\x01", -EINVAL, "control", 0, NULL, NULL, 0 },
	{ "redis://h\xc3\xa9", -EINVAL, "non-ASCII", 0, NULL, NULL, 0 },
	{ "redis://h!", -EINVAL, "bad character", 0, NULL, NULL, 0 },
	{ "redis://[::1", -EINVAL, "']'", 0, NULL, NULL, 0 },
	{ "redis://[]:1", -EINVAL, "']'", 0, NULL, NULL, 0 },
	{ "redis://[::1]x", -EINVAL, "after ']'", 0, NULL, NULL, 0 },
	{ "redis://[zz]:1", -EINVAL, "IPv6", 0, NULL, NULL, 0 },
	{ "redis://:%4@h", -EINVAL, "escaped", 0, NULL, NULL, 0 },
	{ "redis://:%@h", -EINVAL, "escaped", 0, NULL, NULL, 0 },
	{ "redis://:%zz@h", -EINVAL, "escaped", 0, NULL, NULL, 0 },
	{ "redis://:%00@h", -EINVAL, "escaped", 0, NULL, NULL, 0 },
	{ "redis://alice:@h", -EINVAL, "no password", 0, NULL, NULL, 0 },
	{ "redis://a%zz:p@h", -EINVAL, "user", 0, NULL, NULL, 0 },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct url_case *c = &cases[i];
		struct redis_url u;
		char err[256];
		int ret = redis_url_parse(c->in, &u, err, sizeof(err));
		if (ret != c->ret)
			fail_msg("'%s': returned %d, expected %d (%s)", c->in, ret,
				 c->ret, err);
		if (ret) {
			if (!strstr(err, c->host))
				fail_msg("'%s': message '%s' lacks '%s'", c->in, err,
					 c->host);
			continue;
		}
		assert_string_equal(u.host, c->host);
		assert_int_equal(u.port, c->port);
		assert_string_equal(u.user, c->user);
		assert_string_equal(u.password, c->password);
		assert_int_equal(u.has_password, c->password[0] != '\0');
		assert_int_equal(u.db, c->db);
	}
}

static void test_caps(void **state)
{
	char s[REDIS_URL_MAX + 64], err[256];
	struct redis_url u;

	(void)state;
	/* a host of exactly the cap, then one byte more */
	snprintf(s, sizeof(s), "redis://");
	memset(s + 8, 'a', REDIS_URL_HOST_MAX);
	s[8 + REDIS_URL_HOST_MAX] = '\0';
	assert_int_equal(redis_url_parse(s, &u, err, sizeof(err)), 0);
	assert_int_equal(strlen(u.host), REDIS_URL_HOST_MAX);
	strcat(s, "a");
	assert_int_equal(redis_url_parse(s, &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too long"));
	/* a password of the cap and one over */
	snprintf(s, sizeof(s), "redis://:");
	memset(s + 9, 'p', REDIS_URL_SECRET_MAX);
	strcpy(s + 9 + REDIS_URL_SECRET_MAX, "@h");
	assert_int_equal(redis_url_parse(s, &u, err, sizeof(err)), 0);
	assert_int_equal(strlen(u.password), REDIS_URL_SECRET_MAX);
	memset(s + 9, 'p', REDIS_URL_SECRET_MAX + 1);
	strcpy(s + 10 + REDIS_URL_SECRET_MAX, "@h");
	assert_int_equal(redis_url_parse(s, &u, err, sizeof(err)), -EINVAL);
	/* the whole URL */
	memset(s, 'a', sizeof(s) - 1);
	memcpy(s, "redis://", 8);
	s[REDIS_URL_MAX + 1] = '\0';
	assert_int_equal(redis_url_parse(s, &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer"));
	assert_int_equal(redis_url_parse(NULL, &u, err, sizeof(err)), -EINVAL);
	/* a tiny or absent error buffer is fine */
	assert_int_equal(redis_url_parse("x", &u, err, 1), -EINVAL);
	assert_int_equal(err[0], '\0');
	assert_int_equal(redis_url_parse("x", &u, NULL, 0), -EINVAL);
}

static void test_redacted(void **state)
{
	struct redis_url u;
	char err[128], out[512];

	(void)state;
	assert_int_equal(redis_url_parse("redis://:hunter2@10.0.0.5:6380/4", &u,
					 err, sizeof(err)), 0);
	redis_url_redacted(&u, out, sizeof(out));
	assert_string_equal(out, "redis://:***@10.0.0.5:6380/4");
	assert_null(strstr(out, "hunter2"));
	assert_int_equal(redis_url_parse("redis://bob:pw@[::1]", &u, err,
					 sizeof(err)), 0);
	redis_url_redacted(&u, out, sizeof(out));
	assert_string_equal(out, "redis://bob:***@[::1]:6379/0");
	assert_int_equal(redis_url_parse("redis://h", &u, err, sizeof(err)), 0);
	redis_url_redacted(&u, out, sizeof(out));
	assert_string_equal(out, "redis://h:6379/0");
	/* an error message never shows the password either */
	assert_int_equal(redis_url_parse("redis://:hunter2@h:99999", &u, err,
					 sizeof(err)), -EINVAL);
	assert_null(strstr(err, "hunter2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_redacted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
