/*
 * POST /user/mfa/recovery-codes {password, code}, Authorization: Bearer <jwt>
 * 200 {"recovery_codes": [10 codes]}, the earlier codes dead, the notice
 * mail going out after the answer (docs/CONTRACT.md MF-12, MF-14); 422; 401
 * Not authenticated / Invalid or expired token; 400 Two-factor sign-in is
 * not enabled; 429 (the second-factor lock, or the account's login lock,
 * both before the password is checked); 400 Incorrect password (counted as
 * a failed login); 400 Invalid code (missing or wrong, counted on the
 * second-factor counter); 503, 500.
 */
#include "account_mfa.h"
#include "app.h"
#include "bearer.h"
#include "mail_smtp.h"
#include "respond.h"
#include "serve.h"

#include <openssl/crypto.h>
#include <string.h>

static void recovery_handle(struct ctx *ctx)
{
	struct mfa_manage_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	struct acct_token t = {0};
	char codes[RECOVERY_COUNT][RECOVERY_LEN + 1];
	enum acct_rc rc;
	PGconn *db;
	int prc;

	memset(codes, 0, sizeof(codes));
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
	rc = account_mfa_recovery_codes(db, ctx->conf, &ctx->client, &t, ctx->now, &r, &o, codes);
	if (rc == ACCT_OK) {
		respond_recovery_codes(ctx->resp, codes);
		app_mail_after(ctx, o.mail_id);
	} else {
		respond_failure(ctx->resp, rc, &o);
	}
out:
	OPENSSL_cleanse(codes, sizeof(codes));
	acct_out_release(&o);
	mfa_manage_req_release(&r);
}

static const struct endpoint recovery_endpoint = {
    .name = "mfa-recovery-codes", .method = "POST", .handle = recovery_handle};

int main(void)
{
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	return serve_main(&recovery_endpoint);
}
