#include "req_mfa.h"

#include "req.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

/* field as a copy of at most REQ_MFA_CODE_MAX bytes into *out: 0, -1 (errs), or -2 (out of memory). */
static int req_code(json_object *body, const char *field, struct ferrs *errs, char **out)
{
	const char *s;
	size_t len;

	if (req_string(body, field, errs, &s, &len) != 0)
		return -1;
	*out = strndup(s, len > REQ_MFA_CODE_MAX ? REQ_MFA_CODE_MAX : len);
	return *out == NULL ? -2 : 0;
}

int mfa_enable_req_parse(json_object *body, struct mfa_enable_req *r, struct ferrs *errs)
{
	int ret = 0;

	memset(r, 0, sizeof(*r));
	req_merge(&ret, req_code(body, "code", errs, &r->code));
	req_merge(&ret, req_code(body, "email_code", errs, &r->email_code));
	if (ret != 0)
		mfa_enable_req_release(r);
	return ret;
}

void mfa_enable_req_release(struct mfa_enable_req *r)
{
	secret_free_str(r->code);
	secret_free_str(r->email_code);
	memset(r, 0, sizeof(*r));
}

int mfa_verify_req_parse(json_object *body, struct mfa_verify_req *r, struct ferrs *errs)
{
	int ret = 0;

	memset(r, 0, sizeof(*r));
	req_merge(&ret, req_code(body, "mfa_token", errs, &r->mfa_token));
	req_merge(&ret, req_code(body, "code", errs, &r->code));
	if (ret != 0)
		mfa_verify_req_release(r);
	return ret;
}

void mfa_verify_req_release(struct mfa_verify_req *r)
{
	secret_free_str(r->mfa_token);
	secret_free_str(r->code);
	memset(r, 0, sizeof(*r));
}

int mfa_code_opt(json_object *body, char **out)
{
	json_object *v = NULL;
	const char *s;
	size_t len;

	*out = NULL;
	if (!json_object_object_get_ex(body, "code", &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', len) != NULL)
		len = 0;
	*out = strndup(s, len > REQ_MFA_CODE_MAX ? REQ_MFA_CODE_MAX : len);
	return *out == NULL ? -2 : 0;
}

int mfa_manage_req_parse(json_object *body, struct mfa_manage_req *r, struct ferrs *errs)
{
	int ret = 0;

	memset(r, 0, sizeof(*r));
	req_merge(&ret, req_typed_password(body, "password", errs, &r->password, &r->password_len));
	if (ret == 0)
		ret = mfa_code_opt(body, &r->code);
	if (ret != 0)
		mfa_manage_req_release(r);
	return ret;
}

void mfa_manage_req_release(struct mfa_manage_req *r)
{
	secret_free(r->password, r->password_len);
	secret_free_str(r->code);
	memset(r, 0, sizeof(*r));
}
