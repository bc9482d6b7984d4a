/*
 * validate: the input rules of docs/CONTRACT.md (IN-1 to IN-5), as pure functions.
 *
 * Messages and types copy what pydantic v2 (and the email-validator package
 * behind pydantic's EmailStr) say, so that a frontend written against the
 * FastAPI version sees the same 422 bodies.
 */
#include "validate.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zxcvbn.h>

#define EMAIL_PREFIX "value is not a valid email address: "

static const char msg_email_no_at[] = EMAIL_PREFIX "An email address must have an @-sign.";
static const char msg_email_two_at[] =
    EMAIL_PREFIX "An email address must have exactly one @-sign.";
static const char msg_email_no_local[] = EMAIL_PREFIX "There must be something before the @-sign.";
static const char msg_email_no_domain[] = EMAIL_PREFIX "There must be something after the @-sign.";
static const char msg_email_no_period[] =
    EMAIL_PREFIX "The part after the @-sign is not valid. It should have a period.";
static const char msg_email_lead_period[] =
    EMAIL_PREFIX "An email address cannot have a period immediately after the @-sign.";
static const char msg_email_end_period[] =
    EMAIL_PREFIX "An email address cannot end with a period.";
static const char msg_email_two_periods[] =
    EMAIL_PREFIX "An email address cannot have two periods in a row.";
static const char msg_email_too_long[] = EMAIL_PREFIX "The email address is too long.";
static const char msg_email_invalid[] =
    EMAIL_PREFIX "The email address contains invalid characters.";

static const char msg_unicode[] =
    "Input should be a valid string, unable to parse raw data as a unicode string";
static const char msg_min1[] = "String should have at least 1 character";
static const char msg_name_max[] = "String should have at most 100 characters";
static const char msg_name_control[] = "Value error, Full name must not contain control characters";
static const char msg_pw_min[] = "String should have at least 8 characters";
static const char msg_pw_max[] = "String should have at most 128 characters";
static const char msg_pw_upper[] =
    "Value error, Password must contain at least one uppercase letter";
static const char msg_pw_lower[] =
    "Value error, Password must contain at least one lowercase letter";
static const char msg_pw_digit[] = "Value error, Password must contain at least one digit";
static const char msg_pw_nul[] = "Value error, Password must not contain NUL bytes";
static const char msg_pw_guessable[] = "Value error, Password is too easy to guess";
static const char msg_login_max[] = "String should have at most 1024 characters";

static const char type_value[] = "value_error";
static const char type_short[] = "string_too_short";
static const char type_long[] = "string_too_long";
static const char type_unicode[] = "string_unicode";

/* The user dictionary: email, its local part and at most this many name words. */
#define USER_WORDS_MAX 32
/* Room for any full name of 100 code points (400 bytes); longer text is cut. */
#define NAME_COPY_MAX 512

void ferrs_add(struct ferrs *errs, const char *field, const char *msg, const char *type)
{
	if (errs->n >= FERRS_MAX)
		return;
	errs->e[errs->n].field = field;
	errs->e[errs->n].msg = msg;
	errs->e[errs->n].type = type;
	errs->n++;
}

int ferrs_has(const struct ferrs *errs, const char *field)
{
	for (size_t i = 0; i < errs->n; i++)
		if (strcmp(errs->e[i].field, field) == 0)
			return 1;
	return 0;
}

size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Decodes one code point of strict UTF-8 (no overlongs, no surrogates, at most
 * U+10FFFF) at s[*i], advancing *i. Returns the code point, or -1 if invalid.
 */
static int32_t utf8_next(const char *s, size_t len, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s + *i;
	size_t left = len - *i;
	uint32_t cp;
	size_t n;

	if (p[0] < 0x80) {
		*i += 1;
		return p[0];
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return -1;
	}
	if (left < n)
		return -1;
	for (size_t k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n;
	return (int32_t)cp;
}

int utf8_valid(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len)
		if (utf8_next(s, len, &i) < 0)
			return 0;
	return 1;
}

static int is_ascii_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* White space as Python's str.strip() sees it (str.isspace()). */
static int is_unicode_space(int32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 ||
	       cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

static int is_control(int32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * Case of the letters we know: ASCII, Latin-1, Latin Extended-A, basic Greek
 * and Cyrillic. Returns 1 for upper case, -1 for lower case, 0 otherwise.
 */
static int letter_case(int32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return 1;
	if (cp >= 'a' && cp <= 'z')
		return -1;
	if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
		return 1;
	if (cp >= 0xdf && cp <= 0xff && cp != 0xf7)
		return -1;
	if (cp >= 0x100 && cp <= 0x137)
		return cp % 2 == 0 ? 1 : -1;
	if (cp == 0x138 || cp == 0x149 || cp == 0x17f)
		return -1;
	if (cp >= 0x139 && cp <= 0x148)
		return cp % 2 == 1 ? 1 : -1;
	if (cp >= 0x14a && cp <= 0x177)
		return cp % 2 == 0 ? 1 : -1;
	if (cp == 0x178)
		return 1;
	if (cp >= 0x179 && cp <= 0x17e)
		return cp % 2 == 1 ? 1 : -1;
	if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2)
		return 1;
	if (cp >= 0x3ac && cp <= 0x3ce)
		return -1;
	if (cp >= 0x400 && cp <= 0x42f)
		return 1;
	if (cp >= 0x430 && cp <= 0x45f)
		return -1;
	return 0;
}

/* Characters an address may not hold: RFC 5322 specials other than '@' and '.'. */
static int email_special(unsigned char c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == ':' ||
	       c == ';' || c == ',' || c == '"' || c == '\\';
}

/* The reason s (trimmed, lower-cased) is not an address, or NULL if it is one. */
static const char *email_problem(const char *s, size_t len)
{
	const char *at = NULL;
	const char *dom;
	size_t ats = 0;
	size_t dlen;

	if (len == 0)
		return msg_email_no_at;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Printable ASCII only: also what the users table's lower() check and
		 * SMTP without SMTPUTF8 can hold. */
		if (c <= 0x20 || c >= 0x7f || email_special(c))
			return msg_email_invalid;
		if (c == '@') {
			ats++;
			if (at == NULL)
				at = s + i;
		}
	}
	if (len > EMAIL_MAX)
		return msg_email_too_long;
	if (ats == 0)
		return msg_email_no_at;
	if (ats > 1)
		return msg_email_two_at;
	if (at == s)
		return msg_email_no_local;
	dom = at + 1;
	dlen = len - (size_t)(dom - s);
	if (dlen == 0)
		return msg_email_no_domain;
	if (dom[0] == '.')
		return msg_email_lead_period;
	if (dom[dlen - 1] == '.')
		return msg_email_end_period;
	if (memmem(dom, dlen, "..", 2) != NULL)
		return msg_email_two_periods;
	if (memchr(dom, '.', dlen) == NULL)
		return msg_email_no_period;
	return NULL;
}

int valid_email(struct ferrs *errs, const char *field, const char *in, size_t len, char **out)
{
	const char *problem;
	char *s;

	*out = NULL;
	while (len > 0 && is_ascii_space((unsigned char)in[0])) {
		in++;
		len--;
	}
	while (len > 0 && is_ascii_space((unsigned char)in[len - 1]))
		len--;
	problem = email_problem(in, len);
	if (problem != NULL) {
		ferrs_add(errs, field, problem, type_value);
		return -1;
	}
	s = malloc(len + 1);
	if (s == NULL)
		return -2;
	for (size_t i = 0; i < len; i++)
		s[i] = ascii_lower(in[i]);
	s[len] = '\0';
	*out = s;
	return 0;
}

int valid_full_name(struct ferrs *errs, const char *field, const char *in, size_t len, char **out)
{
	size_t start = 0;
	size_t end = 0;
	size_t i = 0;
	size_t chars;
	char *s;

	*out = NULL;
	if (!utf8_valid(in, len)) {
		ferrs_add(errs, field, msg_unicode, type_unicode);
		return -1;
	}
	/* start: the first non-space code point; end: just past the last one. */
	start = len;
	while (i < len) {
		size_t at = i;
		int32_t cp = utf8_next(in, len, &i);

		if (!is_unicode_space(cp)) {
			if (start == len)
				start = at;
			end = i;
		}
	}
	if (start == len) {
		ferrs_add(errs, field, msg_min1, type_short);
		return -1;
	}
	chars = utf8_chars(in + start, end - start);
	if (chars > FULL_NAME_MAX) {
		ferrs_add(errs, field, msg_name_max, type_long);
		return -1;
	}
	for (i = start; i < end;) {
		if (is_control(utf8_next(in, end, &i))) {
			ferrs_add(errs, field, msg_name_control, type_value);
			return -1;
		}
	}
	s = malloc(end - start + 1);
	if (s == NULL)
		return -2;
	memcpy(s, in + start, end - start);
	s[end - start] = '\0';
	*out = s;
	return 0;
}

/* Copies at most cap - 1 bytes of s, lower-cased (ASCII), into dst. */
static void copy_lower(char *dst, size_t cap, const char *s)
{
	size_t len = strnlen(s, cap - 1);

	for (size_t i = 0; i < len; i++)
		dst[i] = ascii_lower(s[i]);
	dst[len] = '\0';
}

/*
 * The user dictionary, lower-cased as zxcvbn's own front ends do: the email,
 * its local part and the white-space-separated words of the full name. Fills
 * words (USER_WORDS_MAX + 3 entries, NULL-terminated), pointing into mail[]
 * and names[], which it overwrites.
 */
static void user_words(const char **words, const char *email, const char *full_name, char *mail,
                       char *local, size_t maillen, char *names, size_t nameslen)
{
	size_t n = 0;

	if (email != NULL && *email != '\0') {
		char *at;

		copy_lower(mail, maillen, email);
		words[n++] = mail;
		at = strchr(mail, '@');
		if (at != NULL && at != mail) {
			memcpy(local, mail, (size_t)(at - mail));
			local[at - mail] = '\0';
			words[n++] = local;
		}
	}
	if (full_name != NULL) {
		char *p = names;

		copy_lower(names, nameslen, full_name);
		while (*p != '\0') {
			if (is_ascii_space((unsigned char)*p)) {
				*p++ = '\0';
				continue;
			}
			if (n < USER_WORDS_MAX + 2)
				words[n++] = p;
			while (*p != '\0' && !is_ascii_space((unsigned char)*p))
				p++;
		}
	}
	words[n] = NULL;
}

int valid_new_password(struct ferrs *errs, const char *field, const char *pw, size_t len,
                       const char *email, const char *full_name)
{
	const char *words[USER_WORDS_MAX + 3];
	char mail[EMAIL_MAX + 1];
	char local[EMAIL_MAX + 1];
	char names[NAME_COPY_MAX];
	char copy[PASSWORD_MAX * 4 + 1];
	int upper = 0, lower = 0, digit = 0;
	size_t chars;
	size_t i = 0;
	double bits;

	if (!utf8_valid(pw, len)) {
		ferrs_add(errs, field, msg_unicode, type_unicode);
		return -1;
	}
	chars = utf8_chars(pw, len);
	if (chars < PASSWORD_MIN) {
		ferrs_add(errs, field, msg_pw_min, type_short);
		return -1;
	}
	if (chars > PASSWORD_MAX) {
		ferrs_add(errs, field, msg_pw_max, type_long);
		return -1;
	}
	if (memchr(pw, '\0', len) != NULL) {
		ferrs_add(errs, field, msg_pw_nul, type_value);
		return -1;
	}
	while (i < len) {
		int32_t cp = utf8_next(pw, len, &i);
		int lc = letter_case(cp);

		upper |= lc > 0;
		lower |= lc < 0;
		digit |= cp >= '0' && cp <= '9';
	}
	if (!upper) {
		ferrs_add(errs, field, msg_pw_upper, type_value);
		return -1;
	}
	if (!lower) {
		ferrs_add(errs, field, msg_pw_lower, type_value);
		return -1;
	}
	if (!digit) {
		ferrs_add(errs, field, msg_pw_digit, type_value);
		return -1;
	}

	/* At most 128 code points of valid UTF-8 fit in copy. */
	memcpy(copy, pw, len);
	copy[len] = '\0';
	user_words(words, email, full_name, mail, local, sizeof(mail), names, sizeof(names));
	bits = ZxcvbnMatch(copy, words, NULL);
	OPENSSL_cleanse(copy, sizeof(copy));
	if (bits < PASSWORD_MIN_ENTROPY) {
		ferrs_add(errs, field, msg_pw_guessable, type_value);
		return -1;
	}
	return 0;
}

int valid_login_password(struct ferrs *errs, const char *field, const char *pw, size_t len)
{
	if (len == 0) {
		ferrs_add(errs, field, msg_min1, type_short);
		return -1;
	}
	if (len > LOGIN_PASSWORD_MAX) {
		ferrs_add(errs, field, msg_login_max, type_long);
		return -1;
	}
	/* Its bytes are not looked at: a NUL, invalid UTF-8 or a weak password is
	 * simply wrong (or right) when verified against the stored hash. */
	(void)pw;
	return 0;
}
