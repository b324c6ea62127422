/*
 * run_io.c - a run's fds: the pty (tty mode) or the stdin/stdout/stderr
 * pipes (pipe mode) of the step now running.
 *
 * Each fd has a uv_poll_t that watches what there is to do: output is read
 * unless a subscriber paused the run (or it is draining after a kill), up
 * to the step's output limit; pending input is written when the fd takes
 * it. What the bytes read mean, and when a step is over, is run.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "lib/log.h"
#include "run/run_internal.h"

#define READ_CHUNK (64 * 1024)
/* A read at least this large suggests more is waiting: read on. */
#define READ_ON_MIN 2048
/* The fd input is written to: the pty master, or the stdin pipe. */
#define FD_IN_OF(r) ((r)->mode == RUN_TTY ? FD_OUT : FD_IN)

static void on_poll(uv_poll_t *p, int status, int events);

void run__update_polls(struct run *r)
{
	for (int i = 0; i < NFD; i++) {
		bool reads = i != FD_IN;
		bool writes = i == FD_IN || r->mode == RUN_TTY;
		int want = 0;

		if (r->fd[i] < 0)
			continue;
		if (reads && (!r->paused || r->draining))
			want |= UV_READABLE;
		if (writes && r->inbuf.len && r->step == RUN_STEP_RUN)
			want |= UV_WRITABLE;
		if (!r->poll[i]) {
			uv_poll_t *p = malloc(sizeof(*p));
			if (!p || uv_poll_init(r->e->loop, p, r->fd[i])) {
				log_error("run %s: cannot poll fd %d", r->id,
					  r->fd[i]);
				free(p);
				continue;
			}
			p->data = r;
			r->poll[i] = p;
			r->handles_open++;
			r->poll_events[i] = 0;
		}
		if (want == r->poll_events[i])
			continue;
		if (want)
			uv_poll_start(r->poll[i], want, on_poll);
		else
			uv_poll_stop(r->poll[i]);
		r->poll_events[i] = want;
	}
}

void run__rate_reset(struct run *r)
{
	limit_bucket_fill(&r->rate, uv_now(r->e->loop), r->lim.output_burst);
}

static bool deliver_read(struct run *r, int i, enum run_stream stream,
			 const char *buf, size_t n);

static void read_output(struct run *r, int i)
{
	enum run_stream stream = i == FD_ERR ? RUN_STDERR : RUN_STDOUT;
	char buf[READ_CHUNK];
	size_t got = 0;
	bool eof = false;
	ssize_t n;

	/*
	 * A pty hands over at most a few KiB a read: while reads come back
	 * large (a flood), read on, up to READ_CHUNK, and deliver it as one
	 * chunk (one frame, one send). A short read (a keystroke's echo,
	 * a prompt) is delivered at once, with no extra read.
	 */
	for (;;) {
		n = read(r->fd[i], buf + got, sizeof(buf) - got);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {	/* EOF, or EIO: the last slave of the pty closed */
			eof = true;
			break;
		}
		got += (size_t)n;
		if ((size_t)n < READ_ON_MIN || sizeof(buf) - got < READ_ON_MIN)
			break;
	}
	if (got && deliver_read(r, i, stream, buf, got))
		return;
	if (eof) {
		run__close_fd(r, i);
		run__finish(r);
	}
}

/* Output bytes read from fd i: counted, limited, delivered. True when a
 * limit cut them: fd i is closed then, and the step may be over. */
static bool deliver_read(struct run *r, int i, enum run_stream stream,
			 const char *buf, size_t n)
{
	uint64_t cap = r->lim.output_bytes;
	if (r->bytes[stream] > cap)	/* cannot be, but never underflow */
		cap = r->bytes[stream];
	size_t keep = (size_t)n;
	if (r->bytes[stream] + keep > cap) {
		keep = (size_t)(cap - r->bytes[stream]);
		r->truncated[stream] = true;
	}
	size_t allowed = !r->lim.output_rate ? keep :
		(size_t)limit_bucket_take(&r->rate, uv_now(r->e->loop), keep,
					  r->lim.output_rate,
					  r->lim.output_burst);
	bool too_fast = allowed < keep;
	if (too_fast) {
		keep = allowed;
		r->truncated[stream] = true;
	}
	r->bytes[stream] += keep;
	if (keep)
		run__deliver(r, stream, buf, keep);
	if (r->truncated[stream]) {
		/* cut cleanly at the cap: nothing more is read */
		if (r->kill_reason == RUN_KILL_NONE)
			run_kill(r, too_fast ? RUN_KILL_OUTPUT_RATE
					     : RUN_KILL_OUTPUT);
		run__close_fd(r, i);
		run__finish(r);
		return true;
	}
	return false;
}

static void write_input(struct run *r, int fd)
{
	ssize_t n = write(fd, r->inbuf.data, r->inbuf.len);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		buf_reset(&r->inbuf);	/* the program closed its input */
		if (r->mode == RUN_PIPES)
			run__close_fd(r, FD_IN);
		return;
	}
	buf_consume(&r->inbuf, (size_t)n);
	if (r->inbuf.len == 0 && r->closing_stdin && r->mode == RUN_PIPES)
		run__close_fd(r, FD_IN);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct run *r = p->data;
	int i = 0;

	while (i < NFD && r->poll[i] != p)
		i++;
	if (i == NFD)
		return;	/* cannot be: a closed watcher is never called */
	if (status < 0)
		events = UV_READABLE;	/* let read() report the error */
	if ((events & UV_WRITABLE) && r->fd[i] >= 0)
		write_input(r, r->fd[i]);
	if ((events & (UV_READABLE | UV_DISCONNECT)) && i != FD_IN &&
	    r->fd[i] >= 0)
		read_output(r, i);
	if (!r->freeing && !r->exited)
		run__update_polls(r);
}

/* ---- input, the terminal ----------------------------------------------- */

int run_input(struct run *r, const char *p, size_t n)
{
	int err;

	if (r->exited || (r->mode == RUN_PIPES && !r->keep_stdin && !r->remote))
		return -EPIPE;
	r->input_since_probe = true;
	r->idle_since_ms = run__now_ms();	/* someone is typing */
	if (r->remote)
		return r->held ? r->e->backend->input(r->e->backend_data, r, p, n)
			       : -EPIPE;
	if (r->mode == RUN_PIPES && r->fd[FD_IN] < 0 && !r->spawn_pending &&
	    !r->queued && r->step == RUN_STEP_RUN)
		return -EPIPE;
	/*
	 * Nothing waiting before it and the program running: write at once
	 * (a keystroke's echo then costs no poll round trip); only what
	 * the fd does not take now waits in inbuf for it to be writable.
	 */
	if (!r->inbuf.len && !r->spawn_pending && !r->queued &&
	    r->step == RUN_STEP_RUN && r->fd[FD_IN_OF(r)] >= 0) {
		ssize_t w = write(r->fd[FD_IN_OF(r)], p, n);
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			/* the program closed its input: as write_input() */
			if (r->mode == RUN_PIPES)
				run__close_fd(r, FD_IN);
			return 0;
		}
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		}
		if (!n) {
			if (r->closing_stdin && r->mode == RUN_PIPES)
				run__close_fd(r, FD_IN);
			return 0;
		}
	}
	err = buf_append(&r->inbuf, p, n);
	if (err)
		return err;
	if (!r->spawn_pending)
		run__update_polls(r);
	return 0;
}

size_t run_input_pending(const struct run *r)
{
	return r->inbuf.len;
}

void run_close_input(struct run *r)
{
	if (r->mode != RUN_PIPES || r->exited)
		return;
	if (r->remote) {
		if (r->held)
			r->e->backend->close_input(r->e->backend_data, r);
		return;
	}
	r->keep_stdin = false;
	if (r->step != RUN_STEP_RUN || r->queued)
		return;	/* the run step will close it once written */
	r->closing_stdin = true;
	if (!r->inbuf.len && !r->spawn_pending)
		run__close_fd(r, FD_IN);
}

int run_resize(struct run *r, uint16_t rows, uint16_t cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (r->remote) {
		if (r->mode != RUN_TTY || r->exited || !r->held)
			return -EINVAL;
		r->rows = rows;
		r->cols = cols;
		return r->e->backend->resize(r->e->backend_data, r, rows, cols);
	}
	if (r->mode != RUN_TTY || r->fd[FD_OUT] < 0)
		return -EINVAL;
	if (ioctl(r->fd[FD_OUT], TIOCSWINSZ, &ws))
		return -errno;
	r->input_since_probe = true;	/* SIGWINCH may end a wait */
	return 0;
}

bool run_tty_canonical(struct run *r)
{
	struct termios t;

	if (r->remote)
		return r->mode == RUN_TTY && r->canonical;
	if (r->mode != RUN_TTY || r->fd[FD_OUT] < 0)
		return false;
	return tcgetattr(r->fd[FD_OUT], &t) == 0 && (t.c_lflag & ICANON);
}
