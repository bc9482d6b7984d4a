/*
 * POST /user/mfa/setup {password}, Authorization: Bearer <jwt>
 * 200 {"secret": "<base32>", "otpauth_uri": "otpauth://totp/..."}, the
 * confirmation code's mail going out after the answer (docs/CONTRACT.md
 * MF-1 to MF-3); 422; 401 Not authenticated / Invalid or expired token; 429
 * (the account's login lock, before the password is checked; the code
 * mail's caps); 400 Incorrect password (counted as a failed login); 409
 * Two-factor sign-in is already enabled; 503, 500.
 */
#include "account_mfa.h"
#include "app.h"
#include "bearer.h"
#include "log.h"
#include "mail_smtp.h"
#include "req_self.h"
#include "respond.h"
#include "serve.h"

#include <json-c/json.h>

/* The 200 of a setup: the secret and its URI, once. */
static void setup_respond(struct http_resp *resp, const struct mfa_setup_out *s)
{
	json_object *o = json_object_new_object();

	if (o == NULL ||
	    json_object_object_add(o, "secret", json_object_new_string(s->secret)) != 0 ||
	    json_object_object_add(o, "otpauth_uri", json_object_new_string(s->otpauth_uri)) != 0) {
		log_error("out of memory");
		http_resp_internal(resp);
	} else {
		http_resp_json(resp, 200, o);
	}
	json_object_put(o);
}

static void setup_handle(struct ctx *ctx)
{
	struct password_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	struct acct_token t = {0};
	struct mfa_setup_out s = {0};
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = password_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	if (!bearer_check(ctx, &t))
		goto out;
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_mfa_setup(db, ctx->conf, &ctx->client, &t, ctx->now, &r, &o, &s);
	if (rc == ACCT_OK) {
		setup_respond(ctx->resp, &s);
		app_mail_after(ctx, o.mail_id);
	} else {
		respond_failure(ctx->resp, rc, &o);
	}
out:
	mfa_setup_out_release(&s);
	acct_out_release(&o);
	password_req_release(&r);
}

static const struct endpoint setup_endpoint = {
    .name = "mfa-setup", .method = "POST", .handle = setup_handle};

int main(void)
{
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	return serve_main(&setup_endpoint);
}
