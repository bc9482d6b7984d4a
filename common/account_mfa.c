#include "account_mfa.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "conf_keys.h"
#include "db.h"
#include "hex.h"
#include "limit.h"
#include "log.h"
#include "mail.h"
#include "mfa_secret.h"
#include "otpauth.h"
#include "reauth.h"
#include "secret.h"
#include "token.h"

void mfa_setup_out_release(struct mfa_setup_out *o)
{
	secret_free_str(o->secret);
	secret_free_str(o->otpauth_uri);
	memset(o, 0, sizeof(*o));
}

/*
 * The pending secret of account user_id sealed, as hex, into *sealed_hex
 * (caller frees), and what the owner is shown into s. ACCT_OK or ACCT_ERROR
 * (logged).
 */
static enum acct_rc mfa_new_pending(const struct conf *c, const struct conf_keys *mk,
                                    int64_t user_id, const char *email, char **sealed_hex,
                                    struct mfa_setup_out *s)
{
	unsigned char secret[MFA_SECRET_LEN];
	unsigned char *sealed = NULL;
	enum acct_rc ret = ACCT_ERROR;

	*sealed_hex = NULL;
	if (mfa_secret_new(secret) != 0 ||
	    mfa_secret_seal(mk->mfa_secret, user_id, secret, &sealed) != 0)
		goto out;
	*sealed_hex = malloc(2 * MFA_SECRET_SEALED_LEN + 1);
	if (*sealed_hex == NULL) {
		log_error("out of memory");
		goto out;
	}
	hex_encode(sealed, MFA_SECRET_SEALED_LEN, *sealed_hex);
	if (otpauth_base32(secret, sizeof(secret), &s->secret) != 0 ||
	    otpauth_uri(mail_app_name(c), email, secret, sizeof(secret), &s->otpauth_uri) != 0) {
		log_error("could not show a two-factor secret");
		goto out;
	}
	ret = ACCT_OK;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	free(sealed);
	if (ret != ACCT_OK) {
		free(*sealed_hex);
		*sealed_hex = NULL;
		mfa_setup_out_release(s);
	}
	return ret;
}

enum acct_rc account_mfa_setup(PGconn *db, const struct conf *c, const struct client *cl,
                               const struct acct_token *t, time_t now, const struct password_req *r,
                               struct acct_out *o, struct mfa_setup_out *s)
{
	int64_t user_id = t->user_id;
	const struct conf_keys *keys;
	const struct conf_keys *mk;
	struct user u;
	struct user cur;
	PGresult *res = NULL;
	char *sealed_hex = NULL;
	char code[TOKEN_OTP_LEN + 1];
	unsigned char digest[TOKEN_DIGEST_LEN];
	char digest_hex[2 * TOKEN_DIGEST_LEN + 1];
	char id_s[24];
	char mins[16];
	struct mail_vars v;
	enum acct_rc ret;
	int rc;

	memset(&u, 0, sizeof(u));
	memset(&cur, 0, sizeof(cur));
	memset(code, 0, sizeof(code));
	ret = account_profile(db, c, cl, t, now, o);
	if (ret != ACCT_OK)
		goto out;
	ret = reauth_password(db, c, cl, user_id, o->email, r->password, r->password_len, &u, o);
	if (ret != ACCT_OK)
		goto out;
	keys = conf_keys(c);
	mk = conf_mfa_keys(c);
	if (keys == NULL || mk == NULL) {
		ret = ACCT_ERROR;
		goto out;
	}
	ret = acct_lock_find(db, o->email, &cur);
	if (ret != ACCT_OK)
		goto out;
	if (cur.id != user_id || !acct_same_hash(cur.password_hash, u.password_hash)) {
		log_info("account %" PRId64 ": changed during a two-factor setup", user_id);
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	{
		const char *params[1] = {id_s};

		ret = acct_db(db_exec(db, ST_MFA_ENABLED, params, 1, &res));
		if (ret == ACCT_OK && strcmp(PQgetvalue(res, 0, SQL_ONLY_COL), "0") != 0)
			ret = ACCT_MFA_ON;
		PQclear(res);
		res = NULL;
	}
	if (ret != ACCT_OK)
		goto out;
	rc = limit_mfa_mail(db, o->email, &o->retry_after);
	if (rc == 1) {
		o->limit_detail = DETAIL_OTP_LIMIT;
		ret = ACCT_LIMITED;
		goto out;
	}
	ret = acct_db(rc);
	if (ret != ACCT_OK)
		goto out;
	ret = mfa_new_pending(c, mk, user_id, o->email, &sealed_hex, s);
	if (ret != ACCT_OK)
		goto out;
	if (token_otp_new(code) != 0 || token_otp_digest(keys->otp, user_id, code, digest) != 0) {
		ret = ACCT_ERROR;
		goto out;
	}
	token_hex(digest, digest_hex);
	snprintf(mins, sizeof(mins), "%d", c->otp_expire_minutes);
	{
		const char *params[4] = {id_s, sealed_hex, digest_hex, mins};

		ret = acct_db(db_exec(db, ST_MFA_SET_PENDING, params, 4, &res));
		if (ret == ACCT_OK && PQntuples(res) == 0)
			ret = ACCT_MFA_ON;
	}
	if (ret == ACCT_OK) {
		memset(&v, 0, sizeof(v));
		v.to = o->email;
		v.full_name = o->is_verified ? o->full_name : NULL;
		v.code = code;
		v.expire_minutes = c->otp_expire_minutes;
		ret = acct_db(mail_enqueue(db, c, MAIL_MFA_SETUP, user_id, &v, &o->mail_id));
	}
	if (ret == ACCT_OK)
		ret = acct_db(audit_write(db, c, AUDIT_MFA_SETUP, user_id, o->email, cl, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK)
		log_info("account %" PRId64 ": two-factor setup begun, its code mailed", user_id);
out:
	acct_end(db, ret, o);
	if (ret != ACCT_OK)
		mfa_setup_out_release(s);
	PQclear(res);
	OPENSSL_cleanse(code, sizeof(code));
	OPENSSL_cleanse(digest_hex, sizeof(digest_hex));
	secret_free_str(sealed_hex);
	acct_user_release(&u);
	acct_user_release(&cur);
	return ret;
}
