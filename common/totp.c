/*
 * totp: RFC 6238 codes through liboath's HOTP, checked in constant time
 * (totp.h).
 */
#include "totp.h"

#include "liboath.h"
#include "log.h"

#include <oath.h>
#include <openssl/crypto.h>
#include <string.h>

int64_t totp_step(time_t now)
{
	return now < 0 ? -1 : (int64_t)(now / TOTP_PERIOD);
}

int totp_code(const unsigned char *secret, size_t len, int64_t step, unsigned digits, char *out)
{
	int rc;

	if (secret == NULL || len == 0 || step < 0 || digits < TOTP_DIGITS ||
	    digits > TOTP_MAX_DIGITS)
		return -1;
	if (!liboath_ready())
		return -1;
	rc = oath_hotp_generate((const char *)secret, len, (uint64_t)step, digits, false,
	                        OATH_HOTP_DYNAMIC_TRUNCATION, out);
	if (rc != OATH_OK) {
		log_error("could not compute a TOTP code: %s", oath_strerror(rc));
		return -1;
	}
	return 0;
}

/* 1 when s is exactly TOTP_DIGITS ASCII digits. */
static int totp_well_formed(const char *s)
{
	size_t i;

	for (i = 0; i < TOTP_DIGITS; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[i] == '\0';
}

int totp_verify(const unsigned char *secret, size_t len, time_t now, int64_t after,
                const char *code, int64_t *step)
{
	char want[TOTP_DIGITS + 1];
	int64_t t = totp_step(now);
	int found = 0;

	*step = -1;
	if (code == NULL || !totp_well_formed(code))
		return 0;
	if (t < 0) {
		log_error("could not check a TOTP code: the clock is before 1970");
		return -1;
	}
	for (int64_t s = t - TOTP_WINDOW; s <= t + TOTP_WINDOW; s++) {
		int same;

		if (s < 0)
			continue;
		if (totp_code(secret, len, s, TOTP_DIGITS, want) != 0) {
			OPENSSL_cleanse(want, sizeof(want));
			*step = -1;
			return -1;
		}
		same = CRYPTO_memcmp(want, code, TOTP_DIGITS) == 0;
		/* The earliest later than after; every candidate is still computed. */
		if (same && s > after && !found) {
			*step = s;
			found = 1;
		}
	}
	OPENSSL_cleanse(want, sizeof(want));
	return found;
}
