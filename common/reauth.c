#include "reauth.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "limit.h"
#include "log.h"
#include "pw.h"

/* As login (account_login.c): rounds while the hash changes. */
#define REAUTH_ROUNDS 3
#define REAUTH_DETAIL "re-authentication"

/*
 * The last step, under the email's lock: ends *attempt (0 once committed),
 * then counts the result of checking u's hash (match). *again when the
 * hash changed meanwhile (nothing counted); u gets the account as it is now.
 */
static enum acct_rc reauth_settle(PGconn *db, const struct conf *c, const struct client *cl,
                                  const char *email, struct user *u, int match, int64_t *attempt,
                                  int *again)
{
	struct user cur;
	enum acct_rc ret;
	int rc;

	*again = 0;
	memset(&cur, 0, sizeof(cur));
	ret = acct_settle_begin(db, email, REAUTH_DETAIL, attempt);
	if (ret != ACCT_OK)
		return ret;
	ret = acct_find(db, email, &cur);
	if (ret != ACCT_OK) {
		db_rollback(db);
		return ret;
	}
	if (cur.id != u->id) {
		/* The account went meanwhile: nothing to count against. */
		rc = db_commit(db);
		if (rc != DB_OK)
			goto fault;
		*attempt = 0;
		acct_user_release(&cur);
		return ACCT_BAD_TOKEN;
	}
	if (!acct_same_hash(cur.password_hash, u->password_hash)) {
		rc = db_commit(db);
		if (rc != DB_OK)
			goto fault;
		*attempt = 0;
		log_info("account %" PRId64 ": password changed during a re-authentication's "
		         "check, checking again",
		         u->id);
		acct_user_release(&cur);
		*again = 1;
		return ACCT_OK;
	}
	if (match)
		rc = limit_login_succeeded(db, email, acct_login_client(cl), u->id);
	else
		rc = acct_login_failed(db, c, cl, email, u->id, REAUTH_DETAIL);
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK)
		goto fault;
	*attempt = 0;
	acct_user_release(u);
	*u = cur;
	return match ? ACCT_OK : ACCT_BAD_PASSWORD;
fault:
	db_rollback(db);
	acct_user_release(&cur);
	return acct_db(rc);
}

enum acct_rc reauth_password(PGconn *db, const struct conf *c, const struct client *cl,
                             int64_t user_id, const char *email, const char *password, size_t len,
                             struct user *u, struct acct_out *o)
{
	struct pw_cost cost;
	int64_t attempt = 0;
	enum acct_rc ret = ACCT_ERROR;
	int again = 1;

	memset(u, 0, sizeof(*u));
	acct_pw(c, &cost);
	for (int round = 0; again && round < REAUTH_ROUNDS; round++) {
		int match;

		ret =
		    acct_reserve_check(db, cl, email, user_id, REAUTH_DETAIL, NULL, u, &attempt, o);
		if (ret != ACCT_OK)
			goto out;
		match = pw_verify(u->password_hash, password, len);
		if (match < 0) {
			ret = ACCT_ERROR;
			goto out;
		}
		ret = reauth_settle(db, c, cl, email, u, match, &attempt, &again);
		if (ret != ACCT_OK)
			goto out;
	}
	if (again) {
		log_warn("the password of account %" PRId64 " changed during %d checks of one "
		         "re-authentication: answered 503",
		         user_id, REAUTH_ROUNDS);
		ret = ACCT_UNAVAILABLE;
	}
out:
	db_rollback(db);
	/* A check that never settled gives its reservation up at once (if the database lets it). */
	if (attempt > 0 && limit_login_unreserve(db, attempt) < 0)
		log_error("could not give up a re-authentication's reservation: it lapses in %d s",
		          LIMIT_LOGIN_ATTEMPT_TTL);
	return ret;
}
