/* account_mfa.h: POST /auth/mfa/verify, the second step of a sign-in with MFA on. */
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
#include "limit.h"
#include "log.h"
#include "mail.h"
#include "mfa_check.h"
#include "sql.h"
#include "token.h"

/*
 * The account of the live mfa_token whose digest is hash_hex: *user_id and
 * o->email. ACCT_OK, ACCT_BAD_MFA_TOKEN, or a fault.
 */
static enum acct_rc mfa_token_account(PGconn *db, const char *hash_hex, int64_t *user_id,
                                      struct acct_out *o)
{
	const char *params[1] = {hash_hex};
	PGresult *res = NULL;
	enum acct_rc ret;

	ret = acct_db(db_exec(db, ST_MFA_TOKEN_FIND, params, 1, &res));
	if (ret == ACCT_OK && PQntuples(res) != 1)
		ret = ACCT_BAD_MFA_TOKEN;
	if (ret == ACCT_OK) {
		*user_id = strtoll(PQgetvalue(res, 0, MT_USER_ID), NULL, 10);
		o->email = strdup(PQgetvalue(res, 0, MT_EMAIL));
		if (o->email == NULL) {
			log_error("out of memory");
			ret = ACCT_ERROR;
		}
	}
	PQclear(res);
	return ret;
}

/* What a right code leaves behind, in the open transaction: see account_mfa_verify(). */
static enum acct_rc mfa_verified(PGconn *db, const struct conf *c, const struct client *cl,
                                 const struct user *u, const char *id_s, const char *token_id,
                                 enum mfa_code_rc how, int left, time_t now, struct acct_out *o)
{
	struct mail_vars v;
	enum acct_rc ret;

	{
		const char *params[2] = {token_id, id_s};

		ret = acct_db(db_exec(db, ST_MFA_TOKEN_USE, params, 2, NULL));
	}
	if (ret == ACCT_OK)
		ret = acct_db(limit_login_succeeded(db, o->email, acct_login_client(cl), u->id));
	if (ret == ACCT_OK && how == MFA_CODE_RECOVERY) {
		memset(&v, 0, sizeof(v));
		v.to = o->email;
		v.full_name = o->full_name;
		v.codes_left = left;
		ret = acct_db(mail_enqueue(db, c, MAIL_MFA_RECOVERY_USED, u->id, &v, &o->mail_id));
		if (ret == ACCT_OK)
			ret = acct_db(
			    audit_write(db, c, AUDIT_MFA_RECOVERY_USED, u->id, o->email, cl, NULL));
	}
	if (ret == ACCT_OK)
		ret = acct_db(audit_write(db, c, AUDIT_MFA_VERIFIED, u->id, o->email, cl,
		                          how == MFA_CODE_RECOVERY ? "recovery code" : NULL));
	if (ret == ACCT_OK)
		ret = acct_db(session_start(db, c, cl, u->id, o->email, u->token_min_iat, 0, now,
		                            &o->tokens));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK)
		log_info("account %" PRId64 ": second factor passed (%s), session started", u->id,
		         how == MFA_CODE_RECOVERY ? "recovery code" : "TOTP");
	return ret;
}

enum acct_rc account_mfa_verify(PGconn *db, const struct conf *c, const struct client *cl,
                                time_t now, const struct mfa_verify_req *r, struct acct_out *o)
{
	const struct conf_keys *mk;
	struct user u;
	PGresult *res = NULL;
	unsigned char d[TOKEN_DIGEST_LEN];
	char hash_hex[2 * TOKEN_DIGEST_LEN + 1];
	char id_s[24];
	char token_id[24];
	int64_t user_id = 0;
	int64_t last_step;
	enum mfa_code_rc how;
	enum acct_rc ret;
	int left = 0;

	memset(&u, 0, sizeof(u));
	memset(hash_hex, 0, sizeof(hash_hex));
	mk = conf_mfa_keys(c);
	if (mk == NULL) {
		ret = ACCT_ERROR;
		goto out;
	}
	if (strlen(r->mfa_token) != TOKEN_RESET_LEN) {
		ret = ACCT_BAD_MFA_TOKEN; /* not one of ours: nothing to look up */
		goto out;
	}
	token_sha256(r->mfa_token, TOKEN_RESET_LEN, d);
	token_hex(d, hash_hex);
	ret = mfa_token_account(db, hash_hex, &user_id, o);
	if (ret != ACCT_OK)
		goto out;
	ret = acct_lock_find(db, o->email, &u);
	if (ret != ACCT_OK)
		goto out;
	if (u.id != user_id || !u.verified) {
		ret = ACCT_BAD_MFA_TOKEN; /* the account changed its address or went meanwhile */
		goto out;
	}
	o->full_name = strdup(u.full_name);
	if (o->full_name == NULL) {
		log_error("out of memory");
		ret = ACCT_ERROR;
		goto out;
	}
	o->is_verified = 1;
	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	{
		int rc = limit_login_locked(db, o->email, acct_login_client(cl), user_id,
		                            &o->retry_after);

		if (rc == 1) {
			o->limit_detail = DETAIL_LOGIN_LIMIT;
			ret = ACCT_LIMITED;
			goto out;
		}
		ret = acct_db(rc);
	}
	if (ret != ACCT_OK)
		goto out;
	{
		const char *params[1] = {id_s};

		ret = acct_db(db_exec(db, ST_MFA_READ, params, 1, &res));
	}
	if (ret != ACCT_OK)
		goto out;
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, MR_ENABLED), "t") != 0) {
		ret = ACCT_BAD_MFA_TOKEN; /* MFA went off: its tokens are dead */
		goto out;
	}
	ret = mfa_row_lock_answer(res, o);
	if (ret != ACCT_OK)
		goto out;
	{
		const char *params[2] = {hash_hex, id_s};
		PGresult *tr = NULL;

		ret = acct_db(db_exec(db, ST_MFA_TOKEN_TRY, params, 2, &tr));
		if (ret == ACCT_OK && PQntuples(tr) != 1)
			ret = ACCT_BAD_MFA_TOKEN; /* spent or used by a request that ran first */
		if (ret == ACCT_OK)
			snprintf(token_id, sizeof(token_id), "%s", PQgetvalue(tr, 0, SQL_ONLY_COL));
		PQclear(tr);
	}
	if (ret != ACCT_OK)
		goto out;
	last_step = strtoll(PQgetvalue(res, 0, MR_LAST_STEP), NULL, 10);
	how = mfa_code_accept(db, mk, user_id, id_s, PQgetvalue(res, 0, MR_SECRET_SEALED),
	                      last_step, now, r->code, &left);
	if (how == MFA_CODE_FAULT) {
		ret = ACCT_ERROR;
		goto out;
	}
	if (how == MFA_CODE_WRONG) {
		ret = mfa_code_failed(db, c, cl, user_id, id_s, o);
		goto out;
	}
	ret = mfa_verified(db, c, cl, &u, id_s, token_id, how, left, now, o);
out:
	acct_end(db, ret, o);
	PQclear(res);
	OPENSSL_cleanse(hash_hex, sizeof(hash_hex));
	OPENSSL_cleanse(d, sizeof(d));
	acct_user_release(&u);
	return ret;
}
