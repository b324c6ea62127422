/*
 * sb_proto.c - encode, decode and validate the library <-> spawner messages.
 *
 * Pure code: no syscalls. The decoder trusts nothing: every length is
 * checked against what is left before it is used, every count against its
 * bound, every string for embedded NULs.
 *
 * Spec encoding (little endian, native: both ends run the same binary):
 *   u32 magic, u8 tty, u16 rows, u16 cols, 7 x u64 limits,
 *   u32 argc, u32 envc, u32 nfiles,
 *   argc + envc x { u32 len, bytes },
 *   nfiles x { u32 namelen, name, u32 mode, u64 len, bytes },
 *   u32 ncollect, ncollect x { u32 len, bytes }, u64 collect_max
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/sb_proto.h"

int sb_msg_check(const struct sb_msg *m, size_t got, unsigned nfds)
{
	if (got < sizeof(*m) || m->magic != SB_MSG_MAGIC)
		return -EBADMSG;
	if (m->type < SB_MSG_HELLO || m->type >= SB_MSG_TYPE_MAX)
		return -EBADMSG;
	if (m->len != got - sizeof(*m) || m->nfds != nfds)
		return -EBADMSG;
	switch (m->type) {
	case SB_MSG_HELLO:
		return m->len == sizeof(struct sb_wire_features) && !nfds
			   ? 0
			   : -EBADMSG;
	case SB_MSG_SPAWN:
		return m->len == 0 && nfds == 1 ? 0 : -EBADMSG;
	case SB_MSG_KILL:
	case SB_MSG_PROBE:
	case SB_MSG_PROBED:
	case SB_MSG_USAGE:
	case SB_MSG_RUN_USAGE:
		return m->len == 0 && !nfds ? 0 : -EBADMSG;
	case SB_MSG_RUN_USAGE_REPORT:
		return m->len == sizeof(struct sb_wire_usage) && !nfds &&
			       (m->arg == 0 || m->arg == 1)
			   ? 0
			   : -EBADMSG;
	case SB_MSG_SIGNAL:
		return m->len == 0 && !nfds && m->arg > 0 && m->arg < 65
			   ? 0
			   : -EBADMSG;
	case SB_MSG_SPAWNED:
		if (m->len)
			return -EBADMSG;
		return nfds == (m->flags & 1 ? 1u : 3u) ? 0 : -EBADMSG;
	case SB_MSG_EXIT: /* flags & SB_EXIT_COLLECT: 1 fd, the memfd */
		return m->len == sizeof(struct sb_wire_result) &&
			       nfds == (m->flags & SB_EXIT_COLLECT ? 1u : 0u)
			   ? 0
			   : -EBADMSG;
	}
	return -EBADMSG;
}

bool sb_msg_is_request(uint16_t type)
{
	switch (type) {
	case SB_MSG_SPAWN:
	case SB_MSG_KILL:
	case SB_MSG_SIGNAL:
	case SB_MSG_PROBE:
	case SB_MSG_RUN_USAGE:
		return true;
	default:
		return false;
	}
}

bool sb_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > SB_MAX_NAME)
		return false;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return false;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	return true;
}

bool sb_exec_path_ok(const char *path)
{
	if (path[0] == '/')
		return true;
	return !strncmp(path, "./", 2) && sb_name_ok(path + 2, strlen(path + 2));
}

bool sandbox_path_ok(const char *path, size_t len)
{
	size_t start = 0, depth = 0;

	if (len == 0 || len > SANDBOX_PATH_MAX || memchr(path, '\0', len))
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && path[i] != '/') {
			unsigned char ch = (unsigned char)path[i];
			if (ch < 0x20 || ch == 0x7f)
				return false;
			continue;
		}
		if (!sb_name_ok(path + start, i - start))
			return false;
		if (i < len && ++depth > SANDBOX_DEPTH_MAX)
			return false;
		start = i + 1;
	}
	return true;
}

bool sandbox_paths_clash(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > lb) {
		const char *t = a;
		size_t tl = la;
		a = b, la = lb;
		b = t, lb = tl;
	}
	return !strncmp(a, b, la) && (lb == la || b[la] == '/');
}

/* --- encoding --------------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
	if (w->err)
		return;
	if (n > SB_MAX_SPEC_BYTES || w->len + n > SB_MAX_SPEC_BYTES) {
		w->err = -E2BIG;
		return;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *np = realloc(w->p, cap);
		if (!np) {
			w->err = -ENOMEM;
			return;
		}
		w->p = np;
		w->cap = cap;
	}
	if (n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void put_u8(struct wbuf *w, uint8_t v)
{
	put(w, &v, sizeof(v));
}

static void put_u16(struct wbuf *w, uint16_t v)
{
	put(w, &v, sizeof(v));
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	put(w, &v, sizeof(v));
}

static int count_strings(const char *const *v, size_t max, bool env,
			 uint32_t *n)
{
	size_t i;

	if (!v)
		return -EINVAL;
	for (i = 0; v[i]; i++) {
		if (i >= max)
			return -E2BIG;
		size_t len = strlen(v[i]);
		if (len > SB_MAX_STRING)
			return -E2BIG;
		if (env && (len == 0 || v[i][0] == '=' || !strchr(v[i], '=')))
			return -EINVAL;
	}
	*n = (uint32_t)i;
	return 0;
}

int sb_spec_encode(const struct sandbox_spec *spec, uint8_t **out,
		   size_t *outlen)
{
	struct wbuf w = {0};
	uint32_t argc, envc, ncollect;
	size_t i, total = 0;
	int r;

	*out = NULL;
	*outlen = 0;
	if (!spec)
		return -EINVAL;
	r = count_strings(spec->argv, SB_MAX_ARGS, false, &argc);
	if (r)
		return r;
	if (argc == 0 || !sb_exec_path_ok(spec->argv[0]))
		return -EINVAL;
	r = count_strings(spec->envp, SB_MAX_ENVS, true, &envc);
	if (r)
		return r;
	if (spec->nfiles > SB_MAX_FILES)
		return -E2BIG;
	if (spec->nfiles && !spec->files)
		return -EINVAL;
	for (i = 0; i < spec->nfiles; i++) {
		const struct sandbox_file *f = &spec->files[i];
		if (!f->name || !sandbox_path_ok(f->name, strlen(f->name)))
			return -EINVAL;
		if (f->mode & ~0777u)
			return -EINVAL;
		if (f->len && !f->data)
			return -EINVAL;
		if (f->len > SB_MAX_FILE_BYTES ||
		    (total += f->len) > SB_MAX_FILE_BYTES)
			return -E2BIG;
	}
	ncollect = 0;
	if (spec->collect) {
		r = count_strings(spec->collect, SB_MAX_COLLECT, false,
				  &ncollect);
		if (r)
			return r;
	}

	put_u32(&w, SB_SPEC_MAGIC);
	put_u8(&w, spec->tty ? 1 : 0);
	put_u16(&w, spec->rows);
	put_u16(&w, spec->cols);
	put_u64(&w, spec->limits.memory_bytes);
	put_u64(&w, spec->limits.pids);
	put_u64(&w, spec->limits.nofile);
	put_u64(&w, spec->limits.fsize_bytes);
	put_u64(&w, spec->limits.tmpfs_bytes);
	put_u64(&w, spec->limits.cpu_ms);
	put_u64(&w, spec->limits.wall_ms);
	put_u32(&w, spec->limits.cpu_weight);
	put_u32(&w, argc);
	put_u32(&w, envc);
	put_u32(&w, (uint32_t)spec->nfiles);
	for (i = 0; i < argc; i++) {
		size_t len = strlen(spec->argv[i]);
		put_u32(&w, (uint32_t)len);
		put(&w, spec->argv[i], len);
	}
	for (i = 0; i < envc; i++) {
		size_t len = strlen(spec->envp[i]);
		put_u32(&w, (uint32_t)len);
		put(&w, spec->envp[i], len);
	}
	for (i = 0; i < spec->nfiles; i++) {
		const struct sandbox_file *f = &spec->files[i];
		size_t len = strlen(f->name);
		put_u32(&w, (uint32_t)len);
		put(&w, f->name, len);
		put_u32(&w, f->mode);
		put_u64(&w, f->len);
		put(&w, f->data, f->len);
	}
	put_u32(&w, ncollect);
	for (i = 0; i < ncollect; i++) {
		size_t len = strlen(spec->collect[i]);
		put_u32(&w, (uint32_t)len);
		put(&w, spec->collect[i], len);
	}
	put_u64(&w, spec->collect_max);
	if (w.err) {
		free(w.p);
		return w.err;
	}
	*out = w.p;
	*outlen = w.len;
	return 0;
}

/* --- decoding --------------------------------------------------------- */

struct rbuf {
	const uint8_t *p;
	size_t left;
	int err;
};

static void get(struct rbuf *r, void *dst, size_t n)
{
	if (r->err)
		return;
	if (n > r->left) {
		r->err = -EBADMSG;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
}

static uint8_t get_u8(struct rbuf *r)
{
	uint8_t v = 0;
	get(r, &v, sizeof(v));
	return v;
}

static uint16_t get_u16(struct rbuf *r)
{
	uint16_t v = 0;
	get(r, &v, sizeof(v));
	return v;
}

static uint32_t get_u32(struct rbuf *r)
{
	uint32_t v = 0;
	get(r, &v, sizeof(v));
	return v;
}

static uint64_t get_u64(struct rbuf *r)
{
	uint64_t v = 0;
	get(r, &v, sizeof(v));
	return v;
}

/* Points *p at 'n' bytes of the input, or fails. */
static const uint8_t *take(struct rbuf *r, uint64_t n)
{
	const uint8_t *p;

	if (r->err)
		return NULL;
	if (n > r->left) {
		r->err = -EBADMSG;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static char *get_string(struct rbuf *r, size_t max)
{
	uint32_t len = get_u32(r);
	const uint8_t *p;
	char *s;

	if (r->err)
		return NULL;
	if (len > max) {
		r->err = -E2BIG;
		return NULL;
	}
	p = take(r, len);
	if (!p)
		return NULL;
	if (memchr(p, '\0', len)) {
		r->err = -EBADMSG;
		return NULL;
	}
	s = malloc((size_t)len + 1);
	if (!s) {
		r->err = -ENOMEM;
		return NULL;
	}
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static char **get_strings(struct rbuf *r, uint32_t n, bool env)
{
	char **v = calloc((size_t)n + 1, sizeof(*v));
	uint32_t i;

	if (!v) {
		r->err = -ENOMEM;
		return NULL;
	}
	for (i = 0; i < n && !r->err; i++) {
		v[i] = get_string(r, SB_MAX_STRING);
		if (v[i] && env && (v[i][0] == '=' || !strchr(v[i], '=')))
			r->err = -EBADMSG;
	}
	return v;
}

static void free_strings(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static int spec_decode(const uint8_t *buf, size_t len, struct sb_spec *spec,
		       bool head_only)
{
	struct rbuf r = {.p = buf, .left = len};
	uint32_t argc, envc, nfiles, i;
	uint64_t total = 0, v;

	memset(spec, 0, sizeof(*spec));
	if (len > SB_MAX_SPEC_BYTES)
		return -E2BIG;
	if (get_u32(&r) != SB_SPEC_MAGIC)
		return -EBADMSG;
	spec->tty = get_u8(&r) != 0;
	spec->rows = get_u16(&r);
	spec->cols = get_u16(&r);
	spec->limits.memory_bytes = get_u64(&r);
	v = get_u64(&r);
	spec->limits.pids = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	v = get_u64(&r);
	spec->limits.nofile = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	spec->limits.fsize_bytes = get_u64(&r);
	spec->limits.tmpfs_bytes = get_u64(&r);
	spec->limits.cpu_ms = get_u64(&r);
	spec->limits.wall_ms = get_u64(&r);
	spec->limits.cpu_weight = get_u32(&r);
	if (spec->limits.cpu_weight > SB_MAX_CPU_WEIGHT)
		spec->limits.cpu_weight = SB_MAX_CPU_WEIGHT;
	argc = get_u32(&r);
	envc = get_u32(&r);
	nfiles = get_u32(&r);
	if (r.err)
		return r.err;
	if (argc == 0 || argc > SB_MAX_ARGS || envc > SB_MAX_ENVS ||
	    nfiles > SB_MAX_FILES)
		return -EBADMSG;

	spec->argv = get_strings(&r, argc, false);
	if (!r.err)
		spec->envp = get_strings(&r, envc, true);
	if (!r.err && !sb_exec_path_ok(spec->argv[0]))
		r.err = -EBADMSG;
	if (!r.err && head_only)
		return 0;
	if (!r.err) {
		spec->files = calloc(nfiles ? nfiles : 1, sizeof(*spec->files));
		if (!spec->files)
			r.err = -ENOMEM;
	}
	for (i = 0; i < nfiles && !r.err; i++) {
		struct sb_file *f = &spec->files[i];
		const uint8_t *data;

		spec->nfiles = i + 1;
		f->name = get_string(&r, SANDBOX_PATH_MAX);
		if (r.err)
			break;
		if (!sandbox_path_ok(f->name, strlen(f->name))) {
			r.err = -EBADMSG;
			break;
		}
		for (uint32_t j = 0; j < i; j++)
			if (sandbox_paths_clash(spec->files[j].name, f->name))
				r.err = -EBADMSG;
		f->mode = get_u32(&r);
		if (f->mode & ~0777u)
			r.err = -EBADMSG;
		v = get_u64(&r);
		if (r.err)
			break;
		if (v > SB_MAX_FILE_BYTES || (total += v) > SB_MAX_FILE_BYTES) {
			r.err = -E2BIG;
			break;
		}
		data = take(&r, v);
		if (!data)
			break;
		f->len = (size_t)v;
		f->data = malloc(f->len ? f->len : 1);
		if (!f->data) {
			r.err = -ENOMEM;
			break;
		}
		memcpy(f->data, data, f->len);
	}
	if (!r.err) {
		uint32_t ncollect = get_u32(&r);
		if (!r.err && ncollect > SB_MAX_COLLECT)
			r.err = -EBADMSG;
		if (!r.err && ncollect) {
			spec->collect = get_strings(&r, ncollect, false);
			for (i = 0; !r.err && i < ncollect; i++)
				if (!spec->collect[i][0])
					r.err = -EBADMSG;
		}
		spec->collect_max = get_u64(&r);
	}
	if (!r.err && r.left)
		r.err = -EBADMSG; /* trailing garbage */
	if (r.err) {
		sb_spec_release(spec);
		return r.err;
	}
	return 0;
}

int sb_spec_decode(const uint8_t *buf, size_t len, struct sb_spec *spec)
{
	return spec_decode(buf, len, spec, false);
}

int sb_spec_decode_head(const uint8_t *buf, size_t len, struct sb_spec *spec)
{
	return spec_decode(buf, len, spec, true);
}

void sb_spec_release(struct sb_spec *spec)
{
	free_strings(spec->argv);
	free_strings(spec->envp);
	free_strings(spec->collect);
	for (size_t i = 0; i < spec->nfiles; i++) {
		free(spec->files[i].name);
		free(spec->files[i].data);
	}
	free(spec->files);
	memset(spec, 0, sizeof(*spec));
}

void sb_result_to_wire(const struct sandbox_result *r, struct sb_wire_result *w)
{
	memset(w, 0, sizeof(*w));
	w->status = r->status;
	w->error = r->error;
	w->killed = r->killed;
	w->hit = (uint32_t)r->hit;
	w->cpu_ms = r->cpu_ms;
	w->wall_ms = r->wall_ms;
	w->memory_peak = r->memory_peak;
	w->collect_overflow = r->collect_overflow;
	memcpy(w->message, r->message, sizeof(w->message));
	w->message[sizeof(w->message) - 1] = '\0';
}

void sb_result_from_wire(const struct sb_wire_result *w,
			 struct sandbox_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = w->status;
	r->error = w->error > 0 ? -w->error : w->error;
	r->killed = w->killed != 0;
	r->hit = w->hit <= SANDBOX_HIT_PIDS ? (enum sandbox_limit_hit)w->hit
					    : SANDBOX_HIT_NONE;
	r->cpu_ms = w->cpu_ms;
	r->wall_ms = w->wall_ms;
	r->memory_peak = w->memory_peak;
	r->collect_overflow = w->collect_overflow != 0;
	memcpy(r->message, w->message, sizeof(r->message));
	r->message[sizeof(r->message) - 1] = '\0';
	r->collect_fd = -1;
}

int sandbox_collect_parse(const void *p, size_t len,
			  struct sandbox_file *files, size_t max)
{
	struct rbuf r = {.p = p, .left = len};
	size_t n = 0;

	while (r.left) {
		uint32_t namelen = get_u32(&r), mode = get_u32(&r);
		uint64_t dlen = get_u64(&r);
		const uint8_t *name, *data;

		if (r.err || namelen > SB_MAX_NAME || (mode & ~0777u) ||
		    n == max)
			return -EBADMSG;
		name = take(&r, (uint64_t)namelen + 1);
		if (!name || name[namelen] ||
		    !sb_name_ok((const char *)name, namelen) ||
		    memchr(name, 0, namelen))
			return -EBADMSG;
		data = take(&r, dlen);
		if (!data && dlen)
			return -EBADMSG;
		if (r.err)
			return -EBADMSG;
		files[n++] = (struct sandbox_file){.name = (const char *)name,
						   .data = data,
						   .len = (size_t)dlen,
						   .mode = mode};
	}
	return (int)n;
}
