/*
 * collab_apply.c - what an edit costs the collab authority (src/room/), per
 * MiB of document, against named baselines. Prints a table; never passes
 * or fails on a number. Built and run by bench/run.sh (make bench):
 *
 *   build/bench/collab-apply [MiB]      (default 1)
 *
 * Documents: code-like lines, all ASCII, and the same with a CJK word and
 * an emoji on every line (so the UTF-16 <-> UTF-8 index is needed).
 * Figures (median of 7 runs):
 *  - apply one keystroke at a random place (cs_apply: resolve the
 *    position, build the new text, shift the index), against memcpy of
 *    the whole document (the least a copy-on-write apply must pay) and
 *    against a UTF-8 walk of the whole document (what resolving positions
 *    costs without the index, for an edit near the end);
 *  - apply a 50-range change (a search-and-replace);
 *  - one keystroke pushed through the whole authority (JSON in, rebase
 *    over nothing, apply, canonical JSON out, commit);
 *  - one position lookup (utext_offset), against the same walk.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "room/changeset.h"
#include "room/collab.h"
#include "room/utext.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t rnd_state = 0x2545F491;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static char *make_doc(size_t bytes, int mixed, size_t *len)
{
	char *s = malloc(bytes + 128);
	size_t n = 0, line = 0;

	while (n < bytes) {
		n += (size_t)sprintf(
		    s + n, "    int value_%zu = compute(%zu, \"%s\");%s\n",
		    line, line * 7, mixed ? "\xE4\xB8\xAD\xE6\x96\x87" : "text",
		    mixed ? " // \xF0\x9F\x98\x80" : "");
		line++;
	}
	*len = n;
	return s;
}

/* A position that is not inside a surrogate pair. */
static size_t rand_pos(const struct utext *t)
{
	for (;;) {
		size_t p = rnd() % (t->u16len + 1), off;

		if (!utext_offset(t, p, &off))
			return p;
	}
}

static struct changeset *keystroke(const struct utext *t, size_t *pos_out)
{
	size_t pos = rand_pos(t);
	json_t *j = json_pack("[I,[i,s],I]", (json_int_t)pos, 0, "x",
			      (json_int_t)(t->u16len - pos));
	struct changeset *cs;

	if (!j || cs_parse(j, NULL, &cs))
		abort();
	json_decref(j);
	if (pos_out)
		*pos_out = pos;
	return cs;
}

static struct changeset *multi(const struct utext *t, int ranges)
{
	size_t step = t->u16len / (size_t)(ranges + 1), at = 0;
	json_t *j = json_array();
	struct changeset *cs;

	for (int i = 0; i < ranges; i++) {
		size_t p = (size_t)(i + 1) * step, e, off; /* spread out */

		while (utext_offset(t, p, &off))
			p++;
		for (e = p + 3; utext_offset(t, e, &off); e++)
			;
		json_array_append_new(j, json_integer((json_int_t)(p - at)));
		json_array_append_new(
		    j, json_pack("[I,s]", (json_int_t)(e - p), "abc\xC3\xA9"));
		at = e;
	}
	json_array_append_new(j, json_integer((json_int_t)(t->u16len - at)));
	if (cs_parse(j, NULL, &cs))
		abort();
	json_decref(j);
	return cs;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median seconds per call of fn over 7 runs of n calls. */
#define MEASURE(n, body)                                                       \
	({                                                                     \
		double runs[7];                                                \
		for (int r_ = 0; r_ < 7; r_++) {                               \
			double t0_ = now();                                    \
			for (size_t i_ = 0; i_ < (size_t)(n); i_++) {          \
				body;                                          \
			}                                                      \
			runs[r_] = (now() - t0_) / (double)(n);                \
		}                                                              \
		qsort(runs, 7, sizeof runs[0], cmp_double);                    \
		runs[3];                                                       \
	})

/* The UTF-8 walk an implementation without an index does to find a
 * position (here over the whole document: validate and count the UTF-16
 * units, eight ASCII bytes at a time). */
static size_t walk(const char *s, size_t len)
{
	size_t u = 0;

	if (utext_measure(s, len, &u))
		abort();
	return u;
}

static volatile size_t sink;

static void row(const char *metric, double v, const char *unit, double base,
		const char *base_name)
{
	char a[32], b[32], r[32];

	snprintf(a, sizeof a, "%.1f %s", v, unit);
	snprintf(b, sizeof b, "%.1f %s", base, unit);
	snprintf(r, sizeof r, "%.2fx", v / base);
	printf("%-44s  %14s  %14s  %8s  %s\n", metric, a, base ? b : "-",
	       base ? r : "-", base_name);
}

static void bench_doc(double mib, int mixed)
{
	size_t len, n;
	char *src = make_doc((size_t)(mib * (1 << 20)), mixed, &len);
	char *copy = malloc(len + 1);
	struct utext doc, out;
	struct changeset *ks[64], *mr;
	double t_apply, t_copy, t_count, t_multi, t_push, t_lookup;
	const char *kind = mixed ? "mixed" : "ASCII";
	double per = (double)(1 << 20) / (double)len; /* scale to 1 MiB */
	char name[96];

	if (utext_init(&doc, src, len, SIZE_MAX))
		abort();
	for (int i = 0; i < 64; i++)
		ks[i] = keystroke(&doc, NULL);
	mr = multi(&doc, 50);
	n = (size_t)(200 / mib) + 1;

	t_apply = MEASURE(n, {
		if (cs_apply(ks[i_ & 63], &doc, SIZE_MAX, &out))
			abort();
		utext_release(&out);
	});
	t_copy = MEASURE(n, {
		memcpy(copy, doc.s, doc.len);
		sink += (size_t)copy[i_ % doc.len];
	});
	t_count = MEASURE(n, sink += walk(doc.s, doc.len));
	t_multi = MEASURE(n, {
		if (cs_apply(mr, &doc, SIZE_MAX, &out))
			abort();
		utext_release(&out);
	});
	t_lookup = MEASURE(n * 1000, {
		size_t off;
		if (utext_offset(&doc, (size_t)rnd() % doc.u16len, &off) == 0)
			sink += off;
	});
	{
		struct collab_caps caps;
		struct collab *c;
		json_t *u[64];

		collab_caps_default(&caps);
		caps.max_doc_bytes = SIZE_MAX / 2;
		if (collab_new(&caps, src, len, 0, &c))
			abort();
		for (int i = 0; i < 64; i++)
			u[i] = json_pack("[{s:s,s:o}]", "clientID", "bench",
					 "changes", cs_to_json(ks[i]));
		/* each push is made on the current version and keeps the
		 * length: insert one unit, then delete it again */
		t_push = MEASURE(n, {
			struct collab_pending p;
			json_t *undo;
			size_t pos = 0;

			if (collab_push(c, collab_version(c), u[i_ & 63], &p))
				abort();
			pos = p.updates[0].changes->sec[0].len;
			collab_pending_release(&p);
			undo =
			    json_pack("[{s:s,s:[I,[i],I]}]", "clientID",
				      "bench", "changes", (json_int_t)pos, 1,
				      (json_int_t)(collab_length(c) - pos - 1));
			if (collab_push(c, collab_version(c), undo, &p))
				abort();
			collab_pending_release(&p);
			json_decref(undo);
		});
		t_push /= 2;
		for (int i = 0; i < 64; i++)
			json_decref(u[i]);
		collab_free(c);
	}

	snprintf(name, sizeof name, "apply keystroke, %s (per MiB)", kind);
	row(name, t_apply * per * 1e6, "us", t_copy * per * 1e6,
	    "memcpy of the document");
	snprintf(name, sizeof name, "apply keystroke, %s (per MiB)", kind);
	row(name, t_apply * per * 1e6, "us", t_count * per * 1e6,
	    "UTF-8 walk of the document (no index)");
	snprintf(name, sizeof name, "apply 50-range change, %s (per MiB)",
		 kind);
	row(name, t_multi * per * 1e6, "us", t_copy * per * 1e6,
	    "memcpy of the document");
	snprintf(name, sizeof name, "push keystroke via collab, %s (per MiB)",
		 kind);
	row(name, t_push * per * 1e6, "us", t_copy * per * 1e6,
	    "memcpy of the document");
	snprintf(name, sizeof name, "position lookup, %s (%.0f MiB doc)", kind,
		 mib);
	row(name, t_lookup * 1e9, "ns", t_count * 1e9,
	    "UTF-8 walk of the document (no index)");

	for (int i = 0; i < 64; i++)
		cs_free(ks[i]);
	cs_free(mr);
	utext_release(&doc);
	free(src);
	free(copy);
}

int main(int argc, char **argv)
{
	double mib = argc > 1 ? atof(argv[1]) : 1;

	if (mib <= 0 || mib > 256) {
		fprintf(stderr, "usage: collab-apply [MiB]\n");
		return 2;
	}
	printf("collab apply: %.0f MiB documents, median of 7 runs\n", mib);
	printf("%-44s  %14s  %14s  %8s  %s\n", "metric", "coderoom", "baseline",
	       "ratio", "baseline is");
	bench_doc(mib, 0);
	bench_doc(mib, 1);
	return 0;
}
