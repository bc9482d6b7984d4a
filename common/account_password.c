/* account.h: forgot-password and reset-password. */
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
#include "mail.h"
#include "pw.h"
#include "secret.h"
#include "token.h"

enum acct_rc account_forgot_password(PGconn *db, const struct conf *c, const struct client *cl,
                                     const struct email_req *r, struct acct_out *o)
{
	struct user u;
	struct limit_hit hit;
	enum acct_rc ret;

	ret = acct_open(db, c, cl, LIMIT_SCOPE_FORGOT, r->email, &hit, &u, o);
	if (ret != ACCT_OK)
		goto out;
	/*
	 * The same answer whatever the address, and the same work before it (an
	 * unknown address gets a decoy: caps read, token and mail made, nothing
	 * kept); the mail, if any, goes out after the answer (acct_out.mail_id),
	 * so the time does not tell either. Past the reset-mail caps: the same
	 * answer and no mail.
	 */
	ret = acct_new_reset(db, c, u.id > 0 ? &u : NULL, r->email, 0, &o->mail_id);
	if (ret == ACCT_OK && u.id == 0)
		ret = acct_db(
		    audit_write(db, c, AUDIT_RESET_REQUESTED, 0, r->email, cl, "no account"));
	if (ret == ACCT_OK && o->mail_id > 0)
		ret = acct_db(audit_write(db, c, AUDIT_RESET_REQUESTED, u.id, r->email, cl, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK && o->mail_id > 0)
		log_info("account %" PRId64 ", reset link queued", u.id);
out:
	acct_end(db, ret, o);
	acct_user_release(&u);
	return ret;
}

enum acct_rc account_reset_password(PGconn *db, const struct conf *c, const struct client *cl,
                                    const struct reset_req *r, struct acct_out *o)
{
	struct pw_cost cost;
	unsigned char digest[TOKEN_DIGEST_LEN];
	char hex[2 * TOKEN_DIGEST_LEN + 1];
	const char *find[1] = {hex};
	PGresult *res = NULL;
	char *hash = NULL;
	char *email = NULL;
	char *full_name = NULL;
	int was_verified;
	char id_s[24];
	const char *by_id[1] = {id_s};
	struct mail_vars v;
	enum acct_rc ret;

	token_sha256(r->token, strlen(r->token), digest);
	token_hex(digest, hex);
	/* The token's account, in a statement of its own: no transaction stays
	 * open, no lock held, while the password is judged and hashed. */
	ret = acct_db(db_exec(db, ST_RESET_FIND, find, 1, &res));
	if (ret != ACCT_OK)
		goto out;
	if (PQntuples(res) == 0) {
		ret = ACCT_BAD_RESET_TOKEN;
		goto out;
	}
	snprintf(id_s, sizeof(id_s), "%s", PQgetvalue(res, 0, RF_USER_ID));
	email = strdup(PQgetvalue(res, 0, RF_EMAIL));
	full_name = strdup(PQgetvalue(res, 0, RF_FULL_NAME));
	was_verified = strcmp(PQgetvalue(res, 0, RF_IS_VERIFIED), "t") == 0;
	PQclear(res);
	res = NULL;
	if (email == NULL || full_name == NULL) {
		log_error("out of memory");
		ret = ACCT_ERROR;
		goto out;
	}
	/* Now that the account is known, its own words count against the password. */
	if (valid_new_password(&o->errs, "new_password", r->new_password, strlen(r->new_password),
	                       email, full_name) != 0) {
		ret = ACCT_WEAK_PASSWORD;
		goto out;
	}
	if (pw_hash(r->new_password, strlen(r->new_password), acct_pw(c, &cost), &hash) != 0) {
		ret = ACCT_ERROR;
		goto out;
	}
	/*
	 * One short transaction, under the email's lock (so a login settling
	 * sees the old hash or the new one, never between): the token must still
	 * be live and the same account's (a concurrent reset with it may have
	 * spent it meanwhile).
	 */
	ret = acct_begin_locked(db, email);
	if (ret == ACCT_OK)
		ret = acct_db(db_exec(db, ST_RESET_FIND, find, 1, &res));
	if (ret != ACCT_OK)
		goto out;
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, RF_USER_ID), id_s) != 0) {
		ret = ACCT_BAD_RESET_TOKEN;
		goto out;
	}
	{
		const char *params[2] = {id_s, hash};

		ret = acct_db(db_exec(db, ST_USER_SET_PASSWORD, params, 2, NULL));
	}
	if (ret == ACCT_OK)
		ret = acct_db(db_exec(db, ST_RESET_KILL_ALL, by_id, 1, NULL));
	if (ret == ACCT_OK) /* a sign-in waiting for its second factor ends too (MF-8) */
		ret = acct_db(db_exec(db, ST_MFA_TOKENS_END, by_id, 1, NULL));
	if (ret == ACCT_OK) {
		/* Every session of the account ends (docs/CONTRACT.md SE-9). */
		const char *end_all[2] = {id_s, "f"};

		ret = acct_db(db_exec(db, ST_SESSION_END_ALL, end_all, 2, NULL));
	}
	if (ret == ACCT_OK)
		ret = acct_db(db_exec(db, ST_OTP_DELETE, by_id, 1, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(limit_login_clear(db, email));
	if (ret == ACCT_OK) {
		memset(&v, 0, sizeof(v));
		v.to = email;
		/* The name of an account nobody had verified may be a stranger's. */
		v.full_name = was_verified ? full_name : NULL;
		ret = acct_db(mail_enqueue(db, c, MAIL_PASSWORD_CHANGED, strtoll(id_s, NULL, 10),
		                           &v, &o->mail_id));
	}
	if (ret == ACCT_OK)
		ret = acct_db(audit_write(db, c, AUDIT_RESET_COMPLETED, strtoll(id_s, NULL, 10),
		                          email, cl, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK)
		log_info("account %s, password changed", id_s);
out:
	acct_end(db, ret, o);
	PQclear(res);
	secret_free_str(hash);
	free(email);
	free(full_name);
	return ret;
}
