#include "mail_render.h"

#include "buf.h"
#include "log.h"
#include "secret.h"

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

#define MAIL_BODY_MAX (16 * 1024) /* one rendered body */
#define MAIL_DEFAULT_NAME "MedicalCare"

static const char *const mail_kind_names[] = {
    [MAIL_OTP] = "otp",
    [MAIL_RESET] = "reset",
    [MAIL_PASSWORD_CHANGED] = "password_changed",
    [MAIL_ACCOUNT_DELETED] = "account_deleted",
};
const char *mail_kind_name(enum mail_kind k)
{
	if ((unsigned)k >= sizeof(mail_kind_names) / sizeof(mail_kind_names[0]))
		return "unknown";
	return mail_kind_names[k];
}

const char *mail_app_name(const struct conf *c)
{
	if (c->app_name != NULL && c->app_name[0] != '\0')
		return c->app_name;
	return MAIL_DEFAULT_NAME;
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

int mail_put_clean(struct buf *b, const char *s)
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
		if (buf_puts(text, " ") != 0 || mail_put_clean(text, name) != 0 ||
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
	if (mail_put_clean(subj, app) != 0 || buf_puts(subj, " verification code") != 0)
		return -1;
	if (put_greeting(text, html, subj->data, NULL) != 0)
		return -1;
	if (buf_puts(text, "Your ") != 0 || mail_put_clean(text, app) != 0 ||
	    buf_puts(text, " verification code is:\n\n    ") != 0 ||
	    mail_put_clean(text, v->code) != 0 ||
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
	if (mail_put_clean(subj, app) != 0 || buf_puts(subj, " password reset") != 0)
		return -1;
	if (put_greeting(text, html, subj->data, v->full_name) != 0)
		return -1;
	if (v->after_signup) {
		/* A second sign-up of an account nobody verified: only whoever reads
		 * this mail can choose the password now. */
		if (buf_puts(text, "Someone, perhaps you, tried to sign up for ") != 0 ||
		    mail_put_clean(text, app) != 0 ||
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
	           mail_put_clean(text, app) != 0 ||
	           buf_puts(text, " account. To choose a new password, open this link:\n\n") != 0 ||
	           buf_puts(html, "<p>We received a request to reset the password of your ") != 0 ||
	           put_html(html, app) != 0 ||
	           buf_puts(html, " account. To choose a new password, open this link:</p>\n"
	                          "<p><a href=\"") != 0) {
		return -1;
	}
	if (mail_put_clean(text, v->link) != 0 ||
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

	if (buf_puts(subj, "Your ") != 0 || mail_put_clean(subj, app) != 0 ||
	    buf_puts(subj, " password was changed") != 0)
		return -1;
	if (put_greeting(text, html, subj->data, v->full_name) != 0)
		return -1;
	if (buf_puts(text, "The password of your ") != 0 || mail_put_clean(text, app) != 0 ||
	    buf_puts(text, " account was just changed.\n\n"
	                   "If you did this, there is nothing more to do.\n\n"
	                   "If you did not, someone else may have access to your email: reset your "
	                   "password at once with \"Forgot password\"") != 0)
		return -1;
	if (site != NULL && site[0] != '\0' &&
	    (buf_puts(text, " at ") != 0 || mail_put_clean(text, site) != 0))
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

/*
 * The last mail of an account, sent after it is gone (delete-account): what
 * went, that the address may sign up again, and what to do if the owner did
 * not ask for it.
 */
static int render_deleted(const struct conf *c, const char *app, const struct mail_vars *v,
                          struct buf *subj, struct buf *text, struct buf *html)
{
	const char *site = c->frontend_url;

	if (buf_puts(subj, "Your ") != 0 || mail_put_clean(subj, app) != 0 ||
	    buf_puts(subj, " account was deleted") != 0)
		return -1;
	if (put_greeting(text, html, subj->data, v->full_name) != 0)
		return -1;
	if (buf_puts(text, "Your ") != 0 || mail_put_clean(text, app) != 0 ||
	    buf_puts(text, " account and everything kept with it were just deleted, as asked "
	                   "with its password. You can sign up again with this address at any "
	                   "time") != 0)
		return -1;
	if (site != NULL && site[0] != '\0' &&
	    (buf_puts(text, " at ") != 0 || mail_put_clean(text, site) != 0))
		return -1;
	if (buf_puts(text, ".\n\nIf you did not do this, someone who knew your password did: "
	                   "change that password wherever else you use it and contact "
	                   "support.\n") != 0)
		return -1;
	if (buf_puts(html, "<p>Your ") != 0 || put_html(html, app) != 0 ||
	    buf_puts(html, " account and everything kept with it were just deleted, as asked "
	                   "with its password. You can sign up again with this address at any "
	                   "time") != 0)
		return -1;
	if (site != NULL && site[0] != '\0' &&
	    (buf_puts(html, " at <a href=\"") != 0 || put_html(html, site) != 0 ||
	     buf_puts(html, "\">") != 0 || put_html(html, site) != 0 ||
	     buf_puts(html, "</a>") != 0))
		return -1;
	if (buf_puts(html, ".</p>\n<p>If you did not do this, someone who knew your password "
	                   "did: change that password wherever else you use it and contact "
	                   "support.</p>\n") != 0)
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
	case MAIL_ACCOUNT_DELETED:
		rc = render_deleted(c, app, v, &s, &t, &h);
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
		secret_free_str(*subject);
		secret_free_str(*text);
		secret_free_str(*html);
		*subject = *text = *html = NULL;
		rc = -1;
	}
out:
	buf_release_secure(&s);
	buf_release_secure(&t);
	buf_release_secure(&h);
	return rc;
}
