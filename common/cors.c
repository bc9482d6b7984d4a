/*
 * cors: the allowed origins and the CORS headers (cors.h).
 */
#include "cors.h"

#include "log.h"

#include <string.h>

int cors_allow(struct http_resp *resp, const char *allowed, const char *origin)
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

void cors_preflight(struct http_resp *resp, const char *methods)
{
	if (http_resp_header(resp, "Access-Control-Allow-Methods", "%s, OPTIONS", methods) != 0 ||
	    http_resp_header(resp, "Access-Control-Allow-Headers", "Authorization, Content-Type") !=
	        0 ||
	    http_resp_header(resp, "Access-Control-Max-Age", "600") != 0)
		log_error("could not add the CORS preflight headers");
}

void cors_expose(struct http_resp *resp)
{
	if (http_resp_header(resp, "Access-Control-Expose-Headers",
	                     "WWW-Authenticate, Retry-After") != 0)
		log_error("could not add the CORS expose header");
}
