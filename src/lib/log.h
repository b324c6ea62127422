/*
 * log.h - leveled logging to stderr, one line per event.
 *
 * Text lines look like "2026-11-22T00:12:32.123Z info  run: started
 * 'python' ...". With log_set_format(LOG_FORMAT_JSON) every line is one
 * JSON object: {"ts", "level", "comp" (the message's first word), "msg"},
 * and for log_event() also "event" and the event's own fields (an access
 * log line, a run's end), so a log pipeline needs no regular expressions.
 * Messages are lower-case, without a trailing period, subjects quoted.
 * log_set_level() filters; nothing below the level is formatted.
 *
 * What never goes into a log line: a program's output or input, code, and
 * API tokens (tests/integration/ops.test.mjs checks both formats).
 */
#ifndef CODEROOM_LOG_H
#define CODEROOM_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

void log_set_level(enum log_level level);
void log_set_format(enum log_format format);
/* Parses "text" or "json"; returns 0 or -EINVAL. */
int log_parse_format(const char *name, enum log_format *out);
/* Parses "debug", "info", "warn", "error"; returns 0 or -EINVAL. */
int log_parse_level(const char *name, enum log_level *out);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies s into out (len bytes), control and non-ASCII bytes as '?', so
 * client-supplied text cannot forge log lines. Returns out. */
const char *log_safe(const char *s, char *out, size_t len);

enum log_format log_get_format(void);

static inline const char *log_kv_str(const char *s)
{
	return s ? s : "";
}

/* One field of a structured event: a string, or (str NULL) a number. */
struct log_kv {
	const char *key;
	const char *str;
	long long num;
};
#define LOG_STR(k, v) ((struct log_kv){ (k), log_kv_str(v), 0 })
#define LOG_NUM(k, v) ((struct log_kv){ (k), NULL, (long long)(v) })

/*
 * A structured event: in text mode the same line as log_msg(fmt, ...);
 * in JSON mode that line as "msg" plus "event" and the 'n' fields.
 */
void log_event(enum log_level level, const char *event,
	       const struct log_kv *kv, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#define log_debug(...) \
	do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
