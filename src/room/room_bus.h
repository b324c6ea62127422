/*
 * room_bus.h - rooms whose members are on several nodes (cluster mode).
 *
 * Without a bus, a room is this process's alone (the embedded default).
 * With one (cluster/room_bus.c), every node with members in a room holds
 * its own struct room, and the bus keeps them one room:
 *  - the room's data is fetched before the room opens here (a join
 *    waits: room_join() answers -EINPROGRESS and the member's joined()
 *    follows);
 *  - edits and chat lines are ordered by the shared store (room_store.h,
 *    -EINPROGRESS) and reach every node, this one included, through
 *    room_apply_updates() and room_apply_chat(), in the room's order;
 *    a local push waits for its own updates to come back (one push in
 *    flight a room, the others queued), and is pushed again, rebased,
 *    when another node took its version first;
 *  - roles, settings and the host are decided where the host is and
 *    applied elsewhere with room_apply_member() and room_apply_settings();
 *  - members of other nodes appear here as proxies (member.h), with their
 *    selections; the room's run is shown everywhere (room_apply_run()).
 * The ops are the node's side: they are told what happens here, and
 * never call back into the room from inside an op.
 */
#ifndef CODEROOM_ROOM_BUS_H
#define CODEROOM_ROOM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "room/member.h"
#include "room/room_store.h"

struct rooms;
struct room;
struct run;

struct room_bus_ops {
	/* Makes the room's data available to the store before it opens
	 * here: 0 (it is), -EINPROGRESS (rooms_fetched() follows, from the
	 * loop), or -errno (-ENOENT: no such room). */
	int (*fetch)(void *bus, const char *id);
	/* The room opened here (follow it) / closes here (stop). */
	void (*opened)(void *bus, struct room *r);
	void (*closed)(void *bus, struct room *r);
	/* A member of this node joined (on) or left. */
	void (*online)(void *bus, struct room *r, const struct room_member *m,
		       bool on);
	/* A member of this node moved its selection (at the room's version
	 * now). */
	void (*presence)(void *bus, struct room *r, const struct room_member *m);
	/* The room's run started on this node. */
	void (*run)(void *bus, struct room *r, struct run *run, const char *by);
};

void rooms_set_bus(struct rooms *reg, const struct room_bus_ops *ops,
		   void *bus);

/* fetch()'s end: the joins waiting for room 'id' go on (or get err). */
void rooms_fetched(struct rooms *reg, const char *id, int err);
/* The store's answer to the push in flight (log_append's -EINPROGRESS):
 * 0 (it took versions .. 'version'), -ESTALE (another node was first: the
 * room is at 'version' there; it is pushed again once this node has
 * caught up), or another error (the pusher's push_done()). */
void room_push_stored(struct room *r, int err, uint64_t version);

/* The updates that took the room from 'from' to from + n, pushed by
 * 'member' (on any node). Updates this node has are skipped; a gap
 * (from > the room's version) is -EAGAIN: fetch the missing ones first. */
int room_apply_updates(struct room *r, uint64_t from, const char *member,
		       size_t n, const char *const *client_ids,
		       const char *const *changes, const size_t *lens);
/* A chat line ordered by the store (its id set); an id this node has is
 * skipped. */
int room_apply_chat(struct room *r, const struct room_chat_record *c);
/* A member's record changed elsewhere (its role, name, colour). */
void room_apply_member(struct room *r, const struct room_member_record *rec);
/* The settings or the host changed elsewhere (language NULL: kept). */
void room_apply_settings(struct room *r, const char *language, bool open_edit,
			 const char *host);
/* A member of another node: linked as a proxy (m->ops set, m->proxy);
 * it leaves with room_leave(). -EUSERS when the room is full here. */
int room_proxy_join(struct room *r, struct room_member *m);
/* The room's run, started on another node, followed here. */
void room_apply_run(struct room *r, struct run *run, const char *by);

#endif
