/*
 * room_ids.h - the random names of rooms, members and tokens.
 *
 * Room ids and tokens are capabilities: drawn from getrandom(2), never
 * from a clock or a counter. A room id is 20 characters of [a-z0-9]
 * (about 103 bits), a token 43 characters of base64url (256 bits), a
 * member id 8 hex digits (unique within its room only; not a secret).
 */
#ifndef CODEROOM_ROOM_IDS_H
#define CODEROOM_ROOM_IDS_H

#include <stdbool.h>
#include <stddef.h>

#include "room/room_store.h"

int room_ids_room(char out[ROOM_ID_LEN + 1]);
int room_ids_member(char out[ROOM_MEMBER_ID_LEN + 1]);
int room_ids_token(char out[44]);
/* SHA-256 of the token's characters. */
void room_ids_hash(const char *token, unsigned char out[ROOM_HASH_LEN]);
bool room_ids_token_valid(const char *s);
bool room_ids_member_valid(const char *s);

#endif
