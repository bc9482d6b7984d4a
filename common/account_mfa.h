/*
 * account_mfa: two-factor sign-in (TOTP, RFC 6238) turned on by its owner
 * (docs/CONTRACT.md MF-1 to MF-7), passed at sign-in (MF-8 to MF-11,
 * account_mfa_verify.c), managed: a new set of recovery codes, turned off
 * (MF-12 to MF-14, account_mfa_manage.c); one flow per endpoint on the request's
 * connection, each taking a token already checked by bearer_check() and
 * reading the account as account_profile() does first. The rows are
 * sql/008_mfa.sql's user_mfa; the secret is made and sealed by mfa_secret.h
 * under conf_mfa_keys(), shown by otpauth.h. Results as account.h; the
 * program turns them into a response with respond.h.
 */
#ifndef MC_ACCOUNT_MFA_H
#define MC_ACCOUNT_MFA_H

#include <libpq-fe.h>
#include <time.h>

#include "account.h"
#include "client.h"
#include "conf.h"
#include "recovery.h"
#include "req_mfa.h"
#include "req_self.h"

/* What mfa/setup shows, once: both hold the secret (free with mfa_setup_out_release()). */
struct mfa_setup_out {
	char *secret;      /* base32, upper case, no padding */
	char *otpauth_uri; /* otpauth://totp/<APP_NAME>:<email>?secret=...&issuer=... */
};

/* Wipes and frees what o holds, and zeroes it. */
void mfa_setup_out_release(struct mfa_setup_out *o);

/*
 * POST /user/mfa/setup: the password typed again (reauth.h: ACCT_LIMITED on
 * a login lock, ACCT_BAD_PASSWORD counted as a failed login), then in one
 * transaction under the address's lock: ACCT_MFA_ON when two-factor
 * sign-in is on; ACCT_LIMITED (o->retry_after) when the setup-code mail to
 * the address is over its caps (the code mail's: 1 a minute, 5 an hour);
 * else a new secret (20 CSPRNG bytes) stored sealed as the pending one, a
 * new 6-digit code stored as its keyed hash for OTP_EXPIRE_MINUTES with 5
 * tries, both replacing any earlier pending ones, the code's mail queued
 * (o->mail_id) and an mfa_setup event. ACCT_OK with s filled; ACCT_BAD_TOKEN
 * when the account changed after the check; ACCT_ERROR also without
 * MFA_ENCRYPTION_KEY (logged).
 */
enum acct_rc account_mfa_setup(PGconn *db, const struct conf *c, const struct client *cl,
                               const struct acct_token *t, time_t now, const struct password_req *r,
                               struct acct_out *o, struct mfa_setup_out *s);

/*
 * POST /user/mfa/enable: in one transaction under the address's lock, the
 * account's user_mfa row locked: ACCT_MFA_ON when it is on; ACCT_LIMITED
 * (o->retry_after) while the second-factor lock holds, before any check;
 * ACCT_BAD_CODE when no setup is pending or r->email_code is not the live
 * mailed code (one of its 5 tries spent, committed), or r->code is not a
 * TOTP code of the pending secret for a step later than the last accepted
 * one (counted on the second-factor counter, committed: the 10th in a row
 * locks, mails the owner and records mfa_lockout). Else the pending secret
 * becomes the secret with its step recorded in the same UPDATE, the counter
 * cleared, RECOVERY_COUNT new recovery codes stored as digests (into codes,
 * shown once), every other session of the account ended, the notice mail
 * queued (o->mail_id) and an mfa_enabled event: ACCT_OK. Faults; ACCT_ERROR
 * also without MFA_ENCRYPTION_KEY. codes is wiped unless ACCT_OK.
 */
enum acct_rc account_mfa_enable(PGconn *db, const struct conf *c, const struct client *cl,
                                const struct acct_token *t, time_t now,
                                const struct mfa_enable_req *r, struct acct_out *o,
                                char codes[RECOVERY_COUNT][RECOVERY_LEN + 1]);

/*
 * POST /auth/mfa/verify (docs/CONTRACT.md MF-9 to MF-11), no bearer token:
 * ACCT_BAD_MFA_TOKEN when r->mfa_token is not a live one (unknown, expired,
 * used, out of its 5 tries, or its account's MFA off). Else, in one
 * transaction under the address's lock, the account's user_mfa row locked:
 * ACCT_LIMITED (o->retry_after) while the login lock (limit.h) or the
 * second-factor lock holds, before any check and spending no try; one of
 * the token's tries spent in the UPDATE that checks it; r->code checked by
 * mfa_code_accept() (a wrong one: ACCT_BAD_CODE, counted by
 * mfa_code_failed(), the spent try committed with it). A right one: the
 * token deleted, the login failures of the address forgotten and the client
 * made known (as a login does), for a recovery code a notice with how many
 * are left (o->mail_id) and an mfa_recovery_used event, an mfa_verified
 * event, and a new session (o->tokens, session_start()) in the same
 * transaction: ACCT_OK. Faults; ACCT_ERROR also without MFA_ENCRYPTION_KEY.
 */
enum acct_rc account_mfa_verify(PGconn *db, const struct conf *c, const struct client *cl,
                                time_t now, const struct mfa_verify_req *r, struct acct_out *o);

/*
 * POST /user/mfa/recovery-codes (docs/CONTRACT.md MF-12, MF-14):
 * ACCT_MFA_OFF when two-factor sign-in is off and ACCT_LIMITED
 * (o->retry_after) while the second-factor lock holds, both before the
 * password is looked at; the password typed again (reauth.h: ACCT_LIMITED
 * on a login lock, ACCT_BAD_PASSWORD counted as a failed login); then in
 * one transaction under the address's lock, r->code by mfa_code_require()
 * (ACCT_LIMITED, ACCT_BAD_CODE counted, ACCT_MFA_OFF when it went off
 * meanwhile): RECOVERY_COUNT new recovery codes replace every earlier one
 * (into codes, shown once), the notice mail queued (o->mail_id), an
 * mfa_recovery_codes event (and mfa_recovery_used when r->code was a
 * recovery code): ACCT_OK. ACCT_BAD_TOKEN when the account changed after
 * the check; faults (ACCT_ERROR also without MFA_ENCRYPTION_KEY). codes is
 * wiped unless ACCT_OK.
 */
enum acct_rc account_mfa_recovery_codes(PGconn *db, const struct conf *c, const struct client *cl,
                                        const struct acct_token *t, time_t now,
                                        const struct mfa_manage_req *r, struct acct_out *o,
                                        char codes[RECOVERY_COUNT][RECOVERY_LEN + 1]);

/*
 * POST /user/mfa/disable (docs/CONTRACT.md MF-13, MF-14): the checks of
 * account_mfa_recovery_codes(), then in the same one transaction: the
 * secret, any pending setup and every recovery code deleted, every
 * mfa_token of the account ended (the failure counter, its lock and the
 * last step accepted stay), the notice mail queued (o->mail_id), an
 * mfa_disabled event (and mfa_recovery_used for a recovery code): ACCT_OK;
 * ACCT_BAD_TOKEN; faults.
 */
enum acct_rc account_mfa_disable(PGconn *db, const struct conf *c, const struct client *cl,
                                 const struct acct_token *t, time_t now,
                                 const struct mfa_manage_req *r, struct acct_out *o);

#endif
