/*
 * libpq: the PostgreSQL client library, loaded by the first call that needs
 * it (lazy.h) instead of by the loader at every start of a program: it maps
 * some two dozen libraries (Kerberos, LDAP, SASL, GnuTLS, ...), most of the
 * start of a plain CGI program that never reaches the database.
 *
 * libpq.c defines each libpq function the project calls, with the prototype
 * of libpq-fe.h, forwarding it to libpq.so.5; the programs are not linked
 * with -lpq, so a libpq function not listed there fails the link (an
 * undefined reference): add it to PQ_FUNCTIONS. Until libpq is loaded,
 * freeing nothing (PQclear(NULL), PQfinish(NULL), ...) does not load it; any
 * other call does, and if that fails it returns what libpq returns for a
 * failure (NULL, CONNECTION_BAD, PGRES_FATAL_ERROR, -1 or 0). db_connect()
 * calls libpq_load() first, to log why.
 */
#ifndef MC_LIBPQ_H
#define MC_LIBPQ_H

#include <stddef.h>

/* The library loaded: libpq's soname, as -lpq would have recorded it. */
#define LIBPQ_SONAME "libpq.so.5"

/*
 * Loads libpq unless it is loaded: 0, or -1 with the reason (dlerror()'s, a
 * missing function) in err. After a failure every later call fails the same
 * way without trying again.
 */
int libpq_load(char *err, size_t errlen);

/* 1 if libpq is loaded (by libpq_load() or a call that needed it), else 0. */
int libpq_loaded(void);

#endif
