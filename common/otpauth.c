/*
 * otpauth: a secret's base32 text and its otpauth:// URI (otpauth.h).
 */
#include "otpauth.h"

#include "liboath.h"
#include "log.h"
#include "secret.h"
#include "totp.h"

#include <oath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OTPAUTH_SECRET_MAX 64

int otpauth_base32(const unsigned char *secret, size_t len, char **out)
{
	char *b = NULL;
	size_t blen = 0;
	int rc;

	*out = NULL;
	if (secret == NULL || len == 0 || len > OTPAUTH_SECRET_MAX || !liboath_ready())
		return -1;
	rc = oath_base32_encode((const char *)secret, len, &b, &blen);
	if (rc != OATH_OK || b == NULL) {
		log_error("could not encode a secret in base32: %s", oath_strerror(rc));
		free(b);
		return -1;
	}
	/* No padding: what apps expect in secret=. */
	while (blen > 0 && b[blen - 1] == '=')
		b[--blen] = '\0';
	*out = b;
	return 0;
}

/* 1 for a byte written as it is: RFC 3986's unreserved characters and '@'. */
static int otpauth_plain(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '@';
}

int otpauth_escape(const char *s, char *out, size_t outsize)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (otpauth_plain(*p)) {
			if (o + 1 >= outsize)
				return -1;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= outsize)
				return -1;
			out[o++] = '%';
			out[o++] = hexd[*p >> 4];
			out[o++] = hexd[*p & 0xf];
		}
	}
	if (o >= outsize)
		return -1;
	out[o] = '\0';
	return (int)o;
}

int otpauth_uri(const char *issuer, const char *account, const unsigned char *secret, size_t len,
                char **out)
{
	char iss[3 * OTPAUTH_NAME_MAX + 1], acc[3 * OTPAUTH_NAME_MAX + 1];
	char *b32 = NULL, *uri = NULL;
	size_t ilen, alen, size = 0;
	int n, rc = -1;

	*out = NULL;
	if (issuer == NULL || account == NULL)
		return -1;
	ilen = strlen(issuer);
	alen = strlen(account);
	if (ilen == 0 || ilen > OTPAUTH_NAME_MAX || alen == 0 || alen > OTPAUTH_NAME_MAX ||
	    otpauth_escape(issuer, iss, sizeof(iss)) < 0 ||
	    otpauth_escape(account, acc, sizeof(acc)) < 0)
		return -1;
	if (otpauth_base32(secret, len, &b32) != 0)
		goto out;
	size = strlen(iss) * 2 + strlen(acc) + strlen(b32) + 128;
	uri = malloc(size);
	if (uri == NULL)
		goto out;
	n = snprintf(uri, size,
	             "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d",
	             iss, acc, b32, iss, TOTP_DIGITS, TOTP_PERIOD);
	if (n < 0 || (size_t)n >= size)
		goto out;
	*out = uri;
	uri = NULL;
	rc = 0;
out:
	secret_free(uri, size);
	secret_free_str(b32);
	return rc;
}
