/*
 * test_eio_session.c - the Engine.IO session state machine, driven by
 * scripts: each step is one input (a GET, a POST, a WebSocket frame, time
 * passing, a send, a close) and the exact actions it must produce, written
 * as text. The scenarios follow the protocol document and the reference
 * test suite (duplicate polls, forced close, upgrade with probe and noop,
 * heartbeat and ping timeout), plus coderoom's limits.
 *
 * Actions are written as:
 *   G2 200 <body>        HTTP reply to request G2 (0x1e shown as '~')
 *   G2 400 <reason>      error reply (JSON body {"code":3,"message":...})
 *   W1 < <frame>         text frame on WebSocket W1 (binary: "W1 <b hex")
 *   W1 close 1000        close WebSocket W1 with that code
 *   up <message>         delivered to the layer above (binary: "up b:hex")
 *   closed <reason>      the session is over
 * separated by " | ".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/eio_session.h"

/* The scripts name only the fields a step needs. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define SID "abcdefghijklmnopqrst"
#define HS_POLL                                                                \
	"0{\"sid\":\"" SID "\",\"upgrades\":[\"websocket\"],"                  \
	"\"pingInterval\":1000,\"pingTimeout\":500,\"maxPayload\":100}"
#define HS_WS                                                                  \
	"0{\"sid\":\"" SID "\",\"upgrades\":[],"                               \
	"\"pingInterval\":1000,\"pingTimeout\":500,\"maxPayload\":100}"

enum in {
	NEW_POLL,   /* eio_session_new(polling, h) */
	NEW_WS,	    /* eio_session_new(websocket, h) */
	GET,	    /* on_get(h) */
	POST,	    /* on_post_start(h, strlen(data)) + on_post_body(data) */
	POST_START, /* on_post_start(h, n) with n = 'num' (binary if arg) */
	POST_BODY,  /* on_post_body(h, data) */
	GONE,	    /* on_request_gone(h) */
	ATTACH,	    /* ws_attach(h) */
	FRAME,	    /* on_ws_frame(h, data, text) */
	BFRAME,	    /* on_ws_frame(h, data, binary) */
	WS_CLOSED,  /* on_ws_closed(h) */
	TICK,	    /* tick() */
	SEND,	    /* send(data) text */
	SEND_BIN,   /* send(data) binary */
	CLOSE,	    /* close(data as reason) */
	STATE,	    /* check eio_session_state() == num */
	DEADLINE,   /* check eio_session_deadline() == num */
};

struct step {
	enum in in;
	const char *h; /* handle name */
	const char *data;
	uint64_t now;
	const char *want; /* actions; NULL means none */
	int ret;	  /* return of the input */
	long long num;	  /* POST_START content length, STATE, DEADLINE */
	bool arg;	  /* POST_START: binary content type */
	bool hold;	  /* do not pop after this step (want must be
			     NULL): the actions wait for the next step */
};

/* Long strings of exact lengths. */
#define X10(c) c c c c c c c c c c
#define X50(c) X10(c) X10(c) X10(c) X10(c) X10(c)

static const char *const names[] = { "G1", "G2", "G3", "G4", "P1",
				     "P2", "W1", "W2", "W3" };
static char handles[sizeof(names) / sizeof(names[0])];

static void *h(const char *name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i], name))
			return &handles[i];
	fail_msg("no handle '%s'", name);
	return NULL;
}

static const char *hname(void *p)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (p == &handles[i])
			return names[i];
	return "??";
}

static void cat(char *out, size_t outlen, const char *fmt, ...)
{
	size_t at = strlen(out);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out + at, outlen - at, fmt, ap);
	va_end(ap);
}

static void cat_bytes(char *out, size_t outlen, const char *p, size_t n,
		      bool hex)
{
	for (size_t i = 0; i < n; i++) {
		if (hex)
			cat(out, outlen, "%02x", (unsigned char)p[i]);
		else if (p[i] == '\x1e')
			cat(out, outlen, "~");
		else
			cat(out, outlen, "%c", p[i]);
	}
}

/* Pops every action and writes them as the header comment says. */
static void render(struct eio_session *s, char *out, size_t outlen)
{
	struct eio_action a;
	bool closed = false;

	out[0] = '\0';
	while (eio_session_pop(s, &a)) {
		if (closed)
			fail_msg("an action after CLOSED: %d", a.type);
		if (out[0])
			cat(out, outlen, " | ");
		switch (a.type) {
		case EIO_ACT_HTTP_REPLY:
			cat(out, outlen, "%s %d ", hname(a.to), a.status);
			if (a.status == 200) {
				assert_true(!strcmp(a.content_type,
						    "text/plain; charset=UTF-8") ||
					    (!strcmp(a.content_type,
						     "text/html") &&
					     !strcmp(a.data, "ok")));
				cat_bytes(out, outlen, a.data, a.len, false);
			} else {
				char body[256];
				snprintf(body, sizeof(body),
					 "{\"code\":3,\"message\":\"%s\"}",
					 a.reason);
				assert_string_equal(a.content_type,
						    "application/json");
				assert_int_equal(a.len, strlen(body));
				assert_memory_equal(a.data, body, a.len);
				cat(out, outlen, "%s", a.reason);
			}
			break;
		case EIO_ACT_WS_SEND:
			cat(out, outlen, "%s <%s ", hname(a.to),
			    a.binary ? "b" : "");
			cat_bytes(out, outlen, a.data, a.len, a.binary);
			break;
		case EIO_ACT_WS_CLOSE:
			cat(out, outlen, "%s close %d", hname(a.to), a.ws_code);
			break;
		case EIO_ACT_DELIVER:
			cat(out, outlen, "up %s", a.binary ? "b:" : "");
			cat_bytes(out, outlen, a.data, a.len, a.binary);
			assert_int_equal(a.data[a.len], '\0');
			break;
		case EIO_ACT_CLOSED:
			cat(out, outlen, "closed %s", a.reason);
			closed = true;
			break;
		}
	}
}

static void test_config(struct eio_config *c)
{
	eio_config_default(c);
	c->ping_interval_ms = 1000;
	c->ping_timeout_ms = 500;
	c->upgrade_timeout_ms = 300;
	c->close_timeout_ms = 2000;
	c->max_payload = 100;
	c->max_buffered = 300;
	c->max_packets = 10;
	c->rate = 10;
	c->burst = 20;
}

static void run(const struct step *t, size_t n, const struct eio_config *cfg)
{
	struct eio_config def;
	struct eio_session *s = NULL;
	char got[4096];

	if (!cfg) {
		test_config(&def);
		cfg = &def;
	}
	for (size_t i = 0; i < n; i++) {
		const struct step *st = &t[i];
		const char *d = st->data ? st->data : "";
		int r = 0;

		switch (st->in) {
		case NEW_POLL:
		case NEW_WS:
			s = eio_session_new(cfg, SID,
					    st->in == NEW_POLL ? EIO_POLLING
							       : EIO_WEBSOCKET,
					    h(st->h), st->now);
			assert_non_null(s);
			break;
		case GET:
			r = eio_session_on_get(s, h(st->h), st->now);
			break;
		case POST:
			r = eio_session_on_post_start(s, h(st->h),
						      (long long)strlen(d),
						      false, st->now);
			if (!r)
				r = eio_session_on_post_body(
					s, h(st->h), d, strlen(d), st->now);
			break;
		case POST_START:
			r = eio_session_on_post_start(s, h(st->h), st->num,
						      st->arg, st->now);
			break;
		case POST_BODY:
			r = eio_session_on_post_body(s, h(st->h), d, strlen(d),
						     st->now);
			break;
		case GONE:
			r = eio_session_on_request_gone(s, h(st->h), st->now);
			break;
		case ATTACH:
			r = eio_session_ws_attach(s, h(st->h), st->now);
			break;
		case FRAME:
		case BFRAME:
			r = eio_session_on_ws_frame(s, h(st->h), d, strlen(d),
						    st->in == BFRAME, st->now);
			break;
		case WS_CLOSED:
			r = eio_session_on_ws_closed(s, h(st->h), st->now);
			break;
		case TICK:
			r = eio_session_tick(s, st->now);
			break;
		case SEND:
		case SEND_BIN:
			r = eio_session_send(s, d, strlen(d), st->in == SEND_BIN,
					     st->now);
			break;
		case CLOSE:
			r = eio_session_close(s, st->data, st->now);
			break;
		case STATE:
			if ((long long)eio_session_state(s) != st->num)
				fail_msg("step %zu: state %s, want %s", i,
					 eio_state_name(eio_session_state(s)),
					 eio_state_name((enum eio_state)st->num));
			continue;
		case DEADLINE:
			if (eio_session_deadline(s) != (uint64_t)st->num)
				fail_msg("step %zu: deadline %llu, want %lld",
					 i,
					 (unsigned long long)
						 eio_session_deadline(s),
					 st->num);
			continue;
		}
		if (r != st->ret)
			fail_msg("step %zu: returned %d, want %d", i, r, st->ret);
		if (st->hold) {
			assert_null(st->want);
			continue;
		}
		render(s, got, sizeof(got));
		if (strcmp(got, st->want ? st->want : ""))
			fail_msg("step %zu:\n   got: %s\n  want: %s", i, got,
				 st->want ? st->want : "");
	}
	eio_session_free(s);
}

#define RUN(t) run(t, sizeof(t) / sizeof(t[0]), NULL)

/* ---- polling */

static void test_polling_handshake_and_messages(void **state)
{
	static const struct step t[] = {
		{ NEW_POLL, "G1", .now = 0, .want = "G1 200 " HS_POLL },
		{ STATE, .num = EIO_S_POLLING },
		/* a poll with nothing to say is held */
		{ GET, "G2", .now = 10 },
		/* sample session: the client connects to "/" ... */
		{ POST, "P1", "40", 20, "up 0 | P1 200 ok" },
		/* ... and the answer releases the held poll */
		{ SEND, .data = "0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}", .now = 21,
		  .want = "G2 200 40{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}" },
		/* nothing held: messages wait, then share one response */
		{ SEND, .data = "2[\"hey\",\"Jude\"]", .now = 22 },
		{ SEND, .data = "2[\"x\"]", .now = 22 },
		{ GET, "G3", .now = 23,
		  .want = "G3 200 42[\"hey\",\"Jude\"]~42[\"x\"]" },
		/* the client's two emits in one body */
		{ POST, "P2", "42[\"hello\"]\x1e" "42[\"world\"]", 24,
		  "up 2[\"hello\"] | up 2[\"world\"] | P2 200 ok" },
		/* binary both ways */
		{ POST, "P1", "4hello\x1e" "bAQIDBA==", 25,
		  "up hello | up b:01020304 | P1 200 ok" },
		{ SEND_BIN, .data = "\x01\x02\x03\x04", .now = 26 },
		{ GET, "G2", .now = 27, .want = "G2 200 bAQIDBA==" },
		/* packets the server ignores */
		{ POST, "P1", "6\x1e" "5\x1e" "0", 28, "P1 200 ok" },
		{ STATE, .num = EIO_S_POLLING },
	};
	RUN(t);
}

static void test_polling_response_capped_at_max_payload(void **state)
{
	static const struct step t[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		/* 60 + 60 bytes do not fit one 100-byte response ... */
		{ SEND, .data = X50("a") X10("a") },
		{ SEND, .data = X50("b") X10("b") },
		{ GET, "G2", .want = "G2 200 4" X50("a") X10("a") },
		{ GET, "G3", .want = "G3 200 4" X50("b") X10("b") },
		/* ... 48 + 1 + 51 bytes do: exactly 100 */
		{ SEND, .data = X10("d") X10("d") X10("d") X10("d") "ddddddd" },
		{ SEND, .data = X50("e") },
		{ SEND, .data = "f" },
		{ GET, "G2",
		  .want = "G2 200 4" X10("d") X10("d") X10("d") X10("d")
			  "ddddddd~4" X50("e") },
		{ GET, "G2", .want = "G2 200 4f" },
		/* ... 48 + 1 + 52 do not: the separator counts */
		{ SEND, .data = X10("d") X10("d") X10("d") X10("d") "ddddddd" },
		{ SEND, .data = X50("e") "e" },
		{ GET, "G2",
		  .want = "G2 200 4" X10("d") X10("d") X10("d") X10("d")
			  "ddddddd" },
		{ GET, "G2", .want = "G2 200 4" X50("e") "e" },
		/* one packet alone larger than the cap still goes out */
		{ SEND, .data = X50("c") X50("c") X10("c") },
		{ GET, "G2", .want = "G2 200 4" X50("c") X50("c") X10("c") },
	};
	RUN(t);
}

/* The reference test suite: "closes the session upon duplicate poll
 * requests" - the first poll gets "1", the second 400. */
static void test_polling_duplicate_get_closes(void **state)
{
	static const struct step t[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ GET, "G3",
		  .want = "G3 400 overlapping poll | G2 200 1 | closed "
			  "overlapping poll" },
		{ STATE, .num = EIO_S_CLOSED },
		{ GET, "G4", .ret = -EPIPE },
		{ SEND, .data = "x", .ret = -EPIPE },
	};
	RUN(t);
}

static void test_polling_duplicate_post_closes(void **state)
{
	static const struct step t[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ POST_START, "P1", .num = 5 },
		{ POST_START, "P2", .num = 5,
		  .want = "P2 400 overlapping POST | G2 200 1 | P1 400 "
			  "overlapping POST | closed overlapping POST" },
		/* P1 was answered: its body is no longer the session's */
		{ POST_BODY, "P1", "4abc", .ret = -EPIPE },
	};
	RUN(t);
}

/* The reference test suite: "forcefully closes the session" - a POSTed
 * "1" releases the held poll with a noop. */
static void test_polling_client_close(void **state)
{
	static const struct step t[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ POST, "P1", "1",
		  .want = "P1 200 ok | G2 200 6 | closed client closed" },
	};
	RUN(t);
	/* packets after the close in the same body are not delivered */
	static const struct step t2[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ POST, "P1", "4a\x1e" "1\x1e" "4b",
		  .want = "up a | P1 200 ok | closed client closed" },
	};
	RUN(t2);
}

static void test_polling_bad_posts(void **state)
{
	/* the test suite's "closes the session upon invalid packet format" */
	static const struct step t1[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ POST, "P1", "abc",
		  .want = "P1 400 unknown packet type | G2 200 1 | closed "
			  "parse error" },
	};
	/* a bad record later in the body: nothing of it is delivered */
	static const struct step t2[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ POST, "P1", "4a\x1e" "4b\x1e",
		  .want = "P1 400 empty packet | closed parse error" },
	};
	/* v4 forbids binary bodies; too large is refused from the header */
	static const struct step t3[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ POST_START, "P1", .num = 4, .arg = true,
		  .want = "P1 400 binary POST body | closed binary POST body" },
	};
	static const struct step t4[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ POST_START, "P1", .num = 101,
		  .want = "P1 413 payload too large | G2 200 1 | closed "
			  "payload too large" },
	};
	/* ... or from the body when no length was given */
	static const struct step t5[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ POST_START, "P1", .num = -1 },
		{ POST_BODY, "P1",
		  "4xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		  .want = "P1 413 payload too large | closed payload too large" },
	};
	/* the server pings in v4; a client ping is a protocol error */
	static const struct step t6[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ POST, "P1", "4a\x1e" "2",
		  .want = "up a | P1 400 ping from the client | closed ping "
			  "from the client" },
	};
	/* more packets than one body may hold */
	static const struct step t7[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ POST, "P1", "3\x1e" "3\x1e" "3\x1e" "3\x1e" "3\x1e" "3\x1e"
			      "3\x1e" "3\x1e" "3\x1e" "3\x1e" "3",
		  .want = "P1 400 too many packets in one payload | closed "
			  "parse error" },
	};
	RUN(t1);
	RUN(t2);
	RUN(t3);
	RUN(t4);
	RUN(t5);
	RUN(t6);
	RUN(t7);
}

static void test_polling_request_gone(void **state)
{
	static const struct step t[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ GONE, "G3", .ret = -EINVAL }, /* not ours: ignored */
		{ STATE, .num = EIO_S_POLLING },
		{ GONE, "G2", .want = "closed transport error" },
	};
	static const struct step t2[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ POST_START, "P1", .num = 3 },
		{ GONE, "P1",
		  .want = "G2 200 1 | closed transport error" },
	};
	RUN(t);
	RUN(t2);
}

/* ---- heartbeat */

static void test_polling_heartbeat(void **state)
{
	static const struct step t[] = {
		{ NEW_POLL, "G1", .now = 0, .want = "G1 200 " HS_POLL },
		{ DEADLINE, .num = 1000 },
		{ GET, "G2", .now = 5 },
		{ TICK, .now = 999 },
		{ TICK, .now = 1000, .want = "G2 200 2" },
		{ DEADLINE, .num = 1500 },
		{ GET, "G3", .now = 1010 },
		{ POST, "P1", "3", 1100, "P1 200 ok" },
		/* the next ping is ping_interval after the pong */
		{ DEADLINE, .num = 2100 },
		{ TICK, .now = 1600 },
		{ TICK, .now = 2100, .want = "G3 200 2" },
		/* the test suite's "closes the session upon ping timeout":
		 * no poll, no pong */
		{ TICK, .now = 2599 },
		{ STATE, .num = EIO_S_POLLING },
		{ TICK, .now = 2600, .want = "closed ping timeout" },
		{ DEADLINE, .num = (long long)UINT64_MAX },
	};
	RUN(t);
	/* a held poll gets "1" when the session times out */
	static const struct step t2[] = {
		{ NEW_POLL, "G1", .now = 0, .want = "G1 200 " HS_POLL },
		{ TICK, .now = 1000 },
		{ GET, "G2", .now = 1200, .want = "G2 200 2" },
		{ GET, "G3", .now = 1300 },
		{ TICK, .now = 1500, .want = "G3 200 1 | closed ping timeout" },
	};
	RUN(t2);
	/* ticks late by a lot: the ping goes, the timeout counts from it */
	static const struct step t3[] = {
		{ NEW_POLL, "G1", .now = 0, .want = "G1 200 " HS_POLL },
		{ TICK, .now = 50000 },
		{ DEADLINE, .num = 50500 },
	};
	RUN(t3);
}

/* ---- upgrade */

/* The test suite's "successfully upgrades from HTTP long-polling to
 * WebSocket": probe, the poll released with a noop, "5", then traffic on
 * the WebSocket. */
static void test_upgrade(void **state)
{
	static const struct step t[] = {
		{ NEW_POLL, "G1", .now = 0, .want = "G1 200 " HS_POLL },
		{ GET, "G2", .now = 1 },
		{ ATTACH, "W1", .now = 900 },
		{ STATE, .num = EIO_S_UPGRADING },
		{ DEADLINE, .num = 1000 }, /* the ping; upgrade timeout 1200 */
		/* traffic still flows on polling until the probe */
		{ SEND, .data = "early", .now = 903, .want = "G2 200 4early" },
		{ GET, "G3", .now = 904 },
		{ FRAME, "W1", "2probe", 905, "W1 < 3probe | G3 200 6" },
		/* a poll after the probe is answered at once */
		{ GET, "G2", .now = 906, .want = "G2 200 6" },
		/* what is sent now waits for the switch */
		{ SEND, .data = "a", .now = 907 },
		{ TICK, .now = 1000 }, /* the ping waits too */
		{ DEADLINE, .num = 1200 },
		{ FRAME, "W1", "5", 1008, "W1 < 4a | W1 < 2" },
		{ STATE, .num = EIO_S_WEBSOCKET },
		{ DEADLINE, .num = 1500 },
		{ FRAME, "W1", "3", 1009 },
		{ DEADLINE, .num = 2009 },
		{ FRAME, "W1", "4hello", 1010, "up hello" },
		{ SEND, .data = "hello", .now = 1011, .want = "W1 < 4hello" },
		/* "ignores HTTP requests with same sid after upgrade" */
		{ GET, "G4", .now = 1012, .want = "G4 400 transport mismatch" },
		{ POST_START, "P1", .num = 2, .now = 1012,
		  .want = "P1 400 transport mismatch" },
		/* "ignores WebSocket connection with same sid after upgrade" */
		{ ATTACH, "W2", .now = 1013, .ret = -EBUSY },
		{ STATE, .num = EIO_S_WEBSOCKET },
		{ FRAME, "W1", "4still", 1014, "up still" },
	};
	RUN(t);
}

static void test_upgrade_edges(void **state)
{
	/* "5" without a probe is taken (the reference does); the held poll
	 * is released with a noop */
	static const struct step t1[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ ATTACH, "W1" },
		{ FRAME, "W1", "5", .want = "G2 200 6" },
		{ STATE, .num = EIO_S_WEBSOCKET },
	};
	/* anything else on the probing socket closes it, polling goes on */
	static const struct step t2[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ ATTACH, "W1" },
		{ FRAME, "W1", "4hello",
		  .want = "W1 close 1002" },
		{ STATE, .num = EIO_S_POLLING },
		{ FRAME, "W1", "2probe", .ret = -EINVAL },
		{ SEND, .data = "x" },
		{ GET, "G2", .want = "G2 200 4x" },
		/* a second try may come */
		{ ATTACH, "W2" },
		{ FRAME, "W2", "2probe", .want = "W2 < 3probe" },
		{ FRAME, "W2", "garbage", .want = "W2 close 1002" },
		{ ATTACH, "W3" },
		{ BFRAME, "W3", "\x01", .want = "W3 close 1002" },
	};
	/* one probe at a time; no upgrade past upgrade_timeout */
	static const struct step t3[] = {
		{ NEW_POLL, "G1", .now = 0, .want = "G1 200 " HS_POLL },
		{ ATTACH, "W1", .now = 100 },
		{ ATTACH, "W2", .now = 101, .ret = -EBUSY },
		{ DEADLINE, .num = 400 },
		{ TICK, .now = 399 },
		{ TICK, .now = 400, .want = "W1 close 1000" },
		{ STATE, .num = EIO_S_POLLING },
		{ DEADLINE, .num = 1000 },
	};
	/* the probing socket goes away: back to polling */
	static const struct step t4[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ ATTACH, "W1" },
		{ FRAME, "W1", "2probe", .want = "W1 < 3probe" },
		{ WS_CLOSED, "W1" },
		{ STATE, .num = EIO_S_POLLING },
		{ GET, "G2" }, /* held again */
		{ SEND, .data = "y", .want = "G2 200 4y" },
	};
	/* the session closes during the upgrade: both transports close */
	static const struct step t5[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ ATTACH, "W1" },
		{ GONE, "G2", .want = "W1 close 1000 | closed transport error" },
	};
	/* a session that does not offer the upgrade refuses it */
	struct eio_config c;
	test_config(&c);
	c.allow_upgrade = false;
	static const struct step t6[] = {
		{ NEW_POLL, "G1",
		  .want = "G1 200 0{\"sid\":\"" SID "\",\"upgrades\":[],"
			  "\"pingInterval\":1000,\"pingTimeout\":500,"
			  "\"maxPayload\":100}" },
		{ ATTACH, "W1", .ret = -EBUSY },
	};
	RUN(t1);
	RUN(t2);
	RUN(t3);
	RUN(t4);
	RUN(t5);
	run(t6, sizeof(t6) / sizeof(t6[0]), &c);
}

/* ---- WebSocket */

static void test_websocket(void **state)
{
	static const struct step t[] = {
		{ NEW_WS, "W1", .now = 0, .want = "W1 < " HS_WS },
		{ STATE, .num = EIO_S_WEBSOCKET },
		{ FRAME, "W1", "40", 1, "up 0" },
		{ SEND, .data = "0{\"sid\":\"x\"}", .now = 2,
		  .want = "W1 < 40{\"sid\":\"x\"}" },
		{ BFRAME, "W1", "\x01\x02\x03", 3, "up b:010203" },
		{ SEND_BIN, .data = "\x05\x06", .now = 4, .want = "W1 <b 0506" },
		/* the separator is plain data on a WebSocket */
		{ FRAME, "W1", "4a\x1e" "b", 5, "up a~b" },
		/* heartbeat: "sends ping/pong packets" */
		{ TICK, .now = 1000, .want = "W1 < 2" },
		{ FRAME, "W1", "3", 1100 },
		{ TICK, .now = 2099 },
		{ TICK, .now = 2100, .want = "W1 < 2" },
		{ FRAME, "W1", "3", 2200 },
		/* upgrades and probes make no sense here */
		{ ATTACH, "W2", .now = 2300, .ret = -EBUSY },
		{ GET, "G1", .now = 2300, .want = "G1 400 transport mismatch" },
		{ FRAME, "W1", "6", 2400 },
		/* "forcefully closes the session" */
		{ FRAME, "W1", "1", 2500,
		  "W1 close 1000 | closed client closed" },
		{ FRAME, "W1", "4late", 2600, .ret = -EPIPE },
	};
	RUN(t);
}

static void test_websocket_endings(void **state)
{
	/* "closes the session upon ping timeout" */
	static const struct step t1[] = {
		{ NEW_WS, "W1", .now = 0, .want = "W1 < " HS_WS },
		{ TICK, .now = 1000, .want = "W1 < 2" },
		{ TICK, .now = 1500,
		  .want = "W1 close 1000 | closed ping timeout" },
	};
	/* "closes the session upon invalid packet format" */
	static const struct step t2[] = {
		{ NEW_WS, "W1", .want = "W1 < " HS_WS },
		{ FRAME, "W1", "abc", .want = "W1 close 1002 | closed parse error" },
	};
	static const struct step t3[] = {
		{ NEW_WS, "W1", .want = "W1 < " HS_WS },
		{ FRAME, "W1", "2", .want = "W1 close 1002 | closed ping from "
					    "the client" },
	};
	static const struct step t4[] = {
		{ NEW_WS, "W1", .want = "W1 < " HS_WS },
		{ FRAME, "W1",
		  "4xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		  .want = "W1 close 1009 | closed message too big" },
	};
	/* the peer went away: no close for a socket that is gone */
	static const struct step t5[] = {
		{ NEW_WS, "W1", .want = "W1 < " HS_WS },
		{ SEND, .data = "lost", .hold = true },
		{ WS_CLOSED, "W1", .want = "closed transport close" },
	};
	/* the server closes: what was queued goes first */
	static const struct step t6[] = {
		{ NEW_WS, "W1", .want = "W1 < " HS_WS },
		{ SEND, .data = "1", .hold = true },
		{ CLOSE, .data = "bye",
		  .want = "W1 < 41 | W1 close 1000 | closed bye" },
		{ CLOSE, .data = "again", .ret = -EPIPE },
	};
	RUN(t1);
	RUN(t2);
	RUN(t3);
	RUN(t4);
	RUN(t5);
	RUN(t6);
}

/* ---- the server closes a polling session */

static void test_polling_server_close(void **state)
{
	/* a poll is held: the queue and "1" go now */
	static const struct step t1[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ SEND, .data = "1", .hold = true },
		{ CLOSE, .data = "bye", .want = "G2 200 41~1 | closed bye" },
	};
	/* none held: CLOSING until the next poll takes them */
	static const struct step t2[] = {
		{ NEW_POLL, "G1", .now = 0, .want = "G1 200 " HS_POLL },
		{ SEND, .data = "1", .now = 10 },
		{ CLOSE, .data = "bye", .now = 20 },
		{ STATE, .num = EIO_S_CLOSING },
		{ DEADLINE, .num = 2020 },
		{ SEND, .data = "late", .now = 30, .ret = -EPIPE },
		{ ATTACH, "W1", .now = 30, .ret = -EPIPE },
		/* a POST meanwhile is answered but not acted on */
		{ POST, "P1", "4ignored", 40, "P1 200 ok" },
		{ GET, "G2", .now = 50, .want = "G2 200 41~1 | closed bye" },
	};
	/* ... or until close_timeout */
	static const struct step t3[] = {
		{ NEW_POLL, "G1", .now = 0, .want = "G1 200 " HS_POLL },
		{ CLOSE, .data = "bye", .now = 20 },
		{ TICK, .now = 2019 },
		{ TICK, .now = 2020, .want = "closed bye" },
	};
	/* during an upgrade the probing socket closes too */
	static const struct step t4[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ GET, "G2" },
		{ ATTACH, "W1" },
		{ CLOSE, .data = "bye",
		  .want = "W1 close 1000 | G2 200 1 | closed bye" },
	};
	RUN(t1);
	RUN(t2);
	RUN(t3);
	RUN(t4);
}

/* ---- limits */

static void test_send_limits(void **state)
{
	/* max_buffered is 300 */
	static const struct step t[] = {
		{ NEW_POLL, "G1", .want = "G1 200 " HS_POLL },
		{ SEND, .data = X50("x") X50("x") X50("x") X50("x") X50("x")
				X10("x") X10("x") X10("x") X10("x") "xxxxxxxxx" },
		{ SEND, .data = "y" }, /* exactly 300 */
		{ SEND, .data = "z", .ret = -ENOBUFS },
		{ STATE, .num = EIO_S_POLLING },
		/* text that would break the framing, or is not UTF-8 */
		{ SEND, .data = "a\x1e" "b", .ret = -EINVAL },
		{ SEND, .data = "\xff", .ret = -EINVAL },
	};
	RUN(t);
}

static void test_rate_limit(void **state)
{
	/* burst 20, rate 10/s, at most 10 packets per body */
	static const struct step t[] = {
		{ NEW_POLL, "G1", .now = 0, .want = "G1 200 " HS_POLL },
		{ POST, "P1", "6\x1e" "6\x1e" "6\x1e" "6\x1e" "6\x1e" "6\x1e"
			      "6\x1e" "6\x1e" "6\x1e" "6",
		  .now = 0, .want = "P1 200 ok" },
		{ POST, "P1", "6\x1e" "6\x1e" "6\x1e" "6\x1e" "6\x1e" "6\x1e"
			      "6\x1e" "6\x1e" "6\x1e" "6",
		  .now = 0, .want = "P1 200 ok" },
		/* 100 ms later one packet has come back, not two */
		{ POST, "P1", "4a", .now = 100, .want = "up a | P1 200 ok" },
		{ GET, "G2", .now = 100 },
		{ POST, "P1", "4b", .now = 100,
		  .want = "P1 400 rate limit | G2 200 1 | closed rate limit" },
	};
	static const struct step t2[] = {
		{ NEW_WS, "W1", .now = 0, .want = "W1 < " HS_WS },
		{ FRAME, "W1", "6", 0 }, { FRAME, "W1", "6", 0 },
		{ FRAME, "W1", "6", 0 }, { FRAME, "W1", "6", 0 },
		{ FRAME, "W1", "6", 0 }, { FRAME, "W1", "6", 0 },
		{ FRAME, "W1", "6", 0 }, { FRAME, "W1", "6", 0 },
		{ FRAME, "W1", "6", 0 }, { FRAME, "W1", "6", 0 },
		{ FRAME, "W1", "6", 0 }, { FRAME, "W1", "6", 0 },
		{ FRAME, "W1", "6", 0 }, { FRAME, "W1", "6", 0 },
		{ FRAME, "W1", "6", 0 }, { FRAME, "W1", "6", 0 },
		{ FRAME, "W1", "6", 0 }, { FRAME, "W1", "6", 0 },
		{ FRAME, "W1", "6", 0 }, { FRAME, "W1", "4ok", 0, "up ok" },
		/* a sustained 10/s is fine */
		{ FRAME, "W1", "4a", 100, "up a" },
		{ FRAME, "W1", "4b", 200, "up b" },
		{ FRAME, "W1", "4c", 250,
		  "W1 close 1008 | closed rate limit" },
	};
	RUN(t);
	RUN(t2);
}

static void test_misuse(void **state)
{
	struct eio_config c;
	struct eio_session *s;

	test_config(&c);
	errno = 0;
	assert_null(eio_session_new(&c, "bad sid", EIO_POLLING, h("G1"), 0));
	assert_int_equal(errno, EINVAL);
	assert_null(eio_session_new(&c, SID, EIO_POLLING, NULL, 0));
	assert_null(eio_session_new(NULL, SID, EIO_POLLING, h("G1"), 0));

	/* zero limits are clamped, not divided by */
	memset(&c, 0, sizeof(c));
	s = eio_session_new(&c, SID, EIO_WEBSOCKET, h("W1"), 0);
	assert_non_null(s);
	assert_string_equal(eio_session_sid(s), SID);
	assert_int_equal(eio_session_deadline(s), 1);
	assert_int_equal(eio_session_on_get(s, NULL, 0), -EINVAL);
	assert_int_equal(eio_session_on_ws_frame(s, NULL, "4", 1, false, 0),
			 -EINVAL);
	assert_int_equal(eio_session_on_ws_frame(s, h("W2"), "4", 1, false, 0),
			 -EINVAL);
	assert_int_equal(eio_session_on_post_body(s, h("P1"), "4", 1, 0),
			 -EINVAL);
	assert_int_equal(eio_session_on_ws_closed(s, h("W2"), 0), -EINVAL);
	assert_int_equal(eio_session_send(s, NULL, 1, false, 0), -EINVAL);
	/* freed with actions still queued, and one popped: no leak (ASan) */
	struct eio_action a;
	assert_true(eio_session_pop(s, &a));
	assert_int_equal(eio_session_send(s, "", 0, false, 0), 0);
	eio_session_free(s);
	eio_session_free(NULL);

	assert_string_equal(eio_state_name(EIO_S_UPGRADING), "upgrading");
	assert_string_equal(eio_state_name((enum eio_state)42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_polling_handshake_and_messages),
		cmocka_unit_test(test_polling_response_capped_at_max_payload),
		cmocka_unit_test(test_polling_duplicate_get_closes),
		cmocka_unit_test(test_polling_duplicate_post_closes),
		cmocka_unit_test(test_polling_client_close),
		cmocka_unit_test(test_polling_bad_posts),
		cmocka_unit_test(test_polling_request_gone),
		cmocka_unit_test(test_polling_heartbeat),
		cmocka_unit_test(test_upgrade),
		cmocka_unit_test(test_upgrade_edges),
		cmocka_unit_test(test_websocket),
		cmocka_unit_test(test_websocket_endings),
		cmocka_unit_test(test_polling_server_close),
		cmocka_unit_test(test_send_limits),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
