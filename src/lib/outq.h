/*
 * outq.h - a connection's queue of outgoing WebSocket/HTTP frames.
 *
 * lws allows one lws_write() per WRITEABLE callback, so everything a
 * connection has to say waits here. Every frame is allocated with LWS_PRE
 * bytes of headroom before its payload, as lws_write() requires. 'bytes'
 * counts payload bytes queued: the back-pressure signal for the run engine.
 */
#ifndef CODEROOM_OUTQ_H
#define CODEROOM_OUTQ_H

#include <stdbool.h>
#include <stddef.h>

enum outq_kind { OUTQ_TEXT, OUTQ_BINARY, OUTQ_HTTP };

struct outq_frame {
	struct outq_frame *next;
	enum outq_kind kind;
	size_t len;		/* payload bytes */
	size_t cap;		/* payload bytes the allocation holds */
	bool mergeable;		/* outq_append() may add to it */
	unsigned char *payload;	/* points 'pre' bytes into the allocation */
};

struct outq {
	struct outq_frame *head, *tail;
	size_t bytes;		/* payload bytes queued */
	size_t frames;
	size_t pre;		/* headroom per frame (LWS_PRE) */
};

void outq_init(struct outq *q, size_t pre);
void outq_release(struct outq *q);
/*
 * Queues a copy of p[0..n) (prefix, if any, is written first: e.g. the
 * one-byte stream tag of a binary terminal frame). Returns 0 or -ENOMEM.
 */
int outq_push(struct outq *q, enum outq_kind kind, const void *prefix,
	      size_t nprefix, const void *p, size_t n);
/*
 * A binary frame of stream bytes: one tag byte, then p[0..n). When the
 * last frame queued is one of these with the same tag and room for n more
 * bytes within 'max' payload bytes, the bytes join it instead (a reader
 * of the stream sees the same bytes in fewer, larger frames). A frame
 * queued behind others is given room to grow to 'room' bytes (bounded by
 * 'max'), one queued alone exactly its size. 0 or -ENOMEM.
 */
int outq_append(struct outq *q, unsigned char tag, const void *p, size_t n,
		size_t room, size_t max);
/* Takes ownership of a frame built by outq_frame_new(). */
void outq_push_frame(struct outq *q, struct outq_frame *f);
/* A frame with room for n payload bytes; NULL on ENOMEM. */
struct outq_frame *outq_frame_new(const struct outq *q, enum outq_kind kind,
				  size_t n);
struct outq_frame *outq_peek(const struct outq *q);
/* Unlinks the head frame and frees it. */
void outq_pop(struct outq *q);
bool outq_empty(const struct outq *q);

#endif
