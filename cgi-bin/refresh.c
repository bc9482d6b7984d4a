/*
 * POST /auth/refresh {refresh_token}
 * 200 the token answer: a new access token of the same session and the
 * refresh token's successor, the one sent spent; a token spent within
 * REFRESH_REUSE_SECONDS gets the session's current one (docs/CONTRACT.md
 * SE-6, SE-7); 401 Invalid or expired refresh token (unknown, spent, its
 * session revoked or ended; a spent one later than the window also ends its
 * session); 422; 503, 500.
 */
#include "account_session.h"
#include "app.h"
#include "respond.h"
#include "session_req.h"

static void refresh_handle(struct ctx *ctx)
{
	struct refresh_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = refresh_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_refresh(db, ctx->conf, &ctx->client, r.refresh_token, ctx->now, &o);
	if (rc == ACCT_OK)
		respond_token(ctx->resp, &o.tokens);
	else
		respond_failure(ctx->resp, rc, &o);
out:
	acct_out_release(&o);
	refresh_req_release(&r);
}

static const struct endpoint refresh_endpoint = {
    .name = "refresh", .method = "POST", .handle = refresh_handle};

int main(void)
{
	return app_main(&refresh_endpoint);
}
