#include "mfa_check.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "db.h"
#include "hex.h"
#include "log.h"
#include "mail.h"
#include "mfa_secret.h"
#include "recovery.h"
#include "sql.h"
#include "totp.h"

int mfa_token_issue(PGconn *db, int64_t user_id, char out[TOKEN_RESET_LEN + 1])
{
	PGresult *res = NULL;
	unsigned char d[TOKEN_DIGEST_LEN];
	char hash_hex[2 * TOKEN_DIGEST_LEN + 1];
	char id_s[24];
	char secs[16];
	int on;
	int rc;

	memset(out, 0, TOKEN_RESET_LEN + 1);
	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	{
		const char *params[1] = {id_s};

		rc = db_exec(db, ST_MFA_ENABLED, params, 1, &res);
	}
	if (rc != DB_OK)
		return rc;
	on = strcmp(PQgetvalue(res, 0, SQL_ONLY_COL), "0") != 0;
	PQclear(res);
	if (!on)
		return 0;
	if (token_reset_new(out) != 0) {
		memset(out, 0, TOKEN_RESET_LEN + 1);
		return DB_ERROR;
	}
	token_sha256(out, TOKEN_RESET_LEN, d);
	token_hex(d, hash_hex);
	snprintf(secs, sizeof(secs), "%d", MFA_TOKEN_SECONDS);
	{
		const char *params[3] = {id_s, hash_hex, secs};

		rc = db_exec(db, ST_MFA_TOKEN_NEW, params, 3, NULL);
	}
	if (rc != DB_OK) {
		OPENSSL_cleanse(out, TOKEN_RESET_LEN + 1);
		return rc;
	}
	return 1;
}

/* A TOTP code: checked against the opened secret, its step recorded if later than last_step. */
static enum mfa_code_rc mfa_totp_accept(PGconn *db, const struct conf_keys *mk, int64_t user_id,
                                        const char *id_s, const char *sealed_hex, int64_t last_step,
                                        time_t now, const char *code)
{
	unsigned char secret[MFA_SECRET_LEN];
	unsigned char *sealed = NULL;
	size_t sealed_len = 0;
	PGresult *res = NULL;
	char step_s[24];
	int64_t step = -1;
	enum mfa_code_rc ret = MFA_CODE_FAULT;
	int ok;

	memset(secret, 0, sizeof(secret));
	if (hex_decode(sealed_hex, &sealed, &sealed_len) != 0 ||
	    mfa_secret_open(mk->mfa_secret, user_id, sealed, sealed_len, secret) != 0) {
		log_error("account %" PRId64 ": its two-factor secret does not open", user_id);
		goto out;
	}
	ok = totp_verify(secret, sizeof(secret), now, last_step, code, &step);
	if (ok <= 0) {
		ret = ok == 0 ? MFA_CODE_WRONG : MFA_CODE_FAULT;
		goto out;
	}
	snprintf(step_s, sizeof(step_s), "%" PRId64, step);
	{
		const char *params[2] = {id_s, step_s};

		if (db_exec(db, ST_MFA_ACCEPT, params, 2, &res) != DB_OK)
			goto out;
	}
	ret = PQntuples(res) == 1 ? MFA_CODE_TOTP : MFA_CODE_WRONG;
out:
	PQclear(res);
	OPENSSL_cleanse(secret, sizeof(secret));
	free(sealed);
	return ret;
}

/* A recovery code: spent if it is an unused one of the account. */
static enum mfa_code_rc mfa_recovery_accept(PGconn *db, const struct conf_keys *mk, int64_t user_id,
                                            const char *id_s, const char *code, int *left)
{
	char norm[RECOVERY_SYMBOLS + 1];
	unsigned char d[TOKEN_DIGEST_LEN];
	char hash_hex[2 * TOKEN_DIGEST_LEN + 1];
	PGresult *res = NULL;
	enum mfa_code_rc ret = MFA_CODE_FAULT;

	if (recovery_normalize(code, norm) != 0)
		return MFA_CODE_WRONG;
	OPENSSL_cleanse(norm, sizeof(norm));
	if (recovery_digest(mk->mfa_recovery, user_id, code, d) != 0)
		return MFA_CODE_FAULT;
	token_hex(d, hash_hex);
	{
		const char *params[2] = {id_s, hash_hex};

		if (db_exec(db, ST_MFA_RECOVERY_USE, params, 2, &res) != DB_OK)
			goto out;
	}
	if (strcmp(PQgetvalue(res, 0, MRU_USED), "1") != 0) {
		ret = MFA_CODE_WRONG;
		goto out;
	}
	*left = (int)strtol(PQgetvalue(res, 0, MRU_LEFT), NULL, 10);
	{
		const char *params[1] = {id_s};

		if (db_exec(db, ST_MFA_CLEAR, params, 1, NULL) != DB_OK)
			goto out;
	}
	ret = MFA_CODE_RECOVERY;
out:
	PQclear(res);
	OPENSSL_cleanse(hash_hex, sizeof(hash_hex));
	return ret;
}

enum mfa_code_rc mfa_code_accept(PGconn *db, const struct conf_keys *mk, int64_t user_id,
                                 const char *id_s, const char *sealed_hex, int64_t last_step,
                                 time_t now, const char *code, int *left)
{
	size_t n = strlen(code);

	if (n == TOTP_DIGITS && strspn(code, "0123456789") == n)
		return mfa_totp_accept(db, mk, user_id, id_s, sealed_hex, last_step, now, code);
	return mfa_recovery_accept(db, mk, user_id, id_s, code, left);
}

enum acct_rc mfa_code_failed(PGconn *db, const struct conf *c, const struct client *cl,
                             int64_t user_id, const char *id_s, struct acct_out *o)
{
	const char *params[1] = {id_s};
	PGresult *res = NULL;
	struct mail_vars v;
	int64_t mail_id = 0;
	int locked = 0;
	enum acct_rc ret;

	ret = acct_db(db_exec(db, ST_MFA_FAIL, params, 1, &res));
	if (ret == ACCT_OK)
		locked = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, SQL_ONLY_COL), "1") == 0;
	PQclear(res);
	if (ret == ACCT_OK)
		ret = acct_db(audit_write(db, c, AUDIT_MFA_FAILURE, user_id, o->email, cl, "code"));
	if (ret == ACCT_OK && locked) {
		memset(&v, 0, sizeof(v));
		v.to = o->email;
		v.full_name = o->is_verified ? o->full_name : NULL;
		ret = acct_db(mail_enqueue(db, c, MAIL_MFA_LOCKED, user_id, &v, &mail_id));
		if (ret == ACCT_OK)
			ret = acct_db(
			    audit_write(db, c, AUDIT_MFA_LOCKOUT, user_id, o->email, cl, NULL));
	}
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK && locked)
		log_info("account %" PRId64 ": second factor locked after wrong codes", user_id);
	return ret == ACCT_OK ? ACCT_BAD_CODE : ret;
}

enum acct_rc mfa_lock_answer(long locked_for, struct acct_out *o)
{
	if (locked_for <= 0) {
		o->retry_after = 0;
		return ACCT_OK;
	}
	o->retry_after = locked_for;
	o->limit_detail = MFA_DETAIL_LIMIT;
	return ACCT_LIMITED;
}

enum acct_rc mfa_row_lock_answer(const PGresult *res, struct acct_out *o)
{
	return mfa_lock_answer(strtol(PQgetvalue(res, 0, MR_LOCKED_FOR), NULL, 10), o);
}

int mfa_state(PGconn *db, const char *id_s, int *on, long *locked_for)
{
	const char *params[1] = {id_s};
	PGresult *res = NULL;
	int rc;

	*on = 0;
	*locked_for = 0;
	rc = db_exec(db, ST_MFA_STATE, params, 1, &res);
	if (rc == DB_OK && PQntuples(res) == 1) {
		*on = strcmp(PQgetvalue(res, 0, MS_ENABLED), "t") == 0;
		*locked_for = strtol(PQgetvalue(res, 0, MS_LOCKED_FOR), NULL, 10);
	}
	PQclear(res);
	return rc;
}

enum acct_rc mfa_code_require(PGconn *db, const struct conf *c, const struct client *cl,
                              int64_t user_id, const char *id_s, time_t now, const char *code,
                              struct acct_out *o, enum mfa_code_rc *how, int *left)
{
	const char *params[1] = {id_s};
	const struct conf_keys *mk;
	PGresult *res = NULL;
	enum acct_rc ret;

	*how = MFA_CODE_OFF;
	ret = acct_db(db_exec(db, ST_MFA_READ, params, 1, &res));
	if (ret != ACCT_OK || PQntuples(res) == 0 ||
	    strcmp(PQgetvalue(res, 0, MR_ENABLED), "t") != 0)
		goto out; /* off: nothing to check */
	ret = mfa_row_lock_answer(res, o);
	if (ret != ACCT_OK)
		goto out;
	mk = conf_mfa_keys(c);
	if (mk == NULL) {
		ret = ACCT_ERROR;
		goto out;
	}
	*how = code == NULL
	           ? MFA_CODE_WRONG
	           : mfa_code_accept(db, mk, user_id, id_s, PQgetvalue(res, 0, MR_SECRET_SEALED),
	                             strtoll(PQgetvalue(res, 0, MR_LAST_STEP), NULL, 10), now, code,
	                             left);
	if (*how == MFA_CODE_FAULT)
		ret = ACCT_ERROR;
	else if (*how == MFA_CODE_WRONG)
		ret = mfa_code_failed(db, c, cl, user_id, id_s, o);
out:
	PQclear(res);
	return ret;
}

enum acct_rc mfa_recovery_replace(PGconn *db, const struct conf_keys *mk, int64_t user_id,
                                  const char *id_s, char codes[RECOVERY_COUNT][RECOVERY_LEN + 1])
{
	unsigned char d[TOKEN_DIGEST_LEN];
	size_t step = 2 * TOKEN_DIGEST_LEN + 1;
	char *digests = NULL;
	enum acct_rc ret = ACCT_ERROR;

	if (recovery_new_set(codes) != 0)
		goto out;
	/* The digests as comma-separated hex: ST_MFA_RECOVERY_SET's second parameter. */
	digests = malloc(RECOVERY_COUNT * step);
	if (digests == NULL) {
		log_error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < RECOVERY_COUNT; i++) {
		if (recovery_digest(mk->mfa_recovery, user_id, codes[i], d) != 0)
			goto out;
		token_hex(d, digests + i * step);
		digests[i * step + step - 1] = i + 1 < RECOVERY_COUNT ? ',' : '\0';
	}
	{
		const char *params[2] = {id_s, digests};

		ret = acct_db(db_exec(db, ST_MFA_RECOVERY_SET, params, 2, NULL));
	}
out:
	if (ret != ACCT_OK)
		OPENSSL_cleanse(codes, sizeof(char[RECOVERY_COUNT][RECOVERY_LEN + 1]));
	OPENSSL_cleanse(d, sizeof(d));
	free(digests);
	return ret;
}
