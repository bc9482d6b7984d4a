/*
 * fuzz_b64: common/b64.c, both alphabets (standard padded and unpadded),
 * both directions.
 *
 * Input: used as encoded text and as raw bytes.
 *
 * Properties: no crash, overflow or undefined behaviour; the decoders accept
 * only canonical text (decode then encode gives the input back, byte for
 * byte), never write more than B64 sizes allow and refuse a buffer one byte
 * too small; encode then decode gives the bytes back, and the encoded length
 * is exactly what B64_ENCODED_SIZE promises (without padding for base64url).
 */
#include "b64.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

typedef long (*enc_fn)(const void *, size_t, char *, size_t);
typedef long (*dec_fn)(const char *, size_t, void *, size_t);

static void decode_encode(const uint8_t *data, size_t size, dec_fn dec, enc_fn enc)
{
	/* Exact-size heap buffers, so ASan sees any access past their ends. */
	char *in = malloc(size ? size : 1);
	unsigned char *raw = malloc(size + 1);
	char *again = malloc(B64_ENCODED_SIZE(size + 1));
	long n, m;

	if (in == NULL || raw == NULL || again == NULL)
		goto out;
	if (size > 0)
		memcpy(in, data, size);
	n = dec(in, size, raw, size + 1);
	if (n < 0)
		goto out;
	FUZZ_CHECK((size_t)n <= size * 3 / 4);
	m = enc(raw, (size_t)n, again, B64_ENCODED_SIZE((size_t)n));
	FUZZ_CHECK(m >= 0 && (size_t)m == size && memcmp(again, in, size) == 0);
	if (n > 0) {
		unsigned char *small = malloc((size_t)n - 1 ? (size_t)n - 1 : 1);

		FUZZ_CHECK(small != NULL);
		FUZZ_CHECK(dec(in, size, small, (size_t)n - 1) == -1);
		free(small);
	}
out:
	free(in);
	free(raw);
	free(again);
}

static void encode_decode(const uint8_t *data, size_t size, enc_fn enc, dec_fn dec, int padded)
{
	size_t cap = B64_ENCODED_SIZE(size);
	char *text = malloc(cap);
	unsigned char *raw = malloc(size ? size : 1);
	long n, m;

	if (text == NULL || raw == NULL)
		goto out;
	n = enc(data, size, text, cap);
	FUZZ_CHECK(n >= 0 && (size_t)n < cap && text[n] == '\0');
	if (padded)
		FUZZ_CHECK((size_t)n == cap - 1);
	else
		FUZZ_CHECK((size_t)n == (size * 4 + 2) / 3);
	FUZZ_CHECK(enc(data, size, text, (size_t)n) == -1);
	m = dec(text, (size_t)n, raw, size);
	FUZZ_CHECK(m >= 0 && (size_t)m == size && (size == 0 || memcmp(raw, data, size) == 0));
out:
	free(text);
	free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_encode(data, size, b64url_decode, b64url_encode);
	decode_encode(data, size, b64_decode, b64_encode);
	encode_decode(data, size, b64url_encode, b64url_decode, 0);
	encode_decode(data, size, b64_encode, b64_decode, 1);
	decode_encode(data, size, b64_nopad_decode, b64_nopad_encode);
	encode_decode(data, size, b64_nopad_encode, b64_nopad_decode, 0);
	return 0;
}
