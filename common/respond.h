/*
 * respond: the bodies of docs/CONTRACT.md, and the one mapping from an account
 * outcome (account.h) to a status and {"detail": ...}.
 */
#ifndef MC_RESPOND_H
#define MC_RESPOND_H

#include "account.h"
#include "http.h"
#include "recovery.h"

/* {"message": msg} with status. */
void respond_message(struct http_resp *resp, int status, const char *msg);
/*
 * The token answer (docs/CONTRACT.md SE-2): 200 {"access_token",
 * "token_type": "bearer", "expires_in", "refresh_token"}.
 */
void respond_token(struct http_resp *resp, const struct session_tokens *t);
/*
 * The login answer with MFA on (docs/CONTRACT.md MF-8): 200 {"mfa_required":
 * true, "mfa_token": o->mfa_token, "expires_in": MFA_TOKEN_SECONDS}; no token.
 */
void respond_mfa_required(struct http_resp *resp, const struct acct_out *o);
/*
 * 200 {"recovery_codes": [...]}: the RECOVERY_COUNT codes of a new set, the
 * one time they are shown (mfa/enable, mfa/recovery-codes).
 */
void respond_recovery_codes(struct http_resp *resp, char codes[RECOVERY_COUNT][RECOVERY_LEN + 1]);
/* 200 {"id": n, "full_name": ..., "email": ..., "is_verified": bool}. */
void respond_profile(struct http_resp *resp, const struct acct_out *o);

/*
 * Any outcome but ACCT_OK: 409 Email already registered, 429 (o->limit_detail,
 * Retry-After), 400 Invalid or expired OTP / Email already verified / Invalid
 * or expired reset token / Incorrect password / Invalid code / Two-factor
 * sign-in is not enabled, 401 Invalid
 * email or password (WWW-Authenticate: Bearer) / Invalid or expired token
 * (Bearer error="invalid_token") / Invalid or expired refresh token
 * (Bearer) / Invalid or expired MFA token (Bearer), 409 Two-factor sign-in
 * is already enabled, ACCT_MFA_REQUIRED as respond_mfa_required(), 403
 * Email not verified, 404 Session not found, 422 (o->errs), 503, 500.
 */
void respond_failure(struct http_resp *resp, enum acct_rc rc, const struct acct_out *o);

/* The 422 or 500 for a *_req_parse() result that is not 0. */
void respond_parse_failure(struct http_resp *resp, int parse_rc, const struct ferrs *errs);

#endif
