/*
 * room_wire.h - a room's data in Redis and its events between gateways,
 * as compact bytes. Pure.
 *
 * Stored (keys in cluster/room_store.c):
 *   a log entry     'L' uv version, str clientID, str member, bytes changes
 *   a member        'M' str id, str name, u8 role, str colour, 32 bytes of
 *                   SHA-256(token) (zeros: not known to the sender)
 *   a chat line     'C' u64 big-endian id (written by the Lua script that
 *                   numbers it), str member, str name, bytes text, sv ts
 * Events (one pub/sub message each, on the room's channel):
 *   'U' updates     uv from, str member, uv n, n x (str clientID, bytes
 *                   changes): versions from .. from + n - 1
 *   'C' a chat line (as stored)      'M' a member's record (as stored)
 *   'S' settings    language NUL open ("0"/"1") NUL host NUL (written by
 *                   the Lua script, with what Redis holds)
 *   'O' online      str gateway, then a member record ('M' ...)
 *   'F' offline     str gateway, str member
 *   'P' presence    str member, u8 has, uv version, uv anchor, uv head
 *   'R' run         str run id, str member who started it
 * Decoders point into their input (strings NUL-terminated there) and check
 * kinds, lengths, caps (ROOM_PUSH_MAX updates, the room layer's sizes),
 * ids, roles and trailing bytes; -EINVAL for anything else.
 */
#ifndef CODEROOM_ROOM_WIRE_H
#define CODEROOM_ROOM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "room/room.h"

#define RW_CLIENT_MAX 64	/* bytes of a clientID (collab's cap) */
#define RW_CHANGES_MAX (8u << 20)	/* one update's changes JSON */
#define RW_TEXT_MAX (1u << 20)		/* a chat line */
#define RW_NODE_MAX 64

struct rw_update {
	const char *client_id;
	const char *changes;
	size_t len;
};

struct rw_event {
	char kind;			/* 'U' 'C' 'M' 'S' 'O' 'F' 'P' 'R' */
	/* U */
	uint64_t from;
	const char *member;		/* U, F, P, R (the starter) */
	size_t n;
	struct rw_update u[ROOM_PUSH_MAX];
	/* C */
	struct room_chat_record chat;	/* name and text point into input */
	/* M, O */
	struct room_member_record rec;
	/* O, F */
	const char *gateway;
	/* S */
	const char *language;
	bool open_edit;
	const char *host;
	/* P */
	bool has;
	uint64_t version, anchor, head;
	/* R */
	const char *run;
};

int rw_log_encode(struct buf *b, const struct room_log_entry *e);
int rw_log_decode(const void *p, size_t n, struct room_log_entry *e);
int rw_member_encode(struct buf *b, const struct room_member_record *m);
int rw_member_decode(const void *p, size_t n, struct room_member_record *m);
/* A chat line's two parts around its id: 'C' alone, and what follows. */
int rw_chat_encode_rest(struct buf *rest, const struct room_chat_record *c);
int rw_chat_decode(const void *p, size_t n, struct room_chat_record *c);

int rw_updates_encode(struct buf *b, uint64_t from, const char *member,
		      const struct room_log_entry *e, size_t n);
int rw_online_encode(struct buf *b, const char *gateway,
		     const struct room_member_record *m);
int rw_offline_encode(struct buf *b, const char *gateway, const char *member);
int rw_presence_encode(struct buf *b, const char *member, bool has,
		       uint64_t version, uint64_t anchor, uint64_t head);
int rw_run_encode(struct buf *b, const char *run, const char *member);
/* Any event. */
int rw_event_decode(const void *p, size_t n, struct rw_event *ev);

#endif
