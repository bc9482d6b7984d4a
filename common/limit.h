/*
 * limit: the per-account limits of CONTRACT.md, kept in PostgreSQL so every
 * web server in front of one database shares them.
 *
 * Mail caps count the rows of mail_outbox (queued is sent, for the count);
 * login lockout counts failures per normalized email in login_failures,
 * whether or not an account exists. Call these inside the transaction that
 * holds the email's advisory lock (ST_LOCK_EMAIL) so concurrent requests for
 * one address are counted one after another.
 */
#ifndef MC_LIMIT_H
#define MC_LIMIT_H

#include <libpq-fe.h>

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

#endif
