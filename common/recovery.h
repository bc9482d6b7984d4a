/*
 * recovery: two-factor recovery codes, each good once in place of a TOTP
 * code. RECOVERY_COUNT codes are made at a time, each RECOVERY_SYMBOLS
 * symbols of RFC 4648's base32 alphabet in lower case (5 bits each: 50 bits
 * of CSPRNG output), shown as two groups of five, "xxxxx-xxxxx", once.
 *
 * What a user types is normalized first (recovery_normalize(): spaces, tabs
 * and dashes dropped, upper case folded), so "ABCDE FGHIJ" is
 * "abcde-fghij". Only a keyed hash is stored: HMAC-SHA256 under
 * conf_mfa_keys()->mfa_recovery of "<user_id>:<the 10 symbols>", so a
 * database dump cannot be searched over the 2^50 codes and one account's
 * hash is no other's. Compare digests with token_digest_equal() (constant
 * time), or look them up by value. Pure apart from the CSPRNG and libcrypto.
 */
#ifndef MC_RECOVERY_H
#define MC_RECOVERY_H

#include "token.h"

#include <stddef.h>
#include <stdint.h>

#define RECOVERY_COUNT 10
#define RECOVERY_SYMBOLS 10
#define RECOVERY_LEN 11 /* "xxxxx-xxxxx" */
/* Longest text recovery_normalize() reads: a code with blanks and dashes around. */
#define RECOVERY_TYPED_MAX 64

/*
 * The code that RECOVERY_SYMBOLS bytes r make: the low 5 bits of each
 * (uniform, as 32 divides 256) as a symbol, into out[RECOVERY_LEN + 1]. Pure;
 * exposed for tests.
 */
void recovery_from_bytes(const unsigned char r[RECOVERY_SYMBOLS], char out[RECOVERY_LEN + 1]);

/* RECOVERY_COUNT new codes, all different, into out. 0, or -1 (logged). */
int recovery_new_set(char out[RECOVERY_COUNT][RECOVERY_LEN + 1]);

/*
 * typed, normalized: its RECOVERY_SYMBOLS symbols in lower case, without
 * spaces, tabs or dashes, into out[RECOVERY_SYMBOLS + 1]. 0, or -1 when it
 * is not a recovery code (another character, another number of symbols,
 * longer than RECOVERY_TYPED_MAX). Pure.
 */
int recovery_normalize(const char *typed, char out[RECOVERY_SYMBOLS + 1]);

/*
 * The stored digest of typed (normalized first) for account user_id. 0, or
 * -1 when typed is not a recovery code (nothing to look up: the caller's
 * "Invalid code") or libcrypto failed (logged).
 */
int recovery_digest(const unsigned char key[32], int64_t user_id, const char *typed,
                    unsigned char out[TOKEN_DIGEST_LEN]);

#endif
