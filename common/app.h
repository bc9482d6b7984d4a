/*
 * app: one request's life, from configuration to response, around an
 * endpoint's handler. A program in cgi-bin/ declares a struct endpoint and its
 * main() is "return serve_main(&endpoint);" (serve.h: the process around it).
 *
 * app_serve() does, in this order (the contract's precedence):
 *   configuration error        -> 500 (the error was logged once; a DATABASE_URL
 *                                 libpq cannot parse is found by the first
 *                                 connection: db.h, DB_CONFIG)
 *   OPTIONS                    -> 204, Allow; with CORS preflight headers
 *                                 (Allow-Methods, Allow-Headers:
 *                                 Authorization, Content-Type, Max-Age: 600)
 *                                 when the origin is allowed and
 *                                 Access-Control-Request-Method is present
 *   HEAD on a GET endpoint     -> served as GET, without the body (resp->head)
 *   method not ep->method      -> 405 with Allow: "<method>, OPTIONS"
 *   POST, PATCH: CONTENT_LENGTH > 64 KiB -> 413 (body not read); a body
 *         without CONTENT_LENGTH (chunked) over 64 KiB -> 413 (read no further)
 *   POST, PATCH: not application/json -> 415
 *   POST, PATCH: body short, not JSON, not an object -> 400 "Invalid JSON body"
 *   the handler                -> 422 and the endpoint's own rules
 * and on every response the CORS headers for an allowed Origin
 * (Access-Control-Allow-Origin, Vary: Origin; on all but OPTIONS also
 * Access-Control-Expose-Headers: WWW-Authenticate, Retry-After, so that the
 * page can read those of a 401, 429 or 503).
 *
 * Before the handler it resolves the client (client.h) into ctx->client, once.
 *
 * Mail a handler queued (app_mail_after()) is delivered after the answer is
 * complete, so no answer waits for a mail server and how long an answer
 * takes does not tell whether mail went out (forgot-password, resend-otp).
 * The mail goes from a child process in a session of its own, so a web
 * server that signals the program once its answer is complete (Apache,
 * lighttpd) does not cut the delivery short. When stderr is a pipe or socket
 * (Apache reads the program's stdout and stderr until both end), serve_main()
 * ends both right after the answer, mail or not, and does not wait for the
 * child, which runs at a lower priority and whose log lines are lost (a
 * failed delivery stays queued, with its error on the outbox row, and
 * medicalcare-outbox retries and logs it); with stderr a file or terminal (a
 * shell, the tests), it waits for the child, which logs as usual.
 *
 * No state outlives app_serve() except the read-only struct conf, so the same
 * handlers can serve many requests in one process (FastCGI).
 */
#ifndef MC_APP_H
#define MC_APP_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "client.h"
#include "conf.h"
#include "http.h"

struct ctx {
	const struct conf *conf;    /* read-only */
	const struct http_req *req; /* the request */
	struct http_resp *resp;     /* what the handler fills */
	json_object *body;          /* POST, PATCH: the parsed object; borrowed, NULL for GET */
	PGconn *db;                 /* opened by app_db(), closed by app_serve() */
	time_t now;                 /* the request's clock */
	struct client client;       /* who sent it, resolved once before the handler */
	int64_t mail_id;            /* outbox row to deliver after the answer, 0 if none */
	struct timespec started;    /* when serving began (CLOCK_MONOTONIC) */
	long answer_floor_ms;       /* app_answer_not_before(), 0 if none */
};

struct endpoint {
	const char *name;   /* for the log: "signup" */
	const char *method; /* "POST" or "GET" */
	void (*handle)(struct ctx *ctx);
	/* A second method served (the handler reads ctx->req->method), NULL if none:
	 * "DELETE"; "PATCH" takes a JSON body through the gates as POST does. */
	const char *also;
	/* POST: the body may be absent (ctx->body NULL): a zero-length one, whatever its Content-Type. */
	int body_optional;
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
 * Has outbox row mail_id (0: none, ignored) delivered after the answer, see
 * above. One per request: a later call replaces an earlier one.
 */
void app_mail_after(struct ctx *ctx, int64_t mail_id);

/*
 * Holds the answer back until ms milliseconds after serving began (app_answer()
 * sleeps before writing it), so that answers that must not tell two cases
 * apart take the same time whatever work each did, as long as both finish
 * within ms. A later call replaces an earlier one.
 */
void app_answer_not_before(struct ctx *ctx, long ms);

/*
 * Serves one request; mail queued with app_mail_after() is delivered before
 * it returns (serve_main() delivers after writing the answer instead).
 * conf is NULL when the configuration failed to load.
 * resp must be initialized; the caller writes and releases it.
 */
void app_serve(const struct endpoint *ep, const struct conf *conf, const struct http_req *req,
               struct http_resp *resp);

/*
 * The parts of app_serve() for serve.c, which runs them around the answer's
 * end and the process's life:
 *   app_begin()   fills ctx for one request (resp initialized by the caller);
 *   app_answer()  reads the body from in (413 unread; a chunked one up to
 *                 64 KiB), serves, waits for the answer's floor and writes
 *                 the answer to out; *body gets the parsed POST body (the
 *                 caller json_object_put()s it);
 *   app_deliver() delivers the mail queued with app_mail_after(), if any,
 *                 on the request's connection (opened if need be);
 *   app_disconnect() ends the request's use of its connection.
 * app_set_long_lived(): this process serves many requests (FastCGI), so
 * app_db() uses the kept connection (db.h) instead of a new one.
 */
void app_begin(struct ctx *ctx, const struct conf *conf, const struct http_req *req,
               struct http_resp *resp);
void app_answer(const struct endpoint *ep, struct ctx *ctx, struct http_req *req, FILE *in,
                FILE *out, json_object **body);
void app_deliver(struct ctx *ctx);
void app_disconnect(struct ctx *ctx);
void app_set_long_lived(void);

#endif
