/*
 * room_ids.c - random room ids, member ids and tokens.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "lib/sha256.h"
#include "room/room_ids.h"

static int fill(void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom((char *)p + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
	}
	return 0;
}

int room_ids_room(char out[ROOM_ID_LEN + 1])
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char b[64];
	size_t o = 0;
	int err;

	while (o < ROOM_ID_LEN) {
		if ((err = fill(b, sizeof(b))))
			return err;
		for (size_t i = 0; i < sizeof(b) && o < ROOM_ID_LEN; i++)
			if (b[i] < 252)		/* 7 * 36: no bias */
				out[o++] = abc[b[i] % 36];
	}
	out[o] = '\0';
	return 0;
}

int room_ids_member(char out[ROOM_MEMBER_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[ROOM_MEMBER_ID_LEN / 2];
	int err = fill(b, sizeof(b));

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(b); i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[ROOM_MEMBER_ID_LEN] = '\0';
	return 0;
}

int room_ids_token(char out[44])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char b[33];	/* 32 random + 1 zero pad: 44 chars, keep 43 */
	int err = fill(b, 32);
	size_t o = 0;

	if (err)
		return err;
	b[32] = 0;
	for (size_t i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 |
			     b[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	out[43] = '\0';
	return 0;
}

void room_ids_hash(const char *token, unsigned char out[ROOM_HASH_LEN])
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, token, strlen(token));
	sha256_final(&h, out);
}

bool room_ids_token_valid(const char *s)
{
	size_t n = strlen(s);

	if (n != 43)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789-_", s[i]))
			return false;
	return true;
}

bool room_ids_member_valid(const char *s)
{
	size_t n = strlen(s);

	if (n != ROOM_MEMBER_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}
