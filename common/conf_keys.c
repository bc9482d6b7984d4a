/*
 * conf_keys: the keys derived from JWT_SECRET_KEY and MFA_ENCRYPTION_KEY
 * (conf_keys.h).
 */
#include "conf_keys.h"

#include "log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define OTP_KEY_LABEL "medicalcare otp key v1"
#define OUTBOX_KEY_LABEL "medicalcare outbox key v1"
#define AUDIT_KEY_LABEL "medicalcare audit email key v1"
#define MFA_SECRET_KEY_LABEL "medicalcare mfa secret key v1"
#define MFA_RECOVERY_KEY_LABEL "medicalcare mfa recovery key v1"

/* key = HMAC-SHA256(base, label). 0, or -1. */
static int conf_derive_from(const unsigned char *base, size_t baselen, const char *label,
                            unsigned char key[32])
{
	unsigned int n = 0;

	return HMAC(EVP_sha256(), base, (int)baselen, (const unsigned char *)label, strlen(label),
	            key, &n) != NULL &&
	               n == 32
	           ? 0
	           : -1;
}

/* key = HMAC-SHA256(JWT_SECRET_KEY, label). 0, or -1. */
static int conf_derive(const struct conf *c, const char *label, unsigned char key[32])
{
	return conf_derive_from(c->jwt_secret, c->jwt_secret_len, label, key);
}

const struct conf_keys *conf_keys(const struct conf *c)
{
	struct conf_keys *k = c->keys;

	if (k == NULL || c->jwt_secret == NULL)
		return NULL;
	if (k->ready)
		return k;
	if (conf_derive(c, OTP_KEY_LABEL, k->otp) != 0 ||
	    conf_derive(c, OUTBOX_KEY_LABEL, k->outbox) != 0 ||
	    conf_derive(c, AUDIT_KEY_LABEL, k->audit) != 0) {
		OPENSSL_cleanse(k, sizeof(*k));
		log_error("could not derive keys from JWT_SECRET_KEY");
		return NULL;
	}
	k->ready = 1;
	return k;
}

const struct conf_keys *conf_mfa_keys(const struct conf *c)
{
	struct conf_keys *k = c->keys;

	if (k == NULL)
		return NULL;
	if (c->mfa_key == NULL) {
		log_error("MFA_ENCRYPTION_KEY is not set: two-factor sign-in is unavailable");
		return NULL;
	}
	if (k->mfa_ready)
		return k;
	if (conf_derive_from(c->mfa_key, c->mfa_key_len, MFA_SECRET_KEY_LABEL, k->mfa_secret) !=
	        0 ||
	    conf_derive_from(c->mfa_key, c->mfa_key_len, MFA_RECOVERY_KEY_LABEL, k->mfa_recovery) !=
	        0) {
		OPENSSL_cleanse(k->mfa_secret, sizeof(k->mfa_secret));
		OPENSSL_cleanse(k->mfa_recovery, sizeof(k->mfa_recovery));
		log_error("could not derive keys from MFA_ENCRYPTION_KEY");
		return NULL;
	}
	k->mfa_ready = 1;
	return k;
}
