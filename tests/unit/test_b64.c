/*
 * Unit tests for b64: the RFC 4648 section 10 vectors in both alphabets, the
 * characters where the alphabets differ, and the inputs a strict decoder
 * must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "b64.h"

struct vector {
	const char *raw;
	size_t rawlen;
	const char *std; /* section 4, padded */
	const char *url; /* section 5, unpadded */
};

static const struct vector vectors[] = {
    /* RFC 4648 section 10. */
    {"", 0, "", ""},
    {"f", 1, "Zg==", "Zg"},
    {"fo", 2, "Zm8=", "Zm8"},
    {"foo", 3, "Zm9v", "Zm9v"},
    {"foob", 4, "Zm9vYg==", "Zm9vYg"},
    {"fooba", 5, "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", 6, "Zm9vYmFy", "Zm9vYmFy"},
    /* Values 62 and 63, where the two alphabets differ. */
    {"\xfb\xff", 2, "+/8=", "-_8"},
    {"\xfb\xef\xbe", 3, "++++", "----"},
    {"\xff\xff\xff", 3, "////", "____"},
    {"\x00\x00\x00", 3, "AAAA", "AAAA"},
    {"\x00", 1, "AA==", "AA"},
    {"\x03\xe0", 2, "A+A=", "A-A"},
};

static void b64_encode_matches_rfc4648_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		char out[32];

		assert_int_equal(b64_encode(v->raw, v->rawlen, out, sizeof(out)),
		                 (long)strlen(v->std));
		assert_string_equal(out, v->std);
	}
}

static void b64url_encode_matches_rfc4648_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		char out[32];

		assert_int_equal(b64url_encode(v->raw, v->rawlen, out, sizeof(out)),
		                 (long)strlen(v->url));
		assert_string_equal(out, v->url);
	}
}

static void b64_decode_matches_rfc4648_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		unsigned char out[32];

		assert_int_equal(b64_decode(v->std, strlen(v->std), out, sizeof(out)),
		                 (long)v->rawlen);
		assert_memory_equal(out, v->raw, v->rawlen);
	}
}

static void b64url_decode_matches_rfc4648_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		unsigned char out[32];

		assert_int_equal(b64url_decode(v->url, strlen(v->url), out, sizeof(out)),
		                 (long)v->rawlen);
		assert_memory_equal(out, v->raw, v->rawlen);
	}
}

struct bad {
	const char *in;
	size_t len;
	const char *why;
};

static const struct bad bad_std[] = {
    {"Zg", 2, "missing padding"},
    {"Zg=", 3, "short padding"},
    {"Zm9vYg", 6, "unpadded tail"},
    {"Z===", 4, "three pad characters"},
    {"====", 4, "only padding"},
    {"Zg==Zg==", 8, "padding in the middle"},
    {"Zg=a", 4, "data after padding"},
    {"Zm9v=", 5, "length not a multiple of 4"},
    {"Zh==", 4, "non-canonical bits after one byte"},
    {"Zm9=", 4, "non-canonical bits after two bytes"},
    {"Zm-v", 4, "base64url character"},
    {"Zm_v", 4, "base64url character"},
    {"Zm9 ", 4, "space"},
    {"Zm9v\n", 5, "newline"},
    {"Zm\0v", 4, "NUL byte"},
    {"Zm9\xc3", 4, "non-ASCII byte"},
    {"A", 1, "one character"},
};

static const struct bad bad_url[] = {
    {"A", 1, "one character"},
    {"Zm9vY", 5, "length 1 mod 4"},
    {"Zg==", 4, "padding"},
    {"Zm8=", 4, "padding"},
    {"Zg=", 3, "padding"},
    {"Zh", 2, "non-canonical bits after one byte"},
    {"Zm9", 3, "non-canonical bits after two bytes"},
    {"+/8", 3, "standard alphabet character"},
    {"Zm9v+", 5, "standard alphabet character"},
    {"Zm/v", 4, "standard alphabet character"},
    {"Zm9 ", 4, "space"},
    {"Zm\0v", 4, "NUL byte"},
    {"Zm.v", 4, "dot"},
    {"Zm9v\r\n", 6, "line break"},
};

static void b64_decode_rejects_bad_input(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++) {
		unsigned char out[32];

		if (b64_decode(bad_std[i].in, bad_std[i].len, out, sizeof(out)) != -1)
			fail_msg("accepted \"%s\" (%s)", bad_std[i].in, bad_std[i].why);
	}
}

static void b64url_decode_rejects_bad_input(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
		unsigned char out[32];

		if (b64url_decode(bad_url[i].in, bad_url[i].len, out, sizeof(out)) != -1)
			fail_msg("accepted \"%s\" (%s)", bad_url[i].in, bad_url[i].why);
	}
}

static void b64_decode_respects_output_size(void **state)
{
	unsigned char out[6];

	(void)state;
	memset(out, 0x55, sizeof(out));
	assert_int_equal(b64_decode("Zm9vYmFy", 8, out, 5), -1);
	assert_int_equal(b64url_decode("Zm9vYmFy", 8, out, 5), -1);
	assert_int_equal(b64url_decode("Zm9vYmE", 7, out, 4), -1);
	assert_int_equal(b64_decode("Zm9vYmFy", 8, out, 6), 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(b64url_decode("Zm9vYmE", 7, out, 5), 5);
	assert_memory_equal(out, "fooba", 5);
	assert_int_equal(b64url_decode("", 0, NULL, 0), 0);
}

static void b64_encode_needs_room_for_the_nul(void **state)
{
	char out[9];

	(void)state;
	assert_int_equal(b64_encode("foobar", 6, out, 8), -1);
	assert_int_equal(b64_encode("foobar", 6, out, 9), 8);
	assert_string_equal(out, "Zm9vYmFy");
	assert_int_equal(b64url_encode("fooba", 5, out, 7), -1);
	assert_int_equal(b64url_encode("fooba", 5, out, 8), 7);
	assert_string_equal(out, "Zm9vYmE");
	assert_int_equal(b64_encode("f", 1, out, 4), -1);
	assert_int_equal(b64_encode("", 0, out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(B64_ENCODED_SIZE(6), 9);
	assert_int_equal(B64_ENCODED_SIZE(4), 9);
}

static void b64_round_trips_every_length_and_byte(void **state)
{
	unsigned char raw[256];

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(255 - i);
	for (size_t len = 0; len <= sizeof(raw); len++) {
		char enc[B64_ENCODED_SIZE(256)];
		unsigned char dec[256];
		long n;

		n = b64_encode(raw, len, enc, sizeof(enc));
		assert_int_equal(n, (long)((len + 2) / 3 * 4));
		assert_int_equal(b64_decode(enc, (size_t)n, dec, sizeof(dec)), (long)len);
		assert_memory_equal(dec, raw, len);

		n = b64url_encode(raw, len, enc, sizeof(enc));
		assert_int_equal(n, (long)((len * 4 + 2) / 3));
		assert_null(memchr(enc, '=', (size_t)n));
		assert_int_equal(b64url_decode(enc, (size_t)n, dec, sizeof(dec)), (long)len);
		assert_memory_equal(dec, raw, len);
	}
}

/* Unpadded standard base64: the padded text without its '=', either way. */
static void b64_nopad_is_base64_without_padding(void **state)
{
	unsigned char raw[64];

	(void)state;
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 37 + 250);
	for (size_t len = 0; len <= sizeof(raw); len++) {
		char padded[B64_ENCODED_SIZE(64)], bare[B64_ENCODED_SIZE(64)];
		unsigned char dec[64];
		long n = b64_encode(raw, len, padded, sizeof(padded));
		long m = b64_nopad_encode(raw, len, bare, sizeof(bare));

		while (n > 0 && padded[n - 1] == '=')
			padded[--n] = '\0';
		assert_int_equal(m, n);
		assert_string_equal(bare, padded);
		assert_int_equal(b64_nopad_decode(bare, (size_t)m, dec, sizeof(dec)), (long)len);
		assert_memory_equal(dec, raw, len);
	}
	/* The salt of a PHC string; padding, the other alphabet and stray bits refused. */
	assert_int_equal(b64_nopad_decode("c2FsdHNhbHRzYWx0MTIzNA", 22, raw, sizeof(raw)), 16);
	assert_memory_equal(raw, "saltsaltsalt1234", 16);
	assert_int_equal(b64_nopad_decode("Zm8=", 4, raw, sizeof(raw)), -1);
	assert_int_equal(b64_nopad_decode("Zm-v", 4, raw, sizeof(raw)), -1);
	assert_int_equal(b64_nopad_decode("Zm9", 3, raw, sizeof(raw)), -1);
	assert_int_equal(b64_nopad_decode("Z", 1, raw, sizeof(raw)), -1);
	assert_int_equal(b64_nopad_decode("Zm8", 3, raw, 1), -1);
	assert_int_equal(b64_nopad_encode("fo", 2, (char *)raw, 3), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(b64_encode_matches_rfc4648_vectors),
	    cmocka_unit_test(b64url_encode_matches_rfc4648_vectors),
	    cmocka_unit_test(b64_decode_matches_rfc4648_vectors),
	    cmocka_unit_test(b64url_decode_matches_rfc4648_vectors),
	    cmocka_unit_test(b64_decode_rejects_bad_input),
	    cmocka_unit_test(b64url_decode_rejects_bad_input),
	    cmocka_unit_test(b64_decode_respects_output_size),
	    cmocka_unit_test(b64_encode_needs_room_for_the_nul),
	    cmocka_unit_test(b64_round_trips_every_length_and_byte),
	    cmocka_unit_test(b64_nopad_is_base64_without_padding),
	};

	return cmocka_run_group_tests_name("b64", tests, NULL, NULL);
}
