/*
 * native.h - the state of one /ws connection, shared by ws_native.c (runs)
 * and ws_room.c (rooms).
 *
 * A connection follows at most one run through its stream: its own run,
 * one it re-attached to, or, while it is in a room, the room's run.
 */
#ifndef CODEROOM_NATIVE_H
#define CODEROOM_NATIVE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/app.h"
#include "proto/stream.h"
#include "room/member.h"

struct conn;
struct rooms;

struct native {
	struct stream st;		/* the run it follows */
	bool attaching;			/* replaying the scrollback of an attach */
	struct room_member member;	/* member.room: the room it is in */
	bool room_files;		/* joined with "files": true: it hears
					   of every file, not file 0 only */
	bool ack;			/* the client acknowledges output */
	bool usage;			/* the client wants "usage" samples */
	char run_by[ROOM_MEMBER_ID_LEN + 1]; /* who started the room's run */
	char client[APP_CLIENT_MAX];	/* who it is, for admission (app_client()) */
};

#define native_of(c) ((struct native *)(c)->proto)

/*
 * Follows a room's 'run' (leaving the one followed before) as one of its
 * several watchers: a connection that falls behind is sent "lagging" and
 * detached instead of pausing the run, and re-attached with the
 * scrollback once it catches up (stream.h). With 'replay', the scrollback
 * is sent first and "attached" after it; else "started" is sent (a run
 * that begins now), with 'by' (a member id) when not NULL.
 */
void native_watch(struct conn *c, struct run *run, bool replay,
		  const char *by);

/* ws_room.c: a room message (or a run message while in a room).
 * Returns false when 'type' is none of them. */
bool ws_room_message(struct conn *c, const char *type, json_t *msg);
/* Terminal input (a binary 0x00 frame or an input message) in a room. */
void ws_room_input(struct conn *c, const char *p, size_t n);
/* The connection closes: leave the room. */
void ws_room_closed(struct conn *c);

#endif
