/*
 * mfa_secret: an account's two-factor (TOTP) secret: 20 bytes from the
 * CSPRNG (RFC 4226's recommended length for HMAC-SHA-1), stored only sealed
 * (aead.h) under conf_mfa_keys()->mfa_secret, derived from
 * MFA_ENCRYPTION_KEY, and bound to the account's id as associated data: a
 * sealed secret copied to another account's row does not open. The clear
 * secret is never logged; wipe it (OPENSSL_cleanse) when done.
 *
 * MFA_ENCRYPTION_KEY is optional for the programs (an install upgraded
 * without it keeps serving everything else): without it conf_mfa_keys() is
 * NULL and logs a configuration error, and an endpoint that needs a secret
 * answers 500; bin/medicalcare-check reports it missing.
 */
#ifndef MC_MFA_SECRET_H
#define MC_MFA_SECRET_H

#include "aead.h"

#include <stddef.h>
#include <stdint.h>

#define MFA_SECRET_LEN 20
/* The length of a sealed secret: nonce, 20 bytes, tag. */
#define MFA_SECRET_SEALED_LEN (AEAD_OVERHEAD + MFA_SECRET_LEN)

/* A new secret from the CSPRNG into out. 0, or -1 (logged). */
int mfa_secret_new(unsigned char out[MFA_SECRET_LEN]);

/*
 * secret sealed under key for account user_id: 0 and *out
 * (MFA_SECRET_SEALED_LEN bytes; caller frees), or -1 (logged).
 */
int mfa_secret_seal(const unsigned char key[AEAD_KEY_LEN], int64_t user_id,
                    const unsigned char secret[MFA_SECRET_LEN], unsigned char **out);

/*
 * The secret of account user_id from its sealed form (len bytes) into
 * secret: 0, or -1 (logged, nothing in secret) when it does not open: another
 * key (MFA_ENCRYPTION_KEY changed), another account's row, a changed byte.
 */
int mfa_secret_open(const unsigned char key[AEAD_KEY_LEN], int64_t user_id,
                    const unsigned char *sealed, size_t len, unsigned char secret[MFA_SECRET_LEN]);

#endif
