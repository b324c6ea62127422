/*
 * log.c - leveled logging to stderr, as text lines or JSON lines.
 *
 * Text: "2026-11-22T00:12:32.123Z info  comp: message".
 * JSON: {"ts":"...","level":"info","comp":"comp","msg":"comp: message"}
 * plus, for log_event(), "event" and the event's fields. A line is
 * written with one write(2) of at most LOG_LINE_MAX bytes, so lines from
 * the server and its spawner never interleave mid-line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

#define LOG_LINE_MAX 4096

static enum log_level min_level = LOG_INFO;
static enum log_format format = LOG_FORMAT_TEXT;
static const char *const names[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level level)
{
	min_level = level;
}

void log_set_format(enum log_format f)
{
	format = f;
}

enum log_format log_get_format(void)
{
	return format;
}

int log_parse_level(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int log_parse_format(const char *name, enum log_format *out)
{
	if (!strcmp(name, "text"))
		*out = LOG_FORMAT_TEXT;
	else if (!strcmp(name, "json"))
		*out = LOG_FORMAT_JSON;
	else
		return -EINVAL;
	return 0;
}

const char *log_safe(const char *s, char *out, size_t len)
{
	size_t i = 0;

	if (len == 0)
		return out;
	for (; s && s[i] && i + 1 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	out[i] = '\0';
	return out;
}

bool log_enabled(enum log_level level)
{
	return level >= min_level;
}

/* A bounded line under construction. */
struct line {
	char b[LOG_LINE_MAX];
	size_t n;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->b) - 2 - l->n)
		n = sizeof(l->b) - 2 - l->n;	/* room for '}' '\n' */
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n < len)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string: quotes, escapes, invalid UTF-8 as U+FFFD. */
static void put_json_str(struct line *l, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	put(l, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		char esc[8];
		size_t k;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(l, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(l, esc, 6);
			i++;
		} else if (c < 0x80) {
			put(l, (const char *)&p[i], 1);
			i++;
		} else if ((k = utf8_seq(p + i, n - i))) {
			put(l, (const char *)&p[i], k);
			i += k;
		} else {
			put(l, "\\ufffd", 6);
			i++;
		}
	}
	put(l, "\"", 1);
}

static void put_time(struct line *l)
{
	struct timespec ts;
	struct tm tm;
	char t[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	puts_(l, t);
}

/* The component of a message: its first word ("run" of "run ab12: ..."). */
static size_t comp_len(const char *msg)
{
	size_t n = 0;

	while (n < 32 && ((msg[n] >= 'a' && msg[n] <= 'z') ||
			  (msg[n] >= '0' && msg[n] <= '9') || msg[n] == '_' ||
			  msg[n] == '-'))
		n++;
	return (msg[n] == ':' || msg[n] == ' ') ? n : 0;
}

static void emit(struct line *l)
{
	l->b[l->n++] = '\n';
	for (size_t off = 0; off < l->n;) {
		ssize_t w = write(2, l->b + off, l->n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static void json_head(struct line *l, enum log_level level, const char *comp,
		      size_t clen, const char *msg)
{
	char c[40];

	snprintf(c, sizeof(c), "%.*s", (int)clen, comp);
	puts_(l, "{\"ts\":\"");
	put_time(l);
	puts_(l, "\",\"level\":\"");
	puts_(l, names[level]);
	puts_(l, "\",\"comp\":");
	put_json_str(l, c);
	puts_(l, ",\"msg\":");
	put_json_str(l, msg);
}

static void vlog(enum log_level level, const char *event,
		 const struct log_kv *kv, size_t nkv, const char *fmt,
		 va_list ap)
{
	struct line l = { .n = 0 };
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (format == LOG_FORMAT_TEXT) {
		put_time(&l);
		puts_(&l, " ");
		puts_(&l, names[level]);
		put(&l, "     ", 6 - strlen(names[level]));
		puts_(&l, msg);
		emit(&l);
		return;
	}
	json_head(&l, level, msg, comp_len(msg), msg);
	if (event) {
		puts_(&l, ",\"event\":");
		put_json_str(&l, event);
	}
	for (size_t i = 0; i < nkv; i++) {
		char num[32];
		puts_(&l, ",");
		put_json_str(&l, kv[i].key);
		puts_(&l, ":");
		if (kv[i].str) {
			put_json_str(&l, kv[i].str);
		} else {
			snprintf(num, sizeof(num), "%lld", kv[i].num);
			puts_(&l, num);
		}
	}
	puts_(&l, "}");
	emit(&l);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	vlog(level, NULL, NULL, 0, fmt, ap);
	va_end(ap);
}

void log_event(enum log_level level, const char *event,
	       const struct log_kv *kv, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	vlog(level, event, kv, n, fmt, ap);
	va_end(ap);
}
