/*
 * Tests for req.c: the 400 gate (req_json_parse) and the 422 gate (each
 * *_req_parse), from JSON text to normalized structs or ordered field errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "req.h"

#define S(lit) lit, sizeof(lit) - 1

#define MISSING "Field required", "missing"
#define NOT_STRING "Input should be a valid string", "string_type"
#define HAS_NUL "Value error, must not contain NUL bytes", "value_error"

/* ---- req_json_parse ---- */

static const struct {
	const char *name;
	const char *text;
	size_t len;
	int ret;
} json_cases[] = {
    {"empty object", S("{}"), 0},
    {"object with white space around", S(" \r\n\t{\"a\": [1, 2.5e3, true, false, null]} \n"), 0},
    {"escaped NUL inside a string", S("{\"a\":\"b\\u0000c\"}"), 0},
    {"empty body", S(""), -1},
    {"only white space", S("  \n"), -1},
    {"top-level array", S("[]"), -1},
    {"top-level string", S("\"x\""), -1},
    {"top-level number", S("1"), -1},
    {"top-level null", S("null"), -1},
    {"trailing garbage", S("{} x"), -1},
    {"two objects", S("{}{}"), -1},
    {"trailing NUL byte", S("{}\0"), -1},
    {"raw NUL inside a string", S("{\"a\":\"b\0c\"}"), -1},
    {"unterminated object", S("{\"a\":1"), -1},
    {"trailing comma", S("{\"a\":1,}"), -1},
    {"single quotes", S("{'a':1}"), -1},
    {"NaN", S("{\"a\":NaN}"), -1},
    {"Infinity", S("{\"a\":-Infinity}"), -1},
    {"comment", S("/* c */{}"), -1},
    {"raw newline inside a string", S("{\"a\":\"b\nc\"}"), -1},
    {"raw tab inside a string", S("{\"a\":\"b\tc\"}"), -1},
    {"invalid UTF-8 in a string", S("{\"a\":\"\xff\"}"), -1},
    {"overlong UTF-8 in a string", S("{\"a\":\"\xc0\xaf\"}"), -1},
    {"UTF-8 surrogate in a string", S("{\"a\":\"\xed\xa0\x80\"}"), -1},
    {"UTF-8 above U+10FFFF in a string", S("{\"a\":\"\xf4\x90\x80\x80\"}"), -1},
    {"truncated UTF-8 in a string", S("{\"a\":\"\xe2\x82\"}"), -1},
    {"UTF-8 BOM", S("\xef\xbb\xbf{}"), -1},
    {"valid UTF-8 in a string", S("{\"a\":\"J\xc3\xb6rg \xf0\x9f\x98\x80\"}"), 0},
    {"escaped quote and backslash", S("{\"a\":\"\\\"\\\\\"}"), 0},
    {"bad escape", S("{\"a\":\"\\x41\"}"), -1},
    {"leading zero", S("{\"a\":01}"), -1},
    {"unquoted key", S("{a:1}"), -1},
};

static void req_json_parse_accepts_only_one_json_object(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		json_object *o = (json_object *)1;
		int r = req_json_parse(json_cases[i].text, json_cases[i].len, &o);

		if (r != json_cases[i].ret)
			fail_msg("%s: expected %d, got %d", json_cases[i].name, json_cases[i].ret,
			         r);
		if (r == 0 && !json_object_is_type(o, json_type_object))
			fail_msg("%s: not an object", json_cases[i].name);
		if (r != 0 && o != NULL)
			fail_msg("%s: *out set on failure", json_cases[i].name);
		json_object_put(r == 0 ? o : NULL);
	}
}

/* {"a": [[...]]} with n arrays: the object is depth 1, so n + 1 levels. */
static char *nested(int n)
{
	size_t len = 7 + 2 * (size_t)n;
	char *s = malloc(len + 1);
	size_t o = 0;

	assert_non_null(s);
	memcpy(s, "{\"a\":", 5);
	o = 5;
	for (int i = 0; i < n; i++)
		s[o++] = '[';
	for (int i = 0; i < n; i++)
		s[o++] = ']';
	s[o++] = '}';
	s[o] = '\0';
	return s;
}

static void req_json_parse_rejects_nesting_deeper_than_max(void **state)
{
	char *ok = nested(REQ_JSON_MAX_DEPTH - 1);
	char *deep = nested(REQ_JSON_MAX_DEPTH);
	char *very = nested(10000);
	json_object *o = NULL;

	(void)state;
	assert_int_equal(req_json_parse(ok, strlen(ok), &o), 0);
	json_object_put(o);
	assert_int_equal(req_json_parse(deep, strlen(deep), &o), -1);
	assert_null(o);
	assert_int_equal(req_json_parse(very, strlen(very), &o), -1);
	free(ok);
	free(deep);
	free(very);
}

/* ---- the struct parsers ---- */

enum kind { SIGNUP, VERIFY, EMAIL, LOGIN, RESET };

union any {
	struct signup_req signup;
	struct verify_req verify;
	struct email_req email;
	struct login_req login;
	struct reset_req reset;
};

static int parse_kind(enum kind k, json_object *o, union any *a, struct ferrs *errs)
{
	switch (k) {
	case SIGNUP:
		return signup_req_parse(o, &a->signup, errs);
	case VERIFY:
		return verify_req_parse(o, &a->verify, errs);
	case EMAIL:
		return email_req_parse(o, &a->email, errs);
	case LOGIN:
		return login_req_parse(o, &a->login, errs);
	case RESET:
		return reset_req_parse(o, &a->reset, errs);
	}
	return -3;
}

static void release_kind(enum kind k, union any *a)
{
	switch (k) {
	case SIGNUP:
		signup_req_release(&a->signup);
		break;
	case VERIFY:
		verify_req_release(&a->verify);
		break;
	case EMAIL:
		email_req_release(&a->email);
		break;
	case LOGIN:
		login_req_release(&a->login);
		break;
	case RESET:
		reset_req_release(&a->reset);
		break;
	}
}

/* 1 if every pointer of the struct is NULL (as after a failed parse). */
static int is_empty(enum kind k, const union any *a)
{
	switch (k) {
	case SIGNUP:
		return !a->signup.full_name && !a->signup.email && !a->signup.password;
	case VERIFY:
		return !a->verify.email && !a->verify.otp;
	case EMAIL:
		return !a->email.email;
	case LOGIN:
		return !a->login.email && !a->login.password;
	case RESET:
		return !a->reset.token && !a->reset.new_password;
	}
	return 0;
}

struct want {
	const char *field, *msg, *type;
};

/*
 * Parses json (which must be an object) as kind k and checks the exact list
 * of errors; with none expected, the struct is left filled for the caller.
 */
static void run(const char *name, enum kind k, const char *json, const struct want *w, size_t nw,
                union any *a)
{
	json_object *o = NULL;
	struct ferrs errs = {0};
	int r;

	memset(a, 0x5a, sizeof(*a)); /* the parser must not rely on a zeroed struct */
	if (req_json_parse(json, strlen(json), &o) != 0)
		fail_msg("%s: test JSON does not parse: %s", name, json);
	r = parse_kind(k, o, a, &errs);
	json_object_put(o);
	if (r != (nw ? -1 : 0))
		fail_msg("%s: expected %d, got %d (%zu errors, first %s: %s)", name, nw ? -1 : 0, r,
		         errs.n, errs.n ? errs.e[0].field : "-", errs.n ? errs.e[0].msg : "-");
	if (errs.n != nw)
		fail_msg("%s: expected %zu errors, got %zu (first %s: %s)", name, nw, errs.n,
		         errs.n ? errs.e[0].field : "-", errs.n ? errs.e[0].msg : "-");
	for (size_t i = 0; i < nw; i++) {
		if (strcmp(errs.e[i].field, w[i].field) != 0 ||
		    strcmp(errs.e[i].msg, w[i].msg) != 0 || strcmp(errs.e[i].type, w[i].type) != 0)
			fail_msg("%s: error %zu: expected %s/%s/%s, got %s/%s/%s", name, i,
			         w[i].field, w[i].msg, w[i].type, errs.e[i].field, errs.e[i].msg,
			         errs.e[i].type);
	}
	if (nw && !is_empty(k, a))
		fail_msg("%s: struct not emptied on failure", name);
}

/* One valid body per kind: field names and valid JSON values, in struct order. */
static const struct {
	enum kind k;
	const char *fields[3];
	const char *values[3];
} bodies[] = {
    {SIGNUP,
     {"full_name", "email", "password"},
     {"\"Jane Doe\"", "\"jane@example.com\"", "\"StrongPass123\""}},
    {VERIFY, {"email", "otp"}, {"\"jane@example.com\"", "\"123456\""}},
    {EMAIL, {"email"}, {"\"jane@example.com\""}},
    {LOGIN, {"email", "password"}, {"\"jane@example.com\"", "\"x\""}},
    {RESET,
     {"token", "new_password", "confirm_password"},
     {"\"abc\"", "\"NewStrongPass123\"", "\"NewStrongPass123\""}},
};

/* Builds the body b with field f replaced by bad (NULL: left out). */
static void build(char *out, size_t outlen, size_t b, size_t f, const char *bad)
{
	size_t o = 0;

	o += (size_t)snprintf(out + o, outlen - o, "{\"ignored\": {\"x\": [1]}");
	for (size_t i = 0; i < 3 && bodies[b].fields[i] != NULL; i++) {
		const char *v = i == f ? bad : bodies[b].values[i];

		if (v != NULL)
			o += (size_t)snprintf(out + o, outlen - o, ", \"%s\": %s",
			                      bodies[b].fields[i], v);
	}
	snprintf(out + o, outlen - o, "}");
}

static void parsers_accept_valid_bodies_and_ignore_unknown_fields(void **state)
{
	(void)state;
	for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
		char json[512];
		union any a;

		build(json, sizeof(json), b, 99, NULL);
		run(json, bodies[b].k, json, NULL, 0, &a);
		release_kind(bodies[b].k, &a);
		assert_true(is_empty(bodies[b].k, &a));
	}
}

/*
 * Every field of every body; a NUL byte too, except in login's password (any
 * bytes: login_req_parse_takes_any_password_up_to_1024_bytes).
 */
static void parsers_reject_each_missing_null_mistyped_or_nul_field(void **state)
{
	static const struct {
		const char *value; /* NULL: the field is left out */
		const char *msg, *type;
	} bad[] = {
	    {NULL, MISSING},
	    {"null", MISSING},
	    {"1", NOT_STRING},
	    {"1.5", NOT_STRING},
	    {"true", NOT_STRING},
	    {"[\"x\"]", NOT_STRING},
	    {"{\"a\":\"x\"}", NOT_STRING},
	    {"\"a\\u0000b\"", HAS_NUL},
	};

	(void)state;
	for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
		for (size_t f = 0; f < 3 && bodies[b].fields[f] != NULL; f++) {
			for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
				struct want w = {bodies[b].fields[f], bad[i].msg, bad[i].type};
				char json[512];
				union any a;

				build(json, sizeof(json), b, f, bad[i].value);
				if (bodies[b].k == LOGIN &&
				    strcmp(bodies[b].fields[f], "password") == 0 &&
				    strcmp(bad[i].msg, "Value error, must not contain NUL bytes") ==
				        0) {
					run(json, bodies[b].k, json, NULL, 0, &a);
					release_kind(bodies[b].k, &a);
					continue;
				}
				run(json, bodies[b].k, json, &w, 1, &a);
			}
		}
	}
}

static void signup_req_parse_lists_errors_in_field_order(void **state)
{
	static const struct want all_missing[] = {
	    {"full_name", MISSING}, {"email", MISSING}, {"password", MISSING}};
	static const struct want all_wrong[] = {
	    {"full_name", NOT_STRING}, {"email", NOT_STRING}, {"password", NOT_STRING}};
	static const struct want all_invalid[] = {
	    {"full_name", "String should have at least 1 character", "string_too_short"},
	    {"email", "value is not a valid email address: An email address must have an @-sign.",
	     "value_error"},
	    {"password", "String should have at least 8 characters", "string_too_short"}};
	union any a;

	(void)state;
	run("all missing", SIGNUP, "{}", all_missing, 3, &a);
	run("all wrong, keys reversed", SIGNUP, "{\"password\":1,\"email\":2,\"full_name\":3}",
	    all_wrong, 3, &a);
	run("all invalid", SIGNUP, "{\"password\":\"a\",\"email\":\"x\",\"full_name\":\" \"}",
	    all_invalid, 3, &a);
}

static void signup_req_parse_normalizes_email_and_name(void **state)
{
	union any a;

	(void)state;
	run("normalize", SIGNUP,
	    "{\"full_name\": \"  Jane \\u00e9 Doe\\u00a0\", \"email\": \" Jane.Doe@Example.COM\\t\","
	    " \"password\": \" StrongPass123 \"}",
	    NULL, 0, &a);
	assert_string_equal(a.signup.full_name, "Jane \xc3\xa9 Doe");
	assert_string_equal(a.signup.email, "jane.doe@example.com");
	assert_string_equal(a.signup.password, " StrongPass123 "); /* passwords are not trimmed */
	signup_req_release(&a.signup);
}

static void signup_req_parse_rejects_password_made_of_user_words(void **state)
{
	static const struct want w[] = {
	    {"password", "Value error, Password is too easy to guess", "value_error"}};
	union any a;

	(void)state;
	run("name words", SIGNUP,
	    "{\"full_name\":\"Clementine Marlowe\",\"email\":\"cm@example.com\","
	    "\"password\":\"Marlowe2024Clementine\"}",
	    w, 1, &a);
	run("email local part", SIGNUP,
	    "{\"full_name\":\"K\",\"email\":\"Kwtrzynsky@example.com\","
	    "\"password\":\"Kwtrzynsky2024\"}",
	    w, 1, &a);
	/* The same passwords are fine for someone else. */
	run("other user", SIGNUP,
	    "{\"full_name\":\"Jane Doe\",\"email\":\"jane@example.com\","
	    "\"password\":\"Marlowe2024Clementine\"}",
	    NULL, 0, &a);
	signup_req_release(&a.signup);
}

static void parsers_take_the_last_of_duplicate_keys(void **state)
{
	static const struct want missing[] = {{"email", MISSING}};
	union any a;

	(void)state;
	run("last string wins", EMAIL, "{\"email\":\"a@example.com\",\"email\":\"b@example.com\"}",
	    NULL, 0, &a);
	assert_string_equal(a.email.email, "b@example.com");
	email_req_release(&a.email);
	run("last after a number", EMAIL, "{\"email\":1,\"email\":\"b@example.com\"}", NULL, 0, &a);
	assert_string_equal(a.email.email, "b@example.com");
	email_req_release(&a.email);
	run("last null wins", EMAIL, "{\"email\":\"b@example.com\",\"email\":null}", missing, 1,
	    &a);
}

static void verify_req_parse_trims_otp_and_bounds_it(void **state)
{
	static const struct want too_long[] = {
	    {"otp", "String should have at most 64 characters", "string_too_long"}};
	static const struct want too_short[] = {
	    {"otp", "String should have at least 1 character", "string_too_short"}};
	char json[256];
	union any a;

	(void)state;
	run("trimmed", VERIFY, "{\"email\":\"J@Example.com\",\"otp\":\" 123456\\n\"}", NULL, 0, &a);
	assert_string_equal(a.verify.otp, "123456");
	assert_string_equal(a.verify.email, "j@example.com");
	verify_req_release(&a.verify);

	/* Any string is taken as the code: the handler compares it. */
	run("not digits", VERIFY, "{\"email\":\"j@example.com\",\"otp\":\"12a\"}", NULL, 0, &a);
	assert_string_equal(a.verify.otp, "12a");
	verify_req_release(&a.verify);

	snprintf(json, sizeof(json), "{\"email\":\"j@example.com\",\"otp\":\"  %064d  \"}", 7);
	run("64 bytes", VERIFY, json, NULL, 0, &a);
	assert_int_equal(strlen(a.verify.otp), 64);
	verify_req_release(&a.verify);

	snprintf(json, sizeof(json), "{\"email\":\"j@example.com\",\"otp\":\"%065d\"}", 7);
	run("65 bytes", VERIFY, json, too_long, 1, &a);
	run("empty", VERIFY, "{\"email\":\"j@example.com\",\"otp\":\"\"}", too_short, 1, &a);
	run("blank", VERIFY, "{\"email\":\"j@example.com\",\"otp\":\"  \"}", too_short, 1, &a);
}

static void login_req_parse_takes_any_password_up_to_1024_bytes(void **state)
{
	static const struct want both[] = {
	    {"email", "value is not a valid email address: An email address must have an @-sign.",
	     "value_error"},
	    {"password", "String should have at least 1 character", "string_too_short"}};
	static const struct want too_long[] = {
	    {"password", "String should have at most 1024 characters", "string_too_long"}};
	char json[1200];
	union any a;

	(void)state;
	run("weak password", LOGIN, "{\"email\":\"j@example.com\",\"password\":\"password\"}", NULL,
	    0, &a);
	assert_string_equal(a.login.password, "password");
	login_req_release(&a.login);
	run("both bad", LOGIN, "{\"email\":\"nope\",\"password\":\"\"}", both, 2, &a);

	snprintf(json, sizeof(json), "{\"email\":\"j@example.com\",\"password\":\"%01024d\"}", 1);
	run("1024 bytes", LOGIN, json, NULL, 0, &a);
	login_req_release(&a.login);
	snprintf(json, sizeof(json), "{\"email\":\"j@example.com\",\"password\":\"%01025d\"}", 1);
	run("1025 bytes", LOGIN, json, too_long, 1, &a);
}

/* A NUL is a byte of the password like any other: kept, counted, never a 422. */
static void login_req_parse_keeps_nul_bytes_with_the_length(void **state)
{
	static const struct want too_long[] = {
	    {"password", "String should have at most 1024 characters", "string_too_long"}};
	char json[8000];
	size_t o;
	union any a;

	(void)state;
	run("NUL inside", LOGIN,
	    "{\"email\":\"j@example.com\",\"password\":\"StrongPass123\\u0000x\"}", NULL, 0, &a);
	assert_int_equal(a.login.password_len, 15);
	assert_memory_equal(a.login.password, "StrongPass123\0x", 16);
	login_req_release(&a.login);
	assert_null(a.login.password);
	assert_int_equal(a.login.password_len, 0);

	run("only a NUL", LOGIN, "{\"email\":\"j@example.com\",\"password\":\"\\u0000\"}", NULL, 0,
	    &a);
	assert_int_equal(a.login.password_len, 1);
	assert_memory_equal(a.login.password, "\0", 2);
	login_req_release(&a.login);

	/* 1024 bytes, NULs among them, pass; one more is a 422. */
	o = (size_t)snprintf(json, sizeof(json), "{\"email\":\"j@example.com\",\"password\":\"");
	for (size_t i = 0; i < 1024; i++)
		o += (size_t)snprintf(json + o, sizeof(json) - o, i % 2 ? "a" : "\\u0000");
	snprintf(json + o, sizeof(json) - o, "\"}");
	run("1024 bytes with NULs", LOGIN, json, NULL, 0, &a);
	assert_int_equal(a.login.password_len, 1024);
	assert_int_equal(a.login.password[0], '\0');
	assert_int_equal(a.login.password[1023], 'a');
	assert_int_equal(a.login.password[1024], '\0');
	login_req_release(&a.login);
	snprintf(json + o, sizeof(json) - o, "\\u0000\"}");
	run("1025 bytes with NULs", LOGIN, json, too_long, 1, &a);
}

static void reset_req_parse_checks_token_and_password_match(void **state)
{
	static const struct want mismatch[] = {
	    {"confirm_password", "Value error, Passwords do not match", "value_error"}};
	static const struct want weak_and_missing[] = {
	    {"new_password", "Value error, Password is too easy to guess", "value_error"},
	    {"confirm_password", MISSING}};
	static const struct want weak[] = {
	    {"new_password", "Value error, Password is too easy to guess", "value_error"}};
	static const struct want token_short[] = {
	    {"token", "String should have at least 1 character", "string_too_short"}};
	static const struct want token_long[] = {
	    {"token", "String should have at most 512 characters", "string_too_long"}};
	char json[1024];
	union any a;

	(void)state;
	run("valid", RESET,
	    "{\"token\":\"tok-_123\",\"new_password\":\"NewStrongPass123\","
	    "\"confirm_password\":\"NewStrongPass123\"}",
	    NULL, 0, &a);
	assert_string_equal(a.reset.token, "tok-_123");
	assert_string_equal(a.reset.new_password, "NewStrongPass123");
	reset_req_release(&a.reset);

	run("mismatch", RESET,
	    "{\"token\":\"t\",\"new_password\":\"NewStrongPass123\","
	    "\"confirm_password\":\"NewStrongPass124\"}",
	    mismatch, 1, &a);
	run("prefix mismatch", RESET,
	    "{\"token\":\"t\",\"new_password\":\"NewStrongPass123\","
	    "\"confirm_password\":\"NewStrongPass1234\"}",
	    mismatch, 1, &a);
	/* A weak password is reported once, not again as a mismatch. */
	run("weak and different", RESET,
	    "{\"token\":\"t\",\"new_password\":\"Password123\",\"confirm_password\":\"x\"}", weak,
	    1, &a);
	run("weak and confirm missing", RESET, "{\"token\":\"t\",\"new_password\":\"Password123\"}",
	    weak_and_missing, 2, &a);
	run("empty token", RESET,
	    "{\"token\":\"\",\"new_password\":\"NewStrongPass123\","
	    "\"confirm_password\":\"NewStrongPass123\"}",
	    token_short, 1, &a);

	snprintf(json, sizeof(json),
	         "{\"token\":\"%0512d\",\"new_password\":\"NewStrongPass123\","
	         "\"confirm_password\":\"NewStrongPass123\"}",
	         1);
	run("512-byte token", RESET, json, NULL, 0, &a);
	assert_int_equal(strlen(a.reset.token), 512);
	reset_req_release(&a.reset);
	snprintf(json, sizeof(json),
	         "{\"token\":\"%0513d\",\"new_password\":\"NewStrongPass123\","
	         "\"confirm_password\":\"NewStrongPass123\"}",
	         1);
	run("513-byte token", RESET, json, token_long, 1, &a);
}

static void release_is_safe_on_zeroed_and_released_structs(void **state)
{
	union any a;

	(void)state;
	for (int k = SIGNUP; k <= RESET; k++) {
		memset(&a, 0, sizeof(a));
		release_kind((enum kind)k, &a);
		release_kind((enum kind)k, &a);
		assert_true(is_empty((enum kind)k, &a));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(req_json_parse_accepts_only_one_json_object),
	    cmocka_unit_test(req_json_parse_rejects_nesting_deeper_than_max),
	    cmocka_unit_test(parsers_accept_valid_bodies_and_ignore_unknown_fields),
	    cmocka_unit_test(parsers_reject_each_missing_null_mistyped_or_nul_field),
	    cmocka_unit_test(signup_req_parse_lists_errors_in_field_order),
	    cmocka_unit_test(signup_req_parse_normalizes_email_and_name),
	    cmocka_unit_test(signup_req_parse_rejects_password_made_of_user_words),
	    cmocka_unit_test(parsers_take_the_last_of_duplicate_keys),
	    cmocka_unit_test(verify_req_parse_trims_otp_and_bounds_it),
	    cmocka_unit_test(login_req_parse_takes_any_password_up_to_1024_bytes),
	    cmocka_unit_test(login_req_parse_keeps_nul_bytes_with_the_length),
	    cmocka_unit_test(reset_req_parse_checks_token_and_password_match),
	    cmocka_unit_test(release_is_safe_on_zeroed_and_released_structs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
