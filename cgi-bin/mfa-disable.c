/*
 * POST /user/mfa/disable {password, code}, Authorization: Bearer <jwt>
 * 200 {"message": "Two-factor sign-in disabled"}: the secret, the recovery
 * codes and every mfa_token of the account deleted, the notice mail going
 * out after the answer (docs/CONTRACT.md MF-13, MF-14); 422; 401 Not
 * authenticated / Invalid or expired token; 400 Two-factor sign-in is not
 * enabled; 429 (the second-factor lock, or the account's login lock, both
 * before the password is checked); 400 Incorrect password (counted as a
 * failed login); 400 Invalid code (missing or wrong, counted on the
 * second-factor counter); 503, 500.
 */
#include "account_mfa.h"
#include "app.h"
#include "bearer.h"
#include "mail_smtp.h"
#include "respond.h"
#include "serve.h"

static void disable_handle(struct ctx *ctx)
{
	struct mfa_manage_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	struct acct_token t = {0};
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = mfa_manage_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	if (!bearer_check(ctx, &t))
		goto out;
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_mfa_disable(db, ctx->conf, &ctx->client, &t, ctx->now, &r, &o);
	if (rc == ACCT_OK) {
		respond_message(ctx->resp, 200, "Two-factor sign-in disabled");
		app_mail_after(ctx, o.mail_id);
	} else {
		respond_failure(ctx->resp, rc, &o);
	}
out:
	acct_out_release(&o);
	mfa_manage_req_release(&r);
}

static const struct endpoint disable_endpoint = {
    .name = "mfa-disable", .method = "POST", .handle = disable_handle};

int main(void)
{
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	return serve_main(&disable_endpoint);
}
