/*
 * b64: base64 (RFC 4648 section 4), with padding (MIME) or without it (as
 * PHC password-hash strings carry salt and hash), and base64url without
 * padding (section 5, as JWS uses it). Encoders write a NUL-terminated string; decoders reject any
 * byte outside the alphabet, bad padding and non-canonical trailing bits.
 * Decoders never write past outlen; after a -1 the contents of out are
 * unspecified (the caller must not use them).
 */
#ifndef MC_B64_H
#define MC_B64_H

#include <stddef.h>

/* Characters needed for the encoding of n bytes, with the NUL. */
#define B64_ENCODED_SIZE(n) ((((n) + 2) / 3) * 4 + 1)

/* base64url, no '=' padding. Returns the length written, or -1 if outlen is too small. */
long b64url_encode(const void *in, size_t inlen, char *out, size_t outlen);
/* Decodes base64url without padding. Returns bytes written, or -1 on bad input or small out. */
long b64url_decode(const char *in, size_t inlen, void *out, size_t outlen);

/* Standard base64 with padding (MIME). Returns the length written, or -1. */
long b64_encode(const void *in, size_t inlen, char *out, size_t outlen);
/* Decodes standard base64 with padding. Returns bytes written, or -1. */
long b64_decode(const char *in, size_t inlen, void *out, size_t outlen);

/* Standard base64 without '=' padding. Returns the length written, or -1. */
long b64_nopad_encode(const void *in, size_t inlen, char *out, size_t outlen);
/* Decodes standard base64 without padding. Returns bytes written, or -1. */
long b64_nopad_decode(const char *in, size_t inlen, void *out, size_t outlen);

#endif
