/*
 * Unit tests for totp: RFC 6238 Appendix B's SHA-1 vectors (8 digits, and
 * the 6-digit mode with their last 6 digits), the window of one step each
 * way, the step returned, and steps not later than the last accepted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "totp.h"

/* RFC 6238 Appendix B: the SHA-1 seed, ASCII "12345678901234567890". */
static const unsigned char seed[] = "12345678901234567890";
#define SEED_LEN 20

static const struct {
	time_t t;
	int64_t step;
	const char *code8;
} rfc6238[] = {
    {59, 0x1, "94287082"},
    {1111111109, 0x23523EC, "07081804"},
    {1111111111, 0x23523ED, "14050471"},
    {1234567890, 0x273EF07, "89005924"},
    {2000000000, 0x3F940AA, "69279037"},
    {20000000000, 0x27BC86AA, "65353130"},
};
#define N_VECTORS (sizeof(rfc6238) / sizeof(rfc6238[0]))

static void totp_step_is_the_30_second_step_since_the_epoch(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VECTORS; i++)
		assert_int_equal(totp_step(rfc6238[i].t), rfc6238[i].step);
	assert_int_equal(totp_step(0), 0);
	assert_int_equal(totp_step(29), 0);
	assert_int_equal(totp_step(30), 1);
	assert_int_equal(totp_step(-1), -1);
}

static void totp_code_matches_rfc6238_sha1_vectors_with_8_digits(void **state)
{
	char out[TOTP_MAX_DIGITS + 1];

	(void)state;
	for (size_t i = 0; i < N_VECTORS; i++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(totp_code(seed, SEED_LEN, totp_step(rfc6238[i].t), 8, out), 0);
		assert_string_equal(out, rfc6238[i].code8);
	}
}

static void totp_code_in_6_digit_mode_is_the_last_6_digits_of_the_vectors(void **state)
{
	char out[TOTP_DIGITS + 1];

	(void)state;
	for (size_t i = 0; i < N_VECTORS; i++) {
		assert_int_equal(totp_code(seed, SEED_LEN, totp_step(rfc6238[i].t), 6, out), 0);
		assert_string_equal(out, rfc6238[i].code8 + 2);
	}
}

static void totp_code_refuses_bad_arguments(void **state)
{
	char out[TOTP_MAX_DIGITS + 1];

	(void)state;
	assert_int_equal(totp_code(seed, SEED_LEN, 1, 5, out), -1);
	assert_int_equal(totp_code(seed, SEED_LEN, 1, 9, out), -1);
	assert_int_equal(totp_code(seed, SEED_LEN, -1, 6, out), -1);
	assert_int_equal(totp_code(seed, 0, 1, 6, out), -1);
	assert_int_equal(totp_code(NULL, SEED_LEN, 1, 6, out), -1);
}

static void totp_verify_accepts_the_current_step_and_returns_it(void **state)
{
	int64_t step = 0;

	(void)state;
	/* 1111111111 is step 0x23523ED; its code is 050471. */
	assert_int_equal(totp_verify(seed, SEED_LEN, 1111111111, -1, "050471", &step), 1);
	assert_int_equal(step, 0x23523ED);
	/* Any second of the same step. */
	assert_int_equal(totp_verify(seed, SEED_LEN, 0x23523ED * 30, -1, "050471", &step), 1);
	assert_int_equal(step, 0x23523ED);
	assert_int_equal(totp_verify(seed, SEED_LEN, 0x23523ED * 30 + 29, -1, "050471", &step), 1);
	assert_int_equal(step, 0x23523ED);
}

static void totp_verify_accepts_one_step_of_drift_each_way_and_not_two(void **state)
{
	char code[TOTP_DIGITS + 1];
	const time_t now = 1111111111;
	const int64_t t = totp_step(now);
	int64_t step = 0;

	(void)state;
	for (int64_t d = -3; d <= 3; d++) {
		assert_int_equal(totp_code(seed, SEED_LEN, t + d, TOTP_DIGITS, code), 0);
		step = 12345;
		if (d >= -1 && d <= 1) {
			assert_int_equal(totp_verify(seed, SEED_LEN, now, -1, code, &step), 1);
			assert_int_equal(step, t + d);
		} else {
			assert_int_equal(totp_verify(seed, SEED_LEN, now, -1, code, &step), 0);
			assert_int_equal(step, -1);
		}
	}
}

static void totp_verify_refuses_a_step_not_later_than_the_last_accepted(void **state)
{
	char prev[TOTP_DIGITS + 1], cur[TOTP_DIGITS + 1], next[TOTP_DIGITS + 1];
	const time_t now = 1234567890;
	const int64_t t = totp_step(now);
	int64_t step = 0;

	(void)state;
	assert_int_equal(totp_code(seed, SEED_LEN, t - 1, TOTP_DIGITS, prev), 0);
	assert_int_equal(totp_code(seed, SEED_LEN, t, TOTP_DIGITS, cur), 0);
	assert_int_equal(totp_code(seed, SEED_LEN, t + 1, TOTP_DIGITS, next), 0);
	/* The code of the step just accepted, again: refused. */
	assert_int_equal(totp_verify(seed, SEED_LEN, now, t, cur, &step), 0);
	assert_int_equal(step, -1);
	/* An earlier step than the last accepted: refused. */
	assert_int_equal(totp_verify(seed, SEED_LEN, now, t - 1, prev, &step), 0);
	assert_int_equal(totp_verify(seed, SEED_LEN, now, t, prev, &step), 0);
	/* A later one still works. */
	assert_int_equal(totp_verify(seed, SEED_LEN, now, t, next, &step), 1);
	assert_int_equal(step, t + 1);
	assert_int_equal(totp_verify(seed, SEED_LEN, now, t - 1, cur, &step), 1);
	assert_int_equal(step, t);
}

static void totp_verify_refuses_wrong_and_malformed_codes(void **state)
{
	static const char *const bad[] = {"",        "05047",   "0504711", "05047a", " 050471",
	                                  "050471 ", "05 0471", "+50471",  "-50471", "050472"};
	int64_t step = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		step = 7;
		assert_int_equal(totp_verify(seed, SEED_LEN, 1111111111, -1, bad[i], &step), 0);
		assert_int_equal(step, -1);
	}
	assert_int_equal(totp_verify(seed, SEED_LEN, 1111111111, -1, NULL, &step), 0);
	/* Another secret's code. */
	assert_int_equal(totp_verify((const unsigned char *)"12345678901234567891", SEED_LEN,
	                             1111111111, -1, "050471", &step),
	                 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(totp_step_is_the_30_second_step_since_the_epoch),
	    cmocka_unit_test(totp_code_matches_rfc6238_sha1_vectors_with_8_digits),
	    cmocka_unit_test(totp_code_in_6_digit_mode_is_the_last_6_digits_of_the_vectors),
	    cmocka_unit_test(totp_code_refuses_bad_arguments),
	    cmocka_unit_test(totp_verify_accepts_the_current_step_and_returns_it),
	    cmocka_unit_test(totp_verify_accepts_one_step_of_drift_each_way_and_not_two),
	    cmocka_unit_test(totp_verify_refuses_a_step_not_later_than_the_last_accepted),
	    cmocka_unit_test(totp_verify_refuses_wrong_and_malformed_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
