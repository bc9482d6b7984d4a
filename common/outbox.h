/*
 * outbox: the parts of the mail outbox (mail.h) that have to do with which key
 * sealed a row, and that need no unsealing.
 *
 * Every row is sealed under conf_keys()->outbox, derived from JWT_SECRET_KEY, and
 * carries that key's id (mail_outbox.key_id): the first 8 bytes of
 * HMAC-SHA256(that key, a fixed label), which tell keys apart and reveal
 * nothing of them. An install (a set of programs with one JWT_SECRET_KEY)
 * claims only rows of its own key id, and rows without one (queued before
 * sql/004_outbox_key.sql); rows of another key wait, pending, for an install
 * that holds it (the old key after a rotation, a second install on the same
 * database).
 *
 * A row nobody delivers ends by its expiry: every row has one (notices
 * OUTBOX_NOTICE_MINUTES after they were queued), and any install marks pending
 * rows past it expired and wipes them (outbox_expire_due).
 *
 * A row an install cannot unseal is never failed, counted as an attempt or
 * logged twice by that install: mail_outbox_unreadable records, per row, the
 * key ids of the installs that have logged it, and an install never claims a
 * row it has recorded there.
 */
#ifndef MC_OUTBOX_H
#define MC_OUTBOX_H

#include <libpq-fe.h>

#define OUTBOX_KEY_ID_LEN 8
#define OUTBOX_KEY_ID_HEX (2 * OUTBOX_KEY_ID_LEN + 1) /* lower-case hex and a NUL */

/* How long a notice (a kind whose content does not expire) waits: 7 days. */
#define OUTBOX_NOTICE_MINUTES (7 * 24 * 60)

/* The id of outbox key key, as lower-case hex, into out. 0, or -1. */
int outbox_key_id(const unsigned char key[32], char out[OUTBOX_KEY_ID_HEX]);

/*
 * Marks up to max pending rows past their expiry expired and wipes their
 * content, whatever key sealed them; a row without an expiry (queued before
 * sql/004) expires OUTBOX_NOTICE_MINUTES after it was queued. Rows leased by
 * a sender are left to it. Logs each row. 0 and *n (how many), or -1 on a
 * database error.
 */
int outbox_expire_due(PGconn *db, int max, int *n);

/*
 * Logs the pending rows sealed under a key other than key_id (hex) that this
 * install has not logged yet, one line per such key, and records them as
 * logged. The rows themselves are not changed. 0, or -1 on a database error.
 */
int outbox_note_foreign(PGconn *db, const char *key_id);

/*
 * Gives back claimed row id (of kind) that key_id (hex) could not unseal: the
 * lease and the attempt the claim counted are undone, the row stays pending
 * and due for an install that can read it, and it is recorded so this one
 * neither logs nor claims it again. Logs one line. 0, or -1 on a database
 * error.
 */
int outbox_release_unreadable(PGconn *db, const char *id, const char *kind, const char *key_id);

#endif
