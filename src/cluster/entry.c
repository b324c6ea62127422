/*
 * entry.c - run events and control entries as bytes (pure).
 *
 * Every entry starts with one magic byte ('E' an event, 'C' a control
 * entry) and its type; then the payload (cluster/wire.h primitives):
 *   claimed  str worker
 *   stage    u8 step
 *   output   u8 stream, uv offset, bytes data
 *   state    u8 state, u8 canonical, uv input_done
 *   exit     result
 *   usage    u8 step, uv cpu_ms, uv wall_ms, uv memory_bytes,
 *            uv memory_peak, uv pids
 *   control: str run, then input: bytes | eof: - | resize: uv rows, uv
 *            cols | kill: u8 reason | signal: uv sig | ack: str gateway,
 *            uv offset | bye: str gateway | usage: -
 * A result: the main step (u8 status, sv exit code, uv signal, uv wall,
 * cpu, memory, uv stdout bytes, uv stderr bytes, u8 truncated bits, str
 * message), u8 flags (compiled, compile_cached, compile_ran, ran), then
 * the compile step in the same shape.
 */
#include <errno.h>
#include <string.h>

#include "cluster/entry.h"
#include "cluster/job.h"
#include "cluster/wire.h"

enum { MAGIC_EVENT = 'E', MAGIC_CTL = 'C' };
enum { F_COMPILED = 1, F_CACHED = 2, F_COMPILE_RAN = 4, F_RAN = 8 };

#define MESSAGE_MAX 255

/* ---- results ------------------------------------------------------------ */

static void put_step(struct wire_w *w, enum run_status status, int code,
		     int sig, uint64_t wall, uint64_t cpu, uint64_t mem,
		     const uint64_t bytes[3], const bool trunc[3],
		     const char *message)
{
	wire_put_u8(w, (uint8_t)status);
	wire_put_sv(w, code);
	wire_put_uv(w, (uint64_t)(sig < 0 ? 0 : sig));
	wire_put_uv(w, wall);
	wire_put_uv(w, cpu);
	wire_put_uv(w, mem);
	wire_put_uv(w, bytes[RUN_STDOUT]);
	wire_put_uv(w, bytes[RUN_STDERR]);
	wire_put_u8(w, (uint8_t)((trunc[RUN_STDOUT] ? 1 : 0) |
				 (trunc[RUN_STDERR] ? 2 : 0)));
	wire_put_str(w, message);
}

/* One step's fields; false when malformed. */
static bool get_step(struct wire_r *r, enum run_status *status, int *code,
		     int *sig, uint64_t *wall, uint64_t *cpu, uint64_t *mem,
		     uint64_t bytes[3], bool trunc[3], char *message,
		     size_t msglen)
{
	uint8_t st = wire_get_u8(r);
	int64_t c = wire_get_sv(r);
	uint64_t s = wire_get_uv_max(r, 64);
	uint8_t t;
	const char *m;

	*wall = wire_get_uv(r);
	*cpu = wire_get_uv(r);
	*mem = wire_get_uv(r);
	bytes[0] = 0;
	bytes[RUN_STDOUT] = wire_get_uv(r);
	bytes[RUN_STDERR] = wire_get_uv(r);
	t = wire_get_u8(r);
	m = wire_get_str(r, MESSAGE_MAX);
	if (r->bad || st > ENTRY_STATUS_MAX || c < -1 || c > 255 || t > 3 ||
	    strlen(m) >= msglen)
		return false;
	*status = (enum run_status)st;
	*code = (int)c;
	*sig = (int)s;
	trunc[0] = false;
	trunc[RUN_STDOUT] = t & 1;
	trunc[RUN_STDERR] = t & 2;
	memcpy(message, m, strlen(m) + 1);
	return true;
}

static void put_result(struct wire_w *w, const struct run_result *res)
{
	const struct run_step_result *c = &res->compile;

	put_step(w, res->status, res->exit_code, res->signal, res->wall_ms,
		 res->cpu_ms, res->memory_bytes, res->bytes, res->truncated,
		 res->message);
	wire_put_u8(w, (uint8_t)((res->compiled ? F_COMPILED : 0) |
				 (res->compile_cached ? F_CACHED : 0) |
				 (res->compile_ran ? F_COMPILE_RAN : 0) |
				 (res->ran ? F_RAN : 0)));
	put_step(w, c->status, c->exit_code, c->signal, c->wall_ms, c->cpu_ms,
		 c->memory_bytes, c->bytes, c->truncated, c->message);
}

static bool get_result(struct wire_r *r, struct run_result *res)
{
	struct run_step_result *c = &res->compile;
	uint8_t f;

	memset(res, 0, sizeof(*res));
	if (!get_step(r, &res->status, &res->exit_code, &res->signal,
		      &res->wall_ms, &res->cpu_ms, &res->memory_bytes,
		      res->bytes, res->truncated, res->message,
		      sizeof(res->message)))
		return false;
	f = wire_get_u8(r);
	if (f & ~(F_COMPILED | F_CACHED | F_COMPILE_RAN | F_RAN))
		return false;
	res->compiled = f & F_COMPILED;
	res->compile_cached = f & F_CACHED;
	res->compile_ran = f & F_COMPILE_RAN;
	res->ran = f & F_RAN;
	return get_step(r, &c->status, &c->exit_code, &c->signal, &c->wall_ms,
			&c->cpu_ms, &c->memory_bytes, c->bytes, c->truncated,
			c->message, sizeof(c->message));
}

static bool result_ok(const struct run_result *res)
{
	return (unsigned)res->status <= ENTRY_STATUS_MAX &&
	       (unsigned)res->compile.status <= ENTRY_STATUS_MAX &&
	       res->exit_code >= -1 && res->exit_code <= 255 &&
	       res->compile.exit_code >= -1 && res->compile.exit_code <= 255 &&
	       res->signal >= 0 && res->signal <= 64 &&
	       res->compile.signal >= 0 && res->compile.signal <= 64 &&
	       memchr(res->message, '\0', sizeof(res->message)) &&
	       memchr(res->compile.message, '\0', sizeof(res->compile.message)) &&
	       strlen(res->message) <= MESSAGE_MAX &&
	       strlen(res->compile.message) <= MESSAGE_MAX;
}

int result_encode(const struct run_result *res, struct buf *out)
{
	struct wire_w w;
	size_t start = out->len;

	if (!result_ok(res))
		return -EINVAL;
	wire_w_init(&w, out);
	put_result(&w, res);
	if (w.err)
		out->len = start;
	return w.err;
}

int result_decode(const void *p, size_t n, struct run_result *res)
{
	struct wire_r r;

	wire_r_init(&r, p, n);
	if (!get_result(&r, res) || !wire_r_done(&r))
		return -EINVAL;
	return 0;
}

/* ---- run events --------------------------------------------------------- */

int event_encode(const struct run_event *ev, struct buf *out)
{
	struct wire_w w;
	size_t start = out->len;

	wire_w_init(&w, out);
	wire_put_u8(&w, MAGIC_EVENT);
	wire_put_u8(&w, (uint8_t)ev->type);
	switch (ev->type) {
	case EVENT_CLAIMED:
		if (!ev->worker || strlen(ev->worker) > ENTRY_NODE_MAX ||
		    !*ev->worker)
			w.err = -EINVAL;
		wire_put_str(&w, ev->worker);
		break;
	case EVENT_STAGE:
		if (ev->step != RUN_STEP_COMPILE && ev->step != RUN_STEP_RUN)
			w.err = -EINVAL;
		wire_put_u8(&w, (uint8_t)ev->step);
		break;
	case EVENT_OUTPUT:
		if ((ev->stream != RUN_STDOUT && ev->stream != RUN_STDERR) ||
		    ev->len > ENTRY_DATA_MAX || (ev->len && !ev->data))
			w.err = -EINVAL;
		wire_put_u8(&w, (uint8_t)ev->stream);
		wire_put_uv(&w, ev->offset);
		wire_put_bytes(&w, ev->data, ev->len);
		break;
	case EVENT_STATE:
		if (ev->state != RUN_RUNNING && ev->state != RUN_WAITING)
			w.err = -EINVAL;
		wire_put_u8(&w, (uint8_t)ev->state);
		wire_put_u8(&w, ev->canonical);
		wire_put_uv(&w, ev->input_done);
		break;
	case EVENT_EXIT:
		if (!result_ok(&ev->result))
			w.err = -EINVAL;
		put_result(&w, &ev->result);
		break;
	case EVENT_USAGE:
		if (ev->usage.step != RUN_STEP_COMPILE &&
		    ev->usage.step != RUN_STEP_RUN)
			w.err = -EINVAL;
		wire_put_u8(&w, (uint8_t)ev->usage.step);
		wire_put_uv(&w, ev->usage.cpu_ms);
		wire_put_uv(&w, ev->usage.wall_ms);
		wire_put_uv(&w, ev->usage.memory_bytes);
		wire_put_uv(&w, ev->usage.memory_peak);
		wire_put_uv(&w, ev->usage.pids);
		break;
	default:
		w.err = -EINVAL;
	}
	if (w.err)
		out->len = start;
	return w.err;
}

int event_decode(const void *p, size_t n, struct run_event *ev)
{
	struct wire_r r;
	uint8_t v;

	memset(ev, 0, sizeof(*ev));
	wire_r_init(&r, p, n);
	if (wire_get_u8(&r) != MAGIC_EVENT)
		return -EINVAL;
	ev->type = (enum event_type)wire_get_u8(&r);
	switch (ev->type) {
	case EVENT_CLAIMED:
		ev->worker = wire_get_str(&r, ENTRY_NODE_MAX);
		if (ev->worker && !*ev->worker)
			return -EINVAL;
		break;
	case EVENT_STAGE:
		v = wire_get_u8(&r);
		if (v != RUN_STEP_COMPILE && v != RUN_STEP_RUN)
			return -EINVAL;
		ev->step = (enum run_step)v;
		break;
	case EVENT_OUTPUT:
		v = wire_get_u8(&r);
		if (v != RUN_STDOUT && v != RUN_STDERR)
			return -EINVAL;
		ev->stream = (enum run_stream)v;
		ev->offset = wire_get_uv(&r);
		ev->data = wire_get_bytes(&r, &ev->len);
		if (ev->len > ENTRY_DATA_MAX)
			return -EINVAL;
		break;
	case EVENT_STATE:
		v = wire_get_u8(&r);
		if (v != RUN_RUNNING && v != RUN_WAITING)
			return -EINVAL;
		ev->state = (enum run_state)v;
		v = wire_get_u8(&r);
		if (v > 1)
			return -EINVAL;
		ev->canonical = v;
		ev->input_done = wire_get_uv(&r);
		break;
	case EVENT_EXIT:
		if (!get_result(&r, &ev->result))
			return -EINVAL;
		break;
	case EVENT_USAGE:
		v = wire_get_u8(&r);
		if (v != RUN_STEP_COMPILE && v != RUN_STEP_RUN)
			return -EINVAL;
		ev->usage.step = (enum run_step)v;
		ev->usage.cpu_ms = wire_get_uv(&r);
		ev->usage.wall_ms = wire_get_uv(&r);
		ev->usage.memory_bytes = wire_get_uv(&r);
		ev->usage.memory_peak = wire_get_uv(&r);
		ev->usage.pids = (uint32_t)wire_get_uv_max(&r, UINT32_MAX);
		break;
	default:
		return -EINVAL;
	}
	return wire_r_done(&r) ? 0 : -EINVAL;
}

/* ---- control entries ---------------------------------------------------- */

static bool node_ok(const char *s)
{
	return s && *s && strlen(s) <= ENTRY_NODE_MAX;
}

int ctl_encode(const struct ctl *c, struct buf *out)
{
	struct wire_w w;
	size_t start = out->len;

	if (!job_id_valid(c->run))
		return -EINVAL;
	wire_w_init(&w, out);
	wire_put_u8(&w, MAGIC_CTL);
	wire_put_u8(&w, (uint8_t)c->type);
	wire_put_str(&w, c->run);
	switch (c->type) {
	case CTL_INPUT:
		if (c->len > ENTRY_DATA_MAX || (c->len && !c->data))
			w.err = -EINVAL;
		wire_put_bytes(&w, c->data, c->len);
		break;
	case CTL_EOF:
	case CTL_USAGE:
		break;
	case CTL_RESIZE:
		if (!c->rows || !c->cols || c->rows > 1000 || c->cols > 1000)
			w.err = -EINVAL;
		wire_put_uv(&w, c->rows);
		wire_put_uv(&w, c->cols);
		break;
	case CTL_KILL:
		if ((unsigned)c->reason > RUN_KILL_SHUTDOWN)
			w.err = -EINVAL;
		wire_put_u8(&w, (uint8_t)c->reason);
		break;
	case CTL_SIGNAL:
		if (c->sig < 1 || c->sig > 64)
			w.err = -EINVAL;
		wire_put_uv(&w, (uint64_t)c->sig);
		break;
	case CTL_ACK:
		if (!node_ok(c->gateway))
			w.err = -EINVAL;
		wire_put_str(&w, c->gateway);
		wire_put_uv(&w, c->offset);
		break;
	case CTL_BYE:
		if (!node_ok(c->gateway))
			w.err = -EINVAL;
		wire_put_str(&w, c->gateway);
		break;
	default:
		w.err = -EINVAL;
	}
	if (w.err)
		out->len = start;
	return w.err;
}

int ctl_decode(const void *p, size_t n, struct ctl *c)
{
	struct wire_r r;
	uint64_t v;

	memset(c, 0, sizeof(*c));
	wire_r_init(&r, p, n);
	if (wire_get_u8(&r) != MAGIC_CTL)
		return -EINVAL;
	c->type = (enum ctl_type)wire_get_u8(&r);
	c->run = wire_get_str(&r, JOB_ID_LEN);
	if (r.bad || !job_id_valid(c->run))
		return -EINVAL;
	switch (c->type) {
	case CTL_INPUT:
		c->data = wire_get_bytes(&r, &c->len);
		if (c->len > ENTRY_DATA_MAX)
			return -EINVAL;
		break;
	case CTL_EOF:
	case CTL_USAGE:
		break;
	case CTL_RESIZE:
		c->rows = (uint16_t)wire_get_uv_max(&r, 1000);
		c->cols = (uint16_t)wire_get_uv_max(&r, 1000);
		if (!r.bad && (!c->rows || !c->cols))
			return -EINVAL;
		break;
	case CTL_KILL:
		v = wire_get_u8(&r);
		if (v > RUN_KILL_SHUTDOWN)
			return -EINVAL;
		c->reason = (enum run_kill_reason)v;
		break;
	case CTL_SIGNAL:
		v = wire_get_uv_max(&r, 64);
		if (!r.bad && v < 1)
			return -EINVAL;
		c->sig = (int)v;
		break;
	case CTL_ACK:
		c->gateway = wire_get_str(&r, ENTRY_NODE_MAX);
		c->offset = wire_get_uv(&r);
		if (c->gateway && !*c->gateway)
			return -EINVAL;
		break;
	case CTL_BYE:
		c->gateway = wire_get_str(&r, ENTRY_NODE_MAX);
		if (c->gateway && !*c->gateway)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	return wire_r_done(&r) ? 0 : -EINVAL;
}
