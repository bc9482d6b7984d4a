/*
 * mfa_check: the second factor's checks that the sign-in and the endpoints
 * taking a `code` with MFA on share (docs/CONTRACT.md MF-8 to MF-11): the
 * mfa_token a login with the right password hands out, the code check that
 * takes a TOTP code (its step recorded in the UPDATE that accepts it, only
 * if later than the last one accepted) or an unused recovery code (spent in
 * the statement that finds it), and a wrong code counted on the account's
 * second-factor counter; the code a signed-in request owes with MFA on
 * (mfa_code_require(): recovery-codes, disable, change-password,
 * delete-account), with the lock read before its password is checked
 * (mfa_state()); a new set of recovery codes. Each but mfa_state() runs in
 * the caller's transaction, which holds the account's address lock and, for
 * the code, its user_mfa row (ST_MFA_READ ... FOR UPDATE). Rows of
 * sql/008_mfa.sql.
 */
#ifndef MC_MFA_CHECK_H
#define MC_MFA_CHECK_H

#include <libpq-fe.h>
#include <stdint.h>
#include <time.h>

#include "account.h"
#include "client.h"
#include "conf.h"
#include "conf_keys.h"
#include "recovery.h"
#include "token.h"

/* The 429 detail while the second-factor lock holds. */
#define MFA_DETAIL_LIMIT "Too many invalid codes. Please try again later."

/*
 * The answer while the second-factor lock holds for locked_for more
 * seconds (MF-10): ACCT_LIMITED with o->retry_after = locked_for and
 * o->limit_detail MFA_DETAIL_LIMIT; ACCT_OK with o->retry_after 0 when it
 * does not (locked_for <= 0).
 */
enum acct_rc mfa_lock_answer(long locked_for, struct acct_out *o);

/* mfa_lock_answer() for row 0 of an ST_MFA_READ result (MR_LOCKED_FOR). */
enum acct_rc mfa_row_lock_answer(const PGresult *res, struct acct_out *o);

/*
 * When account user_id has two-factor sign-in on (its user_mfa row locked
 * till the end of the open transaction): a new mfa_token (32 CSPRNG bytes,
 * base64url) into out, stored as its SHA-256 for MFA_TOKEN_SECONDS with 5
 * tries, and 1. 0 when MFA is off (out ""), or a db_rc (DB_ERROR also when
 * no token could be drawn, logged). out is wiped unless 1.
 */
int mfa_token_issue(PGconn *db, int64_t user_id, char out[TOKEN_RESET_LEN + 1]);

enum mfa_code_rc {
	MFA_CODE_FAULT = -1,   /* logged: the secret does not open, liboath, libcrypto, database */
	MFA_CODE_WRONG = 0,    /* not a code, a wrong or replayed one, or a spent recovery code */
	MFA_CODE_TOTP = 1,     /* a TOTP code: its step recorded, the counter cleared */
	MFA_CODE_RECOVERY = 2, /* a recovery code: spent, the counter cleared, *left set */
	MFA_CODE_OFF = 3,      /* mfa_code_require(): two-factor sign-in is off, nothing checked */
};

/*
 * Checks code, as typed, for account user_id (id_s: its id in decimal),
 * whose two-factor sign-in is on: 6 digits are a TOTP code of sealed_hex
 * (MR_SECRET_SEALED, opened under mk->mfa_secret) for a step later than
 * last_step at now; anything else is looked up as a recovery code (digest
 * under mk->mfa_recovery). Nothing is counted for a wrong code: the caller
 * calls mfa_code_failed(). *left: the unused recovery codes left after a
 * MFA_CODE_RECOVERY, else untouched.
 */
enum mfa_code_rc mfa_code_accept(PGconn *db, const struct conf_keys *mk, int64_t user_id,
                                 const char *id_s, const char *sealed_hex, int64_t last_step,
                                 time_t now, const char *code, int *left);

/*
 * A wrong second-factor code of account user_id (id_s: its id in decimal;
 * o->email, o->full_name and o->is_verified name its owner), counted in the
 * open transaction with an mfa_failure event, and the transaction committed
 * (with whatever else it changed): the 10th in a row locks (an mfa_lockout
 * event, the owner mailed once through the outbox). ACCT_BAD_CODE, or a
 * fault (nothing committed).
 */
enum acct_rc mfa_code_failed(PGconn *db, const struct conf *c, const struct client *cl,
                             int64_t user_id, const char *id_s, struct acct_out *o);

/*
 * Account id_s's two-factor sign-in as it is now, read with no transaction
 * and no lock (a flow reads it again under its lock): *on 1 when it is on,
 * *locked_for the seconds its second-factor lock still holds (0 for none;
 * both 0 before any setup). DB_OK or a db_rc.
 */
int mfa_state(PGconn *db, const char *id_s, int *on, long *locked_for);

/*
 * The second factor a signed-in request owes, in the caller's transaction
 * under the account's address lock (o->email, o->full_name, o->is_verified
 * name the owner, as account_profile() fills them): account user_id's
 * user_mfa row read and locked. Off: ACCT_OK with *how MFA_CODE_OFF,
 * nothing checked. On: ACCT_LIMITED (o->retry_after, o->limit_detail)
 * while the second-factor lock holds, before any check; code NULL (none
 * sent) or not a right code of mfa_code_accept(): ACCT_BAD_CODE, counted by
 * mfa_code_failed(), which commits the transaction; a right one: ACCT_OK
 * with *how MFA_CODE_TOTP or MFA_CODE_RECOVERY (*left: the recovery codes
 * left; the caller mails and records the use). Faults (ACCT_ERROR also
 * without MFA_ENCRYPTION_KEY, logged).
 */
enum acct_rc mfa_code_require(PGconn *db, const struct conf *c, const struct client *cl,
                              int64_t user_id, const char *id_s, time_t now, const char *code,
                              struct acct_out *o, enum mfa_code_rc *how, int *left);

/*
 * A new set of RECOVERY_COUNT recovery codes of account user_id (id_s) into
 * codes, for the caller to show once, stored as their digests (under
 * mk->mfa_recovery) in the open transaction in place of every earlier code
 * of the account. ACCT_OK, or a fault (codes wiped).
 */
enum acct_rc mfa_recovery_replace(PGconn *db, const struct conf_keys *mk, int64_t user_id,
                                  const char *id_s, char codes[RECOVERY_COUNT][RECOVERY_LEN + 1]);

#endif
