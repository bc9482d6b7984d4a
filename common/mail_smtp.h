/*
 * mail_smtp: the SMTP transport of mail.h, through libcurl: plain SMTP,
 * STARTTLS (SMTP_SECURITY=starttls) or implicit TLS (=tls), the server's
 * certificate and name always verified (SMTP_CA_FILE adds a CA bundle), with
 * login when SMTP_PASSWORD is set.
 *
 * Only the programs that deliver mail link this module, and with it libcurl
 * and the libraries libcurl maps at every start (nghttp2, ssh2, rtmp, psl,
 * brotli, zstd...): signup, resend-otp, forgot-password, reset-password and
 * medicalcare-outbox. Each calls mail_smtp_enable() once, before delivering.
 */
#ifndef MC_MAIL_SMTP_H
#define MC_MAIL_SMTP_H

/* Installs this transport for MAIL_TRANSPORT=smtp (mail_set_smtp()). */
void mail_smtp_enable(void);

#endif
