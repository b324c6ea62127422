/*
 * test_sha256.c - the libcrypto wrapper: SHA-256 against the FIPS 180-4
 * examples, HMAC-SHA-256 against RFC 4231, fields, the constant-time
 * comparison.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "lib/sha256.h"

static void hex_of(const char *msg, size_t reps, char out[65])
{
	struct sha256 s;

	sha256_init(&s);
	for (size_t i = 0; i < reps; i++)
		sha256_update(&s, msg, strlen(msg));
	sha256_hex(&s, out);
}

static void test_vectors(void **state)
{
	char h[65];

	hex_of("", 1, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 1, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	hex_of("a", 1000000, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_fields_differ(void **state)
{
	struct sha256 a, b;
	char ha[65], hb[65];

	sha256_init(&a);
	sha256_field(&a, "ab", 2);
	sha256_field(&a, "c", 1);
	sha256_init(&b);
	sha256_field(&b, "a", 1);
	sha256_field(&b, "bc", 2);
	sha256_hex(&a, ha);
	sha256_hex(&b, hb);
	assert_string_not_equal(ha, hb);
}

static void hmac_hex(const void *key, size_t klen, const char *msg,
		     char out[65])
{
	static const char hex[] = "0123456789abcdef";
	struct sha256 s;
	unsigned char d[32];

	assert_int_equal(sha256_hmac_init(&s, key, klen), 0);
	/* in two pieces: the MAC is incremental */
	sha256_update(&s, msg, strlen(msg) / 2);
	sha256_update(&s, msg + strlen(msg) / 2, strlen(msg) - strlen(msg) / 2);
	sha256_final(&s, d);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

/* RFC 4231, test cases 1, 2 and 6 (a key longer than the block). */
static void test_hmac(void **state)
{
	unsigned char k1[20], k6[131];
	char h[65];

	memset(k1, 0x0b, sizeof(k1));
	hmac_hex(k1, sizeof(k1), "Hi There", h);
	assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_hex("Jefe", 4, "what do ya want for nothing?", h);
	assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	memset(k6, 0xaa, sizeof(k6));
	hmac_hex(k6, sizeof(k6), "Test Using Larger Than Block-Size Key - Hash Key First", h);
	assert_string_equal(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* no key: refused, and the result is all zeros */
	struct sha256 s;
	unsigned char d[32], zero[32] = {0};
	assert_int_equal(sha256_hmac_init(&s, "", 0), -EINVAL);
	sha256_update(&s, "x", 1);
	sha256_final(&s, d);
	assert_true(sha256_equal(d, zero));
}

static void test_equal(void **state)
{
	unsigned char a[32], b[32];

	memset(a, 7, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(sha256_equal(a, b));
	b[31] ^= 1;
	assert_false(sha256_equal(a, b));
	b[31] ^= 1;
	b[0] ^= 0x80;
	assert_false(sha256_equal(a, b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_fields_differ),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_equal),
	};
	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
