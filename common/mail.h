/*
 * mail: the outbox the messages wait in (the only user of the database among
 * the mail modules), and this header gathers them: mail_render.h (the
 * templates), mail_mime.h (MIME), mail_seal.h (sealing), mail_send.h (the
 * transports).
 *
 * A message is rendered and composed when the change that needs it is made,
 * sealed with conf_keys()->outbox (AES-256-GCM) and inserted into mail_outbox in
 * the same transaction (mail_enqueue). After the commit the program delivers
 * it (mail_outbox_deliver_id); what fails stays queued and medicalcare-outbox
 * (cron) retries it with backoff (mail_outbox_flush). A row is leased before
 * delivery and marked sent right after, so two senders never both send it.
 * Delivered, expired or permanently failed rows have their content wiped.
 *
 * Each row carries the id of the key that sealed it (outbox.h): an install
 * claims only rows of its own key (or of none, queued before key ids), so
 * mail sealed under another JWT_SECRET_KEY waits for an install that holds
 * it. A claimed row that this key cannot unseal stays pending, uncounted, and
 * is logged once. Every row expires (notices after OUTBOX_NOTICE_MINUTES).
 *
 * Transports: MAIL_TRANSPORT=smtp through libcurl (mail_smtp.h: plain,
 * STARTTLS, or implicit TLS, with login when SMTP_PASSWORD is set), or =file,
 * one .eml file per message in MAIL_DIR. The SMTP transport is linked only
 * into the programs that deliver mail, which install it at start
 * (mail_smtp_enable()), so that the others never load libcurl and its
 * libraries. Header values come only from validated addresses,
 * fixed subjects and the configured names, with CR/LF removed and non-ASCII
 * encoded (RFC 2047); user text goes in bodies only (HTML-escaped in HTML).
 */
#ifndef MC_MAIL_H
#define MC_MAIL_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "mail_mime.h"
#include "mail_render.h"
#include "mail_seal.h"
#include "mail_send.h"

#define MAIL_LEASE_SECONDS 120
#define MAIL_MAX_ATTEMPTS 10

/*
 * Renders, composes, seals and inserts a message of kind for v, in the caller's
 * open transaction. user_id <= 0 means none. DB_OK and *id, or a db_rc (db.h).
 */
int mail_enqueue(PGconn *db, const struct conf *c, enum mail_kind kind, int64_t user_id,
                 const struct mail_vars *v, int64_t *id);

/*
 * Does what mail_enqueue() does, statement included, but the statement
 * inserts nothing: the same work for an address that gets no mail, so that
 * the time of an answer does not tell (account.h). DB_OK or a db_rc.
 */
int mail_decoy(PGconn *db, const struct conf *c, enum mail_kind kind, const struct mail_vars *v);

/*
 * Right after the commit: delivers outbox row id if it is still pending, due,
 * not leased and sealed under c's key. Returns 0 when sent, 1 when left queued
 * (failed for now, not claimable, or unreadable with this key), -1 on a
 * database error. Failures are logged, never raised: the request that queued
 * the mail has succeeded either way.
 */
int mail_outbox_deliver_id(PGconn *db, const struct conf *c, int64_t id);

struct mail_flush_stats {
	int sent;
	int retried; /* temporary failure, rescheduled */
	int failed;  /* permanent failure or too many attempts */
	int expired;
};

/*
 * Marks up to max pending rows past their expiry expired, whatever their key
 * (counted in stats->expired); logs once each pending row of another key;
 * then delivers up to max due rows of c's key. Backoff after the n-th failed
 * attempt: min(60 * 2^(n-1), 3600) seconds; after MAIL_MAX_ATTEMPTS it is
 * failed. A row this key cannot unseal is counted nowhere. 0 with *stats
 * filled, or -1 on a database error.
 */
int mail_outbox_flush(PGconn *db, const struct conf *c, int max, struct mail_flush_stats *stats);

#endif
