/*
 * test_config.c - command-line parsing: --listen forms, PORT, numeric
 * flags, --help/--version and bad options (with what they print); the
 * config file and CODEROOM_* variables (precedence, errors naming their
 * origin); --check-config (secrets masked, problems listed).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/config.h"

/* ---- config_parse_listen ------------------------------------------------ */

struct listen_case {
	const char *in;
	int ret;
	const char *host; /* expected host; "=" for unchanged */
	int port;
};

static const struct listen_case listen_cases[] = {
    {"127.0.0.1:8080", 0, "127.0.0.1", 8080},
    {"0.0.0.0:80", 0, "0.0.0.0", 80},
    {"localhost:1", 0, "localhost", 1},
    {"example.org:65535", 0, "example.org", 65535},
    {"[::1]:8080", 0, "::1", 8080},
    {"[::]:0", 0, "::", 0},
    {"[fe80::1%eth0]:443", 0, "fe80::1%eth0", 443},
    {":9000", 0, "=", 9000}, /* port only, host kept */
    {"9000", 0, "=", 9000},
    {"0", 0, "=", 0}, /* any free port */
    {"127.0.0.1:0", 0, "127.0.0.1", 0},
    {"65536", -EINVAL, "=", -1},
    {"127.0.0.1:65536", -EINVAL, NULL, -1},
    {"127.0.0.1:99999999999999999999", -EINVAL, NULL, -1},
    {"127.0.0.1:-1", -EINVAL, NULL, -1},
    {"-1", -EINVAL, "=", -1},
    {"127.0.0.1:", -EINVAL, NULL, -1},
    {"127.0.0.1", -EINVAL, NULL, -1}, /* no port */
    {"", -EINVAL, "=", -1},
    {":", -EINVAL, "=", -1},
    {"host:80x", -EINVAL, NULL, -1},
    {"host:0x50", -EINVAL, NULL, -1},
    {"host:8 0", -EINVAL, NULL, -1},
    {"[::1]", -EINVAL, "=", -1}, /* no port */
    {"[::1]8080", -EINVAL, "=", -1},
    {"[::1:8080", -EINVAL, "=", -1}, /* no ']' */
    {"[::1]:", -EINVAL, NULL, -1},
    {"[::1]:http", -EINVAL, NULL, -1},
    {"[]:80", -EINVAL, NULL, -1}, /* lws: "" is every interface */
};

static void test_listen_table(void **state)
{
	for (size_t i = 0; i < sizeof(listen_cases) / sizeof(listen_cases[0]);
	     i++) {
		const struct listen_case *c = &listen_cases[i];
		char host[64] = "unchanged";
		int port = -1;
		int r = config_parse_listen(c->in, host, sizeof(host), &port);

		if (r != c->ret)
			fail_msg("'%s': returned %d, want %d", c->in, r,
				 c->ret);
		if (c->ret == 0 && port != c->port)
			fail_msg("'%s': port %d, want %d", c->in, port,
				 c->port);
		if (c->ret != 0 && port != -1)
			fail_msg("'%s': port changed on error", c->in);
		if (c->host &&
		    strcmp(host, strcmp(c->host, "=") ? c->host : "unchanged"))
			fail_msg("'%s': host '%s', want '%s'", c->in, host,
				 c->host);
	}
}

static void test_listen_host_too_long(void **state)
{
	char host[8];
	int port = -1;

	/* 7 chars + NUL fit exactly; 8 do not */
	assert_int_equal(
	    config_parse_listen("1234567:80", host, sizeof(host), &port), 0);
	assert_string_equal(host, "1234567");
	assert_int_equal(port, 80);
	port = -1;
	assert_int_equal(
	    config_parse_listen("12345678:80", host, sizeof(host), &port),
	    -EINVAL);
	assert_int_equal(port, -1);
	assert_int_equal(
	    config_parse_listen("[1234567]:80", host, sizeof(host), &port), 0);
	assert_string_equal(host, "1234567");
	assert_int_equal(
	    config_parse_listen("[12345678]:80", host, sizeof(host), &port),
	    -EINVAL);

	/* a 300-char host into the config's 256-byte field */
	char big[320];
	char h[256];
	memset(big, 'a', 300);
	snprintf(big + 300, sizeof(big) - 300, ":80");
	assert_int_equal(config_parse_listen(big, h, sizeof(h), &port),
			 -EINVAL);
}

/* ---- config_parse ------------------------------------------------------- */

static char captured[8192];

/* Runs config_parse on a NULL-terminated list, capturing stdout+stderr. */
static enum config_result parse(struct config *cfg, const char *const *args)
{
	char *argv[32];
	char copies[32][512];
	int argc = 0;
	char path[] = "/tmp/test_config.XXXXXX";
	int fd = mkstemp(path);
	int out = dup(1), err = dup(2);
	enum config_result r;

	assert_true(fd >= 0 && out >= 0 && err >= 0);
	unlink(path);
	argv[argc++] = strcpy(copies[0], "coderoom");
	for (; args[argc - 1]; argc++)
		argv[argc] = strcpy(copies[argc], args[argc - 1]);
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(fd, 2);
	r = config_parse(cfg, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	ssize_t n = pread(fd, captured, sizeof(captured) - 1, 0);
	captured[n > 0 ? n : 0] = '\0';
	close(fd);
	return r;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOARGS	  ((const char *const[]){NULL})

extern char **environ;

/* PORT and every CODEROOM_* variable are options: start without them
 * (tests/run-all.sh exports CODEROOM_WEB_ROOT, for one). */
static int setup(void **state)
{
	char name[256];

	unsetenv("PORT");
	for (size_t i = 0; environ[i];) {
		const char *eq = strchr(environ[i], '=');
		size_t n = eq ? (size_t)(eq - environ[i]) : 0;
		if (n && n < sizeof(name) && !strncmp(environ[i], "CODEROOM_", 9)) {
			memcpy(name, environ[i], n);
			name[n] = '\0';
			unsetenv(name);	/* environ shifts: look at i again */
			continue;
		}
		i++;
	}
	return 0;
}

static void test_defaults(void **state)
{
	struct config c;

	assert_int_equal(parse(&c, NOARGS), CONFIG_OK);
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(c.port, 8080);
	assert_string_equal(c.data_dir, "./data");
	assert_null(c.web_root);
	assert_int_equal(c.tty.cpu_ms, 60000);
	assert_int_equal(c.batch.wall_ms, 20000);
	assert_int_equal(c.max_message_bytes, 1 << 20);
	assert_int_equal(c.max_runs, 0);	/* derived at start-up */
	assert_int_equal(c.api_concurrency, 0);	/* the CPU count, likewise */
	assert_int_equal(c.runs_memory_bytes, 0);
	assert_int_equal(c.client_runs, 0);
	assert_int_equal(c.queue_wait_ms, 300000);
	assert_int_equal(c.idle_timeout_ms, 600000);
	assert_false(c.allow_weak_sandbox);
	assert_string_equal(captured, ""); /* silent */
}

static void test_listen_option(void **state)
{
	struct config c;

	assert_int_equal(parse(&c, ARGS("--listen", "0.0.0.0:9001")),
			 CONFIG_OK);
	assert_string_equal(c.host, "0.0.0.0");
	assert_int_equal(c.port, 9001);
	assert_int_equal(parse(&c, ARGS("--listen=[::1]:0")), CONFIG_OK);
	assert_string_equal(c.host, "::1");
	assert_int_equal(c.port, 0);
	assert_int_equal(parse(&c, ARGS("--listen", ":7000")), CONFIG_OK);
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(c.port, 7000);
	assert_int_equal(parse(&c, ARGS("--listen", "7001")), CONFIG_OK);
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(c.port, 7001);
	assert_int_equal(parse(&c, ARGS("--listen", "host:70000")),
			 CONFIG_ERROR);
	assert_non_null(strstr(captured, "--listen wants HOST:PORT, not "
					 "'host:70000'"));
	assert_int_equal(parse(&c, ARGS("--listen")), CONFIG_ERROR);
	assert_non_null(strstr(captured, "'--listen'"));
}

static void test_port_env(void **state)
{
	struct config c;

	setenv("PORT", "9123", 1);
	assert_int_equal(parse(&c, NOARGS), CONFIG_OK);
	assert_int_equal(c.port, 9123);
	assert_string_equal(c.host, "127.0.0.1");
	/* --listen wins over PORT */
	assert_int_equal(parse(&c, ARGS("--listen", "127.0.0.1:4000")),
			 CONFIG_OK);
	assert_int_equal(c.port, 4000);
	setenv("PORT", "0", 1);
	assert_int_equal(parse(&c, NOARGS), CONFIG_OK);
	assert_int_equal(c.port, 0);
	setenv("PORT", "", 1); /* empty: ignored */
	assert_int_equal(parse(&c, NOARGS), CONFIG_OK);
	assert_int_equal(c.port, 8080);
	setenv("PORT", "http", 1);
	assert_int_equal(parse(&c, NOARGS), CONFIG_ERROR);
	assert_non_null(strstr(captured, "PORT='http' is not a port"));
	setenv("PORT", "70000", 1);
	assert_int_equal(parse(&c, NOARGS), CONFIG_ERROR);
	setenv("PORT", "-5", 1);
	assert_int_equal(parse(&c, NOARGS), CONFIG_ERROR);
	unsetenv("PORT");
}

struct num_case {
	const char *opt;
	const char *val;
	enum config_result want;
};

static const struct num_case num_cases[] = {
    {"--cpu-ms", "1", CONFIG_OK},
    {"--cpu-ms", "0", CONFIG_ERROR},
    {"--cpu-ms", "-1", CONFIG_ERROR},
    {"--cpu-ms", " -1", CONFIG_ERROR}, /* strtoull would wrap it */
    {"--cpu-ms", "\t-1", CONFIG_ERROR},
    {"--cpu-ms", "", CONFIG_ERROR},
    {"--cpu-ms", "abc", CONFIG_ERROR},
    {"--cpu-ms", "10s", CONFIG_ERROR},
    {"--cpu-ms", "1.5", CONFIG_ERROR},
    {"--cpu-ms", "99999999999999999999999", CONFIG_ERROR},
    {"--wall-ms", "0", CONFIG_ERROR},
    {"--output-bytes", "-5", CONFIG_ERROR},
    {"--memory-bytes", "x", CONFIG_ERROR},
    {"--pids", "0", CONFIG_ERROR},
    {"--batch-cpu-ms", "-0", CONFIG_ERROR},
    {"--batch-wall-ms", "1e3", CONFIG_ERROR},
    {"--batch-output-bytes", "0", CONFIG_ERROR},
    {"--reattach-grace-ms", "-100", CONFIG_ERROR},
    {"--max-message-bytes", "0", CONFIG_ERROR},
    {"--max-body-bytes", "0x10", CONFIG_ERROR},
    {"--max-runs", "0", CONFIG_ERROR},
    {"--max-runs", "-4", CONFIG_ERROR},
    {"--runs-memory-bytes", "0", CONFIG_ERROR},
    {"--client-runs", "x", CONFIG_ERROR},
    {"--queue", "-1", CONFIG_ERROR},
};

/* The admission flags (docs/operations.md, "Sizing"). */
static void test_admission_flags(void **state)
{
	struct config c;

	assert_int_equal(
	    parse(&c, ARGS("--runs-memory-bytes", "1073741824", "--runs-pids",
			   "500", "--run-memory-reserve", "8388608",
			   "--run-pids-reserve", "3", "--queue", "9",
			   "--queue-wait-ms", "1500", "--client-runs", "2",
			   "--client-queue", "5", "--api-client-queue", "6",
			   "--idle-timeout-ms", "0", "--max-open-files",
			   "70000")),
	    CONFIG_OK);
	assert_int_equal(c.runs_memory_bytes, 1073741824);
	assert_int_equal(c.runs_pids, 500);
	assert_int_equal(c.run_memory_reserve, 8388608);
	assert_int_equal(c.run_pids_reserve, 3);
	assert_int_equal(c.queue, 9);
	assert_int_equal(c.queue_wait_ms, 1500);
	assert_int_equal(c.client_runs, 2);
	assert_int_equal(c.client_queue, 5);
	assert_int_equal(c.api_client_queue, 6);
	assert_int_equal(c.idle_timeout_ms, 0);	/* 0: never */
	assert_int_equal(c.max_open_files, 70000);
	assert_int_equal(parse(&c, ARGS("--idle-timeout-ms", "-1")),
			 CONFIG_ERROR);
}

static void test_numeric_table(void **state)
{
	for (size_t i = 0; i < sizeof(num_cases) / sizeof(num_cases[0]); i++) {
		const struct num_case *n = &num_cases[i];
		struct config c;
		enum config_result r = parse(&c, ARGS(n->opt, n->val));

		if (r != n->want)
			fail_msg("%s '%s': %d, want %d", n->opt, n->val, r,
				 n->want);
		if (r == CONFIG_ERROR) {
			char want[128];
			snprintf(want, sizeof(want),
				 "%s wants a whole number "
				 ">= 1, not '%s'",
				 n->opt, n->val);
			if (!strstr(captured, want))
				fail_msg("%s '%s': printed '%s'", n->opt,
					 n->val, captured);
		}
	}
}

static void test_numeric_values(void **state)
{
	struct config c;

	assert_int_equal(
	    parse(&c,
		  ARGS("--cpu-ms", "1500", "--wall-ms=2500", "--output-bytes",
		       "100", "--memory-bytes", "1048576", "--pids", "7",
		       "--batch-cpu-ms", "11", "--batch-wall-ms", "12",
		       "--batch-output-bytes", "13", "--reattach-grace-ms",
		       "14", "--max-message-bytes", "15", "--max-body-bytes",
		       "16", "--max-runs", "17")),
	    CONFIG_OK);
	assert_int_equal(c.tty.cpu_ms, 1500);
	assert_int_equal(c.tty.wall_ms, 2500);
	assert_int_equal(c.tty.output_bytes, 100);
	assert_int_equal(c.tty.memory_bytes, 1048576);
	assert_int_equal(c.batch.memory_bytes, 1048576); /* both kinds */
	assert_int_equal(c.tty.pids, 7);
	assert_int_equal(c.batch.pids, 7);
	assert_int_equal(c.batch.cpu_ms, 11);
	assert_int_equal(c.batch.wall_ms, 12);
	assert_int_equal(c.batch.output_bytes, 13);
	assert_int_equal(c.reattach_grace_ms, 14);
	assert_int_equal(c.max_message_bytes, 15);
	assert_int_equal(c.max_body_bytes, 16);
	assert_int_equal(c.max_runs, 17);
	/* the batch cpu default was not touched by --cpu-ms */
	assert_int_equal(parse(&c, ARGS("--cpu-ms", "5")), CONFIG_OK);
	assert_int_equal(c.batch.cpu_ms, 10000);
	/* clamps */
	assert_int_equal(
	    parse(&c, ARGS("--pids", "99999999", "--max-runs", "99999")),
	    CONFIG_OK);
	assert_int_equal(c.tty.pids, 100000);
	assert_int_equal(c.max_runs, 4096);
}

static void test_strings_and_flags(void **state)
{
	struct config c;

	assert_int_equal(
	    parse(&c,
		  ARGS("--data-dir", "/var/lib/cr", "--web-root", "/srv/web",
		       "--languages-dir", "/etc/langs", "--user", "nobody",
		       "--log-level", "debug", "--allow-weak-sandbox")),
	    CONFIG_OK);
	assert_string_equal(c.data_dir, "/var/lib/cr");
	assert_string_equal(c.web_root, "/srv/web");
	assert_string_equal(c.languages_dir, "/etc/langs");
	assert_string_equal(c.user, "nobody");
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_true(c.allow_weak_sandbox);
	assert_int_equal(parse(&c, ARGS("--log-level", "loud")), CONFIG_ERROR);
	assert_non_null(strstr(captured, "--log-level wants"));
}

static void test_socketio(void **state)
{
	struct config c;

	assert_int_equal(parse(&c, NOARGS), CONFIG_OK);
	assert_null(c.cors_origins[0]);
	assert_int_equal(c.sio_max_sessions, 1000);
	assert_int_equal(c.sio_ping_interval_ms, 25000);
	assert_int_equal(c.sio_ping_timeout_ms, 20000);
	assert_int_equal(c.sio_connect_timeout_ms, 45000);
	assert_int_equal(
	    parse(&c, ARGS("--cors-origin", "http://localhost:3000",
			   "--cors-origin", "https://app.example", "--cors-origin",
			   "*", "--sio-max-sessions", "7",
			   "--sio-ping-interval-ms", "100",
			   "--sio-ping-timeout-ms", "200",
			   "--sio-connect-timeout-ms", "300")),
	    CONFIG_OK);
	assert_string_equal(c.cors_origins[0], "http://localhost:3000");
	assert_string_equal(c.cors_origins[1], "https://app.example");
	assert_string_equal(c.cors_origins[2], "*");
	assert_null(c.cors_origins[3]);
	assert_int_equal(c.sio_max_sessions, 7);
	assert_int_equal(c.sio_ping_interval_ms, 100);
	assert_int_equal(c.sio_ping_timeout_ms, 200);
	assert_int_equal(c.sio_connect_timeout_ms, 300);
	/* an origin is scheme://host[:port], nothing else */
	static const char *const bad[] = {
		"localhost:3000", "ftp://x", "http://", "http://a/path",
		"http://a b", "", "https://x\r\nSet-Cookie: a=b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(&c, ARGS("--cors-origin", bad[i])) != CONFIG_ERROR)
			fail_msg("--cors-origin '%s' was taken", bad[i]);
		assert_non_null(strstr(captured, "--cors-origin wants"));
	}
	/* at most 15 */
	const char *many[17];
	for (int i = 0; i < 16; i++)
		many[i] = "--cors-origin=http://a.example";
	many[16] = NULL;
	assert_int_equal(parse(&c, many), CONFIG_ERROR);
	many[15] = NULL;
	assert_int_equal(parse(&c, many), CONFIG_OK);
	assert_string_equal(c.cors_origins[14], "http://a.example");
	assert_int_equal(parse(&c, ARGS("--sio-max-sessions", "0")),
			 CONFIG_ERROR);
}

static void test_cluster_flags(void **state)
{
	struct config c;
	char long_id[70];

	assert_int_equal(parse(&c, NOARGS), CONFIG_OK);
	assert_null(c.redis_url);	/* a single node by default */
	assert_null(c.role);
	assert_int_equal(parse(&c, ARGS("--redis", "redis://:pw@10.0.0.5:6379/2",
					 "--role", "gateway", "--node-id",
					 "gw-1.eu_west")), CONFIG_OK);
	assert_string_equal(c.redis_url, "redis://:pw@10.0.0.5:6379/2");
	assert_string_equal(c.role, "gateway");
	assert_string_equal(c.node_id, "gw-1.eu_west");
	assert_int_equal(parse(&c, ARGS("--redis", "redis://h", "--role",
					 "worker")), CONFIG_OK);
	assert_int_equal(parse(&c, ARGS("--redis", "redis://h", "--role",
					 "all")), CONFIG_OK);
	assert_int_equal(parse(&c, ARGS("--redis", "redis://h", "--role",
					 "boss")), CONFIG_ERROR);
	assert_non_null(strstr(captured, "--role wants gateway, worker or all, "
					 "not 'boss'"));
	assert_int_equal(parse(&c, ARGS("--redis", "redis://h", "--node-id",
					 "a b")), CONFIG_ERROR);
	assert_non_null(strstr(captured, "--node-id wants"));
	assert_int_equal(parse(&c, ARGS("--redis", "redis://h", "--node-id",
					 "")), CONFIG_ERROR);
	memset(long_id, 'n', 64);
	long_id[64] = '\0';
	assert_int_equal(parse(&c, ARGS("--redis", "redis://h", "--node-id",
					 long_id)), CONFIG_OK);
	long_id[64] = 'n';
	long_id[65] = '\0';
	assert_int_equal(parse(&c, ARGS("--redis", "redis://h", "--node-id",
					 long_id)), CONFIG_ERROR);
	/* a role needs a cluster */
	assert_int_equal(parse(&c, ARGS("--role", "worker")), CONFIG_ERROR);
	assert_non_null(strstr(captured, "need --redis"));
	assert_int_equal(parse(&c, ARGS("--node-id", "x")), CONFIG_ERROR);
	/* the URL itself is checked at start-up (cluster/redis_url.c) */
	assert_int_equal(parse(&c, ARGS("--redis", "nonsense")), CONFIG_OK);
}

static void test_help_version(void **state)
{
	struct config c;

	assert_int_equal(parse(&c, ARGS("--help")), CONFIG_EXIT_OK);
	assert_non_null(strstr(captured, "usage: coderoom [options]"));
	assert_non_null(strstr(captured, "--listen HOST:PORT"));
	assert_int_equal(parse(&c, ARGS("--version")), CONFIG_EXIT_OK);
	assert_string_equal(captured, "coderoom " CODEROOM_VERSION "\n");
	/* --help wins even after other options */
	assert_int_equal(parse(&c, ARGS("--cpu-ms", "5", "--help")),
			 CONFIG_EXIT_OK);
}

static void test_bad_options(void **state)
{
	struct config c;

	assert_int_equal(parse(&c, ARGS("--frobnicate")), CONFIG_ERROR);
	assert_non_null(strstr(captured, "unknown or incomplete option "
					 "'--frobnicate'"));
	assert_int_equal(parse(&c, ARGS("--help=yes")), CONFIG_ERROR);
	assert_int_equal(parse(&c, ARGS("stray")), CONFIG_ERROR);
	assert_non_null(strstr(captured, "unexpected argument 'stray'"));
	assert_int_equal(parse(&c, ARGS("--cpu-ms")), CONFIG_ERROR);
	/* a short option: none exist */
	assert_int_equal(parse(&c, ARGS("-xyz")), CONFIG_ERROR);
	/* and parsing starts afresh on the next call */
	assert_int_equal(parse(&c, ARGS("--listen", ":1234")), CONFIG_OK);
	assert_int_equal(c.port, 1234);
	assert_int_equal(parse(&c, NOARGS), CONFIG_OK);
	assert_int_equal(c.port, 8080);
}

/* ---- the config file, the environment, --check-config ------------------ */

static char conf_path[64];

static void write_conf(const char *text)
{
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/test_config_file.XXXXXX");
	fd = mkstemp(conf_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_config_file(void **state)
{
	struct config c;

	write_conf("# a comment\n"
		   "\n"
		   "  listen = 127.0.0.1:7100  \n"
		   "cpu-ms=2500\n"
		   "data-dir = /srv/cr data\n"
		   "api-token = from-file\n"
		   "allow-weak-sandbox = yes\n"
		   "log-format = json\n"
		   "spawner-timeout-ms = 900\n");
	assert_int_equal(parse(&c, ARGS("--config", conf_path)), CONFIG_OK);
	assert_int_equal(c.port, 7100);
	assert_int_equal(c.tty.cpu_ms, 2500);
	assert_string_equal(c.data_dir, "/srv/cr data");
	assert_string_equal(c.api_tokens[0], "from-file");
	assert_true(c.allow_weak_sandbox);
	assert_int_equal(c.log_format, LOG_FORMAT_JSON);
	assert_int_equal(c.spawner_timeout_ms, 900);
	assert_string_equal(c.config_file, conf_path);
	config_release(&c);

	/* the command line wins over the file; --config=FILE works too */
	char arg[128];
	snprintf(arg, sizeof(arg), "--config=%s", conf_path);
	assert_int_equal(parse(&c, ARGS(arg, "--cpu-ms", "3000")), CONFIG_OK);
	assert_int_equal(c.tty.cpu_ms, 3000);
	assert_int_equal(c.port, 7100);
	config_release(&c);

	/* the environment sits between the two; CODEROOM_CONFIG names it */
	setenv("CODEROOM_CONFIG", conf_path, 1);
	setenv("CODEROOM_CPU_MS", "2700", 1);
	setenv("CODEROOM_LISTEN", ":7200", 1);
	assert_int_equal(parse(&c, NOARGS), CONFIG_OK);
	assert_int_equal(c.tty.cpu_ms, 2700);
	assert_int_equal(c.port, 7200);
	config_release(&c);
	assert_int_equal(parse(&c, ARGS("--listen", ":7300")), CONFIG_OK);
	assert_int_equal(c.port, 7300);
	config_release(&c);
	unsetenv("CODEROOM_CONFIG");
	unsetenv("CODEROOM_CPU_MS");
	unsetenv("CODEROOM_LISTEN");
	unlink(conf_path);
}

static void test_config_file_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"cpu-ms = 5\nfrobnicate = 1\n", ":2: unknown option 'frobnicate'"},
	    {"listen\n", ":1: expected 'key = value', not 'listen'"},
	    {"help = true\n", ":1: command-line only option 'help'"},
	    {"config = /etc/x\n", ":1: command-line only option 'config'"},
	    {"cpu-ms =\n", ":1: 'cpu-ms' has no value"},
	    {"allow-weak-sandbox = maybe\n", "wants true or false"},
	    {"\n\ncpu-ms = lots\n", ":3)"},	/* "(that is ..., from F:3)" */
	    {"log-format = xml\n", "--log-format wants text or json"},
	};
	struct config c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_conf(cases[i].text);
		if (parse(&c, ARGS("--config", conf_path)) != CONFIG_ERROR)
			fail_msg("'%s' was accepted", cases[i].text);
		if (!strstr(captured, cases[i].want))
			fail_msg("'%s': wanted '%s' in: %s", cases[i].text,
				 cases[i].want, captured);
		unlink(conf_path);
	}
	/* a missing file, named */
	assert_int_equal(parse(&c, ARGS("--config", "/nonexistent/cr.conf")),
			 CONFIG_ERROR);
	assert_non_null(strstr(captured, "'/nonexistent/cr.conf'"));
	/* a bad environment variable is named too */
	setenv("CODEROOM_PIDS", "many", 1);
	assert_int_equal(parse(&c, NOARGS), CONFIG_ERROR);
	assert_non_null(strstr(captured, "from CODEROOM_PIDS"));
	unsetenv("CODEROOM_PIDS");
}

static void test_check_config(void **state)
{
	struct config c;
	char path[] = "/tmp/test_config_check.XXXXXX";
	char text[8192];
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(parse(&c, ARGS("--api-token", "hunter2-secret",
					"--data-dir", "/tmp", "--languages-dir",
					"/nonexistent-langs", "--cpu-ms", "4321",
					"--check-config")),
			 CONFIG_OK);
	assert_true(c.check_config);
	f = fdopen(fd, "w+");
	assert_int_equal(config_check(&c, f), 1);	/* the languages dir */
	fflush(f);
	size_t n = (size_t)pread(fd, text, sizeof(text) - 1, 0);
	text[n] = '\0';
	fclose(f);
	assert_null(strstr(text, "hunter2"));
	assert_non_null(strstr(text, "# api-token = ******** (1 given"));
	assert_non_null(strstr(text, "\ncpu-ms = 4321\n"));
	assert_non_null(strstr(text, "\ndata-dir = /tmp\n"));
	assert_non_null(strstr(text, "# error: languages-dir '/nonexistent-langs'"));
	assert_non_null(strstr(text, "# 1 error\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listen_table),
	    cmocka_unit_test(test_listen_host_too_long),
	    cmocka_unit_test_setup(test_defaults, setup),
	    cmocka_unit_test_setup(test_listen_option, setup),
	    cmocka_unit_test_setup(test_port_env, setup),
	    cmocka_unit_test_setup(test_numeric_table, setup),
	    cmocka_unit_test_setup(test_numeric_values, setup),
	    cmocka_unit_test_setup(test_admission_flags, setup),
	    cmocka_unit_test_setup(test_strings_and_flags, setup),
	    cmocka_unit_test_setup(test_socketio, setup),
	    cmocka_unit_test_setup(test_cluster_flags, setup),
	    cmocka_unit_test_setup(test_help_version, setup),
	    cmocka_unit_test_setup(test_bad_options, setup),
	    cmocka_unit_test_setup(test_config_file, setup),
	    cmocka_unit_test_setup(test_config_file_errors, setup),
	    cmocka_unit_test_setup(test_check_config, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
