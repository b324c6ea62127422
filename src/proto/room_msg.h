/*
 * room_msg.h - the room messages of the native protocol, parsed.
 *
 * Pure: a JSON object in, a struct room_msg or an error out, no I/O, so
 * the unit tests and fuzz/fuzz_room_msg.c drive it directly. Strings and
 * the 'updates' array point into the message (borrowed: valid while it
 * is). Shapes are docs/protocol.md's; what the room checks itself
 * (roles, lengths against its caps, the changes) is not checked here.
 */
#ifndef CODEROOM_ROOM_MSG_H
#define CODEROOM_ROOM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum room_msg_type {
	RMSG_JOIN = 1, RMSG_LEAVE, RMSG_PUSH, RMSG_PULL, RMSG_PRESENCE,
	RMSG_CHAT, RMSG_ROLE, RMSG_SETTINGS, RMSG_HOST, RMSG_UPLOAD,
	RMSG_RESYNC, RMSG_FILE_ADD, RMSG_FILE_RENAME, RMSG_FILE_DELETE,
	RMSG_FILE_ENTRY,
};

struct room_msg {
	enum room_msg_type type;
	const char *room;		/* join */
	const char *name;		/* join */
	size_t name_len;
	const char *token;		/* join, or NULL */
	bool ack;			/* join: acknowledges run output */
	bool files;			/* join: the client knows several files */
	uint32_t file;			/* push, pull, resync, presence, upload
					   (0 when not sent), file_rename,
					   file_delete, file_entry */
	uint64_t version;		/* push, pull, presence */
	bool has_version;		/* presence: version given */
	const json_t *updates;		/* push: an array */
	bool has_sel;			/* presence: not null */
	size_t anchor, head;		/* presence */
	const char *text;		/* chat, upload, file_add ("" if none) */
	size_t text_len;
	const char *member;		/* role, host: an id or "*" (role) */
	bool writer;			/* role: writer (else reader) */
	int open_edit;			/* room_settings: -1 unchanged, 0, 1 */
	const char *language;		/* room_settings, or NULL */
	const char *file_name;		/* upload (or NULL), file_add,
					   file_rename */
	size_t file_name_len;
};

struct room_msg_error {
	const char *code;		/* "bad_field" */
	const char *field;		/* or NULL */
	char message[160];
};

/*
 * Parses msg (an object whose "type" is 'type'). Returns 1 with *out
 * filled, 0 when 'type' is not a room message, -1 with *err filled when
 * a field is missing or of the wrong kind.
 */
int room_msg_parse(const char *type, const json_t *msg, struct room_msg *out,
		   struct room_msg_error *err);

#endif
