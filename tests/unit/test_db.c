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
#include <time.h>
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

static void db_connect_with_a_bad_url_is_a_configuration_error(void **state)
{
	struct conf c;
	char url[] = "postgresql://%zz";
	PGconn *db = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.database_url = url;
	c.db_connect_timeout = 2;
	assert_int_equal(db_connect(&c, &db), DB_CONFIG);
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
 * ErrorResponse carrying code and msg (code NULL: with a request for a
 * cleartext password, AuthenticationCleartextPassword), for up to two
 * connections, then exits. Returns its port and the child's pid in *pid.
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
				if (code == NULL) {
					static const char ask[] = {'R', 0, 0, 0, 8, 0, 0, 0, 3};

					if (send(s, ask, sizeof(ask), 0) != (ssize_t)sizeof(ask))
						break;
					/* libpq has no password to send: it hangs up. */
					(void)recv(s, body, sizeof(body), 0);
					break;
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

/* db_connect() to a fake_server(code, msg): its db_rc. */
static int connect_to_fake_server(const char *code, const char *msg)
{
	struct conf c;
	char url[128];
	PGconn *db = NULL;
	pid_t pid;
	int port = fake_server(code, msg, &pid);
	int rc;

	snprintf(url, sizeof(url),
	         "postgresql://mc@127.0.0.1:%d/mc?sslmode=disable&gssencmode=disable", port);
	memset(&c, 0, sizeof(c));
	c.database_url = url;
	c.db_connect_timeout = 5;
	rc = db_connect(&c, &db);
	assert_null(db);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return rc;
}

static void connect_to_refusing_server(const char *code, const char *msg)
{
	assert_int_equal(connect_to_fake_server(code, msg), DB_UNAVAILABLE);
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

static void db_connect_with_a_password_the_server_refuses_is_misconfigured(void **state)
{
	(void)state;
	assert_int_equal(
	    connect_to_fake_server("28P01", "password authentication failed for user \"mc\""),
	    DB_MISCONFIGURED);
}

static void db_connect_as_a_role_the_server_refuses_is_misconfigured(void **state)
{
	(void)state;
	assert_int_equal(connect_to_fake_server("28000", "role \"mc\" does not exist"),
	                 DB_MISCONFIGURED);
	assert_int_equal(
	    connect_to_fake_server("28000", "no pg_hba.conf entry for host \"127.0.0.1\""),
	    DB_MISCONFIGURED);
}

static void db_connect_to_an_unknown_database_is_misconfigured(void **state)
{
	(void)state;
	assert_int_equal(connect_to_fake_server("3D000", "database \"mc\" does not exist"),
	                 DB_MISCONFIGURED);
}

static void db_connect_without_the_password_the_server_asks_for_is_misconfigured(void **state)
{
	(void)state;
	assert_int_equal(connect_to_fake_server(NULL, NULL), DB_MISCONFIGURED);
}

static void db_connect_to_a_pgbouncer_refusing_with_08P01_is_unavailable(void **state)
{
	(void)state;
	/* pgbouncer 1.18 says 08P01 for a full pool and for a wrong password alike. */
	assert_int_equal(connect_to_fake_server("08P01", "no more connections allowed"),
	                 DB_UNAVAILABLE);
}

/*
 * A server that accepts (the kernel completes the handshake into the backlog)
 * and never answers: DB_UNAVAILABLE after the connect timeout, which is at
 * least 2 s as libpq's.
 */
static void db_connect_to_a_silent_server_times_out_within_the_limit(void **state)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct timespec t0, t1;
	struct conf c;
	char url[128];
	PGconn *db = NULL;
	double took;
	int ls = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	assert_true(ls >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(ls, 4), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
	snprintf(url, sizeof(url),
	         "postgresql://mc@127.0.0.1:%d/mc?sslmode=disable&gssencmode=disable",
	         ntohs(a.sin_port));
	memset(&c, 0, sizeof(c));
	c.database_url = url;
	c.db_connect_timeout = 1; /* taken as 2 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(db_connect(&c, &db), DB_UNAVAILABLE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_null(db);
	close(ls);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (took < 1.9 || took > 4.0)
		fail_msg("db_connect took %.2f s, expected about 2", took);
}

static void db_conn_sqlstate_reads_the_code_of_the_error_that_ended_the_attempt(void **state)
{
	static const struct {
		const char *msg;
		const char *state; /* "" when none */
		const char *line;  /* the start of the line returned, NULL when none */
	} t[] = {
	    {"connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  28P01: password "
	     "authentication failed for user \"mc\"\nLOCATION:  auth_failed, auth.c:334\n",
	     "28P01", "connection to server at"},
	    {"connection to server on socket \"/tmp/.s.PGSQL.5432\" failed: FATAL:  3D000: database "
	     "\"x\" does not exist\n",
	     "3D000", "connection to server on socket"},
	    /* Several hosts: the last report ended the attempt. */
	    {"connection to server at \"10.0.0.1\", port 5432 failed: FATAL:  57P03: the database "
	     "system is starting up\nLOCATION:  ProcessStartupPacket\nconnection to server at "
	     "\"10.0.0.2\", port 5432 failed: FATAL:  28000: role \"mc\" does not exist\n",
	     "28000", "connection to server at \"10.0.0.2\""},
	    {"connection to server at \"10.0.0.1\", port 1 failed: Connection refused\n\tIs the "
	     "server running on that host and accepting TCP/IP connections?\nconnection to server at "
	     "\"10.0.0.2\", port 5432 failed: FATAL:  53300: sorry, too many clients already\n",
	     "53300", "connection to server at \"10.0.0.2\""},
	    /* A translated severity; the code is never translated. */
	    {"Verbindung zum Server fehlgeschlagen: SCHWERWIEGEND:  28P01: Passwort-Authentifizierung "
	     "fehlgeschlagen\n",
	     "28P01", "Verbindung"},
	    /* A server message without "two blanks, five code characters, colon". */
	    {"FATAL:  sorry, too many clients already\n", "", NULL},
	    {"connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n", "",
	     NULL},
	    {"connection to server at \"127.0.0.1\", port 5432 failed: fe_sendauth: no password "
	     "supplied\n",
	     "", NULL},
	    {"x:  28p01: lower case is no code\n", "", NULL},
	    {"x:  28P0: too short\n", "", NULL},
	    {"x:  28P01 no colon\n", "", NULL},
	    {"x:  28P01", "", NULL},
	    {"", "", NULL},
	};
	char st[6];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *line = db_conn_sqlstate(t[i].msg, st);

		if (strcmp(st, t[i].state) != 0)
			fail_msg("case %zu: state \"%s\", want \"%s\"", i, st, t[i].state);
		if (t[i].line == NULL) {
			assert_null(line);
		} else {
			assert_non_null(line);
			if (strncmp(line, t[i].line, strlen(t[i].line)) != 0)
				fail_msg("case %zu: line starts \"%.30s\"", i, line);
		}
	}
	assert_null(db_conn_sqlstate(NULL, st));
	assert_string_equal(st, "");
}

static void db_conn_rc_tells_refused_settings_from_outages(void **state)
{
	static const char *const misconfigured[] = {
	    "28P01", /* invalid_password (and, with SCRAM, an unknown role) */
	    "28000", /* invalid_authorization_specification: unknown role, no pg_hba.conf entry */
	    "3D000", /* invalid_catalog_name: unknown database */
	};
	static const char *const unavailable[] = {
	    "53300", "57P03", "57P01", "57P02", "08P01", "08006", "08001",
	    "53100", "XX000", "42501", "3D001", "2800",  "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(misconfigured) / sizeof(misconfigured[0]); i++)
		assert_int_equal(db_conn_rc(misconfigured[i], 0), DB_MISCONFIGURED);
	for (size_t i = 0; i < sizeof(unavailable) / sizeof(unavailable[0]); i++)
		assert_int_equal(db_conn_rc(unavailable[i], 0), DB_UNAVAILABLE);
	assert_int_equal(db_conn_rc(NULL, 0), DB_UNAVAILABLE);
	/* The server asked for a password and none was set. */
	assert_int_equal(db_conn_rc(NULL, 1), DB_MISCONFIGURED);
	assert_int_equal(db_conn_rc("", 1), DB_MISCONFIGURED);
}

static void db_conn_settings_names_what_to_fix(void **state)
{
	char url[] = "postgresql://mc@db/mc";
	char name[] = "project:region:instance";
	struct conf c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_string_equal(db_conn_settings(&c, "28P01", 0), "DB_USER and DB_PASSWORD");
	assert_string_equal(db_conn_settings(&c, "28000", 0), "DB_USER and DB_NAME");
	assert_string_equal(db_conn_settings(&c, "3D000", 0), "DB_NAME");
	assert_string_equal(db_conn_settings(&c, "", 1), "DB_PASSWORD");
	c.instance_connection_name = name;
	assert_string_equal(db_conn_settings(&c, "28P01", 0),
	                    "DB_USER, DB_PASSWORD and INSTANCE_CONNECTION_NAME");
	assert_string_equal(db_conn_settings(&c, "28000", 0),
	                    "DB_USER, DB_NAME and INSTANCE_CONNECTION_NAME");
	assert_string_equal(db_conn_settings(&c, "3D000", 0),
	                    "DB_NAME and INSTANCE_CONNECTION_NAME");
	assert_string_equal(db_conn_settings(&c, "", 1),
	                    "DB_PASSWORD and INSTANCE_CONNECTION_NAME");
	/* DATABASE_URL wins, as in db_connect(). */
	c.database_url = url;
	assert_string_equal(db_conn_settings(&c, "28P01", 0), "DATABASE_URL");
	assert_string_equal(db_conn_settings(&c, "3D000", 0), "DATABASE_URL");
	assert_string_equal(db_conn_settings(&c, "", 1), "DATABASE_URL");
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
	    cmocka_unit_test(db_connect_with_a_bad_url_is_a_configuration_error),
	    cmocka_unit_test(db_connect_to_a_missing_cloud_sql_socket_is_unavailable),
	    cmocka_unit_test(db_classify_without_a_connection_is_unavailable),
	    cmocka_unit_test(db_sqlstate_rc_classifies_unavailable_states),
	    cmocka_unit_test(db_sqlstate_rc_classifies_other_states),
	    cmocka_unit_test(db_connect_to_a_full_server_is_unavailable),
	    cmocka_unit_test(db_connect_to_a_server_starting_up_is_unavailable),
	    cmocka_unit_test(db_connect_to_a_server_shutting_down_is_unavailable),
	    cmocka_unit_test(db_connect_with_a_password_the_server_refuses_is_misconfigured),
	    cmocka_unit_test(db_connect_as_a_role_the_server_refuses_is_misconfigured),
	    cmocka_unit_test(db_connect_to_an_unknown_database_is_misconfigured),
	    cmocka_unit_test(db_connect_without_the_password_the_server_asks_for_is_misconfigured),
	    cmocka_unit_test(db_connect_to_a_pgbouncer_refusing_with_08P01_is_unavailable),
	    cmocka_unit_test(db_connect_to_a_silent_server_times_out_within_the_limit),
	    cmocka_unit_test(db_conn_sqlstate_reads_the_code_of_the_error_that_ended_the_attempt),
	    cmocka_unit_test(db_conn_rc_tells_refused_settings_from_outages),
	    cmocka_unit_test(db_conn_settings_names_what_to_fix),
	    cmocka_unit_test(db_exec_refuses_a_wrong_parameter_count),
	    cmocka_unit_test(db_rollback_without_a_connection_is_harmless),
	};

	/* The fake servers' answers must not depend on the caller's libpq
	 * environment: tests/run.sh exports PGPASSWORD for psql, which libpq
	 * would send where these tests want it to have none. */
	unsetenv("PGPASSWORD");
	setenv("PGPASSFILE", "/dev/null", 1);
	unsetenv("PGSERVICE");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
