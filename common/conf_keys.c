/*
 * conf_keys: the keys derived from JWT_SECRET_KEY (conf_keys.h).
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

/* key = HMAC-SHA256(JWT_SECRET_KEY, label). 0, or -1. */
static int conf_derive(const struct conf *c, const char *label, unsigned char key[32])
{
	unsigned int n = 0;

	return HMAC(EVP_sha256(), c->jwt_secret, (int)c->jwt_secret_len,
	            (const unsigned char *)label, strlen(label), key, &n) != NULL &&
	               n == 32
	           ? 0
	           : -1;
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
