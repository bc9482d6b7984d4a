#include "session_req.h"

#include <stdlib.h>
#include <string.h>

#include "secret.h"

#define SESSION_REQ_TOKEN_MAX 512

/*
 * The string field name of body into *out (a copy, caller frees): 0, 1 when
 * absent or null and optional, -1 with an error in errs, -2 out of memory.
 */
static int session_req_token(json_object *body, const char *name, int optional, struct ferrs *errs,
                             char **out)
{
	json_object *v = NULL;
	const char *s;
	size_t len;

	*out = NULL;
	if (body == NULL || !json_object_object_get_ex(body, name, &v) || v == NULL) {
		if (optional)
			return 1;
		ferrs_add(errs, name, "Field required", "missing");
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		ferrs_add(errs, name, "Input should be a valid string", "string_type");
		return -1;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (strlen(s) != len) {
		ferrs_add(errs, name, "Value error, must not contain NUL bytes", "value_error");
		return -1;
	}
	if (len > SESSION_REQ_TOKEN_MAX) {
		ferrs_add(errs, name, "String should have at most 512 characters",
		          "string_too_long");
		return -1;
	}
	*out = strdup(s);
	return *out == NULL ? -2 : 0;
}

int refresh_req_parse(json_object *body, struct refresh_req *r, struct ferrs *errs)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = session_req_token(body, "refresh_token", 0, errs, &r->refresh_token);
	return rc < 0 ? rc : 0;
}

void refresh_req_release(struct refresh_req *r)
{
	secret_free_str(r->refresh_token);
	memset(r, 0, sizeof(*r));
}

int logout_req_parse(json_object *body, struct logout_req *r, struct ferrs *errs)
{
	json_object *v = NULL;
	int ret = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = session_req_token(body, "refresh_token", 1, errs, &r->refresh_token);
	if (rc < 0)
		ret = rc;
	if (body != NULL && json_object_object_get_ex(body, "everywhere", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean)) {
			ferrs_add(errs, "everywhere", "Input should be a valid boolean",
			          "bool_type");
			if (ret == 0)
				ret = -1;
		} else {
			r->everywhere = json_object_get_boolean(v);
		}
	}
	if (ret != 0)
		logout_req_release(r);
	return ret;
}

void logout_req_release(struct logout_req *r)
{
	secret_free_str(r->refresh_token);
	memset(r, 0, sizeof(*r));
}
