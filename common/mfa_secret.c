/*
 * mfa_secret: two-factor secrets drawn, sealed and opened (mfa_secret.h).
 */
#include "mfa_secret.h"

#include "log.h"
#include "secret.h"
#include "token.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* The associated data: a label and the account id, "medicalcare-mfa-secret-v1:<id>". */
static int mfa_secret_aad(int64_t user_id, char *aad, size_t size)
{
	int n = snprintf(aad, size, "medicalcare-mfa-secret-v1:%" PRId64, user_id);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

int mfa_secret_new(unsigned char out[MFA_SECRET_LEN])
{
	return token_random(out, MFA_SECRET_LEN);
}

int mfa_secret_seal(const unsigned char key[AEAD_KEY_LEN], int64_t user_id,
                    const unsigned char secret[MFA_SECRET_LEN], unsigned char **out)
{
	char aad[64];
	size_t len = 0;
	int n = mfa_secret_aad(user_id, aad, sizeof(aad));

	*out = NULL;
	if (n < 0 || aead_seal(key, aad, (size_t)n, secret, MFA_SECRET_LEN, out, &len) != 0 ||
	    len != MFA_SECRET_SEALED_LEN) {
		secret_free(*out, len);
		*out = NULL;
		log_error("could not seal the two-factor secret of account %" PRId64, user_id);
		return -1;
	}
	return 0;
}

int mfa_secret_open(const unsigned char key[AEAD_KEY_LEN], int64_t user_id,
                    const unsigned char *sealed, size_t len, unsigned char secret[MFA_SECRET_LEN])
{
	char aad[64];
	unsigned char *clear = NULL;
	size_t clen = 0;
	int n = mfa_secret_aad(user_id, aad, sizeof(aad)), rc = -1;

	if (n < 0 || len != MFA_SECRET_SEALED_LEN ||
	    aead_open(key, aad, (size_t)n, sealed, len, &clear, &clen) != 0 ||
	    clen != MFA_SECRET_LEN) {
		log_error(
		    "could not open the two-factor secret of account %" PRId64
		    ": sealed under another MFA_ENCRYPTION_KEY, for another account, or changed",
		    user_id);
		goto out;
	}
	memcpy(secret, clear, MFA_SECRET_LEN);
	rc = 0;
out:
	secret_free(clear, clen + 1);
	return rc;
}
