/*
 * chat.c - a room's newest chat lines, and the checks on what members
 * say.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "room/chat.h"

int chat_ring_init(struct chat_ring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if (!cap)
		cap = 1;
	r->v = calloc(cap, sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	r->cap = cap;
	return 0;
}

static void line_free(struct room_chat_line *l)
{
	free(l->name);
	free(l->text);
	memset(l, 0, sizeof(*l));
}

void chat_ring_release(struct chat_ring *r)
{
	for (size_t i = 0; i < r->cap && r->v; i++)
		line_free(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

int chat_ring_push(struct chat_ring *r, uint64_t id, const char *member,
		   const char *name, const char *text, size_t text_len,
		   int64_t ts)
{
	char *n = strdup(name), *t = malloc(text_len + 1);
	struct room_chat_line *l;

	if (!n || !t) {
		free(n);
		free(t);
		return -ENOMEM;
	}
	memcpy(t, text, text_len);
	t[text_len] = '\0';
	if (r->n == r->cap) {
		l = &r->v[r->head];
		line_free(l);
		r->head = (r->head + 1) % r->cap;
	} else {
		l = &r->v[(r->head + r->n) % r->cap];
		r->n++;
	}
	l->id = id;
	strncpy(l->member, member, ROOM_MEMBER_ID_LEN);
	l->member[ROOM_MEMBER_ID_LEN] = '\0';
	l->name = n;
	l->text = t;
	l->text_len = text_len;
	l->ts = ts;
	return 0;
}

const struct room_chat_line *chat_ring_at(const struct chat_ring *r, size_t i)
{
	return i < r->n ? &r->v[(r->head + i) % r->cap] : NULL;
}

static bool is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The code point at s[*i] of valid UTF-8, moving *i past it. */
static uint32_t next_cp(const char *s, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s + *i;

	if (p[0] < 0x80) {
		*i += 1;
		return p[0];
	}
	if (p[0] < 0xe0) {
		*i += 2;
		return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	}
	if (p[0] < 0xf0) {
		*i += 3;
		return (uint32_t)(p[0] & 0x0f) << 12 |
		       (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	}
	*i += 4;
	return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
	       (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
}

/* C0 and C1 controls and DEL: terminal escapes (U+009B is a CSI). */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * What a name must not hold besides controls: characters that change the
 * order in which the text around them is shown, or that show nothing.
 * With them a member can look like another ("\u202EadA" shows as "Ada",
 * so does "Ada\u200B"), or name itself "Bob\u202Etxt.exe" and show as
 * "Bobexe.txt". The joiners (U+200C, U+200D) stay: emoji sequences and
 * Persian need them. (Look-alike letters of other scripts cannot be told
 * from real names; the member id and colour tell members apart.)
 */
static bool hides_text(uint32_t cp)
{
	return cp == 0x061c ||			/* arabic letter mark */
	       cp == 0x200b ||			/* zero width space */
	       cp == 0x200e || cp == 0x200f ||	/* LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) || /* separators, embeddings,
						     overrides */
	       (cp >= 0x2060 && cp <= 0x2069) || /* word joiner..isolates */
	       cp == 0xfeff ||			/* zero width no-break */
	       (cp >= 0xfff9 && cp <= 0xfffb);	/* interlinear annotation */
}

int chat_line_check(const char *text, size_t len, size_t max)
{
	bool any = false;

	if (len > max)
		return -E2BIG;
	if (utf8_valid_prefix(text, len) != len)
		return -EINVAL;
	for (size_t i = 0; i < len;) {
		uint32_t cp = next_cp(text, &i);
		bool space = cp < 0x80 && is_space((unsigned char)cp);
		if (is_control(cp) && !space)
			return -EINVAL;
		if (!space)
			any = true;
	}
	return any ? 0 : -EINVAL;
}

int chat_name_clean(const char *name, size_t len, char *out, size_t outlen)
{
	size_t chars = 0;

	while (len && is_space((unsigned char)*name))
		name++, len--;
	while (len && is_space((unsigned char)name[len - 1]))
		len--;
	if (!len || len >= outlen || len > ROOM_NAME_MAX ||
	    utf8_valid_prefix(name, len) != len)
		return -EINVAL;
	for (size_t i = 0; i < len; chars++) {
		uint32_t cp = next_cp(name, &i);
		if (is_control(cp) || hides_text(cp))
			return -EINVAL;
	}
	if (chars > 64)
		return -EINVAL;
	memcpy(out, name, len);
	out[len] = '\0';
	return 0;
}
