/*
 * Unit tests of mail: rendering, MIME composition (header injection above
 * all), sealing, the file transport, and what is handed to an installed SMTP
 * transport. No database, no network.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "conf.h"
#include "mail.h"

static struct conf_keys keys = {.ready = 1};

static void conf_fill(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->app_name = (char *)(uintptr_t) "MedicalCare";
	c->smtp_from_name = (char *)(uintptr_t) "MedicalCare";
	c->smtp_email = (char *)(uintptr_t) "noreply@clinic.example";
	c->frontend_url = (char *)(uintptr_t) "http://localhost:3000";
	c->mail_transport = MAIL_TRANSPORT_FILE;
	c->smtp_timeout = 10;
	c->smtp_port = 587;
	c->unverified_account_days = 7;
	for (int i = 0; i < 32; i++)
		keys.outbox[i] = (unsigned char)(i * 7 + 1);
	c->keys = &keys;
}

/* Renders and composes; returns the message (caller frees). */
static char *compose_kind(const struct conf *c, enum mail_kind kind, const struct mail_vars *v,
                          size_t *len)
{
	char *s = NULL, *t = NULL, *h = NULL, *msg = NULL;

	assert_int_equal(mail_render(c, kind, v, &s, &t, &h), 0);
	assert_int_equal(mail_compose(c, v->to, s, t, h, 1700000000, &msg, len), 0);
	free(s);
	free(t);
	free(h);
	return msg;
}

/* Number of header lines (before the first empty line) that start with name. */
static int header_count(const char *msg, const char *name)
{
	size_t n = strlen(name);
	int count = 0;

	for (const char *p = msg; *p != '\0';) {
		const char *eol = strstr(p, "\r\n");

		if (eol == NULL || eol == p)
			break;
		if (strncasecmp(p, name, n) == 0)
			count++;
		p = eol + 2;
	}
	return count;
}

/* The value of the first header line named name (without folding); caller frees. */
static char *header_value(const char *msg, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = msg; *p != '\0';) {
		const char *eol = strstr(p, "\r\n");

		if (eol == NULL || eol == p)
			break;
		if (strncasecmp(p, name, n) == 0)
			return strndup(p + n, (size_t)(eol - p - (ptrdiff_t)n));
		p = eol + 2;
	}
	return NULL;
}

/* 1 if any line of msg (header or body) starts with prefix, case-insensitively. */
static int any_line_starts(const char *msg, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = msg;

	for (;;) {
		if (strncasecmp(p, prefix, n) == 0)
			return 1;
		p = strchr(p, '\n');
		if (p == NULL)
			return 0;
		p++;
	}
}

/* Decodes the base64 body of the MIME part of type (e.g. "text/html"); caller frees. */
static char *part_body(const char *msg, const char *type)
{
	char key[64];
	const char *p, *start, *end;
	char *b64, *out;
	size_t o = 0;
	long n;

	snprintf(key, sizeof(key), "Content-Type: %s; charset=UTF-8\r\n", type);
	p = strstr(msg, key);
	assert_non_null(p);
	start = strstr(p, "\r\n\r\n");
	assert_non_null(start);
	start += 4;
	end = strstr(start, "\r\n--");
	assert_non_null(end);
	b64 = malloc((size_t)(end - start) + 1);
	assert_non_null(b64);
	for (const char *q = start; q < end; q++)
		if (*q != '\r' && *q != '\n')
			b64[o++] = *q;
	b64[o] = '\0';
	out = malloc(o + 1);
	assert_non_null(out);
	n = b64_decode(b64, o, out, o + 1);
	assert_true(n >= 0);
	out[n] = '\0';
	free(b64);
	return out;
}

/* Decodes the RFC 2047 B words of a header value (UTF-8 only); caller frees. */
static char *decode_words(const char *v)
{
	char *out = calloc(1, strlen(v) + 1);
	size_t o = 0;
	const char *p = v;

	assert_non_null(out);
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		const char *q;
		long n;

		p += strlen("=?UTF-8?B?");
		q = strstr(p, "?=");
		assert_non_null(q);
		n = b64_decode(p, (size_t)(q - p), out + o, strlen(v) - o);
		assert_true(n >= 0);
		o += (size_t)n;
		p = q + 2;
	}
	out[o] = '\0';
	return out;
}

/* ---- render ---- */

struct render_case {
	const char *name;
	enum mail_kind kind;
	const char *subject;
	const char *text_has[5];
	const char *html_has[3];
	int after_signup;
};

static const struct render_case render_cases[] = {
    {"otp",
     MAIL_OTP,
     "MedicalCare verification code",
     {"Hello,\n", "123456", "It expires in 10 minutes.",
      "If you did not sign up, someone else typed your address: do not share this code",
      "is never opened, and it is deleted after 7 days.\n"},
     {"Hello,</p>", "123456", "it is deleted after 7 days.</p>"},
     0},
    {"reset",
     MAIL_RESET,
     "MedicalCare password reset",
     {"Hello Ann Lee,", "http://localhost:3000/reset-password?token=abc_DEF-123",
      "expires in 10 minutes", "If you did not ask for a password reset, ignore this email", NULL},
     {"href=\"http://localhost:3000/reset-password?token=abc_DEF-123\"", "expires in 10 minutes",
      NULL},
     0},
    {"reset after a second sign-up",
     MAIL_RESET,
     "MedicalCare password reset",
     {"Hello Ann Lee,", "tried to sign up for MedicalCare with this address",
      "http://localhost:3000/reset-password?token=abc_DEF-123",
      "If you did not sign up, ignore this email", NULL},
     {"tried to sign up for MedicalCare with this address",
      "href=\"http://localhost:3000/reset-password?token=abc_DEF-123\"", NULL},
     1},
    {"password_changed",
     MAIL_PASSWORD_CHANGED,
     "Your MedicalCare password was changed",
     {"Hello Ann Lee,", "password of your MedicalCare account was just changed",
      "reset your password", "contact support", NULL},
     {"was just changed", "contact support", NULL},
     0},
    {"account_deleted",
     MAIL_ACCOUNT_DELETED,
     "Your MedicalCare account was deleted",
     {"Hello Ann Lee,", "account and everything kept with it were just deleted",
      "sign up again with this address", "at http://localhost:3000", "contact support"},
     {"were just deleted", "href=\"http://localhost:3000\"", "contact support"},
     0},
};

static void render_gives_subject_and_bodies_of_each_kind(void **state)
{
	struct conf c;
	struct mail_vars v = {.to = "ann@example.com",
	                      .full_name = "Ann Lee",
	                      .code = "123456",
	                      .link = "http://localhost:3000/reset-password?token=abc_DEF-123",
	                      .expire_minutes = 10};

	(void)state;
	conf_fill(&c);
	for (size_t i = 0; i < sizeof(render_cases) / sizeof(render_cases[0]); i++) {
		const struct render_case *rc = &render_cases[i];
		char *s = NULL, *t = NULL, *h = NULL;

		print_message("case %s\n", rc->name);
		v.after_signup = rc->after_signup;
		assert_int_equal(mail_render(&c, rc->kind, &v, &s, &t, &h), 0);
		assert_string_equal(s, rc->subject);
		for (size_t j = 0; j < 5 && rc->text_has[j] != NULL; j++)
			assert_non_null(strstr(t, rc->text_has[j]));
		for (size_t j = 0; j < 3 && rc->html_has[j] != NULL; j++)
			assert_non_null(strstr(h, rc->html_has[j]));
		free(s);
		free(t);
		free(h);
	}
}

static void render_says_minute_for_one(void **state)
{
	struct conf c;
	struct mail_vars v = {.to = "a@b.co", .code = "000001", .expire_minutes = 1};
	char *s = NULL, *t = NULL, *h = NULL;

	(void)state;
	conf_fill(&c);
	assert_int_equal(mail_render(&c, MAIL_OTP, &v, &s, &t, &h), 0);
	assert_non_null(strstr(t, "Hello,\n"));
	assert_non_null(strstr(t, "It expires in 1 minute.\n"));
	free(s);
	free(t);
	free(h);
}

/* Whoever signed up chose the name: the code mail, to someone's address, never shows it. */
static void render_otp_greets_no_one(void **state)
{
	struct conf c;
	struct mail_vars v = {.to = "a@b.co",
	                      .full_name = "Visit evil.example to claim a prize",
	                      .code = "123456",
	                      .expire_minutes = 10};
	char *s = NULL, *t = NULL, *h = NULL;

	(void)state;
	conf_fill(&c);
	assert_int_equal(mail_render(&c, MAIL_OTP, &v, &s, &t, &h), 0);
	assert_null(strstr(s, "evil"));
	assert_null(strstr(t, "evil"));
	assert_null(strstr(h, "evil"));
	assert_non_null(strstr(t, "Hello,\n"));
	free(s);
	free(t);
	free(h);
}

static void render_html_escapes_the_name(void **state)
{
	struct conf c;
	struct mail_vars v = {.to = "a@b.co",
	                      .full_name = "<script>alert(\"x&y\")</script>",
	                      .link = "http://localhost:3000/reset-password?token=abc",
	                      .expire_minutes = 10};
	char *s = NULL, *t = NULL, *h = NULL;

	(void)state;
	conf_fill(&c);
	assert_int_equal(mail_render(&c, MAIL_RESET, &v, &s, &t, &h), 0);
	assert_null(strstr(h, "<script>"));
	assert_non_null(
	    strstr(h, "Hello &lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;,</p>"));
	/* Plain text is not markup: the name stays as typed. */
	assert_non_null(strstr(t, "Hello <script>alert(\"x&y\")</script>,\n"));
	free(s);
	free(t);
	free(h);
}

static void render_drops_control_characters_from_the_name(void **state)
{
	struct conf c;
	struct mail_vars v = {.to = "a@b.co",
	                      .full_name = "Ann\r\nBcc: evil@x\x1b[31m",
	                      .link = "http://localhost:3000/reset-password?token=abc",
	                      .expire_minutes = 10};
	char *s = NULL, *t = NULL, *h = NULL;

	(void)state;
	conf_fill(&c);
	assert_int_equal(mail_render(&c, MAIL_RESET, &v, &s, &t, &h), 0);
	assert_non_null(strstr(t, "Hello AnnBcc: evil@x[31m,\n"));
	assert_null(strchr(t, '\r'));
	assert_null(strchr(t, '\x1b'));
	free(s);
	free(t);
	free(h);
}

static void render_refuses_otp_without_code_and_reset_without_link(void **state)
{
	struct conf c;
	struct mail_vars v = {.to = "a@b.co", .expire_minutes = 10};
	char *s = NULL, *t = NULL, *h = NULL;

	(void)state;
	conf_fill(&c);
	assert_int_equal(mail_render(&c, MAIL_OTP, &v, &s, &t, &h), -1);
	assert_null(s);
	assert_int_equal(mail_render(&c, MAIL_RESET, &v, &s, &t, &h), -1);
	assert_null(t);
	assert_int_equal(mail_render(&c, MAIL_PASSWORD_CHANGED, &v, &s, &t, &h), 0);
	free(s);
	free(t);
	free(h);
}

static void kind_names_are_the_outbox_kinds(void **state)
{
	(void)state;
	assert_string_equal(mail_kind_name(MAIL_OTP), "otp");
	assert_string_equal(mail_kind_name(MAIL_RESET), "reset");
	assert_string_equal(mail_kind_name(MAIL_PASSWORD_CHANGED), "password_changed");
	assert_string_equal(mail_kind_name(MAIL_ACCOUNT_DELETED), "account_deleted");
}

/* ---- compose ---- */

static void compose_uses_crlf_and_short_lines_everywhere(void **state)
{
	struct conf c;
	struct mail_vars v = {.to = "ann@example.com",
	                      .full_name = "Ann",
	                      .link = "http://localhost:3000/reset-password?token=x",
	                      .expire_minutes = 15};
	size_t len = 0, linelen = 0;
	char *msg;

	(void)state;
	conf_fill(&c);
	msg = compose_kind(&c, MAIL_RESET, &v, &len);
	assert_int_equal(strlen(msg), len);
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n')
			assert_true(i > 0 && msg[i - 1] == '\r');
		if (msg[i] == '\r')
			assert_true(i + 1 < len && msg[i + 1] == '\n');
		if (msg[i] == '\r') {
			assert_true(linelen <= 78);
			linelen = 0;
		} else if (msg[i] != '\n') {
			linelen++;
		}
	}
	assert_int_equal(linelen, 0); /* ends with CRLF */
	free(msg);
}

static void compose_has_each_header_once(void **state)
{
	static const char *const once[] = {
	    "From:", "To:", "Subject:", "Date:", "Message-ID:", "MIME-Version:", "Content-Type:"};
	struct conf c;
	struct mail_vars v = {
	    .to = "ann@example.com", .full_name = "Ann", .code = "123456", .expire_minutes = 10};
	size_t len;
	char *msg, *val;

	(void)state;
	conf_fill(&c);
	msg = compose_kind(&c, MAIL_OTP, &v, &len);
	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		print_message("header %s\n", once[i]);
		assert_int_equal(header_count(msg, once[i]), 1);
	}
	val = header_value(msg, "From: ");
	assert_string_equal(val, "\"MedicalCare\" <noreply@clinic.example>");
	free(val);
	val = header_value(msg, "To: ");
	assert_string_equal(val, "<ann@example.com>");
	free(val);
	val = header_value(msg, "Subject: ");
	assert_string_equal(val, "MedicalCare verification code");
	free(val);
	val = header_value(msg, "Date: ");
	assert_string_equal(val, "Tue, 14 Nov 2023 22:13:20 +0000");
	free(val);
	val = header_value(msg, "MIME-Version: ");
	assert_string_equal(val, "1.0");
	free(val);
	val = header_value(msg, "Message-ID: <");
	assert_int_equal(strlen(val), 32 + strlen("@clinic.example>"));
	assert_string_equal(val + 32, "@clinic.example>");
	assert_int_equal(strspn(val, "0123456789abcdef"), 32);
	free(val);
	val = header_value(msg, "Content-Type: ");
	assert_string_equal(val, "multipart/alternative;");
	assert_non_null(strstr(msg, "multipart/alternative;\r\n boundary=\"=_mc_"));
	free(val);
	free(msg);
}

static void compose_bodies_decode_to_the_rendered_text(void **state)
{
	struct conf c;
	struct mail_vars v = {.to = "ann@example.com",
	                      .full_name = "Zoë <b>",
	                      .link = "http://localhost:3000/reset-password?token=987654",
	                      .expire_minutes = 10};
	size_t len;
	char *msg, *text, *html;

	(void)state;
	conf_fill(&c);
	msg = compose_kind(&c, MAIL_RESET, &v, &len);
	text = part_body(msg, "text/plain");
	html = part_body(msg, "text/html");
	assert_non_null(strstr(text, "Hello Zoë <b>,\r\n\r\n"));
	assert_non_null(strstr(text, "token=987654"));
	assert_null(strstr(text, "\n\n")); /* every LF became CRLF */
	assert_non_null(strstr(html, "Hello Zoë &lt;b&gt;,</p>"));
	assert_non_null(strstr(html, "token=987654"));
	free(text);
	free(html);
	free(msg);
}

struct inject_case {
	const char *name;
	const char *from_name;
	const char *subject;
	const char *full_name;
};

static const struct inject_case inject_cases[] = {
    {"full_name", "MedicalCare", NULL, "Eve\r\nBcc: evil@x"},
    {"from_name", "Eve\r\nBcc: evil@x", NULL, "Ann"},
    {"from_name_lf", "Eve\nBcc: evil@x", NULL, "Ann"},
    {"from_name_quote", "Eve\" <evil@x>\r\nBcc: evil@x", NULL, "Ann"},
    {"subject", "MedicalCare", "Hi\r\nBcc: evil@x", "Ann"},
    {"subject_cr", "MedicalCare", "Hi\rBcc: evil@x", "Ann"},
    {"subject_utf8", "Clínica\r\nBcc: evil@x", "Olá\r\nBcc: evil@x", "Zoë\r\nBcc: evil@x"},
};

static void compose_never_lets_input_make_a_header_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(inject_cases) / sizeof(inject_cases[0]); i++) {
		const struct inject_case *ic = &inject_cases[i];
		struct conf c;
		struct mail_vars v = {.to = "ann@example.com",
		                      .full_name = ic->full_name,
		                      .code = "123456",
		                      .expire_minutes = 10};
		char *s = NULL, *t = NULL, *h = NULL, *msg = NULL;
		size_t len;

		print_message("case %s\n", ic->name);
		conf_fill(&c);
		c.smtp_from_name = (char *)(uintptr_t)ic->from_name;
		assert_int_equal(mail_render(&c, MAIL_OTP, &v, &s, &t, &h), 0);
		assert_int_equal(mail_compose(&c, v.to, ic->subject != NULL ? ic->subject : s, t, h,
		                              0, &msg, &len),
		                 0);
		assert_false(any_line_starts(msg, "Bcc:"));
		assert_int_equal(header_count(msg, "From:"), 1);
		assert_int_equal(header_count(msg, "To:"), 1);
		assert_int_equal(header_count(msg, "Subject:"), 1);
		for (size_t j = 0; j < len; j++)
			if (msg[j] == '\r' || msg[j] == '\n')
				assert_true(msg[j] == '\r' ? msg[j + 1] == '\n'
				                           : j > 0 && msg[j - 1] == '\r');
		free(s);
		free(t);
		free(h);
		free(msg);
	}
}

static void compose_quotes_an_ascii_from_name(void **state)
{
	struct conf c;
	char *msg = NULL, *val;
	size_t len;

	(void)state;
	conf_fill(&c);
	c.smtp_from_name = (char *)(uintptr_t) "Med \"Care\" \\ Team";
	c.smtp_from = (char *)(uintptr_t) "care@med.example";
	assert_int_equal(mail_compose(&c, "a@b.co", "Hi", "t", "h", 0, &msg, &len), 0);
	val = header_value(msg, "From: ");
	assert_string_equal(val, "\"Med \\\"Care\\\" \\\\ Team\" <care@med.example>");
	free(val);
	val = header_value(msg, "Date: ");
	assert_string_equal(val, "Thu, 01 Jan 1970 00:00:00 +0000");
	free(val);
	free(msg);
}

static void compose_encodes_non_ascii_subject_and_from_name(void **state)
{
	const char *subject =
	    "Código de verificação da Clínica São João — um assunto bem comprido, não é?";
	struct conf c;
	char *msg = NULL, *val, *dec;
	size_t len;

	(void)state;
	conf_fill(&c);
	c.smtp_from_name = (char *)(uintptr_t) "Clínica Saúde";
	assert_int_equal(mail_compose(&c, "a@b.co", subject, "t", "h", 0, &msg, &len), 0);
	for (size_t i = 0; i < len; i++)
		assert_true((unsigned char)msg[i] < 0x80);
	val = header_value(msg, "From: ");
	assert_true(strncmp(val, "=?UTF-8?B?", 10) == 0);
	assert_non_null(strstr(val, "?= <noreply@clinic.example>"));
	dec = decode_words(val);
	assert_string_equal(dec, "Clínica Saúde");
	free(dec);
	free(val);
	/* A long subject is folded into several words; unfold before decoding. */
	{
		const char *p = strstr(msg, "\r\nSubject: ") + 11;
		const char *e = strstr(p, "\r\nDate: ");
		char *folded = strndup(p, (size_t)(e - p));

		assert_true(strncmp(folded, "=?UTF-8?B?", 10) == 0);
		assert_non_null(strstr(folded, "?=\r\n =?UTF-8?B?"));
		dec = decode_words(folded);
		assert_string_equal(dec, subject);
		free(dec);
		free(folded);
	}
	free(msg);
}

static void compose_refuses_a_bad_recipient(void **state)
{
	static const char *const bad[] = {
	    "ann@example.com\r\nBcc: evil@x",
	    "ann@example.com\n",
	    "ann@exam\rple.com",
	    "ann smith@example.com",
	    "ännä@example.com",
	    "<ann@example.com>",
	    "ann@example.com>, <evil@x",
	    "annexample.com",
	    "@example.com",
	    "ann@",
	    "",
	    "ann@exa\tmple.com",
	};
	struct conf c;

	(void)state;
	conf_fill(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *msg = (char *)(uintptr_t)0x1;
		size_t len = 7;

		print_message("to %zu\n", i);
		assert_int_equal(mail_compose(&c, bad[i], "Hi", "t", "h", 0, &msg, &len), -1);
		assert_null(msg);
		assert_int_equal(len, 0);
	}
}

static void compose_refuses_an_oversized_message(void **state)
{
	struct conf c;
	char *big = malloc(MAIL_MAX_BYTES);
	char *msg = NULL;
	size_t len;

	(void)state;
	conf_fill(&c);
	assert_non_null(big);
	memset(big, 'a', MAIL_MAX_BYTES - 1);
	big[MAIL_MAX_BYTES - 1] = '\0';
	assert_int_equal(mail_compose(&c, "a@b.co", "Hi", big, "h", 0, &msg, &len), -1);
	assert_null(msg);
	free(big);
}

/* ---- seal ---- */

static void seal_round_trips(void **state)
{
	static const char *const msgs[] = {"", "x", "Your code is 123456\r\n"};
	unsigned char key[32];

	(void)state;
	memset(key, 0x42, sizeof(key));
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		unsigned char *sealed = NULL, *sealed2 = NULL;
		size_t slen = 0, slen2 = 0, plen = 0;
		char *plain = NULL;

		assert_int_equal(mail_seal(key, msgs[i], strlen(msgs[i]), &sealed, &slen), 0);
		assert_int_equal(slen, 12 + strlen(msgs[i]) + 16);
		assert_int_equal(mail_unseal(key, sealed, slen, &plain, &plen), 0);
		assert_int_equal(plen, strlen(msgs[i]));
		assert_string_equal(plain, msgs[i]);
		/* A fresh nonce each time: the same message never seals the same. */
		assert_int_equal(mail_seal(key, msgs[i], strlen(msgs[i]), &sealed2, &slen2), 0);
		assert_int_equal(slen2, slen);
		assert_memory_not_equal(sealed, sealed2, 12);
		if (strlen(msgs[i]) > 0)
			/* Only a plaintext long enough not to turn up in random
			 * bytes by chance says anything. */
			if (strlen(msgs[i]) >= 8)
				assert_null(memmem(sealed, slen, msgs[i], strlen(msgs[i])));
		free(sealed);
		free(sealed2);
		free(plain);
	}
}

static void unseal_fails_on_any_tamper(void **state)
{
	const char *msg = "Your code is 123456";
	unsigned char key[32], other[32];
	unsigned char *sealed = NULL;
	size_t slen = 0, plen = 0;
	char *plain = NULL;

	(void)state;
	memset(key, 0x42, sizeof(key));
	memcpy(other, key, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(mail_seal(key, msg, strlen(msg), &sealed, &slen), 0);
	/* Every byte: nonce, ciphertext and tag. */
	for (size_t i = 0; i < slen; i++) {
		sealed[i] ^= 0x01;
		assert_int_equal(mail_unseal(key, sealed, slen, &plain, &plen), -1);
		assert_null(plain);
		sealed[i] ^= 0x01;
	}
	assert_int_equal(mail_unseal(other, sealed, slen, &plain, &plen), -1);
	assert_int_equal(mail_unseal(key, sealed, slen - 1, &plain, &plen), -1);
	assert_int_equal(mail_unseal(key, sealed, 27, &plain, &plen), -1);
	assert_int_equal(mail_unseal(key, sealed, 0, &plain, &plen), -1);
	assert_null(plain);
	/* Untouched, it still opens: the failures above were the tampering. */
	assert_int_equal(mail_unseal(key, sealed, slen, &plain, &plen), 0);
	assert_string_equal(plain, msg);
	free(plain);
	free(sealed);
}

/* ---- file transport ---- */

static void file_transport_writes_one_private_eml(void **state)
{
	char base[] = "/tmp/test_mail.XXXXXX";
	char dir[256], path[512], err[256];
	const char *msg = "To: <a@b.co>\r\nSubject: Hi\r\n\r\nbody\r\n";
	struct conf c;
	struct stat st;
	struct dirent *de;
	char content[128];
	int found = 0;
	DIR *d;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/spool/mail", base);
	conf_fill(&c);
	c.mail_dir = dir;
	assert_int_equal(mail_transport_send(&c, "a@b.co", msg, strlen(msg), err, sizeof(err)),
	                 MAIL_SENT);
	assert_string_equal(err, "");
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		const char *dot;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		found++;
		dot = strrchr(de->d_name, '.');
		assert_non_null(dot);
		assert_string_equal(dot, ".eml");
		assert_true(de->d_name[0] >= '1' && de->d_name[0] <= '9');
		assert_non_null(strchr(de->d_name, '-'));
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
	}
	closedir(d);
	assert_int_equal(found, 1);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(content, 1, sizeof(content), f);
	fclose(f);
	assert_int_equal(n, strlen(msg));
	assert_memory_equal(content, msg, n);

	/* A second message is a second file. */
	assert_int_equal(mail_transport_send(&c, "a@b.co", msg, strlen(msg), err, sizeof(err)),
	                 MAIL_SENT);
	found = 0;
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
			found++;
		}
	}
	closedir(d);
	assert_int_equal(found, 2);
	rmdir(dir);
	snprintf(path, sizeof(path), "%s/spool", base);
	rmdir(path);
	assert_int_equal(rmdir(base), 0);
}

static void transport_refuses_a_bad_recipient(void **state)
{
	const char *msg = "Subject: Hi\r\n\r\nbody\r\n";
	struct conf c;
	char err[256];

	(void)state;
	conf_fill(&c);
	c.mail_dir = (char *)(uintptr_t) "/nonexistent/never/created";
	assert_int_equal(mail_transport_send(&c, "a@b.co\r\nRCPT TO:<evil@x>", msg, strlen(msg),
	                                     err, sizeof(err)),
	                 MAIL_PERMFAIL);
	assert_string_equal(err, "invalid recipient address");
}

static void file_transport_reports_an_unwritable_dir(void **state)
{
	const char *msg = "Subject: Hi\r\n\r\nbody\r\n";
	struct conf c;
	char err[256];

	(void)state;
	conf_fill(&c);
	c.mail_dir = (char *)(uintptr_t) "/dev/null/mail";
	assert_int_equal(mail_transport_send(&c, "a@b.co", msg, strlen(msg), err, sizeof(err)),
	                 MAIL_TEMPFAIL);
	assert_true(strncmp(err, "file: could not create mail directory", 37) == 0);
}

/* ---- the SMTP transport hook ---- */

static struct {
	int sends, cleanups;
	char from[64], to[64];
	size_t len;
} fake;

static enum mail_send_rc fake_send(const struct conf *c, const char *from, const char *to,
                                   const char *msg, size_t len, char *err, size_t errlen)
{
	(void)c;
	(void)msg;
	(void)err;
	(void)errlen;
	fake.sends++;
	snprintf(fake.from, sizeof(fake.from), "%s", from);
	snprintf(fake.to, sizeof(fake.to), "%s", to);
	fake.len = len;
	return MAIL_SENT;
}

static void fake_cleanup(void)
{
	fake.cleanups++;
}

static void smtp_without_an_installed_transport_leaves_the_mail_queued(void **state)
{
	const char *msg = "Subject: Hi\r\n\r\nbody\r\n";
	struct conf c;
	char err[256];

	(void)state;
	conf_fill(&c);
	c.mail_transport = MAIL_TRANSPORT_SMTP;
	mail_set_smtp(NULL);
	assert_int_equal(mail_transport_send(&c, "a@b.co", msg, strlen(msg), err, sizeof(err)),
	                 MAIL_TEMPFAIL);
	assert_string_equal(err, "smtp: this program has no SMTP transport");
	mail_global_cleanup(); /* nothing installed: nothing to do */
}

static void smtp_hands_the_from_address_and_recipient_to_the_installed_transport(void **state)
{
	static const struct mail_sender sender = {.send = fake_send, .cleanup = fake_cleanup};
	const char *msg = "Subject: Hi\r\n\r\nbody\r\n";
	struct conf c;
	char err[256];

	(void)state;
	memset(&fake, 0, sizeof(fake));
	conf_fill(&c);
	c.mail_transport = MAIL_TRANSPORT_SMTP;
	mail_set_smtp(&sender);
	assert_int_equal(mail_transport_send(&c, "a@b.co", msg, strlen(msg), err, sizeof(err)),
	                 MAIL_SENT);
	assert_int_equal(fake.sends, 1);
	assert_string_equal(fake.from, "noreply@clinic.example");
	assert_string_equal(fake.to, "a@b.co");
	assert_int_equal(fake.len, strlen(msg));

	/* A From address unfit for an envelope never reaches the transport. */
	c.smtp_from = (char *)(uintptr_t) "no-reply";
	assert_int_equal(mail_transport_send(&c, "a@b.co", msg, strlen(msg), err, sizeof(err)),
	                 MAIL_TEMPFAIL);
	assert_string_equal(err, "smtp: invalid From address");
	assert_int_equal(fake.sends, 1);

	mail_global_cleanup();
	assert_int_equal(fake.cleanups, 1);
	mail_set_smtp(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(render_gives_subject_and_bodies_of_each_kind),
	    cmocka_unit_test(render_says_minute_for_one),
	    cmocka_unit_test(render_otp_greets_no_one),
	    cmocka_unit_test(render_html_escapes_the_name),
	    cmocka_unit_test(render_drops_control_characters_from_the_name),
	    cmocka_unit_test(render_refuses_otp_without_code_and_reset_without_link),
	    cmocka_unit_test(kind_names_are_the_outbox_kinds),
	    cmocka_unit_test(compose_uses_crlf_and_short_lines_everywhere),
	    cmocka_unit_test(compose_has_each_header_once),
	    cmocka_unit_test(compose_bodies_decode_to_the_rendered_text),
	    cmocka_unit_test(compose_never_lets_input_make_a_header_line),
	    cmocka_unit_test(compose_quotes_an_ascii_from_name),
	    cmocka_unit_test(compose_encodes_non_ascii_subject_and_from_name),
	    cmocka_unit_test(compose_refuses_a_bad_recipient),
	    cmocka_unit_test(compose_refuses_an_oversized_message),
	    cmocka_unit_test(seal_round_trips),
	    cmocka_unit_test(unseal_fails_on_any_tamper),
	    cmocka_unit_test(file_transport_writes_one_private_eml),
	    cmocka_unit_test(transport_refuses_a_bad_recipient),
	    cmocka_unit_test(file_transport_reports_an_unwritable_dir),
	    cmocka_unit_test(smtp_without_an_installed_transport_leaves_the_mail_queued),
	    cmocka_unit_test(smtp_hands_the_from_address_and_recipient_to_the_installed_transport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
