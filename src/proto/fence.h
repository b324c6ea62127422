/*
 * fence.h - the code in a model's answer, without its Markdown fences;
 * pure.
 *
 * Asked for a program and nothing else, a chat model often still answers
 * with a fenced block ("```python" ... "```"), sometimes with a sentence
 * before it and an explanation after it. Two views of the same rule:
 *
 *   fence_feed()/fence_finish()  while the answer streams: text goes out
 *       as soon as it cannot be part of a fence line; a line that may
 *       still become one is held back until its end (it is short);
 *   fence_strip()                on the whole answer: the final text.
 *
 * The rule, line by line (a fence line is at most 3 spaces, then 3 or
 * more backticks or tildes, then an info string such as "python" without
 * backticks; it closes with the same character, at least as many times,
 * and nothing but white space after):
 *   - leading blank lines are dropped;
 *   - the first fence line opens the code: what came before it is prose
 *     (the streamed view has let it through already: the final text,
 *     which has not, is the one to keep), what follows is the code;
 *   - the matching closing fence ends the code: everything after it is
 *     dropped (explanations, a second block);
 *   - without any fence line, the answer is the code.
 * Line ends come out as "\n" ("\r\n" and a lone "\r" are converted). The
 * code's last line keeps its "\n". Bytes pass through unchanged
 * otherwise (the caller checks UTF-8); fences are ASCII, so nothing is
 * ever cut inside a character.
 */
#ifndef CODEROOM_FENCE_H
#define CODEROOM_FENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

/* A line held back longer than this is not a fence line (a fence's info
 * string is a word or two). */
#define FENCE_HOLD_MAX 256

struct fence {
	int state;		/* see fence.c */
	char held[FENCE_HOLD_MAX];	/* the line start held back */
	size_t nheld;
	bool holding;		/* at a line start that may be a fence */
	bool cr;		/* the last byte was a CR */
	char fch;		/* the open fence's character */
	size_t fcount;		/* ... and its length */
	/* fence_strip(): prose before the first fence is taken back */
	bool strip;
	size_t out_start;	/* out->len when the answer began */
};

void fence_init(struct fence *f);
/* Appends to 'out' what of p[0..n) can be shown now. 0, or -ENOBUFS when
 * 'out' is full (its maximum). */
int fence_feed(struct fence *f, const char *p, size_t n, struct buf *out);
/* The answer is complete: appends what was held back. 0 or -ENOBUFS. */
int fence_finish(struct fence *f, struct buf *out);
/* The rule on a whole answer; appends the code to 'out'. 0 or -ENOBUFS. */
int fence_strip(const char *p, size_t n, struct buf *out);

#endif
