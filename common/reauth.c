#include "reauth.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "limit.h"
#include "log.h"
#include "pw.h"

/* As login (account_login.c): rounds while the hash changes, the wait for room, its pauses. */
#define REAUTH_ROUNDS 3
#define REAUTH_WAIT_MS 30000
#define REAUTH_PAUSE_MIN_MS 5
#define REAUTH_PAUSE_MAX_MS 50
#define REAUTH_DETAIL "re-authentication"

/*
 * The first step: under the email's lock, the account into *u (ACCT_BAD_TOKEN
 * when it is not user_id's any more), the login lock (ACCT_LIMITED), the
 * reservation (*attempt), waiting for room as login does. No transaction is
 * open when it returns.
 */
static enum acct_rc reauth_reserve(PGconn *db, const struct client *cl, int64_t user_id,
                                   const char *email, struct user *u, int64_t *attempt,
                                   struct acct_out *o)
{
	const char *client = acct_login_client(cl);
	struct timespec start;
	long pause = REAUTH_PAUSE_MIN_MS;
	enum acct_rc ret;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int full;

		acct_user_release(u);
		ret = acct_lock_find(db, email, u);
		if (ret != ACCT_OK) {
			db_rollback(db);
			return ret;
		}
		if (u->id != user_id) {
			db_rollback(db);
			log_info("re-authentication: account %" PRId64 " is gone", user_id);
			return ACCT_BAD_TOKEN;
		}
		rc = limit_login_locked(db, email, client, user_id, &o->retry_after);
		if (rc == 1) {
			rc = db_commit(db);
			if (rc != DB_OK)
				goto fault;
			o->limit_detail = DETAIL_LOGIN_LIMIT;
			return ACCT_LIMITED;
		}
		if (rc == 0)
			rc = limit_login_reserve(db, email, client, user_id, attempt);
		if (rc < 0)
			goto fault;
		full = rc;
		rc = db_commit(db);
		if (rc != DB_OK)
			goto fault;
		if (!full)
			return ACCT_OK;
		if (acct_elapsed_ms(&start) >= REAUTH_WAIT_MS) {
			log_warn("a re-authentication waited %d s for the password checks in "
			         "progress for its email: answered 503",
			         REAUTH_WAIT_MS / 1000);
			return ACCT_UNAVAILABLE;
		}
		acct_pause(pause);
		pause = pause * 2 > REAUTH_PAUSE_MAX_MS ? REAUTH_PAUSE_MAX_MS : pause * 2;
	}
fault:
	db_rollback(db);
	return acct_db(rc);
}

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
	int live;
	int rc;

	*again = 0;
	memset(&cur, 0, sizeof(cur));
	ret = acct_begin_locked(db, email);
	if (ret != ACCT_OK)
		return ret;
	live = limit_login_unreserve(db, *attempt);
	if (live < 0) {
		rc = live;
		goto fault;
	}
	if (live == 0) {
		rc = db_commit(db);
		if (rc != DB_OK)
			goto fault;
		*attempt = 0;
		log_warn("a re-authentication's password check outlived its reservation (%d s): "
		         "answered 503",
		         LIMIT_LOGIN_ATTEMPT_TTL);
		return ACCT_UNAVAILABLE;
	}
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

		ret = reauth_reserve(db, cl, user_id, email, u, &attempt, o);
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
