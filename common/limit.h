/*
 * limit: the limits of docs/CONTRACT.md (SU-6, PW-2, LI-4 to LI-6, CL-1 to CL-3), kept in PostgreSQL so every web server in
 * front of one database shares them. Each is checked and counted in one
 * atomic step, so N concurrent requests against a budget of B let exactly B
 * through.
 *
 * Per account (call these inside the transaction that holds the email's
 * advisory lock, ST_LOCK_EMAIL, so requests for one address are counted one
 * after another):
 *   - mail caps count the rows of mail_outbox (queued counts as sent): code
 *     mails 1 per 60 s and 5 per hour, reset mails 1 per 60 s and 5 per 24 h;
 *   - login locks: 5 failures for one email from one client (its budget key,
 *     client.h, or "" for a request without an address) within 15 minutes
 *     lock that email for that client for 15 minutes; 100 failures for one
 *     email within an hour from anywhere lock it for 15 minutes for every
 *     client except those the account signed in from within 30 days. The
 *     counts are kept per normalized email whether or not an account exists.
 *   - the password check of a login is reserved before it runs
 *     (limit_login_reserve()) and settled after (limit_login_unreserve(), then
 *     limit_login_failed() or limit_login_succeeded()), each in a short
 *     transaction of its own, so that no hash runs in a transaction or under
 *     a lock. Until settled, a reservation counts against both failure
 *     budgets as a failure would: of N logins at once for one email from one
 *     client with F failures so far, at most 5 - F check a password, and a
 *     reservation that does not fit waits for those in progress to settle
 *     (a right password gives its share back, a wrong one locks at the 5th).
 *     A reservation lives LIMIT_LOGIN_ATTEMPT_TTL seconds: one its process
 *     did not settle by then (it died) counts no more, and one settled later
 *     counts nothing (the login answers 503).
 *
 * Per client address, on top of those: a fixed window of CLIENT_LIMIT_WINDOW
 * seconds per scope and budget key, with at most CLIENT_LIMIT_<SCOPE> hits in
 * it (0: no limit). Every scope takes its hit before any work, in one
 * statement (limit_client_take()); login and verify-otp, which count
 * failures, give it back when the request turned out not to be one
 * (limit_client_give_back()). A request without a known address has no
 * per-address limit.
 */
#ifndef MC_LIMIT_H
#define MC_LIMIT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "conf.h"

#define LIMIT_OTP_MAIL_GAP 60         /* seconds between two code mails to one address */
#define LIMIT_OTP_MAIL_WINDOW 3600    /* seconds */
#define LIMIT_OTP_MAIL_MAX 5          /* code mails to one address per window */
#define LIMIT_RESET_MAIL_GAP 60       /* seconds between two reset mails to one address */
#define LIMIT_RESET_MAIL_WINDOW 86400 /* seconds */
#define LIMIT_RESET_MAIL_MAX 5        /* reset mails to one address per window */

#define LIMIT_LOGIN_MAX_FAILURES 5         /* failures of one email from one client that lock */
#define LIMIT_LOGIN_WINDOW 900             /* seconds */
#define LIMIT_LOGIN_LOCK 900               /* seconds */
#define LIMIT_LOGIN_EMAIL_MAX_FAILURES 100 /* failures of one email from anywhere that lock */
#define LIMIT_LOGIN_EMAIL_WINDOW 3600      /* seconds */
#define LIMIT_LOGIN_EMAIL_LOCK 900         /* seconds */
#define LIMIT_LOGIN_KNOWN_DAYS 30          /* a client stays known this long after a sign-in */
#define LIMIT_LOGIN_ATTEMPT_TTL 60         /* seconds a reserved password check counts */

/*
 * Whether one more code mail (limit_otp_mail) or reset mail
 * (limit_reset_mail) to email fits its caps. 0 if it fits, 1 if not (with
 * *retry_after seconds, >= 1), or a db_rc (< 0).
 */
int limit_otp_mail(PGconn *db, const char *email, long *retry_after);
int limit_reset_mail(PGconn *db, const char *email, long *retry_after);
/* The same for the code mail of a two-factor setup: the code mail's caps, counted apart. */
int limit_mfa_mail(PGconn *db, const char *email, long *retry_after);

/*
 * Whether logins for email from client are locked: by that client's own
 * failures, or by the email-wide lock unless client is a known client of
 * account user_id (0: no account). 1 (with *retry_after, >= 1), 0, or a db_rc.
 */
int limit_login_locked(PGconn *db, const char *email, const char *client, int64_t user_id,
                       long *retry_after);

#define LIMIT_LOCKED_CLIENT 1 /* this failure locked the email for its client */
#define LIMIT_LOCKED_EMAIL 2  /* this failure locked the email for every other client */

/* Counts a failed login; *locked gets LIMIT_LOCKED_* bits for locks it started. DB_OK or a db_rc. */
int limit_login_failed(PGconn *db, const char *email, const char *client, int *locked);

/*
 * A right password from client: forgets the failures of email from client
 * and, for an account (user_id > 0) and a known client, records client as
 * one the account signs in from. DB_OK or a db_rc.
 */
int limit_login_succeeded(PGconn *db, const char *email, const char *client, int64_t user_id);

/*
 * Reserves one password check of email from client (user_id: its account, 0
 * if none), inside the transaction that holds the email's advisory lock and
 * after limit_login_locked() said 0: 0 reserved (*attempt, to settle), 1 it
 * does not fit the failure budgets because of checks in progress (commit,
 * wait, try again), or a db_rc.
 */
int limit_login_reserve(PGconn *db, const char *email, const char *client, int64_t user_id,
                        int64_t *attempt);

/*
 * Ends reservation attempt (0: none, nothing done): 1 when it was live, so
 * its result counts; 0 when it outlived LIMIT_LOGIN_ATTEMPT_TTL or is gone;
 * or a db_rc. Inside the settling transaction, under the email's lock (or on
 * its own to give up a check that never ran).
 */
int limit_login_unreserve(PGconn *db, int64_t attempt);

/* Forgets every failure and lock of email (a password reset). DB_OK or a db_rc. */
int limit_login_clear(PGconn *db, const char *email);

enum limit_scope {
	LIMIT_SCOPE_LOGIN,      /* failed logins */
	LIMIT_SCOPE_SIGNUP,     /* sign-ups */
	LIMIT_SCOPE_VERIFY_OTP, /* failed code verifications */
	LIMIT_SCOPE_RESEND_OTP, /* resend-otp requests */
	LIMIT_SCOPE_FORGOT,     /* forgot-password requests */
	LIMIT_SCOPE_COUNT       /* the number of scopes, not one */
};

/* The scope's name in client_limits.scope ("verify_otp"); static. */
const char *limit_scope_name(enum limit_scope s);
/* The detail of the 429 when the client's budget of scope s is spent; static. */
const char *limit_scope_detail(enum limit_scope s);

/* A hit taken by limit_client_take(), to give back. */
struct limit_hit {
	int taken;             /* 1 when a hit was counted */
	char window_start[48]; /* the window it was counted in (PostgreSQL's text) */
};

/*
 * Counts one hit of client key for scope s if it fits the budget, in one
 * statement: 0 (counted, *hit filled; *reached = 1 when it took the last
 * one), 1 refused and nothing counted (*retry_after, the seconds to the
 * window's end, >= 1), or a db_rc. 0 with nothing counted when key is NULL or
 * empty or the scope's limit is 0.
 */
int limit_client_take(PGconn *db, const struct conf *c, enum limit_scope s, const char *key,
                      struct limit_hit *hit, long *retry_after, int *reached);

/*
 * Gives back a hit taken by limit_client_take() (a request that was not a
 * failure), if its window is still the current one. DB_OK (also when there
 * was nothing to give back) or a db_rc.
 */
int limit_client_give_back(PGconn *db, enum limit_scope s, const char *key, struct limit_hit *hit);

#endif
