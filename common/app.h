/*
 * app: one request's life, from configuration to response, around an
 * endpoint's handler. A program in cgi-bin/ declares a struct endpoint and its
 * main() is "return app_main(&endpoint);".
 *
 * app_serve() does, in this order (the contract's precedence):
 *   configuration error        -> 500 (the error was logged once)
 *   OPTIONS                    -> 204, Allow; with CORS preflight headers
 *                                 (Allow-Methods, Allow-Headers:
 *                                 Authorization, Content-Type, Max-Age: 600)
 *                                 when the origin is allowed and
 *                                 Access-Control-Request-Method is present
 *   HEAD on a GET endpoint     -> served as GET, without the body (resp->head)
 *   method not ep->method      -> 405 with Allow: "<method>, OPTIONS"
 *   POST: CONTENT_LENGTH > 64 KiB -> 413 (body not read); a body without
 *         CONTENT_LENGTH (chunked) over 64 KiB -> 413 (read no further)
 *   POST: not application/json -> 415
 *   POST: body short, not JSON, not an object -> 400 "Invalid JSON body"
 *   the handler                -> 422 and the endpoint's own rules
 * and on every response the CORS headers for an allowed Origin.
 *
 * No state outlives app_serve() except the read-only struct conf, so the same
 * handlers can serve many requests in one process (FastCGI).
 */
#ifndef MC_APP_H
#define MC_APP_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <time.h>

#include "conf.h"
#include "http.h"

struct ctx {
	const struct conf *conf;    /* read-only */
	const struct http_req *req; /* the request */
	struct http_resp *resp;     /* what the handler fills */
	json_object *body;          /* POST: the parsed object; borrowed, NULL for GET */
	PGconn *db;                 /* opened by app_db(), closed by app_serve() */
	time_t now;                 /* the request's clock */
};

struct endpoint {
	const char *name;   /* for the log: "signup" */
	const char *method; /* "POST" or "GET" */
	void (*handle)(struct ctx *ctx);
};

/*
 * Returns the request's database connection, connecting on first use. On
 * failure it logs, sets the response and returns NULL: the handler then
 * returns at once. The response is 503 with Retry-After (the database cannot
 * be reached), or 500 when the server refused the configured user, password
 * or database name (DB_MISCONFIGURED: retrying will not help).
 */
PGconn *app_db(struct ctx *ctx);

/*
 * Serves one request. conf is NULL when the configuration failed to load.
 * resp must be initialized; the caller writes and releases it.
 */
void app_serve(const struct endpoint *ep, const struct conf *conf, const struct http_req *req,
               struct http_resp *resp);

/*
 * The CGI main: loads the configuration (logging its error), reads the
 * request from the environment and stdin (413 unread), serves it, writes the
 * response to stdout, frees everything. Returns the process exit status (0).
 */
int app_main(const struct endpoint *ep);

#endif
