/*
 * account_mfa: two-factor sign-in (TOTP, RFC 6238) turned on by its owner
 * (docs/CONTRACT.md MF-1 to MF-3), one flow per endpoint on the request's
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

#endif
