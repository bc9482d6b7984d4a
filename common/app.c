/*
 * app: one request's life around an endpoint's handler. The order of the
 * checks in app_serve() is the contract's precedence (see app.h).
 */
#include "app.h"

#include "db.h"
#include "log.h"
#include "req.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

PGconn *app_db(struct ctx *ctx)
{
	PGconn *db = NULL;
	int rc = DB_UNAVAILABLE;

	if (ctx->db != NULL)
		return ctx->db;
	if (ctx->conf != NULL)
		rc = db_connect(ctx->conf, &db);
	if (rc != DB_OK || db == NULL) {
		/* db_connect() has logged why. */
		if (db != NULL)
			db_close(db);
		if (rc == DB_MISCONFIGURED)
			http_resp_internal(ctx->resp); /* the settings must change: no retry */
		else
			http_resp_unavailable(ctx->resp);
		return NULL;
	}
	ctx->db = db;
	return db;
}

/* 1 if the request's method is m (methods are case-sensitive, RFC 9110). */
static int app_method_is(const struct http_req *req, const char *m)
{
	return req->method != NULL && strcmp(req->method, m) == 0;
}

/* Adds Allow: "<ep->method>, OPTIONS". */
static void app_allow(const struct endpoint *ep, struct http_resp *resp)
{
	if (http_resp_header(resp, "Allow", "%s, OPTIONS", ep->method) != 0)
		log_error("could not add the Allow header");
}

/* OPTIONS: 204 and Allow; the preflight headers for an allowed origin that asked. */
static void app_options(const struct endpoint *ep, const struct http_req *req,
                        struct http_resp *resp, int cors_ok)
{
	resp->status = 204;
	app_allow(ep, resp);
	if (!cors_ok || req->acr_method == NULL || *req->acr_method == '\0')
		return;
	if (http_resp_header(resp, "Access-Control-Allow-Methods", "%s, OPTIONS", ep->method) !=
	        0 ||
	    http_resp_header(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type") !=
	        0 ||
	    http_resp_header(resp, "Access-Control-Max-Age", "600") != 0)
		log_error("could not add the CORS preflight headers");
}

/*
 * The POST gates: 413, 415, 400. Returns the parsed object (the caller
 * json_object_put()s it), or NULL with the response set.
 */
static json_object *app_post_body(const struct http_req *req, struct http_resp *resp)
{
	json_object *obj = NULL;

	if (http_req_content_length(req) > HTTP_BODY_MAX || req->body_too_large) {
		http_resp_detail(resp, 413, "Request body too large");
		return NULL;
	}
	if (!http_req_is_json(req)) {
		http_resp_detail(resp, 415, "Unsupported media type: use application/json");
		return NULL;
	}
	if (req->body_incomplete || req->body == NULL || req->body_len == 0 ||
	    req_json_parse(req->body, req->body_len, &obj) != 0 || obj == NULL) {
		http_resp_detail(resp, 400, "Invalid JSON body");
		return NULL;
	}
	return obj;
}

void app_serve(const struct endpoint *ep, const struct conf *conf, const struct http_req *req,
               struct http_resp *resp)
{
	struct ctx ctx = {
	    .conf = conf,
	    .req = req,
	    .resp = resp,
	    .body = NULL,
	    .db = NULL,
	    .now = time(NULL),
	};
	json_object *body = NULL;
	int cors_ok = 0;

	if (conf == NULL) {
		/* The configuration error was logged once, where it was loaded. */
		http_resp_internal(resp);
		return;
	}
	if (ep == NULL || ep->method == NULL || ep->handle == NULL) {
		log_error("endpoint is not declared completely");
		http_resp_internal(resp);
		return;
	}
	/* First, so that every response below, errors included, carries them. */
	cors_ok = http_cors(resp, conf->cors_origins, req->origin);

	if (app_method_is(req, "OPTIONS")) {
		app_options(ep, req, resp, cors_ok);
		return;
	}
	/* HEAD is GET without the body (RFC 9110 9.3.2): same status and headers. */
	if (strcmp(ep->method, "GET") == 0 && app_method_is(req, "HEAD")) {
		resp->head = 1;
	} else if (!app_method_is(req, ep->method)) {
		http_resp_detail(resp, 405, "Method Not Allowed");
		app_allow(ep, resp);
		return;
	}
	if (strcmp(ep->method, "POST") == 0) {
		body = app_post_body(req, resp);
		if (body == NULL)
			return;
		ctx.body = body;
	}
	ep->handle(&ctx);
	if (resp->status == 0) {
		log_error("handler left no response");
		http_resp_internal(resp);
	}
	if (ctx.db != NULL)
		db_close(ctx.db);
	json_object_put(body);
}

int app_main(const struct endpoint *ep)
{
	struct conf conf;
	const struct conf *cp = NULL;
	struct http_req req;
	struct http_resp resp;
	char err[512] = "";
	long long len;

	signal(SIGPIPE, SIG_IGN);
	log_set_program(ep->name);
	memset(&conf, 0, sizeof(conf));
	if (conf_load(&conf, err, sizeof(err)) != 0)
		log_error("configuration error: %s", err);
	else
		cp = &conf;

	http_req_from_env(&req);
	len = http_req_content_length(&req);
	/*
	 * Only a body that will be parsed is read: a 413 is answered unread. One
	 * without a length (chunked) is read up to HTTP_BODY_MAX, then refused.
	 */
	if (ep->method != NULL && strcmp(ep->method, "POST") == 0 && app_method_is(&req, "POST") &&
	    http_req_is_json(&req) &&
	    (req.content_length == NULL || (len >= 0 && len <= HTTP_BODY_MAX)))
		(void)http_req_read_body(&req, stdin); /* a short body sets body_incomplete: 400 */

	http_resp_init(&resp);
	app_serve(ep, cp, &req, &resp);
	if (http_resp_write(&resp, stdout) != 0)
		log_warn("could not write the response");
	/*
	 * The end of the answer, at once rather than at exit: a web server that
	 * reads the answer before the program's exit cleanup is over would
	 * otherwise see no end yet and send it chunked (see apache/render.sh).
	 */
	if (fclose(stdout) != 0)
		log_warn("could not close the response");

	http_resp_release(&resp);
	http_req_release(&req);
	conf_release(&conf);
	return 0;
}
