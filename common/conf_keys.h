/*
 * conf_keys: the keys derived from JWT_SECRET_KEY with HMAC-SHA256 under
 * fixed labels, each for one purpose, so that no key serves two (struct
 * conf_keys in conf.h). conf_load() makes room for them (conf->keys); the
 * first conf_keys() call fills it.
 */
#ifndef MC_CONF_KEYS_H
#define MC_CONF_KEYS_H

#include "conf.h"

/*
 * The derived keys of c (borrowed from c), made by the first call rather than
 * by conf_load(): a request that needs none (a 401 without a token, a 4xx of
 * the gates) then never starts OpenSSL's algorithm fetching, a quarter of
 * the CPU of a plain CGI start. NULL (logged) when they cannot be made: the
 * request is a 500.
 */
const struct conf_keys *conf_keys(const struct conf *c);

#endif
