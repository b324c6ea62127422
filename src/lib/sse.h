/*
 * sse.h - a server-sent events stream (text/event-stream, WHATWG HTML
 * "Server-sent events"), decoded incrementally; pure.
 *
 * Bytes go in as they arrive, split anywhere: inside a line, between the
 * CR and the LF of a line end, inside a UTF-8 character. Each event comes
 * out whole once the blank line that ends it is in: its type (the last
 * "event:" field, "" for the default "message") and its data (the
 * "data:" lines joined with "\n"). Lines end with CRLF, LF or CR;
 * comments (":...") and the "id" and "retry" fields are read and dropped,
 * as are unknown fields; an event without data is not dispatched; a UTF-8
 * byte order mark at the very start is skipped. The decoder checks no
 * encoding: the data is bytes (the caller's JSON parser checks UTF-8).
 *
 * Bounds: a line longer than 'line_max' bytes, or an event whose data
 * passes 'data_max', is an error (-E2BIG): a hostile or broken server
 * cannot grow memory.
 */
#ifndef CODEROOM_SSE_H
#define CODEROOM_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

struct sse {
	struct buf line;	/* the line being read (line_max) */
	struct buf data;	/* the event's data so far (data_max) */
	char type[64];		/* the event's type, "" for "message" */
	bool has_data;		/* a data field was seen in this event */
	bool after_cr;		/* the last byte ended a line with CR */
	bool first_line;	/* the next line is the stream's first */
	bool failed;		/* an error was returned: feed nothing more */
};

/* Called for each event; 'data' is NUL-terminated (len excludes it).
 * A non-zero return stops sse_feed(), which returns it. */
typedef int (*sse_event_fn)(void *arg, const char *type, const char *data,
			    size_t len);

void sse_init(struct sse *s, size_t line_max, size_t data_max);
void sse_release(struct sse *s);

/*
 * Decodes n bytes, calling fn for every event they complete. Returns 0,
 * -E2BIG (a bound was passed; the decoder stays failed), or the first
 * non-zero value fn returned (the rest of p is not read).
 */
int sse_feed(struct sse *s, const char *p, size_t n, sse_event_fn fn,
	     void *arg);

/* Whether the stream so far ends inside an event (a field read, the blank
 * line not yet): at the end of the stream, that event is lost. */
bool sse_pending(const struct sse *s);

#endif
