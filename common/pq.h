/*
 * pq: libpq, loaded by the first call that needs it instead of by the loader
 * at every start of a program.
 *
 * libpq maps some two dozen libraries (Kerberos, LDAP, SASL, GnuTLS, ...)
 * and has the loader bind thousands of symbols: most of the start of a plain
 * CGI program, paid even by the requests that never reach the database (a
 * 401 without a token, the 4xx of the gates, OPTIONS, openapi.json). So the
 * programs are not linked with -lpq: pq.c defines each libpq function the
 * project calls, with the prototype of libpq-fe.h (the compiler checks that
 * they agree), and forwards it to the same function of libpq.so.5, which it
 * loads with dlopen() the first time (RTLD_NOW: every symbol bound at once,
 * as -z now binds the rest). The table of their addresses is made read-only
 * once filled (mprotect), as full RELRO leaves the GOT.
 *
 * A libpq function not listed in pq.c fails the link (an undefined
 * reference): add it to PQ_FUNCTIONS there. Until libpq is loaded, freeing
 * nothing (PQclear(NULL), PQfinish(NULL), ...) does not load it; any other
 * call does, and if that fails it returns what libpq returns for a failure
 * (NULL, CONNECTION_BAD, PGRES_FATAL_ERROR, -1 or 0). db_connect() calls
 * pq_load() first, to log why.
 */
#ifndef MC_PQ_H
#define MC_PQ_H

#include <stddef.h>

/* The library loaded: libpq's soname, as -lpq would have recorded it. */
#define PQ_LIBRARY "libpq.so.5"

/*
 * Loads libpq unless it is loaded: 0, or -1 with the reason (dlerror()'s,
 * a missing symbol) in err. After a failure every later call fails the same
 * way without trying again.
 */
int pq_load(char *err, size_t errlen);

/* 1 if libpq is loaded (by pq_load() or a call that needed it), else 0. */
int pq_loaded(void);

#endif
