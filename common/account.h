/*
 * account: the service's transactions, one function per endpoint, each one
 * transaction on the request's connection (account_signup.c: signup,
 * verify-otp, resend-otp; account_login.c; account_password.c: forgot and
 * reset; account_profile.c: tokens and the profile; acct.h: what they share;
 * account_self.h: the signed-in user's own name, password and deletion, with
 * reauth.h for the password typed again). They return an enum acct_rc; the
 * program in cgi-bin/ turns it into a response with http.h.
 *
 * Every email-keyed transaction first takes the address's advisory lock, so
 * two requests for one address run one after the other (two simultaneous
 * signups make one account, and the per-account limits are checked and
 * counted as one step). No password is hashed in a transaction or under a
 * lock: signup hashes before its transaction; login reserves its check in
 * one short transaction, hashes with none open, and settles in a second
 * (limit.h), checking again when a reset changed the hash meanwhile;
 * reset-password reads its token, hashes, then stores the hash in a
 * transaction that finds the token still live. Mail is queued in the transaction and its outbox id
 * returned in acct_out.mail_id: the program delivers it after its answer
 * (app.h), so no answer waits for a mail server and the time of an answer
 * does not tell whether mail went out; a failed delivery stays queued.
 *
 * Each takes the request's client (client.h; NULL when there is none, as for
 * a tool): its budget key meets the per-address limits (limit.h) before any
 * work, and it goes into the audit events (audit.h) that each one writes in
 * its transaction: signup (detail "new", "already registered", "double
 * submit", "unverified, codes ended"), otp_verified, login_success,
 * login_failure, lockout ("this address", "every address"), reset_requested
 * ("no account" for an address without one, "second signup"),
 * reset_completed, token_rejected, client_limited, password_changed,
 * account_deleted. A per-address limit
 * answers ACCT_LIMITED before the per-account rules.
 */
#ifndef MC_ACCOUNT_H
#define MC_ACCOUNT_H

#include <libpq-fe.h>
#include <stdint.h>
#include <time.h>

#include "client.h"
#include "conf.h"
#include "jwt.h"
#include "req.h"
#include "session.h"
#include "validate.h"

/*
 * forgot-password and resend-otp answer no sooner than this many
 * milliseconds after the request began (app_answer_not_before()), whatever
 * the address: with the decoy work an address without mail gets, it hides
 * what writing a token, a code and a mail costs.
 */
#define ACCT_SAME_TIME_MS 100

/* Seconds an mfa_token (login with MFA on, for mfa/verify) lasts. */
#define MFA_TOKEN_SECONDS 300

enum acct_rc {
	ACCT_OK = 0,
	ACCT_EMAIL_TAKEN,      /* signup: an account has the address (409) */
	ACCT_LIMITED,          /* a mail cap, login lock or per-address limit (429, retry_after) */
	ACCT_BAD_OTP,          /* verify-otp: wrong, expired, spent, dead, unknown email (400) */
	ACCT_ALREADY_VERIFIED, /* verify-otp (400) */
	ACCT_BAD_LOGIN,        /* login: unknown email or wrong password (401) */
	ACCT_NOT_VERIFIED,     /* login: right password, unverified (403) */
	ACCT_BAD_RESET_TOKEN,  /* reset-password: unknown, expired or used token (400) */
	ACCT_WEAK_PASSWORD,    /* reset-password: fails with the user's words (422, errs) */
	ACCT_BAD_TOKEN, /* profile: invalid, expired or revoked token, or no such user (401) */
	ACCT_BAD_PASSWORD, /* change-password, delete-account: the password typed again is wrong (400) */
	ACCT_BAD_REFRESH_TOKEN, /* refresh: unknown, spent, revoked, ended (401) */
	ACCT_SESSION_NOT_FOUND, /* DELETE /user/sessions/{id}: not a live session of the user (404) */
	ACCT_MFA_ON,        /* mfa/setup, mfa/enable: two-factor sign-in is already enabled (409) */
	ACCT_BAD_CODE,      /* a wrong, spent or malformed TOTP or emailed code (400) */
	ACCT_MFA_REQUIRED,  /* login: right password, MFA on: o->mfa_token (200, no session) */
	ACCT_BAD_MFA_TOKEN, /* mfa/verify: a dead, unknown or used mfa_token (401) */
	ACCT_MFA_OFF,       /* mfa/recovery-codes, mfa/disable: two-factor sign-in is off (400) */
	ACCT_UNAVAILABLE,   /* database unreachable (503) */
	ACCT_ERROR,         /* anything else (500, logged) */
};

struct acct_out {
	long retry_after;             /* ACCT_LIMITED: seconds */
	const char *limit_detail;     /* ACCT_LIMITED: the 429 message (static) */
	struct session_tokens tokens; /* verify, login: the token answer of the new session */
	int64_t mail_id;              /* a queued mail to deliver after the answer, 0 if none */
	struct ferrs errs;            /* ACCT_WEAK_PASSWORD */
	/* profile */
	int64_t id;
	char *full_name;
	char *email;
	int is_verified;
	/* ACCT_MFA_REQUIRED: the mfa_token for mfa/verify, "" if none */
	char mfa_token[TOKEN_RESET_LEN + 1];
};

void acct_out_release(struct acct_out *o);

/*
 * POST /auth/signup: ACCT_OK (a new account and its code mail), ACCT_EMAIL_TAKEN
 * for any address that has an account (docs/CONTRACT.md SU-2: a verified one or one made
 * within 60 s changes nothing; an older unverified one loses its code for good
 * and the address is mailed a reset link, within the reset-mail caps),
 * ACCT_LIMITED, ACCT_UNAVAILABLE, ACCT_ERROR. o->mail_id with either.
 */
enum acct_rc account_signup(PGconn *db, const struct conf *c, const struct client *cl,
                            const struct signup_req *r, struct acct_out *o);

/*
 * POST /auth/verify-otp: ACCT_OK (o->tokens: a new session, session.h), ACCT_BAD_OTP,
 * ACCT_ALREADY_VERIFIED, ACCT_LIMITED (the address failed too often), faults.
 */
enum acct_rc account_verify_otp(PGconn *db, const struct conf *c, const struct client *cl,
                                const struct verify_req *r, time_t now, struct acct_out *o);

/*
 * POST /auth/resend-otp: ACCT_OK (also for an unknown or verified address, or
 * an account whose codes a second sign-up ended: nothing sent), ACCT_LIMITED,
 * faults.
 */
enum acct_rc account_resend_otp(PGconn *db, const struct conf *c, const struct client *cl,
                                const struct email_req *r, struct acct_out *o);

/*
 * POST /auth/login: ACCT_OK (o->tokens: a new session, session.h),
 * ACCT_MFA_REQUIRED for the right password of an account with two-factor
 * sign-in on (o->mfa_token: mfa_check.h; no session, nothing counted),
 * ACCT_BAD_LOGIN,
 * ACCT_NOT_VERIFIED, ACCT_LIMITED (the client's address, or a login lock:
 * limit.h), faults; also ACCT_UNAVAILABLE when the checks in progress for
 * the email left no room for 30 s, when its own check outlived its
 * reservation, or when the password changed under 3 checks in a row.
 */
enum acct_rc account_login(PGconn *db, const struct conf *c, const struct client *cl,
                           const struct login_req *r, time_t now, struct acct_out *o);

/*
 * POST /auth/forgot-password: ACCT_OK whatever the address (mail only to
 * accounts, within the reset-mail caps), ACCT_LIMITED (per-address limit
 * only), faults.
 */
enum acct_rc account_forgot_password(PGconn *db, const struct conf *c, const struct client *cl,
                                     const struct email_req *r, struct acct_out *o);

/*
 * POST /auth/reset-password: ACCT_OK, ACCT_BAD_RESET_TOKEN (also when a
 * concurrent reset spent the token while this one hashed), ACCT_WEAK_PASSWORD,
 * faults.
 */
enum acct_rc account_reset_password(PGconn *db, const struct conf *c, const struct client *cl,
                                    const struct reset_req *r, struct acct_out *o);

/* What an access token that passed account_check_token() says. */
struct acct_token {
	int64_t user_id;
	int64_t iat;
	char sid[JWT_ID_MAX + 1]; /* its session, "" for a token without one */
};

/*
 * Checks an access token (signature, algorithm, expiry) without the database.
 * ACCT_OK with *t, or ACCT_BAD_TOKEN with *why (static: "token expired", ...;
 * also logged), or ACCT_ERROR.
 */
enum acct_rc account_check_token(const struct conf *c, const char *token, time_t now,
                                 struct acct_token *t, const char **why);

/*
 * Records a token_rejected event (user_id 0 when unknown, why from
 * account_check_token()) on its own; a failure is only logged, so the 401
 * stays a 401.
 */
void account_token_rejected(PGconn *db, const struct conf *c, const struct client *cl,
                            int64_t user_id, const char *why);

/*
 * GET /user/profile for a checked token: ACCT_OK (id, full_name, email,
 * is_verified), ACCT_BAD_TOKEN (revoked, its session ended, a token without
 * sid when LEGACY_TOKENS_UNTIL is not in the future or the account has
 * two-factor sign-in on, or user gone: a
 * token_rejected event is recorded), faults. One query reads the account
 * and whether the token's session is live (docs/CONTRACT.md SE-5).
 */
enum acct_rc account_profile(PGconn *db, const struct conf *c, const struct client *cl,
                             const struct acct_token *t, time_t now, struct acct_out *o);

/* GET /health: ACCT_OK or ACCT_UNAVAILABLE. */
enum acct_rc account_ping(PGconn *db);

#endif
