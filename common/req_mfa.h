/*
 * req_mfa: the bodies of the two-factor endpoints (docs/CONTRACT.md MF-4,
 * MF-9, MF-12): fields read with req.h's readers, a missing field or one of
 * another JSON type a 422 on it; but the `code` a signed-in request brings
 * where two-factor sign-in asks one (recovery-codes, disable,
 * change-password, delete-account) is never a 422: missing or not a string,
 * it is no code (400 Invalid code with MFA on, ignored with MFA off). What
 * a code holds is the flow's to judge: a code of the wrong form is an
 * invalid code (400), as a wrong one is.
 */
#ifndef MC_REQ_MFA_H
#define MC_REQ_MFA_H

#include <json-c/json.h>
#include <stddef.h>

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

/*
 * The optional `code` of body: 0 with *out a copy of at most
 * REQ_MFA_CODE_MAX bytes (one holding a NUL byte is kept as "", which no
 * code is), or *out NULL when body has no string `code`; -2 out of memory.
 * The caller frees *out with secret_free_str().
 */
int mfa_code_opt(json_object *body, char **out);

/*
 * {"password", "code"} of mfa/recovery-codes and mfa/disable: password as
 * password_req's (req_self.h: any 1 to 1024 bytes, password_len of them),
 * code as mfa_code_opt() reads it (NULL for none). Free with
 * mfa_manage_req_release().
 */
struct mfa_manage_req {
	char *password;
	size_t password_len;
	char *code;
};
int mfa_manage_req_parse(json_object *body, struct mfa_manage_req *r, struct ferrs *errs);
void mfa_manage_req_release(struct mfa_manage_req *r);

#endif
