/*
 * audit: the security events of the audit_events table (sql/002_hardening.sql):
 * what happened, to which account (user_id, email) when known, from which
 * client address and user agent (client.h), when. Never a password, code,
 * token or hash: an event holds only those fields and a fixed detail word.
 *
 * audit_write() runs on the caller's connection, so an event written inside
 * the transaction of the change it records commits or rolls back with it.
 * Rows older than AUDIT_RETENTION_DAYS are deleted by bin/medicalcare-prune.
 */
#ifndef MC_AUDIT_H
#define MC_AUDIT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "client.h"

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
};

/* The event's name in audit_events.event ("login_failure"); static. */
const char *audit_event_name(enum audit_event e);

/*
 * Writes one event: user_id (0 when unknown), email (normalized, or NULL),
 * cl (or NULL: no address or user agent), detail (a short fixed text, or
 * NULL). DB_OK or a db_rc (logged by db.h).
 */
int audit_write(PGconn *db, enum audit_event e, int64_t user_id, const char *email,
                const struct client *cl, const char *detail);

#endif
