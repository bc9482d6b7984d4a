/*
 * account_session: the flows of sessions (docs/CONTRACT.md SE-6 to SE-11):
 * refresh with rotation and reuse detection, logout, the list of a user's
 * sessions and revoking one. Each is one transaction on the request's
 * connection and returns an enum acct_rc (account.h); the programs
 * refresh.cgi, logout.cgi and sessions.cgi turn it into a response.
 *
 * Refreshes of one token run one after the other: the token's row and its
 * session's are locked (FOR UPDATE) until commit. So of simultaneous
 * refreshes one spends the token and the others find it spent a moment ago:
 * within REFRESH_REUSE_SECONDS they get the session's current refresh token
 * (session.h derives it again from the spent one) and a new access token, so
 * the session stays one; a logout meanwhile waits for the refresh and then
 * ends the session, new tokens included.
 */
#ifndef MC_ACCOUNT_SESSION_H
#define MC_ACCOUNT_SESSION_H

#include <libpq-fe.h>
#include <stddef.h>
#include <time.h>

#include "account.h"
#include "client.h"
#include "conf.h"

/*
 * POST /auth/refresh: ACCT_OK (o->tokens: a new access token and the
 * successor; or, for a token spent within REFRESH_REUSE_SECONDS, the
 * session's current refresh token), ACCT_BAD_REFRESH_TOKEN (unknown, spent
 * too long ago, which revokes its session with a refresh_reused event, or of
 * a session revoked, idle or too old), faults.
 */
enum acct_rc account_refresh(PGconn *db, const struct conf *c, const struct client *cl,
                             const char *refresh_token, time_t now, struct acct_out *o);

/*
 * POST /auth/logout: t (NULL: none) a bearer token account_check_token()
 * accepted, refresh_token (NULL: none) as sent. Ends t's session and
 * refresh_token's session; with everywhere, or for a t without sid, every
 * session of the user and every access token issued until now (the
 * account's revocation point). A logout event is recorded when something
 * ended. ACCT_OK whatever was already dead (RFC 7009), or a fault.
 */
enum acct_rc account_logout(PGconn *db, const struct conf *c, const struct client *cl,
                            const struct acct_token *t, const char *refresh_token, int everywhere);

/* One live session of the list; strings owned (acct_sessions_release()). */
struct acct_session {
	char *id;
	char *created_at;   /* ISO 8601 UTC */
	char *last_used_at; /* ISO 8601 UTC */
	char *user_agent;   /* NULL when unknown */
	char *ip;           /* NULL when unknown */
	int current;        /* the session of the token used */
};
struct acct_sessions {
	struct acct_session *v;
	size_t n;
};
void acct_sessions_release(struct acct_sessions *s);

/*
 * GET /user/sessions for a token that account_profile() accepted: ACCT_OK
 * and *out (newest first; the caller acct_sessions_release()s it), or a
 * fault.
 */
enum acct_rc account_sessions(PGconn *db, const struct conf *c, const struct acct_token *t,
                              struct acct_sessions *out);

/*
 * DELETE /user/sessions/{id} for a token that account_profile() accepted:
 * ACCT_OK (ended, with a session_revoked event), ACCT_SESSION_NOT_FOUND (not
 * a live session of the user), or a fault.
 */
enum acct_rc account_session_revoke(PGconn *db, const struct conf *c, const struct client *cl,
                                    const struct acct_token *t, const char *id);

#endif
