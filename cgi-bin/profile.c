/*
 * GET /user/profile (and /auth/user/profile), Authorization: Bearer <jwt>
 * 200 {"id", "full_name", "email", "is_verified"}; 401 Not authenticated (no
 * bearer credentials; WWW-Authenticate: Bearer); 401 Invalid or expired token
 * (bad, tampered, expired, revoked, its session ended, a token without sid
 * past LEGACY_TOKENS_UNTIL, or the user is gone; WWW-Authenticate:
 * Bearer error="invalid_token"); 503, 500.
 */
#include "app.h"
#include "respond.h"
#include "serve.h"

static void profile_handle(struct ctx *ctx)
{
	struct acct_out o = {0};
	const char *token = NULL;
	const char *why = NULL;
	struct acct_token t = {0};
	enum acct_rc rc;
	PGconn *db;

	if (!http_req_bearer(ctx->req, &token)) {
		http_resp_401(ctx->resp, "Not authenticated");
		goto out;
	}
	rc = account_check_token(ctx->conf, token, ctx->now, &t, &why);
	if (rc == ACCT_BAD_TOKEN) {
		/* Recorded if the database answers; the 401 stands either way
		 * (app_db()'s 503 is replaced). */
		db = app_db(ctx);
		if (db != NULL)
			account_token_rejected(db, ctx->conf, &ctx->client, 0, why);
	}
	if (rc != ACCT_OK) {
		respond_failure(ctx->resp, rc, &o);
		goto out;
	}
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_profile(db, ctx->conf, &ctx->client, &t, ctx->now, &o);
	if (rc == ACCT_OK)
		respond_profile(ctx->resp, &o);
	else
		respond_failure(ctx->resp, rc, &o);
out:
	acct_out_release(&o);
}

static const struct endpoint profile_endpoint = {
    .name = "profile", .method = "GET", .handle = profile_handle};

int main(void)
{
	return serve_main(&profile_endpoint);
}
