/* test_sha256.c - SHA-256 against the FIPS 180-4 examples. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_fields_differ),
	};
	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
