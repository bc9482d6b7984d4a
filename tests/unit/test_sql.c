/* Unit tests of the statement table: complete, parameter counts agree with the text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql.h"

/* The highest $n in text. */
static int max_param(const char *text)
{
	int max = 0;

	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
			int n = (int)strtol(p + 1, NULL, 10);

			if (n > max)
				max = n;
		}
	}
	return max;
}

static void sql_every_statement_is_defined(void **state)
{
	(void)state;
	for (int s = 0; s < ST__COUNT; s++) {
		const struct sql_def *d = sql_def((enum sql_stmt)s);

		assert_non_null(d->name);
		assert_non_null(d->text);
		assert_true(d->expect == PGRES_TUPLES_OK || d->expect == PGRES_COMMAND_OK);
		/* Rows come with their number of columns; a command has none. */
		if (d->expect == PGRES_TUPLES_OK ? d->ncols < 1 : d->ncols != 0)
			fail_msg("%s: ncols %d for its kind of result", d->name, d->ncols);
	}
}

static void sql_parameter_counts_match_the_text(void **state)
{
	(void)state;
	for (int s = 0; s < ST__COUNT; s++) {
		const struct sql_def *d = sql_def((enum sql_stmt)s);

		if (max_param(d->text) != d->nparams)
			fail_msg("%s: text uses $%d, table says %d", d->name, max_param(d->text),
			         d->nparams);
	}
}

static void sql_statements_returning_rows_expect_tuples(void **state)
{
	(void)state;
	for (int s = 0; s < ST__COUNT; s++) {
		const struct sql_def *d = sql_def((enum sql_stmt)s);
		int rows =
		    strncmp(d->text, "SELECT", 6) == 0 || strstr(d->text, "RETURNING") != NULL;

		if (rows != (d->expect == PGRES_TUPLES_OK))
			fail_msg("%s: expected status does not match its text", d->name);
	}
}

static void sql_names_are_unique(void **state)
{
	(void)state;
	for (int a = 0; a < ST__COUNT; a++)
		for (int b = a + 1; b < ST__COUNT; b++)
			assert_string_not_equal(sql_def((enum sql_stmt)a)->name,
			                        sql_def((enum sql_stmt)b)->name);
}

/* Each statement's text is in exactly one part (one flow's file). */
static void sql_every_statement_is_in_exactly_one_part(void **state)
{
	const struct sql_def *parts[] = {sql_part_account, sql_part_self,   sql_part_session,
	                                 sql_part_mfa,     sql_part_outbox, sql_part_tools};

	(void)state;
	for (int s = 0; s < ST__COUNT; s++) {
		int in = 0;

		for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
			in += parts[i][s].name != NULL;
		assert_int_equal(in, 1);
		assert_non_null(sql_def((enum sql_stmt)s));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sql_every_statement_is_defined),
	    cmocka_unit_test(sql_every_statement_is_in_exactly_one_part),
	    cmocka_unit_test(sql_parameter_counts_match_the_text),
	    cmocka_unit_test(sql_statements_returning_rows_expect_tuples),
	    cmocka_unit_test(sql_names_are_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
