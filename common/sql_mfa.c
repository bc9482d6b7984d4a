/* sql_mfa: the statements of two-factor sign-in: the second factor's row, recovery codes, mfa_tokens (a part of the sql module, sql.h). */
#include "sql.h"

const struct sql_def sql_part_mfa[ST__COUNT] = {
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

    /* Account $1's two-factor sign-in, read without a lock before the
	 * password typed again is checked. -> enum mfa_state_col, no row before
	 * any setup */
    [ST_MFA_STATE] =
        {"mfa_state",
         "SELECT enabled_at IS NOT NULL,"
         " greatest(coalesce(ceil(extract(epoch FROM locked_until - clock_timestamp())),"
         " 0), 0)::int FROM user_mfa WHERE user_id = $1::bigint",
         1, PGRES_TUPLES_OK, MS__NCOLS},

    /* mfa/disable: account $1's secret and any pending setup gone, with its
	 * recovery codes; last_step, the failure counter and its lock stay.
	 * Only while MFA is on. -> the account id, no row otherwise */
    [ST_MFA_DISABLE] =
        {"mfa_disable",
         "WITH r AS (DELETE FROM mfa_recovery_codes WHERE user_id = $1::bigint)"
         " UPDATE user_mfa SET secret_sealed = NULL, enabled_at = NULL, pending_sealed = NULL,"
         " pending_code_hash = NULL, pending_expires_at = NULL, pending_attempts = 0,"
         " updated_at = now() WHERE user_id = $1::bigint AND enabled_at IS NOT NULL"
         " RETURNING user_id",
         1, PGRES_TUPLES_OK, SQL_ONE__NCOLS},
};
