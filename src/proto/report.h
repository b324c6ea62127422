/*
 * report.h - pieces of a run's result as JSON, shared by every API.
 *
 * Program output is bytes and JSON strings are UTF-8; signal numbers are
 * reported by name. Each function returns a new reference (never NULL
 * unless memory runs out).
 */
#ifndef CODEROOM_REPORT_H
#define CODEROOM_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/buf.h"

/* The bytes of b as a JSON string: invalid UTF-8 becomes U+FFFD. */
json_t *report_text(const struct buf *b);
/* The name of a signal ("SIGKILL", "SIGRTMIN+3"); false for 0 or an
 * unknown number. Pure. */
bool report_signal_name(int sig, char *out, size_t len);
/* "SIGKILL" for 9; JSON null for 0 or an unknown number. */
json_t *report_signal(int sig);

#endif
