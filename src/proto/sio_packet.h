/*
 * sio_packet.h - Socket.IO v5 packets (the default parser's text form), pure.
 *
 *   <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
 *
 *   0                          CONNECT to "/"
 *   0/admin,{"token":"123"}    CONNECT to "/admin" with an auth payload
 *   40{"sid":"..."}            (with the Engine.IO "4" in front) the reply
 *   2["hey","Jude"]            EVENT "hey" with one argument
 *   2/admin,12["foo"]          EVENT on "/admin" asking for ack 12
 *   3/admin,12["bar"]          the ACK of it
 *   4{"message":"Not authorized"}   CONNECT_ERROR
 *   1/admin,                   DISCONNECT from "/admin"
 *
 * One Socket.IO packet travels as the data of one Engine.IO message.
 *
 * The decoder validates what the reference decoder validates, and more:
 * CONNECT carries nothing or an object; DISCONNECT nothing; EVENT a
 * non-empty array whose first element is the event name, a string that
 * is not one of the reserved names ("connect", "disconnect", ...); ACK an
 * array and an ack id; CONNECT_ERROR an object or a string. An ack id is
 * allowed on EVENT and ACK only (and their binary forms), 0..2^53-1. The
 * namespace starts with '/', ends at ',' or at the end of the packet, is
 * UTF-8 without control characters. Sizes and the JSON nesting depth are
 * capped (struct sio_limits), before any JSON is built.
 *
 * JSON is jansson's: strings may hold U+0000 (JSON_ALLOW_NUL, so use
 * json_string_length(), not strlen()), and an integer outside int64 is
 * refused as invalid JSON (JavaScript would round it to a double).
 *
 * Binary attachments (BINARY_EVENT 5, BINARY_ACK 6: a placeholder in the
 * JSON, the bytes in the next Engine.IO binary messages) are not
 * supported: the apps coderoom replaces only send JSON. Their header is
 * decoded completely (type, attachments, namespace, ack id, JSON with
 * placeholders) so the caller can log and answer, and the decoder returns
 * -ENOTSUP; the encoders refuse them with -ENOTSUP too. See
 * docs/socketio.md for what the server then does.
 *
 * Errors: 0, -EINVAL (malformed, *err says how), -E2BIG (a limit),
 * -ENOTSUP (binary attachments), -ENOMEM. Encoders append to a struct buf
 * and return 0, -EINVAL (a packet the decoder would refuse), -ENOTSUP, or
 * buf_append()'s error; on error the buf is left as it was.
 */
#ifndef CODEROOM_SIO_PACKET_H
#define CODEROOM_SIO_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/buf.h"

enum sio_type {
	SIO_CONNECT = 0,
	SIO_DISCONNECT = 1,
	SIO_EVENT = 2,
	SIO_ACK = 3,
	SIO_CONNECT_ERROR = 4,
	SIO_BINARY_EVENT = 5,
	SIO_BINARY_ACK = 6,
};

#define SIO_NO_ID  (-1)
#define SIO_ID_MAX INT64_C(9007199254740991)	/* 2^53 - 1, JS's safe max */
#define SIO_NSP_MAX 255				/* hard bound of nsp[] */

struct sio_limits {
	size_t max_packet;	  /* bytes of one encoded packet */
	unsigned max_depth;	  /* JSON nesting ([ and {) */
	size_t max_nsp;		  /* namespace bytes, <= SIO_NSP_MAX */
	size_t max_event;	  /* event name bytes */
	unsigned max_attachments; /* announced by a binary packet */
};

/* 1000000 bytes, depth 32, namespace 128, event name 128, 10 attachments */
void sio_limits_default(struct sio_limits *l);

struct sio_packet {
	enum sio_type type;
	char nsp[SIO_NSP_MAX + 1]; /* "/" when the packet names none */
	int64_t id;		   /* ack id, or SIO_NO_ID */
	unsigned attachments;	   /* binary packets: how many announced */
	json_t *data;		   /* owned reference, NULL when absent */
};

const char *sio_type_name(enum sio_type t);

/*
 * Decodes one packet (the data of an Engine.IO text message). On success
 * and on -ENOTSUP, *out holds the packet (release it); on any other error
 * *out holds no reference. lim may be NULL for the defaults.
 */
int sio_packet_decode(const char *s, size_t len, const struct sio_limits *lim,
		      struct sio_packet *out, const char **err);
/* Drops the data reference; safe to call twice and after any decode. */
void sio_packet_release(struct sio_packet *p);

/* EVENT / BINARY_EVENT: the event name (NUL-free), else NULL. */
const char *sio_packet_event(const struct sio_packet *p);
/* EVENT: the arguments after the name; ACK: all of data. Borrowed. */
size_t sio_packet_nargs(const struct sio_packet *p);
json_t *sio_packet_arg(const struct sio_packet *p, size_t i);

/*
 * Encodes p (type, nsp "/" or NULL-equivalent "", id, data) after checking
 * it as the decoder would. Data is written compact (no spaces), in the
 * objects' insertion order.
 */
int sio_packet_encode(struct buf *out, const struct sio_packet *p);

/*
 * The packets a server sends. nsp NULL means "/". args, when not NULL, is
 * a JSON array (borrowed). id is SIO_NO_ID or 0..SIO_ID_MAX.
 *   connect:        0[/nsp,]{"sid":"<sid>"}
 *   connect_error:  4[/nsp,]{"message":"<message>"[,"data":<data>]}
 *   disconnect:     1[/nsp,]
 *   event:          2[/nsp,][id]["<event>",<args>...]
 *   ack:            3[/nsp,]<id>[<args>...]
 */
int sio_encode_connect(struct buf *out, const char *nsp, const char *sid);
int sio_encode_connect_error(struct buf *out, const char *nsp,
			     const char *message, json_t *data);
int sio_encode_disconnect(struct buf *out, const char *nsp);
int sio_encode_event(struct buf *out, const char *nsp, int64_t id,
		     const char *event, json_t *args);
int sio_encode_ack(struct buf *out, const char *nsp, int64_t id,
		   json_t *args);

#endif
