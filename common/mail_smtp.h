/*
 * mail_smtp: the SMTP transport of mail.h, through libcurl: plain SMTP,
 * STARTTLS (SMTP_SECURITY=starttls) or implicit TLS (=tls), the server's
 * certificate and name always verified (SMTP_CA_FILE adds a CA bundle), with
 * login when SMTP_PASSWORD is set.
 *
 * Only the programs that deliver mail link this module: signup, resend-otp,
 * forgot-password, reset-password, change-password, delete-account, mfa-setup,
 * mfa-enable, mfa-verify, mfa-recovery-codes, mfa-disable and
 * medicalcare-outbox. Each calls
 * mail_smtp_enable() once, before delivering. Even there libcurl (and the two
 * dozen libraries it maps) is loaded by the first mail sent (libcurl.h), not
 * at start: those programs deliver after the answer.
 */
#ifndef MC_MAIL_SMTP_H
#define MC_MAIL_SMTP_H

/* Installs this transport for MAIL_TRANSPORT=smtp (mail_set_smtp()). */
void mail_smtp_enable(void);

#endif
