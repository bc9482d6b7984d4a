/*
 * db: the PostgreSQL connection, transactions, and running the statements of
 * sql.h. Parameters always go separately from the SQL text (PQexecParams);
 * no SQL is ever built from input.
 *
 * Every function returns a db_rc. A failure is logged here with the server's
 * message; the client only ever sees 503 or 500 (http_resp_db_error()).
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
};

/*
 * Connects with the settings in c (DATABASE_URL; else INSTANCE_CONNECTION_NAME
 * as host /cloudsql/<name>; else DB_HOST, DB_PORT, DB_NAME, DB_USER,
 * DB_PASSWORD, DB_SSLMODE), connect_timeout = c->db_connect_timeout,
 * application_name "medicalcare". DB_OK and *out (caller db_close()s), or
 * DB_UNAVAILABLE.
 */
int db_connect(const struct conf *c, PGconn **out);
void db_close(PGconn *db);

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
 * up); DB_ERROR otherwise. (A failed connection attempt is DB_UNAVAILABLE
 * whatever its SQLSTATE: db_connect().)
 */
int db_sqlstate_rc(const char *state);

#endif
