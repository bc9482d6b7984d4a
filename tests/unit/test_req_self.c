/*
 * Tests for req_self.c: the bodies of account self-service (docs/CONTRACT.md
 * AS-2 to AS-4), from a parsed JSON object to structs or ordered field errors.
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
#include "req_self.h"

/* The object of text (a test fails when it is not one); caller puts it. */
static json_object *body_of(const char *text)
{
	json_object *o = NULL;

	assert_int_equal(req_json_parse(text, strlen(text), &o), 0);
	return o;
}

/* errs holds exactly the fields of want (NULL-terminated), in order, with their types. */
static void assert_errs(const struct ferrs *errs, const char *const *want_fields,
                        const char *const *want_types)
{
	size_t n = 0;

	while (want_fields[n] != NULL)
		n++;
	assert_int_equal(errs->n, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(errs->e[i].field, want_fields[i]);
		assert_string_equal(errs->e[i].type, want_types[i]);
	}
}

static void name_req_parse_trims_and_checks_the_name(void **state)
{
	struct name_req r;
	struct ferrs errs = {0};
	json_object *o = body_of("{\"full_name\": \"  Ada King \\n\", \"email\": \"x@y.test\"}");

	(void)state;
	assert_int_equal(name_req_parse(o, &r, &errs), 0);
	assert_string_equal(r.full_name, "Ada King");
	name_req_release(&r);
	json_object_put(o);

	static const struct {
		const char *json;
		const char *type;
	} bad[] = {
	    {"{}", "missing"},
	    {"{\"full_name\": null}", "missing"},
	    {"{\"full_name\": 7}", "string_type"},
	    {"{\"full_name\": \"   \"}", "string_too_short"},
	    {"{\"full_name\": \"a\\u0007b\"}", "value_error"},
	    {"{\"full_name\": \"a\\u0000b\"}", "value_error"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *fields[] = {"full_name", NULL};
		const char *types[] = {bad[i].type, NULL};

		memset(&errs, 0, sizeof(errs));
		o = body_of(bad[i].json);
		assert_int_equal(name_req_parse(o, &r, &errs), -1);
		assert_null(r.full_name);
		assert_errs(&errs, fields, types);
		json_object_put(o);
	}
}

static void password_req_parse_takes_any_password_up_to_1024_bytes(void **state)
{
	struct password_req r;
	struct ferrs errs = {0};
	json_object *o = body_of("{\"password\": \"a\\u0000b\"}");
	const char *fields[] = {"password", NULL};
	const char *empty[] = {"string_too_short", NULL};

	(void)state;
	assert_int_equal(password_req_parse(o, &r, &errs), 0);
	assert_int_equal(r.password_len, 3);
	assert_memory_equal(r.password, "a\0b", 3);
	password_req_release(&r);
	json_object_put(o);
	o = body_of("{\"password\": \"\"}");
	assert_int_equal(password_req_parse(o, &r, &errs), -1);
	assert_errs(&errs, fields, empty);
	json_object_put(o);
}

static void change_req_parse_compares_the_two_fields_as_sent(void **state)
{
	struct change_req r;
	struct ferrs errs = {0};
	json_object *o;
	const char *new_only[] = {"new_password", NULL};
	const char *confirm_only[] = {"confirm_password", NULL};
	const char *value[] = {"value_error", NULL};

	(void)state;
	o = body_of("{\"current_password\": \"old\", \"new_password\": \"NewStrongPass123\","
	            " \"confirm_password\": \"NewStrongPass123\"}");
	assert_int_equal(change_req_parse(o, &r, &errs), 0);
	assert_string_equal(r.current_password, "old");
	assert_int_equal(r.current_len, 3);
	assert_string_equal(r.new_password, "NewStrongPass123");
	change_req_release(&r);
	json_object_put(o);

	/* Equal as sent: 422 on new_password only, whatever the confirmation. */
	o = body_of("{\"current_password\": \"StrongPass123\", \"new_password\": \"StrongPass123\","
	            " \"confirm_password\": \"Other\"}");
	assert_int_equal(change_req_parse(o, &r, &errs), -1);
	assert_errs(&errs, new_only, value);
	assert_string_equal(
	    errs.e[0].msg, "Value error, New password must be different from the current password");
	assert_null(r.current_password);
	json_object_put(o);

	memset(&errs, 0, sizeof(errs));
	o = body_of(
	    "{\"current_password\": \"StrongPass123\", \"new_password\": \"NewStrongPass123\","
	    " \"confirm_password\": \"NewStrongPass124\"}");
	assert_int_equal(change_req_parse(o, &r, &errs), -1);
	assert_errs(&errs, confirm_only, value);
	assert_string_equal(errs.e[0].msg, "Value error, Passwords do not match");
	json_object_put(o);
}

static void change_req_parse_lists_errors_in_field_order(void **state)
{
	struct change_req r;
	struct ferrs errs = {0};
	json_object *o = body_of("{}");
	const char *fields[] = {"current_password", "new_password", "confirm_password", NULL};
	const char *types[] = {"missing", "missing", "missing", NULL};
	const char *fields2[] = {"current_password", "new_password", NULL};
	const char *types2[] = {"string_type", "value_error", NULL};

	(void)state;
	assert_int_equal(change_req_parse(o, &r, &errs), -1);
	assert_errs(&errs, fields, types);
	json_object_put(o);
	memset(&errs, 0, sizeof(errs));
	o = body_of("{\"current_password\": 1, \"new_password\": \"Password123\","
	            " \"confirm_password\": \"x\"}");
	assert_int_equal(change_req_parse(o, &r, &errs), -1);
	assert_errs(&errs, fields2, types2);
	json_object_put(o);
}

static void release_is_safe_on_zeroed_structs(void **state)
{
	struct name_req n = {0};
	struct password_req p = {0};
	struct change_req c = {0};

	(void)state;
	name_req_release(&n);
	password_req_release(&p);
	change_req_release(&c);
	change_req_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(name_req_parse_trims_and_checks_the_name),
	    cmocka_unit_test(password_req_parse_takes_any_password_up_to_1024_bytes),
	    cmocka_unit_test(change_req_parse_compares_the_two_fields_as_sent),
	    cmocka_unit_test(change_req_parse_lists_errors_in_field_order),
	    cmocka_unit_test(release_is_safe_on_zeroed_structs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
