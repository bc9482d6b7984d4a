/*
 * req_self: the request bodies of account self-service (docs/CONTRACT.md
 * AS-1 to AS-4): PATCH /user/profile, POST /user/delete-account and POST
 * /user/change-password, from a parsed JSON object to typed, validated
 * structs, with the conventions of req.h (field errors in the struct's
 * order; 0, -1 with errs, -2 out of memory; release wipes passwords; safe on
 * a zeroed struct). Pure, so table-tested in tests/unit/test_req.c.
 */
#ifndef MC_REQ_SELF_H
#define MC_REQ_SELF_H

#include <json-c/json.h>
#include <stddef.h>

#include "validate.h"

/* {"full_name"}: the Part 1 rule (valid_full_name()); trimmed. */
struct name_req {
	char *full_name;
};
int name_req_parse(json_object *body, struct name_req *r, struct ferrs *errs);
void name_req_release(struct name_req *r);

/*
 * {"password"}: the password typed again, checked as at login
 * (valid_login_password(): 1 to 1024 bytes of anything, NULs included), so
 * it is password_len bytes long; still NUL-terminated.
 */
struct password_req {
	char *password;
	size_t password_len;
};
int password_req_parse(json_object *body, struct password_req *r, struct ferrs *errs);
void password_req_release(struct password_req *r);

/*
 * {"current_password", "new_password", "confirm_password"}: current_password
 * as password_req's password; new_password by valid_new_password() without
 * the account's words (the flow checks again with them), then, when it is
 * otherwise valid and equal to current_password as sent, "Value error, New
 * password must be different from the current password"/"value_error" on
 * new_password; confirm_password a string, and when new_password is valid
 * and differs: "Value error, Passwords do not match"/"value_error" on
 * confirm_password.
 */
struct change_req {
	char *current_password;
	size_t current_len; /* bytes, NULs included */
	char *new_password;
};
int change_req_parse(json_object *body, struct change_req *r, struct ferrs *errs);
void change_req_release(struct change_req *r);

#endif
