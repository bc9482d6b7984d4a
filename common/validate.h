/*
 * validate: the input rules of docs/CONTRACT.md (IN-1 to IN-5) for email, full name and passwords,
 * and the list of field errors that becomes a FastAPI-shaped 422.
 *
 * Every function is pure (no I/O). A failing rule adds one entry to a struct
 * ferrs with a static message and a pydantic-style type ("missing",
 * "string_type", "string_too_short", "string_too_long", "value_error").
 */
#ifndef MC_VALIDATE_H
#define MC_VALIDATE_H

#include <stddef.h>

#define FERRS_MAX 8
#define EMAIL_MAX 254
#define FULL_NAME_MAX 100         /* characters */
#define PASSWORD_MIN 8            /* characters */
#define PASSWORD_MAX 128          /* characters */
#define LOGIN_PASSWORD_MAX 1024   /* bytes */
#define PASSWORD_MIN_ENTROPY 20.0 /* bits, zxcvbn */

struct ferr {
	const char *field; /* static: "email" */
	const char *msg;   /* static: "Field required" */
	const char *type;  /* static: "missing" */
};

struct ferrs {
	struct ferr e[FERRS_MAX];
	size_t n;
};

/* Appends an entry (dropped silently past FERRS_MAX). All strings must be static. */
void ferrs_add(struct ferrs *errs, const char *field, const char *msg, const char *type);
/* 1 if errs has an entry for field. */
int ferrs_has(const struct ferrs *errs, const char *field);

/*
 * Email: trims ASCII white space, lower-cases, then checks: at most 254 chars,
 * exactly one '@', non-empty local part, a domain with a dot (not at either
 * end, no empty label), no spaces or control characters. Beyond the contract,
 * only printable ASCII is taken and none of the RFC 5322 specials
 * ( ) < > [ ] : ; , " \ (what mail headers, SMTP without SMTPUTF8 and the
 * users table's email = lower(email) check can all hold). On success *out is
 * the normalized address (caller frees) and 0 is returned; otherwise an entry
 * for field is added and -1 returned (-2 on out of memory, nothing added).
 * Messages read "value is not a valid email address: <reason>", type
 * "value_error", as pydantic's EmailStr.
 */
int valid_email(struct ferrs *errs, const char *field, const char *in, size_t len, char **out);

/*
 * Full name: trimmed (Unicode white space at the ends, at least ASCII), then
 * 1 to 100 characters (code points), no control characters (C0, DEL, C1).
 * Input that is not valid UTF-8 gets "Input should be a valid string, unable
 * to parse raw data as a unicode string"/"string_unicode". *out as for
 * valid_email.
 */
int valid_full_name(struct ferrs *errs, const char *field, const char *in, size_t len, char **out);

/*
 * A password being chosen (signup, reset): 8 to 128 characters, at least one
 * upper-case, one lower-case letter and one digit (ASCII classes, or Unicode
 * letters' case where known), no NUL, and zxcvbn entropy >= 20 bits with the
 * email, its local part and each word of full_name as user dictionary words
 * (either may be NULL when unknown). 0 if acceptable, else -1 with one entry
 * for the first rule broken, checked in this order: valid UTF-8 (as for
 * valid_full_name), length, NUL, upper case, lower case, digit, zxcvbn.
 */
int valid_new_password(struct ferrs *errs, const char *field, const char *pw, size_t len,
                       const char *email, const char *full_name);

/*
 * A password at login: 1 to 1024 bytes, whatever they are (NUL bytes
 * included: docs/CONTRACT.md IN-4). 0, or -1 with one entry.
 */
int valid_login_password(struct ferrs *errs, const char *field, const char *pw, size_t len);

/* Number of code points in valid UTF-8 s of len bytes. */
size_t utf8_chars(const char *s, size_t len);

/*
 * 1 if s[0..len) is valid UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), else 0. NUL bytes are valid.
 */
int utf8_valid(const char *s, size_t len);

#endif
