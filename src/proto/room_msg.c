/*
 * room_msg.c - parsing the native protocol's room messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto/room_msg.h"

/* Positions and versions: non-negative integers below 2^53, what a
 * JavaScript client can send exactly. */
#define NUM_MAX ((json_int_t)1 << 53)

static int fail(struct room_msg_error *err, const char *field,
		const char *fmt, ...)
{
	va_list ap;

	err->code = "bad_field";
	err->field = field;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

static bool get_uint(const json_t *o, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= NUM_MAX)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static const char *get_str(const json_t *o, const char *key, size_t *len)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		return NULL;
	if (len)
		*len = json_string_length(v);
	return json_string_value(v);
}

static int parse_join(const json_t *msg, struct room_msg *m,
		      struct room_msg_error *err)
{
	const json_t *tok = json_object_get(msg, "token");
	const json_t *ack = json_object_get(msg, "ack");

	if (!(m->room = get_str(msg, "room", NULL)))
		return fail(err, "room", "'room' must be a string (the room id)");
	if (!(m->name = get_str(msg, "name", &m->name_len)))
		return fail(err, "name", "'name' must be a string");
	if (tok && !json_is_null(tok) && !json_is_string(tok))
		return fail(err, "token", "'token' must be a string");
	m->token = json_is_string(tok) ? json_string_value(tok) : NULL;
	if (ack && !json_is_boolean(ack))
		return fail(err, "ack", "'ack' must be a boolean");
	m->ack = json_is_true(ack);
	if (json_object_get(msg, "files") &&
	    !json_is_boolean(json_object_get(msg, "files")))
		return fail(err, "files", "'files' must be a boolean");
	m->files = json_is_true(json_object_get(msg, "files"));
	return 1;
}

/* "file": a file id; optional (file 0) unless 'required'. */
static int get_file(const json_t *msg, bool required, struct room_msg *m,
		    struct room_msg_error *err)
{
	const json_t *v = json_object_get(msg, "file");

	if (!v && !required)
		return 1;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return fail(err, "file", "'file' must be a file id (a "
			    "non-negative integer)");
	m->file = (uint32_t)json_integer_value(v);
	return 1;
}

static int get_name(const json_t *msg, struct room_msg *m,
		    struct room_msg_error *err)
{
	if (!(m->file_name = get_str(msg, "name", &m->file_name_len)))
		return fail(err, "name", "'name' must be a string (the "
			    "file's path)");
	return 1;
}

static int parse_presence(const json_t *msg, struct room_msg *m,
			  struct room_msg_error *err)
{
	const json_t *sel = json_object_get(msg, "selection");
	uint64_t a, h;

	if (json_object_get(msg, "version")) {
		if (!get_uint(msg, "version", &m->version))
			return fail(err, "version", "'version' must be a "
				    "non-negative integer");
		m->has_version = true;
	}
	if (json_is_null(sel))
		return 1;
	if (!json_is_object(sel) || !get_uint(sel, "anchor", &a) ||
	    !get_uint(sel, "head", &h))
		return fail(err, "selection", "'selection' must be null or "
			    "{anchor, head} with non-negative integers");
	m->has_sel = true;
	m->anchor = (size_t)a;
	m->head = (size_t)h;
	return 1;
}

int room_msg_parse(const char *type, const json_t *msg, struct room_msg *m,
		   struct room_msg_error *err)
{
	memset(m, 0, sizeof(*m));
	memset(err, 0, sizeof(*err));
	m->open_edit = -1;
	if (strcmp(type, "join") == 0) {
		m->type = RMSG_JOIN;
		return parse_join(msg, m, err);
	}
	if (strcmp(type, "leave") == 0) {
		m->type = RMSG_LEAVE;
		return 1;
	}
	if (strcmp(type, "resync") == 0) {
		m->type = RMSG_RESYNC;
		return get_file(msg, false, m, err);
	}
	if (strcmp(type, "file_add") == 0) {
		const json_t *text = json_object_get(msg, "text");
		m->type = RMSG_FILE_ADD;
		if (get_name(msg, m, err) < 0)
			return -1;
		if (text && !json_is_string(text))
			return fail(err, "text", "'text' must be a string (the "
				    "file's content)");
		m->text = text ? json_string_value(text) : "";
		m->text_len = text ? json_string_length(text) : 0;
		return 1;
	}
	if (strcmp(type, "file_rename") == 0) {
		m->type = RMSG_FILE_RENAME;
		if (get_file(msg, true, m, err) < 0)
			return -1;
		return get_name(msg, m, err);
	}
	if (strcmp(type, "file_delete") == 0) {
		m->type = RMSG_FILE_DELETE;
		return get_file(msg, true, m, err);
	}
	if (strcmp(type, "file_entry") == 0) {
		m->type = RMSG_FILE_ENTRY;
		return get_file(msg, true, m, err);
	}
	if (strcmp(type, "push") == 0) {
		m->type = RMSG_PUSH;
		if (!get_uint(msg, "version", &m->version))
			return fail(err, "version", "'version' must be a "
				    "non-negative integer");
		m->updates = json_object_get(msg, "updates");
		if (!json_is_array(m->updates))
			return fail(err, "updates", "'updates' must be an array "
				    "of {clientID, changes}");
		return get_file(msg, false, m, err);
	}
	if (strcmp(type, "pull") == 0) {
		m->type = RMSG_PULL;
		if (!get_uint(msg, "version", &m->version))
			return fail(err, "version", "'version' must be a "
				    "non-negative integer");
		return get_file(msg, false, m, err);
	}
	if (strcmp(type, "presence") == 0) {
		m->type = RMSG_PRESENCE;
		if (get_file(msg, false, m, err) < 0)
			return -1;
		return parse_presence(msg, m, err);
	}
	if (strcmp(type, "chat") == 0) {
		m->type = RMSG_CHAT;
		if (!(m->text = get_str(msg, "text", &m->text_len)))
			return fail(err, "text", "'text' must be a string");
		return 1;
	}
	if (strcmp(type, "role") == 0) {
		const char *role;
		m->type = RMSG_ROLE;
		if (!(m->member = get_str(msg, "member", NULL)))
			return fail(err, "member", "'member' must be a member "
				    "id or \"*\"");
		role = get_str(msg, "role", NULL);
		if (!role || (strcmp(role, "writer") && strcmp(role, "reader")))
			return fail(err, "role", "'role' must be \"writer\" or "
				    "\"reader\"");
		m->writer = strcmp(role, "writer") == 0;
		return 1;
	}
	if (strcmp(type, "room_settings") == 0) {
		const json_t *oe = json_object_get(msg, "open_edit");
		const json_t *lang = json_object_get(msg, "language");
		m->type = RMSG_SETTINGS;
		if (oe && !json_is_boolean(oe))
			return fail(err, "open_edit", "'open_edit' must be a "
				    "boolean");
		if (lang && !json_is_string(lang))
			return fail(err, "language", "'language' must be a "
				    "language id");
		if (!oe && !lang)
			return fail(err, "open_edit", "nothing to change: send "
				    "'open_edit' or 'language'");
		m->open_edit = oe ? json_is_true(oe) : -1;
		m->language = lang ? json_string_value(lang) : NULL;
		return 1;
	}
	if (strcmp(type, "host") == 0) {
		m->type = RMSG_HOST;
		if (!(m->member = get_str(msg, "member", NULL)))
			return fail(err, "member", "'member' must be a member id");
		return 1;
	}
	if (strcmp(type, "upload") == 0) {
		const json_t *name = json_object_get(msg, "name");
		m->type = RMSG_UPLOAD;
		if (!(m->text = get_str(msg, "text", &m->text_len)))
			return fail(err, "text", "'text' must be a string (the "
				    "file's content)");
		if (name && !json_is_null(name) && !json_is_string(name))
			return fail(err, "name", "'name' must be a file name");
		m->file_name = json_is_string(name) ? json_string_value(name) :
			       NULL;
		return get_file(msg, false, m, err);
	}
	return 0;
}
