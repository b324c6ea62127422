/*
 * job.c - a run request as a job entry (pure).
 *
 * Layout (cluster/wire.h for the primitives):
 *   "CRJ" 0x02                       magic and version
 *   str id, str gateway, str lang
 *   u8 mode (0 tty, 1 pipes), u8 flags (1 batch, 2 keep_stdin,
 *                                       4 interactive, 8 usage)
 *   uv rows, uv cols
 *   limits, compile limits: 9 uv each (cpu, wall, memory, output,
 *                           output rate, output burst, tmpfs, pids,
 *                           nofile)
 *   uv nfiles, then per file: str name, uv mode, bytes data
 *   uv nargs, then per argument: str
 *   u8 has_flags [str flags]
 *   bytes stdin
 * Version 1 (still decoded) differs only in its flags (1 and 2 alone) and
 * its limits (7 uv each: no output rate, no output burst).
 */
#include <errno.h>
#include <string.h>

#include "cluster/job.h"
#include "cluster/wire.h"

#define MAGIC_LEN 3
static const char magic[MAGIC_LEN] = { 'C', 'R', 'J' };
#define VERSION 2

enum {
	FLAG_BATCH = 1, FLAG_KEEP_STDIN = 2,
	FLAG_V1 = FLAG_BATCH | FLAG_KEEP_STDIN,	/* all of version 1 */
	FLAG_INTERACTIVE = 4, FLAG_USAGE = 8,
};

bool job_id_valid(const char *s)
{
	if (!s)
		return false;
	for (int i = 0; i < JOB_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[JOB_ID_LEN] == '\0';
}

int job_from_request(const struct run_request *req, const char *id,
		     const char *gateway, struct job *j)
{
	memset(j, 0, sizeof(*j));
	if (!req->lang || (!req->code && !req->nfiles))
		return -EINVAL;
	j->id = id;
	j->gateway = gateway;
	j->lang = req->lang->id;
	j->mode = req->mode;
	j->batch = req->cls == RUN_BATCH;
	j->keep_stdin = req->keep_stdin;
	j->interactive = req->interactive;
	j->rows = req->rows;
	j->cols = req->cols;
	j->limits = req->limits;
	j->compile_limits = req->compile_limits;
	if (req->nfiles) {
		if (req->nfiles > JOB_FILES_MAX)
			return -EINVAL;
		for (size_t i = 0; i < req->nfiles; i++) {
			j->files[i] = req->files[i];
			if (i == 0 || !j->files[i].name)
				j->files[i].name = i ? NULL : "";
			if (i && !j->files[i].name)
				return -EINVAL;
		}
		j->nfiles = req->nfiles;
	} else {
		j->files[0] = (struct sandbox_file){
			.name = "", .data = req->code, .len = req->code_len,
			.mode = 0644,
		};
		j->nfiles = 1;
	}
	for (size_t i = 0; req->args && req->args[i]; i++) {
		if (i >= JOB_ARGS_MAX)
			return -EINVAL;
		j->args[i] = req->args[i];
		j->nargs = i + 1;
	}
	j->args[j->nargs] = NULL;
	j->compile_flags = req->compile_flags;
	if (req->mode == RUN_PIPES) {
		j->stdin_data = req->stdin_data;
		j->stdin_len = req->stdin_len;
	}
	return 0;
}

void job_to_request(const struct job *j, const struct lang *l,
		    struct run_request *req)
{
	memset(req, 0, sizeof(*req));
	req->lang = l;
	req->files = j->files;
	req->nfiles = j->nfiles;
	req->args = j->args;
	req->compile_flags = j->compile_flags;
	req->compile_limits = j->compile_limits;
	req->cls = j->batch ? RUN_BATCH : RUN_INTERACTIVE;
	req->stdin_data = j->stdin_data;
	req->stdin_len = j->stdin_len;
	req->keep_stdin = j->keep_stdin;
	req->interactive = j->interactive;
	req->mode = j->mode;
	req->rows = j->rows;
	req->cols = j->cols;
	req->limits = j->limits;
}

static void put_limits(struct wire_w *w, const struct limits *l)
{
	wire_put_uv(w, l->cpu_ms);
	wire_put_uv(w, l->wall_ms);
	wire_put_uv(w, l->memory_bytes);
	wire_put_uv(w, l->output_bytes);
	wire_put_uv(w, l->output_rate);
	wire_put_uv(w, l->output_burst);
	wire_put_uv(w, l->tmpfs_bytes);
	wire_put_uv(w, l->pids);
	wire_put_uv(w, l->nofile);
}

static void get_limits(struct wire_r *r, unsigned version,
		       struct limits *l)
{
	l->cpu_ms = wire_get_uv(r);
	l->wall_ms = wire_get_uv(r);
	l->memory_bytes = wire_get_uv(r);
	l->output_bytes = wire_get_uv(r);
	if (version >= 2) {
		l->output_rate = wire_get_uv(r);
		l->output_burst = wire_get_uv(r);
	}
	l->tmpfs_bytes = wire_get_uv(r);
	l->pids = (uint32_t)wire_get_uv_max(r, UINT32_MAX);
	l->nofile = (uint32_t)wire_get_uv_max(r, UINT32_MAX);
}

static bool str_ok(const char *s, size_t max)
{
	return s && strlen(s) <= max;
}

int job_encode(const struct job *j, struct buf *out)
{
	struct wire_w w;
	size_t start = out->len;

	if (!job_id_valid(j->id) || !str_ok(j->gateway, JOB_NAME_MAX) ||
	    !str_ok(j->lang, JOB_NAME_MAX) || !j->nfiles ||
	    j->nfiles > JOB_FILES_MAX || j->nargs > JOB_ARGS_MAX ||
	    (j->compile_flags && strlen(j->compile_flags) > JOB_FLAGS_MAX) ||
	    (j->mode != RUN_TTY && j->mode != RUN_PIPES))
		return -EINVAL;
	wire_w_init(&w, out);
	wire_put_raw(&w, magic, MAGIC_LEN);
	wire_put_u8(&w, VERSION);
	wire_put_str(&w, j->id);
	wire_put_str(&w, j->gateway);
	wire_put_str(&w, j->lang);
	wire_put_u8(&w, j->mode == RUN_PIPES);
	wire_put_u8(&w, (uint8_t)((j->batch ? FLAG_BATCH : 0) |
				  (j->keep_stdin ? FLAG_KEEP_STDIN : 0) |
				  (j->interactive ? FLAG_INTERACTIVE : 0) |
				  (j->usage ? FLAG_USAGE : 0)));
	wire_put_uv(&w, j->rows);
	wire_put_uv(&w, j->cols);
	put_limits(&w, &j->limits);
	put_limits(&w, &j->compile_limits);
	wire_put_uv(&w, j->nfiles);
	for (size_t i = 0; i < j->nfiles; i++) {
		const struct sandbox_file *f = &j->files[i];
		const char *name = f->name ? f->name : "";
		if (strlen(name) > JOB_NAME_MAX || (f->len && !f->data) ||
		    (i && !*name)) {
			w.err = -EINVAL;
			break;
		}
		wire_put_str(&w, name);
		wire_put_uv(&w, f->mode & 07777);
		wire_put_bytes(&w, f->data, f->len);
	}
	wire_put_uv(&w, j->nargs);
	for (size_t i = 0; i < j->nargs; i++) {
		if (!j->args[i]) {
			w.err = -EINVAL;
			break;
		}
		wire_put_str(&w, j->args[i]);
	}
	wire_put_u8(&w, j->compile_flags != NULL);
	if (j->compile_flags)
		wire_put_str(&w, j->compile_flags);
	wire_put_bytes(&w, j->stdin_data, j->stdin_len);
	if (!w.err && out->len - start > JOB_BYTES_MAX)
		w.err = -ENOBUFS;
	if (w.err)	/* leave out as it was */
		out->len = start;
	return w.err;
}

int job_decode(const void *p, size_t n, struct job *j)
{
	struct wire_r r;
	uint8_t mode, flags, version;

	memset(j, 0, sizeof(*j));
	if (n > JOB_BYTES_MAX || n < MAGIC_LEN + 1 ||
	    memcmp(p, magic, MAGIC_LEN))
		return -EINVAL;
	version = ((const uint8_t *)p)[MAGIC_LEN];
	if (version < 1 || version > VERSION)
		return -EINVAL;
	wire_r_init(&r, (const char *)p + MAGIC_LEN + 1, n - MAGIC_LEN - 1);
	j->id = wire_get_str(&r, JOB_ID_LEN);
	j->gateway = wire_get_str(&r, JOB_NAME_MAX);
	j->lang = wire_get_str(&r, JOB_NAME_MAX);
	mode = wire_get_u8(&r);
	flags = wire_get_u8(&r);
	if (mode > 1 || (flags & ~(version == 1 ? FLAG_V1 :
				   FLAG_V1 | FLAG_INTERACTIVE | FLAG_USAGE)))
		return -EINVAL;
	j->mode = mode ? RUN_PIPES : RUN_TTY;
	j->batch = flags & FLAG_BATCH;
	j->keep_stdin = flags & FLAG_KEEP_STDIN;
	j->interactive = flags & FLAG_INTERACTIVE;
	j->usage = flags & FLAG_USAGE;
	j->rows = (uint16_t)wire_get_uv_max(&r, UINT16_MAX);
	j->cols = (uint16_t)wire_get_uv_max(&r, UINT16_MAX);
	get_limits(&r, version, &j->limits);
	get_limits(&r, version, &j->compile_limits);
	j->nfiles = (size_t)wire_get_uv_max(&r, JOB_FILES_MAX);
	if (r.bad || !j->nfiles || !job_id_valid(j->id))
		return -EINVAL;
	for (size_t i = 0; i < j->nfiles; i++) {
		struct sandbox_file *f = &j->files[i];
		f->name = wire_get_str(&r, JOB_NAME_MAX);
		f->mode = (unsigned)wire_get_uv_max(&r, 07777);
		f->data = wire_get_bytes(&r, &f->len);
		if (r.bad || (i && !*f->name) || strchr(f->name, '/'))
			return -EINVAL;
	}
	j->nargs = (size_t)wire_get_uv_max(&r, JOB_ARGS_MAX);
	for (size_t i = 0; i < j->nargs && !r.bad; i++)
		j->args[i] = wire_get_str(&r, SIZE_MAX);
	j->args[j->nargs] = NULL;
	switch (wire_get_u8(&r)) {
	case 0: break;
	case 1: j->compile_flags = wire_get_str(&r, JOB_FLAGS_MAX); break;
	default: return -EINVAL;
	}
	j->stdin_data = wire_get_bytes(&r, &j->stdin_len);
	if (!wire_r_done(&r))
		return -EINVAL;
	return 0;
}
