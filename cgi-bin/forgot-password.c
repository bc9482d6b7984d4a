/*
 * POST /auth/forgot-password {email}
 * 200 {"message": "Password reset link sent to your email"} for a known, an
 * unknown and an unverified address alike; 429 too many requests from the
 * client address; 422; 503, 500.
 */
#include "app.h"
#include "mail_smtp.h"
#include "respond.h"

static void forgot_handle(struct ctx *ctx)
{
	struct email_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = email_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_forgot_password(db, ctx->conf, &ctx->client, &r, &o);
	app_mail_after(ctx, o.mail_id);
	if (rc == ACCT_OK) {
		/* Whatever the address: the same answer at the same time. */
		app_answer_not_before(ctx, ACCT_SAME_TIME_MS);
		respond_message(ctx->resp, 200, "Password reset link sent to your email");
	} else {
		respond_failure(ctx->resp, rc, &o);
	}
out:
	acct_out_release(&o);
	email_req_release(&r);
}

static const struct endpoint forgot_endpoint = {
    .name = "forgot-password", .method = "POST", .handle = forgot_handle};

int main(void)
{
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	return app_main(&forgot_endpoint);
}
