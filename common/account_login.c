/* account.h: login (reserve, hash with nothing held, settle). */
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
#include "mfa_check.h"
#include "pw.h"
#include "token.h"

/* Rounds of reserve, check, settle one login makes while resets change the hash under it. */
#define ACCT_LOGIN_ROUNDS 3
/*
 * A login's last step, after the check (match 1: the password matched u's
 * hash; found 0: the email had no account, a decoy check): in a short
 * transaction under the email's lock, ends reservation *attempt (0 once
 * committed) and counts the result. When the account's hash is no longer
 * the one checked (a reset committed meanwhile, or the account went), it
 * counts nothing and sets *again: the caller checks again against the
 * current hash. newhash (NULL: none) replaces a hash below the configured
 * cost. ACCT_OK (o->tokens, or *again), ACCT_MFA_REQUIRED (o->mfa_token), ACCT_BAD_LOGIN,
 * ACCT_NOT_VERIFIED, ACCT_UNAVAILABLE (the reservation had lapsed: nothing
 * counted), or a fault.
 */
static enum acct_rc acct_login_settle(PGconn *db, const struct conf *c, const struct client *cl,
                                      const struct login_req *r, struct limit_hit *hit,
                                      const struct user *u, int found, int match,
                                      const char *newhash, time_t now, int64_t *attempt, int *again,
                                      struct acct_out *o)
{
	struct user cur;
	enum acct_rc ret = ACCT_ERROR;
	int rc;

	*again = 0;
	memset(&cur, 0, sizeof(cur));
	ret = acct_settle_begin(db, r->email, "login", attempt);
	if (ret != ACCT_OK)
		goto out;
	ret = acct_find(db, r->email, &cur);
	if (ret != ACCT_OK) {
		db_rollback(db);
		goto out;
	}
	if (found && (cur.id == 0 || cur.id != u->id ||
	              !acct_same_hash(cur.password_hash, u->password_hash))) {
		rc = db_commit(db);
		if (rc != DB_OK)
			goto fault;
		*attempt = 0;
		log_info("account %" PRId64
		         ": password changed during a login's check, checking again",
		         u->id);
		*again = 1;
		ret = ACCT_OK;
		goto out;
	}
	if (!match) {
		rc = acct_login_failed(db, c, cl, r->email, found ? u->id : 0,
		                       found ? "wrong password" : "unknown email");
		if (rc == DB_OK)
			rc = db_commit(db);
		if (rc != DB_OK)
			goto fault;
		*attempt = 0;
		ret = ACCT_BAD_LOGIN;
		goto out;
	}
	/* Right password: a hash below the configured cost is replaced. */
	rc = DB_OK;
	if (newhash != NULL) {
		char id_s[24];
		const char *params[3] = {id_s, cur.password_hash, newhash};

		snprintf(id_s, sizeof(id_s), "%" PRId64, cur.id);
		rc = db_exec(db, ST_USER_SET_HASH, params, 3, NULL);
		if (rc == DB_OK)
			log_info("password hash of user %" PRId64 " upgraded to argon2id", cur.id);
	}
	/*
	 * With MFA on: an mfa_token for mfa/verify and no session. Not a
	 * success for the failure counts (those wait for the second factor),
	 * nor a failure: the address's hit is given back.
	 */
	if (rc == DB_OK && cur.verified)
		rc = mfa_token_issue(db, cur.id, o->mfa_token);
	if (rc == 1) {
		rc = limit_client_give_back(db, LIMIT_SCOPE_LOGIN, acct_key(cl), hit);
		if (rc == DB_OK)
			rc = db_commit(db);
		if (rc != DB_OK)
			goto fault;
		*attempt = 0;
		log_info("account %" PRId64 ": right password, second factor asked", cur.id);
		ret = ACCT_MFA_REQUIRED;
		goto out;
	}
	/* Right password: only a verified account signs in (and makes the client known). */
	if (rc == DB_OK)
		rc = limit_login_succeeded(db, r->email, acct_login_client(cl),
		                           cur.verified ? cur.id : 0);
	if (rc == DB_OK)
		rc = audit_write(db, c, cur.verified ? AUDIT_LOGIN_SUCCESS : AUDIT_LOGIN_FAILURE,
		                 cur.id, r->email, cl, cur.verified ? NULL : "not verified");
	if (rc == DB_OK)
		rc = limit_client_give_back(db, LIMIT_SCOPE_LOGIN, acct_key(cl), hit);
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK)
		goto fault;
	*attempt = 0;
	if (!cur.verified) {
		ret = ACCT_NOT_VERIFIED;
		goto out;
	}
	/* The session starts once the sign-in is committed (one statement of its own). */
	ret = acct_db(
	    session_start(db, c, cl, cur.id, r->email, cur.token_min_iat, 0, now, &o->tokens));
	goto out;
fault:
	db_rollback(db);
	ret = acct_db(rc);
out:
	acct_user_release(&cur);
	return ret;
}

enum acct_rc account_login(PGconn *db, const struct conf *c, const struct client *cl,
                           const struct login_req *r, time_t now, struct acct_out *o)
{
	struct pw_cost cost;
	struct user u;
	struct limit_hit hit;
	char *newhash = NULL;
	int64_t attempt = 0;
	enum acct_rc ret = ACCT_ERROR;
	int found = 0;
	int again = 1;

	memset(&u, 0, sizeof(u));
	acct_pw(c, &cost);
	/* The address's failure is counted before any password work and given
	 * back when there was none or the password was right. */
	ret = acct_client_take(db, c, cl, LIMIT_SCOPE_LOGIN, r->email, &hit, o);
	if (ret != ACCT_OK)
		goto out;
	/*
	 * Reserve, check, settle: the hash runs between two short transactions,
	 * with none open and no lock held, so logins of one account hash on
	 * every core at once while the failure budgets stay exact (limit.h).
	 */
	for (int round = 0; again && round < ACCT_LOGIN_ROUNDS; round++) {
		int match = 0;

		ret = acct_reserve_check(db, cl, r->email, 0, "login", &hit, &u, &attempt, o);
		if (ret != ACCT_OK)
			goto out;
		found = u.id > 0;
		if (found) {
			match = pw_verify(u.password_hash, r->password, r->password_len);
			if (match < 0) {
				ret = ACCT_ERROR;
				goto out;
			}
		} else {
			/* The same work as a verify, so timing does not tell. */
			pw_burn(r->password, r->password_len, &cost);
		}
		/* A hash below the configured cost is replaced: made here, stored when settling. */
		if (match && pw_needs_rehash(u.password_hash, &cost) &&
		    pw_hash(r->password, r->password_len, &cost, &newhash) != 0)
			newhash = NULL;
		ret = acct_login_settle(db, c, cl, r, &hit, &u, found, match, newhash, now,
		                        &attempt, &again, o);
		if (newhash != NULL) {
			OPENSSL_cleanse(newhash, strlen(newhash));
			free(newhash);
			newhash = NULL;
		}
		if (ret != ACCT_OK)
			goto out;
	}
	if (again) {
		log_warn("the password of account %" PRId64
		         " changed during %d checks of one login: "
		         "answered 503",
		         u.id, ACCT_LOGIN_ROUNDS);
		ret = ACCT_UNAVAILABLE;
	}
out:
	db_rollback(db);
	/* A check that never settled gives its reservation up at once (if the database lets it). */
	if (attempt > 0 && limit_login_unreserve(db, attempt) < 0)
		log_error("could not give up a login's reservation: it lapses in %d s",
		          LIMIT_LOGIN_ATTEMPT_TTL);
	acct_user_release(&u);
	return ret;
}
