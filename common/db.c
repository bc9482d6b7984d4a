#include "db.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf_pg.h"
#include "libpq.h"
#include "log.h"

/*
 * The process's kept connection (db_keep_acquire()) and which statements are
 * prepared on it: prepared[s] is set once PQprepare() of statement s
 * succeeded there. Any other connection runs statements unprepared.
 */
static PGconn *db_kept;
static unsigned char db_prepared[ST__COUNT];
/* Statements are prepared on the kept connection (DB_PREPARE, until a pooler loses one). */
static int db_prepare_on;

/* The least time a connection attempt gets, in seconds (as libpq's connect_timeout). */
#define DB_CONNECT_MIN_SECONDS 2

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

/* The last line of a libpq message that has text, without trailing blanks. */
static void db_last_line(const char *msg, char *out, size_t outlen)
{
	const char *start = msg != NULL ? msg : "";
	size_t n;

	for (const char *p = start; *p != '\0'; p++)
		if ((p == start || p[-1] == '\n') && *p != '\n' && *p != '\r')
			start = p;
	db_first_line(start, out, outlen);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		out[--n] = '\0';
}

static int db_sqlstate_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z');
}

const char *db_conn_sqlstate(const char *msg, char state[6])
{
	const char *code = NULL;
	const char *line;

	state[0] = '\0';
	if (msg == NULL)
		return NULL;
	/* libpq writes "<severity>:  <code>: <message>" (two blanks, then one). */
	for (const char *p = strstr(msg, ":  "); p != NULL; p = strstr(p + 1, ":  ")) {
		const char *c = p + 3;
		int i = 0;

		while (i < 5 && db_sqlstate_char(c[i]))
			i++;
		if (i == 5 && c[5] == ':' && c[6] == ' ')
			code = c;
	}
	if (code == NULL)
		return NULL;
	memcpy(state, code, 5);
	state[5] = '\0';
	line = code;
	while (line > msg && line[-1] != '\n')
		line--;
	return line;
}

int db_conn_rc(const char *state, int needs_password)
{
	if (needs_password)
		return DB_MISCONFIGURED;
	if (state == NULL || strlen(state) != 5)
		return DB_UNAVAILABLE;
	if (strncmp(state, "28", 2) == 0 || strcmp(state, "3D000") == 0)
		return DB_MISCONFIGURED;
	return DB_UNAVAILABLE;
}

const char *db_conn_settings(const struct conf *c, const char *state, int needs_password)
{
	int cloud = c->instance_connection_name != NULL;

	if (c->database_url != NULL)
		return "DATABASE_URL";
	if (needs_password)
		return cloud ? "DB_PASSWORD and INSTANCE_CONNECTION_NAME" : "DB_PASSWORD";
	if (state != NULL && strcmp(state, "3D000") == 0)
		return cloud ? "DB_NAME and INSTANCE_CONNECTION_NAME" : "DB_NAME";
	if (state != NULL && strcmp(state, "28P01") == 0)
		return cloud ? "DB_USER, DB_PASSWORD and INSTANCE_CONNECTION_NAME"
		             : "DB_USER and DB_PASSWORD";
	return cloud ? "DB_USER, DB_NAME and INSTANCE_CONNECTION_NAME" : "DB_USER and DB_NAME";
}

/*
 * Fills keys and vals (NULL-terminated, room for 9) with the connection
 * parameters of c; host and timeout are the caller's buffers the values may
 * point into. *expand: the dbname is a URL or conninfo string to expand.
 * 0, or -1 (logged).
 */
static int db_params(const struct conf *c, const char **keys, const char **vals, char *host,
                     size_t hostlen, char *timeout, size_t timeoutlen, int *expand)
{
	int n = 0;

	*expand = 0;
	if (c->database_url != NULL) {
		keys[n] = "dbname";
		vals[n++] = c->database_url;
		*expand = 1;
	} else {
		if (c->instance_connection_name != NULL) {
			if ((size_t)snprintf(host, hostlen, "/cloudsql/%s",
			                     c->instance_connection_name) >= hostlen) {
				log_error("INSTANCE_CONNECTION_NAME is too long");
				return -1;
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
	/*
	 * Later keywords override those expanded from the URL. libpq reads
	 * connect_timeout only when it waits itself (PQconnectdb, PQreset);
	 * db_poll() keeps the same time limit.
	 */
	snprintf(timeout, timeoutlen, "%d", c->db_connect_timeout);
	keys[n] = "connect_timeout";
	vals[n++] = timeout;
	keys[n] = "application_name";
	vals[n++] = "medicalcare";
	keys[n] = NULL;
	vals[n] = NULL;
	return 0;
}

enum db_poll_rc { DB_POLL_OK, DB_POLL_FAILED, DB_POLL_TIMEOUT, DB_POLL_ERROR };

/* Milliseconds from now to end (CLOCK_MONOTONIC), at most INT_MAX, 0 when past. */
static int db_ms_left(const struct timespec *end)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/*
 * Drives the attempt db (from PQconnectStartParams()) as libpq's documentation
 * of PQconnectPoll() says, until it succeeds, fails, or seconds have passed.
 * libpq tries each host and address in turn, so the socket may change from one
 * call to the next. DB_POLL_ERROR: poll() failed (errno).
 */
static enum db_poll_rc db_poll(PGconn *db, int seconds)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	for (;;) {
		struct pollfd pfd;
		int ms, n;

		if (st == PGRES_POLLING_OK)
			return DB_POLL_OK;
		if (st == PGRES_POLLING_FAILED || PQsocket(db) < 0)
			return DB_POLL_FAILED;
		ms = db_ms_left(&end);
		if (ms == 0)
			return DB_POLL_TIMEOUT;
		pfd.fd = PQsocket(db);
		pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return DB_POLL_ERROR;
		if (n == 0)
			return DB_POLL_TIMEOUT;
		st = PQconnectPoll(db);
	}
}

int db_connect(const struct conf *c, PGconn **out)
{
	const char *keys[9];
	const char *vals[9];
	char timeout[16];
	char host[300];
	char line[512];
	char state[6];
	const char *at;
	int expand = 0;
	int needs_password;
	int rc = DB_UNAVAILABLE;
	int seconds = c->db_connect_timeout < DB_CONNECT_MIN_SECONDS ? DB_CONNECT_MIN_SECONDS
	                                                             : c->db_connect_timeout;
	enum db_poll_rc polled;
	PGconn *db = NULL;

	*out = NULL;
	/* The first connection loads libpq; DATABASE_URL needs it to be checked. */
	if (libpq_load(line, sizeof(line)) != 0)
		return DB_CONFIG; /* logged by the loader (lazy.h) */
	if (conf_pg_check_url(c->database_url, line, sizeof(line)) != 0) {
		log_error("configuration error: %s", line);
		return DB_CONFIG;
	}
	if (db_params(c, keys, vals, host, sizeof(host), timeout, sizeof(timeout), &expand) != 0)
		return DB_UNAVAILABLE;
	db = PQconnectStartParams(keys, vals, expand);
	if (db == NULL) {
		log_error("could not connect to database: out of memory");
		return DB_UNAVAILABLE;
	}
	/*
	 * Before the server can answer: its error then reads "FATAL:  28P01:
	 * ...". (PQconnectStartParams() has only opened the socket so far.)
	 */
	PQsetErrorVerbosity(db, PQERRORS_VERBOSE);
	polled = PQstatus(db) == CONNECTION_BAD ? DB_POLL_FAILED : db_poll(db, seconds);
	switch (polled) {
	case DB_POLL_OK:
		PQsetErrorVerbosity(db, PQERRORS_DEFAULT);
		*out = db;
		return DB_OK;
	case DB_POLL_TIMEOUT:
		/* The last line names the server libpq was waiting for. */
		db_last_line(PQerrorMessage(db), line, sizeof(line));
		log_error("could not connect to database: %s%stimeout expired", line,
		          *line != '\0' ? " " : "");
		break;
	case DB_POLL_ERROR:
		log_error("could not connect to database: could not wait for the server: %s",
		          strerror(errno));
		break;
	case DB_POLL_FAILED:
		at = db_conn_sqlstate(PQerrorMessage(db), state);
		needs_password = PQconnectionNeedsPassword(db);
		rc = db_conn_rc(state, needs_password);
		db_first_line(at != NULL ? at : PQerrorMessage(db), line, sizeof(line));
		if (rc == DB_MISCONFIGURED)
			log_error("could not connect to database, check %s: %s",
			          db_conn_settings(c, state, needs_password), line);
		else
			log_error("could not connect to database: %s", line);
		break;
	}
	PQfinish(db);
	return rc;
}

void db_close(PGconn *db)
{
	if (db != NULL && db == db_kept) {
		db_keep_drop();
		return;
	}
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

/* SQLSTATE 26000: the prepared statement is gone (a pooler gave us another server). */
static int db_statement_gone(const PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return state != NULL && strcmp(state, "26000") == 0;
}

/*
 * Runs statement s: prepared (named "mc_<n>") on the kept connection,
 * preparing it on first use; unprepared elsewhere, and when preparing fails
 * or the server lost the prepared statement (then every mark is forgotten and
 * statements are prepared again as they come). The caller PQclear()s.
 */
static PGresult *db_run(PGconn *db, enum sql_stmt s, const struct sql_def *def,
                        const char *const *params, int nparams)
{
	char name[16];
	PGresult *r;

	if (db != db_kept || db == NULL || !db_prepare_on)
		return PQexecParams(db, def->text, nparams, NULL, params, NULL, NULL, 0);
	snprintf(name, sizeof(name), "mc_%d", (int)s);
	if (!db_prepared[s]) {
		r = PQprepare(db, name, def->text, nparams, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			/* Inside a transaction the failure has aborted it: report it as is. */
			if (PQtransactionStatus(db) == PQTRANS_INERROR ||
			    PQstatus(db) != CONNECTION_OK)
				return r;
			PQclear(r);
			return PQexecParams(db, def->text, nparams, NULL, params, NULL, NULL, 0);
		}
		PQclear(r);
		db_prepared[s] = 1;
	}
	r = PQexecPrepared(db, name, nparams, params, NULL, NULL, 0);
	if (db_statement_gone(r)) {
		/*
		 * A pooler in transaction mode (pgbouncer before 1.21) hands each
		 * transaction another server, which never saw the statement: from
		 * now on this process runs every statement unprepared. Inside a
		 * transaction the failure has aborted it (a 503); else it is run
		 * again at once.
		 */
		log_warn("the database lost a prepared statement (a pooler in transaction mode?): "
		         "statements run unprepared from now on; set DB_PREPARE=off");
		memset(db_prepared, 0, sizeof(db_prepared));
		db_prepare_on = 0;
		if (PQtransactionStatus(db) == PQTRANS_IDLE) {
			PQclear(r);
			r = PQexecParams(db, def->text, nparams, NULL, params, NULL, NULL, 0);
		}
	}
	return r;
}

/* 1 if the kept connection still looks usable: connected, no transaction, and nothing from the server waiting (a termination notice). */
static int db_kept_alive(PGconn *db)
{
	struct pollfd p;

	if (PQstatus(db) != CONNECTION_OK || PQtransactionStatus(db) != PQTRANS_IDLE)
		return 0;
	p.fd = PQsocket(db);
	p.events = POLLIN;
	p.revents = 0;
	if (p.fd < 0)
		return 0;
	/*
	 * Nothing to read: as it was. On an idle connection that never LISTENs
	 * nor SETs anything, the server only speaks to say it is going
	 * (57P01 after a restart or pg_terminate_backend(), an idle timeout)
	 * or has closed it: either way it is of no more use.
	 */
	return poll(&p, 1, 0) == 0;
}

int db_keep_acquire(const struct conf *c, PGconn **out)
{
	int rc;

	*out = NULL;
	if (db_kept != NULL && !db_kept_alive(db_kept)) {
		log_warn("database connection lost; connecting again");
		db_keep_drop();
	}
	if (db_kept == NULL) {
		rc = db_connect(c, &db_kept);
		if (rc != DB_OK) {
			db_kept = NULL;
			return rc;
		}
		memset(db_prepared, 0, sizeof(db_prepared));
		db_prepare_on = c->db_prepare;
	}
	*out = db_kept;
	return DB_OK;
}

void db_keep_release(PGconn *db)
{
	if (db == NULL || db != db_kept)
		return;
	if (PQstatus(db) != CONNECTION_OK) {
		db_keep_drop();
		return;
	}
	if (PQtransactionStatus(db) != PQTRANS_IDLE) {
		log_error("a transaction was left open; rolling it back");
		db_rollback(db);
		if (PQtransactionStatus(db) != PQTRANS_IDLE)
			db_keep_drop();
	}
}

void db_keep_drop(void)
{
	if (db_kept != NULL)
		PQfinish(db_kept);
	db_kept = NULL;
	memset(db_prepared, 0, sizeof(db_prepared));
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
	r = db_run(db, s, def, params, nparams);
	if (PQresultStatus(r) != def->expect) {
		/* A prepared statement the server lost: run again, it will work (db_run()). */
		rc = db_statement_gone(r) ? DB_UNAVAILABLE : db_classify(db, r);
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
	if (def->expect == PGRES_TUPLES_OK && PQnfields(r) != def->ncols) {
		/* The text and the enum of its columns (sql.h) disagree. */
		log_error("statement %s returned %d columns, not %d", def->name, PQnfields(r),
		          def->ncols);
		PQclear(r);
		return DB_ERROR;
	}
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return DB_OK;
}
