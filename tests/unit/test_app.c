/*
 * app: the request lifecycle around a handler, in the contract's precedence
 * (405, 413, 415, 400, then the handler), CORS on every response, OPTIONS,
 * and serve_main() as a CGI program in a child process.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "app.h"
#include "serve.h"

#define ORIGIN "https://app.example"

/* What the fake handlers saw: reset by every test that looks at it. */
static struct {
	int called;
	int body_is_object;
	int body_a;
	const struct conf *conf;
	const struct http_req *req;
	time_t now;
} seen;

/* Records the call and answers 200 {"ok":true}. */
static void handle_ok(struct ctx *ctx)
{
	json_object *o = json_object_new_object(), *a = NULL;

	seen.called++;
	seen.body_is_object = ctx->body != NULL && json_object_is_type(ctx->body, json_type_object);
	if (ctx->body != NULL && json_object_object_get_ex(ctx->body, "a", &a))
		seen.body_a = json_object_get_int(a);
	seen.conf = ctx->conf;
	seen.req = ctx->req;
	seen.now = ctx->now;
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	http_resp_json(ctx->resp, 200, o);
	json_object_put(o);
}

/* Forgets to answer. */
static void handle_nothing(struct ctx *ctx)
{
	(void)ctx;
	seen.called++;
}

/* Needs the database, which cannot be reached. */
static void handle_db(struct ctx *ctx)
{
	seen.called++;
	if (app_db(ctx) == NULL)
		return;
	http_resp_detail(ctx->resp, 200, "connected");
}

static const struct endpoint post_ep = {.name = "test", .method = "POST", .handle = handle_ok};
static const struct endpoint get_ep = {.name = "test", .method = "GET", .handle = handle_ok};
static const struct endpoint silent_ep = {
    .name = "test", .method = "POST", .handle = handle_nothing};
static const struct endpoint db_ep = {.name = "test", .method = "GET", .handle = handle_db};
static const struct endpoint patch_ep = {
    .name = "test", .method = "GET", .handle = handle_ok, .also = "PATCH"};

static char cors_origins[] = "http://localhost:3000, " ORIGIN;
static char frontend_url[] = "http://localhost:3000";
static char unreachable_db[] = "postgresql://127.0.0.1:1/nodb";
static char empty_object[] = "{}";

/* A configuration filled by hand: no environment, no database. */
static struct conf test_conf(void)
{
	struct conf c;

	memset(&c, 0, sizeof(c));
	c.cors_origins = cors_origins;
	c.frontend_url = frontend_url;
	c.db_connect_timeout = 1;
	return c;
}

/* Serves req on ep with conf c into *resp (initialized here; the caller releases). */
static void serve(const struct endpoint *ep, const struct conf *c, const struct http_req *req,
                  struct http_resp *resp)
{
	memset(&seen, 0, sizeof(seen));
	http_resp_init(resp);
	app_serve(ep, c, req, resp);
}

static const char *headers_of(const struct http_resp *resp)
{
	return resp->headers.data != NULL ? resp->headers.data : "";
}

/* A POST request with a JSON body of text (the body is copied; release with http_req_release). */
static struct http_req post_json(const char *ctype, const char *text, const char *origin)
{
	struct http_req r = {.method = "POST", .content_type = ctype, .origin = origin};

	if (text != NULL) {
		r.body = strdup(text);
		assert_non_null(r.body);
		r.body_len = strlen(text);
	}
	return r;
}

static void configuration_error_gives_500(void **state)
{
	struct http_req req = post_json("application/json", "{}", ORIGIN);
	struct http_resp resp;

	(void)state;
	serve(&post_ep, NULL, &req, &resp);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.body, "{\"detail\":\"Internal server error\"}");
	assert_int_equal(seen.called, 0);
	http_resp_release(&resp);
	http_req_release(&req);
}

static void wrong_method_gives_405_with_allow(void **state)
{
	static const struct {
		const struct endpoint *ep;
		const char *method;
		const char *allow;
	} t[] = {
	    {&post_ep, "GET", "Allow: POST, OPTIONS\r\n"},
	    {&post_ep, "PUT", "Allow: POST, OPTIONS\r\n"},
	    {&post_ep, "post", "Allow: POST, OPTIONS\r\n"},
	    {&post_ep, "HEAD", "Allow: POST, OPTIONS\r\n"},
	    {&post_ep, NULL, "Allow: POST, OPTIONS\r\n"},
	    {&get_ep, "POST", "Allow: GET, OPTIONS\r\n"},
	    {&get_ep, "DELETE", "Allow: GET, OPTIONS\r\n"},
	};
	struct conf c = test_conf();

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* Also a bad body and a bad content type: 405 comes first. */
		struct http_req req = {
		    .method = t[i].method, .content_type = "text/plain", .content_length = "70000"};
		struct http_resp resp;

		serve(t[i].ep, &c, &req, &resp);
		assert_int_equal(resp.status, 405);
		assert_string_equal(resp.body, "{\"detail\":\"Method Not Allowed\"}");
		assert_string_equal(headers_of(&resp), t[i].allow);
		assert_int_equal(seen.called, 0);
		http_resp_release(&resp);
	}
}

/* A path of GET and PATCH (profile.cgi): PATCH meets the body gates as POST does, GET none. */
static void patch_goes_through_the_body_gates_and_reaches_the_handler_parsed(void **state)
{
	static const struct {
		const char *ctype;
		const char *length;
		const char *text;
		int status;
	} t[] = {
	    {"application/json", "70000", "{}", 413},
	    {"text/plain", NULL, "{\"a\":7}", 415},
	    {"application/json", NULL, "[7]", 400},
	    {"application/json; charset=utf-8", NULL, "{\"a\":7}", 200},
	};
	struct conf c = test_conf();

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct http_req req = post_json(t[i].ctype, t[i].text, NULL);
		struct http_resp resp;

		req.method = "PATCH";
		req.content_length = t[i].length;
		serve(&patch_ep, &c, &req, &resp);
		assert_int_equal(resp.status, t[i].status);
		assert_int_equal(seen.called, t[i].status == 200);
		if (t[i].status == 200)
			assert_true(seen.body_is_object && seen.body_a == 7);
		http_resp_release(&resp);
		http_req_release(&req);
	}
	{
		struct http_req req = {.method = "PUT"};
		struct http_resp resp;

		serve(&patch_ep, &c, &req, &resp);
		assert_int_equal(resp.status, 405);
		assert_non_null(strstr(headers_of(&resp), "Allow: GET, PATCH, OPTIONS\r\n"));
		http_resp_release(&resp);
	}
	{
		struct http_req req = {.method = "GET"};
		struct http_resp resp;

		serve(&patch_ep, &c, &req, &resp);
		assert_int_equal(resp.status, 200);
		assert_false(seen.body_is_object);
		http_resp_release(&resp);
	}
}

static void declared_length_over_64k_gives_413_before_content_type(void **state)
{
	static const struct {
		const char *ctype;
		const char *length;
	} t[] = {
	    {"text/plain", "70000"},
	    {NULL, "70000"},
	    {"application/json", "65537"},
	    {"application/json", "99999999999999999999999"},
	};
	struct conf c = test_conf();

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct http_req req = {
		    .method = "POST", .content_type = t[i].ctype, .content_length = t[i].length};
		struct http_resp resp;

		serve(&post_ep, &c, &req, &resp);
		assert_int_equal(resp.status, 413);
		assert_string_equal(resp.body, "{\"detail\":\"Request body too large\"}");
		assert_int_equal(seen.called, 0);
		http_resp_release(&resp);
	}
}

static void body_of_exactly_64k_is_not_too_large(void **state)
{
	struct conf c = test_conf();
	struct http_req req = post_json("application/json", "{\"a\":7}", NULL);
	struct http_resp resp;

	(void)state;
	req.content_length = "65536";
	serve(&post_ep, &c, &req, &resp);
	assert_int_equal(resp.status, 200);
	http_resp_release(&resp);
	http_req_release(&req);
}

static void non_json_content_type_gives_415_before_body(void **state)
{
	static const char *const ctypes[] = {
	    "text/plain", "application/x-www-form-urlencoded", "application/jsonx", "", NULL,
	};
	struct conf c = test_conf();

	(void)state;
	for (size_t i = 0; i < sizeof(ctypes) / sizeof(ctypes[0]); i++) {
		/* The body is not JSON either: 415 comes first. */
		struct http_req req = post_json(ctypes[i], "not json", NULL);
		struct http_resp resp;

		serve(&post_ep, &c, &req, &resp);
		assert_int_equal(resp.status, 415);
		assert_string_equal(
		    resp.body, "{\"detail\":\"Unsupported media type: use application/json\"}");
		assert_int_equal(seen.called, 0);
		http_resp_release(&resp);
		http_req_release(&req);
	}
}

static void body_not_a_json_object_gives_400(void **state)
{
	static const char *const bodies[] = {
	    NULL, "", "not json", "[1,2]", "\"text\"", "42", "null", "{", "{\"a\":1", "{\"a\":1}}",
	};
	struct conf c = test_conf();

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct http_req req = post_json("application/json; charset=utf-8", bodies[i], NULL);
		struct http_resp resp;

		serve(&post_ep, &c, &req, &resp);
		if (resp.status != 400)
			fail_msg("body \"%s\": got %d, want 400", bodies[i] ? bodies[i] : "(none)",
			         resp.status);
		assert_string_equal(resp.body, "{\"detail\":\"Invalid JSON body\"}");
		assert_int_equal(seen.called, 0);
		http_resp_release(&resp);
		http_req_release(&req);
	}
}

static void truncated_body_gives_400(void **state)
{
	struct conf c = test_conf();
	struct http_req req = {.method = "POST",
	                       .content_type = "application/json",
	                       .content_length = "100",
	                       .body_incomplete = 1};
	struct http_resp resp;

	(void)state;
	serve(&post_ep, &c, &req, &resp);
	assert_int_equal(resp.status, 400);
	assert_string_equal(resp.body, "{\"detail\":\"Invalid JSON body\"}");
	assert_int_equal(seen.called, 0);
	http_resp_release(&resp);
}

static void valid_post_calls_handler_with_object(void **state)
{
	struct conf c = test_conf();
	struct http_req req = post_json("APPLICATION/JSON", "{\"a\": 7, \"unknown\": [1]}", NULL);
	struct http_resp resp;
	time_t before = time(NULL);

	(void)state;
	req.content_length = "25";
	serve(&post_ep, &c, &req, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "{\"ok\":true}");
	assert_int_equal(seen.called, 1);
	assert_int_equal(seen.body_is_object, 1);
	assert_int_equal(seen.body_a, 7);
	assert_ptr_equal(seen.conf, &c);
	assert_ptr_equal(seen.req, &req);
	assert_true(seen.now >= before && seen.now <= time(NULL));
	/* No Origin: no CORS header, and nothing else was added. */
	assert_string_equal(headers_of(&resp), "");
	http_resp_release(&resp);
	http_req_release(&req);
}

static void get_calls_handler_without_body(void **state)
{
	struct conf c = test_conf();
	/* A GET's body and content type are not looked at. */
	struct http_req req = post_json("text/plain", "not json", NULL);
	struct http_resp resp;

	(void)state;
	req.method = "GET";
	req.content_length = "70000";
	serve(&get_ep, &c, &req, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(seen.called, 1);
	assert_int_equal(seen.body_is_object, 0);
	http_resp_release(&resp);
	http_req_release(&req);
}

static void head_on_a_get_endpoint_is_served_as_get_without_body(void **state)
{
	struct conf c = test_conf();
	struct http_req req = {.method = "HEAD"};
	struct http_resp resp;

	(void)state;
	serve(&get_ep, &c, &req, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(seen.called, 1);
	assert_int_equal(resp.head, 1);
	/* The body is there, for its Content-Length; http_resp_write() leaves it out. */
	assert_string_equal(resp.body, "{\"ok\":true}");
	http_resp_release(&resp);
}

static void get_is_not_marked_head(void **state)
{
	struct conf c = test_conf();
	struct http_req req = {.method = "GET"};
	struct http_resp resp;

	(void)state;
	serve(&get_ep, &c, &req, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.head, 0);
	http_resp_release(&resp);
}

static void preflight_from_allowed_origin_gets_cors_headers(void **state)
{
	struct conf c = test_conf();
	struct http_req req = {.method = "OPTIONS", .origin = ORIGIN, .acr_method = "POST"};
	struct http_resp resp;

	(void)state;
	serve(&post_ep, &c, &req, &resp);
	assert_int_equal(resp.status, 204);
	assert_null(resp.body);
	assert_int_equal(seen.called, 0);
	assert_string_equal(headers_of(&resp), "Access-Control-Allow-Origin: " ORIGIN "\r\n"
	                                       "Vary: Origin\r\n"
	                                       "Allow: POST, OPTIONS\r\n"
	                                       "Access-Control-Allow-Methods: POST, OPTIONS\r\n"
	                                       "Access-Control-Allow-Headers: Authorization, "
	                                       "Content-Type\r\n"
	                                       "Access-Control-Max-Age: 600\r\n");
	http_resp_release(&resp);
}

static void preflight_from_refused_origin_gets_no_cors_header(void **state)
{
	static const char *const origins[] = {
	    "https://evil.example", "https://app.example.evil", "null", "", NULL,
	};
	struct conf c = test_conf();

	(void)state;
	for (size_t i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
		struct http_req req = {
		    .method = "OPTIONS", .origin = origins[i], .acr_method = "POST"};
		struct http_resp resp;

		serve(&post_ep, &c, &req, &resp);
		assert_int_equal(resp.status, 204);
		assert_string_equal(headers_of(&resp), "Allow: POST, OPTIONS\r\n");
		assert_null(strstr(headers_of(&resp), "Access-Control-"));
		http_resp_release(&resp);
	}
}

static void options_without_request_method_is_not_a_preflight(void **state)
{
	struct conf c = test_conf();
	struct http_req req = {.method = "OPTIONS", .origin = ORIGIN};
	struct http_resp resp;

	(void)state;
	serve(&get_ep, &c, &req, &resp);
	assert_int_equal(resp.status, 204);
	assert_string_equal(headers_of(&resp), "Access-Control-Allow-Origin: " ORIGIN "\r\n"
	                                       "Vary: Origin\r\n"
	                                       "Allow: GET, OPTIONS\r\n");
	http_resp_release(&resp);
}

/* Every answer but a preflight, errors included; the page may read WWW-Authenticate and Retry-After. */
static void allowed_origin_gets_cors_on_every_response(void **state)
{
	static const char acao[] =
	    "Access-Control-Allow-Origin: " ORIGIN "\r\nVary: Origin\r\n"
	    "Access-Control-Expose-Headers: WWW-Authenticate, Retry-After\r\n";
	struct {
		const struct endpoint *ep;
		struct http_req req;
		int status;
	} t[] = {
	    {&post_ep, {.method = "GET", .origin = ORIGIN}, 405},
	    {&post_ep, {.method = "POST", .content_length = "70000", .origin = ORIGIN}, 413},
	    {&post_ep, {.method = "POST", .content_type = "text/plain", .origin = ORIGIN}, 415},
	    {&post_ep,
	     {.method = "POST", .content_type = "application/json", .origin = ORIGIN},
	     400},
	    {&silent_ep,
	     {.method = "POST",
	      .content_type = "application/json",
	      .body = empty_object,
	      .body_len = 2,
	      .origin = ORIGIN},
	     500},
	    {&db_ep, {.method = "GET", .origin = ORIGIN}, 503},
	    {&get_ep, {.method = "GET", .origin = ORIGIN}, 200},
	};
	struct conf c = test_conf();

	(void)state;
	c.database_url = unreachable_db;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct http_resp resp;

		serve(t[i].ep, &c, &t[i].req, &resp);
		if (resp.status != t[i].status)
			fail_msg("case %zu: got %d, want %d", i, resp.status, t[i].status);
		if (strncmp(headers_of(&resp), acao, sizeof(acao) - 1) != 0)
			fail_msg("case %zu: headers \"%s\"", i, headers_of(&resp));
		http_resp_release(&resp);
	}
}

/* Not even Access-Control-Expose-Headers for an origin that is not allowed. */
static void refused_origin_gets_no_cors_header_on_any_response(void **state)
{
	static const char *const origins[] = {
	    "https://evil.example", "https://app.example.evil", "null", "", NULL,
	};
	struct conf c = test_conf();

	(void)state;
	for (size_t i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
		struct http_req get = {.method = "GET", .origin = origins[i]};
		struct http_req wrong = {.method = "GET", .origin = origins[i]};
		struct http_resp resp;

		serve(&get_ep, &c, &get, &resp);
		assert_int_equal(resp.status, 200);
		assert_null(strstr(headers_of(&resp), "Access-Control-"));
		http_resp_release(&resp);
		serve(&post_ep, &c, &wrong, &resp);
		assert_int_equal(resp.status, 405);
		assert_null(strstr(headers_of(&resp), "Access-Control-"));
		http_resp_release(&resp);
	}
}

static void handler_leaving_no_status_gives_500(void **state)
{
	struct conf c = test_conf();
	struct http_req req = post_json("application/json", "{}", NULL);
	struct http_resp resp;

	(void)state;
	serve(&silent_ep, &c, &req, &resp);
	assert_int_equal(seen.called, 1);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.body, "{\"detail\":\"Internal server error\"}");
	http_resp_release(&resp);
	http_req_release(&req);
}

static void unreachable_database_gives_503(void **state)
{
	struct conf c = test_conf();
	struct http_req req = {.method = "GET"};
	struct http_resp resp;

	(void)state;
	c.database_url = unreachable_db;
	serve(&db_ep, &c, &req, &resp);
	assert_int_equal(seen.called, 1);
	assert_int_equal(resp.status, 503);
	assert_string_equal(resp.body, "{\"detail\":\"Service temporarily unavailable\"}");
	http_resp_release(&resp);
}

/*
 * serve_main() in a child, as a web server runs a CGI program: env set, stdin a
 * file holding input, stdout and stderr files. Returns stdout (caller frees)
 * and sets *consumed to how far the child read stdin (the offset is shared).
 */
static char *run_main(const struct endpoint *ep, const char *const *env, const char *input,
                      long *consumed)
{
	FILE *in = tmpfile(), *out = tmpfile(), *err = tmpfile();
	char *text = NULL;
	long n;
	pid_t pid;
	int status;

	assert_non_null(in);
	assert_non_null(out);
	assert_non_null(err);
	fputs(input, in);
	fflush(in);
	rewind(in);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const char *const cgi_vars[] = {
		    "REQUEST_METHOD", "CONTENT_TYPE",         "CONTENT_LENGTH",
		    "HTTP_ORIGIN",    "HTTP_AUTHORIZATION",   "HTTP_ACCESS_CONTROL_REQUEST_METHOD",
		    "CORS_ORIGINS",   "FRONTEND_URL",         "DATABASE_URL",
		    "JWT_SECRET_KEY", "MEDICALCARE_ENV_FILE",
		};

		for (size_t i = 0; i < sizeof(cgi_vars) / sizeof(cgi_vars[0]); i++)
			unsetenv(cgi_vars[i]);
		for (size_t i = 0; env[i] != NULL; i += 2)
			setenv(env[i], env[i + 1], 1);
		if (dup2(fileno(in), 0) < 0 || dup2(fileno(out), 1) < 0 || dup2(fileno(err), 2) < 0)
			_exit(99);
		_exit(serve_main(ep));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	*consumed = lseek(fileno(in), 0, SEEK_CUR);
	n = lseek(fileno(out), 0, SEEK_END);
	assert_true(n >= 0);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(lseek(fileno(out), 0, SEEK_SET), 0);
	assert_int_equal(read(fileno(out), text, (size_t)n), n);
	fclose(in);
	fclose(out);
	fclose(err);
	return text;
}

#define SECRET "0123456789abcdef0123456789abcdef-test-secret"

/* A chunked request through mod_cgi: no CONTENT_LENGTH, the body up to the end of stdin. */
static void main_reads_a_body_without_length_to_the_end(void **state)
{
	static const char *const env[] = {
	    "REQUEST_METHOD",
	    "POST",
	    "CONTENT_TYPE",
	    "application/json",
	    "JWT_SECRET_KEY",
	    "0123456789abcdef0123456789abcdef-test-secret",
	    "MEDICALCARE_ENV_FILE",
	    "/dev/null",
	    NULL,
	};
	long consumed = -1;
	char *out;

	(void)state;
	out = run_main(&post_ep, env, "{\"a\":1}", &consumed);
	assert_non_null(strstr(out, "Status: 200 OK\r\n"));
	assert_non_null(strstr(out, "\r\n\r\n{\"ok\":true}"));
	assert_int_equal(consumed, 7);
	free(out);
}

static void main_answers_413_to_a_body_without_length_over_64k(void **state)
{
	static const char *const env[] = {
	    "REQUEST_METHOD",
	    "POST",
	    "CONTENT_TYPE",
	    "application/json",
	    "JWT_SECRET_KEY",
	    "0123456789abcdef0123456789abcdef-test-secret",
	    "MEDICALCARE_ENV_FILE",
	    "/dev/null",
	    NULL,
	};
	char *big = malloc(HTTP_BODY_MAX + 1001);
	long consumed = -1;
	char *out;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', HTTP_BODY_MAX + 1000);
	big[0] = '{';
	big[HTTP_BODY_MAX + 998] = '}';
	big[HTTP_BODY_MAX + 1000] = '\0';
	out = run_main(&post_ep, env, big, &consumed);
	assert_non_null(strstr(out, "Status: 413 Request Entity Too Large\r\n"));
	assert_non_null(strstr(out, "\r\n\r\n{\"detail\":\"Request body too large\"}"));
	free(out);
	free(big);
}

static void main_serves_a_cgi_request_end_to_end(void **state)
{
	static const char *const env[] = {
	    "REQUEST_METHOD",
	    "POST",
	    "CONTENT_TYPE",
	    "application/json",
	    "CONTENT_LENGTH",
	    "7",
	    "HTTP_ORIGIN",
	    ORIGIN,
	    "CORS_ORIGINS",
	    ORIGIN,
	    "JWT_SECRET_KEY",
	    SECRET,
	    "MEDICALCARE_ENV_FILE",
	    "/dev/null",
	    NULL,
	};
	long consumed = -1;
	char *out;

	(void)state;
	out = run_main(&post_ep, env, "{\"a\":1}and more", &consumed);
	assert_string_equal(out, "Status: 200 OK\r\n"
	                         "Content-Type: application/json\r\n"
	                         "Cache-Control: no-store\r\n"
	                         "X-Content-Type-Options: nosniff\r\n"
	                         "Content-Length: 11\r\n"
	                         "Access-Control-Allow-Origin: " ORIGIN "\r\n"
	                         "Vary: Origin\r\n"
	                         "Access-Control-Expose-Headers: WWW-Authenticate, Retry-After\r\n"
	                         "\r\n"
	                         "{\"ok\":true}");
	assert_true(consumed >= 7);
	free(out);
}

static void main_answers_413_without_reading(void **state)
{
	static const char *const env[] = {
	    "REQUEST_METHOD",
	    "POST",
	    "CONTENT_TYPE",
	    "application/json",
	    "CONTENT_LENGTH",
	    "70000",
	    "JWT_SECRET_KEY",
	    SECRET,
	    "MEDICALCARE_ENV_FILE",
	    "/dev/null",
	    NULL,
	};
	long consumed = -1;
	char *out;

	(void)state;
	out = run_main(&post_ep, env, "{\"a\":1}", &consumed);
	assert_non_null(strstr(out, "Status: 413 "));
	assert_non_null(strstr(out, "\r\n\r\n{\"detail\":\"Request body too large\"}"));
	assert_int_equal(consumed, 0);
	free(out);
}

static void main_answers_415_without_reading(void **state)
{
	static const char *const env[] = {
	    "REQUEST_METHOD",
	    "POST",
	    "CONTENT_TYPE",
	    "text/plain",
	    "CONTENT_LENGTH",
	    "7",
	    "JWT_SECRET_KEY",
	    SECRET,
	    "MEDICALCARE_ENV_FILE",
	    "/dev/null",
	    NULL,
	};
	long consumed = -1;
	char *out;

	(void)state;
	out = run_main(&post_ep, env, "{\"a\":1}", &consumed);
	assert_non_null(strstr(out, "Status: 415 "));
	assert_int_equal(consumed, 0);
	free(out);
}

static void main_short_body_gives_400(void **state)
{
	static const char *const env[] = {
	    "REQUEST_METHOD",
	    "POST",
	    "CONTENT_TYPE",
	    "application/json",
	    "CONTENT_LENGTH",
	    "100",
	    "JWT_SECRET_KEY",
	    SECRET,
	    "MEDICALCARE_ENV_FILE",
	    "/dev/null",
	    NULL,
	};
	long consumed = -1;
	char *out;

	(void)state;
	out = run_main(&post_ep, env, "{\"a\":1}", &consumed);
	assert_non_null(strstr(out, "Status: 400 "));
	assert_non_null(strstr(out, "\r\n\r\n{\"detail\":\"Invalid JSON body\"}"));
	free(out);
}

static void main_configuration_error_gives_500(void **state)
{
	static const char *const env[] = {
	    "REQUEST_METHOD",
	    "POST",
	    "CONTENT_TYPE",
	    "application/json",
	    "CONTENT_LENGTH",
	    "2",
	    "JWT_SECRET_KEY",
	    "too short",
	    "MEDICALCARE_ENV_FILE",
	    "/dev/null",
	    NULL,
	};
	long consumed = -1;
	char *out;

	(void)state;
	out = run_main(&post_ep, env, "{}", &consumed);
	assert_non_null(strstr(out, "Status: 500 Internal Server Error\r\n"));
	assert_non_null(strstr(out, "\r\n\r\n{\"detail\":\"Internal server error\"}"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(configuration_error_gives_500),
	    cmocka_unit_test(wrong_method_gives_405_with_allow),
	    cmocka_unit_test(declared_length_over_64k_gives_413_before_content_type),
	    cmocka_unit_test(body_of_exactly_64k_is_not_too_large),
	    cmocka_unit_test(non_json_content_type_gives_415_before_body),
	    cmocka_unit_test(body_not_a_json_object_gives_400),
	    cmocka_unit_test(truncated_body_gives_400),
	    cmocka_unit_test(valid_post_calls_handler_with_object),
	    cmocka_unit_test(get_calls_handler_without_body),
	    cmocka_unit_test(head_on_a_get_endpoint_is_served_as_get_without_body),
	    cmocka_unit_test(get_is_not_marked_head),
	    cmocka_unit_test(preflight_from_allowed_origin_gets_cors_headers),
	    cmocka_unit_test(preflight_from_refused_origin_gets_no_cors_header),
	    cmocka_unit_test(refused_origin_gets_no_cors_header_on_any_response),
	    cmocka_unit_test(options_without_request_method_is_not_a_preflight),
	    cmocka_unit_test(allowed_origin_gets_cors_on_every_response),
	    cmocka_unit_test(handler_leaving_no_status_gives_500),
	    cmocka_unit_test(unreachable_database_gives_503),
	    cmocka_unit_test(main_serves_a_cgi_request_end_to_end),
	    cmocka_unit_test(main_reads_a_body_without_length_to_the_end),
	    cmocka_unit_test(main_answers_413_to_a_body_without_length_over_64k),
	    cmocka_unit_test(main_answers_413_without_reading),
	    cmocka_unit_test(main_answers_415_without_reading),
	    cmocka_unit_test(main_short_body_gives_400),
	    cmocka_unit_test(main_configuration_error_gives_500),
	    cmocka_unit_test(patch_goes_through_the_body_gates_and_reaches_the_handler_parsed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
