/* sql_outbox: the statements of the mail outbox and its notices (a part of the sql module, sql.h). */
#include "sql.h"

const struct sql_def sql_part_outbox[ST__COUNT] = {
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

    /* A log line due again ($1 its name) if it was last written more than $2
	 * seconds ago or never: records now. -> a row when due */
    [ST_NOTICE_DUE] = {"notice_due",
                       "INSERT INTO log_notices AS n (name, logged_at) VALUES ($1::text, now())"
                       " ON CONFLICT (name) DO UPDATE SET logged_at = now()"
                       " WHERE n.logged_at <= now() - make_interval(secs => $2::int)"
                       " RETURNING 1",
                       2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},
};
