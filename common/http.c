/*
 * http: the CGI side of a request (RFC 3875) and the one place that turns an
 * outcome into a status line and a JSON body.
 */
#include "http.h"

#include "log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h> /* environ (_GNU_SOURCE) */

/* Extra headers of one response: CORS, Allow and a few more; an echoed Origin is at most 8 KiB. */
#define HTTP_HEADERS_MAX (32 * 1024)

/* What an out-of-memory response says, without allocating. */
static const char http_internal_body[] = "{\"detail\":\"Internal server error\"}";

/* The value of NAME in params ("NAME=value" strings, NULL-terminated), or NULL. */
static const char *http_param(char *const *params, const char *name)
{
	size_t n = strlen(name);

	for (; params != NULL && *params != NULL; params++)
		if (strncmp(*params, name, n) == 0 && (*params)[n] == '=')
			return *params + n + 1;
	return NULL;
}

/* Variable name of params, or NULL when unset or longer than HTTP_HEADER_VALUE_MAX. */
static const char *http_env(char *const *params, const char *name)
{
	const char *v = http_param(params, name);

	if (v != NULL && strnlen(v, HTTP_HEADER_VALUE_MAX + 1) > HTTP_HEADER_VALUE_MAX)
		return NULL;
	return v;
}

void http_req_from_params(struct http_req *r, char *const *params)
{
	memset(r, 0, sizeof(*r));
	r->method = http_env(params, "REQUEST_METHOD");
	r->content_type = http_env(params, "CONTENT_TYPE");
	r->content_length = http_env(params, "CONTENT_LENGTH");
	/* Kept whatever its length: an over-long bearer token is refused as a token. */
	r->authorization = http_param(params, "HTTP_AUTHORIZATION");
	r->origin = http_env(params, "HTTP_ORIGIN");
	r->acr_method = http_env(params, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
	r->remote_addr = http_env(params, "REMOTE_ADDR");
	r->user_agent = http_env(params, "HTTP_USER_AGENT");
	r->forwarded_for = http_env(params, "HTTP_X_FORWARDED_FOR");
	r->path_info = http_env(params, "PATH_INFO");
	r->request_uri = http_env(params, "REQUEST_URI");
}

void http_req_from_env(struct http_req *r)
{
	http_req_from_params(r, environ);
}

long long http_req_content_length(const struct http_req *r)
{
	const char *s = r->content_length;
	long long v = 0;
	int overflow = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		int d;

		if (*s < '0' || *s > '9')
			return -1;
		d = *s - '0';
		if (v > (LLONG_MAX - d) / 10)
			overflow = 1;
		else
			v = v * 10 + d;
	}
	return overflow ? LLONG_MAX : v;
}

/*
 * A body without CONTENT_LENGTH: up to the end of in, at most HTTP_BODY_MAX
 * bytes (one more is read to tell). 0, or -1 with body_too_large or
 * body_incomplete (a read error, out of memory) set.
 */
static int http_req_read_to_eof(struct http_req *r, FILE *in)
{
	char *body = malloc(HTTP_BODY_MAX + 2);
	size_t got = 0;

	if (body == NULL) {
		log_error("out of memory reading the request body");
		goto fail;
	}
	while (got < HTTP_BODY_MAX + 1) {
		size_t n;

		errno = 0;
		n = fread(body + got, 1, HTTP_BODY_MAX + 1 - got, in);
		got += n;
		if (n > 0)
			continue;
		if (ferror(in) && errno == EINTR) {
			clearerr(in);
			continue;
		}
		if (ferror(in))
			goto fail;
		break; /* end of file */
	}
	if (got > HTTP_BODY_MAX) {
		free(body);
		r->body_too_large = 1;
		return -1;
	}
	body[got] = '\0';
	r->body = body;
	r->body_len = got;
	return 0;
fail:
	free(body);
	r->body_incomplete = 1;
	return -1;
}

int http_req_read_body(struct http_req *r, FILE *in)
{
	long long len = http_req_content_length(r);
	size_t want, got = 0;
	char *body = NULL;

	http_req_release(r);
	r->body_incomplete = 0;
	r->body_too_large = 0;
	if (r->content_length == NULL)
		return http_req_read_to_eof(r, in);
	if (len < 0)
		len = 0;
	if (len > HTTP_BODY_MAX)
		goto fail;
	want = (size_t)len;
	body = malloc(want + 1);
	if (body == NULL) {
		log_error("out of memory reading the request body");
		goto fail;
	}
	while (got < want) {
		size_t n;

		errno = 0;
		n = fread(body + got, 1, want - got, in);
		got += n;
		if (got == want)
			break;
		if (ferror(in) && errno == EINTR) {
			clearerr(in);
			continue;
		}
		break; /* end of file or a real error */
	}
	if (got < want)
		goto fail;
	body[want] = '\0';
	r->body = body;
	r->body_len = want;
	return 0;
fail:
	free(body);
	r->body_incomplete = 1;
	return -1;
}

void http_req_release(struct http_req *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

int http_req_is_json(const struct http_req *r)
{
	static const char json[] = "application/json";
	const char *s = r->content_type, *end;

	if (s == NULL)
		return 0;
	end = strchr(s, ';');
	if (end == NULL)
		end = s + strlen(s);
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (size_t)(end - s) == sizeof(json) - 1 && strncasecmp(s, json, sizeof(json) - 1) == 0;
}

int http_req_bearer(const struct http_req *r, const char **token)
{
	const char *a = r->authorization, *p;

	if (a == NULL || strncasecmp(a, "bearer", 6) != 0 || a[6] != ' ')
		return 0;
	p = a + 6;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	for (const unsigned char *q = (const unsigned char *)p; *q != '\0'; q++)
		if (*q <= 0x20 || *q == 0x7f)
			return 0;
	*token = p;
	return 1;
}

void http_resp_init(struct http_resp *resp)
{
	resp->status = 0;
	buf_init(&resp->headers, HTTP_HEADERS_MAX);
	resp->body = NULL;
	resp->body_len = 0;
	resp->content_type = NULL;
	resp->retry_after = 0;
	resp->invalid_token = 0;
	resp->no_retry = 0;
	resp->head = 0;
}

void http_resp_release(struct http_resp *resp)
{
	buf_release(&resp->headers);
	free(resp->body);
	free(resp->content_type);
	resp->body = NULL;
	resp->body_len = 0;
	resp->content_type = NULL;
}

/* 1 if c may appear in a header name (RFC 9110 tchar). */
static int http_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* 1 if the len bytes of v may be a header value: no control bytes but HTAB. */
static int http_value_ok(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

int http_resp_header(struct http_resp *resp, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *val = NULL;
	size_t old = resp->headers.len;
	int n, rc = -1;

	if (name == NULL || *name == '\0')
		return -1;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		if (!http_tchar(*p))
			return -1;
	/* http_resp_write() writes these, exactly once, from the status. */
	if (strcasecmp(name, "WWW-Authenticate") == 0 || strcasecmp(name, "Retry-After") == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || n > HTTP_HEADERS_MAX)
		goto out;
	val = malloc((size_t)n + 1);
	if (val == NULL)
		goto out;
	va_start(ap, fmt);
	vsnprintf(val, (size_t)n + 1, fmt, ap);
	va_end(ap);
	/* A NUL from %c ends the string early: refused with the other control bytes. */
	if (strlen(val) != (size_t)n || !http_value_ok(val, (size_t)n))
		goto out;
	if (buf_puts(&resp->headers, name) != 0 || buf_puts(&resp->headers, ": ") != 0 ||
	    buf_append(&resp->headers, val, (size_t)n) != 0 ||
	    buf_puts(&resp->headers, "\r\n") != 0) {
		/* Take back a half-written line. */
		if (resp->headers.data != NULL) {
			resp->headers.len = old;
			resp->headers.data[old] = '\0';
		}
		goto out;
	}
	rc = 0;
out:
	free(val);
	return rc;
}

/*
 * Sets status and a copy of body (NULL for none) with content type ctype
 * (NULL: JSON), replacing what was set before. Out of memory gives a 500.
 */
static void http_resp_set(struct http_resp *resp, int status, const char *ctype, const char *body,
                          size_t len)
{
	char *b = NULL, *ct = NULL;

	if (body != NULL) {
		b = malloc(len + 1);
		if (b == NULL)
			goto oom;
		memcpy(b, body, len);
		b[len] = '\0';
	}
	if (ctype != NULL) {
		ct = strdup(ctype);
		if (ct == NULL)
			goto oom;
	}
	free(resp->body);
	free(resp->content_type);
	resp->status = status;
	resp->body = b;
	resp->body_len = b != NULL ? len : 0;
	resp->content_type = ct;
	resp->invalid_token = 0;
	resp->no_retry = 0;
	return;
oom:
	free(b);
	log_error("out of memory building a %d response", status);
	http_resp_internal(resp);
}

void http_resp_json(struct http_resp *resp, int status, json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	                                                        JSON_C_TO_STRING_NOSLASHESCAPE);

	if (s == NULL) {
		log_error("could not serialize a %d response", status);
		http_resp_internal(resp);
		return;
	}
	http_resp_set(resp, status, NULL, s, strlen(s));
}

/* Adds key: a new string value to obj. 0, or -1 when out of memory. */
static int http_obj_add_string(json_object *obj, const char *key, const char *val)
{
	json_object *v = json_object_new_string(val != NULL ? val : "");

	if (v == NULL)
		return -1;
	if (json_object_object_add(obj, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* Appends v to array arr, taking it (freed on failure). 0, or -1. */
static int http_arr_add(json_object *arr, json_object *v)
{
	if (v == NULL)
		return -1;
	if (json_object_array_add(arr, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* Adds key: v to obj, taking v (freed on failure). 0, or -1. */
static int http_obj_add(json_object *obj, const char *key, json_object *v)
{
	if (v == NULL)
		return -1;
	if (json_object_object_add(obj, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

void http_resp_detail(struct http_resp *resp, int status, const char *msg)
{
	json_object *obj = json_object_new_object();

	if (obj == NULL || http_obj_add_string(obj, "detail", msg) != 0) {
		log_error("out of memory building a %d response", status);
		http_resp_internal(resp);
		goto out;
	}
	http_resp_json(resp, status, obj);
out:
	json_object_put(obj);
}

/* {"loc": ["body", field], "msg": msg, "type": type}, or NULL when out of memory. */
static json_object *http_ferr_object(const struct ferr *e)
{
	json_object *o = json_object_new_object(), *loc = NULL;

	if (o == NULL)
		return NULL;
	loc = json_object_new_array();
	if (http_obj_add(o, "loc", loc) != 0 ||
	    http_arr_add(loc, json_object_new_string("body")) != 0 ||
	    http_arr_add(loc, json_object_new_string(e->field != NULL ? e->field : "")) != 0 ||
	    http_obj_add_string(o, "msg", e->msg) != 0 ||
	    http_obj_add_string(o, "type", e->type) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

void http_resp_422(struct http_resp *resp, const struct ferrs *errs)
{
	json_object *obj = json_object_new_object(), *list = NULL;
	size_t n = errs != NULL ? errs->n : 0;

	if (n > FERRS_MAX)
		n = FERRS_MAX;
	if (obj == NULL)
		goto oom;
	list = json_object_new_array();
	if (http_obj_add(obj, "detail", list) != 0)
		goto oom;
	for (size_t i = 0; i < n; i++)
		if (http_arr_add(list, http_ferr_object(&errs->e[i])) != 0)
			goto oom;
	http_resp_json(resp, 422, obj);
	goto out;
oom:
	log_error("out of memory building a 422 response");
	http_resp_internal(resp);
out:
	json_object_put(obj);
}

void http_resp_429(struct http_resp *resp, const char *msg, long retry_after)
{
	http_resp_detail(resp, 429, msg);
	resp->retry_after = retry_after < 1 ? 1 : retry_after;
}

void http_resp_401(struct http_resp *resp, const char *msg)
{
	/* WWW-Authenticate: Bearer is added by http_resp_write() to every 401. */
	http_resp_detail(resp, 401, msg);
}

void http_resp_401_invalid_token(struct http_resp *resp, const char *msg)
{
	http_resp_detail(resp, 401, msg);
	/* Only if that became the 401 (not a 500 for want of memory). */
	if (resp->status == 401)
		resp->invalid_token = 1;
}

void http_resp_unavailable(struct http_resp *resp)
{
	http_resp_detail(resp, 503, "Service temporarily unavailable");
}

void http_resp_internal(struct http_resp *resp)
{
	/* No allocation may fail here: a NULL body of a 500 is written as http_internal_body. */
	char *b = strdup(http_internal_body);

	free(resp->body);
	free(resp->content_type);
	resp->status = 500;
	resp->body = b;
	resp->body_len = b != NULL ? sizeof(http_internal_body) - 1 : 0;
	resp->content_type = NULL;
	resp->invalid_token = 0;
	resp->no_retry = 0;
}

void http_resp_no_retry(struct http_resp *resp)
{
	resp->no_retry = 1;
}

void http_resp_raw(struct http_resp *resp, int status, const char *content_type, const char *body,
                   size_t len)
{
	if (content_type == NULL || *content_type == '\0' ||
	    !http_value_ok(content_type, strlen(content_type))) {
		log_error("refused a content type for a %d response", status);
		http_resp_internal(resp);
		return;
	}
	http_resp_set(resp, status, content_type, body != NULL ? body : "", body != NULL ? len : 0);
}

int http_cors(struct http_resp *resp, const char *allowed, const char *origin)
{
	const char *p = allowed;
	size_t olen;
	int match = 0;

	if (allowed == NULL || origin == NULL || *origin == '\0')
		return 0;
	olen = strnlen(origin, HTTP_HEADER_VALUE_MAX + 1);
	if (olen > HTTP_HEADER_VALUE_MAX)
		return 0;
	/* An origin is scheme://host[:port]: never a space or a control byte. */
	for (size_t i = 0; i < olen; i++)
		if ((unsigned char)origin[i] <= 0x20 || origin[i] == 0x7f)
			return 0;
	for (;;) {
		const char *end = strchr(p, ','), *s = p, *e;

		e = end != NULL ? end : p + strlen(p);
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		/* "*" is not a wildcard, and never echoed. */
		if ((size_t)(e - s) == olen && memcmp(s, origin, olen) == 0 &&
		    !(olen == 1 && *s == '*')) {
			match = 1;
			break;
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	if (!match)
		return 0;
	if (http_resp_header(resp, "Access-Control-Allow-Origin", "%s", origin) != 0 ||
	    http_resp_header(resp, "Vary", "Origin") != 0) {
		log_error("could not add the CORS headers");
		return 0;
	}
	return 1;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Request Entity Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

int http_resp_write(const struct http_resp *resp, FILE *out)
{
	int status = resp->status;
	const char *body = resp->body;
	size_t len = resp->body_len;

	if (status < 100 || status > 599) {
		/* app_serve() never lets this happen; be safe all the same. */
		status = 500;
		body = NULL;
	}
	if (status == 500 && body == NULL) {
		body = http_internal_body;
		len = sizeof(http_internal_body) - 1;
	}
	if (body == NULL || status == 204)
		len = 0;
	fprintf(out, "Status: %d %s\r\n", status, http_reason(status));
	if (status != 204)
		fprintf(out, "Content-Type: %s\r\n",
		        resp->content_type != NULL && status == resp->status ? resp->content_type
		                                                             : "application/json");
	fputs("Cache-Control: no-store\r\n", out);
	fputs("X-Content-Type-Options: nosniff\r\n", out);
	if (status != 204)
		fprintf(out, "Content-Length: %zu\r\n", len);
	if (status == 401)
		fputs(resp->invalid_token ? "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n"
		                          : "WWW-Authenticate: Bearer\r\n",
		      out);
	if (status == 429)
		fprintf(out, "Retry-After: %ld\r\n",
		        resp->retry_after < 1 ? 1L : resp->retry_after);
	if (status == 503 && !resp->no_retry)
		fprintf(out, "Retry-After: %d\r\n", HTTP_RETRY_UNAVAILABLE);
	if (resp->headers.len > 0)
		fwrite(resp->headers.data, 1, resp->headers.len, out);
	fputs("\r\n", out);
	if (len > 0 && !resp->head)
		fwrite(body, 1, len, out);
	if (fflush(out) != 0 || ferror(out))
		return -1;
	return 0;
}
