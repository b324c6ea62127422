/*
 * sha256.c - SHA-256 and HMAC-SHA-256 over libcrypto's EVP interfaces.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/sha256.h"

int sha256_init(struct sha256 *s)
{
	memset(s, 0, sizeof(*s));
	s->md = EVP_MD_CTX_new();
	if (!s->md || !EVP_DigestInit_ex(s->md, EVP_sha256(), NULL)) {
		s->failed = true;
		return -ENOMEM;
	}
	return 0;
}

int sha256_hmac_init(struct sha256 *s, const void *key, size_t keylen)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac;

	memset(s, 0, sizeof(*s));
	if (!key || !keylen) {
		s->failed = true;
		return -EINVAL;
	}
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	s->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);	/* the context keeps its own reference */
	if (!s->mac || !EVP_MAC_init(s->mac, key, keylen, params)) {
		s->failed = true;
		return -ENOMEM;
	}
	return 0;
}

void sha256_update(struct sha256 *s, const void *p, size_t n)
{
	if (s->failed || !n)
		return;
	if (s->md ? !EVP_DigestUpdate(s->md, p, n)
		  : !EVP_MAC_update(s->mac, p, n))
		s->failed = true;
}

void sha256_final(struct sha256 *s, unsigned char out[32])
{
	unsigned int mdlen = 0;
	size_t maclen = 0;
	bool ok = !s->failed;

	if (ok && s->md)
		ok = EVP_DigestFinal_ex(s->md, out, &mdlen) && mdlen == 32;
	else if (ok && s->mac)
		ok = EVP_MAC_final(s->mac, out, &maclen, 32) && maclen == 32;
	if (!ok)
		memset(out, 0, 32);
	EVP_MD_CTX_free(s->md);
	EVP_MAC_CTX_free(s->mac);
	memset(s, 0, sizeof(*s));
}

void sha256_field(struct sha256 *s, const void *p, size_t n)
{
	uint64_t len = n;
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(len >> (8 * i));
	sha256_update(s, b, 8);
	sha256_update(s, p, n);
}

void sha256_hex(struct sha256 *s, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[32];

	sha256_final(s, d);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

bool sha256_equal(const unsigned char a[32], const unsigned char b[32])
{
	return CRYPTO_memcmp(a, b, 32) == 0;
}
