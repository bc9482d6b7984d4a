/*
 * GET /health (and /healthz)
 * 200 {"status": "ok", "database": "ok"}; 503 {"status": "unavailable",
 * "database": "unreachable"} with Retry-After when the database cannot be
 * reached; 503 {"status": "unavailable", "database": "misconfigured"} without
 * Retry-After when the server refuses the configured user, password or
 * database name (waiting does not fix that: the settings must change);
 * 500 {"detail": "Internal server error"}, as for any configuration error,
 * when DATABASE_URL does not parse or libpq cannot be loaded.
 */
#include "app.h"
#include "db.h"
#include "log.h"
#include "respond.h"

/* The answer for rc: DB_OK, DB_MISCONFIGURED, or anything else (unreachable). */
static void health_body(struct http_resp *resp, int rc)
{
	const char *status = rc == DB_OK ? "ok" : "unavailable";
	const char *database = rc == DB_OK              ? "ok"
	                       : rc == DB_MISCONFIGURED ? "misconfigured"
	                                                : "unreachable";
	json_object *o = json_object_new_object();

	if (o == NULL || json_object_object_add(o, "status", json_object_new_string(status)) != 0 ||
	    json_object_object_add(o, "database", json_object_new_string(database)) != 0) {
		json_object_put(o);
		log_error("out of memory");
		http_resp_internal(resp);
		return;
	}
	http_resp_json(resp, rc == DB_OK ? 200 : 503, o);
	json_object_put(o);
	if (rc == DB_MISCONFIGURED)
		http_resp_no_retry(resp);
}

static void health_handle(struct ctx *ctx)
{
	PGconn *db = NULL;
	int rc;

	/* Not app_db(): its failure answers are the generic 503 and 500 bodies. */
	rc = db_connect(ctx->conf, &db);
	if (rc == DB_OK && account_ping(db) != ACCT_OK)
		rc = DB_UNAVAILABLE;
	db_close(db);
	if (rc == DB_CONFIG)
		http_resp_internal(ctx->resp); /* logged as a configuration error */
	else
		health_body(ctx->resp, rc);
}

static const struct endpoint health_endpoint = {
    .name = "health", .method = "GET", .handle = health_handle};

int main(void)
{
	return app_main(&health_endpoint);
}
