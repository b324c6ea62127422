/*
 * eio_packet.h - Engine.IO v4 packets and polling payloads, pure.
 *
 * A packet is a type digit and optional data: "4hello" is a message,
 * "2" a ping, "3probe" the probe pong. On a WebSocket each packet is one
 * frame and a binary message is a raw binary frame (no type byte). In an
 * HTTP long-polling body, packets are joined by the record separator
 * 0x1e and a binary message is "b" followed by base64.
 *
 * Decoding never crashes on any input and never allocates for text
 * packets: their data points into the input. Text must be valid UTF-8
 * (the peer is a JavaScript string). A polling payload is checked whole
 * before the first packet is handed out, so a body is either accepted
 * entirely or refused entirely. Errors are -EINVAL (malformed) or -E2BIG
 * (too many packets), with a static message in *err for the log and the
 * HTTP error body.
 *
 * Encoders append to a struct buf (whose max bounds the result) and return
 * 0 or buf_append()'s error (-ENOBUFS, -ENOMEM), or -EINVAL for a packet
 * that cannot be framed (text data holding 0x1e in a polling payload).
 */
#ifndef CODEROOM_EIO_PACKET_H
#define CODEROOM_EIO_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

enum eio_type {
	EIO_OPEN = 0,
	EIO_CLOSE = 1,
	EIO_PING = 2,
	EIO_PONG = 3,
	EIO_MESSAGE = 4,
	EIO_UPGRADE = 5,
	EIO_NOOP = 6,
};

#define EIO_SEPARATOR '\x1e'	/* between packets of a polling payload */

struct eio_packet {
	enum eio_type type;
	bool binary;		/* a binary message (type is EIO_MESSAGE) */
	const char *data;	/* len bytes; "" when there is no data */
	size_t len;
	char *own;		/* base64-decoded bytes 'data' points into, or
				   NULL; freed by eio_packet_release() */
};

/* "open", "close", ... or "?" */
const char *eio_type_name(enum eio_type t);

/*
 * Decodes one packet: a WebSocket frame (binary_frame says which kind of
 * frame it was) or one record of a polling payload. A binary frame is a
 * binary message whatever its bytes; a text "b<base64>" is a binary
 * message too (clients that force base64 send those). Returns 0 or
 * -EINVAL. Release the packet with eio_packet_release() (a no-op unless
 * base64 was decoded; also safe after an error).
 */
int eio_packet_decode(const char *in, size_t len, bool binary_frame,
		      struct eio_packet *out, const char **err);
void eio_packet_release(struct eio_packet *p);

/*
 * Called for each packet of a payload; p and its data are valid during the
 * call only. A non-zero return stops the walk and is returned by
 * eio_payload_decode().
 */
typedef int (*eio_packet_fn)(void *ctx, const struct eio_packet *p);

/*
 * Decodes an HTTP long-polling body: packets separated by 0x1e. The whole
 * body is checked first (every record non-empty, a known type or "b" with
 * valid base64, valid UTF-8, at most max_packets records); only then is
 * fn called for each packet in order. Returns 0, -EINVAL, -E2BIG, -ENOMEM
 * or fn's non-zero return.
 */
int eio_payload_decode(const char *in, size_t len, size_t max_packets,
		       eio_packet_fn fn, void *ctx, const char **err);

/*
 * Appends the WebSocket frame of p to out: "<type digit><data>" as a text
 * frame, or a binary message's raw bytes as a binary frame. *binary_frame
 * says which.
 */
int eio_packet_encode_ws(const struct eio_packet *p, struct buf *out,
			 bool *binary_frame);

/*
 * Appends p to a polling payload in out, preceded by the separator when
 * out is not empty. A binary message becomes "b<base64>".
 */
int eio_payload_append(struct buf *out, const struct eio_packet *p);

/* Bytes eio_payload_append() adds for p, separator not counted. */
size_t eio_payload_size(const struct eio_packet *p);

/*
 * The open packet of the handshake, byte for byte as the reference server
 * writes it:
 *   0{"sid":"...","upgrades":["websocket"],"pingInterval":25000,
 *     "pingTimeout":20000,"maxPayload":1000000}
 * 'upgrades' is ["websocket"] when upgrade_websocket, else []. The sid
 * must be 1..EIO_SID_MAX characters of [A-Za-z0-9_-] (else -EINVAL).
 */
int eio_handshake_encode(struct buf *out, const char *sid,
			 bool upgrade_websocket, uint32_t ping_interval_ms,
			 uint32_t ping_timeout_ms, size_t max_payload);

/*
 * Session ids: EIO_SID_RAW random bytes (the caller draws them) written as
 * base64url without padding, EIO_SID_LEN characters, like the reference
 * server's base64id. Ids from clients are checked with eio_sid_valid().
 */
#define EIO_SID_RAW 15
#define EIO_SID_LEN 20
#define EIO_SID_MAX 64
void eio_sid_format(const unsigned char raw[EIO_SID_RAW],
		    char out[EIO_SID_LEN + 1]);
bool eio_sid_valid(const char *s, size_t len);

#endif
