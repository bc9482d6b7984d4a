/*
 * Unit tests for pw: Argon2id round trips at a small cost, a hash made by the
 * argon2 command line tool, and stored strings that must never verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pw.h"

/* Small enough to keep the tests fast; the format test uses the real default. */
static const struct pw_cost cheap = {.memory_kib = 256, .iterations = 1, .parallelism = 1};
static const struct pw_cost defaults = {.memory_kib = 19456, .iterations = 2, .parallelism = 1};

/*
 * Made with the Debian argon2 tool:
 * echo -n 'StrongPass123' | argon2 saltsaltsalt1234 -id -t 2 -m 10 -p 1 -e
 */
static const char cli_argon2id[] = "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
                                   "QrpOYL3NyFG8YVao9uCSnVfWGV8KH/tYPvbwzt6pALE";

static void pw_hash_then_verify_round_trips(void **state)
{
	char *phc = NULL;

	(void)state;
	assert_int_equal(pw_hash("StrongPass123", 13, &cheap, &phc), 0);
	assert_non_null(phc);
	assert_int_equal(strncmp(phc, "$argon2id$v=19$m=256,t=1,p=1$", 29), 0);
	assert_int_equal(pw_verify(phc, "StrongPass123", 13), 1);
	free(phc);
}

struct wrong_case {
	const char *pw;
	size_t len;
};

static const struct wrong_case wrong_cases[] = {
    {"StrongPass124", 13},
    {"strongPass123", 13},
    {"StrongPass12", 12},
    {"StrongPass1234", 14},
    {"", 0},
    {"StrongPass123 ", 14},
};

static void pw_verify_refuses_wrong_passwords(void **state)
{
	char *phc = NULL;

	(void)state;
	assert_int_equal(pw_hash("StrongPass123", 13, &cheap, &phc), 0);
	for (size_t i = 0; i < sizeof(wrong_cases) / sizeof(wrong_cases[0]); i++) {
		if (pw_verify(phc, wrong_cases[i].pw, wrong_cases[i].len) != 0)
			fail_msg("accepted wrong password %zu", i);
	}
	free(phc);
}

static void pw_passwords_are_byte_strings_of_explicit_length(void **state)
{
	static const char odd[] = "\xff\x01\x7f p\xc3\xa4ss \\\"'";
	char *phc = NULL;

	(void)state;
	assert_int_equal(pw_hash(odd, sizeof(odd) - 1, &cheap, &phc), 0);
	assert_int_equal(pw_verify(phc, odd, sizeof(odd) - 1), 1);
	assert_int_equal(pw_verify(phc, odd, sizeof(odd) - 2), 0);
	free(phc);

	/* Only the first len bytes count. */
	assert_int_equal(pw_hash("abcdef", 3, &cheap, &phc), 0);
	assert_int_equal(pw_verify(phc, "abcXYZ", 3), 1);
	assert_int_equal(pw_verify(phc, "abcdef", 6), 0);
	free(phc);
}

/* Split "$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>" and check the part sizes. */
static void pw_hash_uses_a_fresh_16_byte_salt_and_32_byte_hash(void **state)
{
	char *a = NULL, *b = NULL;
	const char *salt, *hash;

	(void)state;
	assert_int_equal(pw_hash("StrongPass123", 13, &cheap, &a), 0);
	assert_int_equal(pw_hash("StrongPass123", 13, &cheap, &b), 0);
	assert_string_not_equal(a, b);

	salt = strchr(a + strlen("$argon2id$v=19$m=256,t=1,p=1"), '$');
	assert_non_null(salt);
	salt++;
	hash = strchr(salt, '$');
	assert_non_null(hash);
	/* Unpadded base64: 16 bytes are 22 characters, 32 bytes are 43. */
	assert_int_equal(hash - salt, 22);
	assert_int_equal(strlen(hash + 1), 43);
	free(a);
	free(b);
}

static void pw_default_cost_gives_the_documented_format(void **state)
{
	static const char prefix[] = "$argon2id$v=19$m=19456,t=2,p=1$";
	char *phc = NULL;

	(void)state;
	assert_int_equal(pw_hash("StrongPass123", 13, &defaults, &phc), 0);
	assert_int_equal(strncmp(phc, prefix, strlen(prefix)), 0);
	assert_int_equal(strlen(phc), strlen(prefix) + 22 + 1 + 43);
	assert_int_equal(pw_verify(phc, "StrongPass123", 13), 1);
	free(phc);
}

static void pw_verify_accepts_a_hash_from_the_argon2_cli(void **state)
{
	(void)state;
	assert_int_equal(pw_verify(cli_argon2id, "StrongPass123", 13), 1);
	assert_int_equal(pw_verify(cli_argon2id, "StrongPass124", 13), 0);
}

struct foreign_case {
	const char *name;
	const char *phc;
};

static const struct foreign_case foreign_cases[] = {
    /* Same password and salt as cli_argon2id, other Argon2 variants. */
    {"argon2i", "$argon2i$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
                "77QPiLHjW69RkpNc6bF2bcJniKYQ0wYEy49RsskOjXc"},
    {"argon2d", "$argon2d$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
                "4qwBKcPbupqL+T35i/x/RsN3j5MuWUrobzlaczOnQos"},
    /* bcrypt of the same password (Python bcrypt, cost 4). */
    {"bcrypt", "$2b$04$s8fFvaE/UXM.nbWRKCL4LeJKoIJsbYr.zMzxlrWDLJuG0AHv2SdRy"},
    {"plain text", "StrongPass123"},
    {"empty", ""},
    {"upper-case scheme", "$ARGON2ID$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
                          "QrpOYL3NyFG8YVao9uCSnVfWGV8KH/tYPvbwzt6pALE"},
    /* Malformed argon2id strings. */
    {"no hash", "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"},
    {"no salt", "$argon2id$v=19$m=1024,t=2,p=1$$QrpOYL3NyFG8YVao9uCSnVfWGV8KH/tYPvbwzt6pALE"},
    {"garbage", "$argon2id$garbage"},
    {"prefix only", "$argon2id$"},
    {"memory too small", "$argon2id$v=19$m=1,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
                         "QrpOYL3NyFG8YVao9uCSnVfWGV8KH/tYPvbwzt6pALE"},
    {"bad base64 in hash", "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
                           "QrpOYL3NyFG8YVao9uCSnVfWGV8KH/tYPvbwzt6pAL*"},
    {"trailing bytes", "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
                       "QrpOYL3NyFG8YVao9uCSnVfWGV8KH/tYPvbwzt6pALE$x"},
};

static void pw_verify_accepts_only_argon2id(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(foreign_cases) / sizeof(foreign_cases[0]); i++) {
		int got = pw_verify(foreign_cases[i].phc, "StrongPass123", 13);

		if (got != 0)
			fail_msg("%s: got %d, want 0", foreign_cases[i].name, got);
	}
}

/* The argon2 tool's hash of "StrongPass124", against which "StrongPass123" is wrong. */
static const char wrong_pw_hash[] = "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
                                    "ZYtOoMqDS/jLJu+V66b9JPQmXPxin9lRjfRPtB85VjE";

/* Runs pw_verify with stderr sent to a temporary file, whose text goes to log. */
static int verify_capturing_log(const char *phc, char *log, size_t loglen)
{
	FILE *tmp = tmpfile();
	int saved, ret;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	ret = pw_verify(phc, "StrongPass123", 13);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(log, 1, loglen - 1, tmp);
	log[n] = '\0';
	fclose(tmp);
	return ret;
}

static void pw_verify_logs_a_warning_for_a_malformed_hash(void **state)
{
	char log[1024];

	(void)state;
	assert_int_equal(verify_capturing_log("$argon2id$garbage", log, sizeof(log)), 0);
	assert_non_null(strstr(log, "warning: malformed argon2id hash"));
	/* The password never reaches the log. */
	assert_null(strstr(log, "StrongPass123"));
	/* A right or a wrong password against a good hash logs nothing. */
	assert_int_equal(verify_capturing_log(cli_argon2id, log, sizeof(log)), 1);
	assert_string_equal(log, "");
	assert_int_equal(verify_capturing_log(wrong_pw_hash, log, sizeof(log)), 0);
	assert_string_equal(log, "");
}

static void pw_bad_arguments_fail_cleanly(void **state)
{
	static const struct pw_cost too_small = {
	    .memory_kib = 1, .iterations = 1, .parallelism = 1};
	char *phc = (char *)1;

	(void)state;
	assert_int_equal(pw_hash("StrongPass123", 13, &too_small, &phc), -1);
	assert_null(phc);
	phc = (char *)1;
	assert_int_equal(pw_hash("StrongPass123", 13, NULL, &phc), -1);
	assert_null(phc);
	assert_int_equal(pw_hash("StrongPass123", 13, &cheap, NULL), -1);
	assert_int_equal(pw_verify(NULL, "StrongPass123", 13), -1);
	assert_int_equal(pw_verify(cli_argon2id, NULL, 13), -1);
}

static void pw_burn_does_the_work_and_returns(void **state)
{
	(void)state;
	pw_burn("StrongPass123", 13, &cheap);
	pw_burn("", 0, &cheap);
	pw_burn("StrongPass123", 13, NULL);
}

static void pw_verify_refuses_a_stored_cost_beyond_the_bounds(void **state)
{
	/* Same salt and hash as a valid string, but a tampered cost: refused
	 * before libargon2 would try to allocate 64 GiB. */
	static const char *const bad[] = {
	    "$argon2id$v=19$m=67108864,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "$argon2id$v=19$m=1024,t=1000,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "$argon2id$v=19$m=1024,t=2,p=65$c2FsdHNhbHRzYWx0MTIzNA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "$argon2id$v=19$t=2,m=1024,p=1$c2FsdHNhbHRzYWx0MTIzNA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pw_verify(bad[i], "StrongPass123", 13), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pw_hash_then_verify_round_trips),
	    cmocka_unit_test(pw_verify_refuses_wrong_passwords),
	    cmocka_unit_test(pw_passwords_are_byte_strings_of_explicit_length),
	    cmocka_unit_test(pw_hash_uses_a_fresh_16_byte_salt_and_32_byte_hash),
	    cmocka_unit_test(pw_default_cost_gives_the_documented_format),
	    cmocka_unit_test(pw_verify_accepts_a_hash_from_the_argon2_cli),
	    cmocka_unit_test(pw_verify_accepts_only_argon2id),
	    cmocka_unit_test(pw_verify_logs_a_warning_for_a_malformed_hash),
	    cmocka_unit_test(pw_bad_arguments_fail_cleanly),
	    cmocka_unit_test(pw_burn_does_the_work_and_returns),
	    cmocka_unit_test(pw_verify_refuses_a_stored_cost_beyond_the_bounds),
	};

	return cmocka_run_group_tests_name("pw", tests, NULL, NULL);
}
