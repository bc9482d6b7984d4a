/*
 * account_self: account self-service, one transaction per flow on the
 * request's connection (docs/CONTRACT.md AS-1 to AS-8): a new name (PATCH
 * /user/profile), a new password (POST /user/change-password), the account
 * deleted (POST /user/delete-account). Each takes a token already checked by
 * account_check_token() and first reads the account as account_profile()
 * does (ACCT_BAD_TOKEN when it is gone, the token was revoked or its session
 * is not live, a token_rejected event recorded). change-password and
 * delete-account then take the password again through reauth.h, on login's
 * lockout, before any change, and with two-factor sign-in on a code
 * (mfa_check.h's mfa_code_require(), docs/CONTRACT.md MF-15): the
 * second-factor lock answers ACCT_LIMITED before the password is looked
 * at, the code is checked after it, in the flow's transaction under the
 * address's lock (a missing or wrong one: ACCT_BAD_CODE, counted); with MFA
 * off, code is ignored. Results as account.h; the program turns them
 * into a response with respond.h.
 */
#ifndef MC_ACCOUNT_SELF_H
#define MC_ACCOUNT_SELF_H

#include <libpq-fe.h>
#include <stdint.h>
#include <time.h>

#include "account.h"
#include "client.h"
#include "conf.h"
#include "req_self.h"

/*
 * PATCH /user/profile: stores r->full_name. ACCT_OK with the profile as
 * stored now in o (id, full_name, email, is_verified), ACCT_BAD_TOKEN, faults.
 */
enum acct_rc account_update_name(PGconn *db, const struct conf *c, const struct client *cl,
                                 const struct acct_token *t, time_t now, const struct name_req *r,
                                 struct acct_out *o);

/*
 * POST /user/change-password: ACCT_WEAK_PASSWORD (o->errs: new_password
 * guessable with the account's own words, before the password is checked),
 * ACCT_LIMITED, ACCT_BAD_PASSWORD (counted as a failed login), then in one
 * transaction: the new hash, every access token issued until now and every
 * session of the account revoked, every outstanding reset token dead, the
 * password-changed mail queued (o->mail_id), a password_changed event, and a
 * new session (session_start()) that keeps the start time of the caller's
 * (now for a token without sid), so SESSION_MAX_MINUTES is never extended.
 * ACCT_OK with o->tokens; also ACCT_BAD_TOKEN when the password changed
 * after it was checked; faults. With MFA on, code (NULL: none sent) as the
 * header says; a recovery code is spent and its notice queued (delivered by
 * medicalcare-outbox: o->mail_id is the password-changed mail).
 */
enum acct_rc account_change_password(PGconn *db, const struct conf *c, const struct client *cl,
                                     const struct acct_token *t, time_t now,
                                     const struct change_req *r, const char *code,
                                     struct acct_out *o);

/*
 * POST /user/delete-account: ACCT_LIMITED, ACCT_BAD_PASSWORD (counted), then
 * in one transaction: the account and what belongs to it (codes, reset
 * tokens, sessions and refresh tokens, known clients, every outbox row of it or to its address, the
 * login failures, locks and checks in progress of its address) deleted;
 * its audit events keep the account id and only the address's keyed hash;
 * an account_deleted event (no address); the last mail queued without an
 * account (o->mail_id), whose address the outbox wipes once it is sent.
 * ACCT_OK; ACCT_BAD_TOKEN when the account changed after the check; faults.
 * With MFA on, code (NULL: none sent) as the header says; a recovery code's
 * use is an event, and the last mail stands for its notice.
 */
enum acct_rc account_delete(PGconn *db, const struct conf *c, const struct client *cl,
                            const struct acct_token *t, time_t now, const struct password_req *r,
                            const char *code, struct acct_out *o);

#endif
