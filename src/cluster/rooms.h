/*
 * rooms.h - rooms across gateways (cluster mode): the room layer's store
 * (cluster/room_store.c) and bus (cluster/room_bus.c) on Redis, for a
 * gateway. See those files for what is stored where and how gateways
 * keep one room; docs/operations.md for what Redis must be configured
 * with (appendonly, appendfsync always).
 */
#ifndef CODEROOM_CLUSTER_ROOMS_H
#define CODEROOM_CLUSTER_ROOMS_H

#include "cluster/redis_link.h"
#include "room/room.h"

struct cluster;
struct room_cluster;

struct room_cluster *room_cluster_new(struct cluster *c);
/* The store the rooms must be initialised with (rooms_init()). */
void room_cluster_store(struct room_store *st, struct room_cluster *rc);
/* After rooms_init(): the bus. */
void room_cluster_attach(struct room_cluster *rc, struct rooms *reg);
void room_cluster_start(struct room_cluster *rc);
/* The command link is up again: resync every open room. */
void room_cluster_link_up(struct room_cluster *rc);
/* The node table changed: members of dead gateways go. */
void room_cluster_nodes_changed(struct room_cluster *rc);
/* Closes its link and timer; cb(link) when both are closed. Then
 * room_cluster_free(). The rooms must have been released before (they
 * use the store and the bus until then). */
void room_cluster_close(struct room_cluster *rc, redis_link_closed_fn cb);
void room_cluster_free(struct room_cluster *rc);

#endif
