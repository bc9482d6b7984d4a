/*
 * lazy: a shared library loaded by the first call that needs it, not by the
 * loader at every start of a program.
 *
 * A plain CGI program starts for every request, and the loader's work grows
 * with every library recorded in it (DT_NEEDED): each is opened and mapped,
 * and with full RELRO every symbol it uses is bound before main(). libpq
 * (Kerberos, LDAP, SASL, GnuTLS, ...) and libcurl (nghttp2, ssh2, rtmp,
 * ...) bring some two dozen libraries each, which most requests never use: a
 * 401 without a token, the 4xx of the gates, OPTIONS, openapi.json never
 * reach the database, and mail goes out after the answer. So those two are
 * not linked; libpq.c and libcurl.c define the functions of each that the
 * project calls, with the library's own prototypes (the compiler checks
 * them), and forward each call through a table lazy_ready() fills.
 *
 * lazy_ready() dlopen()s the library with RTLD_NOW (every symbol bound at
 * once, as -z now binds the rest of the program), looks up every name into
 * the table, then makes the table read-only (mprotect), as full RELRO leaves
 * the GOT. A library that cannot be loaded, or lacks one of the names, is
 * not used at all: the calls then fail as the library fails (each forwarder
 * says how), and the reason is kept for a log line.
 */
#ifndef MC_LAZY_H
#define MC_LAZY_H

#include <stddef.h>

/*
 * The size and alignment of a table: the x86-64 page. Where pages are larger
 * mprotect() refuses, and the table stays writable (a GOT without RELRO).
 */
#define LAZY_PAGE 4096

enum lazy_state { LAZY_UNTRIED, LAZY_LOADED, LAZY_FAILED };

struct lazy {
	const char *soname;       /* "libpq.so.5": what -l would have recorded */
	const char *const *names; /* the functions, NULL-terminated */
	void **table;             /* one address per name: LAZY_PAGE bytes, aligned to it */
	enum lazy_state state;    /* LAZY_UNTRIED until the first lazy_ready() */
	char error[256];          /* LAZY_FAILED: why (dlerror(), a missing name) */
};

/* Loads l's library and fills its table on the first call. 1 when loaded, else 0. */
int lazy_ready(struct lazy *l);

/* lazy_ready(), but -1 with l->error copied into err when not loaded, else 0. */
int lazy_load(struct lazy *l, char *err, size_t errlen);

#endif
