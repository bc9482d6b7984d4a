/* Unit tests of db that need no server: connection failure, classification, argument checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"

static void db_connect_to_a_closed_port_is_unavailable(void **state)
{
	struct conf c;
	char url[] = "postgresql://nobody@127.0.0.1:1/none";
	PGconn *db = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.database_url = url;
	c.db_connect_timeout = 2;
	assert_int_equal(db_connect(&c, &db), DB_UNAVAILABLE);
	assert_null(db);
}

static void db_connect_with_a_bad_url_is_unavailable(void **state)
{
	struct conf c;
	char url[] = "postgresql://%zz";
	PGconn *db = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.database_url = url;
	c.db_connect_timeout = 2;
	assert_int_equal(db_connect(&c, &db), DB_UNAVAILABLE);
	assert_null(db);
}

static void db_connect_to_a_missing_cloud_sql_socket_is_unavailable(void **state)
{
	struct conf c;
	char name[] = "project:region:no-such-instance";
	char dbname[] = "medicalcare";
	PGconn *db = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.instance_connection_name = name;
	c.db_name = dbname;
	c.db_user = dbname;
	c.db_connect_timeout = 2;
	assert_int_equal(db_connect(&c, &db), DB_UNAVAILABLE);
	assert_null(db);
}

static void db_classify_without_a_connection_is_unavailable(void **state)
{
	(void)state;
	assert_int_equal(db_classify(NULL, NULL), DB_UNAVAILABLE);
}

static void db_exec_refuses_a_wrong_parameter_count(void **state)
{
	const char *params[2] = {"a", "b"};

	(void)state;
	/* Checked before the connection is touched. */
	assert_int_equal(db_exec(NULL, ST_USER_BY_EMAIL, params, 2, NULL), DB_ERROR);
}

static void db_rollback_without_a_connection_is_harmless(void **state)
{
	(void)state;
	db_rollback(NULL);
	db_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(db_connect_to_a_closed_port_is_unavailable),
	    cmocka_unit_test(db_connect_with_a_bad_url_is_unavailable),
	    cmocka_unit_test(db_connect_to_a_missing_cloud_sql_socket_is_unavailable),
	    cmocka_unit_test(db_classify_without_a_connection_is_unavailable),
	    cmocka_unit_test(db_exec_refuses_a_wrong_parameter_count),
	    cmocka_unit_test(db_rollback_without_a_connection_is_harmless),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
