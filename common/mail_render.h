/*
 * mail_render: the messages the service sends (a code, a reset link, a
 * password changed, an account deleted, a code confirming two-factor setup,
 * the notices of two-factor sign-in), rendered from their templates into a subject and
 * text and HTML bodies. User text (a name) goes in bodies only, HTML-escaped
 * in HTML; the code mail greets no one (docs/CONTRACT.md SU-5).
 */
#ifndef MC_MAIL_RENDER_H
#define MC_MAIL_RENDER_H

#include "buf.h"
#include "conf.h"

enum mail_kind {
	MAIL_OTP,
	MAIL_RESET,
	MAIL_PASSWORD_CHANGED,
	MAIL_ACCOUNT_DELETED,
	MAIL_MFA_SETUP,
	MAIL_MFA_ENABLED,
	MAIL_MFA_LOCKED,
	MAIL_MFA_RECOVERY_USED,
	MAIL_MFA_RECOVERY_CODES,
	MAIL_MFA_DISABLED,
};

struct mail_vars {
	const char *to; /* a validated, normalized address */
	/* The account's name for the greeting, or NULL: only a name the owner of
	 * the address set (a verified account's). MAIL_OTP never greets by name. */
	const char *full_name;
	const char *code; /* MAIL_OTP, MAIL_MFA_SETUP: the 6-digit code */
	const char *link; /* MAIL_RESET: FRONTEND_URL + "/reset-password?token=..." */
	/* MAIL_OTP, MAIL_RESET, MAIL_MFA_SETUP: how long the code or link lasts; the mail is
	 * dropped after it (other kinds: after OUTBOX_NOTICE_MINUTES). */
	int expire_minutes;
	int after_signup; /* MAIL_RESET: sent for a second sign-up of an unverified account */
	int codes_left;   /* MAIL_MFA_RECOVERY_USED: the recovery codes still unused */
	/* MAIL_MFA_RECOVERY_CODES, MAIL_MFA_DISABLED, MAIL_ACCOUNT_DELETED: a
	 * recovery code stood for the second factor, so the notice also says that
	 * and how many are left (codes_left: the new set's, or 0). */
	int recovery_used;
};

/* "otp", "reset", "password_changed", "account_deleted", "mfa_setup", "mfa_enabled",
 * "mfa_locked", "mfa_recovery_used", "mfa_recovery_codes", "mfa_disabled": the
 * outbox's kind column. */
const char *mail_kind_name(enum mail_kind k);

/*
 * Renders the subject and text and HTML bodies of kind for v. 0 and three
 * strings the caller frees, or -1.
 */
int mail_render(const struct conf *c, enum mail_kind kind, const struct mail_vars *v,
                char **subject, char **text, char **html);

/* APP_NAME, or "MedicalCare" when unset: static or borrowed from c. */
const char *mail_app_name(const struct conf *c);

/*
 * Appends s to b without its control characters (C0, DEL, C1), so no text
 * of a template or header can break a line. 0, or -1 when b is full.
 */
int mail_put_clean(struct buf *b, const char *s);

#endif
