/*
 * Unit tests for otpauth: the base32 text of a secret against RFC 4648's
 * vectors (no padding, upper case), and the otpauth:// URI with its label
 * and issuer percent-encoded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "otpauth.h"
#include "secret.h"

static void otpauth_base32_matches_rfc4648_vectors_without_padding(void **state)
{
	/* RFC 4648, section 10, with the '=' padding dropped. */
	static const struct {
		const char *in, *out;
	} v[] = {{"f", "MY"},         {"fo", "MZXQ"},        {"foo", "MZXW6"},
	         {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"}};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *out = NULL;

		assert_int_equal(
		    otpauth_base32((const unsigned char *)v[i].in, strlen(v[i].in), &out), 0);
		assert_string_equal(out, v[i].out);
		secret_free_str(out);
	}
}

static void otpauth_base32_of_a_20_byte_secret_is_32_upper_case_symbols(void **state)
{
	/* RFC 6238's SHA-1 seed: the secret authenticator apps are tested with. */
	static const unsigned char seed[] = "12345678901234567890";
	unsigned char all[20];
	char *out = NULL;

	(void)state;
	assert_int_equal(otpauth_base32(seed, 20, &out), 0);
	assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	secret_free_str(out);
	memset(all, 0xff, sizeof(all));
	assert_int_equal(otpauth_base32(all, sizeof(all), &out), 0);
	assert_string_equal(out, "77777777777777777777777777777777");
	secret_free_str(out);
}

static void otpauth_base32_refuses_an_empty_or_oversized_secret(void **state)
{
	unsigned char big[65] = {0};
	char *out = (char *)1;

	(void)state;
	assert_int_equal(otpauth_base32(big, 0, &out), -1);
	assert_null(out);
	assert_int_equal(otpauth_base32(big, sizeof(big), &out), -1);
	assert_null(out);
}

static void otpauth_escape_keeps_unreserved_and_at_and_encodes_the_rest(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(otpauth_escape("a.B-c_9~@x", out, sizeof(out)), 10);
	assert_string_equal(out, "a.B-c_9~@x");
	assert_int_equal(otpauth_escape("Medical Care", out, sizeof(out)), 14);
	assert_string_equal(out, "Medical%20Care");
	otpauth_escape("a+b:c/d?e&f=g#h%i", out, sizeof(out));
	assert_string_equal(out, "a%2Bb%3Ac%2Fd%3Fe%26f%3Dg%23h%25i");
	/* UTF-8 bytes, upper-case hex. */
	otpauth_escape("\xc3\xa9", out, sizeof(out));
	assert_string_equal(out, "%C3%A9");
	/* Too small: nothing half-written is reported as done. */
	assert_int_equal(otpauth_escape("abc", out, 3), -1);
	assert_int_equal(otpauth_escape(" ", out, 3), -1);
	assert_int_equal(otpauth_escape(" ", out, 4), 3);
}

static void otpauth_uri_encodes_an_email_with_plus_and_an_app_name_with_a_space(void **state)
{
	static const unsigned char seed[] = "12345678901234567890";
	char *uri = NULL;

	(void)state;
	assert_int_equal(otpauth_uri("Medical Care", "ada+mfa@example.com", seed, 20, &uri), 0);
	assert_string_equal(uri, "otpauth://totp/Medical%20Care:ada%2Bmfa@example.com"
	                         "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Medical%20Care"
	                         "&algorithm=SHA1&digits=6&period=30");
	secret_free_str(uri);
	/* A ':' inside a name cannot be taken for the separator. */
	assert_int_equal(otpauth_uri("A:B", "x@y.test", seed, 20, &uri), 0);
	assert_string_equal(uri, "otpauth://totp/A%3AB:x@y.test"
	                         "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=A%3AB"
	                         "&algorithm=SHA1&digits=6&period=30");
	secret_free_str(uri);
}

static void otpauth_uri_refuses_empty_and_overlong_names(void **state)
{
	static const unsigned char seed[] = "12345678901234567890";
	char name[OTPAUTH_NAME_MAX + 2];
	char *uri = (char *)1;

	(void)state;
	assert_int_equal(otpauth_uri("", "a@b.test", seed, 20, &uri), -1);
	assert_null(uri);
	assert_int_equal(otpauth_uri("App", "", seed, 20, &uri), -1);
	assert_int_equal(otpauth_uri(NULL, "a@b.test", seed, 20, &uri), -1);
	memset(name, ' ', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(otpauth_uri(name, "a@b.test", seed, 20, &uri), -1);
	/* The longest accepted, every byte escaped. */
	name[OTPAUTH_NAME_MAX] = '\0';
	assert_int_equal(otpauth_uri(name, name, seed, 20, &uri), 0);
	assert_int_equal(strlen(uri), strlen("otpauth://totp/:?secret=&issuer=&algorithm=SHA1"
	                                     "&digits=6&period=30") +
	                                  3 * 3 * OTPAUTH_NAME_MAX + 32);
	secret_free_str(uri);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(otpauth_base32_matches_rfc4648_vectors_without_padding),
	    cmocka_unit_test(otpauth_base32_of_a_20_byte_secret_is_32_upper_case_symbols),
	    cmocka_unit_test(otpauth_base32_refuses_an_empty_or_oversized_secret),
	    cmocka_unit_test(otpauth_escape_keeps_unreserved_and_at_and_encodes_the_rest),
	    cmocka_unit_test(otpauth_uri_encodes_an_email_with_plus_and_an_app_name_with_a_space),
	    cmocka_unit_test(otpauth_uri_refuses_empty_and_overlong_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
