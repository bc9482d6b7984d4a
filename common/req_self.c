#include "req_self.h"

#include "req.h"
#include "secret.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static const char msg_same[] =
    "Value error, New password must be different from the current password";
static const char msg_mismatch[] = "Value error, Passwords do not match";
static const char type_value[] = "value_error";

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

/* Merges one result into the parser's: -2 (out of memory) sticks. */
static void merge(int *ret, int r)
{
	if (r == -2 || *ret == -2)
		*ret = -2;
	else if (r != 0)
		*ret = -1;
}

/* A password typed again (any 1 to 1024 bytes): 0 and *out, *out_len; -1; -2. */
static int req_typed_password(json_object *body, const char *field, struct ferrs *errs, char **out,
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

int name_req_parse(json_object *body, struct name_req *r, struct ferrs *errs)
{
	const char *s;
	size_t len;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (req_string(body, "full_name", errs, &s, &len) != 0)
		merge(&ret, -1);
	else
		merge(&ret, valid_full_name(errs, "full_name", s, len, &r->full_name));
	if (ret != 0)
		name_req_release(r);
	return ret;
}

void name_req_release(struct name_req *r)
{
	free(r->full_name);
	memset(r, 0, sizeof(*r));
}

int password_req_parse(json_object *body, struct password_req *r, struct ferrs *errs)
{
	int ret = 0;

	memset(r, 0, sizeof(*r));
	merge(&ret, req_typed_password(body, "password", errs, &r->password, &r->password_len));
	if (ret != 0)
		password_req_release(r);
	return ret;
}

void password_req_release(struct password_req *r)
{
	secret_free(r->password, r->password_len);
	memset(r, 0, sizeof(*r));
}

int change_req_parse(json_object *body, struct change_req *r, struct ferrs *errs)
{
	const char *s;
	const char *confirm = NULL;
	size_t len = 0;
	size_t confirm_len = 0;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	merge(&ret, req_typed_password(body, "current_password", errs, &r->current_password,
	                               &r->current_len));
	if (req_string(body, "new_password", errs, &s, &len) != 0 ||
	    valid_new_password(errs, "new_password", s, len, NULL, NULL) != 0) {
		merge(&ret, -1);
	} else if (r->current_password != NULL && r->current_len == len &&
	           CRYPTO_memcmp(r->current_password, s, len) == 0) {
		/* The two fields as sent, never the stored hash (docs/CONTRACT.md AS-3). */
		ferrs_add(errs, "new_password", msg_same, type_value);
		merge(&ret, -1);
	} else {
		r->new_password = dup_bytes(s, len);
		if (r->new_password == NULL)
			merge(&ret, -2);
	}
	if (req_string(body, "confirm_password", errs, &confirm, &confirm_len) != 0) {
		merge(&ret, -1);
	} else if (r->new_password != NULL &&
	           (confirm_len != len || CRYPTO_memcmp(confirm, r->new_password, len) != 0)) {
		ferrs_add(errs, "confirm_password", msg_mismatch, type_value);
		merge(&ret, -1);
	}
	if (ret != 0)
		change_req_release(r);
	return ret;
}

void change_req_release(struct change_req *r)
{
	secret_free(r->current_password, r->current_len);
	secret_free_str(r->new_password);
	memset(r, 0, sizeof(*r));
}
