/*
 * Unit tests for recovery: the form of a code, a set of ten different
 * codes, the normalization of what a user types, and the keyed digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "recovery.h"

static const unsigned char key[32] = "recovery-test-key-0123456789abc";

/* 1 when s is "xxxxx-xxxxx" in the lower-case base32 alphabet. */
static int well_formed(const char *s)
{
	if (strlen(s) != RECOVERY_LEN || s[5] != '-')
		return 0;
	for (size_t i = 0; i < RECOVERY_LEN; i++)
		if (i != 5 && strchr("abcdefghijklmnopqrstuvwxyz234567", s[i]) == NULL)
			return 0;
	return 1;
}

static void recovery_from_bytes_maps_the_low_5_bits_of_each_byte_to_a_symbol(void **state)
{
	static const unsigned char zero[RECOVERY_SYMBOLS] = {0};
	static const unsigned char r[RECOVERY_SYMBOLS] = {0,  1,  25,   26,   31,
	                                                  32, 33, 0xff, 0xe0, 0x3a};
	char out[RECOVERY_LEN + 1];

	(void)state;
	recovery_from_bytes(zero, out);
	assert_string_equal(out, "aaaaa-aaaaa");
	recovery_from_bytes(r, out);
	assert_string_equal(out, "abz27-ab7a2");
}

static void recovery_new_set_makes_ten_different_well_formed_codes(void **state)
{
	char set[RECOVERY_COUNT][RECOVERY_LEN + 1];
	char again[RECOVERY_COUNT][RECOVERY_LEN + 1];

	(void)state;
	assert_int_equal(RECOVERY_COUNT, 10);
	/* 50 bits each: ten symbols of five bits. */
	assert_int_equal(RECOVERY_SYMBOLS * 5, 50);
	assert_int_equal(recovery_new_set(set), 0);
	assert_int_equal(recovery_new_set(again), 0);
	for (size_t i = 0; i < RECOVERY_COUNT; i++) {
		if (!well_formed(set[i]))
			fail_msg("not a recovery code: \"%s\"", set[i]);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(set[i], set[j]);
		/* A new set is new. */
		for (size_t j = 0; j < RECOVERY_COUNT; j++)
			assert_string_not_equal(set[i], again[j]);
	}
}

static void recovery_normalize_ignores_case_dashes_spaces_and_tabs(void **state)
{
	static const char *const same[] = {
	    "abcde-fgh23",     "ABCDE-FGH23",         "abcdefgh23",      " abcde fgh23 ",
	    "AbCdE\t-\tfGh23", "a-b-c-d-e-f-g-h-2-3", "--abcde--fgh23--"};
	char out[RECOVERY_SYMBOLS + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		if (recovery_normalize(same[i], out) != 0)
			fail_msg("refused \"%s\"", same[i]);
		assert_string_equal(out, "abcdefgh23");
	}
}

static void recovery_normalize_refuses_what_is_not_a_code(void **state)
{
	static const char *const bad[] = {
	    "",
	    "abcde-fgh2",
	    "abcde-fgh234",
	    "abcde-fgh21", /* 1 is not in the alphabet */
	    "abcde-fgh28",
	    "abcde_fgh23",
	    "abcde.fgh23",
	    "abcde-fgh2\xc3\xa9",
	    "abcde-fgh23\n",
	    "123456",
	    "abcde-fgh23                                                        "};
	char out[RECOVERY_SYMBOLS + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (recovery_normalize(bad[i], out) != -1)
			fail_msg("accepted \"%s\" as \"%s\"", bad[i], out);
		assert_string_equal(out, "");
	}
	assert_int_equal(recovery_normalize(NULL, out), -1);
}

static void recovery_digest_is_the_hmac_of_the_user_and_the_normalized_code(void **state)
{
	unsigned char d[TOKEN_DIGEST_LEN], typed[TOKEN_DIGEST_LEN], want[TOKEN_DIGEST_LEN];
	unsigned int n = 0;

	(void)state;
	assert_int_equal(recovery_digest(key, 42, "abcde-fgh23", d), 0);
	assert_non_null(
	    HMAC(EVP_sha256(), key, 32, (const unsigned char *)"42:abcdefgh23", 13, want, &n));
	assert_memory_equal(d, want, TOKEN_DIGEST_LEN);
	/* As typed with capitals and a space: the same digest. */
	assert_int_equal(recovery_digest(key, 42, "ABCDE FGH23", typed), 0);
	assert_int_equal(token_digest_equal(d, typed), 1);
	/* Another account, another key, another code: another digest. */
	assert_int_equal(recovery_digest(key, 43, "abcde-fgh23", typed), 0);
	assert_int_equal(token_digest_equal(d, typed), 0);
	assert_int_equal(recovery_digest((const unsigned char *)"another-key-0123456789abcdefghij",
	                                 42, "abcde-fgh23", typed),
	                 0);
	assert_int_equal(token_digest_equal(d, typed), 0);
	assert_int_equal(recovery_digest(key, 42, "abcde-fgh24", typed), 0);
	assert_int_equal(token_digest_equal(d, typed), 0);
	/* Not a code: nothing to look up. */
	assert_int_equal(recovery_digest(key, 42, "abcde-fgh2", typed), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(recovery_from_bytes_maps_the_low_5_bits_of_each_byte_to_a_symbol),
	    cmocka_unit_test(recovery_new_set_makes_ten_different_well_formed_codes),
	    cmocka_unit_test(recovery_normalize_ignores_case_dashes_spaces_and_tabs),
	    cmocka_unit_test(recovery_normalize_refuses_what_is_not_a_code),
	    cmocka_unit_test(recovery_digest_is_the_hmac_of_the_user_and_the_normalized_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
