/*
 * collab.c - the central authority of the @codemirror/collab protocol.
 * See collab.h.
 *
 * The log window is a ring of caps.max_log entries: 'head' is the oldest,
 * which took version (version - count) to the next one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "room/collab.h"

struct collab {
	struct collab_caps caps;
	struct utext text;	   /* the document at 'version' */
	uint64_t version;	   /* updates ever accepted */
	struct collab_update *log; /* ring of caps.max_log */
	size_t head;		   /* index of the oldest entry */
	size_t count;		   /* entries in the window */
	size_t log_bytes;	   /* memory held by the entries (estimate) */
	bool busy;		   /* a prepared push is pending */
};

/* A pushed update, parsed; client_id points into the JSON value. */
struct incoming {
	const char *client_id;
	size_t id_len;
	struct changeset *cs;
};

void collab_caps_default(struct collab_caps *caps)
{
	caps->max_doc_bytes = 1 << 20;
	caps->max_updates = 100;
	caps->max_changes = 10000;
	caps->max_log = 1000;
	caps->max_log_bytes = 16 << 20;
	caps->max_client_id = 64;
}

uint64_t collab_version(const struct collab *c)
{
	return c->version;
}

uint64_t collab_oldest(const struct collab *c)
{
	return c->version - c->count;
}

const char *collab_text(const struct collab *c, size_t *len)
{
	*len = c->text.len;
	return c->text.s;
}

size_t collab_length(const struct collab *c)
{
	return c->text.u16len;
}

static struct collab_update *entry(const struct collab *c, uint64_t v)
{
	return &c->log[(c->head + (size_t)(v - collab_oldest(c))) %
		       c->caps.max_log];
}

const struct collab_update *collab_update_at(const struct collab *c, uint64_t v)
{
	if (v < collab_oldest(c) || v >= c->version)
		return NULL;
	return entry(c, v);
}

/* The document length at version v, which is in the window. */
static size_t length_at(const struct collab *c, uint64_t v)
{
	return v == c->version ? c->text.u16len : entry(c, v)->changes->length;
}

static size_t update_bytes(const struct collab_update *u)
{
	return sizeof *u + strlen(u->client_id) + 1 + u->json_len + 1 +
	       u->changes->text_len + u->changes->n * sizeof *u->changes->sec;
}

static void update_release(struct collab_update *u)
{
	free(u->client_id);
	cs_free(u->changes);
	free(u->json);
	memset(u, 0, sizeof *u);
}

/* Fills u from a client ID and a changeset it takes over (freed on
 * error). */
static int update_make(struct collab_update *u, const char *id, size_t id_len,
		       struct changeset *cs)
{
	memset(u, 0, sizeof *u);
	u->changes = cs;
	u->client_id = malloc(id_len + 1);
	u->json = cs_dump(cs, &u->json_len);
	if (!u->client_id || !u->json) {
		update_release(u);
		return -ENOMEM;
	}
	memcpy(u->client_id, id, id_len);
	u->client_id[id_len] = 0;
	return 0;
}

json_t *collab_update_json(const struct collab_update *u)
{
	json_t *changes = cs_to_json(u->changes);

	if (!changes)
		return NULL;
	return json_pack("{s:s,s:o}", "clientID", u->client_id, "changes",
			 changes);
}

/* ---- creating ------------------------------------------------------ */

int collab_new(const struct collab_caps *caps, const char *text, size_t len,
	       uint64_t version, struct collab **out)
{
	struct collab *c;
	char *norm = NULL;
	int rc;

	*out = NULL;
	if (!caps->max_doc_bytes || !caps->max_updates || !caps->max_changes ||
	    caps->max_log < caps->max_updates || !caps->max_client_id ||
	    version > (uint64_t)1 << 62)
		return -EINVAL;
	/* Line breaks as CodeMirror reads them: "\r\n" and "\r" are "\n". */
	if (len && memchr(text, '\r', len)) {
		size_t o = 0;

		norm = malloc(len + 1);
		if (!norm)
			return -ENOMEM;
		for (size_t i = 0; i < len; i++) {
			if (text[i] != '\r')
				norm[o++] = text[i];
			else if (i + 1 == len || text[i + 1] != '\n')
				norm[o++] = '\n';
		}
		text = norm;
		len = o;
	}
	rc = -ENOMEM;
	c = calloc(1, sizeof *c);
	if (!c)
		goto out_norm;
	c->caps = *caps;
	c->version = version;
	c->log = calloc(caps->max_log, sizeof *c->log);
	if (!c->log)
		goto out_free;
	rc = utext_init(&c->text, text, len, caps->max_doc_bytes);
	if (rc)
		goto out_free;
	free(norm);
	*out = c;
	return 0;
out_free:
	collab_free(c);
out_norm:
	free(norm);
	return rc;
}

void collab_free(struct collab *c)
{
	if (!c)
		return;
	if (c->log)
		for (size_t i = 0; i < c->count; i++)
			update_release(
			    &c->log[(c->head + i) % c->caps.max_log]);
	free(c->log);
	utext_release(&c->text);
	free(c);
}

/* ---- parsing a push ------------------------------------------------ */

static int check_client_id(const struct collab *c, const json_t *id)
{
	if (!json_is_string(id))
		return -EINVAL;
	if (json_string_length(id) > c->caps.max_client_id)
		return -E2BIG;
	if (strlen(json_string_value(id)) != json_string_length(id))
		return -EINVAL; /* a NUL inside */
	return 0;
}

static int parse_changes(const struct collab *c, const json_t *json,
			 struct changeset **cs)
{
	struct cs_limits lim = {
	    .max_sections = c->caps.max_changes,
	    .max_length = CS_POS_MAX,
	    .max_text = c->caps.max_doc_bytes,
	};
	int rc = cs_parse(json, &lim, cs);

	if (!rc && (*cs)->text_len &&
	    memchr((*cs)->text, '\r', (*cs)->text_len)) {
		cs_free(*cs);
		*cs = NULL;
		rc = -EINVAL;
	}
	return rc;
}

static void incoming_free(struct incoming *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cs_free(in[i].cs);
	free(in);
}

/* Parses the pushed array and checks that each update's changes start
 * from the length the previous one left (the first: length at version). */
static int parse_push(const struct collab *c, uint64_t version,
		      const json_t *updates, struct incoming **out, size_t *n)
{
	size_t count, length;
	struct incoming *in;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!json_is_array(updates))
		return -EINVAL;
	count = json_array_size(updates);
	if (count > c->caps.max_updates)
		return -E2BIG;
	in = calloc(count + 1, sizeof *in);
	if (!in)
		return -ENOMEM;
	length = length_at(c, version);
	for (size_t i = 0; i < count && !rc; i++) {
		const json_t *u = json_array_get(updates, i);
		const json_t *id = json_object_get(u, "clientID");

		if (!json_is_object(u)) {
			rc = -EINVAL;
			break;
		}
		rc = check_client_id(c, id);
		if (!rc)
			rc = parse_changes(c, json_object_get(u, "changes"),
					   &in[i].cs);
		if (rc)
			break;
		in[i].client_id = json_string_value(id);
		in[i].id_len = json_string_length(id);
		if (in[i].cs->length != length)
			rc = -EINVAL;
		length = in[i].cs->new_length;
	}
	if (rc) {
		incoming_free(in, count);
		return rc;
	}
	*out = in;
	*n = count;
	return 0;
}

/* ---- rebasing ------------------------------------------------------ */

/* *acc = f(*acc, x), freeing the old *acc if owned. */
static void acc_step(struct changeset **acc, bool *owned,
		     struct changeset *next)
{
	if (*owned)
		cs_free(*acc);
	*acc = next;
	*owned = true;
}

/*
 * rebaseUpdates(in, log since version): the leading updates whose
 * clientID matches the log entries in turn were accepted already and are
 * dropped (*skip of them); the rest are mapped over what was accepted
 * since, the accumulated changes being moved over each of them in turn.
 * mapped[i] for i >= *skip gets the result (in[i].cs itself, taken over,
 * when there is nothing to map over).
 */
static int rebase(const struct collab *c, uint64_t version, struct incoming *in,
		  size_t n, size_t *skip, struct changeset **mapped)
{
	struct changeset *acc = NULL, *next;
	bool owned = false;
	size_t k = 0;
	int rc = 0;

	for (uint64_t v = version; v < c->version && n; v++) {
		const struct collab_update *u = entry(c, v);

		if (k < n && in[k].id_len == strlen(u->client_id) &&
		    !memcmp(in[k].client_id, u->client_id, in[k].id_len)) {
			if (acc) {
				rc = cs_map_desc(acc, in[k].cs, true, &next);
				if (rc)
					goto out;
				acc_step(&acc, &owned, next);
			}
			k++;
		} else if (acc) {
			rc = cs_compose_desc(acc, u->changes, &next);
			if (rc)
				goto out;
			acc_step(&acc, &owned, next);
		} else {
			acc = u->changes;
		}
	}
	*skip = k;
	for (size_t i = k; i < n; i++) {
		if (!acc) {
			mapped[i] = in[i].cs;
			in[i].cs = NULL;
			continue;
		}
		rc = cs_map(in[i].cs, acc, false, &mapped[i]);
		if (rc)
			goto out;
		if (i + 1 < n) {
			rc = cs_map_desc(acc, in[i].cs, true, &next);
			if (rc)
				goto out;
			acc_step(&acc, &owned, next);
		}
	}
out:
	if (owned)
		cs_free(acc);
	return rc;
}

/* ---- pushing ------------------------------------------------------- */

void collab_pending_release(struct collab_pending *p)
{
	if (!p->committed) {
		for (size_t i = 0; i < p->n; i++)
			update_release(&p->updates[i]);
		utext_release(&p->text);
	}
	free(p->updates);
	memset(p, 0, sizeof *p);
}

/*
 * The common end of prepare and load_update: applies the rebased
 * changesets mapped[0..n) to the document and builds the pending updates
 * with the client IDs in[0..n). The changesets are taken over (and the
 * slots set to NULL), whatever the outcome.
 */
static int prepare_apply(struct collab *c, const struct incoming *in,
			 struct changeset **mapped, size_t n,
			 struct collab_pending *p)
{
	struct utext cur = {0}, next;
	const struct utext *from = &c->text;
	size_t i;
	int rc = 0;

	p->base = c->version;
	p->version = c->version + n;
	p->updates = calloc(n + 1, sizeof *p->updates);
	if (!p->updates) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (cs_empty(mapped[i]))
			continue;
		rc = cs_apply(mapped[i], from, c->caps.max_doc_bytes, &next);
		if (rc)
			goto out;
		utext_release(&cur);
		cur = next;
		from = &cur;
	}
	/* The updates take their changesets over, one by one. */
	for (i = 0; i < n; i++) {
		rc = update_make(&p->updates[i], in[i].client_id, in[i].id_len,
				 mapped[i]);
		mapped[i] = NULL;
		if (rc)
			goto out;
		p->n = i + 1;
	}
	/* cur.s == NULL when no update changed the text: commit keeps it. */
	p->text = cur;
	return 0;
out:
	utext_release(&cur);
	for (i = 0; i < n; i++) {
		cs_free(mapped[i]);
		mapped[i] = NULL;
	}
	collab_pending_release(p);
	return rc;
}

int collab_prepare(struct collab *c, uint64_t version, const json_t *updates,
		   struct collab_pending *p)
{
	struct changeset **mapped = NULL;
	struct incoming *in;
	size_t n, skip = 0;
	int rc;

	memset(p, 0, sizeof *p);
	if (c->busy)
		return -EBUSY;
	if (version > c->version || version < collab_oldest(c))
		return -ESTALE;
	rc = parse_push(c, version, updates, &in, &n);
	if (rc)
		return rc;
	mapped = calloc(n + 1, sizeof *mapped);
	if (!mapped) {
		rc = -ENOMEM;
		goto out;
	}
	rc = rebase(c, version, in, n, &skip, mapped);
	if (rc)
		goto out;
	rc = prepare_apply(c, in + skip, mapped + skip, n - skip, p);
	if (rc)
		goto out;
	c->busy = true;
out:
	if (mapped)
		for (size_t i = 0; i < n; i++)
			cs_free(mapped[i]);
	free(mapped);
	incoming_free(in, n);
	return rc;
}

static void evict_oldest(struct collab *c)
{
	struct collab_update *u = &c->log[c->head];

	c->log_bytes -= update_bytes(u);
	update_release(u);
	c->head = (c->head + 1) % c->caps.max_log;
	c->count--;
}

void collab_commit(struct collab *c, struct collab_pending *p)
{
	if (p->text.s) {
		utext_release(&c->text);
		c->text = p->text;
		memset(&p->text, 0, sizeof p->text);
	}
	for (size_t i = 0; i < p->n; i++) {
		struct collab_update *u;

		if (c->count == c->caps.max_log)
			evict_oldest(c);
		u = &c->log[(c->head + c->count) % c->caps.max_log];
		*u = p->updates[i];
		c->count++;
		c->log_bytes += update_bytes(u);
	}
	c->version += p->n;
	/* Memory: older entries go, the ones just committed stay. */
	while (c->log_bytes > c->caps.max_log_bytes && c->count > p->n)
		evict_oldest(c);
	p->committed = true;
	c->busy = false;
}

void collab_abort(struct collab *c, struct collab_pending *p)
{
	collab_pending_release(p);
	c->busy = false;
}

int collab_push(struct collab *c, uint64_t version, const json_t *updates,
		struct collab_pending *p)
{
	int rc = collab_prepare(c, version, updates, p);

	if (!rc)
		collab_commit(c, p);
	return rc;
}

/* ---- pulling ------------------------------------------------------- */

int collab_pull(const struct collab *c, uint64_t version, json_t **out)
{
	json_t *a;

	*out = NULL;
	if (version > c->version || version < collab_oldest(c))
		return -ESTALE;
	a = json_array();
	if (!a)
		return -ENOMEM;
	for (uint64_t v = version; v < c->version; v++) {
		if (json_array_append_new(a, collab_update_json(entry(c, v)))) {
			json_decref(a);
			return -ENOMEM;
		}
	}
	*out = a;
	return 0;
}

/* ---- loading ------------------------------------------------------- */

/* A stored update: client ID checked, changes parsed. */
static int load_parse(const struct collab *c, const char *client_id,
		      const char *changes_json, size_t len,
		      struct changeset **cs)
{
	json_t *id, *j;
	int rc;

	*cs = NULL;
	id = json_string(client_id);
	if (!id)
		return -EINVAL; /* not UTF-8 */
	rc = check_client_id(c, id);
	json_decref(id);
	if (rc)
		return rc;
	j = json_loadb(changes_json, len, JSON_ALLOW_NUL, NULL);
	if (!j)
		return -EINVAL;
	rc = parse_changes(c, j, cs);
	json_decref(j);
	return rc;
}

int collab_load_update(struct collab *c, uint64_t v, const char *client_id,
		       const char *changes_json, size_t len)
{
	struct collab_pending p;
	struct incoming in = {client_id, 0, NULL};
	struct changeset *cs;
	int rc;

	if (c->busy)
		return -EBUSY;
	if (v != c->version)
		return -EINVAL;
	rc = load_parse(c, client_id, changes_json, len, &cs);
	if (rc)
		return rc;
	if (cs->length != c->text.u16len) {
		cs_free(cs);
		return -EINVAL;
	}
	in.id_len = strlen(client_id);
	memset(&p, 0, sizeof p);
	rc = prepare_apply(c, &in, &cs, 1, &p);
	if (rc)
		return rc;
	collab_commit(c, &p);
	collab_pending_release(&p);
	return 0;
}

int collab_load_history(struct collab *c, uint64_t v, const char *client_id,
			const char *changes_json, size_t len)
{
	struct collab_update u;
	struct changeset *cs;
	uint64_t oldest = collab_oldest(c);
	size_t bytes;
	int rc;

	if (c->busy)
		return -EBUSY;
	if (oldest == 0 || v != oldest - 1)
		return -EINVAL;
	if (c->count == c->caps.max_log)
		return -E2BIG;
	rc = load_parse(c, client_id, changes_json, len, &cs);
	if (rc)
		return rc;
	if (cs->new_length != length_at(c, oldest)) {
		cs_free(cs);
		return -EINVAL;
	}
	rc = update_make(&u, client_id, strlen(client_id), cs);
	if (rc)
		return rc;
	bytes = update_bytes(&u);
	if (c->count && c->log_bytes + bytes > c->caps.max_log_bytes) {
		update_release(&u);
		return -E2BIG;
	}
	c->head = (c->head + c->caps.max_log - 1) % c->caps.max_log;
	c->log[c->head] = u;
	c->count++;
	c->log_bytes += bytes;
	return 0;
}

/* ---- selections ---------------------------------------------------- */

static size_t length_at_or_zero(const struct collab *c, uint64_t v)
{
	return v > c->version || v < collab_oldest(c) ? 0 : length_at(c, v);
}

int collab_map_selection(const struct collab *c, uint64_t version,
			 size_t *anchor, size_t *head)
{
	size_t len = length_at_or_zero(c, version);
	bool inverted = *head < *anchor;
	size_t from = inverted ? *head : *anchor;
	size_t to = inverted ? *anchor : *head;

	if (version > c->version || version < collab_oldest(c))
		return -ESTALE;
	if (*anchor > len || *head > len)
		return -EINVAL;
	/* As SelectionRange.map: an empty range maps with assoc -1, the ends
	 * of a non-empty one inwards (which can leave from > to when the
	 * range lay inside a replaced stretch; the library keeps it so). */
	for (uint64_t v = version; v < c->version; v++) {
		const struct changeset *cs = entry(c, v)->changes;

		if (from == to) {
			if (cs_map_pos(cs, from, -1, &from))
				return -EINVAL;
			to = from;
		} else if (cs_map_pos(cs, from, 1, &from) ||
			   cs_map_pos(cs, to, -1, &to)) {
			return -EINVAL;
		}
	}
	*anchor = inverted ? to : from;
	*head = inverted ? from : to;
	return 0;
}
