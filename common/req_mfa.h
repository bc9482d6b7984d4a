/*
 * req_mfa: the bodies of the two-factor endpoints (docs/CONTRACT.md MF-4):
 * fields read with req.h's readers, a missing field or one of another JSON
 * type a 422 on it. What a code holds is the flow's to judge: a code of the
 * wrong form is an invalid code (400), as a wrong one is.
 */
#ifndef MC_REQ_MFA_H
#define MC_REQ_MFA_H

#include <json-c/json.h>

#include "validate.h"

/* Longest code kept (bytes); anything longer is kept cut, and is wrong. */
#define REQ_MFA_CODE_MAX 64

/* {"code", "email_code"}: strings, copied (free with mfa_enable_req_release()). */
struct mfa_enable_req {
	char *code;
	char *email_code;
};
int mfa_enable_req_parse(json_object *body, struct mfa_enable_req *r, struct ferrs *errs);
void mfa_enable_req_release(struct mfa_enable_req *r);

/* {"mfa_token", "code"}: strings, copied (free with mfa_verify_req_release()). */
struct mfa_verify_req {
	char *mfa_token;
	char *code;
};
int mfa_verify_req_parse(json_object *body, struct mfa_verify_req *r, struct ferrs *errs);
void mfa_verify_req_release(struct mfa_verify_req *r);

#endif
