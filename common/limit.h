/*
 * limit: the per-account limits of CONTRACT.md, kept in PostgreSQL so every
 * web server in front of one database shares them.
 *
 * Mail caps count the rows of mail_outbox (queued is sent, for the count);
 * login lockout counts failures per normalized email in login_failures,
 * whether or not an account exists. Call these inside the transaction that
 * holds the email's advisory lock (ST_LOCK_EMAIL) so concurrent requests for
 * one address are counted one after another.
 *
 * Per client address (client.h), on top of those: a fixed window of
 * CLIENT_LIMIT_WINDOW seconds per scope and address, with at most
 * CLIENT_LIMIT_<SCOPE> hits in it (0: no limit). Signup, resend-otp and
 * forgot-password count requests (limit_client_take(): check and count in
 * one statement); login and verify-otp count failures, checked before any
 * work (limit_client_check()) and counted after (limit_client_fail()), so
 * concurrent failures from one address may overshoot by the requests in
 * flight. A request without a known address has no per-address limit.
 */
#ifndef MC_LIMIT_H
#define MC_LIMIT_H

#include <libpq-fe.h>

#include "conf.h"

#define LIMIT_OTP_MAIL_GAP 60      /* seconds between two OTP mails to one address */
#define LIMIT_OTP_MAIL_HOUR_MAX 5  /* OTP mails to one address per hour */
#define LIMIT_RESET_MAIL_GAP 60    /* seconds between two reset mails to one address */
#define LIMIT_LOGIN_MAX_FAILURES 5 /* failures within the window that lock */
#define LIMIT_LOGIN_WINDOW 900     /* seconds */
#define LIMIT_LOGIN_LOCK 900       /* seconds */

/*
 * Whether one more mail of kind ("otp", "reset") to email fits: at most one
 * per gap seconds and, if hour_max > 0, hour_max per hour. Returns 0 if it
 * fits, 1 if not (with *retry_after seconds, >= 1), or a db_rc (< 0).
 */
int limit_mail(PGconn *db, const char *kind, const char *email, int gap, int hour_max,
               long *retry_after);

/* 1 if logins for email are locked (with *retry_after), 0 if not, or a db_rc. */
int limit_login_locked(PGconn *db, const char *email, long *retry_after);

/* Records a failed login; *locked = 1 if this failure started a lock. DB_OK or a db_rc. */
int limit_login_failed(PGconn *db, const char *email, int *locked);

/* Forgets the failures of email (a success, or a password reset). DB_OK or a db_rc. */
int limit_login_clear(PGconn *db, const char *email);

enum limit_scope {
	LIMIT_SCOPE_LOGIN,      /* failed logins */
	LIMIT_SCOPE_SIGNUP,     /* sign-ups */
	LIMIT_SCOPE_VERIFY_OTP, /* failed code verifications */
	LIMIT_SCOPE_RESEND_OTP, /* resend-otp requests */
	LIMIT_SCOPE_FORGOT,     /* forgot-password requests */
};

/* The scope's name in client_limits.scope ("verify_otp"); static. */
const char *limit_scope_name(enum limit_scope s);

/*
 * Whether address addr is at its budget for scope s, without counting: 1
 * (with *retry_after, the seconds to the window's end, >= 1), 0, or a db_rc.
 * 0 when addr is NULL or empty or the scope's limit is 0.
 */
int limit_client_check(PGconn *db, const struct conf *c, enum limit_scope s, const char *addr,
                       long *retry_after);

/*
 * Counts one request of addr for scope s if it fits the budget: 0 (counted;
 * *reached = 1 when it took the last one), 1 refused and nothing counted
 * (*retry_after as above), or a db_rc. 0 without counting when there is no
 * limit (see limit_client_check()).
 */
int limit_client_take(PGconn *db, const struct conf *c, enum limit_scope s, const char *addr,
                      long *retry_after, int *reached);

/*
 * Counts one failure of addr for scope s: DB_OK (*reached = 1 when this one
 * reached the budget), or a db_rc. DB_OK without counting when there is no limit.
 */
int limit_client_fail(PGconn *db, const struct conf *c, enum limit_scope s, const char *addr,
                      int *reached);

#endif
