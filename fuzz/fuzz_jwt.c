/*
 * fuzz_jwt: common/jwt.c, verification of hostile tokens and the sign/verify
 * round trip.
 *
 * Input, used twice:
 *   1. as a token (cut at the first NUL, as a header value would be):
 *      jwt_verify() with a fixed key at a fixed time. When it says JWT_OK the
 *      claims are in range, and jwt_hs256_signature_ok() agrees.
 *   2. as claims: sub, iat and a lifetime (1 s to the JWT_MAX_LIFETIME
 *      jwt_verify() accepts) from the first 16 bytes, the email from the rest (up to 254 bytes, cut at the first NUL). jwt_sign() then
 *      jwt_verify() at time iat must give JWT_OK and the same claims; the token
 *      has three base64url parts; verifying with another key gives
 *      JWT_BAD_SIGNATURE; changing any one character of the token (to another
 *      base64url character) makes it fail. The round trip is checked for
 *      emails that are valid UTF-8 (jwt_verify() parses claims with UTF-8
 *      validation; the service only signs addresses valid_email() accepted,
 *      which are ASCII).
 *
 * Properties: the above, and no crash, leak or undefined behaviour.
 */
#include "fuzz.h"
#include "jwt.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#define KEY "fuzz-jwt-key-0123456789-abcdefghijklmnopqrstuvwxyz"
#define OTHER_KEY "fuzz-jwt-key-0123456789-abcdefghijklmnopqrstuvwxyZ"
#define FUZZ_NOW 1700000000
/* The longest lifetime jwt_verify() accepts (exp - iat). */
#ifdef JWT_MAX_LIFETIME
#define FUZZ_LIFETIME JWT_MAX_LIFETIME
#else
#define FUZZ_LIFETIME (24 * 60 * 60)
#endif

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int is_b64url(char c)
{
	return c != '\0' && strchr(b64url, c) != NULL;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void verify_input(const uint8_t *data, size_t size)
{
	char *tok = fuzz_strndup(data, size);
	struct jwt_claims c;
	enum jwt_err e;

	if (tok == NULL)
		return;
	e = jwt_verify(tok, (const unsigned char *)KEY, strlen(KEY), FUZZ_NOW, &c);
	FUZZ_CHECK(e >= JWT_OK && e <= JWT_INTERNAL && e != JWT_INTERNAL);
	FUZZ_CHECK(jwt_strerror(e) != NULL);
	if (e == JWT_OK) {
		FUZZ_CHECK(c.sub > 0 && c.iat >= 0 && c.exp >= 0);
		FUZZ_CHECK(c.exp > FUZZ_NOW - JWT_LEEWAY && c.iat <= FUZZ_NOW + JWT_LEEWAY);
#ifdef JWT_MAX_LIFETIME
		FUZZ_CHECK(c.exp > c.iat && c.exp - c.iat <= JWT_MAX_LIFETIME);
#endif
		FUZZ_CHECK(strlen(c.email) <= 254);
		FUZZ_CHECK(jwt_hs256_signature_ok(tok, (const unsigned char *)KEY, strlen(KEY)));
	} else {
		FUZZ_CHECK(c.sub == 0 && c.email[0] == '\0');
	}
	free(tok);
}

static void round_trip(const uint8_t *data, size_t size)
{
	struct jwt_claims in, got;
	char *tok = NULL;
	size_t elen, toklen;
	const char *d1, *d2;
	uint64_t v;

	if (size < 16)
		return;
	memset(&in, 0, sizeof(in));
	v = get_u64(data);
	/* sub: 1..INT64_MAX; iat: up to 2^40 s (year 36812); lifetime: 1..FUZZ_LIFETIME s. */
	in.sub = (int64_t)(v & (uint64_t)INT64_MAX);
	if (in.sub == 0)
		in.sub = 1;
	v = get_u64(data + 8);
	in.iat = (int64_t)(v >> 24);
	in.exp = in.iat + 1 + (int64_t)((v & 0xffffffu) % FUZZ_LIFETIME);
	elen = strnlen((const char *)data + 16, size - 16);
	if (elen > 254)
		elen = 254;
	memcpy(in.email, data + 16, elen);
	in.email[elen] = '\0';
	if (!utf8_valid(in.email, elen))
		return;

	FUZZ_CHECK(jwt_sign(&in, (const unsigned char *)KEY, strlen(KEY), &tok) == JWT_OK);
	FUZZ_CHECK(tok != NULL);
	toklen = strlen(tok);
	FUZZ_CHECK(toklen <= JWT_MAX_LEN);
	d1 = strchr(tok, '.');
	FUZZ_CHECK(d1 != NULL);
	d2 = strchr(d1 + 1, '.');
	FUZZ_CHECK(d2 != NULL && strchr(d2 + 1, '.') == NULL);
	for (size_t i = 0; i < toklen; i++)
		FUZZ_CHECK(tok[i] == '.' || is_b64url(tok[i]));

	FUZZ_CHECK(jwt_verify(tok, (const unsigned char *)KEY, strlen(KEY), (time_t)in.iat, &got) ==
	           JWT_OK);
	FUZZ_CHECK(got.sub == in.sub && got.iat == in.iat && got.exp == in.exp);
	FUZZ_CHECK(strcmp(got.email, in.email) == 0);
	FUZZ_CHECK(jwt_verify(tok, (const unsigned char *)OTHER_KEY, strlen(OTHER_KEY),
	                      (time_t)in.iat, &got) == JWT_BAD_SIGNATURE);

	/* One changed character, at a position and to a character the input picks. */
	{
		size_t pos = (size_t)(data[1] | (data[2] << 8)) % toklen;
		char was = tok[pos];

		if (was != '.') {
			char to = b64url[data[3] % 64];

			if (to == was)
				to = b64url[(data[3] + 1) % 64];
			tok[pos] = to;
			FUZZ_CHECK(jwt_verify(tok, (const unsigned char *)KEY, strlen(KEY),
			                      (time_t)in.iat, &got) != JWT_OK);
			tok[pos] = was;
		}
	}
	free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	verify_input(data, size);
	round_trip(data, size);
	return 0;
}
