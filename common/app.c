/*
 * app: one request's life around an endpoint's handler. The order of the
 * checks in app_serve() is the contract's precedence (see app.h).
 */
#include "app.h"

#include "cors.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "notice.h"
#include "req.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Set in a long-lived (FastCGI) process: requests use the kept connection (db.h). */
static int app_long_lived;

void app_set_long_lived(void)
{
	app_long_lived = 1;
}

/* The request's connection: the kept one in a long-lived process, else a new one. */
static int app_connect(const struct conf *conf, PGconn **db)
{
	return app_long_lived ? db_keep_acquire(conf, db) : db_connect(conf, db);
}

/* The end of the request's use of its connection. */
void app_disconnect(struct ctx *ctx)
{
	if (ctx->db == NULL)
		return;
	if (app_long_lived)
		db_keep_release(ctx->db);
	else
		db_close(ctx->db);
	ctx->db = NULL;
}

PGconn *app_db(struct ctx *ctx)
{
	PGconn *db = NULL;
	int rc = DB_UNAVAILABLE;

	if (ctx->db != NULL)
		return ctx->db;
	if (ctx->conf != NULL)
		rc = app_connect(ctx->conf, &db);
	if (rc != DB_OK || db == NULL) {
		/* db_connect() has logged why. */
		if (db != NULL && !app_long_lived)
			db_close(db);
		if (rc == DB_MISCONFIGURED || rc == DB_CONFIG)
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

/* Adds Allow: "<ep->method>, OPTIONS" (with ep->also after the method). */
static void app_allow(const struct endpoint *ep, struct http_resp *resp)
{
	if (http_resp_header(resp, "Allow", "%s%s%s, OPTIONS", ep->method, ep->also ? ", " : "",
	                     ep->also ? ep->also : "") != 0)
		log_error("could not add the Allow header");
}

/* 1 if the request is a PATCH that ep serves (its second method): its body goes through the gates. */
static int app_is_patch(const struct endpoint *ep, const struct http_req *req)
{
	return ep->also != NULL && strcmp(ep->also, "PATCH") == 0 && app_method_is(req, "PATCH");
}

/* 1 if the request's body is absent: a declared length of 0, or nothing read without one. */
static int app_body_absent(const struct http_req *req)
{
	if (req->content_length != NULL)
		return http_req_content_length(req) == 0;
	return !req->body_too_large && !req->body_incomplete && req->body_len == 0;
}

/* OPTIONS: 204 and Allow; the preflight headers for an allowed origin that asked. */
static void app_options(const struct endpoint *ep, const struct http_req *req,
                        struct http_resp *resp, int cors_ok)
{
	resp->status = 204;
	app_allow(ep, resp);
	if (cors_ok && req->acr_method != NULL && *req->acr_method != '\0') {
		char methods[64];

		snprintf(methods, sizeof(methods), "%s%s%s", ep->method, ep->also ? ", " : "",
		         ep->also ? ep->also : "");
		cors_preflight(resp, methods);
	}
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

void app_mail_after(struct ctx *ctx, int64_t mail_id)
{
	if (mail_id > 0)
		ctx->mail_id = mail_id;
}

void app_answer_not_before(struct ctx *ctx, long ms)
{
	ctx->answer_floor_ms = ms > 0 ? ms : 0;
}

/* Sleeps until ctx->answer_floor_ms after ctx->started, if that is still ahead. */
static void app_wait_for_floor(const struct ctx *ctx)
{
	struct timespec until = ctx->started;

	if (ctx->answer_floor_ms <= 0)
		return;
	until.tv_sec += ctx->answer_floor_ms / 1000;
	until.tv_nsec += (ctx->answer_floor_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
}

/*
 * Warns, at most once a day across every process (notice.h), that
 * X-Forwarded-For came through a proxy TRUSTED_PROXIES does not name.
 */
static void app_warn_proxy(struct ctx *ctx)
{
	if (!ctx->client.forwarded_ignored || ctx->db == NULL)
		return;
	if (notice_due(ctx->db, "trusted_proxies", NOTICE_EVERY_DAY) == 1)
		log_warn(
		    "X-Forwarded-For came from %s, which is not in TRUSTED_PROXIES: every client "
		    "behind that proxy shares one address budget; set TRUSTED_PROXIES (said at "
		    "most once a day)",
		    ctx->client.addr);
}

/*
 * Everything app_serve() does but delivering mail and releasing: the gates in
 * the contract's order, then the handler. *body gets the parsed POST body
 * (the caller json_object_put()s it).
 */
static void app_dispatch(const struct endpoint *ep, struct ctx *ctx, json_object **body)
{
	const struct conf *conf = ctx->conf;
	const struct http_req *req = ctx->req;
	struct http_resp *resp = ctx->resp;
	int cors_ok = 0;

	*body = NULL;
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
	cors_ok = cors_allow(resp, conf->cors_origins, req->origin);

	if (app_method_is(req, "OPTIONS")) {
		app_options(ep, req, resp, cors_ok);
		return;
	}
	if (cors_ok)
		cors_expose(resp);
	/* HEAD is GET without the body (RFC 9110 9.3.2): same status and headers. */
	if (strcmp(ep->method, "GET") == 0 && app_method_is(req, "HEAD")) {
		resp->head = 1;
	} else if (!app_method_is(req, ep->method) &&
	           (ep->also == NULL || !app_method_is(req, ep->also))) {
		http_resp_detail(resp, 405, "Method Not Allowed");
		app_allow(ep, resp);
		return;
	}
	if ((strcmp(ep->method, "POST") == 0 || app_is_patch(ep, req)) &&
	    !(ep->body_optional && app_body_absent(req))) {
		*body = app_post_body(req, resp);
		if (*body == NULL)
			return;
		ctx->body = *body;
	}
	/* The request's client, once: REMOTE_ADDR, X-Forwarded-For, User-Agent. */
	client_resolve(&ctx->client, conf != NULL ? conf->trusted_proxies : NULL, req->remote_addr,
	               req->forwarded_for, req->user_agent);
	ep->handle(ctx);
	if (resp->status == 0) {
		log_error("handler left no response");
		http_resp_internal(resp);
	}
	app_warn_proxy(ctx);
}

void app_begin(struct ctx *ctx, const struct conf *conf, const struct http_req *req,
               struct http_resp *resp)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->conf = conf;
	ctx->req = req;
	ctx->resp = resp;
	ctx->now = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &ctx->started);
}

/* Delivers the queued mail, if any, on the request's connection (opened if need be). */
void app_deliver(struct ctx *ctx)
{
	if (ctx->mail_id <= 0 || ctx->conf == NULL)
		return;
	if (ctx->db == NULL && app_connect(ctx->conf, &ctx->db) != DB_OK) {
		ctx->db = NULL;
		log_warn("mail %lld waits in the outbox", (long long)ctx->mail_id);
		return;
	}
	(void)mail_outbox_deliver_id(ctx->db, ctx->conf, ctx->mail_id);
	ctx->mail_id = 0;
}

void app_serve(const struct endpoint *ep, const struct conf *conf, const struct http_req *req,
               struct http_resp *resp)
{
	struct ctx ctx;
	json_object *body = NULL;

	app_begin(&ctx, conf, req, resp);
	app_dispatch(ep, &ctx, &body);
	app_deliver(&ctx);
	app_disconnect(&ctx);
	json_object_put(body);
}

/*
 * Reads the body of a request that will be parsed: a 413 is answered unread,
 * and one without a length (chunked) is read up to HTTP_BODY_MAX, then
 * refused. A short body sets body_incomplete: a 400.
 */
static void app_read_body(const struct endpoint *ep, struct http_req *req, FILE *in)
{
	long long len = http_req_content_length(req);

	if (ep->method != NULL &&
	    ((strcmp(ep->method, "POST") == 0 && app_method_is(req, "POST")) ||
	     app_is_patch(ep, req)) &&
	    (http_req_is_json(req) || (ep->body_optional && req->content_length == NULL)) &&
	    (req->content_length == NULL || (len >= 0 && len <= HTTP_BODY_MAX)))
		(void)http_req_read_body(req, in);
}

/*
 * One request, from its parameters and body to the written answer: the
 * body read from in, served, held back to its floor, written to out.
 * *body gets the parsed POST body (the caller json_object_put()s it); ctx
 * keeps what comes after the answer (mail, the connection).
 */
void app_answer(const struct endpoint *ep, struct ctx *ctx, struct http_req *req, FILE *in,
                FILE *out, json_object **body)
{
	app_read_body(ep, req, in);
	app_dispatch(ep, ctx, body);
	app_wait_for_floor(ctx);
	if (http_resp_write(ctx->resp, out) != 0)
		log_warn("could not write the response");
}
