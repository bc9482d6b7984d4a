/*
 * Unit tests for mfa_secret and its key: MFA_ENCRYPTION_KEY is optional
 * (conf_load() succeeds without it, conf_mfa_keys() is then NULL), at least
 * 32 bytes when set, and its keys do not come from JWT_SECRET_KEY; a secret
 * is 20 random bytes, sealed bound to its account, opened only with the same
 * key and account.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_fixture.h"
#include "conf_keys.h"
#include "mfa_secret.h"

#define JWT32 "0123456789abcdef0123456789abcdef"
#define MFA32 "mfa-key-0123456789abcdef01234567"

/* The clean configuration, and JWT_SECRET_KEY set. */
static int setup(void **state)
{
	(void)state;
	if (conf_fixture_setup("test_mfa_secret") != 0)
		return -1;
	setenv("JWT_SECRET_KEY", JWT32, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return conf_fixture_teardown();
}

static void conf_without_mfa_key_loads_and_has_no_mfa_keys(void **state)
{
	struct conf c;

	(void)state;
	conf_fixture_load_ok(&c);
	assert_null(c.mfa_key);
	/* Everything else still works. */
	assert_non_null(conf_keys(&c));
	assert_null(conf_mfa_keys(&c));
	conf_release(&c);
	/* Empty is unset. */
	setenv("MFA_ENCRYPTION_KEY", "", 1);
	conf_fixture_load_ok(&c);
	assert_null(c.mfa_key);
	assert_null(conf_mfa_keys(&c));
	conf_release(&c);
}

static void conf_refuses_an_mfa_key_shorter_than_32_bytes(void **state)
{
	struct conf c;
	char err[256] = "";

	(void)state;
	setenv("MFA_ENCRYPTION_KEY", "0123456789abcdef0123456789abcde", 1);
	assert_int_equal(conf_load(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "MFA_ENCRYPTION_KEY must be at least 32 bytes");
	setenv("MFA_ENCRYPTION_KEY", MFA32, 1);
	conf_fixture_load_ok(&c);
	assert_int_equal(c.mfa_key_len, 32);
	conf_release(&c);
}

static void conf_mfa_keys_derive_from_mfa_key_not_from_jwt_key(void **state)
{
	static const char secret_label[] = "medicalcare mfa secret key v1";
	static const char recovery_label[] = "medicalcare mfa recovery key v1";
	unsigned char want[32], first[32];
	const struct conf_keys *k;
	unsigned int n = 0;
	struct conf c;

	(void)state;
	setenv("MFA_ENCRYPTION_KEY", MFA32, 1);
	conf_fixture_load_ok(&c);
	assert_int_equal(c.keys->mfa_ready, 0);
	k = conf_mfa_keys(&c);
	assert_non_null(k);
	assert_int_equal(k->mfa_ready, 1);
	assert_ptr_equal(conf_mfa_keys(&c), k);
	assert_non_null(HMAC(EVP_sha256(), MFA32, 32, (const unsigned char *)secret_label,
	                     strlen(secret_label), want, &n));
	assert_memory_equal(k->mfa_secret, want, 32);
	assert_non_null(HMAC(EVP_sha256(), MFA32, 32, (const unsigned char *)recovery_label,
	                     strlen(recovery_label), want, &n));
	assert_memory_equal(k->mfa_recovery, want, 32);
	assert_memory_not_equal(k->mfa_secret, k->mfa_recovery, 32);
	memcpy(first, k->mfa_secret, 32);
	conf_release(&c);

	/* A new JWT_SECRET_KEY (a rotation) leaves them as they were. */
	setenv("JWT_SECRET_KEY", JWT32 "-rotated", 1);
	conf_fixture_load_ok(&c);
	k = conf_mfa_keys(&c);
	assert_non_null(k);
	assert_memory_equal(k->mfa_secret, first, 32);
	conf_release(&c);
}

static void mfa_secret_new_draws_20_different_bytes_each_time(void **state)
{
	unsigned char a[MFA_SECRET_LEN], b[MFA_SECRET_LEN];

	(void)state;
	assert_int_equal(MFA_SECRET_LEN, 20);
	assert_int_equal(mfa_secret_new(a), 0);
	assert_int_equal(mfa_secret_new(b), 0);
	assert_memory_not_equal(a, b, MFA_SECRET_LEN);
}

static void mfa_secret_opens_only_for_its_account_and_key(void **state)
{
	static const unsigned char key[32] = "mfa-secret-test-key-0123456789a";
	static const unsigned char other[32] = "mfa-secret-test-key-0123456789b";
	unsigned char secret[MFA_SECRET_LEN], back[MFA_SECRET_LEN];
	unsigned char *sealed = NULL;

	(void)state;
	assert_int_equal(mfa_secret_new(secret), 0);
	assert_int_equal(mfa_secret_seal(key, 42, secret, &sealed), 0);
	assert_non_null(sealed);
	/* The clear secret is not in the sealed form. */
	assert_memory_not_equal(sealed + AEAD_NONCE_LEN, secret, MFA_SECRET_LEN);
	assert_int_equal(mfa_secret_open(key, 42, sealed, MFA_SECRET_SEALED_LEN, back), 0);
	assert_memory_equal(back, secret, MFA_SECRET_LEN);
	/* Another account's row, another key, a changed byte, a wrong length. */
	assert_int_equal(mfa_secret_open(key, 43, sealed, MFA_SECRET_SEALED_LEN, back), -1);
	assert_int_equal(mfa_secret_open(key, 420, sealed, MFA_SECRET_SEALED_LEN, back), -1);
	assert_int_equal(mfa_secret_open(other, 42, sealed, MFA_SECRET_SEALED_LEN, back), -1);
	assert_int_equal(mfa_secret_open(key, 42, sealed, MFA_SECRET_SEALED_LEN - 1, back), -1);
	sealed[MFA_SECRET_SEALED_LEN - 1] ^= 0x80;
	assert_int_equal(mfa_secret_open(key, 42, sealed, MFA_SECRET_SEALED_LEN, back), -1);
	free(sealed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(conf_without_mfa_key_loads_and_has_no_mfa_keys, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(conf_refuses_an_mfa_key_shorter_than_32_bytes, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(conf_mfa_keys_derive_from_mfa_key_not_from_jwt_key,
	                                    setup, teardown),
	    cmocka_unit_test(mfa_secret_new_draws_20_different_bytes_each_time),
	    cmocka_unit_test(mfa_secret_opens_only_for_its_account_and_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
