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
 * not used at all: that is logged once ("could not load libpq.so.5: ..."),
 * and the calls then fail as the library fails (each forwarder says how).
 *
 * A forwarder file lists the library's functions as
 *   LIST(F, V)  F(ret, name, (params), (args), what to return when not loaded)
 *               V(name, type, arg): returns nothing, frees arg; NULL is nothing
 *                to free, so it does not load the library
 * defines LAZY_LIB (its struct lazy) and LAZY_TABLE (its table), and then
 *   enum { LIST(LAZY_INDEX, LAZY_VINDEX) LAZY_COUNT };
 *   static const char *const names[] = {LIST(LAZY_NAME, LAZY_VNAME) NULL};
 *   static LAZY_TABLE_OF(LAZY_COUNT) table;
 *   LIST(LAZY_DEFINE, LAZY_VDEFINE)
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
	int (*before)(void);      /* NULL, or run first: 0 stops the load (a dependency failed) */
	void (*after)(void);      /* NULL, or run once loaded (the table usable) */
	enum lazy_state state;    /* LAZY_UNTRIED until the first lazy_ready() */
	char error[256];          /* LAZY_FAILED: why (dlerror(), a missing name) */
};

/* Loads l's library and fills its table on the first call. 1 when loaded, else 0. */
int lazy_ready(struct lazy *l);

/* lazy_ready(), but -1 with l->error copied into err when not loaded, else 0. */
int lazy_load(struct lazy *l, char *err, size_t errlen);

#define LAZY_INDEX(ret, name, params, args, dflt) LAZY_FN_##name,
#define LAZY_VINDEX(name, type, arg) LAZY_FN_##name,
#define LAZY_NAME(ret, name, params, args, dflt) #name,
#define LAZY_VNAME(name, type, arg) #name,

/* A table of n addresses, alone on its page. */
#define LAZY_TABLE_OF(n)                       \
	union {                                \
		void *fn[(n)];                 \
		unsigned char page[LAZY_PAGE]; \
	} __attribute__((aligned(LAZY_PAGE)))

#define LAZY_DEFINE(ret, name, params, args, dflt)                         \
	ret name params                                                    \
	{                                                                  \
		if (!lazy_ready(&LAZY_LIB))                                \
			return dflt;                                       \
		return ((ret(*) params)LAZY_TABLE.fn[LAZY_FN_##name])args; \
	}
#define LAZY_VDEFINE(name, type, arg)                                 \
	void name(type arg)                                           \
	{                                                             \
		if (arg == NULL || !lazy_ready(&LAZY_LIB))            \
			return;                                       \
		((void (*)(type))LAZY_TABLE.fn[LAZY_FN_##name])(arg); \
	}

#endif
