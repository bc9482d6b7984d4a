#include "db.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/*
 * SQLSTATEs that mean "the database is not there right now": class 08
 * (connection exception, also what pgbouncer sends when it cannot reach the
 * server or gives up on a client: 08P01); class 53 (insufficient resources:
 * 53300 too_many_connections, 53100 disk_full, 53200 out_of_memory); 57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting
 * up, shutting down, in recovery).
 */
int db_sqlstate_rc(const char *state)
{
	if (state == NULL)
		return DB_ERROR;
	if (strcmp(state, "23505") == 0)
		return DB_UNIQUE;
	if (strncmp(state, "08", 2) == 0 || strcmp(state, "53000") == 0 ||
	    strcmp(state, "53100") == 0 || strcmp(state, "53200") == 0 ||
	    strcmp(state, "53300") == 0 || strcmp(state, "57P01") == 0 ||
	    strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0)
		return DB_UNAVAILABLE;
	return DB_ERROR;
}

int db_classify(PGconn *db, const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (db == NULL || PQstatus(db) != CONNECTION_OK)
		return DB_UNAVAILABLE;
	return db_sqlstate_rc(state);
}

/* Cuts a libpq message at its first line end, for one log line. */
static void db_first_line(const char *msg, char *out, size_t outlen)
{
	size_t n = strcspn(msg != NULL ? msg : "", "\r\n");

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, msg != NULL ? msg : "", n);
	out[n] = '\0';
}

int db_connect(const struct conf *c, PGconn **out)
{
	const char *keys[12];
	const char *vals[12];
	char timeout[16];
	char host[300];
	int n = 0;
	int expand = 0;
	PGconn *db = NULL;
	char line[512];

	*out = NULL;
	snprintf(timeout, sizeof(timeout), "%d", c->db_connect_timeout);
	if (c->database_url != NULL) {
		keys[n] = "dbname";
		vals[n++] = c->database_url;
		expand = 1;
	} else {
		if (c->instance_connection_name != NULL) {
			if ((size_t)snprintf(host, sizeof(host), "/cloudsql/%s",
			                     c->instance_connection_name) >= sizeof(host)) {
				log_error("INSTANCE_CONNECTION_NAME is too long");
				return DB_UNAVAILABLE;
			}
			keys[n] = "host";
			vals[n++] = host;
		} else if (c->db_host != NULL) {
			keys[n] = "host";
			vals[n++] = c->db_host;
		}
		if (c->db_port != NULL && c->instance_connection_name == NULL) {
			keys[n] = "port";
			vals[n++] = c->db_port;
		}
		if (c->db_name != NULL) {
			keys[n] = "dbname";
			vals[n++] = c->db_name;
		}
		if (c->db_user != NULL) {
			keys[n] = "user";
			vals[n++] = c->db_user;
		}
		if (c->db_password != NULL) {
			keys[n] = "password";
			vals[n++] = c->db_password;
		}
		if (c->db_sslmode != NULL) {
			keys[n] = "sslmode";
			vals[n++] = c->db_sslmode;
		}
	}
	/* Later keywords override those expanded from the URL. */
	keys[n] = "connect_timeout";
	vals[n++] = timeout;
	keys[n] = "application_name";
	vals[n++] = "medicalcare";
	keys[n] = NULL;
	vals[n] = NULL;

	db = PQconnectdbParams(keys, vals, expand);
	if (db == NULL) {
		log_error("could not connect to database: out of memory");
		return DB_UNAVAILABLE;
	}
	if (PQstatus(db) != CONNECTION_OK) {
		db_first_line(PQerrorMessage(db), line, sizeof(line));
		log_error("could not connect to database: %s", line);
		PQfinish(db);
		return DB_UNAVAILABLE;
	}
	*out = db;
	return DB_OK;
}

void db_close(PGconn *db)
{
	if (db != NULL)
		PQfinish(db);
}

static int db_command(PGconn *db, const char *sql)
{
	PGresult *res = PQexec(db, sql);
	int rc = DB_OK;
	char line[512];

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = db_classify(db, res);
		db_first_line(PQerrorMessage(db), line, sizeof(line));
		log_error("could not run %s: %s", sql, line);
	}
	PQclear(res);
	return rc;
}

int db_begin(PGconn *db)
{
	return db_command(db, "BEGIN");
}

int db_commit(PGconn *db)
{
	return db_command(db, "COMMIT");
}

void db_rollback(PGconn *db)
{
	PGresult *res;

	if (db == NULL || PQtransactionStatus(db) == PQTRANS_IDLE ||
	    PQtransactionStatus(db) == PQTRANS_UNKNOWN)
		return;
	res = PQexec(db, "ROLLBACK");
	PQclear(res);
}

int db_exec(PGconn *db, enum sql_stmt s, const char *const *params, int nparams, PGresult **res)
{
	const struct sql_def *def = sql_def(s);
	PGresult *r = NULL;
	int rc = DB_OK;
	char line[512];

	if (res != NULL)
		*res = NULL;
	if (nparams != def->nparams) {
		log_error("statement %s takes %d parameters, given %d", def->name, def->nparams,
		          nparams);
		return DB_ERROR;
	}
	r = PQexecParams(db, def->text, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != def->expect) {
		rc = db_classify(db, r);
		if (rc != DB_UNIQUE) {
			db_first_line(PQresultErrorMessage(r) != NULL &&
			                      *PQresultErrorMessage(r) != '\0'
			                  ? PQresultErrorMessage(r)
			                  : PQerrorMessage(db),
			              line, sizeof(line));
			log_error("statement %s failed: %s", def->name, line);
		}
		PQclear(r);
		return rc;
	}
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return DB_OK;
}
