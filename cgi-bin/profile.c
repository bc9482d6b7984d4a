/*
 * GET /user/profile (and /auth/user/profile), Authorization: Bearer <jwt>
 * 200 {"id", "full_name", "email", "is_verified"}; 401 Not authenticated (no
 * bearer credentials; WWW-Authenticate: Bearer); 401 Invalid or expired token
 * (bad, tampered, expired, revoked, its session ended, a token without sid
 * past LEGACY_TOKENS_UNTIL, or the user is gone; WWW-Authenticate:
 * Bearer error="invalid_token"); 503, 500.
 *
 * PATCH the same paths, {full_name}: 200 the profile with the new name; 422
 * (before the token is looked at); the 401s above; 503, 500.
 */
#include "account_self.h"
#include "app.h"
#include "bearer.h"
#include "req_self.h"
#include "respond.h"
#include "serve.h"

#include <string.h>

static void profile_get(struct ctx *ctx)
{
	struct acct_out o = {0};
	struct acct_token t = {0};
	enum acct_rc rc;
	PGconn *db;

	if (!bearer_check(ctx, &t))
		goto out;
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

static void profile_patch(struct ctx *ctx)
{
	struct name_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	struct acct_token t = {0};
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = name_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	if (!bearer_check(ctx, &t))
		goto out;
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_update_name(db, ctx->conf, &ctx->client, &t, ctx->now, &r, &o);
	if (rc == ACCT_OK)
		respond_profile(ctx->resp, &o);
	else
		respond_failure(ctx->resp, rc, &o);
out:
	acct_out_release(&o);
	name_req_release(&r);
}

/* GET (and HEAD) or PATCH: app.h lets nothing else through. */
static void profile_handle(struct ctx *ctx)
{
	if (strcmp(ctx->req->method, "PATCH") == 0)
		profile_patch(ctx);
	else
		profile_get(ctx);
}

static const struct endpoint profile_endpoint = {
    .name = "profile", .method = "GET", .handle = profile_handle, .also = "PATCH"};

int main(void)
{
	return serve_main(&profile_endpoint);
}
