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
#include "conf_keys.h"
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
 * so only whoever reads that mail chooses the password. ACCT_OK or a fault.
 */
static enum acct_rc acct_signup_taken(PGconn *db, const struct conf *c, const struct client *cl,
                                      const struct user *u, const char *email, int64_t *mail_id)
{
	char id_s[24];
	const char *params[1] = {id_s};
	const char *what;
	enum acct_rc ret;

	if (u->verified || u->recent) {
		what = u->verified ? "already registered" : "double submit";
		return acct_db(audit_write(db, c, AUDIT_SIGNUP, u->id, email, cl, what));
	}
	snprintf(id_s, sizeof(id_s), "%" PRId64, u->id);
	ret = acct_db(db_exec(db, ST_USER_DISABLE_OTP, params, 1, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(db_exec(db, ST_OTP_DELETE, params, 1, NULL));
	if (ret == ACCT_OK)
		ret = acct_new_reset(db, c, u, email, 1, mail_id);
	if (ret == ACCT_OK)
		ret = acct_db(
		    audit_write(db, c, AUDIT_SIGNUP, u->id, email, cl, "unverified, codes ended"));
	if (ret == ACCT_OK && *mail_id > 0)
		ret = acct_db(
		    audit_write(db, c, AUDIT_RESET_REQUESTED, u->id, email, cl, "second signup"));
	if (ret == ACCT_OK)
		log_info("account %" PRId64 " signed up again: codes ended%s", u->id,
		         *mail_id > 0 ? ", reset link sent" : "");
	return ret;
}

/* Whether one more code mail to email fits its caps: ACCT_OK, ACCT_LIMITED (o filled), or a fault. */
static enum acct_rc acct_otp_mail_fits(PGconn *db, const char *email, struct acct_out *o)
{
	int rc = limit_otp_mail(db, email, &o->retry_after);

	if (rc != 1)
		return acct_db(rc);
	o->limit_detail = DETAIL_OTP_LIMIT;
	return ACCT_LIMITED;
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
	enum acct_rc ret;

	memset(&u, 0, sizeof(u));
	ret = acct_client_take(db, c, cl, LIMIT_SCOPE_SIGNUP, r->email, &hit, o);
	/* The slow hash is made before any lock is held. */
	if (ret == ACCT_OK &&
	    pw_hash(r->password, strlen(r->password), acct_pw(c, &cost), &hash) != 0)
		ret = ACCT_ERROR;
	if (ret == ACCT_OK)
		ret = acct_lock_find(db, r->email, &u);
	if (ret != ACCT_OK)
		goto out;
	if (u.id > 0) {
		ret = acct_signup_taken(db, c, cl, &u, r->email, &o->mail_id);
		if (ret == ACCT_OK)
			ret = acct_db(db_commit(db));
		if (ret == ACCT_OK)
			ret = ACCT_EMAIL_TAKEN;
		goto out;
	}
	/* A new address may still have mail of an account that was deleted. */
	ret = acct_otp_mail_fits(db, r->email, o);
	if (ret == ACCT_OK) {
		const char *params[3] = {r->email, r->full_name, hash};

		ret = acct_db(db_exec(db, ST_USER_INSERT, params, 3, &res));
		if (ret == ACCT_OK)
			id = strtoll(PQgetvalue(res, 0, SQL_ONLY_COL), NULL, 10);
	}
	if (ret == ACCT_OK)
		ret = acct_new_otp(db, c, id, r->email, 0, &o->mail_id);
	if (ret == ACCT_OK)
		ret = acct_db(audit_write(db, c, AUDIT_SIGNUP, id, r->email, cl, "new"));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK)
		log_info("account %" PRId64 " created, verification code queued", id);
out:
	if (ret != ACCT_OK && ret != ACCT_EMAIL_TAKEN)
		o->mail_id = 0; /* nothing was queued for good */
	db_rollback(db);
	PQclear(res);
	acct_user_release(&u);
	free(hash);
	return ret;
}

/*
 * The code sent for account u checked, inside the open transaction: ACCT_OK
 * when it is the live code, ACCT_BAD_OTP when it is wrong (the try counted),
 * expired, spent or dead, or a fault.
 */
static enum acct_rc acct_check_otp(PGconn *db, const struct conf *c, const struct user *u,
                                   const char *otp)
{
	char id_s[24];
	const char *params[1] = {id_s};
	PGresult *res = NULL;
	unsigned char got[TOKEN_DIGEST_LEN];
	char got_hex[2 * TOKEN_DIGEST_LEN + 1];
	const char *want_hex;
	const struct conf_keys *keys = conf_keys(c);
	enum acct_rc ret;

	snprintf(id_s, sizeof(id_s), "%" PRId64, u->id);
	ret = acct_db(db_exec(db, ST_OTP_GET, params, 1, &res));
	if (ret != ACCT_OK)
		goto out;
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, OG_LIVE), "t") != 0 ||
	    strtol(PQgetvalue(res, 0, OG_ATTEMPTS), NULL, 10) >= OTP_MAX_ATTEMPTS) {
		ret = ACCT_BAD_OTP;
		goto out;
	}
	want_hex = PQgetvalue(res, 0, OG_CODE_HASH_HEX);
	if (keys == NULL || token_otp_digest(keys->otp, u->id, otp, got) != 0) {
		ret = ACCT_ERROR;
		goto out;
	}
	token_hex(got, got_hex);
	/* Both are 64 lower-case hex digits (the column is 32 bytes): compared in constant time. */
	if (strlen(want_hex) != sizeof(got_hex) - 1 ||
	    CRYPTO_memcmp(want_hex, got_hex, sizeof(got_hex) - 1) != 0) {
		ret = acct_db(db_exec(db, ST_OTP_FAIL, params, 1, NULL));
		if (ret == ACCT_OK)
			ret = ACCT_BAD_OTP;
	}
out:
	PQclear(res);
	return ret;
}

enum acct_rc account_verify_otp(PGconn *db, const struct conf *c, const struct client *cl,
                                const struct verify_req *r, time_t now, struct acct_out *o)
{
	struct user u;
	struct limit_hit hit;
	char id_s[24];
	const char *params[1] = {id_s};
	enum acct_rc ret;

	/* A failure is counted before any work, and given back if it was none. */
	ret = acct_open(db, c, cl, LIMIT_SCOPE_VERIFY_OTP, r->email, &hit, &u, o);
	if (ret != ACCT_OK)
		goto out;
	if (u.id > 0 && u.verified) {
		ret =
		    acct_db(limit_client_give_back(db, LIMIT_SCOPE_VERIFY_OTP, acct_key(cl), &hit));
		if (ret == ACCT_OK)
			ret = acct_db(db_commit(db));
		if (ret == ACCT_OK)
			ret = ACCT_ALREADY_VERIFIED;
		goto out;
	}
	ret = u.id > 0 ? acct_check_otp(db, c, &u, r->otp) : ACCT_BAD_OTP;
	if (ret == ACCT_BAD_OTP) {
		/* Wrong, expired, spent or dead code, or unknown email: the failure taken stays counted. */
		ret = acct_db(db_commit(db));
		if (ret == ACCT_OK)
			ret = ACCT_BAD_OTP;
		goto out;
	}
	snprintf(id_s, sizeof(id_s), "%" PRId64, u.id);
	if (ret == ACCT_OK)
		ret = acct_db(db_exec(db, ST_USER_SET_VERIFIED, params, 1, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(db_exec(db, ST_OTP_DELETE, params, 1, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(limit_login_succeeded(db, r->email, acct_login_client(cl), u.id));
	if (ret == ACCT_OK)
		ret = acct_db(audit_write(db, c, AUDIT_OTP_VERIFIED, u.id, r->email, cl, NULL));
	if (ret == ACCT_OK)
		ret =
		    acct_db(limit_client_give_back(db, LIMIT_SCOPE_VERIFY_OTP, acct_key(cl), &hit));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret != ACCT_OK)
		goto out;
	log_info("account %" PRId64 " verified", u.id);
	/* The session starts once the verification is committed (one statement of its own). */
	ret =
	    acct_db(session_start(db, c, cl, u.id, r->email, u.token_min_iat, 0, now, &o->tokens));
out:
	db_rollback(db);
	acct_user_release(&u);
	return ret;
}

enum acct_rc account_resend_otp(PGconn *db, const struct conf *c, const struct client *cl,
                                const struct email_req *r, struct acct_out *o)
{
	struct user u;
	struct limit_hit hit;
	enum acct_rc ret;
	int none_due;

	ret = acct_open(db, c, cl, LIMIT_SCOPE_RESEND_OTP, r->email, &hit, &u, o);
	if (ret != ACCT_OK)
		goto out;
	/* The cap is read whatever the address, so the time does not tell. */
	ret = acct_otp_mail_fits(db, r->email, o);
	if (ret != ACCT_OK && ret != ACCT_LIMITED)
		goto out;
	/* Unknown, verified, or its codes ended by a second sign-up: nothing to
	 * send, and nothing said about it; the same work, though. */
	none_due = u.id == 0 || u.verified || u.otp_disabled;
	if (none_due) {
		o->retry_after = 0;
		o->limit_detail = NULL;
		ret = acct_new_otp(db, c, 0, r->email, 1, &o->mail_id);
		if (ret == ACCT_OK)
			ret = acct_db(audit_write(db, c, AUDIT_OTP_REQUESTED, u.id, r->email, cl,
			                          u.id > 0 ? "none due" : "no account"));
		if (ret == ACCT_OK)
			ret = acct_db(db_commit(db));
		goto out;
	}
	if (ret != ACCT_OK)
		goto out; /* ACCT_LIMITED */
	ret = acct_new_otp(db, c, u.id, r->email, 0, &o->mail_id);
	if (ret == ACCT_OK)
		ret = acct_db(audit_write(db, c, AUDIT_OTP_REQUESTED, u.id, r->email, cl, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK)
		log_info("account %" PRId64 ", new verification code queued", u.id);
out:
	acct_end(db, ret, o);
	acct_user_release(&u);
	return ret;
}
