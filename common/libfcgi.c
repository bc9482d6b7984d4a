/*
 * libfcgi: the FCGX_ functions app.c calls, forwarded to libfcgi.so.0 loaded
 * on first use (libfcgi.h, lazy.h).
 */
#include "libfcgi.h"

#include "lazy.h"

#include <fcgiapp.h>
#include <fcgios.h>
#include <stddef.h>

/* F(ret, name, params, args, value when not loaded), V(...): lazy.h. */
#define FCGI_FUNCTIONS(F, V)                                                                     \
	F(int, FCGX_Init, (void), (), -1)                                                        \
	F(int, FCGX_InitRequest, (FCGX_Request * request, int sock, int flags),                  \
	  (request, sock, flags), -1)                                                            \
	F(int, FCGX_Accept_r, (FCGX_Request * request), (request), -1)                           \
	F(int, FCGX_GetStr, (char *str, int n, FCGX_Stream *stream), (str, n, stream), -1)       \
	F(int, FCGX_PutStr, (const char *str, int n, FCGX_Stream *stream), (str, n, stream), -1) \
	V(FCGX_Finish_r, FCGX_Request *, request)
/* FCGX_Free() takes two arguments, OS_LibShutdown() none: defined by hand below. */
#define FCGI_XINDEX LAZY_FN_FCGX_Free, LAZY_FN_OS_LibShutdown,

enum { FCGI_FUNCTIONS(LAZY_INDEX, LAZY_VINDEX) FCGI_XINDEX LAZY_COUNT };
static const char *const fcgi_names[] = {FCGI_FUNCTIONS(LAZY_NAME, LAZY_VNAME) "FCGX_Free",
                                         "OS_LibShutdown", NULL};
static LAZY_TABLE_OF(LAZY_COUNT) fcgi_table;
static struct lazy fcgi_lib = {
    .soname = LIBFCGI_SONAME, .names = fcgi_names, .table = fcgi_table.fn};

#define LAZY_LIB fcgi_lib
#define LAZY_TABLE fcgi_table
FCGI_FUNCTIONS(LAZY_DEFINE, LAZY_VDEFINE)

void FCGX_Free(FCGX_Request *request, int close)
{
	if (request == NULL || !lazy_ready(&fcgi_lib))
		return;
	((void (*)(FCGX_Request *, int))fcgi_table.fn[LAZY_FN_FCGX_Free])(request, close);
}

void OS_LibShutdown(void)
{
	if (!lazy_ready(&fcgi_lib))
		return;
	((void (*)(void))fcgi_table.fn[LAZY_FN_OS_LibShutdown])();
}
