#include "account.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "db.h"
#include "hashgate.h"
#include "jwt.h"
#include "limit.h"
#include "log.h"
#include "mail.h"
#include "pw.h"
#include "token.h"

#define OTP_MAX_ATTEMPTS 5
/* A sign-up of an unverified address made less than this ago is a double submit. */
#define ACCT_DOUBLE_SUBMIT_SECONDS 60
#define DETAIL_OTP_LIMIT "Too many verification emails requested. Please try again later."
#define DETAIL_LOGIN_LIMIT "Too many failed login attempts. Please try again later."
/* Rounds of reserve, check, settle one login makes while resets change the hash under it. */
#define ACCT_LOGIN_ROUNDS 3
/* The longest a login waits for the checks in progress of its email to settle. */
#define ACCT_LOGIN_WAIT_MS 30000
/* Its pauses between two tries: from the first, doubling up to the last. */
#define ACCT_LOGIN_PAUSE_MIN_MS 5
#define ACCT_LOGIN_PAUSE_MAX_MS 50

/* A row of ST_USER_BY_EMAIL; strings owned, freed by user_release(). */
struct user {
	int64_t id;
	char *full_name;
	char *password_hash;
	int verified;
	int64_t token_min_iat;
	int otp_disabled; /* a second sign-up killed its codes for good */
	int recent;       /* made within ACCT_DOUBLE_SUBMIT_SECONDS */
};

static void user_release(struct user *u)
{
	free(u->full_name);
	if (u->password_hash != NULL) {
		OPENSSL_cleanse(u->password_hash, strlen(u->password_hash));
		free(u->password_hash);
	}
	memset(u, 0, sizeof(*u));
}

void acct_out_release(struct acct_out *o)
{
	if (o->access_token != NULL) {
		OPENSSL_cleanse(o->access_token, strlen(o->access_token));
		free(o->access_token);
	}
	free(o->full_name);
	free(o->email);
	memset(o, 0, sizeof(*o));
}

static enum acct_rc acct_fault(int db_rc)
{
	return db_rc == DB_UNAVAILABLE ? ACCT_UNAVAILABLE : ACCT_ERROR;
}

/*
 * The password settings of c: fills cost, and points this process's hash
 * gate (hashgate.h) at c's HASH_LOCK_FILE and HASH_CONCURRENCY, so a changed
 * setting applies to the next hash. Returns cost.
 */
static const struct pw_cost *acct_pw(const struct conf *c, struct pw_cost *cost)
{
	cost->memory_kib = c->argon2_memory_kib;
	cost->iterations = c->argon2_iterations;
	cost->parallelism = c->argon2_parallelism;
	hashgate_configure(c->hash_lock_file, c->hash_concurrency);
	return cost;
}

/* Begins a transaction and takes email's advisory lock. DB_OK or a db_rc. */
static int acct_begin_locked(PGconn *db, const char *email)
{
	const char *params[1] = {email};
	int rc = db_begin(db);

	if (rc != DB_OK)
		return rc;
	rc = db_exec(db, ST_LOCK_EMAIL, params, 1, NULL);
	if (rc != DB_OK)
		db_rollback(db);
	return rc;
}

/* The client's budget key (client.h), or NULL when unknown. */
static const char *acct_key(const struct client *cl)
{
	return cl != NULL && cl->key[0] != '\0' ? cl->key : NULL;
}

/* The client as login locks count it: its budget key, or "" when unknown. */
static const char *acct_login_client(const struct client *cl)
{
	return cl != NULL ? cl->key : "";
}

/*
 * Outside any transaction, before any work: takes one hit of scope s from
 * the client's budget if it fits (an event when it took the last one).
 * ACCT_OK to go on (*hit to give back if the request is no failure),
 * ACCT_LIMITED (o->retry_after, o->limit_detail), or a fault.
 */
static enum acct_rc acct_client_take(PGconn *db, const struct conf *c, const struct client *cl,
                                     enum limit_scope s, const char *email, struct limit_hit *hit,
                                     struct acct_out *o)
{
	int reached = 0;
	int rc = limit_client_take(db, c, s, acct_key(cl), hit, &o->retry_after, &reached);

	if (rc < 0)
		return acct_fault(rc);
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

/* <0 a db_rc, 0 not found, 1 found (u filled; user_release() it). */
static int user_by_email(PGconn *db, const char *email, struct user *u)
{
	char recent[16];
	const char *params[2] = {email, recent};
	PGresult *res = NULL;
	int rc;

	memset(u, 0, sizeof(*u));
	snprintf(recent, sizeof(recent), "%d", ACCT_DOUBLE_SUBMIT_SECONDS);
	rc = db_exec(db, ST_USER_BY_EMAIL, params, 2, &res);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
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
		user_release(u);
		log_error("out of memory");
		return DB_ERROR;
	}
	return 1;
}

/* Signs an access token for a user. 0 and *out (caller frees), or -1 (logged). */
static int acct_issue_token(const struct conf *c, int64_t id, const char *email,
                            int64_t token_min_iat, time_t now, char **out)
{
	struct jwt_claims cl;
	enum jwt_err e;

	memset(&cl, 0, sizeof(cl));
	cl.sub = id;
	snprintf(cl.email, sizeof(cl.email), "%s", email);
	/* A token must never predate the account's revocation point, even
	 * when it is issued in the same second as a password reset. */
	cl.iat = (int64_t)now > token_min_iat ? (int64_t)now : token_min_iat;
	cl.exp = cl.iat + (int64_t)c->jwt_expire_minutes * 60;
	e = jwt_sign(&cl, c->jwt_secret, c->jwt_secret_len, out);
	if (e != JWT_OK) {
		log_error("could not sign access token: %s", jwt_strerror(e));
		return -1;
	}
	return 0;
}

/*
 * Makes a new OTP for user id (replacing any earlier one) and queues its mail,
 * inside the open transaction. DB_OK and *mail_id, or a db_rc. A decoy does
 * the same work for an address that gets no code, storing and queuing
 * nothing, so that the time of the answer does not tell.
 */
static int acct_new_otp(PGconn *db, const struct conf *c, int64_t id, const char *email, int decoy,
                        int64_t *mail_id)
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
	return rc;
}

/*
 * Makes a reset token for account u and queues the mail with its link,
 * inside the open transaction, if the reset-mail caps allow one more (else
 * nothing, and *mail_id stays 0). after_signup: the mail answers a second
 * sign-up of an unverified account. u NULL: a decoy for an address without
 * an account, the same work (caps read, token and mail made) with nothing
 * stored or queued. DB_OK or a db_rc.
 */
static int acct_new_reset(PGconn *db, const struct conf *c, const struct user *u, const char *email,
                          int after_signup, int64_t *mail_id)
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
	return rc;
}

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
	found = user_by_email(db, r->email, &u);
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
	user_release(&u);
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
	found = user_by_email(db, r->email, &u);
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
	user_release(&u);
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
	found = user_by_email(db, r->email, &u);
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
	user_release(&u);
	return ret;
}

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

/*
 * A login's first step, before any password work: in a short transaction
 * under the email's advisory lock, reads the account into *u (*found 1, or 0
 * for an unknown email), answers a login lock, and reserves the password
 * check (limit_login_reserve()). While the checks in progress for the email
 * leave no room, it commits, pauses and tries again: those end within a hash
 * each, giving their share back or locking. Returns with no transaction
 * open: ACCT_OK and *attempt; ACCT_LIMITED (a login lock: the client's hit
 * given back, o filled); ACCT_UNAVAILABLE after ACCT_LOGIN_WAIT_MS without
 * room (the hit given back); or a fault.
 */
static enum acct_rc acct_login_reserve(PGconn *db, const struct client *cl, const char *email,
                                       struct limit_hit *hit, struct user *u, int *found,
                                       int64_t *attempt, struct acct_out *o)
{
	const char *client = acct_login_client(cl);
	struct timespec start;
	long pause = ACCT_LOGIN_PAUSE_MIN_MS;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		user_release(u);
		rc = acct_begin_locked(db, email);
		if (rc != DB_OK)
			return acct_fault(rc);
		*found = user_by_email(db, email, u);
		if (*found < 0) {
			rc = *found;
			goto fault;
		}
		rc = limit_login_locked(db, email, client, *found ? u->id : 0, &o->retry_after);
		if (rc == 1) {
			rc = limit_client_give_back(db, LIMIT_SCOPE_LOGIN, acct_key(cl), hit);
			if (rc == DB_OK)
				rc = db_commit(db);
			if (rc != DB_OK)
				goto fault;
			o->limit_detail = DETAIL_LOGIN_LIMIT;
			return ACCT_LIMITED;
		}
		if (rc == 0)
			rc = limit_login_reserve(db, email, client, *found ? u->id : 0, attempt);
		if (rc < 0)
			goto fault;
		{
			int full = rc;

			rc = db_commit(db);
			if (rc != DB_OK)
				goto fault;
			if (!full)
				return ACCT_OK;
		}
		if (acct_elapsed_ms(&start) >= ACCT_LOGIN_WAIT_MS) {
			log_warn("a login waited %d s for the password checks in progress for its "
			         "email: answered 503",
			         ACCT_LOGIN_WAIT_MS / 1000);
			rc = limit_client_give_back(db, LIMIT_SCOPE_LOGIN, acct_key(cl), hit);
			return rc == DB_OK ? ACCT_UNAVAILABLE : acct_fault(rc);
		}
		acct_pause(pause);
		pause = pause * 2 > ACCT_LOGIN_PAUSE_MAX_MS ? ACCT_LOGIN_PAUSE_MAX_MS : pause * 2;
	}
fault:
	db_rollback(db);
	return acct_fault(rc);
}

/* 1 when both hold the same stored hash (not secret, but compared as if it were). */
static int acct_same_hash(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

/* A failed login (inside the settling transaction): counted, audited, logged. DB_OK or a db_rc. */
static int acct_login_failed(PGconn *db, const struct conf *c, const struct client *cl,
                             const char *email, int64_t user_id)
{
	int locked = 0;
	int rc = limit_login_failed(db, email, acct_login_client(cl), &locked);

	if (rc == DB_OK)
		rc = audit_write(db, c, AUDIT_LOGIN_FAILURE, user_id, email, cl,
		                 user_id > 0 ? "wrong password" : "unknown email");
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

/*
 * A login's last step, after the check (match 1: the password matched u's
 * hash; found 0: the email had no account, a decoy check): in a short
 * transaction under the email's lock, ends reservation *attempt (0 once
 * committed) and counts the result. When the account's hash is no longer
 * the one checked (a reset committed meanwhile, or the account went), it
 * counts nothing and sets *again: the caller checks again against the
 * current hash. newhash (NULL: none) replaces a hash below the configured
 * cost. ACCT_OK (o->access_token, or *again), ACCT_BAD_LOGIN,
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
	int live;
	int rc;

	*again = 0;
	memset(&cur, 0, sizeof(cur));
	rc = acct_begin_locked(db, r->email);
	if (rc != DB_OK)
		return acct_fault(rc);
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
		log_warn("a login's password check outlived its reservation (%d s): answered 503",
		         LIMIT_LOGIN_ATTEMPT_TTL);
		ret = ACCT_UNAVAILABLE;
		goto out;
	}
	rc = user_by_email(db, r->email, &cur);
	if (rc < 0)
		goto fault;
	if (found &&
	    (rc == 0 || cur.id != u->id || !acct_same_hash(cur.password_hash, u->password_hash))) {
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
		rc = acct_login_failed(db, c, cl, r->email, found ? u->id : 0);
		if (rc == DB_OK)
			rc = db_commit(db);
		if (rc != DB_OK)
			goto fault;
		*attempt = 0;
		ret = ACCT_BAD_LOGIN;
		goto out;
	}
	/* Right password: only a verified account signs in (and makes the client known). */
	rc = limit_login_succeeded(db, r->email, acct_login_client(cl), cur.verified ? cur.id : 0);
	if (rc == DB_OK && newhash != NULL) {
		char id_s[24];
		const char *params[3] = {id_s, cur.password_hash, newhash};

		snprintf(id_s, sizeof(id_s), "%" PRId64, cur.id);
		rc = db_exec(db, ST_USER_SET_HASH, params, 3, NULL);
		if (rc == DB_OK)
			log_info("password hash of user %" PRId64 " upgraded to argon2id", cur.id);
	}
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
	if (acct_issue_token(c, cur.id, r->email, cur.token_min_iat, now, &o->access_token) != 0)
		goto out;
	ret = ACCT_OK;
	goto out;
fault:
	db_rollback(db);
	ret = acct_fault(rc);
out:
	user_release(&cur);
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

		ret = acct_login_reserve(db, cl, r->email, &hit, &u, &found, &attempt, o);
		if (ret != ACCT_OK)
			goto out;
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
	user_release(&u);
	return ret;
}

enum acct_rc account_forgot_password(PGconn *db, const struct conf *c, const struct client *cl,
                                     const struct email_req *r, struct acct_out *o)
{
	struct user u;
	struct limit_hit hit;
	enum acct_rc ret = ACCT_ERROR;
	int found;
	int rc;

	memset(&u, 0, sizeof(u));
	ret = acct_client_take(db, c, cl, LIMIT_SCOPE_FORGOT, r->email, &hit, o);
	if (ret != ACCT_OK)
		goto out;
	ret = ACCT_ERROR;
	rc = acct_begin_locked(db, r->email);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	found = user_by_email(db, r->email, &u);
	if (found < 0) {
		ret = acct_fault(found);
		goto out;
	}
	/*
	 * The same answer whatever the address, and the same work before it (an
	 * unknown address gets a decoy: caps read, token and mail made, nothing
	 * kept); the mail, if any, goes out after the answer (acct_out.mail_id),
	 * so the time does not tell either. Past the reset-mail caps: the same
	 * answer and no mail.
	 */
	rc = acct_new_reset(db, c, found ? &u : NULL, r->email, 0, &o->mail_id);
	if (rc == DB_OK && !found)
		rc = audit_write(db, c, AUDIT_RESET_REQUESTED, 0, r->email, cl, "no account");
	if (rc == DB_OK && o->mail_id > 0)
		rc = audit_write(db, c, AUDIT_RESET_REQUESTED, u.id, r->email, cl, NULL);
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		o->mail_id = 0;
		ret = acct_fault(rc);
		goto out;
	}
	if (o->mail_id > 0)
		log_info("account %" PRId64 ", reset link queued", u.id);
	ret = ACCT_OK;
out:
	db_rollback(db);
	user_release(&u);
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
	enum acct_rc ret = ACCT_ERROR;
	int rc;

	token_sha256(r->token, strlen(r->token), digest);
	token_hex(digest, hex);
	/* The token's account, in a statement of its own: no transaction stays
	 * open, no lock held, while the password is judged and hashed. */
	rc = db_exec(db, ST_RESET_FIND, find, 1, &res);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
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
		goto out;
	}
	/* Now that the account is known, its own words count against the password. */
	if (valid_new_password(&o->errs, "new_password", r->new_password, strlen(r->new_password),
	                       email, full_name) != 0) {
		ret = ACCT_WEAK_PASSWORD;
		goto out;
	}
	if (pw_hash(r->new_password, strlen(r->new_password), acct_pw(c, &cost), &hash) != 0)
		goto out;
	/*
	 * One short transaction, under the email's lock (so a login settling
	 * sees the old hash or the new one, never between): the token must still
	 * be live and the same account's (a concurrent reset with it may have
	 * spent it meanwhile).
	 */
	rc = acct_begin_locked(db, email);
	if (rc == DB_OK)
		rc = db_exec(db, ST_RESET_FIND, find, 1, &res);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, RF_USER_ID), id_s) != 0) {
		ret = ACCT_BAD_RESET_TOKEN;
		goto out;
	}
	{
		const char *params[2] = {id_s, hash};

		rc = db_exec(db, ST_USER_SET_PASSWORD, params, 2, NULL);
	}
	if (rc == DB_OK)
		rc = db_exec(db, ST_RESET_KILL_ALL, by_id, 1, NULL);
	if (rc == DB_OK)
		rc = db_exec(db, ST_OTP_DELETE, by_id, 1, NULL);
	if (rc == DB_OK)
		rc = limit_login_clear(db, email);
	if (rc == DB_OK) {
		memset(&v, 0, sizeof(v));
		v.to = email;
		/* The name of an account nobody had verified may be a stranger's. */
		v.full_name = was_verified ? full_name : NULL;
		rc = mail_enqueue(db, c, MAIL_PASSWORD_CHANGED, strtoll(id_s, NULL, 10), &v,
		                  &o->mail_id);
	}
	if (rc == DB_OK)
		rc = audit_write(db, c, AUDIT_RESET_COMPLETED, strtoll(id_s, NULL, 10), email, cl,
		                 NULL);
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		o->mail_id = 0;
		ret = acct_fault(rc);
		goto out;
	}
	log_info("account %s, password changed", id_s);
	ret = ACCT_OK;
out:
	db_rollback(db);
	PQclear(res);
	if (hash != NULL) {
		OPENSSL_cleanse(hash, strlen(hash));
		free(hash);
	}
	free(email);
	free(full_name);
	return ret;
}

enum acct_rc account_check_token(const struct conf *c, const char *token, time_t now,
                                 int64_t *user_id, int64_t *iat, const char **why)
{
	struct jwt_claims cl;
	enum jwt_err e;

	*why = NULL;
	e = jwt_verify(token, c->jwt_secret, c->jwt_secret_len, now, &cl);
	if (e != JWT_OK) {
		*why = jwt_strerror(e);
		log_info("access token rejected: %s", *why);
		return e == JWT_INTERNAL ? ACCT_ERROR : ACCT_BAD_TOKEN;
	}
	*user_id = cl.sub;
	*iat = cl.iat;
	return ACCT_OK;
}

void account_token_rejected(PGconn *db, const struct conf *c, const struct client *cl,
                            int64_t user_id, const char *why)
{
	if (audit_write(db, c, AUDIT_TOKEN_REJECTED, user_id, NULL, cl, why) != DB_OK)
		log_error("could not record a token_rejected event");
}

enum acct_rc account_profile(PGconn *db, const struct conf *c, const struct client *cl,
                             int64_t user_id, int64_t iat, struct acct_out *o)
{
	char id_s[24];
	const char *params[1] = {id_s};
	PGresult *res = NULL;
	enum acct_rc ret = ACCT_ERROR;
	int rc;

	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	rc = db_exec(db, ST_USER_BY_ID, params, 1, &res);
	if (rc != DB_OK)
		return acct_fault(rc);
	if (PQntuples(res) == 0) {
		log_info("access token rejected: account %" PRId64 " is gone", user_id);
		account_token_rejected(db, c, cl, 0, "account gone");
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	if (iat < strtoll(PQgetvalue(res, 0, UBI_TOKEN_MIN_IAT), NULL, 10)) {
		log_info("access token rejected: revoked by a password reset");
		account_token_rejected(db, c, cl, user_id, "token revoked");
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	o->id = user_id;
	o->full_name = strdup(PQgetvalue(res, 0, UBI_FULL_NAME));
	o->email = strdup(PQgetvalue(res, 0, UBI_EMAIL));
	o->is_verified = strcmp(PQgetvalue(res, 0, UBI_IS_VERIFIED), "t") == 0;
	if (o->full_name == NULL || o->email == NULL) {
		log_error("out of memory");
		goto out;
	}
	ret = ACCT_OK;
out:
	PQclear(res);
	return ret;
}

enum acct_rc account_ping(PGconn *db)
{
	int rc = db_exec(db, ST_PING, NULL, 0, NULL);

	return rc == DB_OK ? ACCT_OK : ACCT_UNAVAILABLE;
}
