/* account.h: sign-up, verify-otp, resend-otp. */
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
#include "limit.h"
#include "log.h"
#include "pw.h"
#include "token.h"

#define OTP_MAX_ATTEMPTS 5

/*
 * A sign-up of an address that has an account, inside the open transaction
 * (the caller commits): always 409. A verified account or one made within
 * ACCT_DOUBLE_SUBMIT_SECONDS (a double submit) changes nothing; an older
 * unverified one loses its code for good and its address gets a reset link,
 * so only whoever reads that mail chooses the password. DB_OK or a db_rc.
 */
static int acct_signup_taken(PGconn *db, const struct conf *c, const struct client *cl,
                             const struct user *u, const char *email, int64_t *mail_id)
{
	char id_s[24];
	const char *params[1] = {id_s};
	const char *what;
	int rc;

	if (u->verified || u->recent) {
		what = u->verified ? "already registered" : "double submit";
		return audit_write(db, c, AUDIT_SIGNUP, u->id, email, cl, what);
	}
	snprintf(id_s, sizeof(id_s), "%" PRId64, u->id);
	rc = db_exec(db, ST_USER_DISABLE_OTP, params, 1, NULL);
	if (rc == DB_OK)
		rc = db_exec(db, ST_OTP_DELETE, params, 1, NULL);
	if (rc == DB_OK)
		rc = acct_new_reset(db, c, u, email, 1, mail_id);
	if (rc == DB_OK)
		rc = audit_write(db, c, AUDIT_SIGNUP, u->id, email, cl, "unverified, codes ended");
	if (rc == DB_OK && *mail_id > 0)
		rc = audit_write(db, c, AUDIT_RESET_REQUESTED, u->id, email, cl, "second signup");
	if (rc == DB_OK)
		log_info("account %" PRId64 " signed up again: codes ended%s", u->id,
		         *mail_id > 0 ? ", reset link sent" : "");
	return rc;
}

enum acct_rc account_signup(PGconn *db, const struct conf *c, const struct client *cl,
                            const struct signup_req *r, struct acct_out *o)
{
	struct pw_cost cost;
	struct user u;
	struct limit_hit hit;
	char *hash = NULL;
	int64_t id = 0;
	PGresult *res = NULL;
	enum acct_rc ret = ACCT_ERROR;
	int found;
	int rc;

	memset(&u, 0, sizeof(u));
	ret = acct_client_take(db, c, cl, LIMIT_SCOPE_SIGNUP, r->email, &hit, o);
	if (ret != ACCT_OK)
		goto out;
	ret = ACCT_ERROR;
	/* The slow hash is made before any lock is held. */
	if (pw_hash(r->password, strlen(r->password), acct_pw(c, &cost), &hash) != 0)
		goto out;
	rc = acct_begin_locked(db, r->email);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	found = acct_user_by_email(db, r->email, &u);
	if (found < 0) {
		ret = acct_fault(found);
		goto out;
	}
	if (found) {
		rc = acct_signup_taken(db, c, cl, &u, r->email, &o->mail_id);
		if (rc == DB_OK)
			rc = db_commit(db);
		if (rc != DB_OK) {
			o->mail_id = 0;
			ret = acct_fault(rc);
			goto out;
		}
		ret = ACCT_EMAIL_TAKEN;
		goto out;
	}
	/* A new address may still have mail of an account that was deleted. */
	rc = limit_otp_mail(db, r->email, &o->retry_after);
	if (rc != 0) {
		ret = rc == 1 ? ACCT_LIMITED : acct_fault(rc);
		o->limit_detail = DETAIL_OTP_LIMIT;
		goto out;
	}
	{
		const char *params[3] = {r->email, r->full_name, hash};

		rc = db_exec(db, ST_USER_INSERT, params, 3, &res);
		if (rc == DB_OK)
			id = strtoll(PQgetvalue(res, 0, SQL_ONLY_COL), NULL, 10);
	}
	if (rc == DB_OK)
		rc = acct_new_otp(db, c, id, r->email, 0, &o->mail_id);
	if (rc == DB_OK)
		rc = audit_write(db, c, AUDIT_SIGNUP, id, r->email, cl, "new");
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		o->mail_id = 0;
		ret = acct_fault(rc);
		goto out;
	}
	log_info("account %" PRId64 " created, verification code queued", id);
	ret = ACCT_OK;
out:
	db_rollback(db);
	PQclear(res);
	acct_user_release(&u);
	free(hash);
	return ret;
}

enum acct_rc account_verify_otp(PGconn *db, const struct conf *c, const struct client *cl,
                                const struct verify_req *r, time_t now, struct acct_out *o)
{
	struct user u;
	struct limit_hit hit;
	char id_s[24];
	const char *params[1] = {id_s};
	PGresult *res = NULL;
	unsigned char got[TOKEN_DIGEST_LEN];
	char got_hex[2 * TOKEN_DIGEST_LEN + 1];
	const char *want_hex;
	const struct conf_keys *keys;
	enum acct_rc ret = ACCT_ERROR;
	int found;
	int rc;

	memset(&u, 0, sizeof(u));
	/* A failure is counted before any work, and given back if it was none. */
	ret = acct_client_take(db, c, cl, LIMIT_SCOPE_VERIFY_OTP, r->email, &hit, o);
	if (ret != ACCT_OK)
		goto out;
	ret = ACCT_ERROR;
	rc = acct_begin_locked(db, r->email);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	found = acct_user_by_email(db, r->email, &u);
	if (found < 0) {
		ret = acct_fault(found);
		goto out;
	}
	if (found == 0)
		goto bad_otp;
	if (u.verified) {
		rc = limit_client_give_back(db, LIMIT_SCOPE_VERIFY_OTP, acct_key(cl), &hit);
		if (rc == DB_OK)
			rc = db_commit(db);
		ret = rc == DB_OK ? ACCT_ALREADY_VERIFIED : acct_fault(rc);
		goto out;
	}
	snprintf(id_s, sizeof(id_s), "%" PRId64, u.id);
	rc = db_exec(db, ST_OTP_GET, params, 1, &res);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, OG_LIVE), "t") != 0 ||
	    strtol(PQgetvalue(res, 0, OG_ATTEMPTS), NULL, 10) >= OTP_MAX_ATTEMPTS)
		goto bad_otp;
	want_hex = PQgetvalue(res, 0, OG_CODE_HASH_HEX);
	keys = conf_keys(c);
	if (keys == NULL || token_otp_digest(keys->otp, u.id, r->otp, got) != 0)
		goto out;
	token_hex(got, got_hex);
	/* Both are 64 lower-case hex digits (the column is 32 bytes): compared in constant time. */
	if (strlen(want_hex) != sizeof(got_hex) - 1 ||
	    CRYPTO_memcmp(want_hex, got_hex, sizeof(got_hex) - 1) != 0) {
		rc = db_exec(db, ST_OTP_FAIL, params, 1, NULL);
		if (rc != DB_OK) {
			ret = acct_fault(rc);
			goto out;
		}
		goto bad_otp;
	}
	rc = db_exec(db, ST_USER_SET_VERIFIED, params, 1, NULL);
	if (rc == DB_OK)
		rc = db_exec(db, ST_OTP_DELETE, params, 1, NULL);
	if (rc == DB_OK)
		rc = limit_login_succeeded(db, r->email, acct_login_client(cl), u.id);
	if (rc == DB_OK)
		rc = audit_write(db, c, AUDIT_OTP_VERIFIED, u.id, r->email, cl, NULL);
	if (rc == DB_OK)
		rc = limit_client_give_back(db, LIMIT_SCOPE_VERIFY_OTP, acct_key(cl), &hit);
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	log_info("account %" PRId64 " verified", u.id);
	if (acct_issue_token(c, u.id, r->email, u.token_min_iat, now, &o->access_token) != 0)
		goto out;
	ret = ACCT_OK;
	goto out;
bad_otp:
	/* Wrong, expired, spent or dead code, or unknown email: the failure taken stays counted. */
	rc = db_commit(db);
	ret = rc == DB_OK ? ACCT_BAD_OTP : acct_fault(rc);
out:
	db_rollback(db);
	PQclear(res);
	acct_user_release(&u);
	return ret;
}

enum acct_rc account_resend_otp(PGconn *db, const struct conf *c, const struct client *cl,
                                const struct email_req *r, struct acct_out *o)
{
	struct user u;
	struct limit_hit hit;
	enum acct_rc ret = ACCT_ERROR;
	int found;
	int rc;

	memset(&u, 0, sizeof(u));
	ret = acct_client_take(db, c, cl, LIMIT_SCOPE_RESEND_OTP, r->email, &hit, o);
	if (ret != ACCT_OK)
		goto out;
	ret = ACCT_ERROR;
	rc = acct_begin_locked(db, r->email);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	found = acct_user_by_email(db, r->email, &u);
	if (found < 0) {
		ret = acct_fault(found);
		goto out;
	}
	/* The cap is read whatever the address, so the time does not tell. */
	rc = limit_otp_mail(db, r->email, &o->retry_after);
	if (rc < 0) {
		ret = acct_fault(rc);
		goto out;
	}
	/* Unknown, verified, or its codes ended by a second sign-up: nothing to
	 * send, and nothing said about it; the same work, though. */
	if (found == 0 || u.verified || u.otp_disabled) {
		o->retry_after = 0;
		rc = acct_new_otp(db, c, 0, r->email, 1, &o->mail_id);
		if (rc == DB_OK)
			rc = audit_write(db, c, AUDIT_OTP_REQUESTED, found ? u.id : 0, r->email, cl,
			                 found ? "none due" : "no account");
		if (rc == DB_OK)
			rc = db_commit(db);
		ret = rc == DB_OK ? ACCT_OK : acct_fault(rc);
		goto out;
	}
	if (rc != 0) {
		ret = rc == 1 ? ACCT_LIMITED : acct_fault(rc);
		o->limit_detail = DETAIL_OTP_LIMIT;
		goto out;
	}
	rc = acct_new_otp(db, c, u.id, r->email, 0, &o->mail_id);
	if (rc == DB_OK)
		rc = audit_write(db, c, AUDIT_OTP_REQUESTED, u.id, r->email, cl, NULL);
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		o->mail_id = 0;
		ret = acct_fault(rc);
		goto out;
	}
	log_info("account %" PRId64 ", new verification code queued", u.id);
	ret = ACCT_OK;
out:
	db_rollback(db);
	acct_user_release(&u);
	return ret;
}
