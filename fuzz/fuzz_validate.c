/*
 * fuzz_validate: the field rules of common/validate.c on arbitrary bytes.
 *
 * Input: the first byte chooses the rule (its value modulo 4), the rest is the
 * field:
 *   0  valid_email(rest)
 *   1  valid_full_name(rest)
 *   2  valid_new_password(password, email, full_name) where rest is
 *      "email LF full_name LF password" (the password may hold LFs; a missing
 *      line is NULL, as when the handler does not know the user yet)
 *   3  valid_login_password(rest)
 * and utf8_valid()/utf8_chars() run on every input.
 *
 * Properties: no crash, leak or undefined behaviour; utf8_valid() agrees with
 * an independent decoder written from Unicode's table 3-7 and utf8_chars()
 * with its count; a rule adds exactly one error when it fails and none when it
 * passes; the normalized email and full name pass their rule again unchanged
 * (normalizing is idempotent), the email is at most 254 printable ASCII bytes
 * without upper case, the name is valid UTF-8 of 1 to 100 characters; a
 * password zxcvbn accepts is 8 to 128 characters; a login password passes
 * exactly when it has 1 to 1024 bytes, whatever they are.
 */
#include "fuzz.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

/*
 * Unicode 15, table 3-7 (well-formed UTF-8 byte sequences): 1 and the number
 * of code points in *n if s[0..len) is well formed, else 0.
 */
static int ref_utf8(const unsigned char *s, size_t len, size_t *n)
{
	size_t i = 0;

	*n = 0;
	while (i < len) {
		unsigned char b = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t k;

		if (b <= 0x7f)
			k = 1;
		else if (b >= 0xc2 && b <= 0xdf)
			k = 2;
		else if (b == 0xe0)
			k = 3, lo = 0xa0;
		else if (b == 0xed)
			k = 3, hi = 0x9f;
		else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef)
			k = 3;
		else if (b == 0xf0)
			k = 4, lo = 0x90;
		else if (b >= 0xf1 && b <= 0xf3)
			k = 4;
		else if (b == 0xf4)
			k = 4, hi = 0x8f;
		else
			return 0;
		if (len - i < k)
			return 0;
		if (k > 1 && (s[i + 1] < lo || s[i + 1] > hi))
			return 0;
		for (size_t j = 2; j < k; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return 0;
		i += k;
		(*n)++;
	}
	return 1;
}

static void check_utf8(const uint8_t *data, size_t size)
{
	size_t n = 0;
	int ref = ref_utf8(data, size, &n);

	FUZZ_CHECK(utf8_valid((const char *)data, size) == ref);
	if (ref)
		FUZZ_CHECK(utf8_chars((const char *)data, size) == n);
}

/* A rule's result: 0 with no error and *out set, or -1 with one error and *out NULL. */
static void check_result(int rc, const struct ferrs *errs, const char *field, char *const *out)
{
	FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);
	if (rc == 0) {
		FUZZ_CHECK(errs->n == 0);
		if (out != NULL)
			FUZZ_CHECK(*out != NULL);
	} else {
		FUZZ_CHECK(errs->n == (rc == -1 ? 1u : 0u));
		if (rc == -1)
			FUZZ_CHECK(strcmp(errs->e[0].field, field) == 0 && errs->e[0].msg != NULL &&
			           errs->e[0].type != NULL);
		if (out != NULL)
			FUZZ_CHECK(*out == NULL);
	}
}

static void fuzz_email(const char *in, size_t len)
{
	struct ferrs errs = {0}, errs2 = {0};
	char *out = NULL, *again = NULL;
	int rc = valid_email(&errs, "email", in, len, &out);

	check_result(rc, &errs, "email", &out);
	if (rc != 0)
		return;
	FUZZ_CHECK(strlen(out) <= EMAIL_MAX && strlen(out) > 0);
	FUZZ_CHECK(strchr(out, '@') != NULL && strchr(out, '@') == strrchr(out, '@'));
	for (const char *p = out; *p != '\0'; p++)
		FUZZ_CHECK(*p > 0x20 && *p < 0x7f && !(*p >= 'A' && *p <= 'Z'));
	FUZZ_CHECK(valid_email(&errs2, "email", out, strlen(out), &again) == 0);
	FUZZ_CHECK(strcmp(out, again) == 0);
	free(again);
	free(out);
}

static void fuzz_full_name(const char *in, size_t len)
{
	struct ferrs errs = {0}, errs2 = {0};
	char *out = NULL, *again = NULL;
	size_t n;
	int rc = valid_full_name(&errs, "full_name", in, len, &out);

	check_result(rc, &errs, "full_name", &out);
	if (rc != 0)
		return;
	n = strlen(out);
	FUZZ_CHECK(utf8_valid(out, n));
	FUZZ_CHECK(utf8_chars(out, n) >= 1 && utf8_chars(out, n) <= FULL_NAME_MAX);
	FUZZ_CHECK(valid_full_name(&errs2, "full_name", out, n, &again) == 0);
	FUZZ_CHECK(strcmp(out, again) == 0);
	free(again);
	free(out);
}

static void fuzz_new_password(const uint8_t *data, size_t size)
{
	struct ferrs errs = {0};
	char *email = NULL, *name = NULL, *pw = NULL;
	int have_email = memchr(data, '\n', size) != NULL;
	int have_name;
	size_t pwlen = 0;
	int rc;

	email = fuzz_line(&data, &size, NULL);
	have_name = have_email && memchr(data, '\n', size) != NULL;
	name = fuzz_line(&data, &size, NULL);
	pw = fuzz_strndup(data, size);
	pwlen = size;
	if (email == NULL || name == NULL || pw == NULL)
		goto out;
	rc = valid_new_password(&errs, "new_password", pw, pwlen, have_email ? email : NULL,
	                        have_name ? name : NULL);
	check_result(rc, &errs, "new_password", NULL);
	if (rc == 0) {
		FUZZ_CHECK(utf8_valid(pw, pwlen) && memchr(pw, '\0', pwlen) == NULL);
		FUZZ_CHECK(utf8_chars(pw, pwlen) >= PASSWORD_MIN &&
		           utf8_chars(pw, pwlen) <= PASSWORD_MAX);
	}
out:
	free(email);
	free(name);
	free(pw);
}

static void fuzz_login_password(const char *in, size_t len)
{
	struct ferrs errs = {0};
	int rc = valid_login_password(&errs, "password", in, len);

	check_result(rc, &errs, "password", NULL);
	/* Only the length counts: NULs and invalid UTF-8 included (docs/CONTRACT.md IN-4). */
	FUZZ_CHECK((rc == 0) == (len >= 1 && len <= LOGIN_PASSWORD_MAX));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *rest;
	uint8_t sel;

	check_utf8(data, size);
	if (size == 0)
		return 0;
	sel = data[0] % 4;
	data++;
	size--;
	/* A heap copy of exactly the field's bytes (plus a NUL), so ASan sees overreads. */
	rest = fuzz_strndup(data, size);
	if (rest == NULL)
		return 0;
	switch (sel) {
	case 0:
		fuzz_email(rest, size);
		break;
	case 1:
		fuzz_full_name(rest, size);
		break;
	case 2:
		fuzz_new_password(data, size);
		break;
	default:
		fuzz_login_password(rest, size);
		break;
	}
	free(rest);
	return 0;
}
