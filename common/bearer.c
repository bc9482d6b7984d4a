#include "bearer.h"

#include "account.h"
#include "respond.h"

int bearer_check(struct ctx *ctx, struct acct_token *t)
{
	struct acct_out o = {0};
	const char *token = NULL;
	const char *why = NULL;
	enum acct_rc rc;
	PGconn *db;

	if (!http_req_bearer(ctx->req, &token)) {
		http_resp_401(ctx->resp, "Not authenticated");
		return 0;
	}
	rc = account_check_token(ctx->conf, token, ctx->now, t, &why);
	if (rc == ACCT_OK)
		return 1;
	if (rc == ACCT_BAD_TOKEN) {
		/* Recorded if the database answers; the 401 stands either way
		 * (app_db()'s 503 is replaced). */
		db = app_db(ctx);
		if (db != NULL)
			account_token_rejected(db, ctx->conf, &ctx->client, 0, why);
	}
	respond_failure(ctx->resp, rc, &o);
	return 0;
}
