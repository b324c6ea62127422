/*
 * sio_socket.h - the Socket.IO v5 layer of one Engine.IO session: the
 * main namespace, its events and acks, and the event modules behind it.
 *
 * The transport (sio_transport.c) creates one sio_socket per Engine.IO
 * session and hands it every message; the socket decodes it
 * (sio_packet.h) and acts as the reference server does:
 *   CONNECT "/"        answered {"sid": <a Socket.IO id of our own>}, then
 *                      every module's connect() (which may emit); when
 *                      API tokens are configured, a session whose
 *                      handshake presented none must give one in its
 *                      CONNECT ({"token": ...}, the client's 'auth'
 *                      option), else CONNECT_ERROR
 *   CONNECT "/other"   CONNECT_ERROR {"message":"Invalid namespace"}
 *   DISCONNECT "/"     every module's disconnect(); the session stays
 *                      (the client closes it, or joins again)
 *   EVENT "/"          the module handler of that name; an unknown name
 *                      gets an "error" event; an ack id is always answered
 *   ACK, CONNECT_ERROR ignored (the server asks for no acks)
 *   a packet on a namespace not joined: ignored, as the reference does
 *   a packet that does not decode, binary attachments: the session closes
 *   no CONNECT within connect_timeout_ms of the open: the session closes
 *
 * Event modules (the app's events: sio_runner.c, ...) are a table of
 * handlers by event name, with per-socket state of 'state_size' bytes
 * (zeroed, freed by the socket) that lives from connect() to disconnect().
 * A handler gets the event's first argument ('arg', NULL when none) and
 * answers the client's ack, if it asked for one, with sio_ack() or
 * sio_fail(); when it does neither, {"ok": true} is sent for it.
 */
#ifndef CODEROOM_SIO_SOCKET_H
#define CODEROOM_SIO_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/sio_packet.h"

struct app;
struct sio_session;
struct sio_socket;

/* One EVENT being handled. */
struct sio_call {
	const char *event;
	json_t *arg;  /* the first argument (borrowed), or NULL */
	json_t *args; /* every argument, an array (borrowed) */
	int64_t ack;  /* the client's ack id, or SIO_NO_ID */
	bool acked;   /* sio_ack()/sio_fail() answered it */
};

struct sio_event {
	const char *name;
	void (*handle)(struct sio_socket *s, void *state,
		       struct sio_call *call);
};

struct sio_module {
	const char *name;
	size_t state_size;
	/* the client joined "/": set up 'state', may emit */
	void (*connect)(struct sio_socket *s, void *state);
	/* it left, or the session is over: release what 'state' holds
	 * (emits are dropped by then if the session is gone) */
	void (*disconnect)(struct sio_socket *s, void *state);
	/* the transport's queue shrank (flow control); may be NULL */
	void (*drained)(struct sio_socket *s, void *state);
	const struct sio_event *events; /* ends with a NULL name */
};

struct sio_socket_config {
	struct sio_limits limits;    /* of packets from the client */
	size_t max_emit;	     /* bytes of one packet to it */
	uint64_t connect_timeout_ms; /* 45000 */
	const struct sio_module *const *modules; /* NULL-terminated */
};

/* ---- the transport's side */

/* A socket for a new Engine.IO session (its sid is for the logs); NULL
 * when out of memory. The config must outlive it. */
struct sio_socket *sio_socket_new(struct sio_session *ss, const char *eio_sid,
				  const struct sio_socket_config *cfg,
				  struct app *app, uint64_t now);
/* What the handshake presented: the API token's index (or -1) and who
 * the client is (auth_client_key()), for admission. */
void sio_socket_set_client(struct sio_socket *s, int token, const char *client);
/* One Engine.IO message (text: a Socket.IO packet). */
void sio_socket_on_message(struct sio_socket *s, const char *data, size_t len,
			   bool binary, uint64_t now);
/* The transport's queue shrank. */
void sio_socket_drained(struct sio_socket *s);
/* When sio_socket_tick() has work (the connect timeout); UINT64_MAX for
 * never. The transport also ticks on the turn after a close was asked
 * for: the modules let go of rooms and runs then. */
uint64_t sio_socket_deadline(const struct sio_socket *s);
void sio_socket_tick(struct sio_socket *s, uint64_t now);
/* The session is over: modules disconnect, the socket is freed. */
void sio_socket_free(struct sio_socket *s);

/* ---- the modules' side */

/* The Socket.IO id given in the CONNECT answer ("" before it). */
const char *sio_socket_id(const struct sio_socket *s);
/* Who the client is (run_request.client). */
const char *sio_socket_client(const struct sio_socket *s);
struct app *sio_socket_app(const struct sio_socket *s);
bool sio_socket_connected(const struct sio_socket *s);
/* Bytes waiting for the client (flow control). */
size_t sio_socket_queued(const struct sio_socket *s);
/* A module's state on this socket (while connected), else NULL. */
void *sio_socket_state(const struct sio_socket *s, const struct sio_module *m);

/*
 * Sends EVENT [event, payload] on "/" (payload stolen; NULL sends no
 * argument). Returns 0, -EPIPE when the socket is not connected or the
 * session is closing, -ENOMEM, -E2BIG for an event over max_emit (not
 * sent, logged); when the client does not read and its queue is full,
 * the session is closed (it cannot be kept consistent) and -ENOBUFS
 * returned.
 */
int sio_emit(struct sio_socket *s, const char *event, json_t *payload);
/* Answers the call's ack with [payload] (stolen), if it asked for one
 * and was not answered yet; else drops payload. */
void sio_ack(struct sio_socket *s, struct sio_call *call, json_t *payload);
/*
 * A refused call: emits "error" {"message": ...} and answers its ack
 * with {"ok": false, "error": ...}.
 */
void sio_fail(struct sio_socket *s, struct sio_call *call, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends the whole Engine.IO session ('reason' is a static string). */
void sio_socket_close(struct sio_socket *s, const char *reason);

#endif
