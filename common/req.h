/*
 * req: request bodies, from JSON text to typed, validated structs.
 *
 * req_json_parse() is the 400 gate (not JSON, not an object, too deep, invalid
 * UTF-8); each *_req_parse() is the 422 gate: it reads the known fields (unknown
 * ones are ignored; the last of duplicate keys wins, as in Python), checks each
 * with validate.h and fills the struct with owned, normalized copies. All are
 * pure, so they are table-tested in tests/unit/test_req.c.
 *
 * Field errors, in the struct's field order: absent or JSON null -> "Field
 * required"/"missing"; not a JSON string -> "Input should be a valid
 * string"/"string_type"; a string with a NUL byte -> "Value error, must not
 * contain NUL bytes"/"value_error" (every field but login's password, which
 * may hold any bytes); then the field's own rule.
 */
#ifndef MC_REQ_H
#define MC_REQ_H

#include <json-c/json.h>
#include <stddef.h>

#include "validate.h"

#define REQ_JSON_MAX_DEPTH 32

/* 0 and *out (an object; caller json_object_put()s it), or -1: not valid JSON or not an object. */
int req_json_parse(const char *text, size_t len, json_object **out);

/*
 * The field readers of every parser (req_self.h's too). req_bytes() reads
 * field as a string of any bytes: 0 with *s (borrowed from body,
 * NUL-terminated, but it may hold NULs) and *len, its length from json-c; or
 * -1 with an entry in errs (missing, not a string). req_string() does the
 * same, and a NUL byte is an error too.
 */
int req_bytes(json_object *body, const char *field, struct ferrs *errs, const char **s,
              size_t *len);
int req_string(json_object *body, const char *field, struct ferrs *errs, const char **s,
               size_t *len);

/*
 * A password as login reads it (any 1 to 1024 bytes, NULs too: a typed
 * password never gets a 422 for what it holds): 0 with *out (a copy, wiped
 * and freed by the caller with secret_free(*out, *out_len)) and *out_len, -1
 * with an entry in errs, -2 out of memory.
 */
int req_typed_password(json_object *body, const char *field, struct ferrs *errs, char **out,
                       size_t *out_len);

/*
 * "new_password" (valid_new_password() without the account's words) and
 * "confirm_password", which must be equal to it. With current set (len
 * current_len: the current password as sent), a new_password equal to it is
 * refused too. 0 with *out (a copy; the caller frees it with
 * secret_free_str()), -1 with entries in errs, -2 out of memory.
 */
int req_new_password(json_object *body, struct ferrs *errs, const char *current, size_t current_len,
                     char **out);

/* Merges one field's result into a parser's: -1 if any failed, -2 (out of memory) sticks. */
void req_merge(int *ret, int r);

/*
 * Every parser returns 0 when the struct is filled, -1 when errs has entries
 * (the struct then holds nothing), -2 when out of memory. Release with the
 * matching *_release(), which wipes passwords and codes; safe on a zeroed struct.
 */
struct signup_req {
	char *full_name; /* trimmed */
	char *email;     /* normalized */
	char *password;
};
int signup_req_parse(json_object *body, struct signup_req *r, struct ferrs *errs);
void signup_req_release(struct signup_req *r);

struct verify_req {
	char *email;
	char *otp; /* as sent, trimmed; any string of at most 64 bytes */
};
int verify_req_parse(json_object *body, struct verify_req *r, struct ferrs *errs);
void verify_req_release(struct verify_req *r);

/* resend-otp and forgot-password: {"email"}. */
struct email_req {
	char *email;
};
int email_req_parse(json_object *body, struct email_req *r, struct ferrs *errs);
void email_req_release(struct email_req *r);

/*
 * {"email", "password"}: password is any string of 1 to LOGIN_PASSWORD_MAX
 * bytes (valid_login_password()), NUL bytes included, so it is password_len
 * bytes long: never take its strlen(). It is still NUL-terminated.
 */
struct login_req {
	char *email;
	char *password;
	size_t password_len; /* bytes, NULs included */
};
int login_req_parse(json_object *body, struct login_req *r, struct ferrs *errs);
void login_req_release(struct login_req *r);

/*
 * {"token", "new_password", "confirm_password"}: token any non-empty string of
 * at most 512 bytes; new_password checked by valid_new_password() without user
 * words (the handler checks again with them once the token names the user);
 * confirm_password must be a string, and when both are otherwise valid and
 * differ: "Value error, Passwords do not match"/"value_error" on confirm_password.
 */
struct reset_req {
	char *token;
	char *new_password;
};
int reset_req_parse(json_object *body, struct reset_req *r, struct ferrs *errs);
void reset_req_release(struct reset_req *r);

#endif
