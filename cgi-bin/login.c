/*
 * POST /auth/login {email, password}
 * 200 {"access_token", "token_type": "bearer", "expires_in", "refresh_token"}: a new
 * session (docs/CONTRACT.md SE-1, SE-2), or with two-factor sign-in on
 * {"mfa_required": true, "mfa_token", "expires_in": 300} and no session
 * (MF-8); 401 Invalid email or password;
 * 403 Email not verified; 429 locked after 5 failures, or too many failures
 * from the client address; 422; 503, 500.
 */
#include "app.h"
#include "respond.h"
#include "serve.h"

static void login_handle(struct ctx *ctx)
{
	struct login_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = login_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_login(db, ctx->conf, &ctx->client, &r, ctx->now, &o);
	if (rc == ACCT_OK)
		respond_token(ctx->resp, &o.tokens);
	else if (rc == ACCT_MFA_REQUIRED)
		respond_mfa_required(ctx->resp, &o);
	else
		respond_failure(ctx->resp, rc, &o);
out:
	acct_out_release(&o);
	login_req_release(&r);
}

static const struct endpoint login_endpoint = {
    .name = "login", .method = "POST", .handle = login_handle};

int main(void)
{
	return serve_main(&login_endpoint);
}
