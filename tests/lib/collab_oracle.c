/*
 * collab_oracle.c - the C changeset and collab code behind a JSON-lines
 * pipe, for the differential tests against the real @codemirror/state and
 * @codemirror/collab (tests/integration/collab-*.test.mjs). Test-only.
 *
 * One command per line on stdin, one answer per line on stdout:
 *   {"op":"parse","json":X}            ->
 * {"json","length","new_length","sections"}
 *   {"op":"apply","doc":S,"changes":X} -> {"doc"}
 *   {"op":"compose","a":X,"b":Y}       -> {"json"}
 *   {"op":"compose_desc","a":X,"b":Y}  -> {"sections"}
 *   {"op":"map","a":X,"b":Y,"before":B}      -> {"json"}
 *   {"op":"map_desc","a":X,"b":Y,"before":B} -> {"sections"}
 *   {"op":"map_pos","changes":X,"pos":N,"assoc":N} -> {"pos"}
 *   {"op":"new","id":N,"doc":S,"version":N[,"caps":{...}]} ->
 * {"version","length"}
 *   {"op":"push"|"prepare","id":N,"version":N,"updates":[...]}
 *        ->
 * {"base","version","accepted":[{"clientID","changes"}],"stored":[{"clientID","json"}]}
 *   {"op":"commit"|"abort","id":N}     -> {"version"}
 *   {"op":"pull","id":N,"version":N}   -> {"updates"}
 *   {"op":"state","id":N}              -> {"doc","version","oldest","length"}
 *   {"op":"map_selection","id":N,"version":N,"anchor":N,"head":N} ->
 * {"anchor","head"}
 *   {"op":"load_update"|"load_history","id":N,"v":N,"clientID":S,"changes":S}
 * -> {"version","oldest"}
 *   {"op":"free","id":N}               -> {}
 * Any failure answers {"error":"EINVAL"} (the errno name) instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "room/changeset.h"
#include "room/collab.h"

#define MAX_AUTH 64

static struct collab *auth[MAX_AUTH];
static struct collab_pending pend[MAX_AUTH];
static bool pending[MAX_AUTH];

static const char *errname(int rc)
{
	switch (-rc) {
	case EINVAL:
		return "EINVAL";
	case E2BIG:
		return "E2BIG";
	case ESTALE:
		return "ESTALE";
	case EBUSY:
		return "EBUSY";
	case ENOMEM:
		return "ENOMEM";
	case ENOENT:
		return "ENOENT";
	default:
		return "E?";
	}
}

static json_t *sections(const struct changeset *cs)
{
	json_t *a = json_array();

	for (size_t i = 0; i < cs->n; i++) {
		json_array_append_new(a,
				      json_integer((json_int_t)cs->sec[i].len));
		json_array_append_new(a, json_integer(cs->sec[i].ins));
	}
	return a;
}

static int parse2(const json_t *cmd, struct changeset **a, struct changeset **b)
{
	int rc = cs_parse(json_object_get(cmd, "a"), NULL, a);

	if (rc)
		return rc;
	rc = cs_parse(json_object_get(cmd, "b"), NULL, b);
	if (rc) {
		cs_free(*a);
		*a = NULL;
	}
	return rc;
}

static int get_id(const json_t *cmd, int *id)
{
	json_int_t v = json_integer_value(json_object_get(cmd, "id"));

	if (v < 0 || v >= MAX_AUTH)
		return -EINVAL;
	*id = (int)v;
	return 0;
}

static json_t *pending_json(const struct collab_pending *p)
{
	json_t *acc = json_array(), *stored = json_array();

	for (size_t i = 0; i < p->n; i++) {
		json_array_append_new(acc, collab_update_json(&p->updates[i]));
		json_array_append_new(stored,
				      json_pack("{s:s,s:s%}", "clientID",
						p->updates[i].client_id, "json",
						p->updates[i].json,
						p->updates[i].json_len));
	}
	return json_pack("{s:I,s:I,s:o,s:o}", "base", (json_int_t)p->base,
			 "version", (json_int_t)p->version, "accepted", acc,
			 "stored", stored);
}

static void caps_from(const json_t *j, struct collab_caps *caps)
{
	json_t *v;

	collab_caps_default(caps);
	if (!j)
		return;
#define CAP(f)                                                                 \
	if ((v = json_object_get(j, #f)))                                      \
		caps->f = (size_t)json_integer_value(v);
	CAP(max_doc_bytes)
	CAP(max_updates)
	CAP(max_changes)
	CAP(max_log)
	CAP(max_log_bytes)
	CAP(max_client_id)
#undef CAP
}

static int run_collab(const char *op, const json_t *cmd, json_t **res)
{
	uint64_t version =
	    (uint64_t)json_integer_value(json_object_get(cmd, "version"));
	struct collab *c;
	int id, rc;

	rc = get_id(cmd, &id);
	if (rc)
		return rc;
	c = auth[id];
	if (!strcmp(op, "new")) {
		struct collab_caps caps;
		const json_t *doc = json_object_get(cmd, "doc");

		caps_from(json_object_get(cmd, "caps"), &caps);
		if (pending[id])
			collab_abort(c, &pend[id]);
		pending[id] = false;
		collab_free(c);
		auth[id] = NULL;
		rc = collab_new(&caps, json_string_value(doc),
				json_string_length(doc), version, &auth[id]);
		if (rc)
			return rc;
		*res = json_pack("{s:I,s:I}", "version",
				 (json_int_t)collab_version(auth[id]), "length",
				 (json_int_t)collab_length(auth[id]));
		return 0;
	}
	if (!c)
		return -ENOENT;
	if (!strcmp(op, "push") || !strcmp(op, "prepare")) {
		struct collab_pending p;
		bool push = !strcmp(op, "push");

		rc = (push ? collab_push : collab_prepare)(
		    c, version, json_object_get(cmd, "updates"), &p);
		if (rc)
			return rc;
		*res = pending_json(&p);
		if (push)
			collab_pending_release(&p);
		else {
			pend[id] = p;
			pending[id] = true;
		}
	} else if (!strcmp(op, "commit") || !strcmp(op, "abort")) {
		if (!pending[id])
			return -ENOENT;
		if (!strcmp(op, "commit"))
			collab_commit(c, &pend[id]);
		else
			collab_abort(c, &pend[id]);
		collab_pending_release(&pend[id]);
		pending[id] = false;
		*res = json_pack("{s:I}", "version",
				 (json_int_t)collab_version(c));
	} else if (!strcmp(op, "pull")) {
		json_t *u;

		rc = collab_pull(c, version, &u);
		if (rc)
			return rc;
		*res = json_pack("{s:o}", "updates", u);
	} else if (!strcmp(op, "state")) {
		size_t len;
		const char *s = collab_text(c, &len);

		*res = json_pack("{s:s%,s:I,s:I,s:I}", "doc", s, len, "version",
				 (json_int_t)collab_version(c), "oldest",
				 (json_int_t)collab_oldest(c), "length",
				 (json_int_t)collab_length(c));
	} else if (!strcmp(op, "map_selection")) {
		size_t a = (size_t)json_integer_value(
			   json_object_get(cmd, "anchor")),
		       h = (size_t)json_integer_value(
			   json_object_get(cmd, "head"));

		rc = collab_map_selection(c, version, &a, &h);
		if (rc)
			return rc;
		*res = json_pack("{s:I,s:I}", "anchor", (json_int_t)a, "head",
				 (json_int_t)h);
	} else if (!strcmp(op, "load_update") || !strcmp(op, "load_history")) {
		const json_t *ch = json_object_get(cmd, "changes");
		uint64_t v =
		    (uint64_t)json_integer_value(json_object_get(cmd, "v"));
		const char *cid =
		    json_string_value(json_object_get(cmd, "clientID"));

		if (!cid || !json_is_string(ch))
			return -EINVAL;
		rc = (!strcmp(op, "load_update") ? collab_load_update
						 : collab_load_history)(
		    c, v, cid, json_string_value(ch), json_string_length(ch));
		if (rc)
			return rc;
		*res = json_pack("{s:I,s:I}", "version",
				 (json_int_t)collab_version(c), "oldest",
				 (json_int_t)collab_oldest(c));
	} else if (!strcmp(op, "free")) {
		if (pending[id])
			collab_abort(c, &pend[id]);
		pending[id] = false;
		collab_free(c);
		auth[id] = NULL;
		*res = json_object();
	} else {
		return -EINVAL;
	}
	return 0;
}

static int run(const json_t *cmd, json_t **res)
{
	const char *op = json_string_value(json_object_get(cmd, "op"));
	struct changeset *a = NULL, *b = NULL, *r = NULL;
	int rc;

	*res = NULL;
	if (!op)
		return -EINVAL;
	if (!strcmp(op, "parse")) {
		rc = cs_parse(json_object_get(cmd, "json"), NULL, &r);
		if (!rc)
			*res = json_pack(
			    "{s:o,s:I,s:I,s:o}", "json", cs_to_json(r),
			    "length", (json_int_t)r->length, "new_length",
			    (json_int_t)r->new_length, "sections", sections(r));
	} else if (!strcmp(op, "apply")) {
		const json_t *doc = json_object_get(cmd, "doc");
		struct utext t, out;

		if (!json_is_string(doc))
			return -EINVAL;
		rc = cs_parse(json_object_get(cmd, "changes"), NULL, &r);
		if (!rc)
			rc = utext_init(&t, json_string_value(doc),
					json_string_length(doc), CS_POS_MAX);
		if (!rc) {
			rc = cs_apply(r, &t, CS_POS_MAX, &out);
			if (!rc) {
				*res =
				    json_pack("{s:s%}", "doc", out.s, out.len);
				utext_release(&out);
			}
			utext_release(&t);
		}
	} else if (!strcmp(op, "compose") || !strcmp(op, "compose_desc") ||
		   !strcmp(op, "map") || !strcmp(op, "map_desc")) {
		bool before = json_is_true(json_object_get(cmd, "before"));

		rc = parse2(cmd, &a, &b);
		if (rc)
			return rc;
		if (!strcmp(op, "compose"))
			rc = cs_compose(a, b, &r);
		else if (!strcmp(op, "compose_desc"))
			rc = cs_compose_desc(a, b, &r);
		else if (!strcmp(op, "map"))
			rc = cs_map(a, b, before, &r);
		else
			rc = cs_map_desc(a, b, before, &r);
		if (!rc)
			*res = r->desc
				   ? json_pack("{s:o}", "sections", sections(r))
				   : json_pack("{s:o}", "json", cs_to_json(r));
	} else if (!strcmp(op, "map_pos")) {
		json_int_t pos =
		    json_integer_value(json_object_get(cmd, "pos"));
		int assoc =
		    (int)json_integer_value(json_object_get(cmd, "assoc"));
		size_t out;

		rc = cs_parse(json_object_get(cmd, "changes"), NULL, &r);
		if (!rc && pos < 0)
			rc = -EINVAL;
		if (!rc)
			rc = cs_map_pos(r, (size_t)pos, assoc, &out);
		if (!rc)
			*res = json_pack("{s:I}", "pos", (json_int_t)out);
	} else {
		rc = run_collab(op, cmd, res);
	}
	cs_free(a);
	cs_free(b);
	cs_free(r);
	if (!rc && !*res)
		rc = -ENOMEM;
	return rc;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t err;
		json_t *cmd = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &err);
		json_t *res = NULL;
		int rc = cmd ? run(cmd, &res) : -EINVAL;
		char *out;

		if (rc) {
			json_decref(res);
			res = json_pack("{s:s}", "error", errname(rc));
		}
		out = json_dumps(res, JSON_COMPACT);
		fputs(out ? out : "{\"error\":\"ENOMEM\"}", stdout);
		fputc('\n', stdout);
		fflush(stdout);
		free(out);
		json_decref(res);
		json_decref(cmd);
	}
	free(line);
	for (int i = 0; i < MAX_AUTH; i++) {
		if (pending[i])
			collab_abort(auth[i], &pend[i]);
		collab_free(auth[i]);
	}
	return 0;
}
