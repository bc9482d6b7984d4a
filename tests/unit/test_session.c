/*
 * Unit tests of the pure parts of sessions: isotime (LEGACY_TOKENS_UNTIL),
 * session_req (the bodies of refresh and logout), session (the refresh
 * token's successor and form), and jwt's sid and jti claims.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "isotime.h"
#include "jwt.h"
#include "req.h"
#include "session.h"
#include "session_req.h"

static const char test_key[] = "unit-test-jwt-secret-0123456789-abcdefghij";

static void isotime_parses_unix_seconds_and_iso_8601_and_refuses_the_rest(void **state)
{
	static const struct {
		const char *in;
		int ok;
		int64_t want;
	} cases[] = {
	    {"0", 1, 0},
	    {"1767225600", 1, 1767225600},
	    {"2026-01-01", 1, 1767225600},
	    {"2026-01-01T00:00:00Z", 1, 1767225600},
	    {"2026-01-01 00:00Z", 1, 1767225600},
	    {"2026-01-01T01:00:00+01:00", 1, 1767225600},
	    {"2025-12-31T23:00:00-01:00", 1, 1767225600},
	    {"2024-02-29T12:00:00Z", 1, 1709208000},
	    {"2025-02-29", 0, 0},
	    {"2026-13-01", 0, 0},
	    {"2026-01-01T24:00:00Z", 0, 0},
	    {"2026-01-01T00:00:00", 0, 0},
	    {"2026-01-01T00:00:00.5Z", 0, 0},
	    {"1767225600.5", 0, 0},
	    {"-1", 0, 0},
	    {"1234567890123", 0, 0},
	    {"tomorrow", 0, 0},
	    {"", 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = -7;
		int rc = isotime_parse(cases[i].in, &got);

		if ((rc == 0) != cases[i].ok || (cases[i].ok && got != cases[i].want))
			fail_msg("isotime_parse(\"%s\"): rc %d, %lld", cases[i].in, rc,
			         (long long)got);
	}
	assert_int_equal(isotime_parse(NULL, NULL), -1);
}

static json_object *parse(const char *text)
{
	json_object *o = NULL;

	assert_int_equal(req_json_parse(text, strlen(text), &o), 0);
	return o;
}

static void refresh_and_logout_bodies_are_parsed_with_field_errors(void **state)
{
	struct refresh_req r;
	struct logout_req l;
	struct ferrs errs;
	json_object *o;

	(void)state;
	memset(&errs, 0, sizeof(errs));
	o = parse("{\"refresh_token\": \"abc\", \"x\": 1}");
	assert_int_equal(refresh_req_parse(o, &r, &errs), 0);
	assert_string_equal(r.refresh_token, "abc");
	refresh_req_release(&r);
	json_object_put(o);

	o = parse("{}");
	assert_int_equal(refresh_req_parse(o, &r, &errs), -1);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.e[0].type, "missing");
	json_object_put(o);

	memset(&errs, 0, sizeof(errs));
	assert_int_equal(logout_req_parse(NULL, &l, &errs), 0);
	assert_null(l.refresh_token);
	assert_int_equal(l.everywhere, 0);
	o = parse("{\"everywhere\": true, \"refresh_token\": null}");
	assert_int_equal(logout_req_parse(o, &l, &errs), 0);
	assert_int_equal(l.everywhere, 1);
	assert_null(l.refresh_token);
	logout_req_release(&l);
	json_object_put(o);

	o = parse("{\"everywhere\": 1, \"refresh_token\": 2}");
	assert_int_equal(logout_req_parse(o, &l, &errs), -1);
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.e[0].field, "refresh_token");
	assert_string_equal(errs.e[0].type, "string_type");
	assert_string_equal(errs.e[1].field, "everywhere");
	assert_string_equal(errs.e[1].type, "bool_type");
	assert_null(l.refresh_token);
	json_object_put(o);
}

static void a_successor_is_43_base64url_characters_fixed_by_the_token_and_the_key(void **state)
{
	struct conf c;
	char a[SESSION_REFRESH_LEN + 1], b[SESSION_REFRESH_LEN + 1], other[SESSION_REFRESH_LEN + 1];
	unsigned char key2[sizeof(test_key)];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.jwt_secret = (unsigned char *)(uintptr_t)test_key;
	c.jwt_secret_len = sizeof(test_key) - 1;
	assert_int_equal(session_successor(&c, "token-one", a), 0);
	assert_int_equal(session_successor(&c, "token-one", b), 0);
	assert_true(session_refresh_well_formed(a));
	assert_string_equal(a, b);
	assert_int_equal(session_successor(&c, "token-two", other), 0);
	assert_string_not_equal(a, other);
	memcpy(key2, test_key, sizeof(key2));
	key2[0] ^= 1;
	c.jwt_secret = key2;
	assert_int_equal(session_successor(&c, "token-one", other), 0);
	assert_string_not_equal(a, other);
	assert_false(session_refresh_well_formed("short"));
	assert_false(session_refresh_well_formed("+++++++++++++++++++++++++++++++++++++++++++"));
	assert_false(session_refresh_well_formed(NULL));
}

static void jwt_carries_sid_and_jti_and_refuses_malformed_ones(void **state)
{
	struct jwt_claims in, out;
	char *tok = NULL;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.sub = 7;
	in.iat = 1000;
	in.exp = 4600;
	memcpy(in.email, "a@b.test", 9);
	memcpy(in.sid, "abcDEF_-0123456789xyzQ", 23);
	memcpy(in.jti, "jti-jti", 8);
	assert_int_equal(jwt_sign(&in, (const unsigned char *)test_key, sizeof(test_key) - 1, &tok),
	                 JWT_OK);
	assert_int_equal(
	    jwt_verify(tok, (const unsigned char *)test_key, sizeof(test_key) - 1, 2000, &out),
	    JWT_OK);
	assert_string_equal(out.sid, in.sid);
	assert_string_equal(out.jti, "jti-jti");
	free(tok);
	/* Without them: no claims written, "" read. */
	memset(in.sid, 0, sizeof(in.sid));
	memset(in.jti, 0, sizeof(in.jti));
	assert_int_equal(jwt_sign(&in, (const unsigned char *)test_key, sizeof(test_key) - 1, &tok),
	                 JWT_OK);
	assert_int_equal(
	    jwt_verify(tok, (const unsigned char *)test_key, sizeof(test_key) - 1, 2000, &out),
	    JWT_OK);
	assert_string_equal(out.sid, "");
	assert_string_equal(out.jti, "");
	free(tok);
	/* A sid with a character outside base64url is malformed. */
	memcpy(in.sid, "a.b", 4);
	assert_int_equal(jwt_sign(&in, (const unsigned char *)test_key, sizeof(test_key) - 1, &tok),
	                 JWT_OK);
	assert_int_equal(
	    jwt_verify(tok, (const unsigned char *)test_key, sizeof(test_key) - 1, 2000, &out),
	    JWT_MALFORMED);
	free(tok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(isotime_parses_unix_seconds_and_iso_8601_and_refuses_the_rest),
	    cmocka_unit_test(refresh_and_logout_bodies_are_parsed_with_field_errors),
	    cmocka_unit_test(a_successor_is_43_base64url_characters_fixed_by_the_token_and_the_key),
	    cmocka_unit_test(jwt_carries_sid_and_jti_and_refuses_malformed_ones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
