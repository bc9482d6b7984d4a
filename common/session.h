/*
 * session: sign-in sessions and the token answer (docs/CONTRACT.md SE-1 to
 * SE-4). A session is a row of sessions (sql/006_sessions.sql); every access
 * token names it in its sid claim and carries a random jti; its refresh
 * tokens are stored only as their SHA-256, each good for one use. This
 * module makes sessions and their tokens; the flows that use them (refresh,
 * logout, the list) are account_session.h.
 *
 * A refresh token's successor is not drawn at random but derived from it:
 * HMAC-SHA256 under a key derived from JWT_SECRET_KEY, as base64url text. So
 * the holder of a token spent a moment ago can be given the session's
 * current one again (the reuse window, SE-6) although only digests are
 * stored; without the server's key nobody can tell a successor from random
 * bytes. A session's first token is 32 CSPRNG bytes.
 */
#ifndef MC_SESSION_H
#define MC_SESSION_H

#include <libpq-fe.h>
#include <stdint.h>
#include <time.h>

#include "client.h"
#include "conf.h"
#include "token.h"

#define SESSION_ID_BYTES 16                 /* sid and jti: 128 bits */
#define SESSION_ID_LEN 22                   /* their base64url text, no padding */
#define SESSION_REFRESH_LEN TOKEN_RESET_LEN /* 32 bytes as base64url: 43 characters */

/*
 * The token answer: {"access_token", "token_type": "bearer", "expires_in",
 * "refresh_token"} (respond_token()). Zeroed means empty;
 * session_tokens_release() wipes and frees it.
 */
struct session_tokens {
	char *access_token;                          /* owned */
	char refresh_token[SESSION_REFRESH_LEN + 1]; /* "" when none */
	int expires_in;                              /* seconds: JWT_EXPIRE_MINUTES * 60 */
	char sid[SESSION_ID_LEN + 1];                /* the session's id */
};

/* Wipes and frees t's tokens, and zeroes it. */
void session_tokens_release(struct session_tokens *t);

/*
 * Starts a session for account user_id (email: its address, for the token's
 * email claim; token_min_iat: the account's revocation point) and fills *out
 * with its token answer. started: the session's start time in seconds since
 * the epoch, which SESSION_MAX_MINUTES counts from; 0 for now. A
 * change-password passes the start of the session it replaces, so that a new
 * password never extends a session's life. cl (or NULL) gives the session's
 * user agent and client address.
 *
 * Runs one statement on db (the session and its first refresh token
 * together): inside the caller's transaction when one is open, so it commits
 * or rolls back with the change that opens the session. DB_OK (db.h) and
 * *out (the caller session_tokens_release()s it, whatever this returns), or
 * a db_rc: DB_ERROR also when a token could not be made or signed (logged).
 */
int session_start(PGconn *db, const struct conf *c, const struct client *cl, int64_t user_id,
                  const char *email, int64_t token_min_iat, int64_t started, time_t now,
                  struct session_tokens *out);

/*
 * Signs an access token of session sid ("" for none) for user_id, with a
 * fresh jti, iat = max(now, token_min_iat) and exp = iat + JWT_EXPIRE_MINUTES.
 * 0 and *out (the caller frees it), or -1 (logged).
 */
int session_sign(const struct conf *c, int64_t user_id, const char *email, int64_t token_min_iat,
                 const char *sid, time_t now, char **out);

/*
 * The successor of refresh token tok (see above) into out[SESSION_REFRESH_LEN + 1].
 * 0, or -1 (logged).
 */
int session_successor(const struct conf *c, const char *tok, char out[SESSION_REFRESH_LEN + 1]);

/* The lower-case hex of the SHA-256 of refresh token tok (its stored digest) into out[65]. */
void session_refresh_digest(const char *tok, char out[2 * TOKEN_DIGEST_LEN + 1]);

/*
 * 1 if a refresh token as sent looks like one of ours (43 base64url
 * characters), else 0: anything else is unknown without a query.
 */
int session_refresh_well_formed(const char *tok);

/*
 * 1 if an access token without sid is accepted at now: LEGACY_TOKENS_UNTIL
 * is set and later than now; else 0.
 */
int session_legacy_ok(const struct conf *c, time_t now);

#endif
