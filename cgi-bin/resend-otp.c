/*
 * POST /auth/resend-otp {email}
 * 200 {"message": "If the account exists and is not verified, a new OTP has
 * been sent"} whether or not it does; 429 mail cooldown or too many requests
 * from the client address; 422; 503, 500.
 */
#include "app.h"
#include "mail_smtp.h"
#include "respond.h"

static void resend_handle(struct ctx *ctx)
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
	rc = account_resend_otp(db, ctx->conf, &ctx->client, &r, &o);
	app_mail_after(ctx, o.mail_id);
	if (rc == ACCT_OK) {
		/* Whatever the address: the same answer at the same time. */
		app_answer_not_before(ctx, ACCT_SAME_TIME_MS);
		respond_message(
		    ctx->resp, 200,
		    "If the account exists and is not verified, a new OTP has been sent");
	} else {
		respond_failure(ctx->resp, rc, &o);
	}
out:
	acct_out_release(&o);
	email_req_release(&r);
}

static const struct endpoint resend_endpoint = {
    .name = "resend-otp", .method = "POST", .handle = resend_handle};

int main(void)
{
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	return app_main(&resend_endpoint);
}
