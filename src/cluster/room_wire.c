/*
 * room_wire.c - a room's data and events as bytes (pure; see the header).
 */
#include <errno.h>
#include <string.h>

#include "cluster/job.h"
#include "cluster/room_wire.h"
#include "cluster/wire.h"

static bool member_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n != ROOM_MEMBER_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool color_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return true;
	if (n != 7 || s[0] != '#')
		return false;
	for (size_t i = 1; i < 7; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int finish(struct wire_w *w, struct buf *b, size_t start)
{
	if (w->err)
		b->len = start;
	return w->err;
}

/* ---- log entries --------------------------------------------------------- */

int rw_log_encode(struct buf *b, const struct room_log_entry *e)
{
	struct wire_w w;
	size_t start = b->len;

	if (!e->client_id || strlen(e->client_id) > RW_CLIENT_MAX ||
	    !member_id_ok(e->member) || e->changes_len > RW_CHANGES_MAX ||
	    (e->changes_len && !e->changes))
		return -EINVAL;
	wire_w_init(&w, b);
	wire_put_u8(&w, 'L');
	wire_put_uv(&w, e->version);
	wire_put_str(&w, e->client_id);
	wire_put_str(&w, e->member);
	wire_put_bytes(&w, e->changes, e->changes_len);
	return finish(&w, b, start);
}

int rw_log_decode(const void *p, size_t n, struct room_log_entry *e)
{
	struct wire_r r;

	memset(e, 0, sizeof(*e));
	wire_r_init(&r, p, n);
	if (wire_get_u8(&r) != 'L')
		return -EINVAL;
	e->version = wire_get_uv(&r);
	e->client_id = wire_get_str(&r, RW_CLIENT_MAX);
	e->member = wire_get_str(&r, ROOM_MEMBER_ID_LEN);
	e->changes = wire_get_bytes(&r, &e->changes_len);
	if (!wire_r_done(&r) || !member_id_ok(e->member) ||
	    e->changes_len > RW_CHANGES_MAX)
		return -EINVAL;
	return 0;
}

/* ---- members -------------------------------------------------------------- */

static void put_member(struct wire_w *w, const struct room_member_record *m)
{
	wire_put_u8(w, 'M');
	wire_put_str(w, m->id);
	wire_put_str(w, m->name);
	wire_put_u8(w, (uint8_t)m->role);
	wire_put_str(w, m->color);
	wire_put_raw(w, m->token_hash, ROOM_HASH_LEN);
}

static bool member_ok(const struct room_member_record *m)
{
	return member_id_ok(m->id) && memchr(m->name, '\0', sizeof(m->name)) &&
	       memchr(m->color, '\0', sizeof(m->color)) && color_ok(m->color) &&
	       (unsigned)m->role <= ROOM_HOST;
}

static bool get_member(struct wire_r *r, struct room_member_record *m)
{
	const char *id, *name, *color;
	const unsigned char *h;
	uint8_t role;

	memset(m, 0, sizeof(*m));
	if (wire_get_u8(r) != 'M')
		return false;
	id = wire_get_str(r, ROOM_MEMBER_ID_LEN);
	name = wire_get_str(r, ROOM_NAME_MAX);
	role = wire_get_u8(r);
	color = wire_get_str(r, 7);
	if (r->bad || (size_t)(r->end - r->p) < ROOM_HASH_LEN || role > ROOM_HOST)
		return false;
	h = r->p;
	r->p += ROOM_HASH_LEN;
	memcpy(m->id, id, strlen(id) + 1);
	memcpy(m->name, name, strlen(name) + 1);
	memcpy(m->color, color, strlen(color) + 1);
	memcpy(m->token_hash, h, ROOM_HASH_LEN);
	m->role = (enum room_role)role;
	return member_ok(m);
}

int rw_member_encode(struct buf *b, const struct room_member_record *m)
{
	struct wire_w w;
	size_t start = b->len;

	if (!member_ok(m))
		return -EINVAL;
	wire_w_init(&w, b);
	put_member(&w, m);
	return finish(&w, b, start);
}

int rw_member_decode(const void *p, size_t n, struct room_member_record *m)
{
	struct wire_r r;

	wire_r_init(&r, p, n);
	if (!get_member(&r, m) || !wire_r_done(&r))
		return -EINVAL;
	return 0;
}

/* ---- chat lines ---------------------------------------------------------- */

int rw_chat_encode_rest(struct buf *rest, const struct room_chat_record *c)
{
	struct wire_w w;
	size_t start = rest->len;

	if (!member_id_ok(c->member) || !c->name ||
	    strlen(c->name) > ROOM_NAME_MAX || c->text_len > RW_TEXT_MAX ||
	    (c->text_len && !c->text))
		return -EINVAL;
	wire_w_init(&w, rest);
	wire_put_str(&w, c->member);
	wire_put_str(&w, c->name);
	wire_put_bytes(&w, c->text, c->text_len);
	wire_put_sv(&w, c->ts);
	return finish(&w, rest, start);
}

static bool get_chat(struct wire_r *r, struct room_chat_record *c)
{
	const char *member;
	uint64_t id = 0;

	memset(c, 0, sizeof(*c));
	if (wire_get_u8(r) != 'C' || (size_t)(r->end - r->p) < 8)
		return false;
	for (int i = 0; i < 8; i++)
		id = id << 8 | r->p[i];
	r->p += 8;
	c->id = id;
	member = wire_get_str(r, ROOM_MEMBER_ID_LEN);
	c->name = wire_get_str(r, ROOM_NAME_MAX);
	c->text = wire_get_bytes(r, &c->text_len);
	c->ts = wire_get_sv(r);
	if (r->bad || !member_id_ok(member) || c->text_len > RW_TEXT_MAX)
		return false;
	memcpy(c->member, member, ROOM_MEMBER_ID_LEN + 1);
	return true;
}

int rw_chat_decode(const void *p, size_t n, struct room_chat_record *c)
{
	struct wire_r r;

	wire_r_init(&r, p, n);
	if (!get_chat(&r, c) || !wire_r_done(&r))
		return -EINVAL;
	return 0;
}

/* ---- events --------------------------------------------------------------- */

int rw_updates_encode(struct buf *b, uint64_t from, const char *member,
		      const struct room_log_entry *e, size_t n)
{
	struct wire_w w;
	size_t start = b->len;

	if (!member_id_ok(member) || !n || n > ROOM_PUSH_MAX)
		return -EINVAL;
	wire_w_init(&w, b);
	wire_put_u8(&w, 'U');
	wire_put_uv(&w, from);
	wire_put_str(&w, member);
	wire_put_uv(&w, n);
	for (size_t i = 0; i < n; i++) {
		if (!e[i].client_id || strlen(e[i].client_id) > RW_CLIENT_MAX ||
		    e[i].changes_len > RW_CHANGES_MAX ||
		    (e[i].changes_len && !e[i].changes)) {
			w.err = -EINVAL;
			break;
		}
		wire_put_str(&w, e[i].client_id);
		wire_put_bytes(&w, e[i].changes, e[i].changes_len);
	}
	return finish(&w, b, start);
}

int rw_online_encode(struct buf *b, const char *gateway,
		     const struct room_member_record *m)
{
	struct wire_w w;
	size_t start = b->len;

	if (!gateway || !*gateway || strlen(gateway) > RW_NODE_MAX ||
	    !member_ok(m))
		return -EINVAL;
	wire_w_init(&w, b);
	wire_put_u8(&w, 'O');
	wire_put_str(&w, gateway);
	put_member(&w, m);
	return finish(&w, b, start);
}

int rw_offline_encode(struct buf *b, const char *gateway, const char *member)
{
	struct wire_w w;
	size_t start = b->len;

	if (!gateway || !*gateway || strlen(gateway) > RW_NODE_MAX ||
	    !member_id_ok(member))
		return -EINVAL;
	wire_w_init(&w, b);
	wire_put_u8(&w, 'F');
	wire_put_str(&w, gateway);
	wire_put_str(&w, member);
	return finish(&w, b, start);
}

int rw_presence_encode(struct buf *b, const char *member, bool has,
		       uint64_t version, uint64_t anchor, uint64_t head)
{
	struct wire_w w;
	size_t start = b->len;

	if (!member_id_ok(member))
		return -EINVAL;
	wire_w_init(&w, b);
	wire_put_u8(&w, 'P');
	wire_put_str(&w, member);
	wire_put_u8(&w, has);
	wire_put_uv(&w, version);
	wire_put_uv(&w, anchor);
	wire_put_uv(&w, head);
	return finish(&w, b, start);
}

int rw_run_encode(struct buf *b, const char *run, const char *member)
{
	struct wire_w w;
	size_t start = b->len;

	if (!job_id_valid(run) || !member_id_ok(member))
		return -EINVAL;
	wire_w_init(&w, b);
	wire_put_u8(&w, 'R');
	wire_put_str(&w, run);
	wire_put_str(&w, member);
	return finish(&w, b, start);
}

/* 'S': three NUL-terminated strings, as the Lua script writes them. */
static int get_settings(const char *p, const char *end, struct rw_event *ev)
{
	const char *f[3];

	for (int i = 0; i < 3; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul)
			return -EINVAL;
		f[i] = p;
		p = nul + 1;
	}
	if (p != end || strlen(f[0]) > ROOM_LANG_MAX ||
	    (strcmp(f[1], "0") && strcmp(f[1], "1")) ||
	    (*f[2] && !member_id_ok(f[2])))
		return -EINVAL;
	ev->language = f[0];
	ev->open_edit = f[1][0] == '1';
	ev->host = f[2];
	return 0;
}

int rw_event_decode(const void *p, size_t n, struct rw_event *ev)
{
	struct wire_r r;

	memset(ev, 0, sizeof(*ev));
	if (n < 1)
		return -EINVAL;
	ev->kind = *(const char *)p;
	wire_r_init(&r, p, n);
	switch (ev->kind) {
	case 'U':
		wire_get_u8(&r);
		ev->from = wire_get_uv(&r);
		ev->member = wire_get_str(&r, ROOM_MEMBER_ID_LEN);
		ev->n = (size_t)wire_get_uv_max(&r, ROOM_PUSH_MAX);
		if (r.bad || !ev->n || !member_id_ok(ev->member))
			return -EINVAL;
		for (size_t i = 0; i < ev->n; i++) {
			ev->u[i].client_id = wire_get_str(&r, RW_CLIENT_MAX);
			ev->u[i].changes = wire_get_bytes(&r, &ev->u[i].len);
			if (r.bad || ev->u[i].len > RW_CHANGES_MAX)
				return -EINVAL;
		}
		break;
	case 'C':
		if (!get_chat(&r, &ev->chat))
			return -EINVAL;
		break;
	case 'M':
		if (!get_member(&r, &ev->rec))
			return -EINVAL;
		break;
	case 'S':
		return get_settings((const char *)p + 1, (const char *)p + n, ev);
	case 'O':
		wire_get_u8(&r);
		ev->gateway = wire_get_str(&r, RW_NODE_MAX);
		if (r.bad || !*ev->gateway || !get_member(&r, &ev->rec))
			return -EINVAL;
		break;
	case 'F':
		wire_get_u8(&r);
		ev->gateway = wire_get_str(&r, RW_NODE_MAX);
		ev->member = wire_get_str(&r, ROOM_MEMBER_ID_LEN);
		if (r.bad || !*ev->gateway || !member_id_ok(ev->member))
			return -EINVAL;
		break;
	case 'P': {
		uint8_t has;
		wire_get_u8(&r);
		ev->member = wire_get_str(&r, ROOM_MEMBER_ID_LEN);
		has = wire_get_u8(&r);
		ev->version = wire_get_uv(&r);
		ev->anchor = wire_get_uv(&r);
		ev->head = wire_get_uv(&r);
		if (r.bad || has > 1 || !member_id_ok(ev->member))
			return -EINVAL;
		ev->has = has;
		break;
	}
	case 'R':
		wire_get_u8(&r);
		ev->run = wire_get_str(&r, JOB_ID_LEN);
		ev->member = wire_get_str(&r, ROOM_MEMBER_ID_LEN);
		if (r.bad || !job_id_valid(ev->run) || !member_id_ok(ev->member))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	return wire_r_done(&r) ? 0 : -EINVAL;
}
