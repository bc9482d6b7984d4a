/*
 * fuzz_request: one CGI request, from the web server's environment and stdin
 * to the response, as serve_main() does it but without configuration files,
 * database or mail:
 *
 *   http_req_from_env()  (REQUEST_METHOD, CONTENT_TYPE, CONTENT_LENGTH,
 *                        HTTP_AUTHORIZATION, HTTP_ORIGIN,
 *                        HTTP_ACCESS_CONTROL_REQUEST_METHOD from the input)
 *   http_req_read_body() (stdin is the rest of the input)
 *   app_serve()          the 413/415/400 gates (req_json_parse: depth, UTF-8,
 *                        RFC 8259 characters), CORS (http_cors against the
 *                        input's allowed list), OPTIONS, 405, then a handler
 *                        that runs every endpoint's *_req_parse() 422 gate on
 *                        the body (POST, and PATCH on the GET endpoint, which
 *                        serves GET and PATCH as profile.cgi does),
 *                        http_req_bearer() and jwt_verify()
 *   http_resp_write()    into memory.
 *
 * Input: seven LF-terminated lines, then the body:
 *   REQUEST_METHOD / CONTENT_TYPE / CONTENT_LENGTH / HTTP_AUTHORIZATION /
 *   HTTP_ORIGIN / HTTP_ACCESS_CONTROL_REQUEST_METHOD / CORS_ORIGINS
 * A line that is exactly "-" leaves the variable unset.
 *
 * Properties: no crash, leak or undefined behaviour; the response starts with
 * "Status: ", its header block ends at the first CRLF CRLF and holds only
 * RFC 9110 field bytes (HTAB, SP, VCHAR, obs-text 0x80-0xff) apart from the
 * CRLF line ends (no header injection);
 * every JSON body parses; a parse that succeeds gives an email that
 * valid_email() accepts unchanged.
 */
#include "app.h"
#include "fuzz.h"
#include "jwt.h"
#include "req.h"
#include "req_mfa.h"
#include "req_self.h"
#include "respond.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_JWT_KEY "fuzz-jwt-key-0123456789-abcdefghijklmnopqrstuvwxyz"
#define FUZZ_NOW 1700000000

static const char *const env_names[] = {
    "REQUEST_METHOD",     "CONTENT_TYPE", "CONTENT_LENGTH",
    "HTTP_AUTHORIZATION", "HTTP_ORIGIN",  "HTTP_ACCESS_CONTROL_REQUEST_METHOD",
};
#define N_ENV (sizeof(env_names) / sizeof(env_names[0]))

/* A normalized email from a parser must pass the email rule again, unchanged. */
static void check_email(const char *email)
{
	struct ferrs errs = {0};
	char *again = NULL;

	if (email == NULL)
		return;
	FUZZ_CHECK(valid_email(&errs, "email", email, strlen(email), &again) == 0);
	FUZZ_CHECK(strcmp(again, email) == 0);
	free(again);
}

/* The result of one parser: 0 with the fields set, or -1/-2 with them all NULL. */
#define CHECK_PARSE(rc, errs, all_null, any_null)                  \
	do {                                                       \
		FUZZ_CHECK((rc) == 0 || (rc) == -1 || (rc) == -2); \
		if ((rc) == 0)                                     \
			FUZZ_CHECK(!(any_null) && (errs).n == 0);  \
		else                                               \
			FUZZ_CHECK((all_null));                    \
		if ((rc) == -1)                                    \
			FUZZ_CHECK((errs).n > 0);                  \
	} while (0)

/* Every endpoint's 422 gate on the same body; the response of the first that fails. */
static void parse_all(struct ctx *ctx)
{
	struct signup_req su = {0};
	struct verify_req vr = {0};
	struct email_req er = {0};
	struct login_req lr = {0};
	struct reset_req rr = {0};
	struct name_req nr = {0};
	struct password_req pr = {0};
	struct change_req cr = {0};
	struct mfa_enable_req me = {0};
	struct mfa_verify_req mv = {0};
	struct ferrs e1 = {0}, e2 = {0}, e3 = {0}, e4 = {0}, e5 = {0}, e6 = {0}, e7 = {0}, e8 = {0};
	struct ferrs e9 = {0}, e10 = {0};
	int rc;

	rc = signup_req_parse(ctx->body, &su, &e1);
	CHECK_PARSE(rc, e1, !su.full_name && !su.email && !su.password,
	            !su.full_name || !su.email || !su.password);
	if (rc == 0)
		check_email(su.email);
	else
		respond_parse_failure(ctx->resp, rc, &e1);

	rc = verify_req_parse(ctx->body, &vr, &e2);
	CHECK_PARSE(rc, e2, !vr.email && !vr.otp, !vr.email || !vr.otp);
	if (rc == 0)
		check_email(vr.email);
	else if (ctx->resp->status == 0)
		respond_parse_failure(ctx->resp, rc, &e2);

	rc = email_req_parse(ctx->body, &er, &e3);
	CHECK_PARSE(rc, e3, !er.email, !er.email);
	if (rc == 0)
		check_email(er.email);

	rc = login_req_parse(ctx->body, &lr, &e4);
	CHECK_PARSE(rc, e4, !lr.email && !lr.password, !lr.email || !lr.password);
	if (rc == 0) {
		check_email(lr.email);
		/* Any bytes, NULs too: the length is json-c's, and a NUL ends them. */
		FUZZ_CHECK(lr.password_len >= 1 && lr.password_len <= LOGIN_PASSWORD_MAX &&
		           lr.password[lr.password_len] == '\0');
	} else {
		FUZZ_CHECK(lr.password_len == 0);
	}

	rc = reset_req_parse(ctx->body, &rr, &e5);
	CHECK_PARSE(rc, e5, !rr.token && !rr.new_password, !rr.token || !rr.new_password);
	if (rc != 0 && ctx->resp->status == 0)
		respond_parse_failure(ctx->resp, rc, &e5);

	rc = name_req_parse(ctx->body, &nr, &e6);
	CHECK_PARSE(rc, e6, !nr.full_name, !nr.full_name);

	rc = password_req_parse(ctx->body, &pr, &e7);
	CHECK_PARSE(rc, e7, !pr.password, !pr.password);
	if (rc == 0)
		FUZZ_CHECK(pr.password_len >= 1 && pr.password_len <= LOGIN_PASSWORD_MAX &&
		           pr.password[pr.password_len] == '\0');

	rc = change_req_parse(ctx->body, &cr, &e8);
	CHECK_PARSE(rc, e8, !cr.current_password && !cr.new_password,
	            !cr.current_password || !cr.new_password);
	/* A new password the same as the current one as sent never gets through. */
	if (rc == 0)
		FUZZ_CHECK(cr.current_len != strlen(cr.new_password) ||
		           memcmp(cr.current_password, cr.new_password, cr.current_len) != 0);

	/* The two-factor bodies: strings kept cut at REQ_MFA_CODE_MAX bytes. */
	rc = mfa_enable_req_parse(ctx->body, &me, &e9);
	CHECK_PARSE(rc, e9, !me.code && !me.email_code, !me.code || !me.email_code);
	if (rc == 0)
		FUZZ_CHECK(strlen(me.code) <= REQ_MFA_CODE_MAX &&
		           strlen(me.email_code) <= REQ_MFA_CODE_MAX);

	rc = mfa_verify_req_parse(ctx->body, &mv, &e10);
	CHECK_PARSE(rc, e10, !mv.mfa_token && !mv.code, !mv.mfa_token || !mv.code);
	if (rc == 0)
		FUZZ_CHECK(strlen(mv.mfa_token) <= REQ_MFA_CODE_MAX &&
		           strlen(mv.code) <= REQ_MFA_CODE_MAX);

	if (ctx->resp->status == 0)
		respond_message(ctx->resp, 200, "parsed");

	name_req_release(&nr);
	password_req_release(&pr);
	change_req_release(&cr);
	signup_req_release(&su);
	verify_req_release(&vr);
	email_req_release(&er);
	login_req_release(&lr);
	reset_req_release(&rr);
	mfa_enable_req_release(&me);
	mfa_verify_req_release(&mv);
}

/* The bearer token, verified as profile.cgi does, with a fixed key and clock. */
static void check_bearer(struct ctx *ctx)
{
	const char *tok = NULL;
	struct jwt_claims c;
	enum jwt_err e;

	if (!http_req_bearer(ctx->req, &tok)) {
		http_resp_401(ctx->resp, "Not authenticated");
		return;
	}
	FUZZ_CHECK(tok != NULL && *tok != '\0');
	e = jwt_verify(tok, (const unsigned char *)FUZZ_JWT_KEY, strlen(FUZZ_JWT_KEY), FUZZ_NOW,
	               &c);
	if (e != JWT_OK) {
		http_resp_401_invalid_token(ctx->resp, "Invalid or expired token");
		return;
	}
	FUZZ_CHECK(c.sub > 0);
	respond_message(ctx->resp, 200, "authenticated");
}

static void post_handle(struct ctx *ctx)
{
	FUZZ_CHECK(ctx->body != NULL && json_object_is_type(ctx->body, json_type_object));
	parse_all(ctx);
}

/* GET and HEAD: the bearer token; PATCH (a path of two methods): the body gates and parsers. */
static void get_handle(struct ctx *ctx)
{
	if (strcmp(ctx->req->method, "PATCH") == 0) {
		post_handle(ctx);
		return;
	}
	FUZZ_CHECK(ctx->body == NULL);
	check_bearer(ctx);
}

static const struct endpoint post_ep = {
    .name = "fuzz-post", .method = "POST", .handle = post_handle};
static const struct endpoint get_ep = {
    .name = "fuzz-get", .method = "GET", .handle = get_handle, .also = "PATCH"};

/* The properties of a written response (see the top of the file). */
static void check_response(const char *out, size_t len, const struct http_resp *resp)
{
	const char *end;
	size_t hlen;

	FUZZ_CHECK(len >= 8 && memcmp(out, "Status: ", 8) == 0);
	end = memmem(out, len, "\r\n\r\n", 4);
	FUZZ_CHECK(end != NULL);
	hlen = (size_t)(end - out) + 2;
	for (size_t i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c == '\r') {
			FUZZ_CHECK(i + 1 < len && out[i + 1] == '\n');
			i++;
			continue;
		}
		FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7f));
	}
	if (resp->body != NULL && resp->content_type == NULL && resp->status != 204) {
		json_object *o = json_tokener_parse(resp->body);

		FUZZ_CHECK(o != NULL && json_object_is_type(o, json_type_object));
		FUZZ_CHECK(json_object_object_get_ex(o, "detail", NULL) ||
		           json_object_object_get_ex(o, "message", NULL));
		json_object_put(o);
	}
}

/* Serves req with ep against conf, as serve_main() would, and checks the output. */
static void serve(const struct endpoint *ep, const struct conf *conf, const struct http_req *req)
{
	struct http_resp resp;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	http_resp_init(&resp);
	app_serve(ep, conf, req, &resp);
	FUZZ_CHECK(resp.status >= 100 && resp.status <= 599);
	f = open_memstream(&out, &outlen);
	if (f != NULL) {
		FUZZ_CHECK(http_resp_write(&resp, f) == 0);
		fclose(f);
		check_response(out, outlen, &resp);
	}
	free(out);
	http_resp_release(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *lines[N_ENV + 1] = {0};
	struct conf conf;
	struct http_req req;
	long long len;
	FILE *in = NULL;

	for (size_t i = 0; i < N_ENV + 1; i++) {
		lines[i] = fuzz_line(&data, &size, NULL);
		if (lines[i] == NULL)
			goto out;
	}
	for (size_t i = 0; i < N_ENV; i++) {
		if (strcmp(lines[i], "-") == 0)
			unsetenv(env_names[i]);
		else
			setenv(env_names[i], lines[i], 1);
	}
	memset(&conf, 0, sizeof(conf));
	conf.cors_origins = strcmp(lines[N_ENV], "-") == 0 ? NULL : lines[N_ENV];

	http_req_from_env(&req);
	len = http_req_content_length(&req);
	FUZZ_CHECK(len >= -1);
	/* serve_main(): only a POST with a JSON type and an acceptable length is read. */
	if (size > 0)
		in = fmemopen((void *)(uintptr_t)data, size, "r");
	else
		in = fopen("/dev/null", "r");
	if (in == NULL)
		goto out;
	if (req.method != NULL && strcmp(req.method, "POST") == 0 && http_req_is_json(&req) &&
	    len >= 0 && len <= HTTP_BODY_MAX) {
		int r = http_req_read_body(&req, in);

		FUZZ_CHECK(r == 0 || (req.body == NULL && req.body_incomplete));
		if (r == 0)
			FUZZ_CHECK(req.body_len == (size_t)len && req.body[len] == '\0');
	}
	serve(&post_ep, &conf, &req);
	serve(&get_ep, &conf, &req);
	/* Without configuration: always a 500, never a crash. */
	serve(&post_ep, NULL, &req);
	http_req_release(&req);
out:
	if (in != NULL)
		fclose(in);
	for (size_t i = 0; i < N_ENV + 1; i++)
		free(lines[i]);
	return 0;
}
