#include "mail.h"

#include "conf_keys.h"
#include "db.h"
#include "hex.h"
#include "log.h"
#include "mail_mime.h"
#include "mail_render.h"
#include "mail_seal.h"
#include "mail_send.h"
#include "notice.h"
#include "outbox.h"
#include "secret.h"
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MAIL_BATCH_MAX 20
#define MAIL_BACKOFF_MAX 3600

/* The outbox key of c (conf_keys(), borrowed), or NULL (logged). */
static const unsigned char *mail_key(const struct conf *c)
{
	const struct conf_keys *keys = conf_keys(c);

	return keys != NULL ? keys->outbox : NULL;
}

/*
 * Renders, composes and seals a message of kind for v: *hex (caller frees)
 * holds the sealed bytes in hex, and key_id this key's id. 0, or -1 (logged).
 */
static int mail_sealed_hex(const struct conf *c, enum mail_kind kind, const struct mail_vars *v,
                           char **hex, char key_id[OUTBOX_KEY_ID_HEX])
{
	char *subject = NULL, *text = NULL, *html = NULL, *msg = NULL;
	unsigned char *sealed = NULL;
	const unsigned char *key;
	size_t msglen = 0, sealedlen = 0;
	int rc = -1;

	*hex = NULL;
	if (mail_render(c, kind, v, &subject, &text, &html) != 0) {
		log_error("could not render the %s mail", mail_kind_name(kind));
		goto out;
	}
	if (mail_compose(c, v->to, subject, text, html, time(NULL), &msg, &msglen) != 0)
		goto out;
	key = mail_key(c);
	if (key == NULL || mail_seal(key, msg, msglen, &sealed, &sealedlen) != 0 ||
	    outbox_key_id(key, key_id) != 0)
		goto out;
	*hex = malloc(2 * sealedlen + 1);
	if (*hex == NULL)
		goto out;
	hex_encode(sealed, sealedlen, *hex);
	rc = 0;
out:
	secret_free_str(subject);
	secret_free_str(text);
	secret_free_str(html);
	secret_free(msg, msglen);
	free(sealed);
	return rc;
}

/* mail_enqueue(), or with keep 0 mail_decoy(). */
static int mail_queue(PGconn *db, const struct conf *c, enum mail_kind kind, int64_t user_id,
                      const struct mail_vars *v, int keep, int64_t *id)
{
	char *hex = NULL;
	char uid[24], mins[16], key_id[OUTBOX_KEY_ID_HEX];
	const char *params[7];
	PGresult *res = NULL;
	char *end = NULL;
	long long got;
	int rc = DB_ERROR;

	*id = 0;
	if (mail_sealed_hex(c, kind, v, &hex, key_id) != 0)
		goto out;
	snprintf(uid, sizeof(uid), "%" PRId64, user_id);
	/* A notice's content does not expire; it waits OUTBOX_NOTICE_MINUTES. */
	snprintf(mins, sizeof(mins), "%d",
	         kind == MAIL_PASSWORD_CHANGED || kind == MAIL_ACCOUNT_DELETED ||
	                 kind == MAIL_MFA_ENABLED || kind == MAIL_MFA_LOCKED ||
	                 kind == MAIL_MFA_RECOVERY_USED || kind == MAIL_MFA_RECOVERY_CODES ||
	                 kind == MAIL_MFA_DISABLED
	             ? OUTBOX_NOTICE_MINUTES
	             : v->expire_minutes);
	params[0] = mail_kind_name(kind);
	params[1] = v->to;
	params[2] = user_id > 0 ? uid : NULL;
	params[3] = hex;
	params[4] = mins;
	params[5] = key_id;
	params[6] = keep ? "true" : "false";
	rc = db_exec(db, ST_OUTBOX_INSERT, params, 7, &res);
	if (rc != DB_OK || !keep)
		goto out;
	rc = DB_ERROR;
	if (PQntuples(res) != 1 || PQnfields(res) < 1)
		goto out;
	errno = 0;
	got = strtoll(PQgetvalue(res, 0, 0), &end, 10);
	if (errno != 0 || end == NULL || *end != '\0' || got <= 0)
		goto out;
	*id = (int64_t)got;
	rc = DB_OK;
out:
	if (res != NULL)
		PQclear(res);
	free(hex);
	return rc;
}

int mail_enqueue(PGconn *db, const struct conf *c, enum mail_kind kind, int64_t user_id,
                 const struct mail_vars *v, int64_t *id)
{
	return mail_queue(db, c, kind, user_id, v, 1, id);
}

int mail_decoy(PGconn *db, const struct conf *c, enum mail_kind kind, const struct mail_vars *v)
{
	int64_t id = 0;

	return mail_queue(db, c, kind, 0, v, 0, &id);
}

/* OUT_UNREADABLE: this key could not unseal it; given back, not counted. */
enum outcome { OUT_SENT, OUT_RETRIED, OUT_FAILED, OUT_EXPIRED, OUT_UNREADABLE, OUT_DBERR };

/* min(60 * 2^(n-1), 3600) seconds after the n-th failed attempt. */
static int backoff_seconds(int attempts)
{
	int s = 60;

	for (int i = 1; i < attempts && s < MAIL_BACKOFF_MAX; i++)
		s *= 2;
	return s < MAIL_BACKOFF_MAX ? s : MAIL_BACKOFF_MAX;
}

static enum outcome mark_failed(PGconn *db, const char *id, const char *reason)
{
	const char *p[2] = {id, reason};

	return db_exec(db, ST_OUTBOX_FAILED, p, 2, NULL) == DB_OK ? OUT_FAILED : OUT_DBERR;
}

/*
 * Delivers one claimed row (columns: id, recipient, sealed hex, expired,
 * attempts, kind) and records the outcome; key_id is the hex id of c's
 * outbox key (outbox.h).
 */
static enum outcome outbox_handle(PGconn *db, const struct conf *c, const char *key_id,
                                  PGresult *res, int row)
{
	const char *id = PQgetvalue(res, row, 0);
	const char *to = PQgetvalue(res, row, 1);
	const char *hex = PQgetvalue(res, row, 2);
	int expired = PQgetvalue(res, row, 3)[0] == 't';
	int attempts = (int)strtol(PQgetvalue(res, row, 4), NULL, 10);
	const char *kind = PQgetvalue(res, row, 5);
	unsigned char *sealed = NULL;
	size_t sealedlen = 0, msglen = 0;
	char *msg = NULL;
	char err[256];
	const unsigned char *key = mail_key(c);
	enum outcome o = OUT_DBERR;

	if (key == NULL)
		goto out;
	if (expired) {
		const char *p[1] = {id};

		if (db_exec(db, ST_OUTBOX_EXPIRED, p, 1, NULL) == DB_OK) {
			log_info("outbox %s (%s): expired before delivery", id, kind);
			o = OUT_EXPIRED;
		}
		goto out;
	}
	if (PQgetisnull(res, row, 2) || hex_decode(hex, &sealed, &sealedlen) != 0 ||
	    mail_unseal(key, sealed, sealedlen, &msg, &msglen) != 0) {
		/* Sealed under another key before rows had key ids, or damaged:
		 * an install with the right key may still read it. */
		o = outbox_release_unreadable(db, id, kind, key_id) == 0 ? OUT_UNREADABLE
		                                                         : OUT_DBERR;
		goto out;
	}
	switch (mail_transport_send(c, to, msg, msglen, err, sizeof(err))) {
	case MAIL_SENT: {
		const char *p[1] = {id};

		if (db_exec(db, ST_OUTBOX_SENT, p, 1, NULL) == DB_OK) {
			log_info("outbox %s (%s): sent", id, kind);
			o = OUT_SENT;
			/* Mail that reaches no one must not pass unnoticed: once a day. */
			if (c->mail_transport == MAIL_TRANSPORT_FILE &&
			    notice_due(db, "mail_transport_file", NOTICE_EVERY_DAY) == 1)
				log_warn("MAIL_TRANSPORT is file: mail is written to %s and not"
				         " sent to anyone; set MAIL_TRANSPORT=smtp in production"
				         " (medicalcare-check lists what else to fix)",
				         c->mail_dir);
		} else {
			log_error("outbox %s (%s): sent, but could not record it", id, kind);
		}
		break;
	}
	case MAIL_TEMPFAIL:
		if (attempts >= MAIL_MAX_ATTEMPTS) {
			log_warn("outbox %s (%s): failed after %d attempts: %s", id, kind, attempts,
			         err);
			o = mark_failed(db, id, err);
		} else {
			char secs[16];
			const char *p[3] = {id, secs, err};
			int s = backoff_seconds(attempts);

			snprintf(secs, sizeof(secs), "%d", s);
			log_warn("outbox %s (%s): attempt %d failed, retrying in %d s: %s", id,
			         kind, attempts, s, err);
			o = db_exec(db, ST_OUTBOX_RETRY, p, 3, NULL) == DB_OK ? OUT_RETRIED
			                                                      : OUT_DBERR;
		}
		break;
	case MAIL_PERMFAIL:
		log_warn("outbox %s (%s): failed: %s", id, kind, err);
		o = mark_failed(db, id, err);
		break;
	}
out:
	free(sealed);
	secret_free(msg, msglen);
	return o;
}

static void count(struct mail_flush_stats *st, enum outcome o)
{
	switch (o) {
	case OUT_SENT:
		st->sent++;
		break;
	case OUT_RETRIED:
		st->retried++;
		break;
	case OUT_FAILED:
		st->failed++;
		break;
	case OUT_EXPIRED:
		st->expired++;
		break;
	case OUT_UNREADABLE:
	case OUT_DBERR:
		break;
	}
}

static int claim_ok(const PGresult *res)
{
	return PQnfields(res) >= 6;
}

int mail_outbox_deliver_id(PGconn *db, const struct conf *c, int64_t id)
{
	char ids[24], lease[16], key_id[OUTBOX_KEY_ID_HEX];
	const char *p[3] = {ids, lease, key_id};
	PGresult *res = NULL;
	const unsigned char *key = mail_key(c);
	enum outcome o;
	int rc = -1;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	snprintf(lease, sizeof(lease), "%d", MAIL_LEASE_SECONDS);
	if (key == NULL || outbox_key_id(key, key_id) != 0 ||
	    db_exec(db, ST_OUTBOX_CLAIM_ID, p, 3, &res) != DB_OK)
		goto out;
	if (!claim_ok(res))
		goto out;
	if (PQntuples(res) == 0) {
		rc = 1;
		goto out;
	}
	o = outbox_handle(db, c, key_id, res, 0);
	rc = o == OUT_SENT ? 0 : o == OUT_DBERR ? -1 : 1;
out:
	if (res != NULL)
		PQclear(res);
	return rc;
}

/*
 * Rows claimed together share one lease, so a batch is small enough to be
 * sent well within it even when every send runs into the SMTP timeout.
 */
static int batch_size(const struct conf *c)
{
	int per = (c->smtp_timeout > 0 ? c->smtp_timeout : 10) + 1;
	int n = MAIL_LEASE_SECONDS / (2 * per);

	if (n < 1)
		return 1;
	return n > MAIL_BATCH_MAX ? MAIL_BATCH_MAX : n;
}

int mail_outbox_flush(PGconn *db, const struct conf *c, int max, struct mail_flush_stats *stats)
{
	char limit[16], lease[16], key_id[OUTBOX_KEY_ID_HEX];
	const char *p[3] = {limit, lease, key_id};
	const unsigned char *key = mail_key(c);
	int handled = 0;

	memset(stats, 0, sizeof(*stats));
	snprintf(lease, sizeof(lease), "%d", MAIL_LEASE_SECONDS);
	/* Expired rows of any key first, then a line about rows of other keys. */
	if (key == NULL || outbox_key_id(key, key_id) != 0 ||
	    outbox_expire_due(db, max, &stats->expired) != 0 ||
	    outbox_note_foreign(db, key_id) != 0)
		return -1;
	while (handled < max) {
		PGresult *res = NULL;
		int want = max - handled;
		int n;

		if (want > batch_size(c))
			want = batch_size(c);
		snprintf(limit, sizeof(limit), "%d", want);
		if (db_exec(db, ST_OUTBOX_CLAIM_DUE, p, 3, &res) != DB_OK)
			return -1;
		if (!claim_ok(res)) {
			PQclear(res);
			return -1;
		}
		n = PQntuples(res);
		for (int i = 0; i < n; i++) {
			enum outcome o = outbox_handle(db, c, key_id, res, i);

			if (o == OUT_DBERR) {
				PQclear(res);
				return -1;
			}
			count(stats, o);
		}
		PQclear(res);
		if (n == 0)
			break;
		handled += n;
	}
	return 0;
}
