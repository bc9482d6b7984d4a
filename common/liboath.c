/*
 * liboath: the liboath functions the project calls, forwarded to
 * liboath.so.0 loaded on first use (liboath.h, lazy.h).
 */
#include "liboath.h"

#include "lazy.h"
#include "log.h"

#include <oath.h>

/* F(ret, name, params, args, value when not loaded), V(...): lazy.h. */
#define OATH_FUNCTIONS(F, V)                                                                   \
	F(int, oath_init, (void), (), OATH_CRYPTO_ERROR)                                       \
	F(const char *, oath_strerror, (int err), (err), oath_no_library)                      \
	F(int, oath_base32_encode, (const char *in, size_t inlen, char **out, size_t *outlen), \
	  (in, inlen, out, outlen), OATH_CRYPTO_ERROR)                                         \
	F(int, oath_hotp_generate,                                                             \
	  (const char *secret, size_t secret_length, uint64_t moving_factor, unsigned digits,  \
	   bool add_checksum, size_t truncation_offset, char *output_otp),                     \
	  (secret, secret_length, moving_factor, digits, add_checksum, truncation_offset,      \
	   output_otp),                                                                        \
	  OATH_CRYPTO_ERROR)

/* What oath_strerror() gives when liboath is not there. */
static const char oath_no_library[] = "could not load " LIBOATH_SONAME;

/* 1 once oath_init() succeeded. */
static int oath_started;

/* Runs oath_init() once the library is loaded. */
static void oath_start(void);

enum { OATH_FUNCTIONS(LAZY_INDEX, LAZY_VINDEX) LAZY_COUNT };
static const char *const oath_names[] = {OATH_FUNCTIONS(LAZY_NAME, LAZY_VNAME) NULL};
static LAZY_TABLE_OF(LAZY_COUNT) oath_table;
static struct lazy oath_lib = {
    .soname = LIBOATH_SONAME, .names = oath_names, .table = oath_table.fn, .after = oath_start};

int liboath_ready(void)
{
	return lazy_ready(&oath_lib) && oath_started;
}

#define LAZY_LIB oath_lib
#define LAZY_TABLE oath_table
OATH_FUNCTIONS(LAZY_DEFINE, LAZY_VDEFINE)

static void oath_start(void)
{
	int rc = oath_init();

	oath_started = rc == OATH_OK;
	if (!oath_started)
		log_error("could not start %s: %s", LIBOATH_SONAME, oath_strerror(rc));
}
