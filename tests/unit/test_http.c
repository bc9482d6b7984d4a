/*
 * http: request parsing, response bodies and bytes on the wire, CORS.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cors.h"
#include "db.h"
#include "http.h"

/* Everything resp would put on stdout; the caller frees. */
static char *written(const struct http_resp *resp, size_t *len)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	assert_non_null(f);
	assert_int_equal(http_resp_write(resp, f), 0);
	assert_int_equal(fclose(f), 0);
	if (len != NULL)
		*len = n;
	return out;
}

/* The body as a string (bodies are NUL-terminated). */
static const char *body_of(const struct http_resp *resp)
{
	assert_non_null(resp->body);
	assert_int_equal(strlen(resp->body), resp->body_len);
	return resp->body;
}

static void content_length_is_strict_decimal(void **state)
{
	static const struct {
		const char *in;
		long long want;
	} t[] = {
	    {NULL, -1},
	    {"", -1},
	    {"0", 0},
	    {"17", 17},
	    {"0017", 17},
	    {"65536", 65536},
	    {"70000", 70000},
	    {"-1", -1},
	    {"+5", -1},
	    {" 5", -1},
	    {"5 ", -1},
	    {"5x", -1},
	    {"0x10", -1},
	    {"1e3", -1},
	    {"9223372036854775807", LLONG_MAX},
	    {"9223372036854775808", LLONG_MAX},
	    {"99999999999999999999999999", LLONG_MAX},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct http_req r = {.content_length = t[i].in};

		if (http_req_content_length(&r) != t[i].want)
			fail_msg("content length \"%s\": got %lld, want %lld",
			         t[i].in ? t[i].in : "(null)", http_req_content_length(&r),
			         t[i].want);
	}
}

static void is_json_accepts_application_json_with_parameters_only(void **state)
{
	static const struct {
		const char *in;
		int want;
	} t[] = {
	    {"application/json", 1},
	    {"application/json; charset=utf-8", 1},
	    {"application/json;charset=UTF-8", 1},
	    {"APPLICATION/JSON", 1},
	    {"Application/Json ; charset=utf-8", 1},
	    {" application/json", 1},
	    {"application/jsonx", 0},
	    {"application/json-patch+json", 0},
	    {"application/jso", 0},
	    {"text/plain", 0},
	    {"text/json", 0},
	    {"application/x-www-form-urlencoded", 0},
	    {"", 0},
	    {";application/json", 0},
	    {NULL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct http_req r = {.content_type = t[i].in};

		if (http_req_is_json(&r) != t[i].want)
			fail_msg("content type \"%s\": got %d, want %d",
			         t[i].in ? t[i].in : "(null)", http_req_is_json(&r), t[i].want);
	}
}

static void bearer_takes_scheme_in_any_case_and_one_token(void **state)
{
	static const struct {
		const char *in;
		int want;
		const char *token;
	} t[] = {
	    {"Bearer x", 1, "x"},
	    {"bearer x", 1, "x"},
	    {"BEARER x", 1, "x"},
	    {"bEaReR abc.def.ghi", 1, "abc.def.ghi"},
	    {"Bearer    spaced", 1, "spaced"},
	    {"Bearer a-b_c+/=", 1, "a-b_c+/="},
	    {"Basic abc", 0, NULL},
	    {"Bearer", 0, NULL},
	    {"Bearer ", 0, NULL},
	    {"Bearer   ", 0, NULL},
	    {"Bearer a b", 0, NULL},
	    {"Bearer x ", 0, NULL},
	    {"Bearer\tx", 0, NULL},
	    {"Bearer x\ty", 0, NULL},
	    {"Bearerx", 0, NULL},
	    {"Bearerx y", 0, NULL},
	    {" Bearer x", 0, NULL},
	    {"Token x", 0, NULL},
	    {"", 0, NULL},
	    {NULL, 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct http_req r = {.authorization = t[i].in};
		const char *tok = NULL;
		int got = http_req_bearer(&r, &tok);

		if (got != t[i].want)
			fail_msg("authorization \"%s\": got %d, want %d",
			         t[i].in ? t[i].in : "(null)", got, t[i].want);
		if (t[i].want)
			assert_string_equal(tok, t[i].token);
		else
			assert_null(tok);
	}
}

static void from_env_reads_cgi_variables_and_drops_overlong_values(void **state)
{
	char *big = malloc(HTTP_HEADER_VALUE_MAX + 2);
	char *auth = malloc(HTTP_HEADER_VALUE_MAX + 100);
	struct http_req r;
	const char *tok = NULL;

	(void)state;
	assert_non_null(big);
	assert_non_null(auth);
	memset(big, 'a', HTTP_HEADER_VALUE_MAX + 1);
	big[HTTP_HEADER_VALUE_MAX + 1] = '\0';
	memcpy(auth, "Bearer ", 7);
	memset(auth + 7, 'b', HTTP_HEADER_VALUE_MAX + 50);
	auth[HTTP_HEADER_VALUE_MAX + 57] = '\0';

	setenv("REQUEST_METHOD", "POST", 1);
	setenv("CONTENT_TYPE", "application/json", 1);
	setenv("CONTENT_LENGTH", "12", 1);
	setenv("HTTP_AUTHORIZATION", auth, 1);
	setenv("HTTP_ORIGIN", big, 1);
	setenv("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "POST", 1);
	setenv("REMOTE_ADDR", "192.0.2.1", 1);
	unsetenv("HTTP_USER_AGENT");
	/* Exactly the maximum is still kept. */
	big[HTTP_HEADER_VALUE_MAX] = '\0';
	setenv("PATH_INFO", big, 1);

	http_req_from_env(&r);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(r.content_length, "12");
	assert_null(r.origin);
	assert_string_equal(r.acr_method, "POST");
	assert_string_equal(r.remote_addr, "192.0.2.1");
	assert_null(r.user_agent);
	assert_non_null(r.path_info);
	assert_int_equal(strlen(r.path_info), HTTP_HEADER_VALUE_MAX);
	assert_null(r.body);
	assert_int_equal(r.body_len, 0);
	assert_int_equal(r.body_incomplete, 0);
	/* An over-long Authorization is kept, and its token goes on to be refused by jwt. */
	assert_non_null(r.authorization);
	assert_int_equal(strlen(r.authorization), HTTP_HEADER_VALUE_MAX + 57);
	assert_int_equal(http_req_bearer(&r, &tok), 1);
	assert_int_equal(strlen(tok), HTTP_HEADER_VALUE_MAX + 50);

	unsetenv("REQUEST_METHOD");
	unsetenv("CONTENT_TYPE");
	unsetenv("CONTENT_LENGTH");
	unsetenv("HTTP_AUTHORIZATION");
	unsetenv("HTTP_ORIGIN");
	unsetenv("HTTP_ACCESS_CONTROL_REQUEST_METHOD");
	unsetenv("REMOTE_ADDR");
	unsetenv("PATH_INFO");
	http_req_from_env(&r);
	assert_null(r.method);
	assert_null(r.authorization);
	assert_null(r.path_info);
	free(big);
	free(auth);
}

static void read_body_reads_exactly_content_length(void **state)
{
	char data[] = "{\"a\":1}TRAILING";
	FILE *in = fmemopen(data, strlen(data), "r");
	struct http_req r = {.content_length = "7"};

	(void)state;
	assert_non_null(in);
	assert_int_equal(http_req_read_body(&r, in), 0);
	assert_int_equal(r.body_len, 7);
	assert_string_equal(r.body, "{\"a\":1}");
	assert_int_equal(r.body_incomplete, 0);
	/* The rest of the stream was not consumed. */
	assert_int_equal(fgetc(in), 'T');
	fclose(in);
	http_req_release(&r);
	assert_null(r.body);
	assert_int_equal(r.body_len, 0);
}

static void read_body_short_stream_fails_as_incomplete(void **state)
{
	char data[] = "{\"a\":";
	FILE *in = fmemopen(data, strlen(data), "r");
	struct http_req r = {.content_length = "100"};

	(void)state;
	assert_non_null(in);
	assert_int_equal(http_req_read_body(&r, in), -1);
	assert_int_equal(r.body_incomplete, 1);
	assert_null(r.body);
	assert_int_equal(r.body_len, 0);
	fclose(in);
	http_req_release(&r);
}

static void read_body_malformed_length_reads_nothing(void **state)
{
	char data[] = "{}";
	FILE *in = fmemopen(data, strlen(data), "r");
	struct http_req r = {.content_length = "2x"};

	(void)state;
	assert_non_null(in);
	assert_int_equal(http_req_read_body(&r, in), 0);
	assert_non_null(r.body);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(r.body, "");
	assert_int_equal(fgetc(in), '{');
	fclose(in);
	http_req_release(&r);
}

/* A chunked request through mod_cgi: no CONTENT_LENGTH, stdin ends after the body. */
static void read_body_absent_length_reads_to_the_end(void **state)
{
	static const size_t sizes[] = {0, 1, 7, HTTP_BODY_MAX - 1, HTTP_BODY_MAX};
	char *data = malloc(HTTP_BODY_MAX);

	(void)state;
	assert_non_null(data);
	memset(data, 'x', HTTP_BODY_MAX);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* fmemopen() wants a size of at least 1: /dev/null for none. */
		FILE *in = sizes[i] > 0 ? fmemopen(data, sizes[i], "r") : fopen("/dev/null", "r");
		struct http_req r = {.content_length = NULL};

		assert_non_null(in);
		assert_int_equal(http_req_read_body(&r, in), 0);
		assert_int_equal(r.body_len, sizes[i]);
		assert_non_null(r.body);
		assert_int_equal(r.body[sizes[i]], '\0');
		assert_int_equal(r.body_too_large, 0);
		assert_int_equal(r.body_incomplete, 0);
		fclose(in);
		http_req_release(&r);
	}
	free(data);
}

static void read_body_absent_length_over_maximum_is_too_large(void **state)
{
	char *data = malloc(HTTP_BODY_MAX + 100);
	FILE *in;
	struct http_req r = {.content_length = NULL};

	(void)state;
	assert_non_null(data);
	memset(data, 'x', HTTP_BODY_MAX + 100);
	in = fmemopen(data, HTTP_BODY_MAX + 100, "r");
	assert_non_null(in);
	assert_int_equal(http_req_read_body(&r, in), -1);
	assert_int_equal(r.body_too_large, 1);
	assert_null(r.body);
	assert_int_equal(r.body_len, 0);
	/* Read one byte past the maximum, and no further. */
	assert_int_equal(ftell(in), HTTP_BODY_MAX + 1);
	fclose(in);
	free(data);
}

static void read_body_refuses_length_over_maximum_unread(void **state)
{
	char data[] = "{}";
	FILE *in = fmemopen(data, strlen(data), "r");
	struct http_req r = {.content_length = "70000"};

	(void)state;
	assert_non_null(in);
	assert_int_equal(http_req_read_body(&r, in), -1);
	assert_int_equal(r.body_incomplete, 1);
	assert_null(r.body);
	assert_int_equal(fgetc(in), '{');
	fclose(in);
}

static void detail_body_is_compact_and_keeps_slashes(void **state)
{
	struct http_resp resp;

	(void)state;
	http_resp_init(&resp);
	http_resp_detail(&resp, 400, "Invalid JSON body");
	assert_int_equal(resp.status, 400);
	assert_string_equal(body_of(&resp), "{\"detail\":\"Invalid JSON body\"}");

	/* Setting again replaces the body (the sanitizer build catches a leak). */
	http_resp_detail(&resp, 415, "Unsupported media type: use application/json");
	assert_int_equal(resp.status, 415);
	assert_string_equal(body_of(&resp),
	                    "{\"detail\":\"Unsupported media type: use application/json\"}");

	http_resp_detail(&resp, 400, "quote \" backslash \\ newline \n");
	assert_string_equal(body_of(&resp),
	                    "{\"detail\":\"quote \\\" backslash \\\\ newline \\n\"}");
	http_resp_release(&resp);
}

static void fixed_responses_have_the_contract_bodies(void **state)
{
	struct http_resp resp;

	(void)state;
	http_resp_init(&resp);
	http_resp_unavailable(&resp);
	assert_int_equal(resp.status, 503);
	assert_string_equal(body_of(&resp), "{\"detail\":\"Service temporarily unavailable\"}");
	http_resp_internal(&resp);
	assert_int_equal(resp.status, 500);
	assert_string_equal(body_of(&resp), "{\"detail\":\"Internal server error\"}");
	http_resp_release(&resp);
}

static void json_body_is_serialized_compactly(void **state)
{
	struct http_resp resp;
	json_object *o = json_object_new_object();

	(void)state;
	json_object_object_add(o, "access_token", json_object_new_string("a.b.c"));
	json_object_object_add(o, "token_type", json_object_new_string("bearer"));
	json_object_object_add(o, "id", json_object_new_int64(1));
	json_object_object_add(o, "is_verified", json_object_new_boolean(1));
	json_object_object_add(o, "url", json_object_new_string("http://x/y"));
	http_resp_init(&resp);
	http_resp_json(&resp, 200, o);
	/* The object is not taken. */
	json_object_put(o);
	assert_int_equal(resp.status, 200);
	assert_string_equal(body_of(&resp),
	                    "{\"access_token\":\"a.b.c\",\"token_type\":\"bearer\","
	                    "\"id\":1,\"is_verified\":true,\"url\":\"http://x/y\"}");
	http_resp_release(&resp);
}

static void unprocessable_lists_field_errors_in_order(void **state)
{
	struct ferrs errs = {
	    .e = {{"email", "value is not a valid email address", "value_error"},
	          {"password", "Field required", "missing"}},
	    .n = 2,
	};
	struct http_resp resp;

	(void)state;
	http_resp_init(&resp);
	http_resp_422(&resp, &errs);
	assert_int_equal(resp.status, 422);
	assert_string_equal(body_of(&resp),
	                    "{\"detail\":[{\"loc\":[\"body\",\"email\"],\"msg\":\"value is not a "
	                    "valid email address\",\"type\":\"value_error\"},{\"loc\":[\"body\","
	                    "\"password\"],\"msg\":\"Field required\",\"type\":\"missing\"}]}");
	http_resp_release(&resp);
}

static void write_created_gives_exact_bytes(void **state)
{
	struct http_resp resp;
	char *out;
	size_t n;
	static const char want[] = "Status: 201 Created\r\n"
	                           "Content-Type: application/json\r\n"
	                           "Cache-Control: no-store\r\n"
	                           "X-Content-Type-Options: nosniff\r\n"
	                           "Content-Length: 53\r\n"
	                           "Access-Control-Allow-Origin: http://localhost:3000\r\n"
	                           "Vary: Origin\r\n"
	                           "\r\n"
	                           "{\"message\":\"OTP sent to your email for verification\"}";

	(void)state;
	http_resp_init(&resp);
	assert_int_equal(cors_allow(&resp, "http://localhost:3000", "http://localhost:3000"), 1);
	{
		json_object *o = json_object_new_object();

		json_object_object_add(
		    o, "message",
		    json_object_new_string("OTP sent to your email for verification"));
		http_resp_json(&resp, 201, o);
		json_object_put(o);
	}
	assert_int_equal(resp.body_len, 53);
	out = written(&resp, &n);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
	free(out);
	http_resp_release(&resp);
}

static void write_head_has_the_headers_and_content_length_but_no_body(void **state)
{
	struct http_resp resp;
	char *out;
	size_t n;
	static const char want[] = "Status: 401 Unauthorized\r\n"
	                           "Content-Type: application/json\r\n"
	                           "Cache-Control: no-store\r\n"
	                           "X-Content-Type-Options: nosniff\r\n"
	                           "Content-Length: 30\r\n"
	                           "WWW-Authenticate: Bearer\r\n"
	                           "\r\n";

	(void)state;
	http_resp_init(&resp);
	http_resp_401(&resp, "Not authenticated");
	resp.head = 1;
	out = written(&resp, &n);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
	free(out);
	http_resp_release(&resp);
}

static void write_unauthorized_carries_www_authenticate(void **state)
{
	struct http_resp resp;
	char *out;
	static const char want[] = "Status: 401 Unauthorized\r\n"
	                           "Content-Type: application/json\r\n"
	                           "Cache-Control: no-store\r\n"
	                           "X-Content-Type-Options: nosniff\r\n"
	                           "Content-Length: 30\r\n"
	                           "WWW-Authenticate: Bearer\r\n"
	                           "\r\n"
	                           "{\"detail\":\"Not authenticated\"}";

	(void)state;
	http_resp_init(&resp);
	http_resp_401(&resp, "Not authenticated");
	out = written(&resp, NULL);
	assert_string_equal(out, want);
	free(out);

	/* Any 401, however set, carries it; a response that became a 503 does not. */
	http_resp_detail(&resp, 401, "Invalid email or password");
	out = written(&resp, NULL);
	assert_non_null(strstr(out, "\r\nWWW-Authenticate: Bearer\r\n"));
	free(out);
	http_resp_unavailable(&resp);
	out = written(&resp, NULL);
	assert_null(strstr(out, "WWW-Authenticate"));
	free(out);
	http_resp_release(&resp);
}

/* RFC 6750, 3.1: a refused access token's 401 says error="invalid_token", once. */
static void write_invalid_token_401_says_so_once(void **state)
{
	struct http_resp resp;
	char *out;
	static const char want[] = "Status: 401 Unauthorized\r\n"
	                           "Content-Type: application/json\r\n"
	                           "Cache-Control: no-store\r\n"
	                           "X-Content-Type-Options: nosniff\r\n"
	                           "Content-Length: 37\r\n"
	                           "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"
	                           "\r\n"
	                           "{\"detail\":\"Invalid or expired token\"}";

	(void)state;
	http_resp_init(&resp);
	http_resp_401_invalid_token(&resp, "Invalid or expired token");
	assert_int_equal(resp.invalid_token, 1);
	out = written(&resp, NULL);
	assert_string_equal(out, want);
	free(out);

	/* A response that changes its mind forgets it: a plain 401, a 503, a 500. */
	http_resp_401(&resp, "Not authenticated");
	out = written(&resp, NULL);
	assert_non_null(strstr(out, "\r\nWWW-Authenticate: Bearer\r\n"));
	assert_null(strstr(out, "invalid_token"));
	free(out);
	http_resp_401_invalid_token(&resp, "Invalid or expired token");
	http_resp_unavailable(&resp);
	out = written(&resp, NULL);
	assert_null(strstr(out, "WWW-Authenticate"));
	free(out);
	http_resp_401_invalid_token(&resp, "Invalid or expired token");
	http_resp_internal(&resp);
	assert_int_equal(resp.invalid_token, 0);
	http_resp_detail(&resp, 401, "Invalid email or password");
	out = written(&resp, NULL);
	assert_non_null(strstr(out, "\r\nWWW-Authenticate: Bearer\r\n"));
	free(out);
	http_resp_release(&resp);

	/* HEAD: the same header, no body. */
	http_resp_init(&resp);
	http_resp_401_invalid_token(&resp, "Invalid or expired token");
	resp.head = 1;
	out = written(&resp, NULL);
	assert_non_null(
	    strstr(out, "\r\nWWW-Authenticate: Bearer error=\"invalid_token\"\r\n\r\n"));
	assert_null(strstr(out, "detail"));
	free(out);
	http_resp_release(&resp);
}

static void write_no_content_has_no_body_or_content_type(void **state)
{
	struct http_resp resp;
	char *out;
	static const char want[] = "Status: 204 No Content\r\n"
	                           "Cache-Control: no-store\r\n"
	                           "X-Content-Type-Options: nosniff\r\n"
	                           "Allow: POST, OPTIONS\r\n"
	                           "\r\n";

	(void)state;
	http_resp_init(&resp);
	resp.status = 204;
	assert_int_equal(http_resp_header(&resp, "Allow", "%s, OPTIONS", "POST"), 0);
	out = written(&resp, NULL);
	assert_string_equal(out, want);
	free(out);
	http_resp_release(&resp);
}

static void write_too_many_requests_carries_retry_after(void **state)
{
	static const struct {
		long in;
		const char *want;
	} t[] = {
	    {60, "\r\nRetry-After: 60\r\n"},
	    {1, "\r\nRetry-After: 1\r\n"},
	    {0, "\r\nRetry-After: 1\r\n"},
	    {-5, "\r\nRetry-After: 1\r\n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct http_resp resp;
		char *out;

		http_resp_init(&resp);
		http_resp_429(&resp, "Too many attempts", t[i].in);
		assert_int_equal(resp.status, 429);
		assert_string_equal(body_of(&resp), "{\"detail\":\"Too many attempts\"}");
		out = written(&resp, NULL);
		assert_non_null(strstr(out, "Status: 429 Too Many Requests\r\n"));
		if (strstr(out, t[i].want) == NULL)
			fail_msg("retry_after %ld: no \"%s\" in %s", t[i].in, t[i].want, out);
		free(out);
		http_resp_release(&resp);
	}
}

static void write_unavailable_carries_retry_after_unless_told_not_to(void **state)
{
	struct http_resp resp;
	json_object *o = json_object_new_object();
	char *out;

	(void)state;
	json_object_object_add(o, "database", json_object_new_string("misconfigured"));
	http_resp_init(&resp);
	http_resp_unavailable(&resp);
	out = written(&resp, NULL);
	assert_non_null(strstr(out, "Status: 503 Service Unavailable\r\n"));
	assert_non_null(strstr(out, "\r\nRetry-After: 5\r\n"));
	free(out);
	/* A 503 that waiting does not end: no Retry-After. */
	http_resp_json(&resp, 503, o);
	http_resp_no_retry(&resp);
	out = written(&resp, NULL);
	assert_non_null(strstr(out, "Status: 503 Service Unavailable\r\n"));
	assert_null(strstr(out, "Retry-After"));
	free(out);
	/* Set again, the response has its Retry-After back. */
	http_resp_json(&resp, 503, o);
	out = written(&resp, NULL);
	assert_non_null(strstr(out, "\r\nRetry-After: 5\r\n"));
	free(out);
	http_resp_no_retry(&resp);
	http_resp_unavailable(&resp);
	out = written(&resp, NULL);
	assert_non_null(strstr(out, "\r\nRetry-After: 5\r\n"));
	free(out);
	json_object_put(o);
	http_resp_release(&resp);
}

static void write_raw_uses_its_content_type(void **state)
{
	struct http_resp resp;
	char *out;
	static const char want[] = "Status: 200 OK\r\n"
	                           "Content-Type: text/html; charset=utf-8\r\n"
	                           "Cache-Control: no-store\r\n"
	                           "X-Content-Type-Options: nosniff\r\n"
	                           "Content-Length: 7\r\n"
	                           "\r\n"
	                           "<html/>";

	(void)state;
	http_resp_init(&resp);
	http_resp_raw(&resp, 200, "text/html; charset=utf-8", "<html/>", 7);
	out = written(&resp, NULL);
	assert_string_equal(out, want);
	free(out);
	/* A JSON response afterwards is JSON again. */
	http_resp_detail(&resp, 404, "Not Found");
	out = written(&resp, NULL);
	assert_non_null(strstr(out, "Content-Type: application/json\r\n"));
	free(out);
	http_resp_release(&resp);
}

static void write_unset_status_is_internal_error(void **state)
{
	struct http_resp resp;
	char *out;

	(void)state;
	http_resp_init(&resp);
	out = written(&resp, NULL);
	assert_non_null(strstr(out, "Status: 500 Internal Server Error\r\n"));
	assert_non_null(strstr(out, "\r\n\r\n{\"detail\":\"Internal server error\"}"));
	free(out);
	http_resp_release(&resp);
}

static void header_refuses_injection(void **state)
{
	static const struct {
		const char *name;
		const char *value;
		int want;
	} t[] = {
	    {"X-Ok", "fine value", 0},
	    {"X-Tab", "a\tb", 0},
	    {"X-Evil", "a\r\nSet-Cookie: x=1", -1},
	    {"X-Evil", "a\nb", -1},
	    {"X-Evil", "a\rb", -1},
	    {"X-Evil", "a\x01", -1},
	    {"X-Evil", "a\x7f", -1},
	    {"Bad Name", "v", -1},
	    {"Bad:Name", "v", -1},
	    {"Bad\r\nName", "v", -1},
	    {"", "v", -1},
	    /* Written by http_resp_write() itself, exactly once. */
	    {"WWW-Authenticate", "Bearer", -1},
	    {"www-authenticate", "Basic", -1},
	    {"Retry-After", "5", -1},
	    {"RETRY-AFTER", "5", -1},
	};
	struct http_resp resp;

	(void)state;
	http_resp_init(&resp);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (http_resp_header(&resp, t[i].name, "%s", t[i].value) != t[i].want)
			fail_msg("header %zu: want %d", i, t[i].want);
	/* A NUL from %c is refused too. */
	assert_int_equal(http_resp_header(&resp, "X-Nul", "a%cb", '\0'), -1);
	assert_string_equal(resp.headers.data, "X-Ok: fine value\r\nX-Tab: a\tb\r\n");
	http_resp_release(&resp);
}

static void cors_echoes_only_listed_origins(void **state)
{
	static const struct {
		const char *allowed;
		const char *origin;
		int want;
	} t[] = {
	    {"http://localhost:3000", "http://localhost:3000", 1},
	    {"https://a.example, https://b.example", "https://b.example", 1},
	    {"  https://a.example  ,https://b.example ", "https://a.example", 1},
	    {"https://a.example,\thttps://b.example", "https://b.example", 1},
	    {"https://a.example,,https://b.example", "https://b.example", 1},
	    {"http://localhost:3000", "http://localhost:3001", 0},
	    {"http://localhost:3000", "http://localhost:300", 0},
	    {"http://localhost:3000", "http://localhost:30000", 0},
	    {"http://localhost:3000", "HTTP://LOCALHOST:3000", 0},
	    {"http://localhost:3000", "http://localhost:3000/", 0},
	    {"https://a.example, https://b.example", "https://c.example", 0},
	    {"https://a.example, https://b.example", "https://a.example, https://b.example", 0},
	    {"*", "https://evil.example", 0},
	    {"*", "*", 0},
	    {"https://a.example", "", 0},
	    {"https://a.example", NULL, 0},
	    {"", "https://a.example", 0},
	    {NULL, "https://a.example", 0},
	    {"https://a.example", "https://a.example\r\nX-Evil: 1", 0},
	    {"https://a.example\n", "https://a.example\n", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct http_resp resp;
		int got;

		http_resp_init(&resp);
		got = cors_allow(&resp, t[i].allowed, t[i].origin);
		if (got != t[i].want)
			fail_msg("cors %zu (origin \"%s\"): got %d, want %d", i,
			         t[i].origin ? t[i].origin : "(null)", got, t[i].want);
		if (got) {
			char want[256];

			snprintf(want, sizeof(want),
			         "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n",
			         t[i].origin);
			assert_string_equal(resp.headers.data, want);
		} else {
			assert_int_equal(resp.headers.len, 0);
		}
		http_resp_release(&resp);
	}
}

static void reason_covers_every_status_used(void **state)
{
	static const struct {
		int status;
		const char *want;
	} t[] = {
	    {200, "OK"},
	    {201, "Created"},
	    {204, "No Content"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {409, "Conflict"},
	    {413, "Request Entity Too Large"},
	    {415, "Unsupported Media Type"},
	    {422, "Unprocessable Entity"},
	    {429, "Too Many Requests"},
	    {500, "Internal Server Error"},
	    {503, "Service Unavailable"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(http_reason(t[i].status), t[i].want);
}

/* A FastCGI request's parameters: exact names only, the same limits as the environment. */
static void from_params_reads_the_request_parameters_only(void **state)
{
	static char big[HTTP_HEADER_VALUE_MAX + 32];
	static char origin[HTTP_HEADER_VALUE_MAX + 64];
	static char p0[] = "REQUEST_METHODX=GET", p1[] = "REQUEST_METHOD=POST",
	            p2[] = "CONTENT_TYPE=application/json",
	            p3[] = "CONTENT_LENGTH=", p4[] = "HTTP_AUTHORIZATION=Bearer abc",
	            p6[] = "REMOTE_ADDR=192.0.2.7", p7[] = "HTTP_X_FORWARDED_FOR=198.51.100.1";
	char *params[] = {p0, p1, p2, p3, p4, origin, p6, p7, NULL};
	struct http_req r;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	snprintf(origin, sizeof(origin), "HTTP_ORIGIN=%s", big);
	http_req_from_params(&r, params);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(r.content_length, "");
	assert_int_equal(http_req_content_length(&r), -1);
	assert_string_equal(r.authorization, "Bearer abc");
	assert_null(r.origin); /* over HTTP_HEADER_VALUE_MAX */
	assert_string_equal(r.remote_addr, "192.0.2.7");
	assert_string_equal(r.forwarded_for, "198.51.100.1");
	assert_null(r.user_agent);
	assert_null(r.path_info);
	assert_null(r.body);

	http_req_from_params(&r, NULL);
	assert_null(r.method);
	assert_null(r.remote_addr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(content_length_is_strict_decimal),
	    cmocka_unit_test(is_json_accepts_application_json_with_parameters_only),
	    cmocka_unit_test(bearer_takes_scheme_in_any_case_and_one_token),
	    cmocka_unit_test(from_env_reads_cgi_variables_and_drops_overlong_values),
	    cmocka_unit_test(from_params_reads_the_request_parameters_only),
	    cmocka_unit_test(read_body_reads_exactly_content_length),
	    cmocka_unit_test(read_body_short_stream_fails_as_incomplete),
	    cmocka_unit_test(read_body_malformed_length_reads_nothing),
	    cmocka_unit_test(read_body_absent_length_reads_to_the_end),
	    cmocka_unit_test(read_body_absent_length_over_maximum_is_too_large),
	    cmocka_unit_test(read_body_refuses_length_over_maximum_unread),
	    cmocka_unit_test(detail_body_is_compact_and_keeps_slashes),
	    cmocka_unit_test(fixed_responses_have_the_contract_bodies),
	    cmocka_unit_test(json_body_is_serialized_compactly),
	    cmocka_unit_test(unprocessable_lists_field_errors_in_order),
	    cmocka_unit_test(write_created_gives_exact_bytes),
	    cmocka_unit_test(write_unauthorized_carries_www_authenticate),
	    cmocka_unit_test(write_invalid_token_401_says_so_once),
	    cmocka_unit_test(write_head_has_the_headers_and_content_length_but_no_body),
	    cmocka_unit_test(write_no_content_has_no_body_or_content_type),
	    cmocka_unit_test(write_too_many_requests_carries_retry_after),
	    cmocka_unit_test(write_unavailable_carries_retry_after_unless_told_not_to),
	    cmocka_unit_test(write_raw_uses_its_content_type),
	    cmocka_unit_test(write_unset_status_is_internal_error),
	    cmocka_unit_test(header_refuses_injection),
	    cmocka_unit_test(cors_echoes_only_listed_origins),
	    cmocka_unit_test(reason_covers_every_status_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
