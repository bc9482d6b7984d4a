#include "mail_seal.h"

#include "log.h"
#include "secret.h"
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MAIL_NONCE_LEN 12
#define MAIL_TAG_LEN 16
#define MAIL_SEAL_AAD "medicalcare-outbox-v1"

int mail_seal(const unsigned char key[32], const void *in, size_t len, unsigned char **out,
              size_t *outlen)
{
	static const unsigned char aad[] = MAIL_SEAL_AAD;
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *o = NULL;
	size_t total;
	int n = 0, fin = 0, rc = -1;

	*out = NULL;
	*outlen = 0;
	if (len > (size_t)INT_MAX - MAIL_NONCE_LEN - MAIL_TAG_LEN)
		return -1;
	total = MAIL_NONCE_LEN + len + MAIL_TAG_LEN;
	o = malloc(total);
	if (o == NULL)
		goto out;
	if (token_random(o, MAIL_NONCE_LEN) != 0)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, MAIL_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, o) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)sizeof(aad) - 1) != 1)
		goto out;
	if (len > 0 && EVP_EncryptUpdate(ctx, o + MAIL_NONCE_LEN, &n, in, (int)len) != 1)
		goto out;
	if (len == 0)
		n = 0;
	if (EVP_EncryptFinal_ex(ctx, o + MAIL_NONCE_LEN + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, MAIL_TAG_LEN,
	                        o + MAIL_NONCE_LEN + len) != 1)
		goto out;
	*out = o;
	*outlen = total;
	o = NULL;
	rc = 0;
out:
	if (rc != 0)
		log_error("could not seal a mail message");
	EVP_CIPHER_CTX_free(ctx);
	if (o != NULL)
		secret_free(o, total);
	return rc;
}

int mail_unseal(const unsigned char key[32], const unsigned char *in, size_t len, char **out,
                size_t *outlen)
{
	static const unsigned char aad[] = MAIL_SEAL_AAD;
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char tag[MAIL_TAG_LEN];
	unsigned char *o = NULL;
	size_t ctlen = 0;
	int n = 0, fin = 0, rc = -1;

	*out = NULL;
	*outlen = 0;
	if (len < MAIL_NONCE_LEN + MAIL_TAG_LEN || len - MAIL_NONCE_LEN - MAIL_TAG_LEN > INT_MAX)
		return -1;
	ctlen = len - MAIL_NONCE_LEN - MAIL_TAG_LEN;
	o = malloc(ctlen + 1);
	if (o == NULL)
		return -1;
	memcpy(tag, in + MAIL_NONCE_LEN + ctlen, MAIL_TAG_LEN);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, MAIL_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, in) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)sizeof(aad) - 1) != 1)
		goto out;
	n = 0;
	if (ctlen > 0 && EVP_DecryptUpdate(ctx, o, &n, in + MAIL_NONCE_LEN, (int)ctlen) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, MAIL_TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, o + n, &fin) != 1 || (size_t)n + (size_t)fin != ctlen)
		goto out;
	o[ctlen] = '\0';
	*out = (char *)o;
	*outlen = ctlen;
	o = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (o != NULL)
		secret_free(o, ctlen + 1);
	return rc;
}
