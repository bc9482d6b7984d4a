/*
 * mail: rendering, MIME composition, sealing, the outbox and the file
 * transport (SMTP is mail_smtp.c).
 *
 * Every buffer that holds a rendered or composed message (it carries a code
 * or a reset link) is wiped before it is freed.
 */
#include "mail.h"

#include "b64.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "notice.h"
#include "outbox.h"
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

#define MAIL_NONCE_LEN 12
#define MAIL_TAG_LEN 16
#define MAIL_SEAL_AAD "medicalcare-outbox-v1"
#define MAIL_BODY_MAX (16 * 1024) /* one rendered body */
#define MAIL_NAME_MAX 256         /* bytes of a display name kept */
#define MAIL_WORD_BYTES 39        /* bytes per RFC 2047 encoded word: 52 base64 chars */
#define MAIL_RAW_SUBJECT_MAX 900  /* an ASCII subject longer than this is encoded */
#define MAIL_B64_LINE 76
#define MAIL_BATCH_MAX 20
#define MAIL_BACKOFF_MAX 3600
#define MAIL_DEFAULT_FROM "no-reply@localhost"
#define MAIL_DEFAULT_NAME "MedicalCare"

static const char *const mail_kind_names[] = {
    [MAIL_OTP] = "otp",
    [MAIL_RESET] = "reset",
    [MAIL_PASSWORD_CHANGED] = "password_changed",
};

const char *mail_kind_name(enum mail_kind k)
{
	if ((unsigned)k >= sizeof(mail_kind_names) / sizeof(mail_kind_names[0]))
		return "unknown";
	return mail_kind_names[k];
}

const char *mail_from_address(const struct conf *c)
{
	if (c->smtp_from != NULL && c->smtp_from[0] != '\0')
		return c->smtp_from;
	if (c->smtp_email != NULL && c->smtp_email[0] != '\0')
		return c->smtp_email;
	return MAIL_DEFAULT_FROM;
}

static const char *mail_app_name(const struct conf *c)
{
	if (c->app_name != NULL && c->app_name[0] != '\0')
		return c->app_name;
	return MAIL_DEFAULT_NAME;
}

/* Frees a NUL-terminated secret after wiping it. */
static void wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* Frees len bytes after wiping them. */
static void wipe_free_len(void *p, size_t len)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, len);
		free(p);
	}
}

/*
 * The length of the control character (C0, DEL, or C1 as UTF-8) at s, or 0
 * when s does not start with one.
 */
static size_t ctl_len(const unsigned char *s)
{
	if (s[0] < 0x20 || s[0] == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	return 0;
}

/* Appends s without its control characters. 0, or -1 when the buffer is full. */
static int put_clean(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t n = ctl_len(p);
		size_t run = 0;

		if (n > 0) {
			p += n;
			continue;
		}
		while (p[run] != '\0' && ctl_len(p + run) == 0)
			run++;
		if (buf_append(b, p, run) != 0)
			return -1;
		p += run;
	}
	return 0;
}

/* Appends s HTML-escaped (text and attribute values), without control characters. */
static int put_html(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		const char *rep = NULL;
		size_t n = ctl_len(p);

		if (n > 0) {
			p += n;
			continue;
		}
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			break;
		}
		if (rep != NULL ? buf_puts(b, rep) != 0 : buf_append(b, p, 1) != 0)
			return -1;
		p++;
	}
	return 0;
}

/* The start of both bodies: a greeting by name when there is one. */
static int put_greeting(struct buf *text, struct buf *html, const char *subject, const char *name)
{
	int has_name = name != NULL && name[0] != '\0';

	if (buf_puts(html, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\">\n<title>") !=
	        0 ||
	    put_html(html, subject) != 0 ||
	    buf_puts(html, "</title>\n</head>\n<body style=\"font-family: Arial, Helvetica, "
	                   "sans-serif; line-height: 1.5\">\n<p>Hello") != 0)
		return -1;
	if (buf_puts(text, "Hello") != 0)
		return -1;
	if (has_name) {
		if (buf_puts(text, " ") != 0 || put_clean(text, name) != 0 ||
		    buf_puts(html, " ") != 0 || put_html(html, name) != 0)
			return -1;
	}
	if (buf_puts(text, ",\n\n") != 0 || buf_puts(html, ",</p>\n") != 0)
		return -1;
	return 0;
}

static const char *plural(int n)
{
	return n == 1 ? "" : "s";
}

/*
 * The code mail greets no one: whoever signed up chose the name, and it may
 * not be the owner of the address (docs/CONTRACT.md SU-5).
 */
static int render_otp(const struct conf *c, const char *app, const struct mail_vars *v,
                      struct buf *subj, struct buf *text, struct buf *html)
{
	int m = v->expire_minutes;
	int d = c->unverified_account_days;

	if (v->code == NULL || v->code[0] == '\0')
		return -1;
	if (put_clean(subj, app) != 0 || buf_puts(subj, " verification code") != 0)
		return -1;
	if (put_greeting(text, html, subj->data, NULL) != 0)
		return -1;
	if (buf_puts(text, "Your ") != 0 || put_clean(text, app) != 0 ||
	    buf_puts(text, " verification code is:\n\n    ") != 0 ||
	    put_clean(text, v->code) != 0 ||
	    buf_printf(text, "\n\nIt expires in %d minute%s.\n\n", m, plural(m)) != 0 ||
	    buf_puts(text, "If you did not sign up, someone else typed your address: do not "
	                   "share this code and ignore this email. Without the code the account "
	                   "is never opened") != 0 ||
	    buf_printf(text, ", and it is deleted after %d day%s.\n", d, plural(d)) != 0)
		return -1;
	if (buf_puts(html, "<p>Your ") != 0 || put_html(html, app) != 0 ||
	    buf_puts(html, " verification code is:</p>\n<p style=\"font-size: 28px; font-weight: "
	                   "bold; letter-spacing: 6px\">") != 0 ||
	    put_html(html, v->code) != 0 ||
	    buf_printf(html, "</p>\n<p>It expires in %d minute%s.</p>\n", m, plural(m)) != 0 ||
	    buf_puts(html, "<p>If you did not sign up, someone else typed your address: do not "
	                   "share this code and ignore this email. Without the code the account "
	                   "is never opened") != 0 ||
	    buf_printf(html, ", and it is deleted after %d day%s.</p>\n", d, plural(d)) != 0)
		return -1;
	return 0;
}

static int render_reset(const char *app, const struct mail_vars *v, struct buf *subj,
                        struct buf *text, struct buf *html)
{
	int m = v->expire_minutes;

	if (v->link == NULL || v->link[0] == '\0')
		return -1;
	if (put_clean(subj, app) != 0 || buf_puts(subj, " password reset") != 0)
		return -1;
	if (put_greeting(text, html, subj->data, v->full_name) != 0)
		return -1;
	if (v->after_signup) {
		/* A second sign-up of an account nobody verified: only whoever reads
		 * this mail can choose the password now. */
		if (buf_puts(text, "Someone, perhaps you, tried to sign up for ") != 0 ||
		    put_clean(text, app) != 0 ||
		    buf_puts(text, " with this address, which already has an account that was "
		                   "never verified. To use it, choose its password with this link "
		                   "(this also confirms your address):\n\n") != 0 ||
		    buf_puts(html, "<p>Someone, perhaps you, tried to sign up for ") != 0 ||
		    put_html(html, app) != 0 ||
		    buf_puts(html, " with this address, which already has an account that was "
		                   "never verified. To use it, choose its password with this link "
		                   "(this also confirms your address):</p>\n<p><a href=\"") != 0)
			return -1;
	} else if (buf_puts(text, "We received a request to reset the password of your ") != 0 ||
	           put_clean(text, app) != 0 ||
	           buf_puts(text, " account. To choose a new password, open this link:\n\n") != 0 ||
	           buf_puts(html, "<p>We received a request to reset the password of your ") != 0 ||
	           put_html(html, app) != 0 ||
	           buf_puts(html, " account. To choose a new password, open this link:</p>\n"
	                          "<p><a href=\"") != 0) {
		return -1;
	}
	if (put_clean(text, v->link) != 0 ||
	    buf_printf(text, "\n\nThe link expires in %d minute%s and works once.\n\n", m,
	               plural(m)) != 0 ||
	    buf_puts(text, v->after_signup
	                       ? "If you did not sign up, ignore this email: nobody can use the "
	                         "account without this link.\n"
	                       : "If you did not ask for a password reset, ignore this email: your "
	                         "password stays as it is.\n") != 0)
		return -1;
	if (put_html(html, v->link) != 0 ||
	    buf_puts(html, "\">Reset your password</a></p>\n") != 0 ||
	    buf_puts(html,
	             "<p>If the link does not open, copy this address into your browser:<br>") !=
	        0 ||
	    put_html(html, v->link) != 0 ||
	    buf_printf(html, "</p>\n<p>The link expires in %d minute%s and works once.</p>\n", m,
	               plural(m)) != 0 ||
	    buf_puts(html, v->after_signup
	                       ? "<p>If you did not sign up, ignore this email: nobody can use the "
	                         "account without this link.</p>\n"
	                       : "<p>If you did not ask for a password reset, ignore this email: "
	                         "your password stays as it is.</p>\n") != 0)
		return -1;
	return 0;
}

static int render_changed(const struct conf *c, const char *app, const struct mail_vars *v,
                          struct buf *subj, struct buf *text, struct buf *html)
{
	const char *site = c->frontend_url;

	if (buf_puts(subj, "Your ") != 0 || put_clean(subj, app) != 0 ||
	    buf_puts(subj, " password was changed") != 0)
		return -1;
	if (put_greeting(text, html, subj->data, v->full_name) != 0)
		return -1;
	if (buf_puts(text, "The password of your ") != 0 || put_clean(text, app) != 0 ||
	    buf_puts(text, " account was just changed.\n\n"
	                   "If you did this, there is nothing more to do.\n\n"
	                   "If you did not, someone else may have access to your email: reset your "
	                   "password at once with \"Forgot password\"") != 0)
		return -1;
	if (site != NULL && site[0] != '\0' &&
	    (buf_puts(text, " at ") != 0 || put_clean(text, site) != 0))
		return -1;
	if (buf_puts(text, " and contact support.\n") != 0)
		return -1;
	if (buf_puts(html, "<p>The password of your ") != 0 || put_html(html, app) != 0 ||
	    buf_puts(html,
	             " account was just changed.</p>\n"
	             "<p>If you did this, there is nothing more to do.</p>\n"
	             "<p>If you did not, someone else may have access to your email: reset your "
	             "password at once with &quot;Forgot password&quot;") != 0)
		return -1;
	if (site != NULL && site[0] != '\0' &&
	    (buf_puts(html, " at <a href=\"") != 0 || put_html(html, site) != 0 ||
	     buf_puts(html, "\">") != 0 || put_html(html, site) != 0 ||
	     buf_puts(html, "</a>") != 0))
		return -1;
	if (buf_puts(html, " and contact support.</p>\n") != 0)
		return -1;
	return 0;
}

int mail_render(const struct conf *c, enum mail_kind kind, const struct mail_vars *v,
                char **subject, char **text, char **html)
{
	const char *app = mail_app_name(c);
	struct buf s, t, h;
	int rc = -1;

	*subject = *text = *html = NULL;
	buf_init(&s, 1024);
	buf_init(&t, MAIL_BODY_MAX);
	buf_init(&h, MAIL_BODY_MAX);
	switch (kind) {
	case MAIL_OTP:
		rc = render_otp(c, app, v, &s, &t, &h);
		break;
	case MAIL_RESET:
		rc = render_reset(app, v, &s, &t, &h);
		break;
	case MAIL_PASSWORD_CHANGED:
		rc = render_changed(c, app, v, &s, &t, &h);
		break;
	}
	if (rc != 0 || buf_puts(&h, "</body>\n</html>\n") != 0) {
		rc = -1;
		goto out;
	}
	*subject = buf_detach(&s, NULL);
	*text = buf_detach(&t, NULL);
	*html = buf_detach(&h, NULL);
	if (*subject == NULL || *text == NULL || *html == NULL) {
		wipe_free(*subject);
		wipe_free(*text);
		wipe_free(*html);
		*subject = *text = *html = NULL;
		rc = -1;
	}
out:
	buf_release_secure(&s);
	buf_release_secure(&t);
	buf_release_secure(&h);
	return rc;
}

/*
 * An address fit for a header and an SMTP envelope: printable ASCII without
 * space, '<' or '>', with an '@' that is neither first nor last.
 */
static int addr_ok(const char *a)
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
	if (put_clean(&b, s != NULL ? s : "") != 0) {
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

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes hex text; *out (caller frees) and *outlen, or -1. */
static int hex_decode(const char *in, unsigned char **out, size_t *outlen)
{
	size_t n = strlen(in);
	unsigned char *o;

	*out = NULL;
	if (n % 2 != 0)
		return -1;
	o = malloc(n / 2 + 1);
	if (o == NULL)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_value(in[2 * i]);
		int lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(o);
			return -1;
		}
		o[i] = (unsigned char)(hi << 4 | lo);
	}
	*out = o;
	*outlen = n / 2;
	return 0;
}

/* Random lower-case hex of nbytes bytes into out[2 * nbytes + 1]. 0, or -1. */
static int random_hex(size_t nbytes, char *out)
{
	unsigned char raw[32];

	if (nbytes > sizeof(raw) || token_random(raw, nbytes) != 0)
		return -1;
	hex_encode(raw, nbytes, out);
	return 0;
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
		wipe_free(enc);
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
	if (!addr_ok(to)) {
		log_warn("refusing to compose a message to an invalid address");
		return -1;
	}
	if (!addr_ok(from)) {
		log_error("invalid From address: check SMTP_FROM and SMTP_EMAIL");
		return -1;
	}
	if (subject == NULL || text == NULL || html == NULL)
		return -1;
	buf_init(&b, MAIL_MAX_BYTES);
	if (random_hex(16, msgid) != 0 || random_hex(16, rnd) != 0)
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

int mail_seal(const unsigned char key[32], const void *in, size_t len, unsigned char **out,
              size_t *outlen)
{
	static const unsigned char aad[] = MAIL_SEAL_AAD;
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *o = NULL;
	size_t total;
	int n = 0, fin = 0, rc = -1;

	*out = NULL;
	*outlen = 0;
	if (len > (size_t)INT_MAX - MAIL_NONCE_LEN - MAIL_TAG_LEN)
		return -1;
	total = MAIL_NONCE_LEN + len + MAIL_TAG_LEN;
	o = malloc(total);
	if (o == NULL)
		goto out;
	if (token_random(o, MAIL_NONCE_LEN) != 0)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, MAIL_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, o) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)sizeof(aad) - 1) != 1)
		goto out;
	if (len > 0 && EVP_EncryptUpdate(ctx, o + MAIL_NONCE_LEN, &n, in, (int)len) != 1)
		goto out;
	if (len == 0)
		n = 0;
	if (EVP_EncryptFinal_ex(ctx, o + MAIL_NONCE_LEN + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, MAIL_TAG_LEN,
	                        o + MAIL_NONCE_LEN + len) != 1)
		goto out;
	*out = o;
	*outlen = total;
	o = NULL;
	rc = 0;
out:
	if (rc != 0)
		log_error("could not seal a mail message");
	EVP_CIPHER_CTX_free(ctx);
	if (o != NULL)
		wipe_free_len(o, total);
	return rc;
}

int mail_unseal(const unsigned char key[32], const unsigned char *in, size_t len, char **out,
                size_t *outlen)
{
	static const unsigned char aad[] = MAIL_SEAL_AAD;
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char tag[MAIL_TAG_LEN];
	unsigned char *o = NULL;
	size_t ctlen = 0;
	int n = 0, fin = 0, rc = -1;

	*out = NULL;
	*outlen = 0;
	if (len < MAIL_NONCE_LEN + MAIL_TAG_LEN || len - MAIL_NONCE_LEN - MAIL_TAG_LEN > INT_MAX)
		return -1;
	ctlen = len - MAIL_NONCE_LEN - MAIL_TAG_LEN;
	o = malloc(ctlen + 1);
	if (o == NULL)
		return -1;
	memcpy(tag, in + MAIL_NONCE_LEN + ctlen, MAIL_TAG_LEN);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, MAIL_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, in) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)sizeof(aad) - 1) != 1)
		goto out;
	n = 0;
	if (ctlen > 0 && EVP_DecryptUpdate(ctx, o, &n, in + MAIL_NONCE_LEN, (int)ctlen) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, MAIL_TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, o + n, &fin) != 1 || (size_t)n + (size_t)fin != ctlen)
		goto out;
	o[ctlen] = '\0';
	*out = (char *)o;
	*outlen = ctlen;
	o = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (o != NULL)
		wipe_free_len(o, ctlen + 1);
	return rc;
}

/* mkdir -p with mode for each directory it creates. 0, or -1 with errno. */
static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);
	struct stat st;

	if (n == 0 || n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		if (tmp[i - 1] == '/')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) != 0 && errno != EEXIST)
			return -1;
		tmp[i] = path[i];
	}
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Writes msg as MAIL_DIR/<unix time>-<random hex>.eml: temporary file, fsync, rename. */
static enum mail_send_rc send_file(const struct conf *c, const char *msg, size_t len, char *err,
                                   size_t errlen)
{
	const char *dir = c->mail_dir != NULL && c->mail_dir[0] != '\0' ? c->mail_dir : "./mail";
	char rnd[17], name[PATH_MAX], tmp[PATH_MAX];
	long long now = (long long)time(NULL);
	int fd = -1, dfd;
	enum mail_send_rc rc = MAIL_TEMPFAIL;

	if (mkdir_p(dir, 0700) != 0) {
		snprintf(err, errlen, "file: could not create mail directory: %s", strerror(errno));
		return MAIL_TEMPFAIL;
	}
	if (random_hex(8, rnd) != 0) {
		snprintf(err, errlen, "file: no random bytes");
		return MAIL_TEMPFAIL;
	}
	if (snprintf(name, sizeof(name), "%s/%lld-%s.eml", dir, now, rnd) >= (int)sizeof(name) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%lld-%s.eml.tmp", dir, now, rnd) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "file: mail directory path too long");
		return MAIL_TEMPFAIL;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "file: could not create message file: %s", strerror(errno));
		return MAIL_TEMPFAIL;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, msg, len) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "file: could not write message file: %s", strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "file: could not write message file: %s", strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, name) != 0) {
		snprintf(err, errlen, "file: could not rename message file: %s", strerror(errno));
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = MAIL_SENT;
out:
	if (fd >= 0)
		close(fd);
	if (rc != MAIL_SENT)
		unlink(tmp);
	return rc;
}

/*
 * The SMTP transport, when the program installed one (mail_smtp.h): a
 * pointer to a constant table, so the functions it names are read-only.
 */
static const struct mail_sender *mail_smtp;

void mail_set_smtp(const struct mail_sender *t)
{
	mail_smtp = t;
}

void mail_global_cleanup(void)
{
	if (mail_smtp != NULL && mail_smtp->cleanup != NULL)
		mail_smtp->cleanup();
}

enum mail_send_rc mail_transport_send(const struct conf *c, const char *to, const char *msg,
                                      size_t len, char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (!addr_ok(to)) {
		snprintf(err, errlen, "invalid recipient address");
		return MAIL_PERMFAIL;
	}
	if (len > MAIL_MAX_BYTES) {
		snprintf(err, errlen, "message too large");
		return MAIL_PERMFAIL;
	}
	if (c->mail_transport == MAIL_TRANSPORT_FILE)
		return send_file(c, msg, len, err, errlen);
	if (mail_smtp == NULL) {
		/* A program that never delivers mail, asked to: it stays queued. */
		snprintf(err, errlen, "smtp: this program has no SMTP transport");
		return MAIL_TEMPFAIL;
	}
	if (!addr_ok(mail_from_address(c))) {
		snprintf(err, errlen, "smtp: invalid From address");
		return MAIL_TEMPFAIL;
	}
	return mail_smtp->send(c, mail_from_address(c), to, msg, len, err, errlen);
}

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
	wipe_free(subject);
	wipe_free(text);
	wipe_free(html);
	wipe_free_len(msg, msglen);
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
	         kind == MAIL_PASSWORD_CHANGED ? OUTBOX_NOTICE_MINUTES : v->expire_minutes);
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
	wipe_free_len(msg, msglen);
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
