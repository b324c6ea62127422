/*
 * api_rooms.c - the rooms over HTTP (docs/api.md, "Rooms"):
 *
 *   POST /create_session          a new room: {"session_id": ID, "url", ...}
 *   GET  /editor/ID               the IDE, in that room
 *   GET  /api/rooms/ID            {id, language, version, text, members, ...}
 *   GET  /api/rooms/ID/download   the document as its file
 *
 * A room id is the capability to a room: these endpoints need no API
 * token, as /ws needs none. Uploads are a WebSocket message (a writer's,
 * checked by the room): docs/protocol.md.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/keyrate.h"
#include "net/conn.h"
#include "net/http.h"
#include "net/server.h"
#include "net/webroot.h"
#include "proto/api.h"
#include "proto/app.h"
#include "room/room.h"
#include "run/lang.h"

/* Past its quota (--room-create-rate a minute): 429 with Retry-After. */
static bool create_allowed(struct conn *c)
{
	struct keyrate *k = app_of(c)->room_creates;
	char extra[64], msg[200];
	uint64_t retry_ms = 0;
	unsigned long long s;

	if (!k)
		return true;
	if (keyrate_take(k, c->client, server_now_ms(), &retry_ms))
		return true;
	s = (retry_ms + 999) / 1000;
	snprintf(extra, sizeof(extra), "Retry-After: %llu\r\n", s);
	snprintf(msg, sizeof(msg), "{\"error\":\"this address has created "
		 "%.0f rooms in a short time; try again in %llu s\"}",
		 k->burst, s);
	http_reply(c, 429, "application/json", msg, strlen(msg), extra);
	return false;
}

void api_create_session(struct conn *c)
{
	struct rooms *reg = app_of(c)->rooms;
	const char *lang = NULL, *text = NULL;
	size_t len = 0;
	char id[ROOM_ID_LEN + 1], url[64];
	json_t *body = NULL, *v;
	int err;

	if (!create_allowed(c))
		return;
	if (c->http->body.len) {
		if (!(body = http_body_json(c)))
			return;
		if ((v = json_object_get(body, "language"))) {
			if (!json_is_string(v)) {
				http_reply_error(c, 400, "language",
						 "'language' must be a string");
				goto out;
			}
			lang = json_string_value(v);
		}
		v = json_object_get(body, "code");
		if (!v)
			v = json_object_get(body, "text");
		if (v) {
			if (!json_is_string(v)) {
				http_reply_error(c, 400, "code",
						 "'code' must be a string");
				goto out;
			}
			text = json_string_value(v);
			len = json_string_length(v);
		}
	}
	err = rooms_create(reg, lang, text, len, id);
	switch (err) {
	case 0:
		break;
	case -ENOENT:
		http_reply_error(c, 400, "language", "unknown language '%.32s'",
				 lang);
		goto out;
	case -E2BIG:
		http_reply_error(c, 413, "code", "a room's document holds at "
				 "most %zu bytes", reg->lim.doc_bytes);
		goto out;
	case -EINVAL:
		http_reply_error(c, 400, "code", "the code is not valid UTF-8");
		goto out;
	case -EDQUOT:
		http_reply_error(c, 503, NULL, "this server keeps at most "
				 "%llu rooms", (unsigned long long)
				 reg->lim.stored_rooms);
		goto out;
	case -EIO:	/* cluster mode: Redis is unreachable */
		if (app_of(c)->cluster) {
			http_reply_error(c, 503, NULL, "the cluster is "
					 "unavailable; try again shortly");
			goto out;
		}
		/* fall through */
	case -ENOSPC:
		http_reply_error(c, 507, NULL, "the server's disk is full: the "
				 "room cannot be stored; try again later");
		goto out;
	default:
		http_reply_error(c, 500, NULL, "the room could not be stored: "
				 "%s", strerror(-err));
		goto out;
	}
	struct room_record rec;
	rooms_lookup(reg, id, &rec);
	snprintf(url, sizeof(url), "/editor/%s", id);
	http_reply_json(c, 200, json_pack("{s:s, s:s, s:s, s:s}", "session_id",
					  id, "id", id, "url", url,
					  "language", rec.language));
out:
	json_decref(body);
}

/* Laid out for phones too, dark like the IDE; the colours are the
 * page's own (no stylesheet of the IDE's, whose name changes per build). */
static const char not_found_page[] =
	"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width, "
	"initial-scale=1\">"
	"<meta name=\"color-scheme\" content=\"dark\">"
	"<title>No such room - coderoom</title>"
	"<style>html{background:#14171c;color:#d7dce2;font:16px/1.5 "
	"system-ui,sans-serif}body{max-width:36em;margin:0 auto;"
	"padding:12vh 20px}h1{font-size:1.5em;margin:0 0 .5em}"
	"a{color:#22c55e}</style></head><body>"
	"<h1>No such room</h1><p>This link does not lead to a room on this "
	"server. Ask for the link again, or <a href=\"/\">start on your "
	"own</a>.</p></body></html>\n";

void api_editor(struct conn *c)
{
	const char *id = c->http->path + strlen("/editor/");
	const struct webfile *f;
	struct room_record rec;

	/* cluster mode: -EAGAIN, not fetched here yet (the join will tell) */
	int err = rooms_lookup(app_of(c)->rooms, id, &rec);
	if (err && err != -EAGAIN) {
		http_reply(c, 404, "text/html; charset=utf-8", not_found_page,
			   sizeof(not_found_page) - 1, "Cache-Control: no-cache\r\n");
		return;
	}
	f = webroot_find(c->srv->web, "/index.html");
	if (!f) {
		http_reply_error(c, 404, NULL, "the IDE is not built (no "
				 "index.html in the web root)");
		return;
	}
	c->http->borrowed = f->data;
	http_reply(c, 200, f->mime, NULL, f->len, "Cache-Control: no-cache\r\n");
}

static json_t *room_json(struct room *r)
{
	json_t *members = json_array(), *files = json_array(), *j;
	uint64_t v;
	size_t len;
	const char *text = room_text(r, &len, &v);

	for (size_t i = 0; files && i < r->nfiles; i++) {
		const struct room_file *f = r->files[i];
		uint64_t fv;
		size_t fl;
		const char *ft = room_file_text(f, &fl, &fv);
		json_array_append_new(files, json_pack(
			"{s:I, s:s, s:I, s:s%}", "id", (json_int_t)f->id,
			"name", room_file_label(r, f), "version",
			(json_int_t)fv, "text", ft, fl));
	}
	for (const struct room_member *o = r->members; members && o; o = o->next)
		json_array_insert_new(members, 0, json_pack(
			"{s:s, s:s, s:s, s:s}", "id", o->id, "name", o->name,
			"role", room_role_name(room_role_of(r, o)), "color",
			o->color));
	j = json_pack("{s:s, s:s, s:s, s:I, s:s%, s:o, s:b, s:s, s:I}",
		      "id", r->rec.id, "language", r->rec.language,
		      "file", room_file_label(r, room_file_find(r, 0)),
		      "version", (json_int_t)v, "text", text, len,
		      "members", members, "open_edit", r->rec.open_edit,
		      "host", r->rec.host, "created_ms",
		      (json_int_t)r->rec.created_ms);
	if (j && files) {
		json_object_set_new(j, "files", files);
		json_object_set_new(j, "entry",
				    json_integer((json_int_t)r->rec.entry));
	} else {
		json_decref(files);
	}
	return j;
}

void api_rooms(struct conn *c)
{
	struct rooms *reg = app_of(c)->rooms;
	char id[ROOM_ID_LEN + 1];
	const char *rest = c->http->path + strlen("/api/rooms/");
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	bool download = slash && strcmp(slash, "/download") == 0;
	struct room *r;
	int err;

	if (n != ROOM_ID_LEN || (slash && !download)) {
		http_reply_error(c, 404, NULL, "no such endpoint '%s'",
				 c->http->path);
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	err = room_hold(reg, id, &r);
	if (err == -ENOENT) {
		http_reply_error(c, 404, NULL, "no room '%s'", id);
		return;
	}
	if (err == -EMFILE) {
		http_reply_error(c, 503, NULL, "the server has its maximum of "
				 "%u rooms open; try again later",
				 reg->lim.rooms);
		return;
	}
	if (err == -EAGAIN) {	/* cluster mode: being fetched from Redis */
		http_reply(c, 503, "application/json",
			   "{\"error\":\"the room is being loaded; retry\"}", 43,
			   "Retry-After: 1\r\n");
		return;
	}
	if (err) {
		http_reply_error(c, 500, NULL, "cannot read the room: %s",
				 strerror(-err));
		return;
	}
	if (download) {
		char extra[256];
		size_t len;
		const char *text = room_text(r, &len, NULL);
		/* the file name is the language's (no user text in it) */
		snprintf(extra, sizeof(extra),
			 "Content-Disposition: attachment; filename=\"%s\"\r\n"
			 "Cache-Control: no-store\r\n", room_file_name(r));
		http_reply(c, 200, "text/plain; charset=utf-8", text, len, extra);
	} else {
		http_reply_json(c, 200, room_json(r));
	}
	room_release(r);
}
