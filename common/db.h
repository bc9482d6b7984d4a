/*
 * db: the PostgreSQL connection, transactions, and running the statements of
 * sql.h. Parameters always go separately from the SQL text (PQexecParams,
 * or PQexecPrepared on a long-lived process's kept connection);
 * no SQL is ever built from input.
 *
 * Every function returns a db_rc. A failure is logged here with the server's
 * message; the client only ever sees 503 (DB_UNAVAILABLE) or 500.
 *
 * A failed connection is told apart by its SQLSTATE: an outage (refused,
 * silent, full, starting or shutting down: DB_UNAVAILABLE, 503 with
 * Retry-After) or settings the server refuses (wrong password, unknown role
 * or database: DB_MISCONFIGURED, 500, and a log line naming the setting).
 * libpq has no call for the SQLSTATE of a failed connection, so db_connect()
 * connects asynchronously with PQERRORS_VERBOSE, which puts it into the error
 * message ("...failed: FATAL:  28P01: password authentication failed ..."),
 * and reads it from there (db_conn_sqlstate()).
 */
#ifndef MC_DB_H
#define MC_DB_H

#include <libpq-fe.h>

#include "conf.h"
#include "sql.h"

enum db_rc {
	DB_OK = 0,
	DB_UNAVAILABLE =
	    -1,         /* cannot connect, connection lost, too many connections, shutting down */
	DB_ERROR = -2,  /* any other failure */
	DB_UNIQUE = -3, /* unique violation (SQLSTATE 23505) */
	/* connecting: the server refused the configured user, password or
	 * database name; retrying does not help, the settings must change */
	DB_MISCONFIGURED = -4,
	/* connecting: no server was asked, DATABASE_URL does not parse or libpq
	 * cannot be loaded (libpq.h); a configuration error (500), as conf_load()'s */
	DB_CONFIG = -5,
};

/*
 * Connects with the settings in c (DATABASE_URL; else INSTANCE_CONNECTION_NAME
 * as host /cloudsql/<name>; else DB_HOST, DB_PORT, DB_NAME, DB_USER,
 * DB_PASSWORD, DB_SSLMODE), application_name "medicalcare", within
 * c->db_connect_timeout seconds (at least 2, as libpq's connect_timeout) for
 * the whole attempt, every host and address of the settings included.
 * DB_OK and *out (caller db_close()s); DB_CONFIG when libpq cannot be
 * loaded ("could not load libpq.so.5: ...") or DATABASE_URL is not valid
 * (conf_pg_check_url(), logged as "configuration error: ..."); DB_MISCONFIGURED when the server
 * refused the settings (db_conn_rc()), logged as one line naming the settings
 * to fix (db_conn_settings()); else DB_UNAVAILABLE (refused, timed out, full,
 * starting up, shutting down, out of memory), logged as one line.
 */
int db_connect(const struct conf *c, PGconn **out);
/* Closes a connection; the kept one (below) too, which is then forgotten. */
void db_close(PGconn *db);

/*
 * The kept connection of a long-lived (FastCGI) process: one per process,
 * opened on first use and kept across requests, its statements prepared
 * (PQprepare, once each) and run with PQexecPrepared; any other connection
 * runs them with PQexecParams. Nothing session-level is ever set on it, so a
 * request finds it as a new one would.
 *
 * db_keep_acquire(): the kept connection in *out (borrowed: not closed by the
 * caller), connecting first when there is none or it is no longer usable:
 * broken, in a transaction, or with input waiting, which on an idle
 * connection is the server saying it is going away (a restart: 57P01) or
 * gone; so a connection the server or a pooler closed while idle is replaced
 * before the request uses it. A connection that breaks during a request
 * fails that request (DB_UNAVAILABLE, a 503) and is replaced at the next
 * acquire. The return codes are db_connect()'s.
 * With DB_PREPARE=off nothing is prepared. When the server loses a prepared
 * statement (SQLSTATE 26000: a pooler in transaction mode, pgbouncer before
 * 1.21, gave the connection another server), the process logs it and runs
 * every statement unprepared from then on; the statement that found it is
 * run again at once outside a transaction, and inside one fails the request
 * with DB_UNAVAILABLE (a 503).
 *
 * db_keep_release(): the end of a request: a transaction left open is rolled
 * back (and logged as the bug it is); a broken connection is closed.
 * db_keep_drop(): closes the kept connection (the settings changed, or exit).
 */
int db_keep_acquire(const struct conf *c, PGconn **out);
void db_keep_release(PGconn *db);
void db_keep_drop(void);

int db_begin(PGconn *db);
int db_commit(PGconn *db);
/* Rolls back an open transaction; harmless when none is open. */
void db_rollback(PGconn *db);

/*
 * Runs statement s with its parameters as text (NULL is SQL NULL); the count
 * must be the statement's. On DB_OK, *res (if res is not NULL) holds the result
 * and the caller PQclear()s it; on failure *res is NULL.
 */
int db_exec(PGconn *db, enum sql_stmt s, const char *const *params, int nparams, PGresult **res);

/* Classifies a failed result or connection into a db_rc (for db.c and its tests):
 * a connection that is not CONNECTION_OK is DB_UNAVAILABLE, else db_sqlstate_rc(). */
int db_classify(PGconn *db, const PGresult *res);

/*
 * The db_rc of an error's SQLSTATE (NULL: none): DB_UNIQUE for 23505;
 * DB_UNAVAILABLE for class 08, 53000/53100/53200/53300 (too many connections
 * and other lack of resources) and 57P01/57P02/57P03 (shutting down, starting
 * up); DB_ERROR otherwise. (A failed connection attempt is classified by
 * db_conn_rc() instead.)
 */
int db_sqlstate_rc(const char *state);

/*
 * The SQLSTATE of a failed connection attempt, from libpq's error message
 * written with PQERRORS_VERBOSE: the last "<severity>:  <code>: " in msg,
 * <code> being five digits or upper-case letters (libpq appends one report
 * per host and address it tried, and the last one ended the attempt; the
 * severity word may be translated, the code never is). Copies the code into
 * state and returns the start of the line it is on (borrowed from msg), or
 * returns NULL and sets state to "" when msg (NULL allowed) carries none.
 */
const char *db_conn_sqlstate(const char *msg, char state[6]);

/*
 * The db_rc of a failed connection attempt: DB_MISCONFIGURED for SQLSTATE
 * class 28 (invalid_authorization_specification: 28P01 wrong password or, with
 * SCRAM, unknown role; 28000 unknown role, no pg_hba.conf entry) and 3D000
 * (invalid_catalog_name: unknown database), and when the server asked for a
 * password and none was set (needs_password, PQconnectionNeedsPassword());
 * DB_UNAVAILABLE for anything else, state NULL or "" included (refused, timed
 * out, 53300 too many connections, 57P01/57P03 shutting down or starting up,
 * and pgbouncer's 08P01, which pgbouncer 1.18 also sends for a wrong password).
 */
int db_conn_rc(const char *state, int needs_password);

/*
 * The settings to fix when the server refused them (DB_MISCONFIGURED), for the
 * log line: "DATABASE_URL" when c has one; else, by state, DB_PASSWORD (a
 * password asked for, none set), DB_NAME (3D000), DB_USER and DB_PASSWORD
 * (28P01), DB_USER and DB_NAME (other class 28), each with
 * INSTANCE_CONNECTION_NAME when c connects to Cloud SQL. Static text.
 */
const char *db_conn_settings(const struct conf *c, const char *state, int needs_password);

#endif
