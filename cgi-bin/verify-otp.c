/*
 * POST /auth/verify-otp {email, otp}
 * 200 {"access_token", "token_type": "bearer", "expires_in", "refresh_token"}: a new
 * session (docs/CONTRACT.md SE-1, SE-2); 400 Invalid or expired OTP
 * (wrong, expired, spent or dead code, unknown email); 400 Email already
 * verified; 429 too many failed codes from the client address; 422; 503, 500.
 */
#include "app.h"
#include "respond.h"

static void verify_handle(struct ctx *ctx)
{
	struct verify_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = verify_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_verify_otp(db, ctx->conf, &ctx->client, &r, ctx->now, &o);
	if (rc == ACCT_OK)
		respond_token(ctx->resp, &o.tokens);
	else
		respond_failure(ctx->resp, rc, &o);
out:
	acct_out_release(&o);
	verify_req_release(&r);
}

static const struct endpoint verify_endpoint = {
    .name = "verify-otp", .method = "POST", .handle = verify_handle};

int main(void)
{
	return app_main(&verify_endpoint);
}
