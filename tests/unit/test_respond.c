/* Unit tests of respond: the contract's bodies and the outcome -> status mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "respond.h"

/* The bytes http_resp_write() produces, in a static buffer. */
static const char *written(const struct http_resp *resp)
{
	static char out[4096];
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");

	assert_non_null(f);
	assert_int_equal(http_resp_write(resp, f), 0);
	out[ftell(f)] = '\0';
	fclose(f);
	return out;
}

static void respond_failure_maps_each_outcome_to_the_contract(void **state)
{
	static const struct {
		enum acct_rc rc;
		int status;
		const char *body;
	} cases[] = {
	    {ACCT_EMAIL_TAKEN, 409, "{\"detail\":\"Email already registered\"}"},
	    {ACCT_BAD_OTP, 400, "{\"detail\":\"Invalid or expired OTP\"}"},
	    {ACCT_ALREADY_VERIFIED, 400, "{\"detail\":\"Email already verified\"}"},
	    {ACCT_BAD_LOGIN, 401, "{\"detail\":\"Invalid email or password\"}"},
	    {ACCT_NOT_VERIFIED, 403, "{\"detail\":\"Email not verified\"}"},
	    {ACCT_BAD_RESET_TOKEN, 400, "{\"detail\":\"Invalid or expired reset token\"}"},
	    {ACCT_BAD_TOKEN, 401, "{\"detail\":\"Invalid or expired token\"}"},
	    {ACCT_UNAVAILABLE, 503, "{\"detail\":\"Service temporarily unavailable\"}"},
	    {ACCT_ERROR, 500, "{\"detail\":\"Internal server error\"}"},
	    {ACCT_OK, 500, "{\"detail\":\"Internal server error\"}"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_resp resp;
		struct acct_out o = {0};
		const char *out;

		http_resp_init(&resp);
		respond_failure(&resp, cases[i].rc, &o);
		assert_int_equal(resp.status, cases[i].status);
		assert_int_equal(resp.body_len, strlen(cases[i].body));
		assert_memory_equal(resp.body, cases[i].body, resp.body_len);
		out = written(&resp);
		/* Exactly one WWW-Authenticate, on a 401 only; error="invalid_token" on
		 * a refused access token, plain Bearer on a wrong password. */
		if (cases[i].rc == ACCT_BAD_TOKEN)
			assert_non_null(strstr(
			    out, "\r\nWWW-Authenticate: Bearer error=\"invalid_token\"\r\n"));
		else if (cases[i].status == 401)
			assert_non_null(strstr(out, "\r\nWWW-Authenticate: Bearer\r\n"));
		if (cases[i].status == 401)
			assert_null(
			    strstr(strstr(out, "WWW-Authenticate") + 1, "WWW-Authenticate"));
		else
			assert_null(strstr(out, "WWW-Authenticate"));
		http_resp_release(&resp);
	}
}

static void respond_failure_limited_gives_429_with_retry_after(void **state)
{
	struct http_resp resp;
	struct acct_out o = {0};

	(void)state;
	o.retry_after = 42;
	o.limit_detail = "Too many failed login attempts. Please try again later.";
	http_resp_init(&resp);
	respond_failure(&resp, ACCT_LIMITED, &o);
	assert_int_equal(resp.status, 429);
	assert_string_equal(
	    resp.body, "{\"detail\":\"Too many failed login attempts. Please try again later.\"}");
	assert_non_null(strstr(written(&resp), "\r\nRetry-After: 42\r\n"));
	http_resp_release(&resp);
}

static void respond_failure_weak_password_gives_the_field_errors(void **state)
{
	struct http_resp resp;
	struct acct_out o = {0};

	(void)state;
	ferrs_add(&o.errs, "new_password", "Value error, Password is too easy to guess",
	          "value_error");
	http_resp_init(&resp);
	respond_failure(&resp, ACCT_WEAK_PASSWORD, &o);
	assert_int_equal(resp.status, 422);
	assert_string_equal(
	    resp.body, "{\"detail\":[{\"loc\":[\"body\",\"new_password\"],\"msg\":\"Value error, "
	               "Password is too easy to guess\",\"type\":\"value_error\"}]}");
	http_resp_release(&resp);
}

static void respond_success_bodies_are_the_contracts(void **state)
{
	struct http_resp resp;
	struct acct_out p = {0};
	struct session_tokens tok = {0};
	char abc[] = "a.b.c";
	char name[] = "Ada \"The\" Lovelace/é";
	char email[] = "ada@example.com";

	(void)state;
	http_resp_init(&resp);
	respond_message(&resp, 201, "OTP sent to your email for verification");
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.body, "{\"message\":\"OTP sent to your email for verification\"}");
	tok.access_token = abc;
	tok.expires_in = 3600;
	snprintf(tok.refresh_token, sizeof(tok.refresh_token), "%s", "r-t_1");
	respond_token(&resp, &tok);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "{\"access_token\":\"a.b.c\",\"token_type\":\"bearer\","
	                               "\"expires_in\":3600,\"refresh_token\":\"r-t_1\"}");
	p.id = 9007199254740993LL;
	p.full_name = name;
	p.email = email;
	p.is_verified = 1;
	respond_profile(&resp, &p);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body,
	                    "{\"id\":9007199254740993,\"full_name\":\"Ada \\\"The\\\" "
	                    "Lovelace/é\",\"email\":\"ada@example.com\",\"is_verified\":true}");
	http_resp_release(&resp);
}

static void respond_parse_failure_is_422_or_500(void **state)
{
	struct http_resp resp;
	struct ferrs errs = {0};

	(void)state;
	ferrs_add(&errs, "email", "Field required", "missing");
	http_resp_init(&resp);
	respond_parse_failure(&resp, -1, &errs);
	assert_int_equal(resp.status, 422);
	assert_string_equal(
	    resp.body,
	    "{\"detail\":[{\"loc\":[\"body\",\"email\"],\"msg\":\"Field required\",\"type\":\"missing\"}]}");
	respond_parse_failure(&resp, -2, &errs);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.body, "{\"detail\":\"Internal server error\"}");
	http_resp_release(&resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(respond_failure_maps_each_outcome_to_the_contract),
	    cmocka_unit_test(respond_failure_limited_gives_429_with_retry_after),
	    cmocka_unit_test(respond_failure_weak_password_gives_the_field_errors),
	    cmocka_unit_test(respond_success_bodies_are_the_contracts),
	    cmocka_unit_test(respond_parse_failure_is_422_or_500),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
