/*
 * sio_socket.c - the Socket.IO v5 layer of one Engine.IO session.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/log.h"
#include "lib/utf8.h"
#include "proto/app.h"
#include "proto/auth.h"
#include "proto/eio_packet.h"
#include "proto/sio_socket.h"
#include "proto/sio_transport.h"

#define NEVER UINT64_MAX

struct sio_socket {
	struct sio_session *ss;
	const struct sio_socket_config *cfg;
	struct app *app;
	size_t nmods;
	void **state;		     /* by module, while connected */
	char id[EIO_SID_LEN + 1];    /* "" until connected */
	char eio[EIO_SID_MAX + 1];   /* the session's, for the logs */
	int token;		     /* the API token presented, or -1 */
	char client[APP_CLIENT_MAX]; /* auth_client_key() */
	bool connected;
	bool closing;		   /* the session is being closed */
	uint64_t connect_deadline; /* NEVER once connected */
};

struct sio_socket *sio_socket_new(struct sio_session *ss, const char *eio_sid,
				  const struct sio_socket_config *cfg,
				  struct app *app, uint64_t now)
{
	struct sio_socket *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	snprintf(s->eio, sizeof(s->eio), "%s", eio_sid);
	s->ss = ss;
	s->cfg = cfg;
	s->app = app;
	while (cfg->modules && cfg->modules[s->nmods])
		s->nmods++;
	s->state = calloc(s->nmods ? s->nmods : 1, sizeof(*s->state));
	if (!s->state) {
		free(s);
		return NULL;
	}
	s->connect_deadline = now + cfg->connect_timeout_ms;
	s->token = -1;
	return s;
}

void sio_socket_set_client(struct sio_socket *s, int token, const char *client)
{
	s->token = token;
	snprintf(s->client, sizeof(s->client), "%s", client);
}

const char *sio_socket_client(const struct sio_socket *s)
{
	return s->client;
}

const char *sio_socket_id(const struct sio_socket *s)
{
	return s->id;
}

struct app *sio_socket_app(const struct sio_socket *s)
{
	return s->app;
}

bool sio_socket_connected(const struct sio_socket *s)
{
	return s->connected;
}

size_t sio_socket_queued(const struct sio_socket *s)
{
	return sio_session_queued(s->ss);
}

void *sio_socket_state(const struct sio_socket *s, const struct sio_module *m)
{
	if (!s->connected)
		return NULL;
	for (size_t i = 0; i < s->nmods; i++)
		if (s->cfg->modules[i] == m)
			return s->state[i];
	return NULL;
}

void sio_socket_close(struct sio_socket *s, const char *reason)
{
	s->closing = true;
	sio_session_close(s->ss, reason);
}

/* ---- sending */

/* Encodes with 'encode' into a buffer and queues it. */
static int send_buf(struct sio_socket *s, struct buf *b)
{
	int r = sio_session_send(s->ss, b->data, b->len);

	buf_release(b);
	if (r == -ENOBUFS) {
		log_warn("sio %s: the client does not read; closing", s->eio);
		sio_socket_close(s, "send buffer overflow");
	}
	return r;
}

int sio_emit(struct sio_socket *s, const char *event, json_t *payload)
{
	json_t *args;
	struct buf b;
	int r;

	if (!s->connected || s->closing) {
		json_decref(payload);
		return -EPIPE;
	}
	args = json_array();
	if (!args || (payload && json_array_append_new(args, payload))) {
		json_decref(args);
		return -ENOMEM;
	}
	buf_init(&b, s->cfg->max_emit);
	r = sio_encode_event(&b, NULL, SIO_NO_ID, event, args);
	json_decref(args);
	if (r) {
		log_warn("sio %s: cannot send '%s': %s", s->eio, event,
			 r == -ENOBUFS ? "larger than the largest event"
				       : strerror(-r));
		buf_release(&b);
		return r == -ENOBUFS ? -E2BIG : r;
	}
	return send_buf(s, &b);
}

void sio_ack(struct sio_socket *s, struct sio_call *call, json_t *payload)
{
	json_t *args;
	struct buf b;

	if (call->ack == SIO_NO_ID || call->acked || s->closing) {
		json_decref(payload);
		return;
	}
	call->acked = true;
	args = json_array();
	if (!args || (payload && json_array_append_new(args, payload))) {
		json_decref(args);
		return;
	}
	buf_init(&b, s->cfg->max_emit);
	if (sio_encode_ack(&b, NULL, call->ack, args)) {
		buf_release(&b);
	} else {
		send_buf(s, &b);
	}
	json_decref(args);
}

void sio_fail(struct sio_socket *s, struct sio_call *call, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg[utf8_valid_prefix(msg, strlen(msg))] = '\0'; /* JSON is UTF-8 */
	sio_emit(s, "error", json_pack("{s:s}", "message", msg));
	if (call)
		sio_ack(s, call,
			json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

static void send_packet(struct sio_socket *s,
			int (*fill)(struct buf *b, struct sio_socket *s,
				    const char *nsp),
			const char *nsp)
{
	struct buf b;

	buf_init(&b, s->cfg->max_emit);
	if (fill(&b, s, nsp)) {
		buf_release(&b);
		return;
	}
	send_buf(s, &b);
}

static int fill_connect(struct buf *b, struct sio_socket *s, const char *nsp)
{
	return sio_encode_connect(b, nsp, s->id);
}

static int fill_bad_nsp(struct buf *b, struct sio_socket *s, const char *nsp)
{
	return sio_encode_connect_error(b, nsp, "Invalid namespace", NULL);
}

static int fill_no_token(struct buf *b, struct sio_socket *s, const char *nsp)
{
	return sio_encode_connect_error(b, nsp,
					"a valid API token is required (the "
					"client's auth option: {token})",
					NULL);
}

/* With API tokens configured: the one the handshake presented, or the
 * one in the CONNECT's auth payload. */
static bool token_ok(struct sio_socket *s, const struct sio_packet *p)
{
	const struct auth *a = s->app->auth;
	json_t *tok = p->data ? json_object_get(p->data, "token") : NULL;
	int t;

	if (!auth_enabled(a) || s->token >= 0)
		return true;
	if (!json_is_string(tok) || json_string_length(tok) > 512 ||
	    (t = auth_find(a, json_string_value(tok))) < 0)
		return false;
	s->token = t;
	auth_client_key(t, "", s->client, sizeof(s->client));
	return true;
}

/* ---- namespace "/" */

static bool new_id(char out[EIO_SID_LEN + 1])
{
	unsigned char raw[EIO_SID_RAW];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n > 0)
			got += (size_t)n;
		else if (errno != EINTR)
			return false;
	}
	eio_sid_format(raw, out);
	return true;
}

static void do_connect(struct sio_socket *s, const struct sio_packet *p)
{
	if (strcmp(p->nsp, "/") != 0) {
		send_packet(s, fill_bad_nsp, p->nsp);
		return;
	}
	if (s->connected) { /* again: the same answer */
		send_packet(s, fill_connect, NULL);
		return;
	}
	if (!token_ok(s, p)) {
		log_warn("sio %s: CONNECT without a valid API token", s->eio);
		send_packet(s, fill_no_token, NULL);
		return;
	}
	if (!new_id(s->id)) {
		log_warn("sio %s: no random bytes for an id: %s", s->eio,
			 strerror(errno));
		sio_socket_close(s, "no random bytes");
		return;
	}
	for (size_t i = 0; i < s->nmods; i++) {
		size_t n = s->cfg->modules[i]->state_size;
		if (!(s->state[i] = calloc(1, n ? n : 1))) {
			while (i--) {
				free(s->state[i]);
				s->state[i] = NULL;
			}
			sio_socket_close(s, "out of memory");
			return;
		}
	}
	s->connected = true;
	s->connect_deadline = NEVER;
	send_packet(s, fill_connect, NULL);
	log_info("sio %s: joined '/' as %s", s->eio, s->id);
	for (size_t i = 0; i < s->nmods && s->connected; i++)
		if (s->cfg->modules[i]->connect)
			s->cfg->modules[i]->connect(s, s->state[i]);
}

/* The client left "/" (or the session ended): modules let go. */
static void do_disconnect(struct sio_socket *s, uint64_t now)
{
	if (!s->connected)
		return;
	for (size_t i = s->nmods; i-- > 0;)
		if (s->cfg->modules[i]->disconnect)
			s->cfg->modules[i]->disconnect(s, s->state[i]);
	s->connected = false;
	for (size_t i = 0; i < s->nmods; i++) {
		free(s->state[i]);
		s->state[i] = NULL;
	}
	log_info("sio %s: left '/'", s->eio);
	/* a session that joins nothing again is not kept forever */
	s->connect_deadline = now + s->cfg->connect_timeout_ms;
}

static void do_event(struct sio_socket *s, const struct sio_packet *p)
{
	struct sio_call call = {
	    .event = sio_packet_event(p),
	    .args = p->data,
	    .ack = p->id,
	};
	char safe[64];

	if (!s->connected) /* the reference ignores it too */
		return;
	if (sio_packet_nargs(p) > 0)
		call.arg = sio_packet_arg(p, 0);
	for (size_t i = 0; i < s->nmods; i++) {
		const struct sio_event *e = s->cfg->modules[i]->events;
		for (; e && e->name; e++) {
			if (strcmp(e->name, call.event))
				continue;
			e->handle(s, s->state[i], &call);
			if (s->connected)
				sio_ack(s, &call, json_pack("{s:b}", "ok", 1));
			return;
		}
	}
	log_debug("sio %s: unknown event '%s'", s->eio,
		  log_safe(call.event, safe, sizeof(safe)));
	sio_fail(s, &call, "unknown event '%.64s'", call.event);
}

void sio_socket_on_message(struct sio_socket *s, const char *data, size_t len,
			   bool binary, uint64_t now)
{
	struct sio_packet p;
	const char *err = NULL;
	int r;

	if (s->closing)
		return;
	if (binary) {
		log_warn("sio %s: binary message without a packet; closing",
			 s->eio);
		sio_socket_close(s, "binary attachment");
		return;
	}
	r = sio_packet_decode(data, len, &s->cfg->limits, &p, &err);
	if (r) {
		log_warn("sio %s: %s packet (%s); closing", s->eio,
			 r == -ENOTSUP ? "binary" : "malformed",
			 err ? err : strerror(-r));
		sio_packet_release(&p);
		sio_socket_close(s, r == -ENOTSUP ? "binary attachment"
						  : "parse error");
		return;
	}
	switch (p.type) {
	case SIO_CONNECT:
		do_connect(s, &p);
		break;
	case SIO_DISCONNECT:
		if (strcmp(p.nsp, "/") == 0)
			do_disconnect(s, now);
		break;
	case SIO_EVENT:
		if (strcmp(p.nsp, "/") == 0)
			do_event(s, &p);
		break;
	case SIO_ACK:		/* we ask for none */
	case SIO_CONNECT_ERROR: /* a server's packet */
	case SIO_BINARY_EVENT:
	case SIO_BINARY_ACK:
		break;
	}
	sio_packet_release(&p);
}

void sio_socket_drained(struct sio_socket *s)
{
	if (!s->connected)
		return;
	for (size_t i = 0; i < s->nmods && s->connected; i++)
		if (s->cfg->modules[i]->drained)
			s->cfg->modules[i]->drained(s, s->state[i]);
}

uint64_t sio_socket_deadline(const struct sio_socket *s)
{
	return s->closing ? NEVER : s->connect_deadline;
}

void sio_socket_tick(struct sio_socket *s, uint64_t now)
{
	/* a session that is closing may wait for its client's next poll
	 * (and up to 30 s): its rooms and runs let it go now, here, not in
	 * the call that decided to close (a run's or a room's callback) */
	if (s->closing && s->connected)
		do_disconnect(s, now);
	if (!s->connected && !s->closing && now >= s->connect_deadline) {
		log_info("sio %s: no namespace joined within %llu ms; closing",
			 s->eio,
			 (unsigned long long)s->cfg->connect_timeout_ms);
		sio_socket_close(s, "connect timeout");
	}
}

void sio_socket_free(struct sio_socket *s)
{
	if (!s)
		return;
	s->closing = true; /* emits from disconnect() are dropped */
	do_disconnect(s, 0);
	free(s->state);
	free(s);
}
