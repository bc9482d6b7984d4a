/*
 * aead: AES-256-GCM seal and open through libcrypto (aead.h).
 */
#include "aead.h"

#include "secret.h"
#include "token.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

int aead_seal(const unsigned char key[AEAD_KEY_LEN], const void *aad, size_t aadlen, const void *in,
              size_t len, unsigned char **out, size_t *outlen)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *o = NULL;
	size_t total = 0;
	int n = 0, fin = 0, rc = -1;

	*out = NULL;
	*outlen = 0;
	if (len > (size_t)INT_MAX - AEAD_OVERHEAD || aadlen > INT_MAX)
		return -1;
	total = AEAD_OVERHEAD + len;
	o = malloc(total);
	if (o == NULL)
		goto out;
	if (token_random(o, AEAD_NONCE_LEN) != 0)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, AEAD_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, o) != 1)
		goto out;
	if (aadlen > 0 && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	n = 0;
	if (len > 0 && EVP_EncryptUpdate(ctx, o + AEAD_NONCE_LEN, &n, in, (int)len) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, o + AEAD_NONCE_LEN + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, AEAD_TAG_LEN,
	                        o + AEAD_NONCE_LEN + len) != 1)
		goto out;
	*out = o;
	*outlen = total;
	o = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	secret_free(o, total);
	return rc;
}

int aead_open(const unsigned char key[AEAD_KEY_LEN], const void *aad, size_t aadlen,
              const unsigned char *in, size_t len, unsigned char **out, size_t *outlen)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char tag[AEAD_TAG_LEN];
	unsigned char *o = NULL;
	size_t ctlen = 0;
	int n = 0, fin = 0, rc = -1;

	*out = NULL;
	*outlen = 0;
	if (len < AEAD_OVERHEAD || len - AEAD_OVERHEAD > INT_MAX || aadlen > INT_MAX)
		return -1;
	ctlen = len - AEAD_OVERHEAD;
	o = malloc(ctlen + 1);
	if (o == NULL)
		return -1;
	memcpy(tag, in + AEAD_NONCE_LEN + ctlen, AEAD_TAG_LEN);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, AEAD_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, in) != 1)
		goto out;
	if (aadlen > 0 && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	n = 0;
	if (ctlen > 0 && EVP_DecryptUpdate(ctx, o, &n, in + AEAD_NONCE_LEN, (int)ctlen) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, AEAD_TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, o + n, &fin) != 1 || (size_t)n + (size_t)fin != ctlen)
		goto out;
	o[ctlen] = '\0';
	*out = o;
	*outlen = ctlen;
	o = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	secret_free(o, ctlen + 1);
	return rc;
}
