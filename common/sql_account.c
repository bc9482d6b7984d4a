/* sql_account: the statements of sign-up, verification, login and its limits, password reset, audit (a part of the sql module, sql.h). */
#include "sql.h"

const struct sql_def sql_part_account[ST__COUNT] = {
    [ST_PING] = {"ping", "SELECT 1", 0, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* Serializes every email-keyed transaction (signup, verify, resend,
	 * login's reserve and settle, forgot, reset's store) for one address
	 * until commit or rollback. Never held while a password is hashed. */
    [ST_LOCK_EMAIL] = {"lock_email",
                       "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7011))", 1,
                       PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* -> the columns of enum user_by_email_col (sql.h) */
    [ST_USER_BY_EMAIL] = {"user_by_email",
                          "SELECT id, full_name, password_hash, is_verified, token_min_iat,"
                          " otp_disabled, created_at > now() - make_interval(secs => $2::int)"
                          " FROM users WHERE lower(email) = lower($1::text)",
                          2, PGRES_TUPLES_OK, UBE__NCOLS},

    /* $1 email, $2 full_name, $3 password_hash -> id */
    [ST_USER_INSERT] = {"user_insert",
                        "INSERT INTO users (email, full_name, password_hash)"
                        " VALUES ($1::text, $2::text, $3::text) RETURNING id",
                        3, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* An unverified account signed up again: no code is ever sent for it again. */
    [ST_USER_DISABLE_OTP] = {"user_disable_otp",
                             "UPDATE users SET otp_disabled = true, updated_at = now()"
                             " WHERE id = $1::bigint AND NOT is_verified",
                             1, PGRES_COMMAND_OK, 0},

    [ST_USER_SET_VERIFIED] =
        {"user_set_verified",
         "UPDATE users SET is_verified = true, updated_at = now() WHERE id = $1::bigint", 1,
         PGRES_COMMAND_OK, 0},

    /* A reset: $1 id, $2 password_hash. Tokens issued up to this second die;
	 * the address is proven, so the account counts as verified. -> token_min_iat */
    [ST_USER_SET_PASSWORD] =
        {"user_set_password",
         "UPDATE users SET password_hash = $2::text, is_verified = true,"
         " token_min_iat = GREATEST(token_min_iat, floor(extract(epoch FROM clock_timestamp()))::bigint + 1),"
         " updated_at = now() WHERE id = $1::bigint RETURNING token_min_iat",
         2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* A login replacing a bcrypt or weaker hash with a new one: $1 id, $2 old hash, $3 new.
	 * Changes nothing when the hash changed meanwhile (a reset won). */
    [ST_USER_SET_HASH] = {"user_set_hash",
                          "UPDATE users SET password_hash = $3::text, updated_at = now()"
                          " WHERE id = $1::bigint AND password_hash = $2::text",
                          3, PGRES_COMMAND_OK, 0},

    /* $1 user_id, $2 code digest hex, $3 minutes valid. Replaces any earlier code.
	 * $4 false: a decoy (acct.c), the same statement writing nothing. */
    [ST_OTP_UPSERT] =
        {"otp_upsert",
         "INSERT INTO otp_codes (user_id, code_hash, expires_at, attempts)"
         " SELECT $1::bigint, decode($2::text, 'hex'), now() + make_interval(mins => $3::int), 0"
         " WHERE $4::boolean"
         " ON CONFLICT (user_id) DO UPDATE SET code_hash = EXCLUDED.code_hash,"
         " expires_at = EXCLUDED.expires_at, attempts = 0, created_at = now()",
         4, PGRES_COMMAND_OK, 0},

    /* -> code digest hex, live ('t' when not expired), attempts */
    [ST_OTP_GET] = {"otp_get",
                    "SELECT encode(code_hash, 'hex'), expires_at > now(), attempts"
                    " FROM otp_codes WHERE user_id = $1::bigint FOR UPDATE",
                    1, PGRES_TUPLES_OK, OG__NCOLS},

    [ST_OTP_FAIL] = {"otp_fail",
                     "UPDATE otp_codes SET attempts = attempts + 1 WHERE user_id = $1::bigint", 1,
                     PGRES_COMMAND_OK, 0},

    [ST_OTP_DELETE] = {"otp_delete", "DELETE FROM otp_codes WHERE user_id = $1::bigint", 1,
                       PGRES_COMMAND_OK, 0},

    /* Mails of kind $1 to $2 queued in the last $3 seconds (short window) and
	 * $4 seconds (long window), and seconds until each window frees a slot.
	 * -> short_count, long_count, short_wait, long_wait */
    [ST_MAIL_COUNTS] =
        {"mail_counts",
         "SELECT count(*) FILTER (WHERE created_at > now() - make_interval(secs => $3::int)),"
         " count(*),"
         " coalesce(ceil(extract(epoch FROM max(created_at) + make_interval(secs => $3::int) - clock_timestamp())), 0)::int,"
         " coalesce(ceil(extract(epoch FROM min(created_at) + make_interval(secs => $4::int) - clock_timestamp())), 0)::int"
         " FROM mail_outbox WHERE kind = $1::text AND recipient = $2::text"
         " AND created_at > now() - make_interval(secs => $4::int)",
         4, PGRES_TUPLES_OK, MC__NCOLS},

    /* Login locks (limit.h) for email $1 from client $2: its own lock, and
	 * the email-wide one unless $2 is a client account $3 (or NULL) signed
	 * in from within $4 days. -> seconds left of the longer lock, NULL when
	 * none holds. */
    [ST_LOGIN_LOCKED] =
        {"login_locked",
         "SELECT ceil(greatest("
         " (SELECT extract(epoch FROM locked_until - now()) FROM login_failures"
         "   WHERE email = $1::text AND client = $2::text AND locked_until > now()),"
         " (SELECT extract(epoch FROM locked_until - now()) FROM login_email_failures"
         "   WHERE email = $1::text AND locked_until > now() AND NOT EXISTS"
         "   (SELECT 1 FROM login_known_clients WHERE user_id = $3::bigint AND client = $2::text"
         "    AND last_success_at > now() - make_interval(days => $4::int)))))::int",
         4, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* A failed login for $1 from client $2: counts failures within a window
	 * of $3 seconds and locks for $5 seconds at the $4th; a lock that is over
	 * starts a new count. -> failures, locked ('t' when this one locked) */
    [ST_LOGIN_FAIL] =
        {"login_fail",
         "INSERT INTO login_failures AS f (email, client, failures, window_start, locked_until)"
         " VALUES ($1::text, $2::text, 1, now(), CASE WHEN $4::int <= 1 THEN now() + make_interval(secs => $5::int) END)"
         " ON CONFLICT (email, client) DO UPDATE SET"
         " failures = CASE WHEN f.window_start <= now() - make_interval(secs => $3::int)"
         "   OR f.locked_until <= now() THEN 1 ELSE f.failures + 1 END,"
         " window_start = CASE WHEN f.window_start <= now() - make_interval(secs => $3::int)"
         "   OR f.locked_until <= now() THEN now() ELSE f.window_start END,"
         " locked_until = CASE WHEN f.window_start > now() - make_interval(secs => $3::int)"
         "   AND f.locked_until IS NULL AND f.failures + 1 >= $4::int"
         "   THEN now() + make_interval(secs => $5::int)"
         "   WHEN f.locked_until > now() THEN f.locked_until END"
         " RETURNING failures, locked_until IS NOT NULL AND failures = $4::int",
         5, PGRES_TUPLES_OK, LF__NCOLS},

    /* The same for $1 from any client, in login_email_failures: window $2,
	 * the $3rd locks for $4 seconds. -> failures, locked ('t' when this one locked) */
    [ST_LOGIN_EMAIL_FAIL] =
        {"login_email_fail",
         "INSERT INTO login_email_failures AS f (email, failures, window_start, locked_until)"
         " VALUES ($1::text, 1, now(), CASE WHEN $3::int <= 1 THEN now() + make_interval(secs => $4::int) END)"
         " ON CONFLICT (email) DO UPDATE SET"
         " failures = CASE WHEN f.window_start <= now() - make_interval(secs => $2::int)"
         "   OR f.locked_until <= now() THEN 1 ELSE f.failures + 1 END,"
         " window_start = CASE WHEN f.window_start <= now() - make_interval(secs => $2::int)"
         "   OR f.locked_until <= now() THEN now() ELSE f.window_start END,"
         " locked_until = CASE WHEN f.window_start > now() - make_interval(secs => $2::int)"
         "   AND f.locked_until IS NULL AND f.failures + 1 >= $3::int"
         "   THEN now() + make_interval(secs => $4::int)"
         "   WHEN f.locked_until > now() THEN f.locked_until END"
         " RETURNING failures, locked_until IS NOT NULL AND failures = $3::int",
         4, PGRES_TUPLES_OK, LF__NCOLS},

    /* A right password for $1 from client $2: its failures go; account $3
	 * (NULL: none) now signs in from $2 (unless $2 is ''). */
    [ST_LOGIN_SUCCEEDED] =
        {"login_succeeded",
         "WITH forget AS (DELETE FROM login_failures WHERE email = $1::text AND client = $2::text)"
         " INSERT INTO login_known_clients (user_id, client, last_success_at)"
         " SELECT $3::bigint, $2::text, now() WHERE $3::bigint IS NOT NULL AND $2::text <> ''"
         " ON CONFLICT (user_id, client) DO UPDATE SET last_success_at = now()",
         3, PGRES_COMMAND_OK, 0},

    /* Every failure and lock of $1, from every client. */
    [ST_LOGIN_CLEAR] = {"login_clear",
                        "WITH each_client AS (DELETE FROM login_failures WHERE email = $1::text)"
                        " DELETE FROM login_email_failures WHERE email = $1::text",
                        1, PGRES_COMMAND_OK, 0},

    /* Reserves a password check of $1 from client $2 (limit.h) if it fits:
	 * the client's failures in its window of $6 seconds plus its checks in
	 * progress (reserved within $9 seconds) stay below $5, and, unless $2 is
	 * a client account $3 (or NULL) signed in from within $4 days, the
	 * email's failures in its window of $8 seconds plus all its checks in
	 * progress stay below $7. Run under the email's advisory lock.
	 * -> id, no row when it does not fit */
    [ST_LOGIN_RESERVE] =
        {"login_reserve",
         "INSERT INTO login_attempts (email, client, started_at)"
         " SELECT $1::text, $2::text, now() WHERE"
         " coalesce((SELECT failures FROM login_failures WHERE email = $1::text"
         "   AND client = $2::text AND window_start > now() - make_interval(secs => $6::int)"
         "   AND (locked_until IS NULL OR locked_until > now())), 0)"
         " + (SELECT count(*) FROM login_attempts WHERE email = $1::text AND client = $2::text"
         "   AND started_at > now() - make_interval(secs => $9::int)) < $5::int"
         " AND (EXISTS (SELECT 1 FROM login_known_clients WHERE user_id = $3::bigint"
         "   AND client = $2::text AND last_success_at > now() - make_interval(days => $4::int))"
         " OR coalesce((SELECT failures FROM login_email_failures WHERE email = $1::text"
         "   AND window_start > now() - make_interval(secs => $8::int)"
         "   AND (locked_until IS NULL OR locked_until > now())), 0)"
         " + (SELECT count(*) FROM login_attempts WHERE email = $1::text"
         "   AND started_at > now() - make_interval(secs => $9::int)) < $7::int)"
         " RETURNING id",
         9, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* Ends reservation $1. -> live ('t' when made within $2 seconds), no row when gone */
    [ST_LOGIN_UNRESERVE] = {"login_unreserve",
                            "DELETE FROM login_attempts WHERE id = $1::bigint"
                            " RETURNING started_at > now() - make_interval(secs => $2::int)",
                            2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* $1 user_id, $2 sha256 hex, $3 minutes valid; $4 false: a decoy, writing nothing */
    [ST_RESET_INSERT] =
        {"reset_insert",
         "INSERT INTO reset_tokens (user_id, token_hash, expires_at)"
         " SELECT $1::bigint, decode($2::text, 'hex'), now() + make_interval(mins => $3::int)"
         " WHERE $4::boolean",
         4, PGRES_COMMAND_OK, 0},

    /* A live token by digest, locking it and its user.
	 * -> token id, user_id, email, full_name, is_verified ('t'/'f') */
    [ST_RESET_FIND] =
        {"reset_find",
         "SELECT t.id, u.id, u.email, u.full_name, u.is_verified FROM reset_tokens t"
         " JOIN users u ON u.id = t.user_id"
         " WHERE t.token_hash = decode($1::text, 'hex') AND t.used_at IS NULL AND t.expires_at > now()"
         " FOR UPDATE OF t, u",
         1, PGRES_TUPLES_OK, RF__NCOLS},

    /* Spends every outstanding token of user $1 (the one just used among them). */
    [ST_RESET_KILL_ALL] =
        {"reset_kill_all",
         "UPDATE reset_tokens SET used_at = now() WHERE user_id = $1::bigint AND used_at IS NULL",
         1, PGRES_COMMAND_OK, 0},

    /* Per-client-address limits (limit.h): $1 scope, $2 budget key, $3
	 * window seconds, $4 most hits per window. */
    /* -> seconds left of the key's window */
    [ST_CLIENT_LIMITED] =
        {"client_limited",
         "SELECT ceil(extract(epoch FROM window_start + make_interval(secs => $3::int) - now()))::int"
         " FROM client_limits WHERE scope = $1::text AND address = $2::inet",
         3, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* Counts one hit if it fits, atomically; a refused one changes nothing.
	 * -> hits, window_start (text), a row only when it fitted */
    [ST_CLIENT_TAKE] =
        {"client_take",
         "INSERT INTO client_limits AS l (scope, address, window_start, hits)"
         " VALUES ($1::text, $2::inet, now(), 1)"
         " ON CONFLICT (scope, address) DO UPDATE SET"
         " hits = CASE WHEN l.window_start <= now() - make_interval(secs => $3::int)"
         "   THEN 1 ELSE l.hits + 1 END,"
         " window_start = CASE WHEN l.window_start <= now() - make_interval(secs => $3::int)"
         "   THEN now() ELSE l.window_start END"
         " WHERE l.window_start <= now() - make_interval(secs => $3::int) OR l.hits < $4::int"
         " RETURNING hits, window_start::text",
         4, PGRES_TUPLES_OK, CT__NCOLS},

    /* Gives a hit back: $1 scope, $2 budget key, $3 the window it was taken in. */
    [ST_CLIENT_GIVE_BACK] = {"client_give_back",
                             "UPDATE client_limits SET hits = hits - 1"
                             " WHERE scope = $1::text AND address = $2::inet"
                             " AND window_start = $3::timestamptz AND hits > 0",
                             3, PGRES_COMMAND_OK, 0},

    /* An audit event (audit.h): $1 event, $2 user_id, $3 email, $4 client
	 * address, $5 user agent, $6 detail, $7 email_hmac; all but $1 may be NULL. */
    [ST_AUDIT_INSERT] = {"audit_insert",
                         "INSERT INTO audit_events (event, user_id, email, client_address,"
                         " user_agent, detail, email_hmac) VALUES ($1::text, $2::bigint,"
                         " $3::text, $4::inet, $5::text, $6::text, $7::text)",
                         7, PGRES_COMMAND_OK, 0},

    /* The prune of unverified account $3 at address $1: its events, and
	 * those naming the address without an account, keep neither the id nor
	 * the address, only its keyed hash ($2). */
    [ST_AUDIT_FORGET_EMAIL] =
        {"audit_forget_email",
         "UPDATE audit_events SET user_id = NULL, email = NULL,"
         " email_hmac = CASE WHEN email IS NOT NULL THEN $2::text ELSE email_hmac END"
         " WHERE user_id = $3::bigint OR (email = $1::text AND user_id IS NULL)",
         3, PGRES_COMMAND_OK, 0},
};
