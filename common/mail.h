/*
 * mail: the three messages the service sends, their MIME form, the outbox
 * they wait in, and the transports that deliver them.
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
#include <time.h>

#include "conf.h"

#define MAIL_MAX_BYTES (64 * 1024)
#define MAIL_LEASE_SECONDS 120
#define MAIL_MAX_ATTEMPTS 10

enum mail_kind { MAIL_OTP, MAIL_RESET, MAIL_PASSWORD_CHANGED };

struct mail_vars {
	const char *to; /* a validated, normalized address */
	/* The account's name for the greeting, or NULL: only a name the owner of
	 * the address set (a verified account's). MAIL_OTP never greets by name. */
	const char *full_name;
	const char *code; /* MAIL_OTP: the 6-digit code */
	const char *link; /* MAIL_RESET: FRONTEND_URL + "/reset-password?token=..." */
	/* MAIL_OTP, MAIL_RESET: how long the code or link lasts; the mail is
	 * dropped after it (other kinds: after OUTBOX_NOTICE_MINUTES). */
	int expire_minutes;
	int after_signup; /* MAIL_RESET: sent for a second sign-up of an unverified account */
};

/* "otp", "reset", "password_changed": the outbox's kind column. */
const char *mail_kind_name(enum mail_kind k);

/*
 * Renders the subject and text and HTML bodies of kind for v. 0 and three
 * strings the caller frees, or -1.
 */
int mail_render(const struct conf *c, enum mail_kind kind, const struct mail_vars *v,
                char **subject, char **text, char **html);

/*
 * Composes an RFC 5322 message (From, To, Subject, Date, Message-ID,
 * MIME-Version, multipart/alternative text + HTML, both quoted-printable or
 * base64, CRLF line ends). 0 and *out (caller frees) with *len, or -1.
 * Both parts are base64 (76-character lines) of the bodies with CRLF line
 * ends, so a test reads them with a MIME parser (Python's email module), not
 * grep. -1 also when to is not printable ASCII (no space, '<' or '>', and an
 * '@' inside it), when the From address is invalid, or past MAIL_MAX_BYTES.
 */
int mail_compose(const struct conf *c, const char *to, const char *subject, const char *text,
                 const char *html, time_t now, char **out, size_t *len);

enum mail_send_rc { MAIL_SENT = 0, MAIL_TEMPFAIL = 1, MAIL_PERMFAIL = 2 };

/*
 * Delivers a composed message to one recipient through the configured
 * transport. On failure writes a short reason (no message content) to err.
 * SMTP 5xx replies are MAIL_PERMFAIL; connection failures, timeouts and 4xx
 * are MAIL_TEMPFAIL, and so is MAIL_TRANSPORT=smtp in a program that
 * installed no SMTP transport (the mail stays queued for medicalcare-outbox).
 */
enum mail_send_rc mail_transport_send(const struct conf *c, const char *to, const char *msg,
                                      size_t len, char *err, size_t errlen);

/*
 * A transport mail_transport_send() hands MAIL_TRANSPORT=smtp messages to:
 * send() gets a valid From address (mail_from_address()) and recipient and
 * answers as mail_transport_send() does; cleanup() frees what send() set up
 * once per process (may be NULL).
 */
struct mail_sender {
	enum mail_send_rc (*send)(const struct conf *c, const char *from, const char *to,
	                          const char *msg, size_t len, char *err, size_t errlen);
	void (*cleanup)(void);
};

/* Installs t (borrowed for the life of the process) as the SMTP transport. */
void mail_set_smtp(const struct mail_sender *t);

/*
 * The From address: SMTP_FROM, else SMTP_EMAIL, else "no-reply@localhost".
 * Borrowed from c (or static).
 */
const char *mail_from_address(const struct conf *c);

/*
 * Frees what the SMTP transport set up once per process (its cleanup()).
 * Call at most once, at exit, when no other thread uses the transport;
 * harmless when nothing was set up.
 */
void mail_global_cleanup(void);

/* AES-256-GCM with a random 12-byte nonce: out = nonce || ciphertext || tag. 0 and *out (caller frees), or -1. */
int mail_seal(const unsigned char key[32], const void *in, size_t len, unsigned char **out,
              size_t *outlen);
/* The reverse; -1 when the tag does not verify. *out is NUL-terminated; caller frees. */
int mail_unseal(const unsigned char key[32], const unsigned char *in, size_t len, char **out,
                size_t *outlen);

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
