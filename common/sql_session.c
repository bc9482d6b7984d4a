/* sql_session: the statements of sessions, refresh tokens and the access token's check (a part of the sql module, sql.h). */
#include "sql.h"

const struct sql_def sql_part_session[ST__COUNT] = {
    /* change-password: the start of session $1 of user $2, whatever its state
	 * (the caller's new session keeps it). -> Unix seconds, no row when gone */
    [ST_SESSION_STARTED] = {"session_started",
                            "SELECT floor(extract(epoch FROM created_at))::bigint FROM sessions"
                            " WHERE id = $1::text AND user_id = $2::bigint",
                            2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* Sessions (session.h, account_session.h). A session is live while
	 * not revoked, used within SESSION_IDLE_MINUTES and started within
	 * SESSION_MAX_MINUTES: the statements that need it take those minutes. */
    /* The account of an access token and, in the same round trip, whether
	 * its session is live: $1 user id, $2 sid ('' for a token without one),
	 * $3 whether a token without sid is accepted (LEGACY_TOKENS_UNTIL; never
	 * for an account with two-factor sign-in on: it was issued without the
	 * second factor), $4 idle minutes, $5 most minutes. -> enum user_by_token_col */
    [ST_USER_BY_TOKEN] =
        {"user_by_token",
         "SELECT u.id, u.full_name, u.email, u.is_verified, u.token_min_iat,"
         " CASE WHEN $2::text = '' THEN $3::boolean AND NOT EXISTS (SELECT 1 FROM user_mfa m"
         " WHERE m.user_id = u.id AND m.enabled_at IS NOT NULL)"
         " ELSE EXISTS (SELECT 1 FROM sessions s"
         " WHERE s.id = $2::text AND s.user_id = u.id AND"
         " s.revoked_at IS NULL AND s.last_used_at > now() - make_interval(mins => $4::int)"
         " AND s.created_at > now() - make_interval(mins => $5::int)) END"
         " FROM users u WHERE u.id = $1::bigint",
         5, PGRES_TUPLES_OK, UBT__NCOLS},

    /* A new session and its first refresh token, in one statement: $1 sid,
	 * $2 user id, $3 its start (Unix seconds; NULL: now), $4 user agent and
	 * $5 client address (each NULL when unknown), $6 the token's SHA-256 hex.
	 * -> the session's id */
    [ST_SESSION_START] =
        {"session_start",
         "WITH s AS (INSERT INTO sessions (id, user_id, created_at, user_agent, client_address)"
         " VALUES ($1::text, $2::bigint, coalesce(to_timestamp($3::bigint), now()),"
         " left($4::text, 256), $5::inet) RETURNING id)"
         " INSERT INTO refresh_tokens (session_id, user_id, token_hash)"
         " SELECT id, $2::bigint, decode($6::text, 'hex') FROM s RETURNING session_id",
         6, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* Revokes session $1 of user $2 if it is live ($3 idle, $4 most minutes).
	 * -> its id, no row when it was not a live session of that user */
    [ST_SESSION_REVOKE] =
        {"session_revoke",
         "UPDATE sessions s SET revoked_at = now() WHERE s.id = $1::text AND s.user_id = $2::bigint"
         " AND s.revoked_at IS NULL AND s.last_used_at > now() - make_interval(mins => $3::int)"
         " AND s.created_at > now() - make_interval(mins => $4::int) RETURNING s.id",
         4, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* Revokes every session of user $1; with $2 true, also every access
	 * token issued until now (token_min_iat, as a reset does). */
    [ST_SESSION_END_ALL] = {"session_end_all",
                            "WITH s AS (UPDATE sessions SET revoked_at = now()"
                            " WHERE user_id = $1::bigint AND revoked_at IS NULL)"
                            " UPDATE users SET token_min_iat = GREATEST(token_min_iat,"
                            " floor(extract(epoch FROM clock_timestamp()))::bigint + 1)"
                            " WHERE id = $1::bigint AND $2::boolean",
                            2, PGRES_COMMAND_OK, 0},

    /* The live sessions of user $1 ($2 idle, $3 most minutes), newest first.
	 * -> enum session_list_col */
    [ST_SESSION_LIST] =
        {"session_list",
         "SELECT s.id, to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
         " to_char(s.last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
         " s.user_agent, host(s.client_address) FROM sessions s WHERE s.user_id = $1::bigint AND"
         " s.revoked_at IS NULL AND s.last_used_at > now() - make_interval(mins => $2::int)"
         " AND s.created_at > now() - make_interval(mins => $3::int) ORDER BY s.created_at DESC, s.id",
         3, PGRES_TUPLES_OK, SL__NCOLS},

    /* The refresh token of SHA-256 $1 (hex), its row and its session's
	 * locked until commit, so that refreshes of one token run one after the
	 * other ($2 idle, $3 most minutes). -> enum refresh_find_col */
    [ST_REFRESH_FIND] =
        {"refresh_find",
         "SELECT r.id, r.session_id, r.user_id, u.email, u.token_min_iat, r.spent_at IS NOT NULL,"
         " coalesce(extract(epoch FROM clock_timestamp() - r.spent_at), 0)::float8,"
         " s.revoked_at IS NULL AND s.last_used_at > now() - make_interval(mins => $2::int)"
         " AND s.created_at > now() - make_interval(mins => $3::int)"
         " FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id"
         " JOIN users u ON u.id = r.user_id WHERE r.token_hash = decode($1::text, 'hex')"
         " FOR UPDATE OF r, s",
         3, PGRES_TUPLES_OK, RT__NCOLS},

    /* Spends refresh token $1, makes its successor of SHA-256 $2 (hex) in
	 * the same session and marks the session used. -> the successor's id,
	 * no row when $1 was spent already */
    [ST_REFRESH_SPEND] =
        {"refresh_spend",
         "WITH spend AS (UPDATE refresh_tokens SET spent_at = clock_timestamp()"
         " WHERE id = $1::bigint AND spent_at IS NULL RETURNING session_id, user_id),"
         " touch AS (UPDATE sessions SET last_used_at = now()"
         " WHERE id IN (SELECT session_id FROM spend))"
         " INSERT INTO refresh_tokens (session_id, user_id, token_hash)"
         " SELECT session_id, user_id, decode($2::text, 'hex') FROM spend RETURNING id",
         2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* Every live session of user $1 but session $2 ('' for none) ended. */
    [ST_SESSION_END_OTHERS] = {"session_end_others",
                               "UPDATE sessions SET revoked_at = now() WHERE user_id = $1::bigint"
                               " AND revoked_at IS NULL AND id <> $2::text",
                               2, PGRES_COMMAND_OK, 0},
};
