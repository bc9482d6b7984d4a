#include "mail_render.h"

#include "buf.h"
#include "log.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
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
    [MAIL_MFA_SETUP] = "mfa_setup",
    [MAIL_MFA_ENABLED] = "mfa_enabled",
    [MAIL_MFA_LOCKED] = "mfa_locked",
    [MAIL_MFA_RECOVERY_USED] = "mfa_recovery_used",
    [MAIL_MFA_RECOVERY_CODES] = "mfa_recovery_codes",
    [MAIL_MFA_DISABLED] = "mfa_disabled",
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

/*
 * A message's two bodies, written together so that each paragraph is written
 * once: in text, parts as they are (control characters dropped) and
 * paragraphs apart by a blank line; in HTML, escaped, each in <p>...</p>.
 * Every function returns 0, or -1 when a body is full; body_end() leaves the
 * text ending with one newline.
 */
struct body {
	struct buf *text;
	struct buf *html;
};

/* The start of both bodies: a greeting by name when there is one. */
static int body_begin(struct body *b, const char *subject, const char *name)
{
	int has_name = name != NULL && name[0] != '\0';

	if (buf_puts(b->html,
	             "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\">\n<title>") != 0 ||
	    put_html(b->html, subject) != 0 ||
	    buf_puts(b->html, "</title>\n</head>\n<body style=\"font-family: Arial, Helvetica, "
	                      "sans-serif; line-height: 1.5\">\n<p>Hello") != 0)
		return -1;
	if (buf_puts(b->text, "Hello") != 0)
		return -1;
	if (has_name) {
		if (buf_puts(b->text, " ") != 0 || mail_put_clean(b->text, name) != 0 ||
		    buf_puts(b->html, " ") != 0 || put_html(b->html, name) != 0)
			return -1;
	}
	if (buf_puts(b->text, ",\n\n") != 0 || buf_puts(b->html, ",</p>\n") != 0)
		return -1;
	return 0;
}

/* Appends s to the paragraph in hand, in both bodies. */
static int body_put(struct body *b, const char *s)
{
	return mail_put_clean(b->text, s) != 0 || put_html(b->html, s) != 0 ? -1 : 0;
}

/* Appends url: as it is in text, as a link to itself in HTML. */
static int body_put_link(struct body *b, const char *url)
{
	return mail_put_clean(b->text, url) != 0 || buf_puts(b->html, "<a href=\"") != 0 ||
	               put_html(b->html, url) != 0 || buf_puts(b->html, "\">") != 0 ||
	               put_html(b->html, url) != 0 || buf_puts(b->html, "</a>") != 0
	           ? -1
	           : 0;
}

static int body_para_begin(struct body *b)
{
	return buf_puts(b->html, "<p>");
}

static int body_para_end(struct body *b)
{
	return buf_puts(b->text, "\n\n") != 0 || buf_puts(b->html, "</p>\n") != 0 ? -1 : 0;
}

/* One paragraph of the parts given, up to a NULL. */
static int body_para(struct body *b, ...)
{
	va_list ap;
	const char *part;
	int rc = body_para_begin(b);

	va_start(ap, b);
	while (rc == 0 && (part = va_arg(ap, const char *)) != NULL)
		rc = body_put(b, part);
	va_end(ap);
	return rc == 0 ? body_para_end(b) : -1;
}

/* One paragraph of printf(fmt, ...). */
static int body_paraf(struct body *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int body_paraf(struct body *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return body_para(b, line, NULL);
}

/* The end of the text: one newline after the last paragraph, not two. */
static int body_end(struct body *b)
{
	if (b->text->len >= 2 && memcmp(b->text->data + b->text->len - 2, "\n\n", 2) == 0)
		b->text->data[--b->text->len] = '\0';
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
                      struct buf *subj, struct body *b)
{
	int m = v->expire_minutes;
	int d = c->unverified_account_days;

	if (v->code == NULL || v->code[0] == '\0')
		return -1;
	if (mail_put_clean(subj, app) != 0 || buf_puts(subj, " verification code") != 0 ||
	    body_begin(b, subj->data, NULL) != 0 ||
	    body_para(b, "Your ", app, " verification code is:", NULL) != 0)
		return -1;
	/* The code stands out: indented in text, large in HTML. */
	if (buf_puts(b->text, "    ") != 0 || mail_put_clean(b->text, v->code) != 0 ||
	    buf_puts(b->html, "<p style=\"font-size: 28px; font-weight: bold; letter-spacing: "
	                      "6px\">") != 0 ||
	    put_html(b->html, v->code) != 0 || body_para_end(b) != 0)
		return -1;
	return body_paraf(b, "It expires in %d minute%s.", m, plural(m)) != 0 ||
	               body_paraf(b,
	                          "If you did not sign up, someone else typed your address: do not "
	                          "share this code and ignore this email. Without the code the "
	                          "account is never opened, and it is deleted after %d day%s.",
	                          d, plural(d)) != 0
	           ? -1
	           : 0;
}

static int render_reset(const char *app, const struct mail_vars *v, struct buf *subj,
                        struct body *b)
{
	int m = v->expire_minutes;

	if (v->link == NULL || v->link[0] == '\0')
		return -1;
	if (mail_put_clean(subj, app) != 0 || buf_puts(subj, " password reset") != 0 ||
	    body_begin(b, subj->data, v->full_name) != 0)
		return -1;
	/* A second sign-up of an account nobody verified: only whoever reads this
	 * mail can choose the password now. */
	if (v->after_signup
	        ? body_para(b, "Someone, perhaps you, tried to sign up for ", app,
	                    " with this address, which already has an account that "
	                    "was never verified. To use it, choose its password with "
	                    "this link (this also confirms your address):",
	                    NULL)
	        : body_para(b, "We received a request to reset the password of your ", app,
	                    " account. To choose a new password, open this link:", NULL))
		return -1;
	/* The link: the address itself in text; a button, then the address, in HTML. */
	if (mail_put_clean(b->text, v->link) != 0 || buf_puts(b->text, "\n\n") != 0 ||
	    buf_puts(b->html, "<p><a href=\"") != 0 || put_html(b->html, v->link) != 0 ||
	    buf_puts(b->html, "\">Reset your password</a></p>\n") != 0 ||
	    buf_puts(b->html,
	             "<p>If the link does not open, copy this address into your browser:<br>") !=
	        0 ||
	    put_html(b->html, v->link) != 0 || buf_puts(b->html, "</p>\n") != 0)
		return -1;
	return body_paraf(b, "The link expires in %d minute%s and works once.", m, plural(m)) !=
	                   0 ||
	               body_para(
	                   b,
	                   v->after_signup
	                       ? "If you did not sign up, ignore this email: nobody can use "
	                         "the account without this link."
	                       : "If you did not ask for a password reset, ignore this email: "
	                         "your password stays as it is.",
	                   NULL) != 0
	           ? -1
	           : 0;
}

static int render_changed(const struct conf *c, const char *app, const struct mail_vars *v,
                          struct buf *subj, struct body *b)
{
	const char *site = c->frontend_url;

	if (buf_puts(subj, "Your ") != 0 || mail_put_clean(subj, app) != 0 ||
	    buf_puts(subj, " password was changed") != 0 ||
	    body_begin(b, subj->data, v->full_name) != 0 ||
	    body_para(b, "The password of your ", app, " account was just changed.", NULL) != 0 ||
	    body_para(b, "If you did this, there is nothing more to do.", NULL) != 0)
		return -1;
	if (body_para_begin(b) != 0 ||
	    body_put(b, "If you did not, someone else may have access to your email: reset your "
	                "password at once with \"Forgot password\"") != 0)
		return -1;
	if (site != NULL && site[0] != '\0' &&
	    (body_put(b, " at ") != 0 || body_put_link(b, site) != 0))
		return -1;
	return body_put(b, " and contact support.") != 0 || body_para_end(b) != 0 ? -1 : 0;
}

/* With v->recovery_used, the paragraph saying a recovery code confirmed the
 * change and how many are left (MF-10: every use tells the owner). */
static int body_recovery_used(struct body *b, const struct mail_vars *v)
{
	char left[16];

	if (!v->recovery_used)
		return 0;
	snprintf(left, sizeof(left), "%d", v->codes_left);
	return body_para(
	    b, "One of your recovery codes was used to confirm this. Recovery codes left: ", left,
	    ".", NULL);
}

/*
 * The last mail of an account, sent after it is gone (delete-account): what
 * went, that the address may sign up again, and what to do if the owner did
 * not ask for it.
 */
static int render_deleted(const struct conf *c, const char *app, const struct mail_vars *v,
                          struct buf *subj, struct body *b)
{
	const char *site = c->frontend_url;

	if (buf_puts(subj, "Your ") != 0 || mail_put_clean(subj, app) != 0 ||
	    buf_puts(subj, " account was deleted") != 0 ||
	    body_begin(b, subj->data, v->full_name) != 0 || body_para_begin(b) != 0 ||
	    body_put(b, "Your ") != 0 || body_put(b, app) != 0 ||
	    body_put(b, " account and everything kept with it were just deleted, as asked with "
	                "its password. You can sign up again with this address at any time") != 0)
		return -1;
	if (site != NULL && site[0] != '\0' &&
	    (body_put(b, " at ") != 0 || body_put_link(b, site) != 0))
		return -1;
	return body_put(b, ".") != 0 || body_para_end(b) != 0 || body_recovery_used(b, v) != 0 ||
	               body_para(
	                   b,
	                   "If you did not do this, someone who knew your password did: change "
	                   "that password wherever else you use it and contact support.",
	                   NULL) != 0
	           ? -1
	           : 0;
}

/*
 * The code that confirms a two-factor setup (mfa/setup): whoever turns
 * two-factor sign-in on must also read the account's mail. Greets by the
 * account's name, as the notices do.
 */
static int render_mfa_setup(const char *app, const struct mail_vars *v, struct buf *subj,
                            struct body *b)
{
	int m = v->expire_minutes;

	if (v->code == NULL || v->code[0] == '\0')
		return -1;
	if (mail_put_clean(subj, app) != 0 ||
	    buf_puts(subj, " two-factor confirmation code") != 0 ||
	    body_begin(b, subj->data, v->full_name) != 0 ||
	    body_para(b, "To turn on two-factor sign-in for your ", app,
	              " account, enter this code together with a code from your authenticator app:",
	              NULL) != 0)
		return -1;
	if (buf_puts(b->text, "    ") != 0 || mail_put_clean(b->text, v->code) != 0 ||
	    buf_puts(b->html, "<p style=\"font-size: 28px; font-weight: bold; letter-spacing: "
	                      "6px\">") != 0 ||
	    put_html(b->html, v->code) != 0 || body_para_end(b) != 0)
		return -1;
	return body_paraf(b, "It expires in %d minute%s.", m, plural(m)) != 0 ||
	               body_para(b,
	                         "If you did not ask for this, someone who knows your password "
	                         "tried to turn on two-factor sign-in: do not share this code, and "
	                         "change your password.",
	                         NULL) != 0
	           ? -1
	           : 0;
}

/* The notice of two-factor sign-in turned on (mfa/enable). */
static int render_mfa_enabled(const char *app, const struct mail_vars *v, struct buf *subj,
                              struct body *b)
{
	return buf_puts(subj, "Two-factor sign-in is on for your ") != 0 ||
	               mail_put_clean(subj, app) != 0 || buf_puts(subj, " account") != 0 ||
	               body_begin(b, subj->data, v->full_name) != 0 ||
	               body_para(b, "Two-factor sign-in was just turned on for your ", app,
	                         " account: from now on, signing in also asks for a code from your "
	                         "authenticator app. Keep your recovery codes somewhere safe.",
	                         NULL) != 0 ||
	               body_para(
	                   b,
	                   "If you did not do this, someone who knows your password and reads "
	                   "your email did: change both passwords and contact support.",
	                   NULL) != 0
	           ? -1
	           : 0;
}

/* The notice of a second-factor lock: too many wrong codes in a row. */
static int render_mfa_locked(const char *app, const struct mail_vars *v, struct buf *subj,
                             struct body *b)
{
	return buf_puts(subj, "Too many wrong two-factor codes for your ") != 0 ||
	               mail_put_clean(subj, app) != 0 || buf_puts(subj, " account") != 0 ||
	               body_begin(b, subj->data, v->full_name) != 0 ||
	               body_para(b, "Someone typed wrong two-factor codes for your ", app,
	                         " account ten times in a row, so codes are refused for a while.",
	                         NULL) != 0 ||
	               body_para(b,
	                         "If this was not you, someone may know your password: change it "
	                         "and contact support.",
	                         NULL) != 0
	           ? -1
	           : 0;
}

/* The notice of a recovery code used in place of a TOTP code, with how many are left. */
static int render_mfa_recovery_used(const char *app, const struct mail_vars *v, struct buf *subj,
                                    struct body *b)
{
	char left[16];

	snprintf(left, sizeof(left), "%d", v->codes_left);
	return buf_puts(subj, "A recovery code was used for your ") != 0 ||
	               mail_put_clean(subj, app) != 0 || buf_puts(subj, " account") != 0 ||
	               body_begin(b, subj->data, v->full_name) != 0 ||
	               body_para(b, "One of your recovery codes was just used to sign in to your ",
	                         app, " account. Recovery codes left: ", left, ".", NULL) != 0 ||
	               body_para(b,
	                         "If this was not you, someone may know your password and have a "
	                         "recovery code: change your password and contact support.",
	                         NULL) != 0
	           ? -1
	           : 0;
}

/* The notice of a new set of recovery codes (mfa/recovery-codes). */
static int render_mfa_recovery_codes(const char *app, const struct mail_vars *v, struct buf *subj,
                                     struct body *b)
{
	return buf_puts(subj, "New recovery codes for your ") != 0 ||
	               mail_put_clean(subj, app) != 0 || buf_puts(subj, " account") != 0 ||
	               body_begin(b, subj->data, v->full_name) != 0 ||
	               body_para(b, "A new set of recovery codes was just made for your ", app,
	                         " account: the earlier codes no longer work. Keep the new ones "
	                         "somewhere safe.",
	                         NULL) != 0 ||
	               body_recovery_used(b, v) != 0 ||
	               body_para(
	                   b,
	                   "If you did not do this, someone who knows your password and has "
	                   "your second factor did: change your password and contact support.",
	                   NULL) != 0
	           ? -1
	           : 0;
}

/* The notice of two-factor sign-in turned off (mfa/disable). */
static int render_mfa_disabled(const char *app, const struct mail_vars *v, struct buf *subj,
                               struct body *b)
{
	return buf_puts(subj, "Two-factor sign-in is off for your ") != 0 ||
	               mail_put_clean(subj, app) != 0 || buf_puts(subj, " account") != 0 ||
	               body_begin(b, subj->data, v->full_name) != 0 ||
	               body_para(b, "Two-factor sign-in was just turned off for your ", app,
	                         " account: signing in asks for your password only, and your "
	                         "recovery codes no longer work.",
	                         NULL) != 0 ||
	               body_recovery_used(b, v) != 0 ||
	               body_para(b,
	                         "If you did not do this, someone who knows your password and has "
	                         "your second factor did: change your password, turn two-factor "
	                         "sign-in on again and contact support.",
	                         NULL) != 0
	           ? -1
	           : 0;
}

int mail_render(const struct conf *c, enum mail_kind kind, const struct mail_vars *v,
                char **subject, char **text, char **html)
{
	const char *app = mail_app_name(c);
	struct buf s, t, h;
	struct body b = {.text = &t, .html = &h};
	int rc = -1;

	*subject = *text = *html = NULL;
	buf_init(&s, 1024);
	buf_init(&t, MAIL_BODY_MAX);
	buf_init(&h, MAIL_BODY_MAX);
	switch (kind) {
	case MAIL_OTP:
		rc = render_otp(c, app, v, &s, &b);
		break;
	case MAIL_RESET:
		rc = render_reset(app, v, &s, &b);
		break;
	case MAIL_PASSWORD_CHANGED:
		rc = render_changed(c, app, v, &s, &b);
		break;
	case MAIL_ACCOUNT_DELETED:
		rc = render_deleted(c, app, v, &s, &b);
		break;
	case MAIL_MFA_SETUP:
		rc = render_mfa_setup(app, v, &s, &b);
		break;
	case MAIL_MFA_ENABLED:
		rc = render_mfa_enabled(app, v, &s, &b);
		break;
	case MAIL_MFA_LOCKED:
		rc = render_mfa_locked(app, v, &s, &b);
		break;
	case MAIL_MFA_RECOVERY_USED:
		rc = render_mfa_recovery_used(app, v, &s, &b);
		break;
	case MAIL_MFA_RECOVERY_CODES:
		rc = render_mfa_recovery_codes(app, v, &s, &b);
		break;
	case MAIL_MFA_DISABLED:
		rc = render_mfa_disabled(app, v, &s, &b);
		break;
	}
	if (rc == 0)
		rc = body_end(&b);
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
