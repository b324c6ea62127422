/*
 * lwsinc.h - include libwebsockets the one way that works here.
 *
 * <uv.h> must come before <libwebsockets.h> (its libuv glue needs the
 * types), and lws pulls in OpenSSL headers that use INT_MAX without
 * including <limits.h>.
 */
#ifndef CODEROOM_LWSINC_H
#define CODEROOM_LWSINC_H

#include <limits.h>
#include <uv.h>
#include <libwebsockets.h>

#endif
