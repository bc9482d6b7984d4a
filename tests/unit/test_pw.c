/*
 * Unit tests for pw: Argon2id round trips at a small cost, a hash made by the
 * argon2 command line tool, bcrypt hashes made by Python's bcrypt (as passlib
 * writes them for the FastAPI version), stored strings that must never
 * verify, pw_kind() against libargon2's own decoder, and pw_needs_rehash().
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

#include <argon2.h>

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
	/* pw.c writes the PHC string itself: libargon2's own decoder reads it. */
	assert_int_equal(argon2id_verify(phc, "StrongPass123", 13), ARGON2_OK);
	assert_int_equal(argon2id_verify(phc, "StrongPass124", 13), ARGON2_VERIFY_MISMATCH);
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

/* A NUL is a byte like any other: nothing stops at it, so a prefix never matches. */
static void pw_argon2id_takes_nul_bytes_as_part_of_the_password(void **state)
{
	char *phc = NULL;

	(void)state;
	assert_int_equal(pw_verify(cli_argon2id, "StrongPass123\0x", 15), 0);
	assert_int_equal(pw_verify(cli_argon2id, "StrongPass123\0", 14), 0);
	assert_int_equal(pw_verify(cli_argon2id, "\0StrongPass123", 14), 0);
	assert_int_equal(pw_hash("ab\0cd", 5, &cheap, &phc), 0);
	assert_int_equal(pw_verify(phc, "ab\0cd", 5), 1);
	assert_int_equal(pw_verify(phc, "ab\0cX", 5), 0);
	assert_int_equal(pw_verify(phc, "ab", 2), 0);
	assert_int_equal(pw_verify(phc, "ab\0", 3), 0);
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

static void pw_verify_refuses_other_schemes_and_malformed_argon2id(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(foreign_cases) / sizeof(foreign_cases[0]); i++) {
		int got = pw_verify(foreign_cases[i].phc, "StrongPass123", 13);

		if (got != 0)
			fail_msg("%s: got %d, want 0", foreign_cases[i].name, got);
		if (pw_kind(foreign_cases[i].phc) != PW_UNUSABLE)
			fail_msg("%s: pw_kind is not PW_UNUSABLE", foreign_cases[i].name);
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

/*
 * Made with Python's bcrypt 3.2 (what passlib's CryptContext(schemes=["bcrypt"])
 * calls), e.g. bcrypt.hashpw(b"StrongPass123", bcrypt.gensalt(4, b"2a")); the
 * $2y$ one from a $2b$ salt with its prefix replaced, as bcrypt accepts.
 */
struct bcrypt_case {
	const char *name;
	const char *hash;
	const char *pw; /* the right password */
};

static const char long_pw[] = "0123456789012345678901234567890123456789"
                              "0123456789012345678901234567890123456789"
                              "01234567890123456789";

static const struct bcrypt_case bcrypt_cases[] = {
    {"$2a$", "$2a$04$qsiEiUAYULy7NG.EK.T77ejlD4nqass7g1SQt5UESIAqKtP0i9Ww.", "StrongPass123"},
    {"$2b$", "$2b$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u", "StrongPass123"},
    {"$2y$ cost 5", "$2y$05$pIaSc7CZAie7AAxAVEwOlOEn9xBd61Z3Mpk/7yJAnNESx0wYUWYmK",
     "StrongPass123"},
    /* 8-bit bytes: libxcrypt's $2a$ is the correct algorithm, as Python's. */
    {"$2a$ UTF-8", "$2a$04$jX2L390VuK86AUAJ981S.u/WMEQXUlmrMcE4FS5ECN0KywVa/gZJe",
     "P\xc3\xa4ssw\xc3\xb6rd123\xe2\x82\xac"},
    {"$2b$ UTF-8", "$2b$04$unAAAL.qdHe9/JKB0vGZYudHQm2Yjl3db2sgkdHMpBJr9NIDs09/G",
     "P\xc3\xa4ssw\xc3\xb6rd123\xe2\x82\xac"},
    {"$2b$ 100 bytes", "$2b$04$fOz.0Zt6YPNgIaBYAgk5MOlVaLsb05FHnJue.D37bgFsk9JzGGTK2", long_pw},
    {"$2b$ empty", "$2b$04$Dpi48zroDgrrxrCyFpXGYOoYKG69pVOHJG0twOhxDQ4dVzQ41CAea", ""},
};

static void pw_verify_accepts_bcrypt_from_python(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bcrypt_cases) / sizeof(bcrypt_cases[0]); i++) {
		const struct bcrypt_case *c = &bcrypt_cases[i];
		size_t n = strlen(c->pw);

		if (pw_kind(c->hash) != PW_BCRYPT)
			fail_msg("%s: pw_kind is not PW_BCRYPT", c->name);
		if (pw_verify(c->hash, c->pw, n) != 1)
			fail_msg("%s: the right password did not verify", c->name);
		if (pw_verify(c->hash, "StrongPass124", 13) != 0)
			fail_msg("%s: a wrong password verified", c->name);
		if (n > 0 && n <= 72 && pw_verify(c->hash, c->pw, n - 1) != 0)
			fail_msg("%s: the password without its last byte verified", c->name);
		if (n > 0 && n < 72 && pw_verify(c->hash, c->pw, 0) != 0)
			fail_msg("%s: the empty password verified", c->name);
	}
}

/* As bcrypt and passlib: only the first 72 bytes count, however long the rest. */
static void pw_bcrypt_uses_the_first_72_bytes_of_any_length(void **state)
{
	static const char hash[] = "$2b$04$fOz.0Zt6YPNgIaBYAgk5MOlVaLsb05FHnJue.D37bgFsk9JzGGTK2";
	char big[1024];

	(void)state;
	memcpy(big, long_pw, 72);
	memset(big + 72, 'x', sizeof(big) - 72);
	assert_int_equal(pw_verify(hash, long_pw, 72), 1);
	/* Beyond libxcrypt's 512-byte limit: still an answer, not a failure. */
	assert_int_equal(pw_verify(hash, big, sizeof(big)), 1);
	assert_int_equal(pw_verify(hash, big, 600), 1);
	assert_int_equal(pw_verify(hash, long_pw, 71), 0);
	big[71] = 'X';
	assert_int_equal(pw_verify(hash, big, sizeof(big)), 0);
}

/* A NUL byte never matches a bcrypt hash (crypt() would stop there). */
static void pw_bcrypt_refuses_passwords_with_a_nul_byte(void **state)
{
	static const char hash[] = "$2b$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u";

	(void)state;
	assert_int_equal(pw_verify(hash, "StrongPass123\0x", 15), 0);
	assert_int_equal(pw_verify(hash, "StrongPass123\0", 14), 0);
	assert_int_equal(pw_verify(hash, "\0StrongPass123", 14), 0);
	assert_int_equal(pw_verify(hash, "StrongPass123", 13), 1);
	/* NULL with length 0 is the empty password; NULL with a length is an error. */
	assert_int_equal(
	    pw_verify("$2b$04$Dpi48zroDgrrxrCyFpXGYOoYKG69pVOHJG0twOhxDQ4dVzQ41CAea", NULL, 0), 1);
	assert_int_equal(pw_verify(hash, NULL, 13), -1);
}

/* Variants of the good $2b$ hash of StrongPass123: none verifies, none crashes. */
static const struct foreign_case bad_bcrypt_cases[] = {
    {"59 characters", "$2b$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm."},
    {"61 characters", "$2b$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.uu"},
    {"trailing newline", "$2b$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u\n"},
    {"'+' in the salt", "$2b$04$IaZ95uR+drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u"},
    {"'=' in the hash", "$2b$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.="},
    {"space in the hash", "$2b$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TM PcbRYtm.u"},
    {"8-bit byte", "$2b$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TM\xc3\xa4"
                   "cbRYtm."},
    {"cost 03", "$2b$03$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u"},
    {"cost 00", "$2b$00$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u"},
    {"cost 17", "$2b$17$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u"},
    {"cost 31", "$2b$31$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u"},
    {"cost 99", "$2b$99$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u"},
    {"cost 4 in one digit", "$2b$4$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.uu"},
    {"cost 'a4'", "$2b$a4$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u"},
    {"$2x$", "$2x$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u"},
    {"$2c$", "$2c$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u"},
    {"$2B$", "$2B$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.u"},
    {"$2$", "$2$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.uu"},
    {"$2b without $", "$2b04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.uu"},
    {"passlib bcrypt_sha256", "$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$"
                              "Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2"},
    {"prefix only", "$2b$"},
    {"$2", "$2"},
    /* Well-formed, but another hash of the salt: a mismatch, not an error. */
    {"other hash", "$2b$04$IaZ95uR/drikjUkfGhyZSeSVBkmUoJfRY05YGrfY0TMVPcbRYtm.v"},
};

static void pw_verify_refuses_malformed_bcrypt(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_bcrypt_cases) / sizeof(bad_bcrypt_cases[0]); i++) {
		const char *h = bad_bcrypt_cases[i].phc;
		int got = pw_verify(h, "StrongPass123", 13);

		if (got != 0)
			fail_msg("%s: got %d, want 0", bad_bcrypt_cases[i].name, got);
		/* Only the last one has the form of a bcrypt hash. */
		if (i + 1 < sizeof(bad_bcrypt_cases) / sizeof(bad_bcrypt_cases[0]) &&
		    pw_kind(h) != PW_UNUSABLE)
			fail_msg("%s: pw_kind is not PW_UNUSABLE", bad_bcrypt_cases[i].name);
	}
}

/* Runs f(phc) with stderr sent to a temporary file, whose text goes to log. */
static int kind_capturing_log(const char *phc, char *log, size_t loglen)
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

static void pw_verify_logs_what_kind_of_hash_was_refused(void **state)
{
	char log[1024];

	(void)state;
	assert_int_equal(kind_capturing_log(bad_bcrypt_cases[9].phc, log, sizeof(log)), 0);
	assert_non_null(strstr(log, "warning: malformed bcrypt hash"));
	assert_int_equal(kind_capturing_log("plain", log, sizeof(log)), 0);
	assert_non_null(
	    strstr(log, "warning: stored password hash is neither argon2id nor bcrypt"));
	assert_null(strstr(log, "StrongPass123"));
	/* A good bcrypt hash and a wrong password: nothing to log. */
	assert_int_equal(kind_capturing_log(bcrypt_cases[0].hash, log, sizeof(log)), 1);
	assert_int_equal(kind_capturing_log(bad_bcrypt_cases[22].phc, log, sizeof(log)), 0);
	assert_string_equal(log, "");
}

/*
 * pw_kind() parses argon2id strings itself; it must agree with libargon2's
 * decoder. Every single-character change or deletion of a valid string (m=8,
 * so each verify is cheap) is either refused by both or accepted by both
 * (accepted by libargon2: it answers OK or mismatch, not a decoding error),
 * but for one deliberate difference: libargon2 takes any version number (and
 * runs 1.3 for all but 16), pw_kind() only 16 and 19. Where both accept,
 * pw_verify() (which decodes the string itself) gives libargon2's verdict.
 */
static void pw_kind_agrees_with_libargon2_on_argon2id(void **state)
{
	static const char good[] = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                           "Q6OJA8ktmVGE/R8Ju1Vz0EZWIjfn11ybTrs8MKoBGEM";
	static const char subst[] = "0189AQgz+/$=,.-v ";
	char s[sizeof(good)];
	size_t len = strlen(good);
	int checked = 0;

	(void)state;
	assert_int_equal(pw_kind(good), PW_ARGON2ID);
	assert_int_equal(pw_verify(good, "StrongPass123", 13), 1);
	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k <= strlen(subst); k++) {
			int ours, theirs, verdict;

			memcpy(s, good, sizeof(good));
			if (k == strlen(subst))
				memmove(s + i, s + i + 1, len - i); /* delete */
			else if (good[i] != subst[k])
				s[i] = subst[k];
			else
				continue;
			ours = pw_kind(s) == PW_ARGON2ID;
			verdict = argon2id_verify(s, "StrongPass123", 13);
			theirs = verdict == ARGON2_OK || verdict == ARGON2_VERIFY_MISMATCH;
			if (!ours && theirs && strncmp(s, "$argon2id$v=", 12) == 0 &&
			    strncmp(s + 12, "16$", 3) != 0 && strncmp(s + 12, "19$", 3) != 0)
				continue;
			if (ours != theirs)
				fail_msg("\"%s\": pw_kind says %d, libargon2 says %d", s, ours,
				         theirs);
			if (ours && pw_verify(s, "StrongPass123", 13) != (verdict == ARGON2_OK))
				fail_msg("\"%s\": pw_verify says %d, libargon2 says %d", s,
				         pw_verify(s, "StrongPass123", 13), verdict);
			checked++;
		}
	}
	assert_true(checked > 1000);
}

static void pw_kind_tells_the_schemes_apart(void **state)
{
	(void)state;
	assert_int_equal(pw_kind(cli_argon2id), PW_ARGON2ID);
	/* Version 16, with v= or without it (libargon2's default). */
	assert_int_equal(pw_kind("$argon2id$v=16$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                         "FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY"),
	                 PW_ARGON2ID);
	assert_int_equal(pw_kind("$argon2id$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                         "FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY"),
	                 PW_ARGON2ID);
	assert_int_equal(pw_kind(bcrypt_cases[0].hash), PW_BCRYPT);
	assert_int_equal(pw_kind(NULL), PW_UNUSABLE);
	assert_int_equal(pw_kind(""), PW_UNUSABLE);
	/* Other versions, and costs past the bounds that libargon2 would take. */
	assert_int_equal(pw_kind("$argon2id$v=18$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                         "FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY"),
	                 PW_UNUSABLE);
	assert_int_equal(pw_kind("$argon2id$v=19$m=4194305,t=1,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                         "FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY"),
	                 PW_UNUSABLE);
	assert_int_equal(pw_kind("$argon2id$v=19$m=4194304,t=100,p=64$c2FsdHNhbHRzYWx0MTIzNA$"
	                         "FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY"),
	                 PW_ARGON2ID);
	assert_int_equal(pw_kind("$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                         "FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY99999999999999"
	                         "999999999999999999999999999999"),
	                 PW_UNUSABLE);
	assert_int_equal(
	    pw_kind("$argon2id$v=19$m=99999999999999999999999,t=2,p=1$"
	            "c2FsdHNhbHRzYWx0MTIzNA$FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY"),
	    PW_UNUSABLE);
}

static void pw_verify_accepts_argon2id_version_16(void **state)
{
	(void)state;
	assert_int_equal(pw_verify("$argon2id$v=16$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                           "FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY",
	                           "StrongPass123", 13),
	                 1);
	assert_int_equal(pw_verify("$argon2id$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                           "FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY",
	                           "StrongPass123", 13),
	                 1);
}

static void pw_needs_rehash_wants_bcrypt_and_weaker_argon2id(void **state)
{
	static const struct pw_cost at = {.memory_kib = 1024, .iterations = 2, .parallelism = 1};
	static const struct pw_cost more_m = {
	    .memory_kib = 1025, .iterations = 2, .parallelism = 1};
	static const struct pw_cost more_t = {
	    .memory_kib = 1024, .iterations = 3, .parallelism = 1};
	static const struct pw_cost less = {.memory_kib = 512, .iterations = 1, .parallelism = 4};

	(void)state;
	/* cli_argon2id is v=19, m=1024, t=2, p=1. */
	assert_int_equal(pw_needs_rehash(cli_argon2id, &at), 0);
	assert_int_equal(pw_needs_rehash(cli_argon2id, &less), 0);
	assert_int_equal(pw_needs_rehash(cli_argon2id, &more_m), 1);
	assert_int_equal(pw_needs_rehash(cli_argon2id, &more_t), 1);
	assert_int_equal(pw_needs_rehash(cli_argon2id, &defaults), 1);
	/* Lower memory but more iterations is still weaker in memory. */
	assert_int_equal(pw_needs_rehash("$argon2id$v=19$m=512,t=9,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                                 "QrpOYL3NyFG8YVao9uCSnVfWGV8KH/tYPvbwzt6pALE",
	                                 &at),
	                 1);
	/* Version 16 (written or not) always. */
	assert_int_equal(pw_needs_rehash("$argon2id$v=16$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                                 "FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY",
	                                 &less),
	                 1);
	assert_int_equal(pw_needs_rehash("$argon2id$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0MTIzNA$"
	                                 "FEh7JAUjvDcmnlk21XZ/o1pkTOm44NYIrJDwVEq4PTY",
	                                 &less),
	                 1);
	/* Every bcrypt hash, whatever its cost. */
	for (size_t i = 0; i < sizeof(bcrypt_cases) / sizeof(bcrypt_cases[0]); i++)
		assert_int_equal(pw_needs_rehash(bcrypt_cases[i].hash, &less), 1);
	/* What cannot verify is never rehashed. */
	for (size_t i = 0; i < sizeof(foreign_cases) / sizeof(foreign_cases[0]); i++)
		assert_int_equal(pw_needs_rehash(foreign_cases[i].phc, &at), 0);
	assert_int_equal(pw_needs_rehash(bad_bcrypt_cases[7].phc, &at), 0);  /* cost 03 */
	assert_int_equal(pw_needs_rehash(bad_bcrypt_cases[14].phc, &at), 0); /* $2x$ */
	assert_int_equal(pw_needs_rehash(NULL, &at), 0);
	assert_int_equal(pw_needs_rehash(cli_argon2id, NULL), 0);
}

/* A rehash is a normal pw_hash(): the new string verifies and needs nothing more. */
static void pw_rehash_of_a_bcrypt_password_round_trips(void **state)
{
	char *phc = NULL;

	(void)state;
	assert_int_equal(pw_verify(bcrypt_cases[5].hash, long_pw, strlen(long_pw)), 1);
	assert_int_equal(pw_needs_rehash(bcrypt_cases[5].hash, &cheap), 1);
	assert_int_equal(pw_hash(long_pw, strlen(long_pw), &cheap, &phc), 0);
	assert_int_equal(pw_needs_rehash(phc, &cheap), 0);
	assert_int_equal(pw_verify(phc, long_pw, strlen(long_pw)), 1);
	/* Argon2id takes the whole password: 72 bytes no longer suffice. */
	assert_int_equal(pw_verify(phc, long_pw, 72), 0);
	free(phc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pw_hash_then_verify_round_trips),
	    cmocka_unit_test(pw_verify_refuses_wrong_passwords),
	    cmocka_unit_test(pw_passwords_are_byte_strings_of_explicit_length),
	    cmocka_unit_test(pw_argon2id_takes_nul_bytes_as_part_of_the_password),
	    cmocka_unit_test(pw_hash_uses_a_fresh_16_byte_salt_and_32_byte_hash),
	    cmocka_unit_test(pw_default_cost_gives_the_documented_format),
	    cmocka_unit_test(pw_verify_accepts_a_hash_from_the_argon2_cli),
	    cmocka_unit_test(pw_verify_refuses_other_schemes_and_malformed_argon2id),
	    cmocka_unit_test(pw_verify_logs_a_warning_for_a_malformed_hash),
	    cmocka_unit_test(pw_bad_arguments_fail_cleanly),
	    cmocka_unit_test(pw_burn_does_the_work_and_returns),
	    cmocka_unit_test(pw_verify_refuses_a_stored_cost_beyond_the_bounds),
	    cmocka_unit_test(pw_verify_accepts_bcrypt_from_python),
	    cmocka_unit_test(pw_bcrypt_uses_the_first_72_bytes_of_any_length),
	    cmocka_unit_test(pw_bcrypt_refuses_passwords_with_a_nul_byte),
	    cmocka_unit_test(pw_verify_refuses_malformed_bcrypt),
	    cmocka_unit_test(pw_verify_logs_what_kind_of_hash_was_refused),
	    cmocka_unit_test(pw_kind_agrees_with_libargon2_on_argon2id),
	    cmocka_unit_test(pw_kind_tells_the_schemes_apart),
	    cmocka_unit_test(pw_verify_accepts_argon2id_version_16),
	    cmocka_unit_test(pw_needs_rehash_wants_bcrypt_and_weaker_argon2id),
	    cmocka_unit_test(pw_rehash_of_a_bcrypt_password_round_trips),
	};

	return cmocka_run_group_tests_name("pw", tests, NULL, NULL);
}
