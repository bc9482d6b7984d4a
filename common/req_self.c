#include "req_self.h"

#include "req.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

int name_req_parse(json_object *body, struct name_req *r, struct ferrs *errs)
{
	const char *s;
	size_t len;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (req_string(body, "full_name", errs, &s, &len) != 0)
		req_merge(&ret, -1);
	else
		req_merge(&ret, valid_full_name(errs, "full_name", s, len, &r->full_name));
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
	req_merge(&ret, req_typed_password(body, "password", errs, &r->password, &r->password_len));
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
	int ret = 0;

	memset(r, 0, sizeof(*r));
	req_merge(&ret, req_typed_password(body, "current_password", errs, &r->current_password,
	                                   &r->current_len));
	req_merge(&ret, req_new_password(body, errs, r->current_password, r->current_len,
	                                 &r->new_password));
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
