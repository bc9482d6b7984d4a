/*
 * cors: Cross-Origin Resource Sharing for the frontend's origins
 * (docs/CONTRACT.md C-2 to C-4): the headers each answer carries for an
 * allowed origin (the list: conf->cors_origins, made by origins.h). app_serve() calls it first, so every answer, errors
 * included, carries them.
 */
#ifndef MC_CORS_H
#define MC_CORS_H

#include "http.h"

/*
 * When origin is in the comma-separated allowed list, adds
 * Access-Control-Allow-Origin: <origin> and Vary: Origin; otherwise adds no
 * Access-Control-* header. Returns 1 if the origin is allowed. Entries are
 * trimmed and compared exactly (case-sensitive, whole string); "*" is not a
 * wildcard and never matches; an origin with a space or control byte never does.
 */
int cors_allow(struct http_resp *resp, const char *allowed, const char *origin);

/*
 * A preflight's headers, for an allowed origin that sent
 * Access-Control-Request-Method: Allow-Methods "<methods>, OPTIONS",
 * Allow-Headers "Authorization, Content-Type", Max-Age 600.
 */
void cors_preflight(struct http_resp *resp, const char *methods);

/*
 * On every answer to an allowed origin but a preflight's: the response headers
 * beyond the CORS-safelisted ones a page may read, a 401's WWW-Authenticate
 * (refresh on error="invalid_token") and the Retry-After of a 429 or 503.
 */
void cors_expose(struct http_resp *resp);

#endif
