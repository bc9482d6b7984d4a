/*
 * session_req: the bodies of refresh and logout, from the parsed JSON object
 * to typed structs (docs/CONTRACT.md SE-6, SE-8), with req.h's field errors
 * and conventions: 0 filled, -1 errs has entries (nothing held), -2 out of
 * memory. Pure; release with the matching *_release(), which wipes the token.
 */
#ifndef MC_SESSION_REQ_H
#define MC_SESSION_REQ_H

#include <json-c/json.h>

#include "validate.h"

/* {"refresh_token"}: a string (required), at most 512 bytes, no NUL. */
struct refresh_req {
	char *refresh_token;
};
int refresh_req_parse(json_object *body, struct refresh_req *r, struct ferrs *errs);
void refresh_req_release(struct refresh_req *r);

/*
 * {"refresh_token", "everywhere"}, both optional (absent or null: none,
 * false); body NULL (no body) is an empty request. refresh_token as above;
 * everywhere a JSON boolean ("Input should be a valid boolean"/"bool_type").
 */
struct logout_req {
	char *refresh_token; /* NULL when absent */
	int everywhere;
};
int logout_req_parse(json_object *body, struct logout_req *r, struct ferrs *errs);
void logout_req_release(struct logout_req *r);

#endif
