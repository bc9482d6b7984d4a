/*
 * libcrypt: crypt_rn(), forwarded to libcrypt.so.1 loaded on first use
 * (libcrypt.h, lazy.h).
 */
#include "libcrypt.h"

#include "lazy.h"

#include <crypt.h>
#include <stddef.h>

/* F(ret, name, params, args, value when not loaded), V(...): lazy.h. */
#define CRYPT_FUNCTIONS(F, V)                                                                \
	F(char *, crypt_rn, (const char *phrase, const char *setting, void *data, int size), \
	  (phrase, setting, data, size), NULL)

enum { CRYPT_FUNCTIONS(LAZY_INDEX, LAZY_VINDEX) LAZY_COUNT };
static const char *const crypt_names[] = {CRYPT_FUNCTIONS(LAZY_NAME, LAZY_VNAME) NULL};
static LAZY_TABLE_OF(LAZY_COUNT) crypt_table;
static struct lazy crypt_lib = {
    .soname = LIBCRYPT_SONAME, .names = crypt_names, .table = crypt_table.fn};

#define LAZY_LIB crypt_lib
#define LAZY_TABLE crypt_table
CRYPT_FUNCTIONS(LAZY_DEFINE, LAZY_VDEFINE)
