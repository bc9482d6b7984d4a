/*
 * jwt: access tokens, JWS compact serialization with HS256 only (RFC 7515, 7519).
 *
 * The header is {"alg":"HS256","typ":"JWT"}; the claims sub (user id as a
 * string), email, iat, exp, and, when set, sid (the session, session.h) and
 * jti (the token's own random id). Verification pins the algorithm: any "alg" other
 * than "HS256" (none, RS256, HS512, ...) fails before the MAC is looked at, and
 * the MAC is compared in constant time. Tokens signed by a standard library
 * with the same key and these claims verify; "typ" may be absent; unknown
 * claims are ignored.
 */
#ifndef MC_JWT_H
#define MC_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define JWT_MAX_LEN 4096 /* longer tokens are rejected unparsed */
#define JWT_LEEWAY 60    /* seconds of clock skew allowed for iat, nbf and exp */
/* The longest lifetime (exp - iat) accepted: JWT_EXPIRE_MINUTES is at most 1440. */
#define JWT_MAX_LIFETIME (24 * 60 * 60)
#define JWT_ID_MAX 64 /* the longest sid or jti accepted */

struct jwt_claims {
	int64_t sub;     /* user id: the "sub" string, a decimal integer > 0 */
	char email[255]; /* "email" claim, "" when absent */
	int64_t iat;     /* issued at, seconds since the epoch */
	int64_t exp;     /* expiry, seconds since the epoch */
	/* "sid" and "jti": "" when absent; else 1 to JWT_ID_MAX base64url characters. */
	char sid[JWT_ID_MAX + 1];
	char jti[JWT_ID_MAX + 1];
};

enum jwt_err {
	JWT_OK = 0,
	JWT_MALFORMED, /* not three base64url parts, bad JSON, wrong claim types */
	JWT_BAD_ALG,   /* alg is not HS256 */
	JWT_BAD_SIGNATURE,
	JWT_EXPIRED,       /* exp + leeway <= now */
	JWT_NOT_YET_VALID, /* iat (or nbf) later than now + leeway */
	JWT_INTERNAL,      /* out of memory, crypto failure */
};

/* A short lower-case description for the error log (never the token itself). */
const char *jwt_strerror(enum jwt_err e);

/*
 * Signs the claims with key. On success returns JWT_OK and *out holds the token;
 * the caller frees it. Requires keylen >= 32.
 */
enum jwt_err jwt_sign(const struct jwt_claims *c, const unsigned char *key, size_t keylen,
                      char **out);

/*
 * Verifies token (NUL-terminated) against key at time now and fills *c.
 * Requires sub, iat and exp; email, sid and jti optional (sid and jti: strings
 * of 1 to JWT_ID_MAX base64url characters, else JWT_MALFORMED). JWT_OK only when every check passed:
 * the header (alg HS256), the signature, then the claims: sub a decimal
 * integer > 0 without leading zeros, iat and exp JSON integers with
 * iat < exp <= iat + JWT_MAX_LIFETIME (else JWT_MALFORMED), exp + JWT_LEEWAY
 * after now (else JWT_EXPIRED), iat and nbf (when present) at most JWT_LEEWAY
 * ahead of now (else JWT_NOT_YET_VALID).
 */
enum jwt_err jwt_verify(const char *token, const unsigned char *key, size_t keylen, time_t now,
                        struct jwt_claims *c);

/*
 * The signature check of jwt_verify() alone, without the header or claim
 * checks: 1 if token has three parts and its third is the base64url of
 * HMAC-SHA256(key, first part "." second part), compared in constant time;
 * 0 otherwise. For tests against published vectors: callers use jwt_verify().
 */
int jwt_hs256_signature_ok(const char *token, const unsigned char *key, size_t keylen);

#endif
