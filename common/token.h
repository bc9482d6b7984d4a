/*
 * token: secrets from the CSPRNG (OpenSSL RAND_bytes) and their digests.
 *
 * OTP codes are 6 decimal digits drawn without modulo bias; reset tokens are
 * 32 random bytes as base64url text (43 characters). Only digests are stored:
 * an OTP as HMAC-SHA256 under a server key (so a database dump cannot be
 * brute-forced over the 10^6 codes), a reset token as plain SHA-256 (it has
 * 256 bits of entropy). Digests are compared with CRYPTO_memcmp.
 */
#ifndef MC_TOKEN_H
#define MC_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_OTP_LEN 6
#define TOKEN_RESET_BYTES 32
#define TOKEN_RESET_LEN 43 /* base64url of 32 bytes, no padding */
#define TOKEN_DIGEST_LEN 32

/* Fills buf with len bytes from the CSPRNG. 0, or -1 (logged) if it failed. */
int token_random(void *buf, size_t len);

/* Writes a 6-digit code and a NUL into out[7]. 0, or -1. */
int token_otp_new(char out[TOKEN_OTP_LEN + 1]);

/*
 * The mapping token_otp_new() applies to each 32-bit draw: draws at or above
 * TOKEN_OTP_LIMIT (4294 * 10^6) are rejected (-1), so that the others reduce
 * uniformly mod 10^6; an accepted draw v gives "%06u" of v % 1000000 and 0.
 * Exposed for tests of the boundary.
 */
#define TOKEN_OTP_LIMIT 4294000000u
int token_otp_from_u32(uint32_t v, char out[TOKEN_OTP_LEN + 1]);

/* Writes a fresh reset token (43 base64url chars and a NUL) into out[44]. 0, or -1. */
int token_reset_new(char out[TOKEN_RESET_LEN + 1]);

/* SHA-256 of len bytes. */
void token_sha256(const void *data, size_t len, unsigned char out[TOKEN_DIGEST_LEN]);

/* HMAC-SHA256. 0, or -1. */
int token_hmac(const void *key, size_t keylen, const void *data, size_t len,
               unsigned char out[TOKEN_DIGEST_LEN]);

/*
 * The stored digest of an OTP: HMAC-SHA256(key, "<user_id>:<code>"), so the
 * same code for two users has two digests. 0, or -1.
 */
int token_otp_digest(const unsigned char key[32], int64_t user_id, const char *code,
                     unsigned char out[TOKEN_DIGEST_LEN]);

/* Constant-time equality of two digests: 1 equal, 0 not. */
int token_digest_equal(const unsigned char a[TOKEN_DIGEST_LEN],
                       const unsigned char b[TOKEN_DIGEST_LEN]);

/* Lower-case hex of a digest into out[65]. */
void token_hex(const unsigned char d[TOKEN_DIGEST_LEN], char out[2 * TOKEN_DIGEST_LEN + 1]);

/* Random lower-case hex of nbytes (at most 32) bytes into out[2 * nbytes + 1]. 0, or -1. */
int token_random_hex(size_t nbytes, char *out);

#endif
