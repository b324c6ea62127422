/*
 * redis_uv.h - hiredis's async API on our libuv loop.
 *
 * Written for this tree instead of hiredis 0.14's adapters/libuv.h, which
 * ignores a poll error: libuv reports a refused or reset connection as a
 * poll error (UV_EBADF) and stops the poll, so with that adapter a refused
 * connect never calls back and a reset connection hangs. Here a poll error
 * is handed to hiredis, which reads the socket's error and reports the
 * failed connect (onConnect with REDIS_ERR) or the lost connection
 * (onDisconnect); if the context lives on, the poll is armed again.
 *
 * Ownership: the adapter's state belongs to the context; hiredis frees it
 * through the cleanup hook (the poll handle is closed on the loop, its
 * memory freed in the close callback).
 */
#ifndef CODEROOM_REDIS_UV_H
#define CODEROOM_REDIS_UV_H

#include <hiredis/async.h>
#include <uv.h>

/* Attaches ac (just created, not attached before) to loop. 0, -EEXIST
 * (already attached), -ENOMEM, or libuv's error for the socket. */
int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
