/*
 * textdiff.c - the smallest single change between two texts.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "room/textdiff.h"
#include "room/utext.h"

static bool cont(unsigned char ch)
{
	return (ch & 0xc0) == 0x80;
}

size_t textdiff_lf(char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r') {
			s[o++] = '\n';
			if (i + 1 < len && s[i + 1] == '\n')
				i++;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

/* [del, "line", "line", ...] for the middle of the new text */
static json_t *replacement(size_t del, const char *p, size_t n)
{
	json_t *a = json_array(), *s;
	size_t start = 0;

	if (!a || json_array_append_new(a, json_integer((json_int_t)del)))
		goto out_free;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '\n')
			continue;
		s = json_stringn(p + start, i - start);
		if (!s || json_array_append_new(a, s))
			goto out_free;
		start = i + 1;
	}
	return a;
out_free:
	json_decref(a);
	return NULL;
}

int textdiff_changes(const char *old, size_t olen, const char *new,
		     size_t nlen, json_t **out)
{
	size_t pre = 0, suf = 0, max, p16, d16, s16;
	json_t *a;
	int err;

	*out = NULL;
	while (pre < olen && pre < nlen && old[pre] == new[pre])
		pre++;
	while (pre > 0 && ((pre < olen && cont((unsigned char)old[pre])) ||
			   (pre < nlen && cont((unsigned char)new[pre]))))
		pre--;
	max = (olen < nlen ? olen : nlen) - pre;
	while (suf < max && old[olen - 1 - suf] == new[nlen - 1 - suf])
		suf++;
	while (suf > 0 && ((suf < olen && cont((unsigned char)old[olen - suf])) ||
			   (suf < nlen && cont((unsigned char)new[nlen - suf]))))
		suf--;
	if ((err = utext_measure(old, pre, &p16)) ||
	    (err = utext_measure(old + pre, olen - pre - suf, &d16)) ||
	    (err = utext_measure(old + olen - suf, suf, &s16)))
		return err;
	{
		size_t ins16;
		if ((err = utext_measure(new + pre, nlen - pre - suf, &ins16)))
			return err;
	}
	if (!(a = json_array()))
		return -ENOMEM;
	if (p16 && json_array_append_new(a, json_integer((json_int_t)p16)))
		goto out_nomem;
	if (d16 || nlen - pre - suf) {
		json_t *r = d16 && nlen - pre - suf == 0 ?
			json_pack("[I]", (json_int_t)d16) :
			replacement(d16, new + pre, nlen - pre - suf);
		if (!r || json_array_append_new(a, r))
			goto out_nomem;
	}
	if (s16 && json_array_append_new(a, json_integer((json_int_t)s16)))
		goto out_nomem;
	*out = a;
	return 0;
out_nomem:
	json_decref(a);
	return -ENOMEM;
}
