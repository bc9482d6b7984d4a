/*
 * Tests for validate.c: the input rules of docs/CONTRACT.md (IN-1 to IN-5) and their pydantic-style
 * messages. Each table row is one input and the exact outcome expected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "validate.h"

/* A byte string that may hold NULs: the literal and its length. */
#define S(lit) lit, sizeof(lit) - 1

#define EMAIL_PREFIX "value is not a valid email address: "
/* Table outcomes: accepted with this output, or rejected with this entry. */
#define OK(out)                 \
	{                       \
		out, NULL, NULL \
	}
#define ERR(msg, type)          \
	{                       \
		NULL, msg, type \
	}

/* Expected outcome: out (NULL for a failure), or msg and type of the one entry. */
struct expect {
	const char *out;
	const char *msg;
	const char *type;
};

/* Checks one validator result against e; name says which row failed. */
static void check(const char *name, int r, const struct ferrs *errs, const char *out,
                  const struct expect *e)
{
	if (e->msg == NULL) {
		if (r != 0 || errs->n != 0)
			fail_msg("%s: expected success, got %d (%s)", name, r,
			         errs->n ? errs->e[0].msg : "no entry");
		if (e->out != NULL && (out == NULL || strcmp(out, e->out) != 0))
			fail_msg("%s: expected \"%s\", got \"%s\"", name, e->out,
			         out ? out : "(null)");
		return;
	}
	if (r != -1 || errs->n != 1)
		fail_msg("%s: expected one error, got r=%d n=%zu", name, r, errs->n);
	if (strcmp(errs->e[0].msg, e->msg) != 0)
		fail_msg("%s: expected msg \"%s\", got \"%s\"", name, e->msg, errs->e[0].msg);
	if (strcmp(errs->e[0].type, e->type) != 0)
		fail_msg("%s: expected type \"%s\", got \"%s\"", name, e->type, errs->e[0].type);
	if (strcmp(errs->e[0].field, "f") != 0)
		fail_msg("%s: entry names field \"%s\"", name, errs->e[0].field);
	if (out != NULL)
		fail_msg("%s: output set on failure", name);
}

/* Returns a malloc'd string of n copies of unit followed by tail. */
static char *repeat(const char *unit, size_t n, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(ul * n + tl + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	memcpy(s + ul * n, tail, tl + 1);
	return s;
}

static const struct {
	const char *name;
	const char *in;
	size_t len;
	struct expect e;
} email_cases[] = {
    {"trimmed and lower-cased", S("  User.Name@Example.COM \t\n"), OK("user.name@example.com")},
    {"plus tag kept", S("a+tag@sub.example.org"), OK("a+tag@sub.example.org")},
    {"no at-sign", S("userexample.com"),
     ERR(EMAIL_PREFIX "An email address must have an @-sign.", "value_error")},
    {"empty", S(""), ERR(EMAIL_PREFIX "An email address must have an @-sign.", "value_error")},
    {"only white space", S("   "),
     ERR(EMAIL_PREFIX "An email address must have an @-sign.", "value_error")},
    {"two at-signs", S("a@b@example.com"),
     ERR(EMAIL_PREFIX "An email address must have exactly one @-sign.", "value_error")},
    {"empty local part", S("@example.com"),
     ERR(EMAIL_PREFIX "There must be something before the @-sign.", "value_error")},
    {"empty domain", S("user@"),
     ERR(EMAIL_PREFIX "There must be something after the @-sign.", "value_error")},
    {"domain without a dot", S("user@localhost"),
     ERR(EMAIL_PREFIX "The part after the @-sign is not valid. It should have a period.",
         "value_error")},
    {"domain leading dot", S("user@.example.com"),
     ERR(EMAIL_PREFIX "An email address cannot have a period immediately after the @-sign.",
         "value_error")},
    {"domain trailing dot", S("user@example.com."),
     ERR(EMAIL_PREFIX "An email address cannot end with a period.", "value_error")},
    {"domain empty label", S("user@example..com"),
     ERR(EMAIL_PREFIX "An email address cannot have two periods in a row.", "value_error")},
    {"inner space", S("us er@example.com"),
     ERR(EMAIL_PREFIX "The email address contains invalid characters.", "value_error")},
    {"inner tab", S("user@exa\tmple.com"),
     ERR(EMAIL_PREFIX "The email address contains invalid characters.", "value_error")},
    {"control byte", S("user\x01@example.com"),
     ERR(EMAIL_PREFIX "The email address contains invalid characters.", "value_error")},
    {"DEL byte", S("user\x7f@example.com"),
     ERR(EMAIL_PREFIX "The email address contains invalid characters.", "value_error")},
    {"NUL byte", S("user\0@example.com"),
     ERR(EMAIL_PREFIX "The email address contains invalid characters.", "value_error")},
    {"non-ASCII", S("j\xc3\xb6rg@example.com"),
     ERR(EMAIL_PREFIX "The email address contains invalid characters.", "value_error")},
    {"header special", S("a<b@example.com"),
     ERR(EMAIL_PREFIX "The email address contains invalid characters.", "value_error")},
    {"line break", S("a@example.com\r\nBcc: x@y.z"),
     ERR(EMAIL_PREFIX "The email address contains invalid characters.", "value_error")},
};

static void valid_email_follows_contract_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(email_cases) / sizeof(email_cases[0]); i++) {
		struct ferrs errs = {0};
		char *out = (char *)1;
		int r = valid_email(&errs, "f", email_cases[i].in, email_cases[i].len, &out);

		check(email_cases[i].name, r, &errs, out, &email_cases[i].e);
		free(out);
	}
}

static void valid_email_limits_length_to_254(void **state)
{
	/* 64 + 1 + 189 = 254 characters, after trimming. */
	char *ok = repeat("a", 64, "");
	char *dom254 = repeat("b", 185, ".com");
	char *dom255 = repeat("b", 186, ".com");
	char in[600];
	struct ferrs errs = {0};
	char *out = NULL;

	(void)state;
	snprintf(in, sizeof(in), "  %s@%s  ", ok, dom254);
	assert_int_equal(valid_email(&errs, "f", in, strlen(in), &out), 0);
	assert_int_equal(strlen(out), 254);
	free(out);
	out = NULL;

	snprintf(in, sizeof(in), "%s@%s", ok, dom255);
	assert_int_equal(valid_email(&errs, "f", in, strlen(in), &out), -1);
	assert_null(out);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.e[0].msg, EMAIL_PREFIX "The email address is too long.");
	assert_string_equal(errs.e[0].type, "value_error");
	free(ok);
	free(dom254);
	free(dom255);
}

static const struct {
	const char *name;
	const char *in;
	size_t len;
	struct expect e;
} name_cases[] = {
    {"trimmed", S("  Jane Doe \t"), OK("Jane Doe")},
    {"no-break spaces trimmed", S("\xc2\xa0Jane\xc2\xa0"), OK("Jane")},
    {"ideographic space trimmed", S("\xe3\x80\x80Jos\xc3\xa9\xe3\x80\x80"), OK("Jos\xc3\xa9")},
    {"inner spaces kept", S("Mary  Ann"), OK("Mary  Ann")},
    {"one character", S("X"), OK("X")},
    {"empty", S(""), ERR("String should have at least 1 character", "string_too_short")},
    {"only spaces", S("  \t "), ERR("String should have at least 1 character", "string_too_short")},
    {"only no-break space", S("\xc2\xa0"),
     ERR("String should have at least 1 character", "string_too_short")},
    {"C0 control", S("Jane\x01Doe"),
     ERR("Value error, Full name must not contain control characters", "value_error")},
    {"inner newline", S("Jane\nDoe"),
     ERR("Value error, Full name must not contain control characters", "value_error")},
    {"inner tab", S("Jane\tDoe"),
     ERR("Value error, Full name must not contain control characters", "value_error")},
    {"NUL", S("Jane\0Doe"),
     ERR("Value error, Full name must not contain control characters", "value_error")},
    {"DEL", S("Jane\x7f"),
     ERR("Value error, Full name must not contain control characters", "value_error")},
    {"C1 control", S("Jane\xc2\x9b"),
     ERR("Value error, Full name must not contain control characters", "value_error")},
    {"invalid UTF-8", S("Jane\xff"),
     ERR("Input should be a valid string, unable to parse raw data as a unicode string",
         "string_unicode")},
    {"overlong UTF-8", S("\xc0\xaf"),
     ERR("Input should be a valid string, unable to parse raw data as a unicode string",
         "string_unicode")},
};

static void valid_full_name_follows_contract_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		struct ferrs errs = {0};
		char *out = (char *)1;
		int r = valid_full_name(&errs, "f", name_cases[i].in, name_cases[i].len, &out);

		check(name_cases[i].name, r, &errs, out, &name_cases[i].e);
		free(out);
	}
}

static void valid_full_name_counts_characters_not_bytes(void **state)
{
	static const struct {
		const char *unit;
		size_t n;
		int ok;
	} cases[] = {
	    {"\xc3\xa9", 100, 1},         /* 100 x U+00E9: 200 bytes */
	    {"\xc3\xa9", 101, 0},         /* 101 characters */
	    {"\xf0\x9f\x98\x80", 100, 1}, /* 100 emoji: 400 bytes */
	    {"a", 100, 1},
	    {"a", 101, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *core = repeat(cases[i].unit, cases[i].n, "");
		char *padded = malloc(strlen(core) + 5);
		struct ferrs errs = {0};
		char *out = NULL;
		int r;

		assert_non_null(padded);
		/* Surrounding white space does not count. */
		snprintf(padded, strlen(core) + 5, "  %s  ", core);
		r = valid_full_name(&errs, "f", padded, strlen(padded), &out);
		if (cases[i].ok) {
			assert_int_equal(r, 0);
			assert_string_equal(out, core);
		} else {
			assert_int_equal(r, -1);
			assert_null(out);
			assert_string_equal(errs.e[0].msg,
			                    "String should have at most 100 characters");
			assert_string_equal(errs.e[0].type, "string_too_long");
		}
		free(out);
		free(padded);
		free(core);
	}
}

static const struct {
	const char *name;
	const char *pw;
	size_t len;
	const char *email;
	const char *full_name;
	const char *msg; /* NULL: accepted */
	const char *type;
} pw_cases[] = {
    {"contract StrongPass123", S("StrongPass123"), NULL, NULL, NULL, NULL},
    {"contract NewStrongPass123", S("NewStrongPass123"), NULL, NULL, NULL, NULL},
    {"contract Password123", S("Password123"), NULL, NULL,
     "Value error, Password is too easy to guess", "value_error"},
    {"contract Welcome2024", S("Welcome2024"), NULL, NULL,
     "Value error, Password is too easy to guess", "value_error"},
    {"contract Qwerty123", S("Qwerty123"), NULL, NULL, "Value error, Password is too easy to guess",
     "value_error"},
    {"seven characters", S("Xk9#mQ2"), NULL, NULL, "String should have at least 8 characters",
     "string_too_short"},
    {"empty", S(""), NULL, NULL, "String should have at least 8 characters", "string_too_short"},
    {"seven characters in 13 bytes",
     S("\xc3\x89\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
       "1"),
     NULL, NULL, "String should have at least 8 characters", "string_too_short"},
    {"no upper case", S("strongpass123"), NULL, NULL,
     "Value error, Password must contain at least one uppercase letter", "value_error"},
    {"no lower case", S("STRONGPASS123"), NULL, NULL,
     "Value error, Password must contain at least one lowercase letter", "value_error"},
    {"no digit", S("StrongPassword"), NULL, NULL,
     "Value error, Password must contain at least one digit", "value_error"},
    {"NUL byte", S("Strong\0Pass123"), NULL, NULL,
     "Value error, Password must not contain NUL bytes", "value_error"},
    {"invalid UTF-8", S("StrongPass123\xff"), NULL, NULL,
     "Input should be a valid string, unable to parse raw data as a unicode string",
     "string_unicode"},
    {"non-ASCII upper case counts", S("\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9cxyz7q"), NULL, NULL,
     NULL, NULL},
    {"non-ASCII lower case counts", S("\xc3\xa0\xc3\xa9\xc3\xae\xc3\xb5\xc3\xbcXYZ7Q"), NULL, NULL,
     NULL, NULL},
    {"Cyrillic cases count",
     S("\xd0\x9a\xd0\xbe\xd1\x88\xd0\xba\xd0\xb0"
       "9"
       "\xd1\x81\xd0\xbe\xd0\xb1\xd0\xb0\xd0\xba\xd0\xb0"),
     NULL, NULL, NULL, NULL},
    /* Strong on its own (60 bits), weak once the user's own words are known. */
    {"email local part alone is fine", S("Kwtrzynsky2024"), NULL, NULL, NULL, NULL},
    {"email local part is guessable", S("Kwtrzynsky2024"), "kwtrzynsky@example.com", NULL,
     "Value error, Password is too easy to guess", "value_error"},
    {"email local part upper case is guessable", S("Kwtrzynsky2024"), "KWTRZYNSKY@example.com",
     NULL, "Value error, Password is too easy to guess", "value_error"},
    {"name words alone are fine", S("Marlowe2024Clementine"), NULL, NULL, NULL, NULL},
    {"name words are guessable", S("Marlowe2024Clementine"), "cm@example.com",
     "Clementine  Marlowe", "Value error, Password is too easy to guess", "value_error"},
    {"unrelated user words change nothing", S("StrongPass123"), "jane@example.com", "Jane Doe",
     NULL, NULL},
};

static void valid_new_password_follows_contract_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pw_cases) / sizeof(pw_cases[0]); i++) {
		struct ferrs errs = {0};
		struct expect e = {NULL, pw_cases[i].msg, pw_cases[i].type};
		int r = valid_new_password(&errs, "f", pw_cases[i].pw, pw_cases[i].len,
		                           pw_cases[i].email, pw_cases[i].full_name);

		check(pw_cases[i].name, r, &errs, NULL, &e);
	}
}

static void valid_new_password_limits_length_to_128_characters(void **state)
{
	/* "Xq7" + n copies of a 2-byte letter: strong, and long in characters. */
	char *ok = repeat("\xc3\xa9", 125, "Xq7");
	char *bad = repeat("\xc3\xa9", 126, "Xq7");
	struct ferrs errs = {0};

	(void)state;
	assert_int_equal(valid_new_password(&errs, "f", ok, strlen(ok), NULL, NULL), 0);
	assert_int_equal(errs.n, 0);
	assert_int_equal(valid_new_password(&errs, "f", bad, strlen(bad), NULL, NULL), -1);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.e[0].msg, "String should have at most 128 characters");
	assert_string_equal(errs.e[0].type, "string_too_long");
	free(ok);
	free(bad);
}

static void valid_new_password_survives_many_name_words(void **state)
{
	/* More words than the dictionary holds: they are skipped, not overflowed. */
	char *name = repeat("Ab ", 200, "Marlowe");
	struct ferrs errs = {0};

	(void)state;
	assert_int_equal(valid_new_password(&errs, "f", S("StrongPass123"), NULL, name), 0);
	free(name);
}

static void valid_login_password_only_checks_the_length_in_bytes(void **state)
{
	char *max = repeat("a", 1024, "");
	char *over = repeat("a", 1025, "");
	static const struct {
		const char *name;
		const char *pw;
		size_t len;
		const char *msg;
		const char *type;
	} cases[] = {
	    {"one byte", S("x"), NULL, NULL},
	    {"weak but allowed", S("password"), NULL, NULL},
	    {"empty", S(""), "String should have at least 1 character", "string_too_short"},
	    {"NUL byte", S("pass\0word"), NULL, NULL},
	    {"only a NUL", S("\0"), NULL, NULL},
	    {"invalid UTF-8", S("\xff\xfe"), NULL, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ferrs errs = {0};
		struct expect e = {NULL, cases[i].msg, cases[i].type};

		check(cases[i].name, valid_login_password(&errs, "f", cases[i].pw, cases[i].len),
		      &errs, NULL, &e);
	}
	{
		struct ferrs errs = {0};
		struct expect ok = {NULL, NULL, NULL};
		struct expect too_long = {NULL, "String should have at most 1024 characters",
		                          "string_too_long"};

		check("1024 bytes", valid_login_password(&errs, "f", max, 1024), &errs, NULL, &ok);
		check("1025 bytes", valid_login_password(&errs, "f", over, 1025), &errs, NULL,
		      &too_long);
	}
	{
		struct ferrs errs = {0}, errs2 = {0};
		struct expect ok = {NULL, NULL, NULL};
		struct expect too_long = {NULL, "String should have at most 1024 characters",
		                          "string_too_long"};

		/* Bytes, whatever they are: NULs count like any other. */
		memset(over, '\0', 1025);
		check("1024 NUL bytes", valid_login_password(&errs, "f", over, 1024), &errs, NULL,
		      &ok);
		check("1025 NUL bytes", valid_login_password(&errs2, "f", over, 1025), &errs2, NULL,
		      &too_long);
	}
	free(max);
	free(over);
}

static void utf8_chars_counts_code_points(void **state)
{
	(void)state;
	assert_int_equal(utf8_chars(S("")), 0);
	assert_int_equal(utf8_chars(S("abc")), 3);
	assert_int_equal(utf8_chars(S("\xc3\xa9t\xc3\xa9")), 3);
	assert_int_equal(utf8_chars(S("\xf0\x9f\x98\x80")), 1);
	assert_int_equal(utf8_chars(S("a\0b")), 3);
}

static void utf8_valid_rejects_malformed_sequences(void **state)
{
	(void)state;
	assert_true(utf8_valid(S("")));
	assert_true(utf8_valid(S("a\0b")));
	assert_true(utf8_valid(S("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf")));
	assert_false(utf8_valid(S("\x80")));             /* lone continuation byte */
	assert_false(utf8_valid(S("\xc3")));             /* truncated */
	assert_false(utf8_valid(S("\xe2\x82")));         /* truncated */
	assert_false(utf8_valid(S("\xc0\xaf")));         /* overlong '/' */
	assert_false(utf8_valid(S("\xe0\x80\xaf")));     /* overlong '/' */
	assert_false(utf8_valid(S("\xed\xa0\x80")));     /* surrogate U+D800 */
	assert_false(utf8_valid(S("\xf4\x90\x80\x80"))); /* above U+10FFFF */
	assert_false(utf8_valid(S("\xff")));
}

static void ferrs_drops_entries_past_max(void **state)
{
	struct ferrs errs = {0};

	(void)state;
	for (int i = 0; i < FERRS_MAX + 3; i++)
		ferrs_add(&errs, i == 0 ? "email" : "other", "m", "t");
	assert_int_equal(errs.n, FERRS_MAX);
	assert_true(ferrs_has(&errs, "email"));
	assert_true(ferrs_has(&errs, "other"));
	assert_false(ferrs_has(&errs, "password"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(valid_email_follows_contract_rules),
	    cmocka_unit_test(valid_email_limits_length_to_254),
	    cmocka_unit_test(valid_full_name_follows_contract_rules),
	    cmocka_unit_test(valid_full_name_counts_characters_not_bytes),
	    cmocka_unit_test(valid_new_password_follows_contract_rules),
	    cmocka_unit_test(valid_new_password_limits_length_to_128_characters),
	    cmocka_unit_test(valid_new_password_survives_many_name_words),
	    cmocka_unit_test(valid_login_password_only_checks_the_length_in_bytes),
	    cmocka_unit_test(utf8_chars_counts_code_points),
	    cmocka_unit_test(utf8_valid_rejects_malformed_sequences),
	    cmocka_unit_test(ferrs_drops_entries_past_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
