/*
 * Unit tests for aead: what is sealed opens with the same key and
 * associated data and with nothing else; every byte is covered by the tag;
 * the nonce is fresh each time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aead.h"
#include "secret.h"

static const unsigned char key[AEAD_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const unsigned char other_key[AEAD_KEY_LEN] = "0123456789abcdef0123456789abcdX";

static void aead_opens_what_it_sealed_with_the_same_key_and_data(void **state)
{
	static const char *const msgs[] = {"", "x", "a message of some length, with\0 a NUL"};
	static const size_t lens[] = {0, 1, 38};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		unsigned char *sealed = NULL, *clear = NULL;
		size_t slen = 0, clen = 0;

		assert_int_equal(aead_seal(key, "label:1", 7, msgs[i], lens[i], &sealed, &slen), 0);
		assert_int_equal(slen, AEAD_OVERHEAD + lens[i]);
		assert_int_equal(aead_open(key, "label:1", 7, sealed, slen, &clear, &clen), 0);
		assert_int_equal(clen, lens[i]);
		assert_memory_equal(clear, msgs[i], lens[i]);
		assert_int_equal(clear[clen], '\0');
		secret_free(clear, clen + 1);
		free(sealed);
	}
}

static void aead_does_not_open_with_another_key_other_data_or_a_changed_byte(void **state)
{
	unsigned char *sealed = NULL, *clear = (unsigned char *)1;
	size_t slen = 0, clen = 7;

	(void)state;
	assert_int_equal(aead_seal(key, "label:1", 7, "secret", 6, &sealed, &slen), 0);
	assert_int_equal(aead_open(other_key, "label:1", 7, sealed, slen, &clear, &clen), -1);
	assert_null(clear);
	assert_int_equal(clen, 0);
	assert_int_equal(aead_open(key, "label:2", 7, sealed, slen, &clear, &clen), -1);
	assert_int_equal(aead_open(key, "label:1", 6, sealed, slen, &clear, &clen), -1);
	assert_int_equal(aead_open(key, NULL, 0, sealed, slen, &clear, &clen), -1);
	for (size_t i = 0; i < slen; i++) {
		sealed[i] ^= 0x01;
		assert_int_equal(aead_open(key, "label:1", 7, sealed, slen, &clear, &clen), -1);
		sealed[i] ^= 0x01;
	}
	/* Truncated, or shorter than a nonce and a tag. */
	assert_int_equal(aead_open(key, "label:1", 7, sealed, slen - 1, &clear, &clen), -1);
	assert_int_equal(aead_open(key, "label:1", 7, sealed, AEAD_OVERHEAD - 1, &clear, &clen),
	                 -1);
	/* Untouched, it still opens. */
	assert_int_equal(aead_open(key, "label:1", 7, sealed, slen, &clear, &clen), 0);
	assert_memory_equal(clear, "secret", 6);
	secret_free(clear, clen + 1);
	free(sealed);
}

static void aead_seals_the_same_message_differently_each_time(void **state)
{
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;

	(void)state;
	assert_int_equal(aead_seal(key, "l", 1, "same", 4, &a, &alen), 0);
	assert_int_equal(aead_seal(key, "l", 1, "same", 4, &b, &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_not_equal(a, b, AEAD_NONCE_LEN);
	assert_memory_not_equal(a + AEAD_NONCE_LEN, b + AEAD_NONCE_LEN, alen - AEAD_NONCE_LEN);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(aead_opens_what_it_sealed_with_the_same_key_and_data),
	    cmocka_unit_test(aead_does_not_open_with_another_key_other_data_or_a_changed_byte),
	    cmocka_unit_test(aead_seals_the_same_message_differently_each_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
