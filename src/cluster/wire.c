/*
 * wire.c - varints, bytes and strings for the cluster's encodings (pure).
 */
#include <string.h>

#include "cluster/wire.h"

void wire_w_init(struct wire_w *w, struct buf *b)
{
	w->b = b;
	w->err = 0;
}

void wire_put_raw(struct wire_w *w, const void *p, size_t n)
{
	if (!w->err && n)
		w->err = buf_append(w->b, p, n);
}

void wire_put_u8(struct wire_w *w, uint8_t v)
{
	wire_put_raw(w, &v, 1);
}

void wire_put_uv(struct wire_w *w, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	wire_put_raw(w, tmp, n);
}

void wire_put_sv(struct wire_w *w, int64_t v)
{
	wire_put_uv(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void wire_put_bytes(struct wire_w *w, const void *p, size_t n)
{
	wire_put_uv(w, n);
	wire_put_raw(w, p, n);
}

void wire_put_str(struct wire_w *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	wire_put_uv(w, n + 1);
	wire_put_raw(w, s, n);
	wire_put_u8(w, 0);
}

void wire_r_init(struct wire_r *r, const void *p, size_t n)
{
	r->p = p;
	r->end = r->p + n;
	r->bad = false;
}

uint8_t wire_get_u8(struct wire_r *r)
{
	if (r->bad || r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

uint64_t wire_get_uv(struct wire_r *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 70; shift += 7) {
		if (r->bad || r->p >= r->end)
			break;
		unsigned char c = *r->p++;
		if (shift == 63 && (c & 0x7e)) /* more than 64 bits */
			break;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

int64_t wire_get_sv(struct wire_r *r)
{
	uint64_t u = wire_get_uv(r);

	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

uint64_t wire_get_uv_max(struct wire_r *r, uint64_t max)
{
	uint64_t v = wire_get_uv(r);

	if (v > max) {
		r->bad = true;
		return 0;
	}
	return v;
}

const char *wire_get_bytes(struct wire_r *r, size_t *n)
{
	uint64_t len = wire_get_uv(r);
	const char *p;

	*n = 0;
	if (r->bad || len > (uint64_t)(r->end - r->p)) {
		r->bad = true;
		return NULL;
	}
	p = (const char *)r->p;
	r->p += len;
	*n = (size_t)len;
	return p;
}

const char *wire_get_str(struct wire_r *r, size_t max)
{
	size_t n;
	const char *p = wire_get_bytes(r, &n);

	if (!p || n == 0 || n - 1 > max || p[n - 1] != '\0' ||
	    memchr(p, '\0', n - 1)) {
		r->bad = true;
		return NULL;
	}
	return p;
}

bool wire_r_done(const struct wire_r *r)
{
	return !r->bad && r->p == r->end;
}
