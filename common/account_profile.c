/* account.h: the result's release, access tokens and the profile, the ping. */
#include "account.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct.h"
#include "audit.h"
#include "db.h"
#include "jwt.h"
#include "limit.h"
#include "log.h"
#include "pw.h"
#include "session.h"
#include "token.h"

void acct_out_release(struct acct_out *o)
{
	session_tokens_release(&o->tokens);
	OPENSSL_cleanse(o->mfa_token, sizeof(o->mfa_token));
	free(o->full_name);
	free(o->email);
	memset(o, 0, sizeof(*o));
}

enum acct_rc account_check_token(const struct conf *c, const char *token, time_t now,
                                 struct acct_token *t, const char **why)
{
	struct jwt_claims cl;
	enum jwt_err e;

	*why = NULL;
	e = jwt_verify(token, c->jwt_secret, c->jwt_secret_len, now, &cl);
	if (e != JWT_OK) {
		*why = jwt_strerror(e);
		log_info("access token rejected: %s", *why);
		return e == JWT_INTERNAL ? ACCT_ERROR : ACCT_BAD_TOKEN;
	}
	t->user_id = cl.sub;
	t->iat = cl.iat;
	snprintf(t->sid, sizeof(t->sid), "%s", cl.sid);
	return ACCT_OK;
}

void account_token_rejected(PGconn *db, const struct conf *c, const struct client *cl,
                            int64_t user_id, const char *why)
{
	if (audit_write(db, c, AUDIT_TOKEN_REJECTED, user_id, NULL, cl, why) != DB_OK)
		log_error("could not record a token_rejected event");
}

enum acct_rc account_profile(PGconn *db, const struct conf *c, const struct client *cl,
                             const struct acct_token *t, time_t now, struct acct_out *o)
{
	char id_s[24];
	char idle[16];
	char most[16];
	const char *params[5] = {id_s, t->sid, session_legacy_ok(c, now) ? "t" : "f", idle, most};
	PGresult *res = NULL;
	enum acct_rc ret;

	snprintf(id_s, sizeof(id_s), "%" PRId64, t->user_id);
	snprintf(idle, sizeof(idle), "%d", c->session_idle_minutes);
	snprintf(most, sizeof(most), "%d", c->session_max_minutes);
	/* One round trip: the account, its revocation point and the session. */
	ret = acct_db(db_exec(db, ST_USER_BY_TOKEN, params, 5, &res));
	if (ret != ACCT_OK)
		return ret;
	if (PQntuples(res) == 0) {
		log_info("access token rejected: account %" PRId64 " is gone", t->user_id);
		account_token_rejected(db, c, cl, 0, "account gone");
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	if (t->iat < strtoll(PQgetvalue(res, 0, UBT_TOKEN_MIN_IAT), NULL, 10)) {
		log_info("access token rejected: revoked by a password reset or a logout");
		account_token_rejected(db, c, cl, t->user_id, "token revoked");
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, UBT_SESSION_LIVE), "t") != 0) {
		const char *why = t->sid[0] != '\0' ? "session ended" : "legacy token";

		log_info("access token rejected: %s", why);
		account_token_rejected(db, c, cl, t->user_id, why);
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	o->id = t->user_id;
	o->full_name = strdup(PQgetvalue(res, 0, UBT_FULL_NAME));
	o->email = strdup(PQgetvalue(res, 0, UBT_EMAIL));
	o->is_verified = strcmp(PQgetvalue(res, 0, UBT_IS_VERIFIED), "t") == 0;
	if (o->full_name == NULL || o->email == NULL) {
		log_error("out of memory");
		ret = ACCT_ERROR;
	}
out:
	PQclear(res);
	return ret;
}

enum acct_rc account_ping(PGconn *db)
{
	int rc = db_exec(db, ST_PING, NULL, 0, NULL);

	return rc == DB_OK ? ACCT_OK : ACCT_UNAVAILABLE;
}
