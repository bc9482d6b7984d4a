/*
 * Tests for req_mfa.c's `code` where two-factor sign-in may ask one
 * (docs/CONTRACT.md MF-14, MF-15): never a field error; missing or not a
 * string it is no code; one holding a NUL is no code either; and the body of
 * recovery-codes and disable.
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
#include "req_mfa.h"
#include "secret.h"

/* The object of text (a test fails when it is not one); caller puts it. */
static json_object *body_of(const char *text)
{
	json_object *o = NULL;

	assert_int_equal(req_json_parse(text, strlen(text), &o), 0);
	return o;
}

static void mfa_code_opt_reads_a_string_code_and_nothing_else(void **state)
{
	static const struct {
		const char *json;
		const char *want; /* NULL: no code */
	} cases[] = {
	    {"{\"code\": \"123456\"}", "123456"},
	    {"{\"code\": \" abcde-FGHIJ \"}", " abcde-FGHIJ "},
	    {"{\"code\": \"\"}", ""},
	    {"{}", NULL},
	    {"{\"code\": null}", NULL},
	    {"{\"code\": 123456}", NULL},
	    {"{\"code\": [\"123456\"]}", NULL},
	    {"{\"code\": \"123456\\u0000789\"}", ""},
	    {"{\"code\": \"1234567890123456789012345678901234567890123456789012345678901234567\"}",
	     "1234567890123456789012345678901234567890123456789012345678901234"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o = body_of(cases[i].json);
		char *code = (char *)1;

		assert_int_equal(mfa_code_opt(o, &code), 0);
		if (cases[i].want == NULL)
			assert_null(code);
		else
			assert_string_equal(code, cases[i].want);
		secret_free_str(code);
		json_object_put(o);
	}
}

static void mfa_manage_req_parse_needs_the_password_only(void **state)
{
	struct mfa_manage_req r;
	struct ferrs errs = {0};
	json_object *o = body_of("{\"password\": \"pa\\u0000ss\", \"code\": \"654321\"}");

	(void)state;
	assert_int_equal(mfa_manage_req_parse(o, &r, &errs), 0);
	assert_int_equal(r.password_len, 5);
	assert_memory_equal(r.password, "pa\0ss", 5);
	assert_string_equal(r.code, "654321");
	mfa_manage_req_release(&r);
	json_object_put(o);

	o = body_of("{\"password\": \"secret\"}");
	assert_int_equal(mfa_manage_req_parse(o, &r, &errs), 0);
	assert_null(r.code);
	mfa_manage_req_release(&r);
	json_object_put(o);

	o = body_of("{\"code\": \"654321\"}");
	assert_int_equal(mfa_manage_req_parse(o, &r, &errs), -1);
	assert_null(r.password);
	assert_null(r.code);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.e[0].field, "password");
	assert_string_equal(errs.e[0].type, "missing");
	json_object_put(o);
	mfa_manage_req_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mfa_code_opt_reads_a_string_code_and_nothing_else),
	    cmocka_unit_test(mfa_manage_req_parse_needs_the_password_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
