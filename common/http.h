/*
 * http: the CGI side of a request (RFC 3875): reading the request from the
 * environment (or a FastCGI request's parameters) and stdin, building the
 * response, CORS, and writing it out.
 *
 * This module is the one place that turns an outcome into a status line and a
 * {"detail": ...} body. Every response carries Content-Type: application/json
 * (unless set otherwise), Cache-Control: no-store and X-Content-Type-Options: nosniff;
 * every 401 carries exactly one WWW-Authenticate: Bearer, with error="invalid_token"
 * (RFC 6750, 3.1) when the access token sent was refused (http_resp_401_invalid_token()).
 */
#ifndef MC_HTTP_H
#define MC_HTTP_H

#include <json-c/json.h>
#include <stdio.h>

#include "buf.h"
#include "validate.h"

#define HTTP_BODY_MAX (64 * 1024)  /* larger bodies get 413 unread */
#define HTTP_RETRY_UNAVAILABLE 5   /* Retry-After seconds of a 503 */
#define HTTP_HEADER_VALUE_MAX 8192 /* longer Authorization etc. are treated as absent/invalid */

struct http_req {
	/* Borrowed from the environment (or from the caller of http_serve), NULL when absent. */
	const char *method;         /* REQUEST_METHOD */
	const char *content_type;   /* CONTENT_TYPE */
	const char *content_length; /* CONTENT_LENGTH, as sent */
	const char *authorization;  /* HTTP_AUTHORIZATION */
	const char *origin;         /* HTTP_ORIGIN */
	const char *acr_method;     /* HTTP_ACCESS_CONTROL_REQUEST_METHOD */
	const char *remote_addr;    /* REMOTE_ADDR */
	const char *user_agent;     /* HTTP_USER_AGENT */
	const char *forwarded_for;  /* HTTP_X_FORWARDED_FOR */
	const char *path_info;      /* PATH_INFO */
	const char
	    *request_uri; /* REQUEST_URI: the path as the client sent it, before any rewrite */
	/* Owned: the body read by http_req_read_body(); freed by http_req_release(). */
	char *body;
	size_t body_len;
	int body_incomplete; /* set when stdin ended before CONTENT_LENGTH bytes */
	int body_too_large;  /* set when a body without CONTENT_LENGTH ran past HTTP_BODY_MAX */
};

/*
 * Fills the borrowed fields from getenv(); body empty. A value longer than
 * HTTP_HEADER_VALUE_MAX is taken as absent (NULL), except Authorization, which
 * is kept so that an over-long bearer token is refused as a token (see
 * http_req_bearer()).
 */
void http_req_from_env(struct http_req *r);
/*
 * The same from params, "NAME=value" strings ending with NULL: a FastCGI
 * request's parameters (FCGX_Request.envp). The fields borrow from params.
 */
void http_req_from_params(struct http_req *r, char *const *params);
/*
 * Reads exactly CONTENT_LENGTH bytes (0 when malformed) from in into r->body,
 * NUL-terminated (not counted in body_len), replacing any earlier body.
 * 0 on success; -1 if the stream ended early or failed, or the length is over
 * HTTP_BODY_MAX (nothing is read then): body_incomplete is set, body is NULL,
 * and the request is a 400. The caller has normally refused a length over
 * HTTP_BODY_MAX already (413).
 * When CONTENT_LENGTH is absent (a chunked request: Apache's mod_cgi passes
 * its body without a length and closes stdin after it), everything up to the
 * end of the stream, at most HTTP_BODY_MAX bytes: if there is more,
 * body_too_large is set (a 413), body is NULL, -1, and nothing more is read.
 */
int http_req_read_body(struct http_req *r, FILE *in);
/* Frees the body and empties it; the borrowed fields stay. */
void http_req_release(struct http_req *r);

/* Parsed CONTENT_LENGTH: -1 absent or malformed, else the value (clamped to LLONG_MAX). */
long long http_req_content_length(const struct http_req *r);
/* 1 if CONTENT_TYPE is application/json, any case, parameters allowed. */
int http_req_is_json(const struct http_req *r);
/*
 * The bearer token of the Authorization header: 1 and *token borrowed from
 * r->authorization when the header is "Bearer" (any case), one or more spaces,
 * and a non-empty token without spaces or control characters; 0 otherwise
 * (absent, another scheme, no token, a space inside or after it: "Not
 * authenticated"). An over-long header still gives 1: jwt_verify() refuses a
 * token over JWT_MAX_LEN, so it answers "Invalid or expired token".
 */
int http_req_bearer(const struct http_req *r, const char **token);

/*
 * A response. Setting it again (http_resp_json() etc.) replaces the status and
 * the body (and forgets invalid_token); extra headers accumulate.
 * http_resp_write() adds WWW-Authenticate to every 401 and Retry-After (at
 * least 1) to every 429 by itself, so a response that changes its mind never
 * carries a stale one.
 */
struct http_resp {
	int status;         /* 0 until set */
	struct buf headers; /* extra "Name: value\r\n" lines */
	char *body;         /* owned, may be NULL */
	size_t body_len;
	char *content_type; /* owned; NULL means application/json (set by http_resp_raw()) */
	long retry_after;   /* seconds for a 429's Retry-After; 0 until http_resp_429() */
	int invalid_token;  /* set by http_resp_401_invalid_token(): error="invalid_token" */
	int no_retry; /* a 503 without Retry-After (http_resp_no_retry()); every setter clears it */
	int head;     /* a HEAD request: written without the body, Content-Length kept */
};

void http_resp_init(struct http_resp *resp);
void http_resp_release(struct http_resp *resp);

/*
 * Adds a header; a name that is not an RFC 9110 token, or a value with CR, LF,
 * NUL or another control character (HTAB aside), is refused (-1) and nothing is
 * added; so are WWW-Authenticate and Retry-After (any case), which
 * http_resp_write() writes itself, once. -1 also when out of memory or past
 * the headers' maximum. 0 on success.
 */
int http_resp_header(struct http_resp *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets status and the body to obj serialized compactly (json-c PLAIN, no slash escapes). Does not take obj. */
void http_resp_json(struct http_resp *resp, int status, json_object *obj);
/* {"detail": msg}. */
void http_resp_detail(struct http_resp *resp, int status, const char *msg);
/* 422 {"detail": [{"loc": ["body", field], "msg": ..., "type": ...}, ...]}. */
void http_resp_422(struct http_resp *resp, const struct ferrs *errs);
/* 429 {"detail": msg} with Retry-After: seconds (at least 1). */
void http_resp_429(struct http_resp *resp, const char *msg, long retry_after);
/*
 * 401 {"detail": msg} with WWW-Authenticate: Bearer: no credentials, another
 * scheme, or a login's wrong password.
 */
void http_resp_401(struct http_resp *resp, const char *msg);
/*
 * 401 {"detail": msg} with WWW-Authenticate: Bearer error="invalid_token"
 * (RFC 6750, 3.1): the access token sent is malformed, forged, expired,
 * revoked, or its user is gone; a client refreshes or signs in again on it.
 */
void http_resp_401_invalid_token(struct http_resp *resp, const char *msg);
/* 503 {"detail": "Service temporarily unavailable"} with Retry-After: HTTP_RETRY_UNAVAILABLE. */
void http_resp_unavailable(struct http_resp *resp);
/*
 * Leaves Retry-After off the 503 set last: for an outage that waiting does not
 * end (health's "misconfigured"). Setting the response again brings it back.
 */
void http_resp_no_retry(struct http_resp *resp);
/* 500 {"detail": "Internal server error"}; the caller has logged why. */
void http_resp_internal(struct http_resp *resp);
/* Sets a non-JSON body (the docs page): status, content type, bytes copied. */
void http_resp_raw(struct http_resp *resp, int status, const char *content_type, const char *body,
                   size_t len);

/*
 * CORS (docs/CONTRACT.md C-2 to C-4): when origin is in the comma-separated allowed list,
 * adds Access-Control-Allow-Origin: <origin> and Vary: Origin (and app_serve()
 * adds Access-Control-Expose-Headers to every answer but a preflight's);
 * otherwise adds no Access-Control-* header. Returns 1 if the origin is allowed. Entries are
 * trimmed and compared exactly (case-sensitive, whole string); "*" is not a
 * wildcard and never matches; an origin with a space or control byte never does.
 */
int http_cors(struct http_resp *resp, const char *allowed, const char *origin);

/*
 * Writes "Status: ...", Content-Type, Cache-Control, X-Content-Type-Options,
 * Content-Length, WWW-Authenticate (401: Bearer, or Bearer
 * error="invalid_token" when invalid_token is set) or Retry-After (429, 503
 * unless http_resp_no_retry()), the extra
 * headers, a blank line and the body, CGI style. A 204 has no Content-Type,
 * Content-Length or body; an unset status is written as a 500. With
 * resp->head set (HEAD), everything but the body: Content-Length is still the
 * body's length (RFC 9110 8.6). 0, or -1 on a write error.
 */
int http_resp_write(const struct http_resp *resp, FILE *out);

/* Reason phrase for a status ("Unprocessable Entity"). */
const char *http_reason(int status);

#endif
