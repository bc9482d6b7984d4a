/* account_mfa.h: POST /user/mfa/recovery-codes and POST /user/mfa/disable. */
#include "account_mfa.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "mfa_check.h"
#include "reauth.h"

/*
 * What both flows check first: the account (account_profile()), its
 * two-factor sign-in on and not locked, the password typed again, then the
 * transaction under the address's lock (the account still the one whose
 * password was checked) and r->code by mfa_code_require(). ACCT_OK with the
 * transaction open and *how (MFA_CODE_TOTP or MFA_CODE_RECOVERY); id_s
 * filled. Otherwise as account_mfa_recovery_codes() says.
 */
static enum acct_rc manage_begin(PGconn *db, const struct conf *c, const struct client *cl,
                                 const struct acct_token *t, time_t now,
                                 const struct mfa_manage_req *r, struct acct_out *o, char id_s[24],
                                 enum mfa_code_rc *how)
{
	int64_t user_id = t->user_id;
	struct user u;
	struct user cur;
	long locked_for = 0;
	int on = 0;
	int left = 0;
	enum acct_rc ret;

	memset(&u, 0, sizeof(u));
	memset(&cur, 0, sizeof(cur));
	snprintf(id_s, 24, "%" PRId64, user_id);
	ret = account_profile(db, c, cl, t, now, o);
	if (ret != ACCT_OK)
		goto out;
	/* Nothing to manage, or codes refused for now: no password work. */
	ret = acct_db(mfa_state(db, id_s, &on, &locked_for));
	if (ret != ACCT_OK)
		goto out;
	if (!on) {
		ret = ACCT_MFA_OFF;
		goto out;
	}
	ret = mfa_lock_answer(locked_for, o);
	if (ret != ACCT_OK)
		goto out;
	ret = reauth_password(db, c, cl, user_id, o->email, r->password, r->password_len, &u, o);
	if (ret != ACCT_OK)
		goto out;
	ret = acct_lock_find(db, o->email, &cur);
	if (ret != ACCT_OK)
		goto out;
	if (cur.id != user_id || !acct_same_hash(cur.password_hash, u.password_hash)) {
		log_info("account %" PRId64 ": changed during a change of its second factor",
		         user_id);
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	ret = mfa_code_require(db, c, cl, user_id, id_s, now, r->code, o, how, &left);
	if (ret == ACCT_OK && *how == MFA_CODE_OFF)
		ret = ACCT_MFA_OFF; /* turned off by a request that ran first */
out:
	acct_user_release(&u);
	acct_user_release(&cur);
	return ret;
}

/*
 * The end of both flows, in the open transaction: the owner's notice of
 * kind (o->mail_id), event e, a recovery code's use recorded, the commit.
 */
static enum acct_rc manage_end(PGconn *db, const struct conf *c, const struct client *cl,
                               int64_t user_id, enum mfa_code_rc how, enum mail_kind kind,
                               enum audit_event e, struct acct_out *o)
{
	struct mail_vars v;
	enum acct_rc ret = ACCT_OK;

	/* The flow's notice is also the recovery code's: it says one was used and
	 * how many are left (the new set's, or none once disabled). */
	if (how == MFA_CODE_RECOVERY)
		ret = acct_db(audit_write(db, c, AUDIT_MFA_RECOVERY_USED, user_id, o->email, cl,
		                          audit_event_name(e)));
	if (ret == ACCT_OK) {
		memset(&v, 0, sizeof(v));
		v.to = o->email;
		v.full_name = o->is_verified ? o->full_name : NULL;
		v.recovery_used = how == MFA_CODE_RECOVERY;
		v.codes_left = kind == MAIL_MFA_RECOVERY_CODES ? RECOVERY_COUNT : 0;
		ret = acct_db(mail_enqueue(db, c, kind, user_id, &v, &o->mail_id));
	}
	if (ret == ACCT_OK)
		ret = acct_db(audit_write(db, c, e, user_id, o->email, cl,
		                          how == MFA_CODE_RECOVERY ? "recovery code" : NULL));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	return ret;
}

enum acct_rc account_mfa_recovery_codes(PGconn *db, const struct conf *c, const struct client *cl,
                                        const struct acct_token *t, time_t now,
                                        const struct mfa_manage_req *r, struct acct_out *o,
                                        char codes[RECOVERY_COUNT][RECOVERY_LEN + 1])
{
	const struct conf_keys *mk;
	enum mfa_code_rc how = MFA_CODE_OFF;
	char id_s[24];
	enum acct_rc ret;

	ret = manage_begin(db, c, cl, t, now, r, o, id_s, &how);
	if (ret != ACCT_OK)
		goto out;
	mk = conf_mfa_keys(c); /* there: mfa_code_require() needed it */
	ret = mk != NULL ? mfa_recovery_replace(db, mk, t->user_id, id_s, codes) : ACCT_ERROR;
	if (ret == ACCT_OK)
		ret = manage_end(db, c, cl, t->user_id, how, MAIL_MFA_RECOVERY_CODES,
		                 AUDIT_MFA_RECOVERY_CODES, o);
	if (ret == ACCT_OK)
		log_info("account %" PRId64 ": a new set of recovery codes", t->user_id);
out:
	acct_end(db, ret, o);
	if (ret != ACCT_OK)
		OPENSSL_cleanse(codes, sizeof(char[RECOVERY_COUNT][RECOVERY_LEN + 1]));
	return ret;
}

enum acct_rc account_mfa_disable(PGconn *db, const struct conf *c, const struct client *cl,
                                 const struct acct_token *t, time_t now,
                                 const struct mfa_manage_req *r, struct acct_out *o)
{
	enum mfa_code_rc how = MFA_CODE_OFF;
	char id_s[24];
	PGresult *res = NULL;
	enum acct_rc ret;

	ret = manage_begin(db, c, cl, t, now, r, o, id_s, &how);
	if (ret != ACCT_OK)
		goto out;
	{
		const char *params[1] = {id_s};

		ret = acct_db(db_exec(db, ST_MFA_DISABLE, params, 1, &res));
		if (ret == ACCT_OK && PQntuples(res) != 1)
			ret = ACCT_MFA_OFF; /* not reached: the row is locked and was on */
		if (ret == ACCT_OK)         /* a sign-in waiting for its second factor ends */
			ret = acct_db(db_exec(db, ST_MFA_TOKENS_END, params, 1, NULL));
	}
	if (ret == ACCT_OK)
		ret = manage_end(db, c, cl, t->user_id, how, MAIL_MFA_DISABLED, AUDIT_MFA_DISABLED,
		                 o);
	if (ret == ACCT_OK)
		log_info("account %" PRId64 ": two-factor sign-in disabled", t->user_id);
out:
	acct_end(db, ret, o);
	PQclear(res);
	return ret;
}
