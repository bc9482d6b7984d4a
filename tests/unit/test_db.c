/*
 * Unit tests of db that need no database: connection failure, classification,
 * argument checks, and a fake server on loopback that refuses the startup
 * message as PostgreSQL does when it is full or starting up.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

static void db_sqlstate_rc_classifies_unavailable_states(void **state)
{
	static const char *const unavailable[] = {
	    "53300", /* too_many_connections: max_connections or a CONNECTION LIMIT */
	    "57P03", /* cannot_connect_now: starting up, shutting down, recovery */
	    "57P01", /* admin_shutdown */
	    "57P02", /* crash_shutdown */
	    "08006", /* connection_failure */
	    "08001", /* sqlclient_unable_to_establish_sqlconnection */
	    "08P01", /* protocol_violation: pgbouncer's errors (query_wait_timeout ...) */
	    "53000", "53100", "53200",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(unavailable) / sizeof(unavailable[0]); i++)
		assert_int_equal(db_sqlstate_rc(unavailable[i]), DB_UNAVAILABLE);
}

static void db_sqlstate_rc_classifies_other_states(void **state)
{
	(void)state;
	assert_int_equal(db_sqlstate_rc("23505"), DB_UNIQUE);
	assert_int_equal(db_sqlstate_rc("23503"), DB_ERROR); /* foreign_key_violation */
	assert_int_equal(db_sqlstate_rc("42P01"), DB_ERROR); /* undefined_table */
	assert_int_equal(db_sqlstate_rc("53400"), DB_ERROR); /* configuration_limit_exceeded */
	assert_int_equal(db_sqlstate_rc("57014"), DB_ERROR); /* query_canceled */
	assert_int_equal(db_sqlstate_rc("40001"), DB_ERROR); /* serialization_failure */
	assert_int_equal(db_sqlstate_rc(NULL), DB_ERROR);
}

/*
 * A fake PostgreSQL server in a child process on 127.0.0.1: it answers an
 * SSL or GSS encryption request with 'N' and the startup message with a FATAL
 * ErrorResponse carrying code and msg, for up to two connections, then
 * exits. Returns its port and the child's pid in *pid.
 */
static int fake_server(const char *code, const char *msg, pid_t *pid)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(ls >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(ls, 4), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		alarm(20);
		for (int conn = 0; conn < 2; conn++) {
			int s = accept(ls, NULL, NULL);

			if (s < 0)
				_exit(1);
			for (;;) {
				unsigned char hdr[8];
				unsigned char body[1024];
				uint32_t len, ver;
				char err[512];
				size_t n = 0;

				if (recv(s, hdr, 4, MSG_WAITALL) != 4)
					break;
				len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
				      (uint32_t)hdr[2] << 8 | hdr[3];
				if (len < 8 || len - 4 > sizeof(body) ||
				    recv(s, body, len - 4, MSG_WAITALL) != (ssize_t)(len - 4))
					break;
				ver = (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 |
				      (uint32_t)body[2] << 8 | body[3];
				if (ver == 80877103u || ver == 80877104u) {
					/* SSLRequest, GSSENCRequest: not here. */
					if (send(s, "N", 1, 0) != 1)
						break;
					continue;
				}
				err[n++] = 'E';
				n += 4;
				n += (size_t)snprintf(err + n, sizeof(err) - n,
				                      "SFATAL%cVFATAL%cC%s%cM%s%c", 0, 0, code, 0,
				                      msg, 0);
				err[n++] = '\0';
				len = (uint32_t)(n - 1);
				err[1] = (char)(len >> 24);
				err[2] = (char)(len >> 16);
				err[3] = (char)(len >> 8);
				err[4] = (char)len;
				if (send(s, err, n, 0) != (ssize_t)n)
					break;
				break;
			}
			close(s);
		}
		_exit(0);
	}
	close(ls);
	return ntohs(a.sin_port);
}

static void connect_to_refusing_server(const char *code, const char *msg)
{
	struct conf c;
	char url[128];
	PGconn *db = NULL;
	pid_t pid;
	int port = fake_server(code, msg, &pid);

	snprintf(url, sizeof(url),
	         "postgresql://mc@127.0.0.1:%d/mc?sslmode=disable&gssencmode=disable", port);
	memset(&c, 0, sizeof(c));
	c.database_url = url;
	c.db_connect_timeout = 5;
	assert_int_equal(db_connect(&c, &db), DB_UNAVAILABLE);
	assert_null(db);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void db_connect_to_a_full_server_is_unavailable(void **state)
{
	(void)state;
	connect_to_refusing_server("53300", "sorry, too many clients already");
}

static void db_connect_to_a_server_starting_up_is_unavailable(void **state)
{
	(void)state;
	connect_to_refusing_server("57P03", "the database system is starting up");
}

static void db_connect_to_a_server_shutting_down_is_unavailable(void **state)
{
	(void)state;
	connect_to_refusing_server("57P03", "the database system is shutting down");
}

static void db_exec_refuses_a_wrong_parameter_count(void **state)
{
	const char *params[3] = {"a", "b", "c"};

	(void)state;
	/* Checked before the connection is touched. */
	assert_int_equal(db_exec(NULL, ST_USER_BY_EMAIL, params, 3, NULL), DB_ERROR);
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
	    cmocka_unit_test(db_sqlstate_rc_classifies_unavailable_states),
	    cmocka_unit_test(db_sqlstate_rc_classifies_other_states),
	    cmocka_unit_test(db_connect_to_a_full_server_is_unavailable),
	    cmocka_unit_test(db_connect_to_a_server_starting_up_is_unavailable),
	    cmocka_unit_test(db_connect_to_a_server_shutting_down_is_unavailable),
	    cmocka_unit_test(db_exec_refuses_a_wrong_parameter_count),
	    cmocka_unit_test(db_rollback_without_a_connection_is_harmless),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
