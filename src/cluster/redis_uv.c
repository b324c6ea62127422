/*
 * redis_uv.c - hiredis's async API on a libuv loop, with poll errors
 * handed to hiredis (see redis_uv.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "cluster/redis_uv.h"

struct redis_uv {
	redisAsyncContext *ac;	/* NULL once hiredis cleaned up */
	uv_poll_t poll;
	int events;		/* what hiredis wants watched */
};

static void on_poll(uv_poll_t *h, int status, int events);

static void arm(struct redis_uv *p)
{
	if (p->events)
		uv_poll_start(&p->poll, p->events, on_poll);
	else
		uv_poll_stop(&p->poll);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct redis_uv *p = h->data;

	if (!p->ac)
		return;
	if (status < 0) {
		/* libuv stopped the poll; hiredis reads the socket's error:
		 * getsockopt(SO_ERROR) while connecting, read() after */
		if (!(p->ac->c.flags & REDIS_CONNECTED))
			redisAsyncHandleWrite(p->ac);
		else
			redisAsyncHandleRead(p->ac);
		if (p->ac)	/* it survived: watch again */
			arm(p);
		return;
	}
	if (events & (UV_READABLE | UV_DISCONNECT))
		redisAsyncHandleRead(p->ac);
	if (p->ac && (events & UV_WRITABLE))
		redisAsyncHandleWrite(p->ac);
}

static void add_read(void *data)
{
	struct redis_uv *p = data;

	p->events |= UV_READABLE;
	arm(p);
}

static void del_read(void *data)
{
	struct redis_uv *p = data;

	p->events &= ~UV_READABLE;
	arm(p);
}

static void add_write(void *data)
{
	struct redis_uv *p = data;

	p->events |= UV_WRITABLE;
	arm(p);
}

static void del_write(void *data)
{
	struct redis_uv *p = data;

	p->events &= ~UV_WRITABLE;
	arm(p);
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

static void cleanup(void *data)
{
	struct redis_uv *p = data;

	p->ac = NULL;
	uv_close((uv_handle_t *)&p->poll, on_closed);
}

int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
	struct redis_uv *p;
	int err;

	if (ac->ev.data)
		return -EEXIST;
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	if ((err = uv_poll_init(loop, &p->poll, ac->c.fd))) {
		free(p);
		return err;
	}
	p->poll.data = p;
	p->ac = ac;
	ac->ev.data = p;
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	return 0;
}
