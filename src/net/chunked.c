/*
 * chunked.c - the chunked transfer coding, decoded byte by byte.
 */
#include <errno.h>

#include "net/chunked.h"

enum {
	S_SIZE,		/* hex digits of the size */
	S_EXT,		/* ";ext..." up to CR */
	S_SIZE_LF,	/* the LF that ends the size line */
	S_DATA,
	S_DATA_CR,	/* the CRLF after the data */
	S_DATA_LF,
	S_TRAILER,	/* start of a trailer line, or the final CRLF */
	S_TRAILER_LINE,	/* a trailer field up to LF */
	S_FINAL_LF,
	S_DONE,
};

#define SIZE_DIGITS_MAX 15	/* 2^60 > any body cap */
#define LINE_MAX_BYTES 4096	/* an extension or a trailer line */

void chunked_init(struct chunked *d)
{
	*d = (struct chunked){ .state = S_SIZE };
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
	return -1;
}

long chunked_feed(struct chunked *d, const char *p, size_t n,
		  struct buf *out)
{
	size_t i = 0;

	while (i < n && d->state != S_DONE) {
		char ch = p[i];
		int v;

		switch (d->state) {
		case S_SIZE:
			if ((v = hexval(ch)) >= 0) {
				if (++d->digits > SIZE_DIGITS_MAX)
					return -EINVAL;
				d->left = d->left << 4 | (uint64_t)v;
			} else if (!d->digits) {
				return -EINVAL;
			} else if (ch == ';' || ch == ' ' || ch == '\t') {
				d->state = S_EXT;
				d->digits = 0;	/* counts the line now */
			} else if (ch == '\r') {
				d->state = S_SIZE_LF;
			} else {
				return -EINVAL;
			}
			i++;
			break;
		case S_EXT:
			if (ch == '\r')
				d->state = S_SIZE_LF;
			else if (ch == '\n' || ++d->digits > LINE_MAX_BYTES)
				return -EINVAL;
			i++;
			break;
		case S_SIZE_LF:
			if (ch != '\n')
				return -EINVAL;
			i++;
			d->digits = 0;
			d->state = d->left ? S_DATA : S_TRAILER;
			break;
		case S_DATA: {
			size_t k = n - i < d->left ? n - i : (size_t)d->left;
			if (buf_append(out, p + i, k))
				return -ENOBUFS;
			i += k;
			d->left -= k;
			if (!d->left)
				d->state = S_DATA_CR;
			break;
		}
		case S_DATA_CR:
			if (ch != '\r')
				return -EINVAL;
			d->state = S_DATA_LF;
			i++;
			break;
		case S_DATA_LF:
			if (ch != '\n')
				return -EINVAL;
			d->state = S_SIZE;
			d->digits = 0;
			d->left = 0;
			i++;
			break;
		case S_TRAILER:
			d->state = ch == '\r' ? S_FINAL_LF : S_TRAILER_LINE;
			d->digits = 0;
			if (ch == '\n')
				return -EINVAL;
			i++;
			break;
		case S_TRAILER_LINE:
			if (ch == '\n')
				d->state = S_TRAILER;
			else if (++d->digits > LINE_MAX_BYTES)
				return -EINVAL;
			i++;
			break;
		case S_FINAL_LF:
			if (ch != '\n')
				return -EINVAL;
			d->state = S_DONE;
			d->done = true;
			i++;
			break;
		}
	}
	return (long)i;
}
