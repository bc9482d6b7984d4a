#include "account_self.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "mfa_check.h"
#include "pw.h"
#include "reauth.h"
#include "secret.h"
#include "session.h"

enum acct_rc account_update_name(PGconn *db, const struct conf *c, const struct client *cl,
                                 const struct acct_token *t, time_t now, const struct name_req *r,
                                 struct acct_out *o)
{
	int64_t user_id = t->user_id;
	char id_s[24];
	char iat_s[24];
	const char *params[3] = {id_s, r->full_name, iat_s};
	PGresult *res = NULL;
	enum acct_rc ret;

	ret = account_profile(db, c, cl, t, now, o);
	if (ret != ACCT_OK)
		return ret;
	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	snprintf(iat_s, sizeof(iat_s), "%" PRId64, t->iat);
	ret = acct_db(db_exec(db, ST_USER_SET_NAME, params, 3, &res));
	if (ret != ACCT_OK)
		goto out;
	if (PQntuples(res) == 0) {
		/* Deleted, or the token revoked, since it was read. */
		log_info("access token rejected: account %" PRId64 " changed during a new name",
		         user_id);
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	free(o->full_name);
	free(o->email);
	o->full_name = strdup(PQgetvalue(res, 0, USN_FULL_NAME));
	o->email = strdup(PQgetvalue(res, 0, USN_EMAIL));
	o->is_verified = strcmp(PQgetvalue(res, 0, USN_IS_VERIFIED), "t") == 0;
	if (o->full_name == NULL || o->email == NULL) {
		log_error("out of memory");
		ret = ACCT_ERROR;
		goto out;
	}
	log_info("account %" PRId64 ", name changed", user_id);
out:
	PQclear(res);
	return ret;
}

/*
 * The start time of the caller's session (Unix seconds) into *started, 0 for
 * a token without sid (the new session starts now). ACCT_OK, ACCT_BAD_TOKEN
 * when the session is gone, or a fault.
 */
static enum acct_rc self_session_start(PGconn *db, const struct acct_token *t, int64_t *started)
{
	char id_s[24];
	const char *params[2] = {t->sid, id_s};
	PGresult *res = NULL;
	enum acct_rc ret;

	*started = 0;
	if (t->sid[0] == '\0')
		return ACCT_OK;
	snprintf(id_s, sizeof(id_s), "%" PRId64, t->user_id);
	ret = acct_db(db_exec(db, ST_SESSION_STARTED, params, 2, &res));
	if (ret == ACCT_OK && PQntuples(res) == 0) {
		log_info("account %" PRId64 ": its session ended during a change of password",
		         t->user_id);
		ret = ACCT_BAD_TOKEN;
	}
	if (ret == ACCT_OK)
		*started = strtoll(PQgetvalue(res, 0, SQL_ONLY_COL), NULL, 10);
	PQclear(res);
	return ret;
}

/* The greeting's name: only a name the owner of the address set (a verified account's). */
static const char *self_greeting(const struct acct_out *o)
{
	return o->is_verified ? o->full_name : NULL;
}

/*
 * Before the password is looked at: ACCT_LIMITED (o filled) while account
 * id_s has two-factor sign-in on and its second-factor lock holds; else
 * ACCT_OK (MFA off: the lock is not this flow's), or a fault.
 */
static enum acct_rc self_mfa_lock(PGconn *db, const char *id_s, struct acct_out *o)
{
	long locked_for = 0;
	int on = 0;
	enum acct_rc ret = acct_db(mfa_state(db, id_s, &on, &locked_for));

	if (ret != ACCT_OK || !on)
		return ret;
	return mfa_lock_answer(locked_for, o);
}

/*
 * In the flow's transaction under the address's lock: the code two-factor
 * sign-in asks (mfa_code_require(); nothing with MFA off). A recovery code's
 * use is an mfa_recovery_used event (detail what), and with notice its mail
 * with how many are left, queued for medicalcare-outbox (the flow's own mail
 * is the one delivered after the answer); *recovery_used says it was one.
 */
static enum acct_rc self_mfa_code(PGconn *db, const struct conf *c, const struct client *cl,
                                  int64_t user_id, const char *id_s, time_t now, const char *code,
                                  int notice, const char *what, struct acct_out *o,
                                  int *recovery_used)
{
	enum mfa_code_rc how = MFA_CODE_OFF;
	int64_t mail_id = 0;
	struct mail_vars v;
	int left = 0;
	enum acct_rc ret;

	*recovery_used = 0;
	ret = mfa_code_require(db, c, cl, user_id, id_s, now, code, o, &how, &left);
	if (ret != ACCT_OK || how != MFA_CODE_RECOVERY)
		return ret;
	*recovery_used = 1;
	if (notice) {
		memset(&v, 0, sizeof(v));
		v.to = o->email;
		v.full_name = self_greeting(o);
		v.codes_left = left;
		ret = acct_db(mail_enqueue(db, c, MAIL_MFA_RECOVERY_USED, user_id, &v, &mail_id));
	}
	if (ret == ACCT_OK)
		ret = acct_db(
		    audit_write(db, c, AUDIT_MFA_RECOVERY_USED, user_id, o->email, cl, what));
	return ret;
}

enum acct_rc account_change_password(PGconn *db, const struct conf *c, const struct client *cl,
                                     const struct acct_token *t, time_t now,
                                     const struct change_req *r, const char *code,
                                     struct acct_out *o)
{
	int64_t user_id = t->user_id;
	struct pw_cost cost;
	struct user u;
	struct user cur;
	PGresult *res = NULL;
	char *hash = NULL;
	char id_s[24];
	const char *by_id[1] = {id_s};
	int64_t min_iat = 0;
	int64_t started = 0;
	struct mail_vars v;
	int recovery_used = 0; /* its own mail says so (self_mfa_code) */
	enum acct_rc ret;

	memset(&u, 0, sizeof(u));
	memset(&cur, 0, sizeof(cur));
	ret = account_profile(db, c, cl, t, now, o);
	if (ret != ACCT_OK)
		goto out;
	/* The account's own words count against the new password (a 422 comes
	 * before the password typed again is looked at). */
	if (valid_new_password(&o->errs, "new_password", r->new_password, strlen(r->new_password),
	                       o->email, o->full_name) != 0) {
		ret = ACCT_WEAK_PASSWORD;
		goto out;
	}
	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	ret = self_mfa_lock(db, id_s, o);
	if (ret != ACCT_OK)
		goto out;
	ret = reauth_password(db, c, cl, user_id, o->email, r->current_password, r->current_len, &u,
	                      o);
	if (ret != ACCT_OK)
		goto out;
	/* Hashed with no transaction open and no lock held. */
	if (pw_hash(r->new_password, strlen(r->new_password), acct_pw(c, &cost), &hash) != 0) {
		ret = ACCT_ERROR;
		goto out;
	}
	ret = acct_lock_find(db, o->email, &cur);
	if (ret != ACCT_OK)
		goto out;
	if (cur.id != user_id || !acct_same_hash(cur.password_hash, u.password_hash)) {
		/* Deleted, reset or changed since the check: this token is dead now. */
		log_info("account %" PRId64 ": changed during a change of password", user_id);
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	ret = self_mfa_code(db, c, cl, user_id, id_s, now, code, 1, "change-password", o,
	                    &recovery_used);
	if (ret != ACCT_OK)
		goto out;
	{
		const char *params[2] = {id_s, hash};

		ret = acct_db(db_exec(db, ST_USER_SET_PASSWORD, params, 2, &res));
	}
	if (ret == ACCT_OK) {
		min_iat = strtoll(PQgetvalue(res, 0, SQL_ONLY_COL), NULL, 10);
		ret = acct_db(db_exec(db, ST_RESET_KILL_ALL, by_id, 1, NULL));
	}
	if (ret == ACCT_OK) /* a sign-in waiting for its second factor ends too (MF-8) */
		ret = acct_db(db_exec(db, ST_MFA_TOKENS_END, by_id, 1, NULL));
	if (ret == ACCT_OK)
		ret = self_session_start(db, t, &started);
	if (ret == ACCT_OK) {
		/* Every session ends, the caller's too: a new one replaces it. */
		const char *end_all[2] = {id_s, "f"};

		ret = acct_db(db_exec(db, ST_SESSION_END_ALL, end_all, 2, NULL));
	}
	if (ret == ACCT_OK) {
		memset(&v, 0, sizeof(v));
		v.to = o->email;
		v.full_name = self_greeting(o);
		ret = acct_db(mail_enqueue(db, c, MAIL_PASSWORD_CHANGED, user_id, &v, &o->mail_id));
	}
	if (ret == ACCT_OK)
		ret = acct_db(
		    audit_write(db, c, AUDIT_PASSWORD_CHANGED, user_id, o->email, cl, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(
		    session_start(db, c, cl, user_id, o->email, min_iat, started, now, &o->tokens));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK)
		log_info("account %" PRId64 ", password changed by its owner", user_id);
out:
	acct_end(db, ret, o);
	PQclear(res);
	secret_free_str(hash);
	acct_user_release(&u);
	acct_user_release(&cur);
	return ret;
}

enum acct_rc account_delete(PGconn *db, const struct conf *c, const struct client *cl,
                            const struct acct_token *t, time_t now, const struct password_req *r,
                            const char *code, struct acct_out *o)
{
	int64_t user_id = t->user_id;
	struct user u;
	PGresult *res = NULL;
	char id_s[24];
	char hmac[AUDIT_HMAC_HEX];
	struct mail_vars v;
	int recovery_used = 0;
	enum acct_rc ret;

	memset(&u, 0, sizeof(u));
	ret = account_profile(db, c, cl, t, now, o);
	if (ret != ACCT_OK)
		goto out;
	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	ret = self_mfa_lock(db, id_s, o);
	if (ret != ACCT_OK)
		goto out;
	ret = reauth_password(db, c, cl, user_id, o->email, r->password, r->password_len, &u, o);
	if (ret != ACCT_OK)
		goto out;
	if (audit_email_hmac(c, o->email, hmac) != 0) {
		log_error("could not hash an address for the audit trail");
		ret = ACCT_ERROR;
		goto out;
	}
	ret = acct_begin_locked(db, o->email);
	/* The account's deletion takes its recovery codes: the last mail is the
	 * notice, saying so when one was used (none left). */
	if (ret == ACCT_OK)
		ret = self_mfa_code(db, c, cl, user_id, id_s, now, code, 0, "delete-account", o,
		                    &recovery_used);
	if (ret == ACCT_OK) {
		const char *params[2] = {id_s, o->email};

		ret = acct_db(db_exec(db, ST_DELETE_MAIL_OF, params, 2, NULL));
	}
	if (ret == ACCT_OK) {
		const char *params[1] = {o->email};

		ret = acct_db(db_exec(db, ST_DELETE_LOGINS_OF, params, 1, NULL));
	}
	if (ret == ACCT_OK) {
		/* Only the account whose password was just checked: a change since keeps it. */
		const char *params[2] = {id_s, u.password_hash};

		ret = acct_db(db_exec(db, ST_USER_DELETE, params, 2, &res));
		if (ret == ACCT_OK && PQntuples(res) == 0) {
			log_info("account %" PRId64 ": changed during its deletion", user_id);
			ret = ACCT_BAD_TOKEN;
		}
	}
	if (ret == ACCT_OK) {
		const char *params[3] = {id_s, o->email, hmac};

		ret = acct_db(db_exec(db, ST_AUDIT_FORGET_ACCOUNT, params, 3, NULL));
	}
	if (ret == ACCT_OK)
		ret = acct_db(audit_write(db, c, AUDIT_ACCOUNT_DELETED, user_id, NULL, cl, NULL));
	if (ret == ACCT_OK) {
		/* Queued without an account, so nothing of it is left once it is sent. */
		memset(&v, 0, sizeof(v));
		v.to = o->email;
		v.full_name = self_greeting(o);
		v.recovery_used = recovery_used;
		ret = acct_db(mail_enqueue(db, c, MAIL_ACCOUNT_DELETED, 0, &v, &o->mail_id));
	}
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK)
		log_info("account %" PRId64 " deleted by its owner", user_id);
out:
	acct_end(db, ret, o);
	PQclear(res);
	acct_user_release(&u);
	return ret;
}
