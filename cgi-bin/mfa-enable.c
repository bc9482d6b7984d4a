/*
 * POST /user/mfa/enable {code, email_code}, Authorization: Bearer <jwt>
 * 200 {"recovery_codes": [10 codes]}, the notice mail going out after the
 * answer (docs/CONTRACT.md MF-4 to MF-7); 422; 401 Not authenticated /
 * Invalid or expired token; 429 (the second-factor lock, before any check);
 * 400 Invalid code (a wrong code or emailed code, or no setup pending); 409
 * Two-factor sign-in is already enabled; 503, 500.
 */
#include "account_mfa.h"
#include "app.h"
#include "bearer.h"
#include "mail_smtp.h"
#include "respond.h"
#include "serve.h"

#include <openssl/crypto.h>
#include <string.h>

static void enable_handle(struct ctx *ctx)
{
	struct mfa_enable_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	struct acct_token t = {0};
	char codes[RECOVERY_COUNT][RECOVERY_LEN + 1];
	enum acct_rc rc;
	PGconn *db;
	int prc;

	memset(codes, 0, sizeof(codes));
	prc = mfa_enable_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	if (!bearer_check(ctx, &t))
		goto out;
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_mfa_enable(db, ctx->conf, &ctx->client, &t, ctx->now, &r, &o, codes);
	if (rc == ACCT_OK) {
		respond_recovery_codes(ctx->resp, codes);
		app_mail_after(ctx, o.mail_id);
	} else {
		respond_failure(ctx->resp, rc, &o);
	}
out:
	OPENSSL_cleanse(codes, sizeof(codes));
	acct_out_release(&o);
	mfa_enable_req_release(&r);
}

static const struct endpoint enable_endpoint = {
    .name = "mfa-enable", .method = "POST", .handle = enable_handle};

int main(void)
{
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	return serve_main(&enable_endpoint);
}
