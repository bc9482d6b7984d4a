/*
 * audit: the security events of the audit_events table (sql/002_hardening.sql):
 * what happened, to which account (user_id, email) when known, from which
 * client address and user agent (client.h), when. Never a password, code,
 * token or hash: an event holds only those fields and a fixed detail word.
 *
 * audit_write() runs on the caller's connection, so an event written inside
 * the transaction of the change it records commits or rolls back with it.
 * Rows older than AUDIT_RETENTION_DAYS are deleted by bin/medicalcare-prune.
 *
 * An address is written as typed only with the account it belongs to; an
 * address that has no account (a mistyped or guessed login, someone else's
 * address at forgot-password) is kept only as its keyed hash (email_hmac:
 * HMAC-SHA256 under conf_keys()->audit, lower-case hex), enough to correlate
 * attempts and never the address itself.
 */
#ifndef MC_AUDIT_H
#define MC_AUDIT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "client.h"
#include "conf.h"

enum audit_event {
	AUDIT_SIGNUP,          /* an account made or signed up again; a code mailed */
	AUDIT_OTP_VERIFIED,    /* an account verified by its code */
	AUDIT_LOGIN_SUCCESS,   /* a right password of a verified account */
	AUDIT_LOGIN_FAILURE,   /* wrong password, unknown email, or unverified */
	AUDIT_LOCKOUT,         /* a failure that locked logins for an email */
	AUDIT_RESET_REQUESTED, /* a reset link made and mailed */
	AUDIT_RESET_COMPLETED, /* a password changed by a reset link */
	AUDIT_TOKEN_REJECTED,  /* an access token refused (bad, expired, revoked, user gone) */
	AUDIT_CLIENT_LIMITED,  /* a client address reached a per-address limit */
	AUDIT_OTP_REQUESTED, /* resend-otp: a new code mailed, or none ("no account", "none due") */
	AUDIT_PASSWORD_CHANGED, /* change-password: the owner chose a new password */
	AUDIT_ACCOUNT_DELETED,  /* delete-account: the account and what it owned went */
	AUDIT_LOGOUT,           /* logout: a session ended ("this session", "everywhere") */
	AUDIT_SESSION_REVOKED,  /* DELETE /user/sessions/{id}: the owner ended one */
	AUDIT_REFRESH_REUSED,   /* a spent refresh token came again too late: its session ended */
	AUDIT_MFA_SETUP,        /* mfa/setup: a pending two-factor secret made, its code mailed */
	AUDIT_MFA_ENABLED,      /* mfa/enable: two-factor sign-in turned on */
	AUDIT_MFA_FAILURE,  /* a wrong second-factor code ("email code" for setup's mailed one) */
	AUDIT_MFA_LOCKOUT,  /* the failure that locked an account's second factor */
	AUDIT_MFA_VERIFIED, /* mfa/verify: the second factor passed, a session started */
	AUDIT_MFA_RECOVERY_USED,  /* a recovery code spent in place of a TOTP code */
	AUDIT_MFA_RECOVERY_CODES, /* mfa/recovery-codes: a new set replaced the old one */
	AUDIT_MFA_DISABLED,       /* mfa/disable: two-factor sign-in turned off */
};

/* The event's name in audit_events.event ("login_failure"); static. */
const char *audit_event_name(enum audit_event e);

#define AUDIT_HMAC_HEX 65 /* 64 hex digits and a NUL */

/* Writes the keyed hash of a normalized email into out. 0, or -1. */
int audit_email_hmac(const struct conf *c, const char *email, char out[AUDIT_HMAC_HEX]);

/*
 * Writes one event: user_id (0 when there is no account), email (normalized,
 * or NULL: written as typed when user_id > 0, else as its keyed hash), cl (or
 * NULL: no address or user agent), detail (a short fixed text, or NULL).
 * DB_OK or a db_rc (logged by db.h).
 */
int audit_write(PGconn *db, const struct conf *c, enum audit_event e, int64_t user_id,
                const char *email, const struct client *cl, const char *detail);

#endif
