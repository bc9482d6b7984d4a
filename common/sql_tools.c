/* sql_tools: the statements of the tools: medicalcare-prune, medicalcare-import-users, medicalcare-migrate's check (a part of the sql module, sql.h). */
#include "sql.h"

const struct sql_def sql_part_tools[ST__COUNT] = {
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

    /* mfa_tokens past their 5 minutes (mfa/verify deletes an account's own
	 * only when one of them is used). */
    [ST_PRUNE_MFA_TOKENS] = {"prune_mfa_tokens", "DELETE FROM mfa_tokens WHERE expires_at <= now()",
                             0, PGRES_COMMAND_OK, 0},

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
};
