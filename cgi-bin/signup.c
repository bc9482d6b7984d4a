/*
 * POST /auth/signup {full_name, email, password}
 * 201 {"message": "OTP sent to your email for verification"}; 409 a verified
 * account has the address; 429 mail cooldown or too many sign-ups from the
 * client address; 422 field errors; 503, 500.
 */
#include "app.h"
#include "mail_smtp.h"
#include "respond.h"

static void signup_handle(struct ctx *ctx)
{
	struct signup_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = signup_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_signup(db, ctx->conf, &ctx->client, &r, &o);
	app_mail_after(ctx, o.mail_id);
	if (rc == ACCT_OK)
		respond_message(ctx->resp, 201, "OTP sent to your email for verification");
	else
		respond_failure(ctx->resp, rc, &o);
out:
	acct_out_release(&o);
	signup_req_release(&r);
}

static const struct endpoint signup_endpoint = {
    .name = "signup", .method = "POST", .handle = signup_handle};

int main(void)
{
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	return app_main(&signup_endpoint);
}
