/*
 * account_self: account self-service, one transaction per flow on the
 * request's connection (docs/CONTRACT.md AS-1 to AS-8): a new name (PATCH
 * /user/profile), a new password (POST /user/change-password), the account
 * deleted (POST /user/delete-account). Each takes a token already checked by
 * account_check_token() (user_id, iat) and first reads the account as
 * account_profile() does (ACCT_BAD_TOKEN when it is gone or the token was
 * revoked, a token_rejected event recorded). change-password and
 * delete-account then take the password again through reauth.h, on login's
 * lockout, before any change. Results as account.h; the program turns them
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
                                 int64_t user_id, int64_t iat, const struct name_req *r,
                                 struct acct_out *o);

/*
 * POST /user/change-password: ACCT_WEAK_PASSWORD (o->errs: new_password
 * guessable with the account's own words, before the password is checked),
 * ACCT_LIMITED, ACCT_BAD_PASSWORD (counted as a failed login), then in one
 * transaction: the new hash, every access token issued until now revoked,
 * every outstanding reset token dead, the password-changed mail queued
 * (o->mail_id), a password_changed event. ACCT_OK with o->access_token, a
 * new token issued at now or later (never before the revocation); also
 * ACCT_BAD_TOKEN when the password changed after it was checked; faults.
 */
enum acct_rc account_change_password(PGconn *db, const struct conf *c, const struct client *cl,
                                     int64_t user_id, int64_t iat, const struct change_req *r,
                                     time_t now, struct acct_out *o);

/*
 * POST /user/delete-account: ACCT_LIMITED, ACCT_BAD_PASSWORD (counted), then
 * in one transaction: the account and what belongs to it (codes, reset
 * tokens, known clients, every outbox row of it or to its address, the
 * login failures, locks and checks in progress of its address) deleted;
 * its audit events keep the account id and only the address's keyed hash;
 * an account_deleted event (no address); the last mail queued without an
 * account (o->mail_id), whose address the outbox wipes once it is sent.
 * ACCT_OK; ACCT_BAD_TOKEN when the account changed after the check; faults.
 */
enum acct_rc account_delete(PGconn *db, const struct conf *c, const struct client *cl,
                            int64_t user_id, int64_t iat, const struct password_req *r,
                            struct acct_out *o);

#endif
