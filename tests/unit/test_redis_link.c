/*
 * test_redis_link.c - the Redis link against a real redis-server that the
 * test starts itself (127.0.0.1, a free port, its own temp dir; stopped by
 * PID). Skipped, by name, when redis-server is not installed.
 *
 *   refused     nothing listens: the failed connect is reported (the bug
 *               of hiredis 0.14's own libuv adapter: it never calls back)
 *   commands    SET/GET round trip, an error reply, binary-safe values
 *   stopped     SIGSTOP the server: the pending command fails by its
 *               deadline, the link drops; SIGCONT: it comes back up
 *   restart     kill the server: down, pending commands fail; start it
 *               again on the same port: up again, on its own
 *   auth        a wrong password never comes up and says why; the right
 *               one does; a database number is selected
 *   pubsub      a subscribed channel gets messages, also after a restart
 *   forget      a forgotten command's callback is not called
 *
 * Every wait is for an event, with a generous hang guard.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "cluster/redis_link.h"
#include "lib/log.h"

#define GUARD_MS 30000

static uv_loop_t loop;
static char tmpdir[64];

/* ---- the server --------------------------------------------------------- */

struct server {
	pid_t pid;
	int port;
	const char *pass;
};

static bool have_redis(void)
{
	return access("/usr/bin/redis-server", X_OK) == 0;
}

/* A skip, counted and named by the runner, when there is no redis-server. */
#define NEED_REDIS()                                                           \
	do {                                                                   \
		if (!have_redis())                                             \
			skip();                                                \
	} while (0)

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Starts redis-server on s->port and waits until it answers PING. */
static void track_server(struct server *s);

static void server_start(struct server *s)
{
	char port[16];

	track_server(s);
	snprintf(port, sizeof(port), "%d", s->port);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 1);
		dup2(devnull, 2);
		const char *argv[24] = {
			"redis-server", "--port", port, "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", tmpdir,
			"--logfile", "/dev/null", "--daemonize", "no",
		};
		int n = 15;
		if (s->pass) {
			argv[n++] = "--requirepass";
			argv[n++] = s->pass;
		}
		argv[n] = NULL;
		execv("/usr/bin/redis-server", (char **)argv);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {	/* 10 s */
		redisContext *c = redisConnect("127.0.0.1", s->port);
		if (c && !c->err) {
			redisReply *r = redisCommand(c, "PING");
			bool ok = r != NULL;	/* PONG or NOAUTH: it serves */
			freeReplyObject(r);
			redisFree(c);
			if (ok)
				return;
		} else if (c) {
			redisFree(c);
		}
		usleep(10000);
	}
	fail_msg("redis-server did not come up on port %d", s->port);
}

/* What a test started, for the teardown when it fails half-way. */
static struct server *servers[4];
static struct redis_link *links[4];

static void track_server(struct server *s)
{
	for (int i = 0; i < 4; i++)
		if (!servers[i] || servers[i] == s) {
			servers[i] = s;
			return;
		}
}

static void server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGCONT);
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
}

/* ---- the loop ----------------------------------------------------------- */

struct watch {
	unsigned ups, downs;
	unsigned replies, nulls;
	char last[256];
	unsigned msgs, subscribed;
	char msg[64];
};

static void on_up(struct redis_link *l, void *data)
{
	((struct watch *)data)->ups++;
}

static void on_down(struct redis_link *l, void *data)
{
	((struct watch *)data)->downs++;
}

static const struct redis_link_ops ops = { .up = on_up, .down = on_down };

static void on_reply(struct redis_link *l, redisReply *r, void *data)
{
	struct watch *w = data;

	if (!r) {
		w->nulls++;
		snprintf(w->last, sizeof(w->last), "NULL: %s", l->why);
		return;
	}
	w->replies++;
	if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
	    r->type == REDIS_REPLY_ERROR)
		snprintf(w->last, sizeof(w->last), "%c%.*s",
			 r->type == REDIS_REPLY_ERROR ? '-' : '+', (int)r->len,
			 r->str);
	else if (r->type == REDIS_REPLY_INTEGER)
		snprintf(w->last, sizeof(w->last), ":%lld", r->integer);
	else
		snprintf(w->last, sizeof(w->last), "type %d", r->type);
}

static void on_msg(struct redis_link *l, const char *ch, const char *msg,
		   size_t len, void *data)
{
	struct watch *w = data;

	if (!msg) {	/* the subscription is in place */
		w->subscribed++;
		return;
	}
	w->msgs++;
	snprintf(w->msg, sizeof(w->msg), "%s=%.*s", ch, (int)len, msg);
}

static bool guard_fired;

static void on_guard(uv_timer_t *t)
{
	guard_fired = true;
}

/* Runs the loop until cond() holds; fails after GUARD_MS (a hang). */
#define RUN_UNTIL(cond)                                                        \
	do {                                                                   \
		uv_timer_t g_;                                                 \
		uv_timer_init(&loop, &g_);                                     \
		guard_fired = false;                                           \
		uv_timer_start(&g_, on_guard, GUARD_MS, 0);                    \
		while (!(cond) && !guard_fired)                                \
			uv_run(&loop, UV_RUN_ONCE);                            \
		uv_close((uv_handle_t *)&g_, NULL);                            \
		uv_run(&loop, UV_RUN_NOWAIT);                                  \
		if (guard_fired)                                               \
			fail_msg("hang guard: '%s' did not happen", #cond);     \
	} while (0)

static bool link_closed;

/* redis_link_init(), remembered for the teardown. */
static void link_init(struct redis_link *l, const struct redis_url *u,
		      const char *name, void *w)
{
	redis_link_init(l, &loop, u, "test", name, &ops, w);
	for (int i = 0; i < 4; i++)
		if (!links[i] || links[i] == l) {
			links[i] = l;
			break;
		}
}

static void on_closed(struct redis_link *l)
{
	link_closed = true;
}

static void close_link(struct redis_link *l)
{
	link_closed = false;
	redis_link_close(l, on_closed);
	RUN_UNTIL(link_closed);
}

static struct redis_url url_for(int port, const char *pass, unsigned db)
{
	struct redis_url u = { .port = port, .db = db };

	snprintf(u.host, sizeof(u.host), "127.0.0.1");
	if (pass) {
		snprintf(u.password, sizeof(u.password), "%s", pass);
		u.has_password = true;
	}
	return u;
}

static int cmd(struct redis_link *l, struct watch *w, const char *a,
	       const char *b, const char *c)
{
	const char *args[] = { a, b, c, NULL };
	return redis_link_cmdv(l, on_reply, w, 0, args);
}

/* A redis-server of the test's own on a free port, and its URL (no
 * password, database 0); the test is skipped without redis-server. */
static void redis_for_test(struct server *s, struct redis_url *u)
{
	*s = (struct server){ .port = free_port() };
	NEED_REDIS();
	server_start(s);
	*u = url_for(s->port, NULL, 0);
}

/* ---- tests -------------------------------------------------------------- */

static void test_refused(void **state)
{
	static struct redis_url u;
	static struct redis_link l;
	static struct watch w;

	u = url_for(free_port(), NULL, 0);	/* nothing there */
	memset(&w, 0, sizeof(w));

	(void)state;
	link_init(&l, &u, "refused", &w);
	l.connect_ms = 600000;	/* only the refusal itself may end it */
	redis_link_start(&l);
	RUN_UNTIL(l.failures >= 2);
	assert_int_equal(w.ups, 0);
	assert_false(redis_link_up(&l));
	assert_non_null(strstr(l.why, "refused"));
	assert_int_equal(cmd(&l, &w, "PING", NULL, NULL), -ENOTCONN);
	close_link(&l);
}

static void test_commands(void **state)
{
	static struct server s;
	static struct redis_url u;
	static struct redis_link l;
	static struct watch w;

	(void)state;
	memset(&w, 0, sizeof(w));
	redis_for_test(&s, &u);
	link_init(&l, &u, "cmd", &w);
	redis_link_start(&l);
	RUN_UNTIL(w.ups == 1);
	assert_true(l.client_id > 0);
	assert_int_equal(cmd(&l, &w, "SET", "k", "v"), 0);
	RUN_UNTIL(w.replies == 1);
	assert_string_equal(w.last, "+OK");
	assert_int_equal(cmd(&l, &w, "GET", "k", NULL), 0);
	RUN_UNTIL(w.replies == 2);
	assert_string_equal(w.last, "+v");
	assert_int_equal(cmd(&l, &w, "INCR", "k", NULL), 0);	/* not a number */
	RUN_UNTIL(w.replies == 3);
	assert_int_equal(w.last[0], '-');
	/* binary-safe: a NUL inside */
	const char *argv[] = { "SET", "bin", "a\0b" };
	size_t lens[] = { 3, 3, 3 };
	assert_int_equal(redis_link_cmd(&l, on_reply, &w, 0, 3, argv, lens), 0);
	const char *get[] = { "STRLEN", "bin" };
	size_t glens[] = { 6, 3 };
	assert_int_equal(redis_link_cmd(&l, on_reply, &w, 0, 2, get, glens), 0);
	RUN_UNTIL(w.replies == 5);
	assert_string_equal(w.last, ":3");
	assert_int_equal(w.nulls, 0);
	close_link(&l);
	server_stop(&s);
}

static void test_stopped(void **state)
{
	static struct server s;
	static struct redis_url u;
	static struct redis_link l;
	static struct watch w;

	(void)state;
	memset(&w, 0, sizeof(w));
	redis_for_test(&s, &u);
	link_init(&l, &u, "stopped", &w);
	l.cmd_ms = 300;
	l.connect_ms = 300;
	redis_link_start(&l);
	RUN_UNTIL(w.ups == 1);
	kill(s.pid, SIGSTOP);
	assert_int_equal(cmd(&l, &w, "PING", NULL, NULL), 0);
	RUN_UNTIL(w.nulls == 1);	/* failed by its deadline */
	assert_int_equal(w.downs, 1);
	assert_non_null(strstr(w.last, "did not answer"));
	kill(s.pid, SIGCONT);
	RUN_UNTIL(w.ups == 2);		/* back, on its own */
	assert_int_equal(cmd(&l, &w, "PING", NULL, NULL), 0);
	RUN_UNTIL(w.replies == 1);
	assert_string_equal(w.last, "+PONG");
	close_link(&l);
	server_stop(&s);
}

static void test_restart(void **state)
{
	static struct server s;
	static struct redis_url u;
	static struct redis_link l;
	static struct watch w;

	(void)state;
	memset(&w, 0, sizeof(w));
	redis_for_test(&s, &u);
	link_init(&l, &u, "restart", &w);
	l.backoff_max_ms = 200;
	redis_link_start(&l);
	RUN_UNTIL(w.ups == 1);
	/* a blocking command is pending when the server dies */
	const char *args[] = { "BLPOP", "nothing", "0", NULL };
	assert_int_equal(redis_link_cmdv(&l, on_reply, &w, 60000, args), 0);
	uv_run(&loop, UV_RUN_NOWAIT);
	server_stop(&s);
	RUN_UNTIL(w.downs == 1);
	assert_int_equal(w.nulls, 1);
	assert_false(redis_link_up(&l));
	RUN_UNTIL(l.failures >= 3);	/* refused while it is gone */
	server_start(&s);
	RUN_UNTIL(w.ups == 2);
	assert_int_equal(cmd(&l, &w, "PING", NULL, NULL), 0);
	RUN_UNTIL(w.replies == 1);
	close_link(&l);
	server_stop(&s);
}

static void test_auth(void **state)
{
	static struct server s;
	static struct redis_url bad, good;
	static struct redis_link l;
	static struct watch w;

	s = (struct server){ .port = free_port(), .pass = "s3cret" };
	memset(&w, 0, sizeof(w));

	(void)state;
	NEED_REDIS();
	server_start(&s);
	bad = url_for(s.port, "wrong", 0);
	link_init(&l, &bad, "badauth", &w);
	redis_link_start(&l);
	RUN_UNTIL(l.failures >= 2);
	assert_int_equal(w.ups, 0);
	assert_non_null(strstr(l.why, "password"));
	close_link(&l);

	good = url_for(s.port, "s3cret", 3);
	memset(&w, 0, sizeof(w));
	link_init(&l, &good, "auth", &w);
	redis_link_start(&l);
	RUN_UNTIL(w.ups == 1);
	assert_int_equal(cmd(&l, &w, "CLIENT", "INFO", NULL), 0);
	RUN_UNTIL(w.replies == 1);
	assert_non_null(strstr(w.last, " db=3 "));
	assert_non_null(strstr(w.last, "name=coderoom:test:auth"));
	close_link(&l);
	server_stop(&s);
}

static void test_pubsub(void **state)
{
	static struct server s;
	static struct redis_url u;
	static struct redis_link sub, pub;
	static struct watch ws, wp;

	(void)state;
	memset(&ws, 0, sizeof(ws));
	memset(&wp, 0, sizeof(wp));
	redis_for_test(&s, &u);
	link_init(&sub, &u, "sub", &ws);
	link_init(&pub, &u, "pub", &wp);
	sub.backoff_max_ms = pub.backoff_max_ms = 200;
	assert_int_equal(redis_link_subscribe(&sub, "room:1", on_msg, &ws), 0);
	redis_link_start(&sub);
	redis_link_start(&pub);
	RUN_UNTIL(ws.ups == 1 && wp.ups == 1);
	/* PUBLISH until the subscription is in place (it says how many got it) */
	while (ws.msgs == 0) {
		assert_int_equal(cmd(&pub, &wp, "PUBLISH", "room:1", "hello"), 0);
		unsigned n = wp.replies;
		RUN_UNTIL(wp.replies == n + 1);
	}
	assert_string_equal(ws.msg, "room:1=hello");
	server_stop(&s);
	RUN_UNTIL(ws.downs == 1 && wp.downs == 1);
	server_start(&s);
	RUN_UNTIL(ws.ups == 2 && wp.ups == 2);
	unsigned before = ws.msgs;
	while (ws.msgs == before) {
		assert_int_equal(cmd(&pub, &wp, "PUBLISH", "room:1", "again"), 0);
		unsigned n = wp.replies;
		RUN_UNTIL(wp.replies == n + 1);
	}
	assert_string_equal(ws.msg, "room:1=again");
	redis_link_unsubscribe(&sub, "room:1");
	close_link(&sub);
	close_link(&pub);
	server_stop(&s);
}

static void test_forget(void **state)
{
	static struct server s;
	static struct redis_url u;
	static struct redis_link l;
	static struct watch w, gone;

	(void)state;
	memset(&w, 0, sizeof(w));
	memset(&gone, 0, sizeof(gone));
	redis_for_test(&s, &u);
	link_init(&l, &u, "forget", &w);
	redis_link_start(&l);
	RUN_UNTIL(w.ups == 1);
	assert_int_equal(cmd(&l, &gone, "PING", NULL, NULL), 0);
	assert_int_equal(cmd(&l, &w, "PING", NULL, NULL), 0);
	redis_link_forget(&l, &gone);
	RUN_UNTIL(w.replies == 1);
	assert_int_equal(gone.replies + gone.nulls, 0);
	close_link(&l);
	server_stop(&s);
}

/* Closes what a test left open (it failed half-way), stops its servers. */
static int test_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		if (links[i] && links[i]->state != LINK_CLOSED)
			close_link(links[i]);
		links[i] = NULL;
	}
	for (int i = 0; i < 4; i++) {
		if (servers[i])
			server_stop(servers[i]);
		servers[i] = NULL;
	}
	return 0;
}

static int setup(void **state)
{
	(void)state;
	uv_loop_init(&loop);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/coderoom-redis-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	log_set_level(LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	char cmdline[128];
	snprintf(cmdline, sizeof(cmdline), "rm -rf '%s'", tmpdir);
	if (system(cmdline)) { /* best effort */ }
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_refused, test_teardown),
		cmocka_unit_test_teardown(test_commands, test_teardown),
		cmocka_unit_test_teardown(test_stopped, test_teardown),
		cmocka_unit_test_teardown(test_restart, test_teardown),
		cmocka_unit_test_teardown(test_auth, test_teardown),
		cmocka_unit_test_teardown(test_pubsub, test_teardown),
		cmocka_unit_test_teardown(test_forget, test_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
