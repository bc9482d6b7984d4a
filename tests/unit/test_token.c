/*
 * Unit tests for token: digests against published vectors, the OTP draw
 * (format, rejection boundary, a loose uniformity check) and reset tokens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "b64.h"
#include "token.h"

static void hex_of(const unsigned char d[TOKEN_DIGEST_LEN], char out[2 * TOKEN_DIGEST_LEN + 1])
{
	token_hex(d, out);
}

struct sha_vector {
	const char *data;
	const char *hex;
};

static const struct sha_vector sha_vectors[] = {
    /* FIPS 180-2 examples. */
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

static void token_sha256_matches_known_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sha_vectors) / sizeof(sha_vectors[0]); i++) {
		unsigned char d[TOKEN_DIGEST_LEN];
		char hex[2 * TOKEN_DIGEST_LEN + 1];

		token_sha256(sha_vectors[i].data, strlen(sha_vectors[i].data), d);
		hex_of(d, hex);
		assert_string_equal(hex, sha_vectors[i].hex);
	}
}

static void token_hmac_matches_rfc4231_cases_1_and_2(void **state)
{
	unsigned char key1[20];
	unsigned char d[TOKEN_DIGEST_LEN];
	char hex[2 * TOKEN_DIGEST_LEN + 1];

	(void)state;
	/* Test case 2: a key shorter than the block, text with spaces. */
	assert_int_equal(token_hmac("Jefe", 4, "what do ya want for nothing?", 28, d), 0);
	hex_of(d, hex);
	assert_string_equal(hex,
	                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	/* Test case 1. */
	memset(key1, 0x0b, sizeof(key1));
	assert_int_equal(token_hmac(key1, sizeof(key1), "Hi There", 8, d), 0);
	hex_of(d, hex);
	assert_string_equal(hex,
	                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void token_otp_digest_is_hmac_of_user_id_colon_code(void **state)
{
	unsigned char key[32];
	unsigned char d[TOKEN_DIGEST_LEN], d2[TOKEN_DIGEST_LEN], d3[TOKEN_DIGEST_LEN];
	char hex[2 * TOKEN_DIGEST_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	/* Expected values from Python's hmac module. */
	assert_int_equal(token_otp_digest(key, 42, "123456", d), 0);
	hex_of(d, hex);
	assert_string_equal(hex,
	                    "0748f8c4cf6e10854cdb9c55b14c2e0efc28834dc8b826350d0fc82f22dc6195");
	assert_int_equal(token_hmac(key, sizeof(key), "42:123456", 9, d2), 0);
	assert_int_equal(token_digest_equal(d, d2), 1);

	/* The same code for another user has another digest. */
	assert_int_equal(token_otp_digest(key, 43, "123456", d3), 0);
	hex_of(d3, hex);
	assert_string_equal(hex,
	                    "1ca61cf2eaa9b211e9469a07d137535ec866d78ef8427d40db0ced2d13e9f8dd");
	assert_int_equal(token_digest_equal(d, d3), 0);

	assert_int_equal(token_otp_digest(key, 42, NULL, d3), -1);
}

static void token_digest_equal_compares_every_byte(void **state)
{
	unsigned char a[TOKEN_DIGEST_LEN], b[TOKEN_DIGEST_LEN];

	(void)state;
	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_int_equal(token_digest_equal(a, b), 1);
	b[0] ^= 1;
	assert_int_equal(token_digest_equal(a, b), 0);
	b[0] ^= 1;
	b[TOKEN_DIGEST_LEN - 1] ^= 0x80;
	assert_int_equal(token_digest_equal(a, b), 0);
}

static void token_hex_is_lower_case_and_terminated(void **state)
{
	unsigned char d[TOKEN_DIGEST_LEN];
	char hex[2 * TOKEN_DIGEST_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(d); i++)
		d[i] = (unsigned char)(i * 8);
	d[31] = 0xff;
	memset(hex, 'x', sizeof(hex));
	token_hex(d, hex);
	assert_string_equal(hex,
	                    "0008101820283038404850586068707880889098a0a8b0b8c0c8d0d8e0e8f0ff");
}

struct otp_case {
	uint32_t v;
	int ret;
	const char *code;
};

static const struct otp_case otp_cases[] = {
    {0, 0, "000000"},        {7, 0, "000007"},         {999999, 0, "999999"},
    {1000000, 0, "000000"},  {123456789, 0, "456789"}, {4293999999u, 0, "999999"},
    {4294000000u, -1, NULL}, {4294000001u, -1, NULL},  {UINT32_MAX, -1, NULL},
};

static void token_otp_rejects_draws_at_or_above_the_limit(void **state)
{
	(void)state;
	assert_int_equal(TOKEN_OTP_LIMIT, 4294000000u);
	for (size_t i = 0; i < sizeof(otp_cases) / sizeof(otp_cases[0]); i++) {
		char out[TOKEN_OTP_LEN + 1];

		assert_int_equal(token_otp_from_u32(otp_cases[i].v, out), otp_cases[i].ret);
		if (otp_cases[i].code != NULL)
			assert_string_equal(out, otp_cases[i].code);
	}
}

#define OTP_DRAWS 200000

/*
 * 200,000 codes: each is six digits, and the leading and the last digit are
 * spread evenly. The chi-square statistic has 9 degrees of freedom; 50 is
 * passed by chance with probability about 1e-7, so this cannot flake, yet a
 * real bias (a digit at 9% instead of 10%) gives a statistic near 200.
 */
static void token_otp_is_six_digits_and_roughly_uniform(void **state)
{
	long first[10] = {0}, last[10] = {0};
	double chi_first = 0, chi_last = 0;
	const double expect = OTP_DRAWS / 10.0;

	(void)state;
	for (long i = 0; i < OTP_DRAWS; i++) {
		char code[TOKEN_OTP_LEN + 2];

		memset(code, 'x', sizeof(code));
		assert_int_equal(token_otp_new(code), 0);
		assert_int_equal(strlen(code), TOKEN_OTP_LEN);
		for (int k = 0; k < TOKEN_OTP_LEN; k++) {
			if (code[k] < '0' || code[k] > '9')
				fail_msg("non-digit in otp");
		}
		first[code[0] - '0']++;
		last[code[TOKEN_OTP_LEN - 1] - '0']++;
	}
	for (int d = 0; d < 10; d++) {
		chi_first += (first[d] - expect) * (first[d] - expect) / expect;
		chi_last += (last[d] - expect) * (last[d] - expect) / expect;
		/* Each digit near 10%: 20,000 +- 1,000 is over 7 standard deviations. */
		assert_in_range(first[d], 19000, 21000);
		assert_in_range(last[d], 19000, 21000);
	}
	if (chi_first > 50.0 || chi_last > 50.0)
		fail_msg("otp digits not uniform: chi2 first %.1f, last %.1f", chi_first, chi_last);
}

static int is_b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static void token_reset_is_43_base64url_chars_of_32_bytes(void **state)
{
	char a[TOKEN_RESET_LEN + 1], b[TOKEN_RESET_LEN + 1];
	unsigned char raw[TOKEN_RESET_BYTES];

	(void)state;
	assert_int_equal(TOKEN_RESET_LEN, 43);
	assert_int_equal(token_reset_new(a), 0);
	assert_int_equal(token_reset_new(b), 0);
	assert_int_equal(strlen(a), TOKEN_RESET_LEN);
	assert_int_equal(strlen(b), TOKEN_RESET_LEN);
	for (size_t i = 0; i < TOKEN_RESET_LEN; i++) {
		assert_true(is_b64url_char(a[i]));
		assert_true(is_b64url_char(b[i]));
	}
	assert_string_not_equal(a, b);
	assert_int_equal(b64url_decode(a, TOKEN_RESET_LEN, raw, sizeof(raw)), TOKEN_RESET_BYTES);
}

static void token_random_fills_the_buffer(void **state)
{
	unsigned char a[64], b[64];

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(token_random(a, sizeof(a)), 0);
	assert_int_equal(token_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(token_random(a, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(token_sha256_matches_known_vectors),
	    cmocka_unit_test(token_hmac_matches_rfc4231_cases_1_and_2),
	    cmocka_unit_test(token_otp_digest_is_hmac_of_user_id_colon_code),
	    cmocka_unit_test(token_digest_equal_compares_every_byte),
	    cmocka_unit_test(token_hex_is_lower_case_and_terminated),
	    cmocka_unit_test(token_otp_rejects_draws_at_or_above_the_limit),
	    cmocka_unit_test(token_otp_is_six_digits_and_roughly_uniform),
	    cmocka_unit_test(token_reset_is_43_base64url_chars_of_32_bytes),
	    cmocka_unit_test(token_random_fills_the_buffer),
	};

	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
