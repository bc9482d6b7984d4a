/*
 * otpauth: how a two-factor secret is shown to its owner, to type into an
 * authenticator app or scan: its base32 text (RFC 4648, upper case, no
 * padding; liboath's encoder) and the Key URI an app reads from a QR code,
 *   otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
 * with the issuer (APP_NAME) and the account (the email) percent-encoded:
 * every byte but RFC 3986's unreserved characters and '@' becomes %XX, so a
 * space is %20 and a '+' %2B (never read back as a space). Pure apart from
 * liboath; what they return holds the secret, so free it with
 * secret_free_str() (secret.h).
 */
#ifndef MC_OTPAUTH_H
#define MC_OTPAUTH_H

#include <stddef.h>

/* Longest issuer or account accepted (bytes): a URI stays well under 1 KB. */
#define OTPAUTH_NAME_MAX 254

/*
 * The base32 text of len bytes of secret (1 to 64): 0 and *out
 * (NUL-terminated; caller frees with secret_free_str()), or -1 (logged when
 * liboath fails).
 */
int otpauth_base32(const unsigned char *secret, size_t len, char **out);

/*
 * The otpauth:// URI of secret (len bytes, 1 to 64) for account at issuer
 * (each 1 to OTPAUTH_NAME_MAX bytes; TOTP_DIGITS digits, TOTP_PERIOD, SHA1):
 * 0 and *out (caller frees with secret_free_str()), or -1 (bad arguments,
 * out of memory, liboath).
 */
int otpauth_uri(const char *issuer, const char *account, const unsigned char *secret, size_t len,
                char **out);

/*
 * Percent-encodes s into out (outsize bytes, NUL-terminated) as otpauth_uri()
 * does. The length written, or -1 when it does not fit. Pure.
 */
int otpauth_escape(const char *s, char *out, size_t outsize);

#endif
