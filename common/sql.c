#include "sql.h"

#include <stddef.h>

/*
 * Parameters are text; each is cast where used. Digests travel as lower-case
 * hex and are stored as bytea. Intervals are whole seconds or minutes.
 */
static const struct sql_def sql_defs[ST__COUNT] = {
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

    /* Account self-service (account_self.h). PATCH /user/profile: $1 id, $2
	 * full_name, for a token issued at $3 (a token revoked since changes
	 * nothing). -> the columns of enum user_set_name_col, no row when the
	 * account is gone or the token revoked */
    [ST_USER_SET_NAME] = {"user_set_name",
                          "UPDATE users SET full_name = $2::text, updated_at = now()"
                          " WHERE id = $1::bigint AND token_min_iat <= $3::bigint"
                          " RETURNING id, full_name, email, is_verified",
                          3, PGRES_TUPLES_OK, USN__NCOLS},
    /* delete-account: the account $1 whose hash is still $2 (a change
	 * committed since keeps it); its codes, reset tokens, known clients go
	 * with it (ON DELETE CASCADE). -> id, no row when it did not match */
    [ST_USER_DELETE] = {"user_delete",
                        "DELETE FROM users WHERE id = $1::bigint AND password_hash = $2::text"
                        " RETURNING id",
                        2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},
    /* delete-account: every outbox row of account $1 or to its address $2,
	 * queued or finished (a finished one still names the address). */
    [ST_DELETE_MAIL_OF] = {"delete_mail_of",
                           "DELETE FROM mail_outbox WHERE user_id = $1::bigint"
                           " OR recipient = $2::text",
                           2, PGRES_COMMAND_OK, 0},
    /* delete-account: the login failures, locks and checks in progress of address $1. */
    [ST_DELETE_LOGINS_OF] =
        {"delete_logins_of",
         "WITH each_client AS (DELETE FROM login_failures WHERE email = $1::text),"
         " checks AS (DELETE FROM login_attempts WHERE email = $1::text)"
         " DELETE FROM login_email_failures WHERE email = $1::text",
         1, PGRES_COMMAND_OK, 0},
    /* delete-account: the events of account $1, or naming its address $2,
	 * keep the account id and only the address's keyed hash ($3). */
    [ST_AUDIT_FORGET_ACCOUNT] = {"audit_forget_account",
                                 "UPDATE audit_events SET email = NULL, email_hmac = $3::text"
                                 " WHERE email IS NOT NULL"
                                 " AND (user_id = $1::bigint OR email = $2::text)",
                                 3, PGRES_COMMAND_OK, 0},
    /* change-password: the start of session $1 of user $2, whatever its state
	 * (the caller's new session keeps it). -> Unix seconds, no row when gone */
    [ST_SESSION_STARTED] = {"session_started",
                            "SELECT floor(extract(epoch FROM created_at))::bigint FROM sessions"
                            " WHERE id = $1::text AND user_id = $2::bigint",
                            2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* $1 kind, $2 recipient, $3 user_id or NULL, $4 sealed message hex,
	 * $5 minutes until it is useless, $6 id of the key that sealed it (hex,
	 * outbox.h); $7 false: a decoy (mail_decoy()), writing nothing. -> id,
	 * no row for a decoy */
    [ST_OUTBOX_INSERT] =
        {"outbox_insert",
         "INSERT INTO mail_outbox (kind, recipient, user_id, message, expires_at, key_id)"
         " SELECT $1::text, $2::text, $3::bigint, decode($4::text, 'hex'),"
         " now() + make_interval(mins => $5::int), decode($6::text, 'hex')"
         " WHERE $7::boolean RETURNING id",
         7, PGRES_TUPLES_OK, SQL_ONE__NCOLS},
    /* Leases row $1 for $2 seconds if it is pending, due, not leased, sealed
	 * under key id $3 (hex) or under no key id, and not recorded as
	 * unreadable by $3. -> id, recipient, sealed message hex, expired
	 * ('t'/'f'), attempts, kind */
    [ST_OUTBOX_CLAIM_ID] =
        {"outbox_claim_id",
         "UPDATE mail_outbox o SET locked_until = now() + make_interval(secs => $2::int),"
         " attempts = attempts + 1 WHERE id = $1::bigint AND status = 'pending'"
         " AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now())"
         " AND (key_id IS NULL OR key_id = decode($3::text, 'hex'))"
         " AND NOT EXISTS (SELECT 1 FROM mail_outbox_unreadable u"
         " WHERE u.outbox_id = o.id AND u.key_id = decode($3::text, 'hex'))"
         " RETURNING id, recipient, encode(message, 'hex'), coalesce(expires_at <= now(), false), attempts, kind",
         3, PGRES_TUPLES_OK, 6},
    /* Leases up to $1 due rows for $2 seconds, oldest first, on the terms
	 * above for key id $3; columns as above. */
    /* The rows to claim are picked (and locked) once, in a materialized CTE:
	 * "WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)" may run its
	 * subquery again when a row changes under it and claim more than n. */
    [ST_OUTBOX_CLAIM_DUE] =
        {"outbox_claim_due",
         "WITH c AS MATERIALIZED (SELECT o.id FROM mail_outbox o WHERE o.status = 'pending'"
         " AND o.next_attempt_at <= now() AND (o.locked_until IS NULL OR o.locked_until <= now())"
         " AND (o.key_id IS NULL OR o.key_id = decode($3::text, 'hex'))"
         " AND NOT EXISTS (SELECT 1 FROM mail_outbox_unreadable u"
         " WHERE u.outbox_id = o.id AND u.key_id = decode($3::text, 'hex'))"
         " ORDER BY o.id LIMIT $1::int FOR UPDATE SKIP LOCKED)"
         " UPDATE mail_outbox m SET locked_until = now() + make_interval(secs => $2::int),"
         " attempts = m.attempts + 1 FROM c WHERE m.id = c.id"
         " RETURNING m.id, m.recipient, encode(m.message, 'hex'), coalesce(m.expires_at <= now(), false),"
         " m.attempts, m.kind",
         3, PGRES_TUPLES_OK, 6},
    /* Delivered: the content is wiped, and the address of an account's last
	 * mail (delete-account: the account is gone, so is its address). */
    [ST_OUTBOX_SENT] =
        {"outbox_sent",
         "UPDATE mail_outbox SET status = 'sent', sent_at = now(), message = NULL,"
         " recipient = CASE WHEN kind = 'account_deleted' THEN '' ELSE recipient END,"
         " locked_until = NULL, last_error = NULL WHERE id = $1::bigint",
         1, PGRES_COMMAND_OK, 0},
    /* A temporary failure: $1 id, retry in $2 seconds, $3 error text (no secrets). */
    [ST_OUTBOX_RETRY] =
        {"outbox_retry",
         "UPDATE mail_outbox SET next_attempt_at = now() + make_interval(secs => $2::int),"
         " locked_until = NULL, last_error = $3::text WHERE id = $1::bigint",
         3, PGRES_COMMAND_OK, 0},
    /* A permanent failure (or too many tries): $1 id, $2 error text. */
    [ST_OUTBOX_FAILED] =
        {"outbox_failed",
         "UPDATE mail_outbox SET status = 'failed', message = NULL,"
         " recipient = CASE WHEN kind = 'account_deleted' THEN '' ELSE recipient END, locked_until = NULL,"
         " last_error = $2::text WHERE id = $1::bigint",
         2, PGRES_COMMAND_OK, 0},
    /* The code or link inside expired before delivery: wiped, never sent. */
    [ST_OUTBOX_EXPIRED] =
        {"outbox_expired",
         "UPDATE mail_outbox SET status = 'expired', message = NULL,"
         " recipient = CASE WHEN kind = 'account_deleted' THEN '' ELSE recipient END, locked_until = NULL"
         " WHERE id = $1::bigint",
         1, PGRES_COMMAND_OK, 0},
    /* Up to $1 pending rows past their expiry (without one: $2 minutes after
	 * they were queued), whatever key sealed them and unless leased: wiped,
	 * never sent. -> id, kind */
    [ST_OUTBOX_EXPIRE_DUE] =
        {"outbox_expire_due",
         "WITH c AS MATERIALIZED (SELECT id FROM mail_outbox WHERE status = 'pending'"
         " AND coalesce(expires_at, created_at + make_interval(mins => $2::int)) <= now()"
         " AND (locked_until IS NULL OR locked_until <= now())"
         " ORDER BY id LIMIT $1::int FOR UPDATE SKIP LOCKED)"
         " UPDATE mail_outbox m SET status = 'expired', message = NULL,"
         " recipient = CASE WHEN m.kind = 'account_deleted' THEN '' ELSE m.recipient END,"
         " locked_until = NULL"
         " FROM c WHERE m.id = c.id RETURNING m.id, m.kind",
         2, PGRES_TUPLES_OK, 2},
    /* Records as logged by key id $1 (hex) the pending rows of other key
	 * ids it has not logged yet; the rows themselves are not changed.
	 * -> per other key id: key id hex, rows, lowest id, highest id */
    [ST_OUTBOX_NOTE_FOREIGN] =
        {"outbox_note_foreign",
         "WITH n AS (INSERT INTO mail_outbox_unreadable (outbox_id, key_id)"
         " SELECT id, decode($1::text, 'hex') FROM mail_outbox WHERE status = 'pending'"
         " AND key_id <> decode($1::text, 'hex') ON CONFLICT DO NOTHING RETURNING outbox_id)"
         " SELECT encode(o.key_id, 'hex'), count(*), min(o.id), max(o.id)"
         " FROM n JOIN mail_outbox o ON o.id = n.outbox_id GROUP BY o.key_id ORDER BY min(o.id)",
         1, PGRES_TUPLES_OK, 4},
    /* Row $1, claimed by key id $2 (hex), which could not unseal it: the
	 * lease and the attempt the claim counted are undone, and it is recorded
	 * as unreadable by $2. -> the id, a row only when newly recorded */
    [ST_OUTBOX_RELEASE_UNREADABLE] =
        {"outbox_release_unreadable",
         "WITH r AS (UPDATE mail_outbox SET attempts = greatest(attempts - 1, 0),"
         " locked_until = NULL WHERE id = $1::bigint RETURNING id)"
         " INSERT INTO mail_outbox_unreadable (outbox_id, key_id)"
         " SELECT id, decode($2::text, 'hex') FROM r ON CONFLICT DO NOTHING RETURNING outbox_id",
         2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

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

    /* A log line due again ($1 its name) if it was last written more than $2
	 * seconds ago or never: records now. -> a row when due */
    [ST_NOTICE_DUE] = {"notice_due",
                       "INSERT INTO log_notices AS n (name, logged_at) VALUES ($1::text, now())"
                       " ON CONFLICT (name) DO UPDATE SET logged_at = now()"
                       " WHERE n.logged_at <= now() - make_interval(secs => $2::int)"
                       " RETURNING 1",
                       2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* medicalcare-prune: each deletes what is over and answers its row count. */
    /* Audit events older than $1 days. */
    [ST_PRUNE_AUDIT] = {"prune_audit",
                        "DELETE FROM audit_events"
                        " WHERE created_at < now() - make_interval(days => $1::int)",
                        1, PGRES_COMMAND_OK, 0},
    [ST_PRUNE_OTP] = {"prune_otp", "DELETE FROM otp_codes WHERE expires_at <= now()", 0,
                      PGRES_COMMAND_OK, 0},
    /* Used or not, a token past its expiry is dead. */
    [ST_PRUNE_RESET] = {"prune_reset", "DELETE FROM reset_tokens WHERE expires_at <= now()", 0,
                        PGRES_COMMAND_OK, 0},
    /* Limit rows whose window of $1 seconds is over. */
    [ST_PRUNE_CLIENT] = {"prune_client",
                         "DELETE FROM client_limits"
                         " WHERE window_start <= now() - make_interval(secs => $1::int)",
                         1, PGRES_COMMAND_OK, 0},
    /* Login failures that count no more (ST_LOGIN_FAIL starts afresh): the
	 * lock is over, or there is none and the window of $1 seconds is over. */
    [ST_PRUNE_LOGIN] = {"prune_login",
                        "DELETE FROM login_failures WHERE CASE WHEN locked_until IS NULL"
                        " THEN window_start <= now() - make_interval(secs => $1::int)"
                        " ELSE locked_until <= now() END",
                        1, PGRES_COMMAND_OK, 0},
    /* The same for the email-wide counts (ST_LOGIN_EMAIL_FAIL), window $1. */
    [ST_PRUNE_LOGIN_EMAIL] =
        {"prune_login_email",
         "DELETE FROM login_email_failures WHERE CASE WHEN locked_until IS NULL"
         " THEN window_start <= now() - make_interval(secs => $1::int)"
         " ELSE locked_until <= now() END",
         1, PGRES_COMMAND_OK, 0},
    /* Reservations of password checks older than $1 seconds (limit.h): their
	 * process died before it settled them. */
    [ST_PRUNE_LOGIN_ATTEMPTS] = {"prune_login_attempts",
                                 "DELETE FROM login_attempts"
                                 " WHERE started_at <= now() - make_interval(secs => $1::int)",
                                 1, PGRES_COMMAND_OK, 0},
    /* Clients an account last signed in from more than $1 days ago. */
    [ST_PRUNE_KNOWN_CLIENTS] = {"prune_known_clients",
                                "DELETE FROM login_known_clients"
                                " WHERE last_success_at < now() - make_interval(days => $1::int)",
                                1, PGRES_COMMAND_OK, 0},
    /* Up to $2 accounts never verified within $1 days, with what belongs to
	 * them (codes, reset tokens: ON DELETE CASCADE). -> id, email */
    [ST_PRUNE_UNVERIFIED] =
        {"prune_unverified",
         "WITH c AS MATERIALIZED (SELECT id FROM users WHERE NOT is_verified"
         " AND created_at < now() - make_interval(days => $1::int)"
         " ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED)"
         " DELETE FROM users u USING c WHERE u.id = c.id RETURNING u.id, u.email",
         2, PGRES_TUPLES_OK, 2},
    /* Finished mail (its content already wiped) older than $1 hours. */
    [ST_PRUNE_OUTBOX] = {"prune_outbox",
                         "DELETE FROM mail_outbox WHERE status IN ('sent', 'failed', 'expired')"
                         " AND created_at < now() - make_interval(hours => $1::int)",
                         1, PGRES_COMMAND_OK, 0},

    /* The import of accounts (tools/import-users.c): PostgreSQL parses the
	 * CSV into a temporary table of text; n is the data row's ordinal. */
    [ST_IMPORT_CREATE] = {"import_create",
                          "CREATE TEMP TABLE import_users (n bigserial, email text,"
                          " full_name text, password_hash text, is_verified text)"
                          " ON COMMIT DROP",
                          0, PGRES_COMMAND_OK, 0},
    /* Run with PQexecParams and fed with PQputCopyData: PGRES_COPY_IN first,
	 * PGRES_COMMAND_OK at the end. The header must name the four columns. */
    [ST_IMPORT_COPY] = {"import_copy",
                        "COPY import_users (email, full_name, password_hash, is_verified)"
                        " FROM STDIN (FORMAT csv, HEADER match)",
                        0, PGRES_COMMAND_OK, 0},
    /* The same before PostgreSQL 15 (no HEADER match): the header is skipped. */
    [ST_IMPORT_COPY_OLD] = {"import_copy_old",
                            "COPY import_users (email, full_name, password_hash, is_verified)"
                            " FROM STDIN (FORMAT csv, HEADER true)",
                            0, PGRES_COMMAND_OK, 0},
    /* -> n, email, full_name, password_hash, is_verified (each may be NULL) */
    [ST_IMPORT_ROWS] = {"import_rows",
                        "SELECT n, email, full_name, password_hash, is_verified"
                        " FROM import_users ORDER BY n",
                        0, PGRES_TUPLES_OK, 5},
    /* $1 email (normalized), $2 full_name, $3 password_hash, $4 is_verified
	 * ('t'/'f'). An existing account is never touched. -> id, no row if it exists */
    [ST_IMPORT_INSERT] = {"import_insert",
                          "INSERT INTO users (email, full_name, password_hash, is_verified)"
                          " VALUES ($1::text, $2::text, $3::text, $4::boolean)"
                          " ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
                          4, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* medicalcare-check: the migrations applied (sql/migrate.sh). -> version */
    [ST_SCHEMA_VERSIONS] = {"schema_versions",
                            "SELECT version FROM schema_migrations ORDER BY version", 0,
                            PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* Sessions (session.h, account_session.h). A session is live while
	 * not revoked, used within SESSION_IDLE_MINUTES and started within
	 * SESSION_MAX_MINUTES: the statements that need it take those minutes. */
    /* The account of an access token and, in the same round trip, whether
	 * its session is live: $1 user id, $2 sid ('' for a token without one),
	 * $3 whether a token without sid is accepted (LEGACY_TOKENS_UNTIL),
	 * $4 idle minutes, $5 most minutes. -> enum user_by_token_col */
    [ST_USER_BY_TOKEN] =
        {"user_by_token",
         "SELECT u.id, u.full_name, u.email, u.is_verified, u.token_min_iat,"
         " CASE WHEN $2::text = '' THEN $3::boolean ELSE EXISTS (SELECT 1 FROM sessions s"
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
    /* medicalcare-prune: sessions revoked, idle over $1 minutes or started
	 * over $2 minutes ago, with their refresh tokens (ON DELETE CASCADE; a
	 * live session keeps its spent ones, which reuse detection needs).
	 * -> sessions deleted, refresh tokens deleted with them */
    [ST_PRUNE_SESSIONS] = {"prune_sessions",
                           "WITH d AS (DELETE FROM sessions WHERE revoked_at IS NOT NULL"
                           " OR last_used_at <= now() - make_interval(mins => $1::int)"
                           " OR created_at <= now() - make_interval(mins => $2::int) RETURNING id)"
                           " SELECT (SELECT count(*) FROM d),"
                           " (SELECT count(*) FROM refresh_tokens r JOIN d ON r.session_id = d.id)",
                           2, PGRES_TUPLES_OK, 2},
    /* Whether account $1 has two-factor sign-in on, its row locked. -> 1 or 0 */
    [ST_MFA_ENABLED] = {"mfa_enabled",
                        "SELECT count(*) FROM (SELECT 1 FROM user_mfa WHERE user_id = $1::bigint"
                        " AND enabled_at IS NOT NULL FOR UPDATE) m",
                        1, PGRES_TUPLES_OK, SQL_ONE__NCOLS},
    /* mfa/setup: the pending secret $2 (sealed, hex) of account $1 and the
	 * digest $3 (hex) of the code mailed for it, good for $4 minutes with
	 * its own tries, replacing any earlier pending one; the failure counter
	 * and its lock stay. Only while MFA is off. -> the account id, no row
	 * when MFA is on */
    [ST_MFA_SET_PENDING] =
        {"mfa_set_pending",
         "INSERT INTO user_mfa (user_id, pending_sealed, pending_code_hash, pending_expires_at)"
         " VALUES ($1::bigint, decode($2::text, 'hex'), decode($3::text, 'hex'),"
         " now() + make_interval(mins => $4::int))"
         " ON CONFLICT (user_id) DO UPDATE SET pending_sealed = EXCLUDED.pending_sealed,"
         " pending_code_hash = EXCLUDED.pending_code_hash,"
         " pending_expires_at = EXCLUDED.pending_expires_at, pending_attempts = 0, updated_at = now()"
         " WHERE user_mfa.enabled_at IS NULL RETURNING user_id",
         4, PGRES_TUPLES_OK, SQL_ONE__NCOLS},
    /* The user_mfa row of account $1, locked. -> enum mfa_read_col, no row
	 * before any setup */
    [ST_MFA_READ] =
        {"mfa_read",
         "SELECT coalesce(encode(pending_sealed, 'hex'), ''),"
         " coalesce(encode(pending_code_hash, 'hex'), ''),"
         " coalesce(pending_expires_at > now() AND pending_attempts < 5, false),"
         " last_step, enabled_at IS NOT NULL,"
         " greatest(coalesce(ceil(extract(epoch FROM locked_until - clock_timestamp())),"
         " 0), 0)::int, coalesce(encode(secret_sealed, 'hex'), '')"
         " FROM user_mfa WHERE user_id = $1::bigint FOR UPDATE",
         1, PGRES_TUPLES_OK, MR__NCOLS},
    /* A wrong emailed code of account $1: one of its 5 tries spent. */
    [ST_MFA_EMAIL_FAIL] =
        {"mfa_email_fail",
         "UPDATE user_mfa SET pending_attempts = pending_attempts + 1,"
         " updated_at = now() WHERE user_id = $1::bigint AND pending_attempts < 5",
         1, PGRES_COMMAND_OK, 0},
    /* A wrong second-factor code of account $1, counted: the 10th in a row
	 * locks for 15 minutes doubled per earlier lock, at most 24 hours, and
	 * starts the count again. -> 1 when it locked, else 0 */
    [ST_MFA_FAIL] = {"mfa_fail",
                     "UPDATE user_mfa SET"
                     " failures = CASE WHEN failures + 1 >= 10 THEN 0 ELSE failures + 1 END,"
                     " locks = CASE WHEN failures + 1 >= 10 THEN locks + 1 ELSE locks END,"
                     " locked_until = CASE WHEN failures + 1 >= 10 THEN now() + least("
                     "interval '15 minutes' * power(2, least(locks, 7)), interval '24 hours')"
                     " ELSE locked_until END, updated_at = now()"
                     " WHERE user_id = $1::bigint"
                     " RETURNING (failures = 0 AND locked_until > now())::int",
                     1, PGRES_TUPLES_OK, SQL_ONE__NCOLS},
    /* mfa/enable: the pending secret of account $1 becomes its secret, step
	 * $2 accepted, only if later than the last one and MFA is off; the
	 * counter and lock cleared. -> the account id, no row otherwise */
    [ST_MFA_ENABLE] =
        {"mfa_enable",
         "UPDATE user_mfa SET secret_sealed = pending_sealed, enabled_at = now(),"
         " last_step = $2::bigint, failures = 0, locks = 0, locked_until = NULL,"
         " pending_sealed = NULL, pending_code_hash = NULL, pending_expires_at = NULL,"
         " pending_attempts = 0, updated_at = now()"
         " WHERE user_id = $1::bigint AND enabled_at IS NULL"
         " AND pending_sealed IS NOT NULL AND last_step < $2::bigint RETURNING user_id",
         2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},
    /* The recovery codes of account $1 replaced by the digests $2 (hex,
	 * comma-separated). */
    [ST_MFA_RECOVERY_SET] =
        {"mfa_recovery_set",
         "WITH d AS (DELETE FROM mfa_recovery_codes WHERE user_id = $1::bigint)"
         " INSERT INTO mfa_recovery_codes (user_id, code_hash)"
         " SELECT $1::bigint, decode(h, 'hex') FROM unnest(string_to_array($2::text, ',')) h",
         2, PGRES_COMMAND_OK, 0},
    /* Every live session of user $1 but session $2 ('' for none) ended. */
    [ST_SESSION_END_OTHERS] = {"session_end_others",
                               "UPDATE sessions SET revoked_at = now() WHERE user_id = $1::bigint"
                               " AND revoked_at IS NULL AND id <> $2::text",
                               2, PGRES_COMMAND_OK, 0},
    /* login with MFA on: an mfa_token of account $1, its SHA-256 $2 (hex),
	 * good for $3 seconds and 5 tries. */
    [ST_MFA_TOKEN_NEW] = {"mfa_token_new",
                          "INSERT INTO mfa_tokens (user_id, token_hash, expires_at)"
                          " VALUES ($1::bigint, decode($2::text, 'hex'),"
                          " now() + make_interval(secs => $3::int))",
                          3, PGRES_COMMAND_OK, 0},
    /* The account of the live mfa_token whose SHA-256 is $1 (hex): in time,
	 * tries left. -> enum mfa_token_col, no row otherwise */
    [ST_MFA_TOKEN_FIND] = {"mfa_token_find",
                           "SELECT t.user_id, u.email FROM mfa_tokens t JOIN users u"
                           " ON u.id = t.user_id WHERE t.token_hash = decode($1::text, 'hex')"
                           " AND t.expires_at > now() AND t.attempts < 5",
                           1, PGRES_TUPLES_OK, MT__NCOLS},
    /* One try of the live mfa_token $1 (SHA-256, hex) of account $2 spent,
	 * checked and counted in one step, its row locked. -> its id, no row
	 * when it is dead, used or out of tries */
    [ST_MFA_TOKEN_TRY] = {"mfa_token_try",
                          "UPDATE mfa_tokens SET attempts = attempts + 1"
                          " WHERE token_hash = decode($1::text, 'hex') AND user_id = $2::bigint"
                          " AND expires_at > now() AND attempts < 5 RETURNING id",
                          2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},
    /* mfa/verify passed: the mfa_token $1 (id) used up, with the account's
	 * expired ones ($2). */
    [ST_MFA_TOKEN_USE] = {"mfa_token_use",
                          "DELETE FROM mfa_tokens WHERE id = $1::bigint"
                          " OR (user_id = $2::bigint AND expires_at <= now())",
                          2, PGRES_COMMAND_OK, 0},
    /* A TOTP code of account $1 accepted for step $2, only if later than the
	 * last one and MFA is on; the counter and lock cleared. -> the account
	 * id, no row otherwise */
    [ST_MFA_ACCEPT] = {"mfa_accept",
                       "UPDATE user_mfa SET last_step = $2::bigint, failures = 0, locks = 0,"
                       " locked_until = NULL, updated_at = now() WHERE user_id = $1::bigint"
                       " AND enabled_at IS NOT NULL AND last_step < $2::bigint RETURNING user_id",
                       2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},
    /* The unused recovery code of account $1 whose digest is $2 (hex) spent.
	 * -> enum mfa_recovery_use_col */
    [ST_MFA_RECOVERY_USE] =
        {"mfa_recovery_use",
         "WITH u AS (UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = $1::bigint"
         " AND code_hash = decode($2::text, 'hex') AND used_at IS NULL RETURNING id)"
         " SELECT (SELECT count(*) FROM u)::int, ((SELECT count(*) FROM mfa_recovery_codes"
         " WHERE user_id = $1::bigint AND used_at IS NULL) - (SELECT count(*) FROM u))::int",
         2, PGRES_TUPLES_OK, MRU__NCOLS},
    /* A recovery code of account $1 accepted: the counter and lock cleared. */
    [ST_MFA_CLEAR] = {"mfa_clear",
                      "UPDATE user_mfa SET failures = 0, locks = 0, locked_until = NULL,"
                      " updated_at = now() WHERE user_id = $1::bigint",
                      1, PGRES_COMMAND_OK, 0},
    /* Every mfa_token of account $1 dead (a password reset or change). */
    [ST_MFA_TOKENS_END] = {"mfa_tokens_end", "DELETE FROM mfa_tokens WHERE user_id = $1::bigint", 1,
                           PGRES_COMMAND_OK, 0},
};

const struct sql_def *sql_def(enum sql_stmt s)
{
	return &sql_defs[s];
}
