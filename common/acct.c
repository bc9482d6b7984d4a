#include "acct.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "conf_keys.h"
#include "db.h"
#include "hashgate.h"
#include "log.h"
#include "mail.h"
#include "token.h"

void acct_user_release(struct user *u)
{
	free(u->full_name);
	if (u->password_hash != NULL) {
		OPENSSL_cleanse(u->password_hash, strlen(u->password_hash));
		free(u->password_hash);
	}
	memset(u, 0, sizeof(*u));
}

enum acct_rc acct_db(int db_rc)
{
	if (db_rc == DB_OK)
		return ACCT_OK;
	return db_rc == DB_UNAVAILABLE ? ACCT_UNAVAILABLE : ACCT_ERROR;
}

const struct pw_cost *acct_pw(const struct conf *c, struct pw_cost *cost)
{
	cost->memory_kib = c->argon2_memory_kib;
	cost->iterations = c->argon2_iterations;
	cost->parallelism = c->argon2_parallelism;
	hashgate_configure(c->hash_lock_file, c->hash_concurrency);
	return cost;
}

enum acct_rc acct_begin_locked(PGconn *db, const char *email)
{
	const char *params[1] = {email};
	int rc = db_begin(db);

	if (rc != DB_OK)
		return acct_db(rc);
	rc = db_exec(db, ST_LOCK_EMAIL, params, 1, NULL);
	if (rc != DB_OK)
		db_rollback(db);
	return acct_db(rc);
}

const char *acct_key(const struct client *cl)
{
	return cl != NULL && cl->key[0] != '\0' ? cl->key : NULL;
}

const char *acct_login_client(const struct client *cl)
{
	return cl != NULL ? cl->key : "";
}

enum acct_rc acct_client_take(PGconn *db, const struct conf *c, const struct client *cl,
                              enum limit_scope s, const char *email, struct limit_hit *hit,
                              struct acct_out *o)
{
	int reached = 0;
	int rc = limit_client_take(db, c, s, acct_key(cl), hit, &o->retry_after, &reached);

	if (rc < 0)
		return acct_db(rc);
	if (rc == 1) {
		log_info("client address over its %s limit", limit_scope_name(s));
		o->limit_detail = limit_scope_detail(s);
		return ACCT_LIMITED;
	}
	if (reached &&
	    audit_write(db, c, AUDIT_CLIENT_LIMITED, 0, email, cl, limit_scope_name(s)) != DB_OK)
		log_error("could not record a client_limited event");
	return ACCT_OK;
}

enum acct_rc acct_find(PGconn *db, const char *email, struct user *u)
{
	char recent[16];
	const char *params[2] = {email, recent};
	PGresult *res = NULL;
	int rc;

	memset(u, 0, sizeof(*u));
	snprintf(recent, sizeof(recent), "%d", ACCT_DOUBLE_SUBMIT_SECONDS);
	rc = db_exec(db, ST_USER_BY_EMAIL, params, 2, &res);
	if (rc != DB_OK)
		return acct_db(rc);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ACCT_OK; /* no account: u->id stays 0 */
	}
	u->id = strtoll(PQgetvalue(res, 0, UBE_ID), NULL, 10);
	u->full_name = strdup(PQgetvalue(res, 0, UBE_FULL_NAME));
	u->password_hash = strdup(PQgetvalue(res, 0, UBE_PASSWORD_HASH));
	u->verified = strcmp(PQgetvalue(res, 0, UBE_IS_VERIFIED), "t") == 0;
	u->token_min_iat = strtoll(PQgetvalue(res, 0, UBE_TOKEN_MIN_IAT), NULL, 10);
	u->otp_disabled = strcmp(PQgetvalue(res, 0, UBE_OTP_DISABLED), "t") == 0;
	u->recent = strcmp(PQgetvalue(res, 0, UBE_RECENT), "t") == 0;
	PQclear(res);
	if (u->full_name == NULL || u->password_hash == NULL) {
		acct_user_release(u);
		log_error("out of memory");
		return ACCT_ERROR;
	}
	return ACCT_OK;
}

enum acct_rc acct_lock_find(PGconn *db, const char *email, struct user *u)
{
	enum acct_rc ret = acct_begin_locked(db, email);

	memset(u, 0, sizeof(*u));
	if (ret == ACCT_OK)
		ret = acct_find(db, email, u);
	return ret;
}

enum acct_rc acct_open(PGconn *db, const struct conf *c, const struct client *cl,
                       enum limit_scope s, const char *email, struct limit_hit *hit, struct user *u,
                       struct acct_out *o)
{
	enum acct_rc ret = acct_client_take(db, c, cl, s, email, hit, o);

	memset(u, 0, sizeof(*u));
	if (ret == ACCT_OK)
		ret = acct_lock_find(db, email, u);
	return ret;
}

int acct_same_hash(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

enum acct_rc acct_settle_begin(PGconn *db, const char *email, const char *what, int64_t *attempt)
{
	enum acct_rc ret = acct_begin_locked(db, email);
	int live;
	int rc;

	if (ret != ACCT_OK)
		return ret;
	live = limit_login_unreserve(db, *attempt);
	if (live < 0) {
		db_rollback(db);
		return acct_db(live);
	}
	if (live > 0)
		return ACCT_OK;
	rc = db_commit(db);
	if (rc != DB_OK) {
		db_rollback(db);
		return acct_db(rc);
	}
	*attempt = 0;
	log_warn("a %s's password check outlived its reservation (%d s): answered 503", what,
	         LIMIT_LOGIN_ATTEMPT_TTL);
	return ACCT_UNAVAILABLE;
}

void acct_end(PGconn *db, enum acct_rc ret, struct acct_out *o)
{
	if (ret != ACCT_OK)
		o->mail_id = 0;
	db_rollback(db);
}

/* The longest a check waits for the checks in progress of its email to settle. */
#define ACCT_RESERVE_WAIT_MS 30000
/* Its pauses between two tries: from the first, doubling up to the last. */
#define ACCT_RESERVE_PAUSE_MIN_MS 5
#define ACCT_RESERVE_PAUSE_MAX_MS 50

/* Sleeps ms milliseconds (a signal may cut it short). */
static void acct_pause(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Milliseconds since *start (CLOCK_MONOTONIC). */
static long acct_elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000L;
}

enum acct_rc acct_reserve_check(PGconn *db, const struct client *cl, const char *email,
                                int64_t expect_id, const char *what, struct limit_hit *hit,
                                struct user *u, int64_t *attempt, struct acct_out *o)
{
	const char *client = acct_login_client(cl);
	struct timespec start;
	long pause = ACCT_RESERVE_PAUSE_MIN_MS;
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
		if (expect_id > 0 && u->id != expect_id) {
			db_rollback(db);
			log_info("%s: account %" PRId64 " is gone", what, expect_id);
			return ACCT_BAD_TOKEN;
		}
		rc = limit_login_locked(db, email, client, u->id, &o->retry_after);
		if (rc == 1) {
			rc = hit != NULL
			         ? limit_client_give_back(db, LIMIT_SCOPE_LOGIN, acct_key(cl), hit)
			         : DB_OK;
			if (rc == DB_OK)
				rc = db_commit(db);
			if (rc != DB_OK)
				goto fault;
			o->limit_detail = DETAIL_LOGIN_LIMIT;
			return ACCT_LIMITED;
		}
		if (rc == 0)
			rc = limit_login_reserve(db, email, client, u->id, attempt);
		if (rc < 0)
			goto fault;
		full = rc;
		rc = db_commit(db);
		if (rc != DB_OK)
			goto fault;
		if (!full)
			return ACCT_OK;
		if (acct_elapsed_ms(&start) >= ACCT_RESERVE_WAIT_MS) {
			log_warn(
			    "a %s waited %d s for the password checks in progress for its email: "
			    "answered 503",
			    what, ACCT_RESERVE_WAIT_MS / 1000);
			rc = hit != NULL
			         ? limit_client_give_back(db, LIMIT_SCOPE_LOGIN, acct_key(cl), hit)
			         : DB_OK;
			return rc == DB_OK ? ACCT_UNAVAILABLE : acct_db(rc);
		}
		acct_pause(pause);
		pause =
		    pause * 2 > ACCT_RESERVE_PAUSE_MAX_MS ? ACCT_RESERVE_PAUSE_MAX_MS : pause * 2;
	}
fault:
	db_rollback(db);
	return acct_db(rc);
}

int acct_login_failed(PGconn *db, const struct conf *c, const struct client *cl, const char *email,
                      int64_t user_id, const char *detail)
{
	int locked = 0;
	int rc = limit_login_failed(db, email, acct_login_client(cl), &locked);

	if (rc == DB_OK)
		rc = audit_write(db, c, AUDIT_LOGIN_FAILURE, user_id, email, cl, detail);
	if (rc == DB_OK && (locked & LIMIT_LOCKED_CLIENT))
		rc = audit_write(db, c, AUDIT_LOCKOUT, user_id, email, cl, "this address");
	if (rc == DB_OK && (locked & LIMIT_LOCKED_EMAIL))
		rc = audit_write(db, c, AUDIT_LOCKOUT, user_id, email, cl, "every address");
	if (rc != DB_OK)
		return rc;
	if (locked & LIMIT_LOCKED_CLIENT)
		log_warn("too many failures for one email from one address: locked there for %d s",
		         LIMIT_LOGIN_LOCK);
	if (locked & LIMIT_LOCKED_EMAIL)
		log_warn("too many failures for one email: locked for %d s but for its known "
		         "addresses",
		         LIMIT_LOGIN_EMAIL_LOCK);
	return DB_OK;
}

enum acct_rc acct_new_otp(PGconn *db, const struct conf *c, int64_t id, const char *email,
                          int decoy, int64_t *mail_id)
{
	char code[TOKEN_OTP_LEN + 1];
	unsigned char digest[TOKEN_DIGEST_LEN];
	char hex[2 * TOKEN_DIGEST_LEN + 1];
	char id_s[24];
	char mins[16];
	const char *params[4];
	struct mail_vars v;
	const struct conf_keys *keys = conf_keys(c);
	int rc = DB_ERROR;

	if (keys == NULL || token_otp_new(code) != 0 ||
	    token_otp_digest(keys->otp, id, code, digest) != 0)
		goto out;
	token_hex(digest, hex);
	snprintf(id_s, sizeof(id_s), "%" PRId64, id);
	snprintf(mins, sizeof(mins), "%d", c->otp_expire_minutes);
	params[0] = id_s;
	params[1] = hex;
	params[2] = mins;
	params[3] = decoy ? "false" : "true";
	memset(&v, 0, sizeof(v));
	v.to = email;
	v.code = code;
	v.expire_minutes = c->otp_expire_minutes;
	rc = db_exec(db, ST_OTP_UPSERT, params, 4, NULL);
	if (rc == DB_OK)
		rc = decoy ? mail_decoy(db, c, MAIL_OTP, &v)
		           : mail_enqueue(db, c, MAIL_OTP, id, &v, mail_id);
out:
	OPENSSL_cleanse(code, sizeof(code));
	return acct_db(rc);
}

enum acct_rc acct_new_reset(PGconn *db, const struct conf *c, const struct user *u,
                            const char *email, int after_signup, int64_t *mail_id)
{
	static const struct user nobody = {0};
	char token[TOKEN_RESET_LEN + 1];
	unsigned char digest[TOKEN_DIGEST_LEN];
	char hex[2 * TOKEN_DIGEST_LEN + 1];
	char id_s[24];
	char mins[16];
	char link[1024];
	int decoy = u == NULL;
	const char *params[4] = {id_s, hex, mins, decoy ? "false" : "true"};
	struct mail_vars v;
	long wait = 0;
	int rc;

	*mail_id = 0;
	if (decoy)
		u = &nobody;
	memset(token, 0, sizeof(token));
	memset(link, 0, sizeof(link));
	rc = limit_reset_mail(db, email, &wait);
	if (rc != 0) {
		if (rc == 1 && !decoy)
			log_info("account %" PRId64 ", reset mail cap reached: no mail", u->id);
		rc = rc == 1 ? DB_OK : rc;
		goto out;
	}
	rc = DB_ERROR;
	if (token_reset_new(token) != 0)
		goto out;
	token_sha256(token, strlen(token), digest);
	token_hex(digest, hex);
	snprintf(id_s, sizeof(id_s), "%" PRId64, u->id);
	snprintf(mins, sizeof(mins), "%d", c->reset_token_expire_minutes);
	if ((size_t)snprintf(link, sizeof(link), "%s/reset-password?token=%s", c->frontend_url,
	                     token) >= sizeof(link)) {
		log_error("FRONTEND_URL is too long for a reset link");
		goto out;
	}
	memset(&v, 0, sizeof(v));
	v.to = email;
	/* A name only its owner can have set: a verified account's. */
	v.full_name = u->verified ? u->full_name : NULL;
	v.link = link;
	v.expire_minutes = c->reset_token_expire_minutes;
	v.after_signup = after_signup;
	rc = db_exec(db, ST_RESET_INSERT, params, 4, NULL);
	if (rc == DB_OK)
		rc = decoy ? mail_decoy(db, c, MAIL_RESET, &v)
		           : mail_enqueue(db, c, MAIL_RESET, u->id, &v, mail_id);
out:
	OPENSSL_cleanse(token, sizeof(token));
	OPENSSL_cleanse(link, sizeof(link));
	return acct_db(rc);
}
