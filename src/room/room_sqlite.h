/*
 * room_sqlite.h - the rooms' persistence (room_store.h) on the embedded
 * SQLite database (store/). The store must stay open while the
 * room_store is used.
 */
#ifndef CODEROOM_ROOM_SQLITE_H
#define CODEROOM_ROOM_SQLITE_H

#include "room/room_store.h"

struct store;

void room_sqlite_init(struct room_store *rs, struct store *s);

#endif
