/*
 * report.c - pieces of a run's result as JSON.
 */
#include <stdio.h>
#include <string.h>

#include "lib/utf8.h"
#include "proto/report.h"

json_t *report_text(const struct buf *b)
{
	struct utf8_decoder d;
	struct buf t;
	json_t *j;

	utf8_decoder_init(&d);
	buf_init(&t, 4 * b->len + 16);
	utf8_decode(&d, buf_str(b), b->len, &t);
	utf8_finish(&d, &t);
	j = json_stringn(buf_str(&t), t.len);
	buf_release(&t);
	return j ? j : json_string("");
}

json_t *report_signal(int sig)
{
	const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
	char name[32];

	if (!abbrev)
		return json_null();
	snprintf(name, sizeof(name), "SIG%s", abbrev);
	return json_string(name);
}
