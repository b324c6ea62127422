/*
 * report.c - pieces of a run's result as JSON.
 */
#include <signal.h>
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

bool report_signal_name(int sig, char *out, size_t len)
{
	const char *abbrev;

	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		/* glibc names only the ends; the rest count from SIGRTMIN as
		 * the kernel's and kill(1)'s tables do */
		if (sig == SIGRTMIN)
			snprintf(out, len, "SIGRTMIN");
		else if (sig == SIGRTMAX)
			snprintf(out, len, "SIGRTMAX");
		else if (sig - SIGRTMIN <= (SIGRTMAX - SIGRTMIN) / 2)
			snprintf(out, len, "SIGRTMIN+%d", sig - SIGRTMIN);
		else
			snprintf(out, len, "SIGRTMAX-%d", SIGRTMAX - sig);
		return true;
	}
	abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
	if (!abbrev)
		return false;
	snprintf(out, len, "SIG%s", abbrev);
	return true;
}

json_t *report_signal(int sig)
{
	char name[32];

	if (!report_signal_name(sig, name, sizeof(name)))
		return json_null();
	return json_string(name);
}
