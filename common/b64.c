/*
 * b64: RFC 4648 base64 (section 4, padded or unpadded) and base64url
 * (section 5, unpadded).
 *
 * Both decoders are strict: every byte must be in the alphabet, padding must
 * be exactly what the length calls for, and the unused low bits of the last
 * character must be zero, so that each byte string has one encoding only.
 */
#include "b64.h"

#include <stdint.h>

static const char b64_std_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of c in the alphabet, or -1. */
static int b64_value(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (url) {
		if (c == '-')
			return 62;
		if (c == '_')
			return 63;
	} else {
		if (c == '+')
			return 62;
		if (c == '/')
			return 63;
	}
	return -1;
}

static long b64_encode_with(const char *alpha, int pad, const void *in, size_t inlen, char *out,
                            size_t outlen)
{
	const unsigned char *p = in;
	size_t full = inlen / 3;
	size_t rest = inlen % 3;
	size_t need;
	size_t o = 0;

	if (inlen > (SIZE_MAX - 5) / 4 * 3)
		return -1;
	need = full * 4;
	if (rest != 0)
		need += pad ? 4 : rest + 1;
	if (out == NULL || outlen < need + 1 || need > (size_t)INTPTR_MAX)
		return -1;

	for (size_t i = 0; i < full; i++, p += 3) {
		uint32_t v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];

		out[o++] = alpha[(v >> 18) & 63];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		out[o++] = alpha[v & 63];
	}
	if (rest == 1) {
		uint32_t v = (uint32_t)p[0] << 16;

		out[o++] = alpha[(v >> 18) & 63];
		out[o++] = alpha[(v >> 12) & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (rest == 2) {
		uint32_t v = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8);

		out[o++] = alpha[(v >> 18) & 63];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return (long)o;
}

/*
 * The common decoder. With padded set, inlen must be a multiple of 4 and the
 * last group may end in "=" or "=="; without it, no '=' may appear and inlen
 * must not be 1 mod 4. Nothing is written past outlen.
 */
static long b64_decode_with(const char *in, size_t inlen, void *out, size_t outlen, int url,
                            int padded)
{
	unsigned char *o = out;
	size_t datalen = inlen;
	size_t full, rest, need;
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)in;

	if (inlen > 0 && in == NULL)
		return -1;
	if (padded) {
		if (inlen % 4 != 0)
			return -1;
		if (inlen >= 1 && p[inlen - 1] == '=') {
			datalen--;
			if (inlen >= 2 && p[inlen - 2] == '=')
				datalen--;
		}
	}
	full = datalen / 4;
	rest = datalen % 4;
	if (rest == 1)
		return -1;
	need = full * 3 + (rest == 0 ? 0 : rest - 1);
	if (need > outlen || need > (size_t)INTPTR_MAX)
		return -1;
	if (need > 0 && out == NULL)
		return -1;

	for (size_t i = 0; i < full; i++, p += 4) {
		int a = b64_value(p[0], url), b = b64_value(p[1], url);
		int c = b64_value(p[2], url), d = b64_value(p[3], url);
		uint32_t v;

		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -1;
		v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6) | (uint32_t)d;
		o[w++] = (unsigned char)(v >> 16);
		o[w++] = (unsigned char)(v >> 8);
		o[w++] = (unsigned char)v;
	}
	if (rest == 2) {
		int a = b64_value(p[0], url), b = b64_value(p[1], url);

		if (a < 0 || b < 0 || (b & 0x0f) != 0)
			return -1;
		o[w++] = (unsigned char)((a << 2) | (b >> 4));
	} else if (rest == 3) {
		int a = b64_value(p[0], url), b = b64_value(p[1], url);
		int c = b64_value(p[2], url);

		if (a < 0 || b < 0 || c < 0 || (c & 0x03) != 0)
			return -1;
		o[w++] = (unsigned char)((a << 2) | (b >> 4));
		o[w++] = (unsigned char)(((b & 0x0f) << 4) | (c >> 2));
	}
	return (long)w;
}

long b64url_encode(const void *in, size_t inlen, char *out, size_t outlen)
{
	return b64_encode_with(b64_url_alpha, 0, in, inlen, out, outlen);
}

long b64url_decode(const char *in, size_t inlen, void *out, size_t outlen)
{
	return b64_decode_with(in, inlen, out, outlen, 1, 0);
}

long b64_encode(const void *in, size_t inlen, char *out, size_t outlen)
{
	return b64_encode_with(b64_std_alpha, 1, in, inlen, out, outlen);
}

long b64_decode(const char *in, size_t inlen, void *out, size_t outlen)
{
	return b64_decode_with(in, inlen, out, outlen, 0, 1);
}

long b64_nopad_encode(const void *in, size_t inlen, char *out, size_t outlen)
{
	return b64_encode_with(b64_std_alpha, 0, in, inlen, out, outlen);
}

long b64_nopad_decode(const char *in, size_t inlen, void *out, size_t outlen)
{
	return b64_decode_with(in, inlen, out, outlen, 0, 0);
}
