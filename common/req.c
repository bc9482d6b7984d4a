/*
 * req: request bodies, from JSON text to typed, validated structs.
 *
 * Each parser reads its fields in the struct's order, so that the 422 lists
 * errors in that order, and keeps nothing unless every field passed.
 */
#include "req.h"

#include "secret.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OTP_MAX 64    /* bytes, after trimming */
#define TOKEN_MAX 512 /* bytes */

static const char msg_missing[] = "Field required";
static const char msg_string_type[] = "Input should be a valid string";
static const char msg_nul[] = "Value error, must not contain NUL bytes";
static const char msg_min1[] = "String should have at least 1 character";
static const char msg_otp_max[] = "String should have at most 64 characters";
static const char msg_token_max[] = "String should have at most 512 characters";
static const char msg_mismatch[] = "Value error, Passwords do not match";
static const char msg_same[] =
    "Value error, New password must be different from the current password";

static const char type_missing[] = "missing";
static const char type_string[] = "string_type";
static const char type_value[] = "value_error";
static const char type_short[] = "string_too_short";
static const char type_long[] = "string_too_long";

/*
 * Checks the bytes json-c lets through but RFC 8259 does not: outside strings
 * only structural characters, white space, numbers and the literals true,
 * false and null (so no single quotes, NaN, Infinity or comments); inside
 * strings no raw control characters. json-c then checks the structure.
 */
static int json_chars_ok(const char *text, size_t len)
{
	static const char outside[] = " \t\n\r{}[],:0123456789+-.eEtruefalsn";
	int in_string = 0;
	int escaped = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (in_string) {
			if (c < 0x20)
				return 0;
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '\0' || strchr(outside, c) == NULL) {
			return 0;
		}
	}
	return 1;
}

int req_json_parse(const char *text, size_t len, json_object **out)
{
	json_tokener *tok = NULL;
	json_object *obj = NULL;
	size_t end;
	int ret = -1;

	*out = NULL;
	/* json-c's own UTF-8 check lets overlong forms and surrogates through. */
	if (len == 0 || len > INT32_MAX || !json_chars_ok(text, len) || !utf8_valid(text, len))
		goto out;
	tok = json_tokener_new_ex(REQ_JSON_MAX_DEPTH);
	if (tok == NULL)
		goto out;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success)
		goto out;
	/* The whole text must be the one value: only white space may follow. */
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (strchr(" \t\n\r", text[end]) == NULL || text[end] == '\0')
			goto out;
	if (!json_object_is_type(obj, json_type_object))
		goto out;
	*out = obj;
	obj = NULL;
	ret = 0;
out:
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);
	return ret;
}

int req_bytes(json_object *body, const char *field, struct ferrs *errs, const char **s, size_t *len)
{
	json_object *v = NULL;
	int n;

	if (!json_object_object_get_ex(body, field, &v) || v == NULL) {
		ferrs_add(errs, field, msg_missing, type_missing);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		ferrs_add(errs, field, msg_string_type, type_string);
		return -1;
	}
	*s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (*s == NULL || n < 0) {
		ferrs_add(errs, field, msg_string_type, type_string);
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

int req_string(json_object *body, const char *field, struct ferrs *errs, const char **s,
               size_t *len)
{
	if (req_bytes(body, field, errs, s, len) != 0)
		return -1;
	if (memchr(*s, '\0', *len) != NULL) {
		ferrs_add(errs, field, msg_nul, type_value);
		return -1;
	}
	return 0;
}

/* An owned copy of s[0..len), or NULL when out of memory. */
static char *dup_bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

void req_merge(int *ret, int r)
{
	if (r == -2 || *ret == -2)
		*ret = -2;
	else if (r != 0)
		*ret = -1;
}

int req_typed_password(json_object *body, const char *field, struct ferrs *errs, char **out,
                       size_t *out_len)
{
	const char *s;
	size_t len;

	if (req_bytes(body, field, errs, &s, &len) != 0 ||
	    valid_login_password(errs, field, s, len) != 0)
		return -1;
	*out = dup_bytes(s, len);
	if (*out == NULL)
		return -2;
	*out_len = len;
	return 0;
}

int req_new_password(json_object *body, struct ferrs *errs, const char *current, size_t current_len,
                     char **out)
{
	const char *s = NULL, *confirm = NULL;
	size_t len = 0, confirm_len = 0;
	int ret = 0;

	*out = NULL;
	if (req_string(body, "new_password", errs, &s, &len) != 0 ||
	    valid_new_password(errs, "new_password", s, len, NULL, NULL) != 0) {
		ret = -1;
	} else if (current != NULL && current_len == len && CRYPTO_memcmp(current, s, len) == 0) {
		/* The two fields as sent, never the stored hash (docs/CONTRACT.md AS-3). */
		ferrs_add(errs, "new_password", msg_same, type_value);
		ret = -1;
	} else if ((*out = dup_bytes(s, len)) == NULL) {
		ret = -2;
	}
	if (req_string(body, "confirm_password", errs, &confirm, &confirm_len) != 0) {
		req_merge(&ret, -1);
	} else if (*out != NULL && (confirm_len != len || CRYPTO_memcmp(confirm, *out, len) != 0)) {
		ferrs_add(errs, "confirm_password", msg_mismatch, type_value);
		req_merge(&ret, -1);
	}
	if (ret != 0) {
		secret_free_str(*out);
		*out = NULL;
	}
	return ret;
}

/* An email field: 0 and *out (caller frees), -1 with an entry, -2 out of memory. */
static int req_email(json_object *body, const char *field, struct ferrs *errs, char **out)
{
	const char *s;
	size_t len;

	*out = NULL;
	if (req_string(body, field, errs, &s, &len) != 0)
		return -1;
	return valid_email(errs, field, s, len, out);
}

int signup_req_parse(json_object *body, struct signup_req *r, struct ferrs *errs)
{
	const char *s;
	size_t len;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (req_string(body, "full_name", errs, &s, &len) != 0)
		req_merge(&ret, -1);
	else
		req_merge(&ret, valid_full_name(errs, "full_name", s, len, &r->full_name));
	req_merge(&ret, req_email(body, "email", errs, &r->email));
	if (req_string(body, "password", errs, &s, &len) != 0) {
		req_merge(&ret, -1);
	} else if (valid_new_password(errs, "password", s, len, r->email, r->full_name) != 0) {
		req_merge(&ret, -1);
	} else {
		r->password = dup_bytes(s, len);
		if (r->password == NULL)
			req_merge(&ret, -2);
	}
	if (ret != 0)
		signup_req_release(r);
	return ret;
}

void signup_req_release(struct signup_req *r)
{
	free(r->full_name);
	free(r->email);
	secret_free_str(r->password);
	memset(r, 0, sizeof(*r));
}

int verify_req_parse(json_object *body, struct verify_req *r, struct ferrs *errs)
{
	const char *s;
	size_t len;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	req_merge(&ret, req_email(body, "email", errs, &r->email));
	if (req_string(body, "otp", errs, &s, &len) != 0) {
		req_merge(&ret, -1);
	} else {
		while (len > 0 && strchr(" \t\n\v\f\r", s[0]) != NULL) {
			s++;
			len--;
		}
		while (len > 0 && strchr(" \t\n\v\f\r", s[len - 1]) != NULL)
			len--;
		if (len == 0) {
			ferrs_add(errs, "otp", msg_min1, type_short);
			req_merge(&ret, -1);
		} else if (len > OTP_MAX) {
			ferrs_add(errs, "otp", msg_otp_max, type_long);
			req_merge(&ret, -1);
		} else {
			r->otp = dup_bytes(s, len);
			if (r->otp == NULL)
				req_merge(&ret, -2);
		}
	}
	if (ret != 0)
		verify_req_release(r);
	return ret;
}

void verify_req_release(struct verify_req *r)
{
	free(r->email);
	secret_free_str(r->otp);
	memset(r, 0, sizeof(*r));
}

int email_req_parse(json_object *body, struct email_req *r, struct ferrs *errs)
{
	int ret = 0;

	memset(r, 0, sizeof(*r));
	req_merge(&ret, req_email(body, "email", errs, &r->email));
	if (ret != 0)
		email_req_release(r);
	return ret;
}

void email_req_release(struct email_req *r)
{
	free(r->email);
	memset(r, 0, sizeof(*r));
}

int login_req_parse(json_object *body, struct login_req *r, struct ferrs *errs)
{
	int ret = 0;

	memset(r, 0, sizeof(*r));
	req_merge(&ret, req_email(body, "email", errs, &r->email));
	req_merge(&ret, req_typed_password(body, "password", errs, &r->password, &r->password_len));
	if (ret != 0)
		login_req_release(r);
	return ret;
}

void login_req_release(struct login_req *r)
{
	free(r->email);
	secret_free(r->password, r->password_len);
	memset(r, 0, sizeof(*r));
}

int reset_req_parse(json_object *body, struct reset_req *r, struct ferrs *errs)
{
	const char *s;
	size_t len;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (req_string(body, "token", errs, &s, &len) != 0) {
		req_merge(&ret, -1);
	} else if (len == 0) {
		ferrs_add(errs, "token", msg_min1, type_short);
		req_merge(&ret, -1);
	} else if (len > TOKEN_MAX) {
		ferrs_add(errs, "token", msg_token_max, type_long);
		req_merge(&ret, -1);
	} else {
		r->token = dup_bytes(s, len);
		if (r->token == NULL)
			req_merge(&ret, -2);
	}
	req_merge(&ret, req_new_password(body, errs, NULL, 0, &r->new_password));
	if (ret != 0)
		reset_req_release(r);
	return ret;
}

void reset_req_release(struct reset_req *r)
{
	secret_free_str(r->token);
	secret_free_str(r->new_password);
	memset(r, 0, sizeof(*r));
}
