/*
 * jwt: HS256 JWS compact tokens (RFC 7515, RFC 7519).
 *
 * Verification order: size, shape (three parts), header (alg pinned to HS256,
 * typ, crit), signature in constant time, then claims and times. The header
 * and payload come from the network, so they are parsed by a strict json-c
 * tokener with a small depth limit before anything else looks at them.
 */
#include "jwt.h"

#include "b64.h"
#include "buf.h"
#include "log.h"
#include "token.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#define JWT_MIN_KEY 32
#define JWT_JSON_DEPTH 5
#define JWT_EMAIL_MAX 254

/* The only header jwt_sign writes; its base64url never changes. */
static const char jwt_header_json[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* A token cut at its dots; the pointers are borrowed from the token. */
struct jwt_parts {
	const char *hdr;
	size_t hdrlen;
	const char *pay;
	size_t paylen;
	const char *sig;
	size_t siglen;
};

const char *jwt_strerror(enum jwt_err e)
{
	switch (e) {
	case JWT_OK:
		return "ok";
	case JWT_MALFORMED:
		return "malformed token";
	case JWT_BAD_ALG:
		return "unsupported algorithm";
	case JWT_BAD_SIGNATURE:
		return "bad signature";
	case JWT_EXPIRED:
		return "token expired";
	case JWT_NOT_YET_VALID:
		return "token not yet valid";
	case JWT_INTERNAL:
		return "internal error";
	}
	return "unknown error";
}

/*
 * Splits token into exactly three parts at its two dots. The header and
 * payload must be non-empty; the signature may be empty here (an unsigned
 * "alg":"none" token must fail on its algorithm, not on its shape).
 * 0, or -1 if the token is too long or not of that shape.
 */
static int jwt_split(const char *token, struct jwt_parts *p)
{
	const char *d1, *d2;
	size_t len;

	if (token == NULL)
		return -1;
	len = strnlen(token, JWT_MAX_LEN + 1);
	if (len > JWT_MAX_LEN)
		return -1;
	d1 = memchr(token, '.', len);
	if (d1 == NULL)
		return -1;
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
	if (d2 == NULL)
		return -1;
	if (memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)) != NULL)
		return -1;
	p->hdr = token;
	p->hdrlen = (size_t)(d1 - token);
	p->pay = d1 + 1;
	p->paylen = (size_t)(d2 - p->pay);
	p->sig = d2 + 1;
	p->siglen = len - (size_t)(p->sig - token);
	if (p->hdrlen == 0 || p->paylen == 0)
		return -1;
	return 0;
}

/*
 * Decodes one base64url part and parses it as a JSON object, strictly: valid
 * UTF-8, no trailing bytes, at most JWT_JSON_DEPTH levels of nesting.
 * Returns the object (the caller puts it), or NULL.
 */
static json_object *jwt_parse_part(const char *b64, size_t len)
{
	unsigned char raw[JWT_MAX_LEN];
	json_tokener *tok = NULL;
	json_object *obj = NULL;
	long n;

	n = b64url_decode(b64, len, raw, sizeof(raw) - 1);
	if (n <= 0)
		goto out;
	if (memchr(raw, '\0', (size_t)n) != NULL)
		goto out;
	raw[n] = '\0';
	tok = json_tokener_new_ex(JWT_JSON_DEPTH);
	if (tok == NULL)
		goto out;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* The length includes the NUL, which tells the tokener the input ends. */
	obj = json_tokener_parse_ex(tok, (const char *)raw, (int)n + 1);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < (size_t)n ||
	    !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
	}
out:
	if (tok != NULL)
		json_tokener_free(tok);
	return obj;
}

/* The header rules: alg exactly "HS256", typ "JWT" in any case if present, no crit. */
static enum jwt_err jwt_check_header(const struct jwt_parts *p)
{
	json_object *hdr = NULL, *v = NULL;
	enum jwt_err ret = JWT_MALFORMED;

	hdr = jwt_parse_part(p->hdr, p->hdrlen);
	if (hdr == NULL)
		goto out;
	if (!json_object_object_get_ex(hdr, "alg", &v) ||
	    !json_object_is_type(v, json_type_string) || json_object_get_string_len(v) != 5 ||
	    memcmp(json_object_get_string(v), "HS256", 5) != 0) {
		ret = JWT_BAD_ALG;
		goto out;
	}
	if (json_object_object_get_ex(hdr, "typ", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) != 3 ||
		    strncasecmp(json_object_get_string(v), "JWT", 3) != 0)
			goto out;
	}
	/* RFC 7515 4.1.11: extensions we do not understand must be refused. */
	if (json_object_object_get_ex(hdr, "crit", NULL))
		goto out;
	ret = JWT_OK;
out:
	json_object_put(hdr);
	return ret;
}

/*
 * The MAC check alone: JWT_OK if the signature part is the base64url of
 * HMAC-SHA256(key, header "." payload), JWT_MALFORMED if it is not base64url,
 * JWT_BAD_SIGNATURE if it does not match, JWT_INTERNAL if the MAC failed.
 */
static enum jwt_err jwt_check_signature(const struct jwt_parts *p, const unsigned char *key,
                                        size_t keylen)
{
	unsigned char want[TOKEN_DIGEST_LEN];
	unsigned char got[JWT_MAX_LEN];
	enum jwt_err ret = JWT_BAD_SIGNATURE;
	long n;

	n = b64url_decode(p->sig, p->siglen, got, sizeof(got));
	if (n < 0)
		return JWT_MALFORMED;
	if (n != TOKEN_DIGEST_LEN)
		return JWT_BAD_SIGNATURE;
	/* The signing input runs from the header to the second dot. */
	if (token_hmac(key, keylen, p->hdr, p->hdrlen + 1 + p->paylen, want) != 0)
		return JWT_INTERNAL;
	if (CRYPTO_memcmp(want, got, sizeof(want)) == 0)
		ret = JWT_OK;
	OPENSSL_cleanse(want, sizeof(want));
	return ret;
}

int jwt_hs256_signature_ok(const char *token, const unsigned char *key, size_t keylen)
{
	struct jwt_parts p;

	if (key == NULL || jwt_split(token, &p) != 0)
		return 0;
	return jwt_check_signature(&p, key, keylen) == JWT_OK;
}

/* "sub": decimal digits only, no leading zero, 1..INT64_MAX. 0, or -1. */
static int jwt_parse_sub(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	if (len == 0 || len > 19 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		int d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/*
 * A time claim: a JSON integer (not a double, not a string) in 0..INT64_MAX-1;
 * json-c saturates out-of-range integers, so INT64_MAX itself is refused too.
 */
static int jwt_time_claim(json_object *v, int64_t *out)
{
	int64_t t;

	if (!json_object_is_type(v, json_type_int))
		return -1;
	t = json_object_get_int64(v);
	if (t < 0 || t == INT64_MAX)
		return -1;
	*out = t;
	return 0;
}

/* An optional id claim (sid, jti) into out[JWT_ID_MAX + 1]: absent "", else base64url text. 0, or -1. */
static int jwt_id_claim(json_object *pay, const char *name, char *out)
{
	json_object *v = NULL;
	const char *s;
	size_t len;

	out[0] = '\0';
	if (!json_object_object_get_ex(pay, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len > JWT_ID_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != len)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

static enum jwt_err jwt_check_claims(const struct jwt_parts *p, time_t now, struct jwt_claims *c)
{
	json_object *pay = NULL, *v = NULL;
	enum jwt_err ret = JWT_MALFORMED;
	int64_t nbf = 0;
	int has_nbf = 0;
	int64_t now64 = (int64_t)now;

	pay = jwt_parse_part(p->pay, p->paylen);
	if (pay == NULL)
		goto out;
	if (!json_object_object_get_ex(pay, "sub", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    jwt_parse_sub(json_object_get_string(v), (size_t)json_object_get_string_len(v),
	                  &c->sub) != 0)
		goto out;
	if (!json_object_object_get_ex(pay, "iat", &v) || jwt_time_claim(v, &c->iat) != 0)
		goto out;
	if (!json_object_object_get_ex(pay, "exp", &v) || jwt_time_claim(v, &c->exp) != 0)
		goto out;
	if (json_object_object_get_ex(pay, "nbf", &v)) {
		if (jwt_time_claim(v, &nbf) != 0)
			goto out;
		has_nbf = 1;
	}
	if (json_object_object_get_ex(pay, "email", &v)) {
		size_t len;

		if (!json_object_is_type(v, json_type_string))
			goto out;
		len = (size_t)json_object_get_string_len(v);
		if (len > JWT_EMAIL_MAX || strlen(json_object_get_string(v)) != len)
			goto out;
		memcpy(c->email, json_object_get_string(v), len);
		c->email[len] = '\0';
	}
	if (jwt_id_claim(pay, "sid", c->sid) != 0 || jwt_id_claim(pay, "jti", c->jti) != 0)
		goto out;
	/*
	 * A lifetime no token of ours has: exp not after iat, or more than
	 * JWT_MAX_LIFETIME after it (the times are >= 0, so nothing overflows).
	 */
	if (c->exp <= c->iat || c->exp - c->iat > JWT_MAX_LIFETIME)
		goto out;
	/* Written so that nothing overflows: the times are below INT64_MAX, now is small. */
	if (c->exp <= now64 - JWT_LEEWAY) {
		ret = JWT_EXPIRED;
		goto out;
	}
	if (c->iat > now64 + JWT_LEEWAY || (has_nbf && nbf > now64 + JWT_LEEWAY)) {
		ret = JWT_NOT_YET_VALID;
		goto out;
	}
	ret = JWT_OK;
out:
	json_object_put(pay);
	return ret;
}

enum jwt_err jwt_verify(const char *token, const unsigned char *key, size_t keylen, time_t now,
                        struct jwt_claims *c)
{
	struct jwt_claims tmp;
	struct jwt_parts p;
	enum jwt_err ret;

	memset(&tmp, 0, sizeof(tmp));
	if (c != NULL)
		memset(c, 0, sizeof(*c));
	if (c == NULL)
		return JWT_INTERNAL;
	if (key == NULL || keylen < JWT_MIN_KEY) {
		log_error("jwt key shorter than %d bytes", JWT_MIN_KEY);
		return JWT_INTERNAL;
	}
	if (jwt_split(token, &p) != 0)
		return JWT_MALFORMED;
	ret = jwt_check_header(&p);
	if (ret != JWT_OK)
		return ret;
	ret = jwt_check_signature(&p, key, keylen);
	if (ret != JWT_OK)
		return ret;
	ret = jwt_check_claims(&p, now, &tmp);
	if (ret != JWT_OK)
		return ret;
	*c = tmp;
	return JWT_OK;
}

/* Appends the base64url of len bytes to b. 0, or -1. */
static int jwt_append_b64url(struct buf *b, const void *data, size_t len)
{
	char enc[B64_ENCODED_SIZE(JWT_MAX_LEN)];
	long n;

	if (len > JWT_MAX_LEN)
		return -1;
	n = b64url_encode(data, len, enc, sizeof(enc));
	if (n < 0)
		return -1;
	return buf_append(b, enc, (size_t)n);
}

/* Adds val (owned, may be NULL after a failed allocation) to obj. 0, or -1. */
static int jwt_add(json_object *obj, const char *name, json_object *val)
{
	if (val == NULL)
		return -1;
	if (json_object_object_add(obj, name, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

enum jwt_err jwt_sign(const struct jwt_claims *c, const unsigned char *key, size_t keylen,
                      char **out)
{
	unsigned char mac[TOKEN_DIGEST_LEN];
	char sub[24];
	json_object *pay = NULL;
	const char *json;
	size_t emaillen;
	struct buf b;
	enum jwt_err ret = JWT_INTERNAL;
	int n;

	buf_init(&b, JWT_MAX_LEN);
	if (out == NULL)
		goto out;
	*out = NULL;
	if (key == NULL || keylen < JWT_MIN_KEY) {
		log_error("jwt key shorter than %d bytes", JWT_MIN_KEY);
		goto out;
	}
	if (c == NULL || c->sub <= 0 || c->iat < 0 || c->exp < 0)
		goto out;
	emaillen = strnlen(c->email, sizeof(c->email));
	if (emaillen > JWT_EMAIL_MAX)
		goto out;
	n = snprintf(sub, sizeof(sub), "%" PRId64, c->sub);
	if (n < 0 || (size_t)n >= sizeof(sub))
		goto out;

	pay = json_object_new_object();
	if (pay == NULL || jwt_add(pay, "sub", json_object_new_string_len(sub, n)) != 0 ||
	    jwt_add(pay, "email", json_object_new_string_len(c->email, (int)emaillen)) != 0 ||
	    jwt_add(pay, "iat", json_object_new_int64(c->iat)) != 0 ||
	    jwt_add(pay, "exp", json_object_new_int64(c->exp)) != 0)
		goto out;
	if (c->sid[0] != '\0' && jwt_add(pay, "sid", json_object_new_string(c->sid)) != 0)
		goto out;
	if (c->jti[0] != '\0' && jwt_add(pay, "jti", json_object_new_string(c->jti)) != 0)
		goto out;
	json = json_object_to_json_string_ext(pay, JSON_C_TO_STRING_PLAIN |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE);
	if (json == NULL)
		goto out;

	if (jwt_append_b64url(&b, jwt_header_json, sizeof(jwt_header_json) - 1) != 0 ||
	    buf_append(&b, ".", 1) != 0 || jwt_append_b64url(&b, json, strlen(json)) != 0)
		goto out;
	if (token_hmac(key, keylen, b.data, b.len, mac) != 0)
		goto out;
	if (buf_append(&b, ".", 1) != 0 || jwt_append_b64url(&b, mac, sizeof(mac)) != 0)
		goto out;
	*out = buf_detach(&b, NULL);
	if (*out == NULL)
		goto out;
	ret = JWT_OK;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	json_object_put(pay);
	buf_release(&b);
	return ret;
}
