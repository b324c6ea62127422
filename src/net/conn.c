/*
 * conn.c - one client connection and what it may say.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/utf8.h"
#include "net/conn.h"
#include "net/http.h"
#include "net/lwsinc.h"
#include "net/server.h"

void conn_init(struct conn *c, struct server *srv, struct lws *wsi)
{
	memset(c, 0, sizeof(*c));
	c->srv = srv;
	c->wsi = wsi;
	c->id = ++srv->next_conn_id;
	outq_init(&c->q, LWS_PRE);
	buf_init(&c->rx, srv->cfg->max_message_bytes);
	if (lws_get_peer_simple(wsi, c->peer, sizeof(c->peer)) == NULL)
		snprintf(c->peer, sizeof(c->peer), "?");
}

void conn_closed(struct conn *c)
{
	http_on_closed(c);
	outq_release(&c->q);
	buf_release(&c->rx);
}

static int queue(struct conn *c, enum outq_kind kind, const void *prefix,
		 size_t np, const void *p, size_t n)
{
	if (c->closing)
		return -EPIPE;
	if (c->q.bytes + np + n > CONN_QUEUE_MAX) {
		log_warn("conn %llu: %s does not read its socket, dropping it",
			 (unsigned long long)c->id, c->peer);
		c->closing = true;
		c->close_code = 1008;
		snprintf(c->close_reason, sizeof(c->close_reason),
			 "send queue overflow");
		outq_release(&c->q);
		lws_callback_on_writable(c->wsi);
		return -ENOBUFS;
	}
	if (outq_push(&c->q, kind, prefix, np, p, n))
		return -ENOMEM;
	server_ws_kick(c);
	return 0;
}

int conn_send_text(struct conn *c, const char *s, size_t n)
{
	return queue(c, OUTQ_TEXT, NULL, 0, s, n);
}

int conn_send_json(struct conn *c, json_t *j)
{
	char *s;
	int r;

	if (!j)
		return -ENOMEM;
	s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(j);
	if (!s)
		return -ENOMEM;
	r = conn_send_text(c, s, strlen(s));
	free(s);
	return r;
}

int conn_send_binary(struct conn *c, unsigned char tag, const void *p,
		     size_t n)
{
	if (c->closing)
		return -EPIPE;
	if (n + 1 > CONN_MERGE_MAX || c->q.bytes + n + 1 > CONN_QUEUE_MAX)
		return queue(c, OUTQ_BINARY, &tag, 1, p, n);
	if (outq_append(&c->q, tag, p, n, CONN_MERGE_ROOM, CONN_MERGE_MAX))
		return -ENOMEM;
	server_ws_kick(c);
	return 0;
}

int conn_send_error(struct conn *c, const char *code, const char *field,
		    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a cut (or quoted) multi-byte character would make json_pack fail
	 * and the client get no error at all */
	msg[utf8_valid_prefix(msg, strlen(msg))] = '\0';
	json_t *j = json_pack("{s:s, s:s, s:s}", "type", "error", "code", code,
			      "message", msg);
	if (j && field)
		json_object_set_new(j, "field", json_string(field));
	return conn_send_json(c, j);
}

void conn_close(struct conn *c, uint16_t code, const char *reason)
{
	if (c->closing)
		return;
	c->closing = true;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s",
		 reason ? reason : "");
	lws_callback_on_writable(c->wsi);
}

bool conn_rate_ok(struct conn *c)
{
	uint64_t now = server_now_ms();

	if (now - c->rate_window_ms >= 1000) {
		c->rate_window_ms = now;
		c->rate_count = 0;
	}
	if (++c->rate_count <= CONN_RATE_MAX)
		return true;
	if (c->rate_count == CONN_RATE_MAX + 1)
		conn_send_error(c, "rate_limited", NULL,
				"more than %d control messages a second; the "
				"rest of this second's are dropped",
				CONN_RATE_MAX);
	return false;
}

size_t conn_queued(const struct conn *c)
{
	return c->q.bytes;
}
