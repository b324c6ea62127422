/*
 * log.h - leveled logging to stderr, one line per event.
 *
 * Lines look like "2026-11-22T00:12:32.123Z info  run: started 'python' ...".
 * Messages are lower-case, without a trailing period, subjects quoted.
 * log_set_level() filters; nothing below the level is formatted.
 */
#ifndef CODEROOM_LOG_H
#define CODEROOM_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn", "error"; returns 0 or -EINVAL. */
int log_parse_level(const char *name, enum log_level *out);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies s into out (len bytes), control and non-ASCII bytes as '?', so
 * client-supplied text cannot forge log lines. Returns out. */
const char *log_safe(const char *s, char *out, size_t len);

#define log_debug(...) \
	do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
