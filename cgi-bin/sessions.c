/*
 * GET /user/sessions and DELETE /user/sessions/{id}, Authorization: Bearer <jwt>
 * (docs/CONTRACT.md SE-10, SE-11). GET: 200 {"sessions": [{"id",
 * "created_at", "last_used_at", "user_agent", "ip", "current"}]}, the live
 * sessions, newest first. DELETE: 200 {"message": "Session revoked"}; 404
 * Session not found. The 401s of profile (TK-1, TK-3); 405 with Allow for
 * GET of an id or DELETE of the list; 503, 500.
 *
 * The id is the last segment of the path: PATH_INFO when the server gives
 * one ("/<id>"), else REQUEST_URI, the path as the client sent it, which
 * Apache (CGI and FastCGI) and lighttpd pass unchanged through their
 * rewrites, under any base path (.htaccess).
 */
#include <string.h>

#include "account_session.h"
#include "app.h"
#include "log.h"
#include "respond.h"

#define SESSIONS_SEGMENT "/sessions"
#define SESSIONS_ID_MAX 128

/*
 * The session id of the request's path into id[SESSIONS_ID_MAX + 1] ("" for
 * the list). 0, or -1 for a path that names no session (404).
 */
static int sessions_path_id(const struct http_req *req, char id[SESSIONS_ID_MAX + 1])
{
	const char *p = NULL;
	const char *end;
	size_t len;

	id[0] = '\0';
	if (req->path_info != NULL && req->path_info[0] == '/' && req->path_info[1] != '\0') {
		p = req->path_info + 1;
		end = p + strlen(p);
	} else if (req->request_uri != NULL) {
		const char *q = strchr(req->request_uri, '?');
		const char *s;

		end = q != NULL ? q : req->request_uri + strlen(req->request_uri);
		/* The last segment "sessions" of the path, then "", "/" or "/<id>"
		 * (none: the program's own path, /cgi-bin/sessions.cgi, is the list). */
		for (s = req->request_uri; (s = strstr(s, SESSIONS_SEGMENT)) != NULL && s < end;
		     s++) {
			const char *after = s + strlen(SESSIONS_SEGMENT);

			if (after >= end || *after == '/')
				p = after;
		}
		if (p == NULL || p >= end || p + 1 == end)
			return 0;
		p++;
	} else {
		return 0;
	}
	if (end > p && end[-1] == '/') /* "PATH/" is PATH (apache/routes.txt) */
		end--;
	len = (size_t)(end - p);
	if (len == 0 || len > SESSIONS_ID_MAX ||
	    strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") < len)
		return -1;
	memcpy(id, p, len);
	id[len] = '\0';
	return 0;
}

/* Adds {"key": s} or {"key": null}. 0, or -1. */
static int sessions_add_str(json_object *o, const char *key, const char *s)
{
	json_object *v = NULL;

	if (s != NULL && (v = json_object_new_string(s)) == NULL)
		return -1;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* 200 {"sessions": [...]}. */
static void sessions_respond(struct http_resp *resp, const struct acct_sessions *l)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();

	if (root == NULL || arr == NULL || json_object_object_add(root, "sessions", arr) != 0)
		goto oom;
	for (size_t i = 0; i < l->n; i++) {
		const struct acct_session *s = &l->v[i];
		json_object *o = json_object_new_object();

		if (o == NULL || json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			goto oom_root;
		}
		if (sessions_add_str(o, "id", s->id) != 0 ||
		    sessions_add_str(o, "created_at", s->created_at) != 0 ||
		    sessions_add_str(o, "last_used_at", s->last_used_at) != 0 ||
		    sessions_add_str(o, "user_agent", s->user_agent) != 0 ||
		    sessions_add_str(o, "ip", s->ip) != 0 ||
		    json_object_object_add(o, "current", json_object_new_boolean(s->current)) != 0)
			goto oom_root;
	}
	http_resp_json(resp, 200, root);
	json_object_put(root);
	return;
oom:
	json_object_put(arr);
oom_root:
	json_object_put(root);
	log_error("out of memory");
	http_resp_internal(resp);
}

static void sessions_handle(struct ctx *ctx)
{
	struct acct_out o = {0};
	struct acct_sessions list = {0};
	struct acct_token t = {0};
	char id[SESSIONS_ID_MAX + 1];
	const char *token = NULL;
	const char *why = NULL;
	int del = strcmp(ctx->req->method, "DELETE") == 0;
	enum acct_rc rc;
	PGconn *db;

	if (sessions_path_id(ctx->req, id) != 0) {
		http_resp_detail(ctx->resp, del ? 404 : 405,
		                 del ? "Session not found" : "Method Not Allowed");
		if (!del && http_resp_header(ctx->resp, "Allow", "DELETE, OPTIONS") != 0)
			log_error("could not add the Allow header");
		goto out;
	}
	/* The list answers GET (and HEAD), an id DELETE. */
	if (del != (id[0] != '\0')) {
		http_resp_detail(ctx->resp, 405, "Method Not Allowed");
		if (http_resp_header(ctx->resp, "Allow", "%s, OPTIONS",
		                     del ? "GET, HEAD" : "DELETE") != 0)
			log_error("could not add the Allow header");
		goto out;
	}
	if (!http_req_bearer(ctx->req, &token)) {
		http_resp_401(ctx->resp, "Not authenticated");
		goto out;
	}
	rc = account_check_token(ctx->conf, token, ctx->now, &t, &why);
	if (rc == ACCT_BAD_TOKEN) {
		db = app_db(ctx);
		if (db != NULL)
			account_token_rejected(db, ctx->conf, &ctx->client, 0, why);
	}
	if (rc != ACCT_OK) {
		respond_failure(ctx->resp, rc, &o);
		goto out;
	}
	db = app_db(ctx);
	if (db == NULL)
		goto out;
	/* The token's account and session, as profile checks them. */
	rc = account_profile(db, ctx->conf, &ctx->client, &t, ctx->now, &o);
	if (rc == ACCT_OK && del)
		rc = account_session_revoke(db, ctx->conf, &ctx->client, &t, id);
	else if (rc == ACCT_OK)
		rc = account_sessions(db, ctx->conf, &t, &list);
	if (rc != ACCT_OK)
		respond_failure(ctx->resp, rc, &o);
	else if (del)
		respond_message(ctx->resp, 200, "Session revoked");
	else
		sessions_respond(ctx->resp, &list);
out:
	acct_sessions_release(&list);
	acct_out_release(&o);
}

static const struct endpoint sessions_endpoint = {
    .name = "sessions", .method = "GET", .handle = sessions_handle, .also = "DELETE"};

int main(void)
{
	return app_main(&sessions_endpoint);
}
