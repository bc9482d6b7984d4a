/*
 * totp: time-based one-time passwords (RFC 6238) as authenticator apps make
 * them: HMAC-SHA-1 of the 30-second step since the Unix epoch, truncated to
 * 6 decimal digits (RFC 4226's dynamic truncation), computed by liboath
 * (liboath.h, loaded on first use).
 *
 * A code is checked against the step of now and the one before and after
 * (clocks drift, a code typed at the end of its step arrives in the next).
 * totp_verify() says which step matched, so that the caller records it in
 * the same atomic update that accepts the code and refuses any step not
 * later than the last one accepted: a code never works twice. Codes are
 * compared in constant time (CRYPTO_memcmp). Pure apart from liboath and
 * libcrypto; no state.
 */
#ifndef MC_TOTP_H
#define MC_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_DIGITS 6
#define TOTP_PERIOD 30 /* seconds a step lasts */
#define TOTP_WINDOW 1  /* steps accepted before and after now's */
#define TOTP_MAX_DIGITS 8

/* The step of a Unix time: floor(now / TOTP_PERIOD); -1 for a time before 1970. */
int64_t totp_step(time_t now);

/*
 * The code of step (>= 0) for secret (len bytes, at least 1) with digits
 * digits (6, 7 or 8) into out[digits + 1], leading zeros kept. 0, or -1
 * (logged: liboath could not be loaded, bad arguments).
 */
int totp_code(const unsigned char *secret, size_t len, int64_t step, unsigned digits, char *out);

/*
 * Checks code, what a user typed, against the steps totp_step(now) - 1,
 * totp_step(now) and totp_step(now) + 1, leaving out every step not later
 * than after (the last step accepted for the account; -1 for none). Every
 * candidate is computed and compared, in constant time.
 *   1: it matches; *step is the step it matched (the earliest, should two)
 *   0: it does not, or code is not TOTP_DIGITS ASCII digits
 *  -1: a fault (logged), e.g. liboath could not be loaded
 */
int totp_verify(const unsigned char *secret, size_t len, time_t now, int64_t after,
                const char *code, int64_t *step);

#endif
