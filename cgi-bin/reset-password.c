/*
 * POST /auth/reset-password {token, new_password, confirm_password}
 * 200 {"message": "Password reset successfully. Please log in again."};
 * 400 Invalid or expired reset token; 422 (mismatch on confirm_password, weak
 * password); 503, 500.
 */
#include "app.h"
#include "mail_smtp.h"
#include "respond.h"

static void reset_handle(struct ctx *ctx)
{
	struct reset_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = reset_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_reset_password(db, ctx->conf, &ctx->client, &r, &o);
	app_mail_after(ctx, o.mail_id);
	if (rc == ACCT_OK)
		respond_message(ctx->resp, 200,
		                "Password reset successfully. Please log in again.");
	else
		respond_failure(ctx->resp, rc, &o);
out:
	acct_out_release(&o);
	reset_req_release(&r);
}

static const struct endpoint reset_endpoint = {
    .name = "reset-password", .method = "POST", .handle = reset_handle};

int main(void)
{
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	return app_main(&reset_endpoint);
}
