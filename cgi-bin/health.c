/*
 * GET /health (and /healthz)
 * 200 {"status": "ok", "database": "ok"}; 503 {"status": "unavailable",
 * "database": "unreachable"} when the database cannot be reached.
 */
#include "app.h"
#include "db.h"
#include "log.h"
#include "respond.h"

static void health_body(struct http_resp *resp, int ok)
{
	json_object *o = json_object_new_object();

	if (o == NULL ||
	    json_object_object_add(o, "status",
	                           json_object_new_string(ok ? "ok" : "unavailable")) != 0 ||
	    json_object_object_add(o, "database",
	                           json_object_new_string(ok ? "ok" : "unreachable")) != 0) {
		json_object_put(o);
		log_error("out of memory");
		http_resp_internal(resp);
		return;
	}
	http_resp_json(resp, ok ? 200 : 503, o);
	json_object_put(o);
}

static void health_handle(struct ctx *ctx)
{
	PGconn *db = NULL;
	int ok = 0;

	/* Not app_db(): its failure answer is the generic 503 body. */
	if (db_connect(ctx->conf, &db) == DB_OK)
		ok = account_ping(db) == ACCT_OK;
	db_close(db);
	health_body(ctx->resp, ok);
}

static const struct endpoint health_endpoint = {"health", "GET", health_handle};

int main(void)
{
	return app_main(&health_endpoint);
}
