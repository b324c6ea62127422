/*
 * sio_collab.h - the collaborative editor's Socket.IO events, on the rooms
 * of the native protocol (room/room.h): a Socket.IO page and a coderoom
 * IDE in one room see each other's edits, chat, members and runs.
 *
 *   join_session        {session_id, name, token?}: join a room (made by
 *                       POST /create_session); the first member ever is
 *                       its host and a writer, later ones readers
 *   code_update         server -> client: {content}, the whole text, on
 *                       join and after every change by anyone else
 *   code_change         {session_id, content}: the whole text from a
 *                       writer; the server turns it into the smallest
 *                       change (room_replace_text()), so concurrent edits
 *                       elsewhere in the document survive; readers refused
 *   participants_update server -> clients: {participants: {id: {name,
 *                       role}}, host_id, writer_ids}
 *   send_message        {session_id, message, name}: a chat line
 *   chat_message        server -> clients: {id, name, message, timestamp}
 *   chat_history        server -> the joining client: {messages: [...]},
 *                       the last 200
 *   grant_write /       {session_id, target}: the host gives or takes a
 *   revoke_write        participant's write access ("*": everyone's)
 *
 * A participant's id is its socket id (socket.id) for a Socket.IO member
 * and its member id for a native one. While the socket is in a room, the
 * runner's events (sio_runner.h) act on the room's one run, and every
 * member's run reaches the socket. The socket leaves its room when it
 * disconnects or joins another.
 */
#ifndef CODEROOM_SIO_COLLAB_H
#define CODEROOM_SIO_COLLAB_H

#include "proto/sio_socket.h"

extern const struct sio_module sio_collab;

#endif
