/*
 * acct: what the account flows (account.h; account_signup.c,
 * account_login.c, account_password.c, account_profile.c) share: the account row
 * read under the email's lock, a flow's opening steps (the client's budget,
 * the transaction with the email's advisory lock, the lookup), and the codes and reset links made inside a transaction. Internal
 * to the library: the programs call account.h.
 */
#ifndef MC_ACCT_H
#define MC_ACCT_H

#include <libpq-fe.h>
#include <stdint.h>
#include <time.h>

#include "account.h"
#include "client.h"
#include "conf.h"
#include "limit.h"
#include "pw.h"

/* A sign-up of an unverified address made less than this ago is a double submit. */
#define ACCT_DOUBLE_SUBMIT_SECONDS 60
#define DETAIL_OTP_LIMIT "Too many verification emails requested. Please try again later."
/* The 429 of a login lock, at login and wherever a password is typed again (reauth.h). */
#define DETAIL_LOGIN_LIMIT "Too many failed login attempts. Please try again later."

/* A row of ST_USER_BY_EMAIL; strings owned, freed by acct_user_release(). */
struct user {
	int64_t id;
	char *full_name;
	char *password_hash;
	int verified;
	int64_t token_min_iat;
	int otp_disabled; /* a second sign-up killed its codes for good */
	int recent;       /* made within ACCT_DOUBLE_SUBMIT_SECONDS */
};

/* Frees u's strings (the hash wiped first) and zeroes it. */
void acct_user_release(struct user *u);

/*
 * The flow's result for a db_rc (db.h): ACCT_OK for DB_OK, ACCT_UNAVAILABLE
 * for an outage, ACCT_ERROR for anything else. Every helper here returns an
 * enum acct_rc, so a flow carries one status.
 */
enum acct_rc acct_db(int db_rc);

/*
 * The password settings of c: fills cost, and points this process's hash
 * gate (hashgate.h) at c's HASH_LOCK_FILE and HASH_CONCURRENCY, so a changed
 * setting applies to the next hash. Returns cost.
 */
const struct pw_cost *acct_pw(const struct conf *c, struct pw_cost *cost);

/* Begins a transaction and takes email's advisory lock. ACCT_OK or a fault (none open then). */
enum acct_rc acct_begin_locked(PGconn *db, const char *email);

/* The client's budget key (client.h), or NULL when unknown. */
const char *acct_key(const struct client *cl);

/* The client as login locks count it: its budget key, or "" when unknown. */
const char *acct_login_client(const struct client *cl);

/*
 * Outside any transaction, before any work: takes one hit of scope s from
 * the client's budget if it fits (an event when it took the last one).
 * ACCT_OK to go on (*hit to give back if the request is no failure),
 * ACCT_LIMITED (o->retry_after, o->limit_detail), or a fault.
 */
enum acct_rc acct_client_take(PGconn *db, const struct conf *c, const struct client *cl,
                              enum limit_scope s, const char *email, struct limit_hit *hit,
                              struct acct_out *o);

/*
 * Reads the account of email into u (acct_user_release() it): ACCT_OK with
 * u->id > 0, or u->id 0 when there is none; or a fault.
 */
enum acct_rc acct_find(PGconn *db, const char *email, struct user *u);

/* acct_begin_locked(), then acct_find(): a flow's transaction and its account. */
enum acct_rc acct_lock_find(PGconn *db, const char *email, struct user *u);

/*
 * A flow's opening: the client's hit of scope s (acct_client_take()), the
 * transaction with email's lock, the account (acct_lock_find()). u is
 * zeroed first, so the caller may acct_user_release() it whatever this
 * returns.
 */
enum acct_rc acct_open(PGconn *db, const struct conf *c, const struct client *cl,
                       enum limit_scope s, const char *email, struct limit_hit *hit, struct user *u,
                       struct acct_out *o);

/* 1 when both hold the same stored hash (not secret, but compared as if it were). */
int acct_same_hash(const char *a, const char *b);

/*
 * A password check's last step begins (login and re-authentication): the
 * transaction with email's lock, and reservation *attempt ended (0 once
 * committed). ACCT_OK with the transaction open; ACCT_UNAVAILABLE when the
 * check outlived its reservation (committed, logged naming what: nothing may
 * be counted then); or a fault (none open).
 */
enum acct_rc acct_settle_begin(PGconn *db, const char *email, const char *what, int64_t *attempt);

/*
 * At a flow's end (its out: label): a flow that failed queued no mail, so
 * o->mail_id is 0 then; its transaction, if still open, is rolled back.
 */
void acct_end(PGconn *db, enum acct_rc ret, struct acct_out *o);

/*
 * A password check's first step, before any password work (login and
 * re-authentication): in a short transaction under the email's advisory
 * lock, reads the account into *u (u->id 0 for an unknown email), answers a
 * login lock, and reserves the check (limit_login_reserve()). With expect_id
 * > 0 the account must still be that one (else ACCT_BAD_TOKEN: it was
 * deleted). While the checks in progress for the email leave no room, it
 * commits, pauses (5 ms, doubling up to 50) and tries again: those end within
 * a hash each, giving their share back or locking. hit (NULL: none) is the
 * client's budget hit, given back on a lock and on giving up. Returns with
 * no transaction open: ACCT_OK and *attempt; ACCT_LIMITED (o filled);
 * ACCT_UNAVAILABLE after 30 s without room (logged naming what); or a fault.
 */
enum acct_rc acct_reserve_check(PGconn *db, const struct client *cl, const char *email,
                                int64_t expect_id, const char *what, struct limit_hit *hit,
                                struct user *u, int64_t *attempt, struct acct_out *o);

/*
 * A failed password check of email (user_id its account, 0 if none), inside
 * the transaction that settles it under the email's lock: counted towards
 * the login locks (limit_login_failed()), audited as a login_failure with
 * detail (a fixed text) and, when it locked, as lockout events, and logged.
 * Login and the re-authentication of reauth.h share it, so both count on
 * one lockout. DB_OK or a db_rc.
 */
int acct_login_failed(PGconn *db, const struct conf *c, const struct client *cl, const char *email,
                      int64_t user_id, const char *detail);

/*
 * Makes a new OTP for user id (replacing any earlier one) and queues its mail,
 * inside the open transaction. ACCT_OK and *mail_id, or a fault. A decoy does
 * the same work for an address that gets no code, storing and queuing
 * nothing, so that the time of the answer does not tell.
 */
enum acct_rc acct_new_otp(PGconn *db, const struct conf *c, int64_t id, const char *email,
                          int decoy, int64_t *mail_id);

/*
 * Makes a reset token for account u and queues the mail with its link,
 * inside the open transaction, if the reset-mail caps allow one more (else
 * nothing, and *mail_id stays 0). after_signup: the mail answers a second
 * sign-up of an unverified account. u NULL: a decoy for an address without
 * an account, the same work (caps read, token and mail made) with nothing
 * stored or queued. ACCT_OK or a fault.
 */
enum acct_rc acct_new_reset(PGconn *db, const struct conf *c, const struct user *u,
                            const char *email, int after_signup, int64_t *mail_id);

#endif
