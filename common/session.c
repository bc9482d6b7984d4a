/* session.h: sessions, their tokens, and the token answer's parts. */
#include "session.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "db.h"
#include "jwt.h"
#include "log.h"
#include "secret.h"

/* The label under which the successors' key is derived from JWT_SECRET_KEY. */
#define SESSION_SUCCESSOR_LABEL "medicalcare refresh-token successor v1"

void session_tokens_release(struct session_tokens *t)
{
	secret_free_str(t->access_token);
	OPENSSL_cleanse(t, sizeof(*t));
	memset(t, 0, sizeof(*t));
}

/* A random id of SESSION_ID_BYTES as base64url into out[SESSION_ID_LEN + 1]. 0, or -1. */
static int session_random_id(char out[SESSION_ID_LEN + 1])
{
	unsigned char raw[SESSION_ID_BYTES];
	long n;

	if (token_random(raw, sizeof(raw)) != 0)
		return -1;
	n = b64url_encode(raw, sizeof(raw), out, SESSION_ID_LEN + 1);
	OPENSSL_cleanse(raw, sizeof(raw));
	return n == SESSION_ID_LEN ? 0 : -1;
}

int session_sign(const struct conf *c, int64_t user_id, const char *email, int64_t token_min_iat,
                 const char *sid, time_t now, char **out)
{
	struct jwt_claims cl;
	enum jwt_err e;

	*out = NULL;
	memset(&cl, 0, sizeof(cl));
	cl.sub = user_id;
	snprintf(cl.email, sizeof(cl.email), "%s", email);
	snprintf(cl.sid, sizeof(cl.sid), "%s", sid != NULL ? sid : "");
	if (session_random_id(cl.jti) != 0)
		return -1;
	/* A token must never predate the account's revocation point, even
	 * when it is issued in the same second as a reset or a logout. */
	cl.iat = (int64_t)now > token_min_iat ? (int64_t)now : token_min_iat;
	cl.exp = cl.iat + (int64_t)c->jwt_expire_minutes * 60;
	e = jwt_sign(&cl, c->jwt_secret, c->jwt_secret_len, out);
	if (e != JWT_OK) {
		log_error("could not sign access token: %s", jwt_strerror(e));
		return -1;
	}
	return 0;
}

int session_successor(const struct conf *c, const char *tok, char out[SESSION_REFRESH_LEN + 1])
{
	unsigned char key[TOKEN_DIGEST_LEN];
	unsigned char d[TOKEN_DIGEST_LEN];
	int ret = -1;

	out[0] = '\0';
	if (token_hmac(c->jwt_secret, c->jwt_secret_len, SESSION_SUCCESSOR_LABEL,
	               sizeof(SESSION_SUCCESSOR_LABEL) - 1, key) != 0 ||
	    token_hmac(key, sizeof(key), tok, strlen(tok), d) != 0)
		goto out;
	if (b64url_encode(d, sizeof(d), out, SESSION_REFRESH_LEN + 1) != SESSION_REFRESH_LEN)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		log_error("could not derive a refresh token");
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(d, sizeof(d));
	return ret;
}

void session_refresh_digest(const char *tok, char out[2 * TOKEN_DIGEST_LEN + 1])
{
	unsigned char d[TOKEN_DIGEST_LEN];

	token_sha256(tok, strlen(tok), d);
	token_hex(d, out);
}

int session_refresh_well_formed(const char *tok)
{
	return tok != NULL && strlen(tok) == SESSION_REFRESH_LEN &&
	       strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	           SESSION_REFRESH_LEN;
}

int session_legacy_ok(const struct conf *c, time_t now)
{
	return c->legacy_tokens_until != NULL && c->legacy_tokens_until_t > (int64_t)now;
}

int session_start(PGconn *db, const struct conf *c, const struct client *cl, int64_t user_id,
                  const char *email, int64_t token_min_iat, int64_t started, time_t now,
                  struct session_tokens *out)
{
	char id_s[24];
	char start_s[24];
	char hex[2 * TOKEN_DIGEST_LEN + 1];
	const char *params[6];
	int rc;

	memset(out, 0, sizeof(*out));
	if (session_random_id(out->sid) != 0 || token_reset_new(out->refresh_token) != 0)
		return DB_ERROR;
	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	snprintf(start_s, sizeof(start_s), "%" PRId64, started);
	session_refresh_digest(out->refresh_token, hex);
	params[0] = out->sid;
	params[1] = id_s;
	params[2] = started > 0 ? start_s : NULL;
	params[3] = cl != NULL && cl->user_agent[0] != '\0' ? cl->user_agent : NULL;
	params[4] = cl != NULL && cl->addr[0] != '\0' ? cl->addr : NULL;
	params[5] = hex;
	rc = db_exec(db, ST_SESSION_START, params, 6, NULL);
	if (rc != DB_OK)
		return rc;
	if (session_sign(c, user_id, email, token_min_iat, out->sid, now, &out->access_token) != 0)
		return DB_ERROR;
	out->expires_in = c->jwt_expire_minutes * 60;
	return DB_OK;
}
