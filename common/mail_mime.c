#include "mail_mime.h"

#include "b64.h"
#include "buf.h"
#include "hex.h"
#include "log.h"
#include "mail_render.h"
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

#define MAIL_NAME_MAX 256        /* bytes of a display name kept */
#define MAIL_WORD_BYTES 39       /* bytes per RFC 2047 encoded word: 52 base64 chars */
#define MAIL_RAW_SUBJECT_MAX 900 /* an ASCII subject longer than this is encoded */
#define MAIL_B64_LINE 76
#define MAIL_DEFAULT_FROM "no-reply@localhost"

const char *mail_from_address(const struct conf *c)
{
	if (c->smtp_from != NULL && c->smtp_from[0] != '\0')
		return c->smtp_from;
	if (c->smtp_email != NULL && c->smtp_email[0] != '\0')
		return c->smtp_email;
	return MAIL_DEFAULT_FROM;
}

/*
 * An address fit for a header and an SMTP envelope: printable ASCII without
 * space, '<' or '>', with an '@' that is neither first nor last.
 */
int mail_addr_ok(const char *a)
{
	const char *at;
	size_t n;

	if (a == NULL)
		return 0;
	n = strlen(a);
	if (n < 3 || n > 320)
		return 0;
	for (const char *p = a; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch <= 0x20 || ch >= 0x7f || ch == '<' || ch == '>')
			return 0;
	}
	at = strrchr(a, '@');
	return at != NULL && at != a && at[1] != '\0';
}

static int is_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p >= 0x80)
			return 0;
	return 1;
}

/* Bytes of the UTF-8 sequence that starts with lead (1 for a stray byte). */
static size_t utf8_seq_len(unsigned char lead)
{
	if (lead >= 0xf0 && lead <= 0xf7)
		return 4;
	if (lead >= 0xe0)
		return lead <= 0xef ? 3 : 1;
	if (lead >= 0xc0)
		return 2;
	return 1;
}

/*
 * Appends s as RFC 2047 encoded words (UTF-8, B), split on character
 * boundaries and folded with CRLF SP between words.
 */
static int put_encoded_words(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	size_t i = 0;

	while (i < len) {
		char enc[B64_ENCODED_SIZE(MAIL_WORD_BYTES)];
		size_t n = 0;

		while (i + n < len) {
			size_t cl = utf8_seq_len(p[i + n]);

			if (cl > len - i - n)
				cl = len - i - n;
			if (n + cl > MAIL_WORD_BYTES)
				break;
			n += cl;
		}
		if (b64_encode(p + i, n, enc, sizeof(enc)) < 0)
			return -1;
		if (buf_printf(b, "%s=?UTF-8?B?%s?=", i > 0 ? "\r\n " : "", enc) != 0)
			return -1;
		i += n;
	}
	return 0;
}

/* s without control characters, cut to at most max bytes on a UTF-8 boundary; caller frees. */
static char *header_text(const char *s, size_t max)
{
	struct buf b;
	char *out;
	size_t n;

	buf_init(&b, MAIL_MAX_BYTES);
	if (mail_put_clean(&b, s != NULL ? s : "") != 0) {
		buf_release(&b);
		return NULL;
	}
	out = buf_detach(&b, &n);
	if (out != NULL && n > max) {
		n = max;
		while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80)
			n--;
		out[n] = '\0';
	}
	return out;
}

/* Appends the display name: a quoted string when ASCII, else encoded words. */
static int put_display_name(struct buf *b, const char *raw)
{
	char *name = header_text(raw, MAIL_NAME_MAX);
	int rc = -1;

	if (name == NULL)
		return -1;
	if (name[0] == '\0') {
		rc = 0;
		goto out;
	}
	if (!is_ascii(name)) {
		rc = put_encoded_words(b, name) == 0 && buf_puts(b, " ") == 0 ? 0 : -1;
		goto out;
	}
	if (buf_puts(b, "\"") != 0)
		goto out;
	for (const char *p = name; *p != '\0'; p++) {
		if ((*p == '"' || *p == '\\') && buf_puts(b, "\\") != 0)
			goto out;
		if (buf_append(b, p, 1) != 0)
			goto out;
	}
	rc = buf_puts(b, "\" ");
out:
	free(name);
	return rc;
}

static int put_subject(struct buf *b, const char *raw)
{
	char *s = header_text(raw, 4 * MAIL_RAW_SUBJECT_MAX);
	int rc;

	if (s == NULL)
		return -1;
	if (is_ascii(s) && strlen(s) <= MAIL_RAW_SUBJECT_MAX)
		rc = buf_puts(b, s);
	else
		rc = put_encoded_words(b, s);
	free(s);
	return rc;
}

/* RFC 5322 date in UTC, independent of the locale. */
static int put_date(struct buf *b, time_t now)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11)
		return -1;
	return buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
	                  months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * Appends body as one MIME part: its line ends made CRLF, then base64 in
 * lines of 76 characters.
 */
static int put_part(struct buf *b, const char *boundary, const char *type, const char *body)
{
	struct buf crlf;
	char *enc = NULL;
	size_t enclen;
	int rc = -1;

	buf_init(&crlf, MAIL_MAX_BYTES);
	for (const char *p = body; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n' ? buf_puts(&crlf, "\r\n") != 0 : buf_append(&crlf, p, 1) != 0)
			goto out;
	}
	enclen = B64_ENCODED_SIZE(crlf.len);
	enc = malloc(enclen);
	if (enc == NULL)
		goto out;
	if (b64_encode(crlf.data != NULL ? crlf.data : "", crlf.len, enc, enclen) < 0)
		goto out;
	if (buf_printf(b,
	               "--%s\r\nContent-Type: %s; charset=UTF-8\r\n"
	               "Content-Transfer-Encoding: base64\r\n\r\n",
	               boundary, type) != 0)
		goto out;
	enclen = strlen(enc);
	for (size_t i = 0; i < enclen; i += MAIL_B64_LINE) {
		size_t n = enclen - i < MAIL_B64_LINE ? enclen - i : MAIL_B64_LINE;

		if (buf_append(b, enc + i, n) != 0 || buf_puts(b, "\r\n") != 0)
			goto out;
	}
	rc = 0;
out:
	if (enc != NULL)
		secret_free_str(enc);
	buf_release_secure(&crlf);
	return rc;
}

int mail_compose(const struct conf *c, const char *to, const char *subject, const char *text,
                 const char *html, time_t now, char **out, size_t *len)
{
	const char *from = mail_from_address(c);
	const char *name = c->smtp_from_name != NULL ? c->smtp_from_name : mail_app_name(c);
	char msgid[33], rnd[33], boundary[40];
	struct buf b;
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (!mail_addr_ok(to)) {
		log_warn("refusing to compose a message to an invalid address");
		return -1;
	}
	if (!mail_addr_ok(from)) {
		log_error("invalid From address: check SMTP_FROM and SMTP_EMAIL");
		return -1;
	}
	if (subject == NULL || text == NULL || html == NULL)
		return -1;
	buf_init(&b, MAIL_MAX_BYTES);
	if (token_random_hex(16, msgid) != 0 || token_random_hex(16, rnd) != 0)
		goto out;
	/* "=_" cannot begin a base64 line, so no body line can look like a boundary. */
	snprintf(boundary, sizeof(boundary), "=_mc_%s", rnd);
	if (buf_puts(&b, "From: ") != 0 || put_display_name(&b, name) != 0 ||
	    buf_printf(&b, "<%s>\r\nTo: <%s>\r\nSubject: ", from, to) != 0 ||
	    put_subject(&b, subject) != 0 || buf_puts(&b, "\r\nDate: ") != 0 ||
	    put_date(&b, now) != 0 ||
	    buf_printf(&b, "\r\nMessage-ID: <%s@%s>\r\n", msgid, strrchr(from, '@') + 1) != 0 ||
	    buf_printf(&b,
	               "Auto-Submitted: auto-generated\r\n"
	               "MIME-Version: 1.0\r\n"
	               "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n"
	               "\r\n",
	               boundary) != 0 ||
	    put_part(&b, boundary, "text/plain", text) != 0 ||
	    put_part(&b, boundary, "text/html", html) != 0 ||
	    buf_printf(&b, "--%s--\r\n", boundary) != 0)
		goto out;
	*out = buf_detach(&b, len);
	if (*out == NULL)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		log_error("could not compose a mail message");
	buf_release_secure(&b);
	return rc;
}
