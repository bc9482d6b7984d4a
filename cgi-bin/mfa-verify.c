/*
 * POST /auth/mfa/verify {mfa_token, code}
 * 200 {"access_token", "token_type": "bearer", "expires_in", "refresh_token"}:
 * the second step of a sign-in with two-factor sign-in on, a new session
 * (docs/CONTRACT.md MF-9 to MF-11; a recovery code's notice mail going out
 * after the answer); 401 Invalid or expired MFA token; 400 Invalid code; 429
 * while the login lock or the second-factor lock holds; 422; 503, 500.
 */
#include "account_mfa.h"
#include "app.h"
#include "mail_smtp.h"
#include "respond.h"
#include "serve.h"

static void verify_handle(struct ctx *ctx)
{
	struct mfa_verify_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = mfa_verify_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_mfa_verify(db, ctx->conf, &ctx->client, ctx->now, &r, &o);
	if (rc == ACCT_OK) {
		respond_token(ctx->resp, &o.tokens);
		app_mail_after(ctx, o.mail_id);
	} else {
		respond_failure(ctx->resp, rc, &o);
	}
out:
	acct_out_release(&o);
	mfa_verify_req_release(&r);
}

static const struct endpoint verify_endpoint = {
    .name = "mfa-verify", .method = "POST", .handle = verify_handle};

int main(void)
{
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	return serve_main(&verify_endpoint);
}
