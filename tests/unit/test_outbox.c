/*
 * Unit tests of outbox: the key id rows carry. The statements themselves run
 * in tests/cgi/outbox.bats against PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "outbox.h"

static void fill_key(unsigned char key[32], int mul, int add)
{
	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)(i * mul + add);
}

static void outbox_key_id_is_hmac_sha256_of_a_label_cut_to_8_bytes(void **state)
{
	unsigned char key[32];
	char id[OUTBOX_KEY_ID_HEX];

	(void)state;
	/* openssl dgst -sha256 -mac HMAC -macopt hexkey:<key>, first 8 bytes. */
	fill_key(key, 7, 1);
	assert_int_equal(outbox_key_id(key, id), 0);
	assert_string_equal(id, "8c46f50fa988e0dd");
	memset(key, 0, sizeof(key));
	assert_int_equal(outbox_key_id(key, id), 0);
	assert_string_equal(id, "2c0d9602c14a4bb7");
}

static void outbox_key_id_is_stable_and_differs_per_key(void **state)
{
	unsigned char a[32], b[32];
	char ida[OUTBOX_KEY_ID_HEX], idb[OUTBOX_KEY_ID_HEX], again[OUTBOX_KEY_ID_HEX];

	(void)state;
	fill_key(a, 7, 1);
	memcpy(b, a, sizeof(b));
	b[31] ^= 1;
	assert_int_equal(outbox_key_id(a, ida), 0);
	assert_int_equal(outbox_key_id(a, again), 0);
	assert_int_equal(outbox_key_id(b, idb), 0);
	assert_string_equal(ida, again);
	assert_string_not_equal(ida, idb);
	assert_int_equal(strlen(ida), 2 * OUTBOX_KEY_ID_LEN);
	assert_int_equal(strspn(ida, "0123456789abcdef"), 2 * OUTBOX_KEY_ID_LEN);
}

static void outbox_key_id_does_not_show_the_key(void **state)
{
	unsigned char key[32];
	char id[OUTBOX_KEY_ID_HEX], keyhex[65];

	(void)state;
	fill_key(key, 7, 1);
	for (int i = 0; i < 32; i++)
		snprintf(keyhex + 2 * i, 3, "%02x", key[i]);
	assert_int_equal(outbox_key_id(key, id), 0);
	assert_null(strstr(keyhex, id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(outbox_key_id_is_hmac_sha256_of_a_label_cut_to_8_bytes),
	    cmocka_unit_test(outbox_key_id_is_stable_and_differs_per_key),
	    cmocka_unit_test(outbox_key_id_does_not_show_the_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
