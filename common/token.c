/*
 * token: CSPRNG secrets and their digests, on OpenSSL 3.
 */
#include "token.h"

#include "hex.h"

#include "b64.h"
#include "log.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

/* The reason of the oldest queued OpenSSL error, for the log; never NULL. */
static const char *token_ssl_err(void)
{
	const char *r = ERR_reason_error_string(ERR_get_error());

	return r != NULL ? r : "unknown error";
}

int token_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, chunk) != 1) {
			log_error("could not get random bytes: %s", token_ssl_err());
			return -1;
		}
		p += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

/*
 * The largest multiple of 10^6 that fits in a uint32_t is 4294 * 10^6; draws
 * at or above it are thrown away, so that "% 1000000" is uniform.
 */
int token_otp_from_u32(uint32_t v, char out[TOKEN_OTP_LEN + 1])
{
	int n;

	if (v >= TOKEN_OTP_LIMIT)
		return -1;
	n = snprintf(out, TOKEN_OTP_LEN + 1, "%06" PRIu32, v % 1000000u);
	return n == TOKEN_OTP_LEN ? 0 : -1;
}

int token_otp_new(char out[TOKEN_OTP_LEN + 1])
{
	unsigned char raw[4];
	int ret = -1;

	for (;;) {
		uint32_t v;

		if (token_random(raw, sizeof(raw)) != 0)
			break;
		v = ((uint32_t)raw[0] << 24) | ((uint32_t)raw[1] << 16) | ((uint32_t)raw[2] << 8) |
		    raw[3];
		if (token_otp_from_u32(v, out) == 0) {
			ret = 0;
			break;
		}
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}

int token_reset_new(char out[TOKEN_RESET_LEN + 1])
{
	unsigned char raw[TOKEN_RESET_BYTES];
	int ret = -1;

	if (token_random(raw, sizeof(raw)) != 0)
		goto out;
	if (b64url_encode(raw, sizeof(raw), out, TOKEN_RESET_LEN + 1) != TOKEN_RESET_LEN)
		goto out;
	ret = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}

void token_sha256(const void *data, size_t len, unsigned char out[TOKEN_DIGEST_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == TOKEN_DIGEST_LEN)
		return;
	/*
	 * Cannot happen short of a broken library. The signature has no way to
	 * fail, so leave a value that matches no stored digest rather than one
	 * (such as all zeros) that two failures would share.
	 */
	log_error("could not compute sha-256");
	if (RAND_bytes(out, TOKEN_DIGEST_LEN) != 1)
		memset(out, 0xa5, TOKEN_DIGEST_LEN);
}

/* HMAC-SHA256 over the concatenation of nparts buffers. 0, or -1 (logged). */
static int token_hmac_parts(const void *key, size_t keylen, const void *const *parts,
                            const size_t *lens, size_t nparts, unsigned char out[TOKEN_DIGEST_LEN])
{
	static const unsigned char nokey[1];
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	char digest[] = "SHA256";
	size_t n = 0;
	int ret = -1;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, keylen > 0 ? key : nokey, keylen, params) != 1)
		goto out;
	for (size_t i = 0; i < nparts; i++) {
		if (lens[i] > 0 && EVP_MAC_update(ctx, parts[i], lens[i]) != 1)
			goto out;
	}
	if (EVP_MAC_final(ctx, out, &n, TOKEN_DIGEST_LEN) != 1 || n != TOKEN_DIGEST_LEN)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		log_error("could not compute hmac-sha256: %s", token_ssl_err());
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

int token_hmac(const void *key, size_t keylen, const void *data, size_t len,
               unsigned char out[TOKEN_DIGEST_LEN])
{
	const void *parts[1] = {data};
	size_t lens[1] = {len};

	return token_hmac_parts(key, keylen, parts, lens, 1, out);
}

int token_otp_digest(const unsigned char key[32], int64_t user_id, const char *code,
                     unsigned char out[TOKEN_DIGEST_LEN])
{
	char prefix[32];
	const void *parts[2];
	size_t lens[2];
	int n;

	if (code == NULL)
		return -1;
	n = snprintf(prefix, sizeof(prefix), "%" PRId64 ":", user_id);
	if (n < 0 || (size_t)n >= sizeof(prefix))
		return -1;
	parts[0] = prefix;
	lens[0] = (size_t)n;
	parts[1] = code;
	lens[1] = strlen(code);
	return token_hmac_parts(key, 32, parts, lens, 2, out);
}

int token_digest_equal(const unsigned char a[TOKEN_DIGEST_LEN],
                       const unsigned char b[TOKEN_DIGEST_LEN])
{
	return CRYPTO_memcmp(a, b, TOKEN_DIGEST_LEN) == 0;
}

void token_hex(const unsigned char d[TOKEN_DIGEST_LEN], char out[2 * TOKEN_DIGEST_LEN + 1])
{
	hex_encode(d, TOKEN_DIGEST_LEN, out);
}

int token_random_hex(size_t nbytes, char *out)
{
	unsigned char raw[32];

	if (nbytes > sizeof(raw) || token_random(raw, nbytes) != 0)
		return -1;
	hex_encode(raw, nbytes, out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}
