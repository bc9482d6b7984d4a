/*
 * libcrypto: the libcrypto functions the project calls, forwarded to
 * libcrypto.so.3 loaded on first use (libcrypto.h, lazy.h).
 */
#include "libcrypto.h"

#include "lazy.h"

#include <openssl/core.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

/* F(ret, name, params, args, value when not loaded), V(...): lazy.h. */
#define CRYPTO_FUNCTIONS(F, V)                                                                     \
	F(int, OPENSSL_init_crypto, (uint64_t opts, const OPENSSL_INIT_SETTINGS *settings),        \
	  (opts, settings), 0)                                                                     \
	F(int, CRYPTO_memcmp, (const void *in_a, const void *in_b, size_t len), (in_a, in_b, len), \
	  -1)                                                                                      \
	F(int, RAND_bytes, (unsigned char *buf, int num), (buf, num), 0)                           \
	F(unsigned long, ERR_get_error, (void), (), 0)                                             \
	F(const char *, ERR_reason_error_string, (unsigned long e), (e), NULL)                     \
	F(const EVP_MD *, EVP_sha256, (void), (), NULL)                                            \
	F(const EVP_CIPHER *, EVP_aes_256_gcm, (void), (), NULL)                                   \
	F(int, EVP_Digest,                                                                         \
	  (const void *data, size_t count, unsigned char *md, unsigned int *size,                  \
	   const EVP_MD *type, ENGINE *impl),                                                      \
	  (data, count, md, size, type, impl), 0)                                                  \
	F(unsigned char *, HMAC,                                                                   \
	  (const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *data,          \
	   size_t data_len, unsigned char *md, unsigned int *md_len),                              \
	  (evp_md, key, key_len, data, data_len, md, md_len), NULL)                                \
	F(EVP_CIPHER_CTX *, EVP_CIPHER_CTX_new, (void), (), NULL)                                  \
	F(int, EVP_CIPHER_CTX_ctrl, (EVP_CIPHER_CTX * ctx, int type, int arg, void *ptr),          \
	  (ctx, type, arg, ptr), 0)                                                                \
	F(int, EVP_EncryptInit_ex,                                                                 \
	  (EVP_CIPHER_CTX * ctx, const EVP_CIPHER *cipher, ENGINE *impl, const unsigned char *key, \
	   const unsigned char *iv),                                                               \
	  (ctx, cipher, impl, key, iv), 0)                                                         \
	F(int, EVP_EncryptUpdate,                                                                  \
	  (EVP_CIPHER_CTX * ctx, unsigned char *out, int *outl, const unsigned char *in, int inl), \
	  (ctx, out, outl, in, inl), 0)                                                            \
	F(int, EVP_EncryptFinal_ex, (EVP_CIPHER_CTX * ctx, unsigned char *out, int *outl),         \
	  (ctx, out, outl), 0)                                                                     \
	F(int, EVP_DecryptInit_ex,                                                                 \
	  (EVP_CIPHER_CTX * ctx, const EVP_CIPHER *cipher, ENGINE *impl, const unsigned char *key, \
	   const unsigned char *iv),                                                               \
	  (ctx, cipher, impl, key, iv), 0)                                                         \
	F(int, EVP_DecryptUpdate,                                                                  \
	  (EVP_CIPHER_CTX * ctx, unsigned char *out, int *outl, const unsigned char *in, int inl), \
	  (ctx, out, outl, in, inl), 0)                                                            \
	F(int, EVP_DecryptFinal_ex, (EVP_CIPHER_CTX * ctx, unsigned char *outm, int *outl),        \
	  (ctx, outm, outl), 0)                                                                    \
	F(EVP_MAC *, EVP_MAC_fetch,                                                                \
	  (OSSL_LIB_CTX * libctx, const char *algorithm, const char *properties),                  \
	  (libctx, algorithm, properties), NULL)                                                   \
	F(EVP_MAC_CTX *, EVP_MAC_CTX_new, (EVP_MAC * mac), (mac), NULL)                            \
	F(int, EVP_MAC_init,                                                                       \
	  (EVP_MAC_CTX * ctx, const unsigned char *key, size_t keylen, const OSSL_PARAM params[]), \
	  (ctx, key, keylen, params), 0)                                                           \
	F(int, EVP_MAC_update, (EVP_MAC_CTX * ctx, const unsigned char *data, size_t datalen),     \
	  (ctx, data, datalen), 0)                                                                 \
	F(int, EVP_MAC_final,                                                                      \
	  (EVP_MAC_CTX * ctx, unsigned char *out, size_t *outl, size_t outsize),                   \
	  (ctx, out, outl, outsize), 0)                                                            \
	F(OSSL_PARAM, OSSL_PARAM_construct_utf8_string,                                            \
	  (const char *key, char *buf, size_t bsize), (key, buf, bsize), crypto_no_param)          \
	F(OSSL_PARAM, OSSL_PARAM_construct_end, (void), (), crypto_no_param)                       \
	V(EVP_CIPHER_CTX_free, EVP_CIPHER_CTX *, c)                                                \
	V(EVP_MAC_CTX_free, EVP_MAC_CTX *, ctx)                                                    \
	V(EVP_MAC_free, EVP_MAC *, mac)

/* What the two OSSL_PARAM constructors give when libcrypto is not there: the end. */
static const OSSL_PARAM crypto_no_param;

/* Starts OpenSSL, once loaded: without its configuration unless OPENSSL_CONF is set. */
static void crypto_start(void);

enum { CRYPTO_FUNCTIONS(LAZY_INDEX, LAZY_VINDEX) LAZY_COUNT };
static const char *const crypto_names[] = {CRYPTO_FUNCTIONS(LAZY_NAME, LAZY_VNAME) NULL};
static LAZY_TABLE_OF(LAZY_COUNT) crypto_table;
static struct lazy crypto_lib = {.soname = LIBCRYPTO_SONAME,
                                 .names = crypto_names,
                                 .table = crypto_table.fn,
                                 .after = crypto_start};

int libcrypto_ready(void)
{
	return lazy_ready(&crypto_lib);
}

#define LAZY_LIB crypto_lib
#define LAZY_TABLE crypto_table
CRYPTO_FUNCTIONS(LAZY_DEFINE, LAZY_VDEFINE)

static void crypto_start(void)
{
	const char *cnf = getenv("OPENSSL_CONF");
	uint64_t opts = OPENSSL_INIT_NO_LOAD_CONFIG;

	if (cnf != NULL && *cnf != '\0')
		opts = OPENSSL_INIT_LOAD_CONFIG;
	(void)OPENSSL_init_crypto(opts, NULL);
}

/* Not forwarded: explicit_bzero() is the same promise (never optimized away). */
void OPENSSL_cleanse(void *ptr, size_t len)
{
	if (ptr != NULL && len > 0)
		explicit_bzero(ptr, len);
}
