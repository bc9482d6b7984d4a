/*
 * conf_keys: the keys derived from JWT_SECRET_KEY with HMAC-SHA256 under
 * fixed labels, each for one purpose, so that no key serves two (struct
 * conf_keys in conf.h). conf_load() makes room for them (conf->keys); the
 * first conf_keys() call fills it.
 *
 * The two-factor keys derive the same way from MFA_ENCRYPTION_KEY instead
 * (conf_mfa_keys()): rotating JWT_SECRET_KEY (which logs everyone out) must
 * not make every sealed secret and recovery code useless, which would lock
 * out each account with two-factor sign-in on.
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

/*
 * The keys of c derived from MFA_ENCRYPTION_KEY (mfa_secret, mfa_recovery of
 * the struct; borrowed from c), made by the first call. NULL when the setting
 * is missing (logged as a configuration error: "MFA_ENCRYPTION_KEY is not
 * set: two-factor sign-in is unavailable") or they cannot be made (logged):
 * the request that needs them is a 500, and no other request is affected.
 */
const struct conf_keys *conf_mfa_keys(const struct conf *c);

#endif
