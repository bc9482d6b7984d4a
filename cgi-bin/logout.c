/*
 * POST /auth/logout, Authorization: Bearer <jwt> and/or {"refresh_token"};
 * optional "everywhere": true. The body may be absent (zero-length, whatever
 * its Content-Type). 200 {"message": "Logged out"}, also when the session was
 * already dead (RFC 7009); 401 Not authenticated (neither a Bearer token nor
 * a refresh_token); 401 Invalid or expired token (a refused Bearer token and
 * no refresh_token; WWW-Authenticate: Bearer error="invalid_token"); 422;
 * 503, 500. docs/CONTRACT.md SE-8.
 */
#include "account_session.h"
#include "app.h"
#include "respond.h"
#include "session_req.h"

static void logout_handle(struct ctx *ctx)
{
	struct logout_req r = {0};
	struct ferrs errs = {0};
	struct acct_out o = {0};
	struct acct_token t = {0};
	const char *token = NULL;
	const char *why = NULL;
	int have_bearer;
	enum acct_rc rc;
	PGconn *db;
	int prc;

	prc = logout_req_parse(ctx->body, &r, &errs);
	if (prc != 0) {
		respond_parse_failure(ctx->resp, prc, &errs);
		goto out;
	}
	have_bearer = http_req_bearer(ctx->req, &token);
	if (!have_bearer && r.refresh_token == NULL) {
		http_resp_401(ctx->resp, "Not authenticated");
		goto out;
	}
	if (have_bearer) {
		rc = account_check_token(ctx->conf, token, ctx->now, &t, &why);
		if (rc == ACCT_ERROR) {
			http_resp_internal(ctx->resp);
			goto out;
		}
		/* An expired access token does not stop a logout by refresh token. */
		if (rc != ACCT_OK && r.refresh_token == NULL) {
			respond_failure(ctx->resp, rc, &o);
			goto out;
		}
		have_bearer = rc == ACCT_OK;
	}
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	rc = account_logout(db, ctx->conf, &ctx->client, have_bearer ? &t : NULL, r.refresh_token,
	                    r.everywhere);
	if (rc == ACCT_OK)
		respond_message(ctx->resp, 200, "Logged out");
	else
		respond_failure(ctx->resp, rc, &o);
out:
	acct_out_release(&o);
	logout_req_release(&r);
}

static const struct endpoint logout_endpoint = {
    .name = "logout", .method = "POST", .handle = logout_handle, .body_optional = 1};

int main(void)
{
	return app_main(&logout_endpoint);
}
