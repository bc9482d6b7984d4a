/*
 * mail_send: delivering a composed message through the configured transport:
 * MAIL_TRANSPORT=file (one .eml file per message in MAIL_DIR) here, or
 * =smtp through the transport a program installs (mail_smtp.h, the only user
 * of libcurl, linked only into the programs that deliver mail).
 */
#ifndef MC_MAIL_SEND_H
#define MC_MAIL_SEND_H

#include <stddef.h>

#include "conf.h"

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
 * Frees what the SMTP transport set up once per process (its cleanup()).
 * Call at most once, at exit, when no other thread uses the transport;
 * harmless when nothing was set up.
 */
void mail_global_cleanup(void);

#endif
