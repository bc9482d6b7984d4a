/*
 * libpq: the libpq functions the project calls, forwarded to libpq.so.5
 * loaded on first use (libpq.h, lazy.h).
 */
#include "libpq.h"

#include "lazy.h"
#include "libcrypto.h"

#include <libpq-fe.h>

/*
 * Every libpq function the project calls. F: return type, name, parameters,
 * arguments, and the value returned when libpq cannot be loaded. V: a
 * function that frees its one argument: nothing to do for NULL (libpq then
 * does nothing either), so it never loads libpq for that.
 */
#define PQ_FUNCTIONS(F, V)                                                                         \
	F(PGconn *, PQconnectStartParams,                                                          \
	  (const char *const *keywords, const char *const *values, int expand_dbname),             \
	  (keywords, values, expand_dbname), NULL)                                                 \
	F(PostgresPollingStatusType, PQconnectPoll, (PGconn * conn), (conn), PGRES_POLLING_FAILED) \
	F(PQconninfoOption *, PQconninfoParse, (const char *conninfo, char **errmsg),              \
	  (conninfo, errmsg), NULL)                                                                \
	F(ConnStatusType, PQstatus, (const PGconn *conn), (conn), CONNECTION_BAD)                  \
	F(PGTransactionStatusType, PQtransactionStatus, (const PGconn *conn), (conn),              \
	  PQTRANS_UNKNOWN)                                                                         \
	F(int, PQserverVersion, (const PGconn *conn), (conn), 0)                                   \
	F(char *, PQerrorMessage, (const PGconn *conn), (conn), pq_no_library)                     \
	F(int, PQsocket, (const PGconn *conn), (conn), -1)                                         \
	F(int, PQconnectionNeedsPassword, (const PGconn *conn), (conn), 0)                         \
	F(int, PQsetClientEncoding, (PGconn * conn, const char *encoding), (conn, encoding), -1)   \
	F(PGVerbosity, PQsetErrorVerbosity, (PGconn * conn, PGVerbosity verbosity),                \
	  (conn, verbosity), PQERRORS_DEFAULT)                                                     \
	F(PGresult *, PQexec, (PGconn * conn, const char *query), (conn, query), NULL)             \
	F(PGresult *, PQexecParams,                                                                \
	  (PGconn * conn, const char *command, int nParams, const Oid *paramTypes,                 \
	   const char *const *paramValues, const int *paramLengths, const int *paramFormats,       \
	   int resultFormat),                                                                      \
	  (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,            \
	   resultFormat),                                                                          \
	  NULL)                                                                                    \
	F(PGresult *, PQprepare,                                                                   \
	  (PGconn * conn, const char *stmtName, const char *query, int nParams,                    \
	   const Oid *paramTypes),                                                                 \
	  (conn, stmtName, query, nParams, paramTypes), NULL)                                      \
	F(PGresult *, PQexecPrepared,                                                              \
	  (PGconn * conn, const char *stmtName, int nParams, const char *const *paramValues,       \
	   const int *paramLengths, const int *paramFormats, int resultFormat),                    \
	  (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat), NULL)  \
	F(PGresult *, PQgetResult, (PGconn * conn), (conn), NULL)                                  \
	F(int, PQisBusy, (PGconn * conn), (conn), 0)                                               \
	F(int, PQconsumeInput, (PGconn * conn), (conn), 0)                                         \
	F(PGnotify *, PQnotifies, (PGconn * conn), (conn), NULL)                                   \
	F(int, PQputCopyData, (PGconn * conn, const char *buffer, int nbytes),                     \
	  (conn, buffer, nbytes), -1)                                                              \
	F(int, PQputCopyEnd, (PGconn * conn, const char *errormsg), (conn, errormsg), -1)          \
	F(ExecStatusType, PQresultStatus, (const PGresult *res), (res), PGRES_FATAL_ERROR)         \
	F(char *, PQresultErrorMessage, (const PGresult *res), (res), pq_no_library)               \
	F(char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode),      \
	  NULL)                                                                                    \
	F(int, PQntuples, (const PGresult *res), (res), 0)                                         \
	F(int, PQnfields, (const PGresult *res), (res), 0)                                         \
	F(char *, PQcmdTuples, (PGresult * res), (res), pq_empty)                                  \
	F(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num),                   \
	  (res, tup_num, field_num), NULL)                                                         \
	F(int, PQgetlength, (const PGresult *res, int tup_num, int field_num),                     \
	  (res, tup_num, field_num), 0)                                                            \
	F(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num),                     \
	  (res, tup_num, field_num), 1)                                                            \
	V(PQfinish, PGconn *, conn)                                                                \
	V(PQconninfoFree, PQconninfoOption *, connOptions)                                         \
	V(PQclear, PGresult *, res)                                                                \
	V(PQfreemem, void *, ptr)

/* What the functions that return a string give when libpq is not there. */
static char pq_no_library[] = "could not load " LIBPQ_SONAME "\n";
static char pq_empty[] = "";

enum { PQ_FUNCTIONS(LAZY_INDEX, LAZY_VINDEX) LAZY_COUNT };
static const char *const pq_names[] = {PQ_FUNCTIONS(LAZY_NAME, LAZY_VNAME) NULL};
static LAZY_TABLE_OF(LAZY_COUNT) pq_table;
/* libcrypto first, started as libcrypto.h says, before libpq can start it. */
static struct lazy pq_lib = {
    .soname = LIBPQ_SONAME, .names = pq_names, .table = pq_table.fn, .before = libcrypto_ready};

int libpq_load(char *err, size_t errlen)
{
	return lazy_load(&pq_lib, err, errlen);
}

int libpq_loaded(void)
{
	return pq_lib.state == LAZY_LOADED;
}

#define LAZY_LIB pq_lib
#define LAZY_TABLE pq_table
PQ_FUNCTIONS(LAZY_DEFINE, LAZY_VDEFINE)
