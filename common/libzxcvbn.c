/*
 * libzxcvbn: ZxcvbnMatch(), forwarded to libzxcvbn.so.0 loaded on first use
 * (libzxcvbn.h, lazy.h).
 */
#include "libzxcvbn.h"

#include "lazy.h"

#include <stddef.h>
#include <zxcvbn.h>

/* F(ret, name, params, args, value when not loaded), V(...): lazy.h. */
#define ZXCVBN_FUNCTIONS(F, V)                                                                  \
	F(double, ZxcvbnMatch, (const char *Passwd, const char *UserDict[], ZxcMatch_t **Info), \
	  (Passwd, UserDict, Info), 0.0)

enum { ZXCVBN_FUNCTIONS(LAZY_INDEX, LAZY_VINDEX) LAZY_COUNT };
static const char *const zxcvbn_names[] = {ZXCVBN_FUNCTIONS(LAZY_NAME, LAZY_VNAME) NULL};
static LAZY_TABLE_OF(LAZY_COUNT) zxcvbn_table;
static struct lazy zxcvbn_lib = {
    .soname = LIBZXCVBN_SONAME, .names = zxcvbn_names, .table = zxcvbn_table.fn};

#define LAZY_LIB zxcvbn_lib
#define LAZY_TABLE zxcvbn_table
ZXCVBN_FUNCTIONS(LAZY_DEFINE, LAZY_VDEFINE)
