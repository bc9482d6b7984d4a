/*
 * pq: the libpq functions the project calls, forwarded to libpq.so.5 loaded
 * on first use (pq.h).
 */
#include "pq.h"

#include <libpq-fe.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

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
static char pq_no_library[] = "could not load " PQ_LIBRARY "\n";
static char pq_empty[] = "";

#define PQ_FIELD(ret, name, params, args, dflt) ret(*name) params;
#define PQ_VFIELD(name, type, arg) void (*name)(type arg);

struct pq_table {
	PQ_FUNCTIONS(PQ_FIELD, PQ_VFIELD)
};

/*
 * The addresses, alone on one page of their own, made read-only once filled
 * (PQ_PAGE: the x86-64 page; where pages are larger mprotect() refuses and
 * the table stays writable, as a GOT without RELRO would be).
 */
#define PQ_PAGE 4096
_Static_assert(sizeof(struct pq_table) <= PQ_PAGE, "the libpq table outgrew its page");
static union {
	struct pq_table fn;
	unsigned char page[PQ_PAGE];
} pq __attribute__((aligned(PQ_PAGE)));

static enum { PQ_UNTRIED, PQ_LOADED, PQ_FAILED } pq_state;
static char pq_error[256];

/* dlsym() into *slot: 0, or -1 with pq_error set. */
static int pq_symbol(void *lib, const char *name, void **slot)
{
	*slot = dlsym(lib, name);
	if (*slot != NULL)
		return 0;
	snprintf(pq_error, sizeof(pq_error), "%s has no %s", PQ_LIBRARY, name);
	return -1;
}

#define PQ_LOOKUP(ret, name, params, args, dflt) \
	if (pq_symbol(lib, #name, &sym) != 0)    \
		goto fail;                       \
	pq.fn.name = (ret(*) params)sym;
#define PQ_VLOOKUP(name, type, arg)           \
	if (pq_symbol(lib, #name, &sym) != 0) \
		goto fail;                    \
	pq.fn.name = (void (*)(type))sym;

/* Loads libpq and fills the table, once. 1 when loaded, 0 when not. */
static int pq_ready(void)
{
	void *lib;
	void *sym;

	if (pq_state != PQ_UNTRIED)
		return pq_state == PQ_LOADED;
	pq_state = PQ_FAILED;
	lib = dlopen(PQ_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		const char *why = dlerror();

		snprintf(pq_error, sizeof(pq_error), "%s", why != NULL ? why : PQ_LIBRARY);
		return 0;
	}
	PQ_FUNCTIONS(PQ_LOOKUP, PQ_VLOOKUP)
	(void)mprotect(&pq, sizeof(pq), PROT_READ);
	pq_state = PQ_LOADED;
	return 1;
fail:
	/* A libpq without one of them is not one to use: none is kept. */
	memset(&pq, 0, sizeof(pq));
	dlclose(lib);
	return 0;
}

int pq_load(char *err, size_t errlen)
{
	if (pq_ready())
		return 0;
	snprintf(err, errlen, "%s", pq_error);
	return -1;
}

int pq_loaded(void)
{
	return pq_state == PQ_LOADED;
}

#define PQ_DEFINE(ret, name, params, args, dflt) \
	ret name params                          \
	{                                        \
		if (!pq_ready())                 \
			return dflt;             \
		return pq.fn.name args;          \
	}
#define PQ_VDEFINE(name, type, arg)             \
	void name(type arg)                     \
	{                                       \
		if (arg == NULL || !pq_ready()) \
			return;                 \
		pq.fn.name(arg);                \
	}

PQ_FUNCTIONS(PQ_DEFINE, PQ_VDEFINE)
