/*
 * mail_mime: a rendered message as RFC 5322 / MIME text (pure: no I/O).
 * Header values come only from validated addresses, fixed subjects and the
 * configured names, with CR/LF removed and non-ASCII encoded (RFC 2047).
 */
#ifndef MC_MAIL_MIME_H
#define MC_MAIL_MIME_H

#include <stddef.h>
#include <time.h>

#include "conf.h"

#define MAIL_MAX_BYTES (64 * 1024)

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

/*
 * The From address: SMTP_FROM, else SMTP_EMAIL, else "no-reply@localhost".
 * Borrowed from c (or static).
 */
const char *mail_from_address(const struct conf *c);

/*
 * 1 when a is fit for a header and an SMTP envelope: printable ASCII without
 * space, '<' or '>', with an '@' that is neither first nor last.
 */
int mail_addr_ok(const char *a);

#endif
