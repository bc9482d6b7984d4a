#include "respond.h"

#include "log.h"

/*
 * Answers status with o, which was built whole when ok; else (o NULL, or a
 * member that could not be added) a logged 500. Puts o either way.
 */
static void respond_built(struct http_resp *resp, int status, json_object *o, int ok)
{
	if (o != NULL && ok) {
		http_resp_json(resp, status, o);
	} else {
		log_error("out of memory");
		http_resp_internal(resp);
	}
	json_object_put(o);
}

void respond_message(struct http_resp *resp, int status, const char *msg)
{
	json_object *o = json_object_new_object();
	int ok =
	    !(o == NULL || json_object_object_add(o, "message", json_object_new_string(msg)) != 0);

	respond_built(resp, status, o, ok);
}

void respond_token(struct http_resp *resp, const struct session_tokens *t)
{
	json_object *o = json_object_new_object();
	int ok =
	    !(o == NULL || t->access_token == NULL ||
	      json_object_object_add(o, "access_token", json_object_new_string(t->access_token)) !=
	          0 ||
	      json_object_object_add(o, "token_type", json_object_new_string("bearer")) != 0 ||
	      json_object_object_add(o, "expires_in", json_object_new_int(t->expires_in)) != 0 ||
	      json_object_object_add(o, "refresh_token",
	                             json_object_new_string(t->refresh_token)) != 0);

	respond_built(resp, 200, o, ok);
}

void respond_mfa_required(struct http_resp *resp, const struct acct_out *p)
{
	json_object *o = json_object_new_object();
	int ok =
	    !(o == NULL || p->mfa_token[0] == '\0' ||
	      json_object_object_add(o, "mfa_required", json_object_new_boolean(1)) != 0 ||
	      json_object_object_add(o, "mfa_token", json_object_new_string(p->mfa_token)) != 0 ||
	      json_object_object_add(o, "expires_in", json_object_new_int(MFA_TOKEN_SECONDS)) != 0);

	respond_built(resp, 200, o, ok);
}

void respond_recovery_codes(struct http_resp *resp, char codes[RECOVERY_COUNT][RECOVERY_LEN + 1])
{
	json_object *o = json_object_new_object();
	json_object *a = json_object_new_array();
	int ok = o != NULL && a != NULL;

	for (size_t i = 0; ok && i < RECOVERY_COUNT; i++)
		ok = json_object_array_add(a, json_object_new_string(codes[i])) == 0;
	if (ok) {
		ok = json_object_object_add(o, "recovery_codes", a) == 0;
		if (ok)
			a = NULL; /* o owns it now */
	}
	json_object_put(a);
	respond_built(resp, 200, o, ok);
}

void respond_profile(struct http_resp *resp, const struct acct_out *p)
{
	json_object *o = json_object_new_object();
	int ok = !(
	    o == NULL || json_object_object_add(o, "id", json_object_new_int64(p->id)) != 0 ||
	    json_object_object_add(o, "full_name", json_object_new_string(p->full_name)) != 0 ||
	    json_object_object_add(o, "email", json_object_new_string(p->email)) != 0 ||
	    json_object_object_add(o, "is_verified", json_object_new_boolean(p->is_verified)) != 0);

	respond_built(resp, 200, o, ok);
}

/* The results answered with a status and a fixed detail. */
static const struct {
	int status;
	const char *detail;
} respond_plain[] = {
    [ACCT_EMAIL_TAKEN] = {409, "Email already registered"},
    [ACCT_BAD_OTP] = {400, "Invalid or expired OTP"},
    [ACCT_ALREADY_VERIFIED] = {400, "Email already verified"},
    [ACCT_NOT_VERIFIED] = {403, "Email not verified"},
    [ACCT_BAD_RESET_TOKEN] = {400, "Invalid or expired reset token"},
    [ACCT_BAD_PASSWORD] = {400, "Incorrect password"},
    [ACCT_SESSION_NOT_FOUND] = {404, "Session not found"},
    [ACCT_MFA_ON] = {409, "Two-factor sign-in is already enabled"},
    [ACCT_BAD_CODE] = {400, "Invalid code"},
    [ACCT_MFA_OFF] = {400, "Two-factor sign-in is not enabled"},
};

void respond_failure(struct http_resp *resp, enum acct_rc rc, const struct acct_out *o)
{
	switch (rc) {
	case ACCT_EMAIL_TAKEN:
	case ACCT_BAD_OTP:
	case ACCT_ALREADY_VERIFIED:
	case ACCT_NOT_VERIFIED:
	case ACCT_BAD_RESET_TOKEN:
	case ACCT_BAD_PASSWORD:
	case ACCT_SESSION_NOT_FOUND:
	case ACCT_MFA_ON:
	case ACCT_BAD_CODE:
	case ACCT_MFA_OFF:
		http_resp_detail(resp, respond_plain[rc].status, respond_plain[rc].detail);
		return;
	case ACCT_LIMITED:
		http_resp_429(resp, o->limit_detail != NULL ? o->limit_detail : "Too many requests",
		              o->retry_after);
		return;
	case ACCT_BAD_LOGIN:
		http_resp_401(resp, "Invalid email or password");
		return;
	case ACCT_WEAK_PASSWORD:
		http_resp_422(resp, &o->errs);
		return;
	case ACCT_BAD_TOKEN:
		/* WWW-Authenticate: Bearer error="invalid_token": the client refreshes on it. */
		http_resp_401_invalid_token(resp, "Invalid or expired token");
		return;
	case ACCT_BAD_REFRESH_TOKEN:
		http_resp_401(resp, "Invalid or expired refresh token");
		return;
	case ACCT_BAD_MFA_TOKEN:
		http_resp_401(resp, "Invalid or expired MFA token");
		return;
	case ACCT_MFA_REQUIRED:
		respond_mfa_required(resp, o);
		return;
	case ACCT_UNAVAILABLE:
		http_resp_unavailable(resp);
		return;
	case ACCT_OK:
		log_error("respond_failure called for a success");
		http_resp_internal(resp);
		return;
	case ACCT_ERROR:
		http_resp_internal(resp);
		return;
	}
	/* No default: -Wswitch names a result added to enum acct_rc but not here. */
	log_error("respond_failure: unknown result %d", (int)rc);
	http_resp_internal(resp);
}

void respond_parse_failure(struct http_resp *resp, int parse_rc, const struct ferrs *errs)
{
	if (parse_rc == -1) {
		http_resp_422(resp, errs);
	} else {
		log_error("out of memory while parsing the request");
		http_resp_internal(resp);
	}
}
