/*
 * POST /user/change-password {current_password, new_password,
 * confirm_password[, code]}, Authorization: Bearer <jwt>
 * 200 the token answer of a new session that keeps the start time of the
 * caller's (docs/CONTRACT.md SE-2, AS-6), every other session and earlier
 * token revoked (the password-changed mail goes out after the answer); 422
 * (new_password weak, equal to current_password, or confirm_password
 * different); 401 Not authenticated / Invalid or expired token; 429 (the
 * account's login lock, before the password is checked); 400 Incorrect
 * password (counted as a failed login); with two-factor sign-in on, `code`
 * too (docs/CONTRACT.md MF-15): 429 of the second-factor lock before the
 * password, 400 Invalid code (missing or wrong, counted) after it; 503, 500.
 */
#include "account_self.h"
#include "app.h"
#include "bearer.h"
#include "mail_smtp.h"
#include "req_mfa.h"
#include "req_self.h"
#include "respond.h"
#include "secret.h"
#include "serve.h"

static void change_handle(struct ctx *ctx)
{
	struct change_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	struct acct_token t = {0};
	char *code = NULL;
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = change_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	prc = mfa_code_opt(ctx->body, &code);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	if (!bearer_check(ctx, &t))
		goto out;
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_change_password(db, ctx->conf, &ctx->client, &t, ctx->now, &r, code, &o);
	if (rc == ACCT_OK) {
		respond_token(ctx->resp, &o.tokens);
		app_mail_after(ctx, o.mail_id);
	} else {
		respond_failure(ctx->resp, rc, &o);
	}
out:
	secret_free_str(code);
	acct_out_release(&o);
	change_req_release(&r);
}

static const struct endpoint change_endpoint = {
    .name = "change-password", .method = "POST", .handle = change_handle};

int main(void)
{
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	return serve_main(&change_endpoint);
}
