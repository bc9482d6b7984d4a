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
#include "mfa_check.h"
#include "mfa_secret.h"
#include "otpauth.h"
#include "reauth.h"
#include "secret.h"
#include "token.h"
#include "totp.h"

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

/* 1 if code is TOKEN_OTP_LEN ASCII digits whose digest is want (hex), else 0; -1 on a fault. */
static int mfa_email_code_ok(const struct conf_keys *keys, int64_t user_id, const char *code,
                             const char *want_hex)
{
	unsigned char digest[TOKEN_DIGEST_LEN];
	unsigned char *want = NULL;
	size_t want_len = 0;
	int ok = 0;

	if (strlen(code) != TOKEN_OTP_LEN || strspn(code, "0123456789") != TOKEN_OTP_LEN)
		return 0;
	if (hex_decode(want_hex, &want, &want_len) != 0 || want_len != TOKEN_DIGEST_LEN) {
		free(want);
		return 0;
	}
	if (token_otp_digest(keys->otp, user_id, code, digest) != 0)
		ok = -1;
	else
		ok = token_digest_equal(digest, want);
	OPENSSL_cleanse(digest, sizeof(digest));
	free(want);
	return ok;
}

enum acct_rc account_mfa_enable(PGconn *db, const struct conf *c, const struct client *cl,
                                const struct acct_token *t, time_t now,
                                const struct mfa_enable_req *r, struct acct_out *o,
                                char codes[RECOVERY_COUNT][RECOVERY_LEN + 1])
{
	int64_t user_id = t->user_id;
	const struct conf_keys *keys;
	const struct conf_keys *mk;
	PGresult *res = NULL;
	unsigned char secret[MFA_SECRET_LEN];
	unsigned char *sealed = NULL;
	size_t sealed_len = 0;
	char id_s[24];
	char step_s[24];
	int64_t last_step, step = -1;
	struct mail_vars v;
	enum acct_rc ret;
	int ok;

	memset(secret, 0, sizeof(secret));
	ret = account_profile(db, c, cl, t, now, o);
	if (ret != ACCT_OK)
		goto out;
	keys = conf_keys(c);
	mk = conf_mfa_keys(c);
	if (keys == NULL || mk == NULL) {
		ret = ACCT_ERROR;
		goto out;
	}
	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	ret = acct_begin_locked(db, o->email);
	if (ret != ACCT_OK)
		goto out;
	{
		const char *params[1] = {id_s};

		ret = acct_db(db_exec(db, ST_MFA_READ, params, 1, &res));
	}
	if (ret != ACCT_OK)
		goto out;
	if (PQntuples(res) == 0) {
		ret = ACCT_BAD_CODE; /* no setup: nothing to count */
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, MR_ENABLED), "t") == 0) {
		ret = ACCT_MFA_ON;
		goto out;
	}
	ret = mfa_row_lock_answer(res, o);
	if (ret != ACCT_OK)
		goto out;
	ok = strcmp(PQgetvalue(res, 0, MR_PENDING_LIVE), "t") == 0
	         ? mfa_email_code_ok(keys, user_id, r->email_code,
	                             PQgetvalue(res, 0, MR_PENDING_CODE))
	         : 0;
	if (ok < 0) {
		ret = ACCT_ERROR;
		goto out;
	}
	if (ok == 0) {
		/* Counted on the code's own tries only. */
		const char *params[1] = {id_s};

		ret = acct_db(db_exec(db, ST_MFA_EMAIL_FAIL, params, 1, NULL));
		if (ret == ACCT_OK)
			ret = acct_db(audit_write(db, c, AUDIT_MFA_FAILURE, user_id, o->email, cl,
			                          "email code"));
		if (ret == ACCT_OK)
			ret = acct_db(db_commit(db));
		if (ret == ACCT_OK)
			ret = ACCT_BAD_CODE;
		goto out;
	}
	last_step = strtoll(PQgetvalue(res, 0, MR_LAST_STEP), NULL, 10);
	if (hex_decode(PQgetvalue(res, 0, MR_PENDING_SEALED), &sealed, &sealed_len) != 0 ||
	    mfa_secret_open(mk->mfa_secret, user_id, sealed, sealed_len, secret) != 0) {
		log_error("account %" PRId64 ": its pending two-factor secret does not open",
		          user_id);
		ret = ACCT_ERROR;
		goto out;
	}
	ok = totp_verify(secret, sizeof(secret), now, last_step, r->code, &step);
	if (ok < 0) {
		ret = ACCT_ERROR;
		goto out;
	}
	if (ok == 0) {
		ret = mfa_code_failed(db, c, cl, user_id, id_s, o);
		goto out;
	}
	snprintf(step_s, sizeof(step_s), "%" PRId64, step);
	PQclear(res);
	res = NULL;
	{
		const char *params[2] = {id_s, step_s};

		ret = acct_db(db_exec(db, ST_MFA_ENABLE, params, 2, &res));
	}
	if (ret == ACCT_OK && PQntuples(res) == 0) {
		ret = mfa_code_failed(db, c, cl, user_id, id_s, o);
		goto out;
	}
	if (ret == ACCT_OK)
		ret = mfa_recovery_replace(db, mk, user_id, id_s, codes);
	if (ret == ACCT_OK) {
		/* The sessions opened without the second factor end; the caller's stays. */
		const char *params[2] = {id_s, t->sid};

		ret = acct_db(db_exec(db, ST_SESSION_END_OTHERS, params, 2, NULL));
	}
	if (ret == ACCT_OK) {
		memset(&v, 0, sizeof(v));
		v.to = o->email;
		v.full_name = o->is_verified ? o->full_name : NULL;
		ret = acct_db(mail_enqueue(db, c, MAIL_MFA_ENABLED, user_id, &v, &o->mail_id));
	}
	if (ret == ACCT_OK)
		ret = acct_db(audit_write(db, c, AUDIT_MFA_ENABLED, user_id, o->email, cl, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK)
		log_info("account %" PRId64 ": two-factor sign-in enabled", user_id);
out:
	acct_end(db, ret, o);
	if (ret != ACCT_OK)
		OPENSSL_cleanse(codes, sizeof(char[RECOVERY_COUNT][RECOVERY_LEN + 1]));
	PQclear(res);
	OPENSSL_cleanse(secret, sizeof(secret));
	free(sealed);
	return ret;
}
