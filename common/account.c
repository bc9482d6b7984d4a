#include "account.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "jwt.h"
#include "limit.h"
#include "log.h"
#include "mail.h"
#include "pw.h"
#include "token.h"

#define OTP_MAX_ATTEMPTS 5
#define DETAIL_OTP_LIMIT "Too many verification emails requested. Please try again later."
#define DETAIL_LOGIN_LIMIT "Too many failed login attempts. Please try again later."
#define DETAIL_CLIENT_LOGIN \
	"Too many failed login attempts from this address. Please try again later."
#define DETAIL_CLIENT_OTP \
	"Too many failed verification attempts from this address. Please try again later."
#define DETAIL_CLIENT_REQUESTS "Too many requests from this address. Please try again later."

/* A row of ST_USER_BY_EMAIL; strings owned, freed by user_release(). */
struct user {
	int64_t id;
	char *full_name;
	char *password_hash;
	int verified;
	int64_t token_min_iat;
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

static const struct pw_cost *acct_cost(const struct conf *c, struct pw_cost *cost)
{
	cost->memory_kib = c->argon2_memory_kib;
	cost->iterations = c->argon2_iterations;
	cost->parallelism = c->argon2_parallelism;
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

/* The client's address, or NULL when unknown. */
static const char *acct_addr(const struct client *cl)
{
	return cl != NULL && cl->addr[0] != '\0' ? cl->addr : NULL;
}

/* The 429 detail of a per-address limit. */
static const char *acct_client_detail(enum limit_scope s)
{
	switch (s) {
	case LIMIT_SCOPE_LOGIN:
		return DETAIL_CLIENT_LOGIN;
	case LIMIT_SCOPE_VERIFY_OTP:
		return DETAIL_CLIENT_OTP;
	case LIMIT_SCOPE_SIGNUP:
	case LIMIT_SCOPE_RESEND_OTP:
	case LIMIT_SCOPE_FORGOT:
		break;
	}
	return DETAIL_CLIENT_REQUESTS;
}

/*
 * Outside any transaction: counts one request of scope s from the client if
 * it fits its address's budget (an event when it took the last one). ACCT_OK
 * to go on, ACCT_LIMITED (o->retry_after, o->limit_detail), or a fault.
 */
static enum acct_rc acct_client_take(PGconn *db, const struct conf *c, const struct client *cl,
                                     enum limit_scope s, const char *email, struct acct_out *o)
{
	int reached = 0;
	int rc = limit_client_take(db, c, s, acct_addr(cl), &o->retry_after, &reached);

	if (rc < 0)
		return acct_fault(rc);
	if (rc == 1) {
		log_info("client address over its %s limit", limit_scope_name(s));
		o->limit_detail = acct_client_detail(s);
		return ACCT_LIMITED;
	}
	if (reached &&
	    audit_write(db, AUDIT_CLIENT_LIMITED, 0, email, cl, limit_scope_name(s)) != DB_OK)
		log_error("could not record a client_limited event");
	return ACCT_OK;
}

/*
 * Outside any transaction: ACCT_OK when the client's address may still fail
 * at scope s, else ACCT_LIMITED (o->retry_after, o->limit_detail) or a fault.
 */
static enum acct_rc acct_client_check(PGconn *db, const struct conf *c, const struct client *cl,
                                      enum limit_scope s, struct acct_out *o)
{
	int rc = limit_client_check(db, c, s, acct_addr(cl), &o->retry_after);

	if (rc < 0)
		return acct_fault(rc);
	if (rc == 1) {
		log_info("client address over its %s limit", limit_scope_name(s));
		o->limit_detail = acct_client_detail(s);
		return ACCT_LIMITED;
	}
	return ACCT_OK;
}

/*
 * Inside the open transaction: counts a failure of scope s against the
 * client's address (an event when it reached the budget). DB_OK or a db_rc.
 */
static int acct_client_fail(PGconn *db, const struct conf *c, const struct client *cl,
                            enum limit_scope s, const char *email)
{
	int reached = 0;
	int rc = limit_client_fail(db, c, s, acct_addr(cl), &reached);

	if (rc == DB_OK && reached)
		rc = audit_write(db, AUDIT_CLIENT_LIMITED, 0, email, cl, limit_scope_name(s));
	return rc;
}

/* <0 a db_rc, 0 not found, 1 found (u filled; user_release() it). */
static int user_by_email(PGconn *db, const char *email, struct user *u)
{
	const char *params[1] = {email};
	PGresult *res = NULL;
	int rc;

	memset(u, 0, sizeof(*u));
	rc = db_exec(db, ST_USER_BY_EMAIL, params, 1, &res);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	u->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	u->full_name = strdup(PQgetvalue(res, 0, 1));
	u->password_hash = strdup(PQgetvalue(res, 0, 2));
	u->verified = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	u->token_min_iat = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
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
 * inside the open transaction. DB_OK and *mail_id, or a db_rc.
 */
static int acct_new_otp(PGconn *db, const struct conf *c, int64_t id, const char *email,
                        const char *full_name, int64_t *mail_id)
{
	char code[TOKEN_OTP_LEN + 1];
	unsigned char digest[TOKEN_DIGEST_LEN];
	char hex[2 * TOKEN_DIGEST_LEN + 1];
	char id_s[24];
	char mins[16];
	const char *params[3];
	struct mail_vars v;
	int rc = DB_ERROR;

	if (token_otp_new(code) != 0 || token_otp_digest(c->otp_key, id, code, digest) != 0)
		goto out;
	token_hex(digest, hex);
	snprintf(id_s, sizeof(id_s), "%" PRId64, id);
	snprintf(mins, sizeof(mins), "%d", c->otp_expire_minutes);
	params[0] = id_s;
	params[1] = hex;
	params[2] = mins;
	rc = db_exec(db, ST_OTP_UPSERT, params, 3, NULL);
	if (rc != DB_OK)
		goto out;
	memset(&v, 0, sizeof(v));
	v.to = email;
	v.full_name = full_name;
	v.code = code;
	v.expire_minutes = c->otp_expire_minutes;
	rc = mail_enqueue(db, c, MAIL_OTP, id, &v, mail_id);
out:
	OPENSSL_cleanse(code, sizeof(code));
	return rc;
}

enum acct_rc account_signup(PGconn *db, const struct conf *c, const struct client *cl,
                            const struct signup_req *r, struct acct_out *o)
{
	struct pw_cost cost;
	struct user u;
	char *hash = NULL;
	char id_s[24];
	int64_t id = 0;
	int64_t mail_id = 0;
	PGresult *res = NULL;
	enum acct_rc ret = ACCT_ERROR;
	int found;
	int rc;

	memset(&u, 0, sizeof(u));
	ret = acct_client_take(db, c, cl, LIMIT_SCOPE_SIGNUP, r->email, o);
	if (ret != ACCT_OK)
		goto out;
	ret = ACCT_ERROR;
	/* The slow hash is made before any lock is held. */
	if (pw_hash(r->password, strlen(r->password), acct_cost(c, &cost), &hash) != 0)
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
	if (found && u.verified) {
		ret = ACCT_EMAIL_TAKEN;
		goto out;
	}
	rc = limit_mail(db, "otp", r->email, LIMIT_OTP_MAIL_GAP, LIMIT_OTP_MAIL_HOUR_MAX,
	                &o->retry_after);
	if (rc != 0) {
		ret = rc == 1 ? ACCT_LIMITED : acct_fault(rc);
		o->limit_detail = DETAIL_OTP_LIMIT;
		goto out;
	}
	if (found) {
		const char *params[3] = {id_s, r->full_name, hash};

		id = u.id;
		snprintf(id_s, sizeof(id_s), "%" PRId64, id);
		rc = db_exec(db, ST_USER_UPDATE_SIGNUP, params, 3, NULL);
	} else {
		const char *params[3] = {r->email, r->full_name, hash};

		rc = db_exec(db, ST_USER_INSERT, params, 3, &res);
		if (rc == DB_OK)
			id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	}
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	rc = acct_new_otp(db, c, id, r->email, r->full_name, &mail_id);
	if (rc == DB_OK)
		rc = audit_write(db, AUDIT_SIGNUP, id, r->email, cl, found ? "again" : "new");
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	log_info("account %" PRId64 " %s, verification code sent", id,
	         found ? "signed up again" : "created");
	mail_outbox_deliver_id(db, c, mail_id);
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
	char id_s[24];
	const char *params[1] = {id_s};
	PGresult *res = NULL;
	unsigned char got[TOKEN_DIGEST_LEN];
	char got_hex[2 * TOKEN_DIGEST_LEN + 1];
	const char *want_hex;
	enum acct_rc ret = ACCT_ERROR;
	int found;
	int rc;

	memset(&u, 0, sizeof(u));
	/* A locked-out address does no work at all. */
	ret = acct_client_check(db, c, cl, LIMIT_SCOPE_VERIFY_OTP, o);
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
		ret = ACCT_ALREADY_VERIFIED;
		goto out;
	}
	snprintf(id_s, sizeof(id_s), "%" PRId64, u.id);
	rc = db_exec(db, ST_OTP_GET, params, 1, &res);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 1), "t") != 0 ||
	    strtol(PQgetvalue(res, 0, 2), NULL, 10) >= OTP_MAX_ATTEMPTS)
		goto bad_otp;
	want_hex = PQgetvalue(res, 0, 0);
	if (token_otp_digest(c->otp_key, u.id, r->otp, got) != 0)
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
		rc = audit_write(db, AUDIT_OTP_VERIFIED, u.id, r->email, cl, NULL);
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
	/* Wrong, expired, spent or dead code, or unknown email: one failure of the address. */
	rc = acct_client_fail(db, c, cl, LIMIT_SCOPE_VERIFY_OTP, r->email);
	if (rc == DB_OK)
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
	int64_t mail_id = 0;
	enum acct_rc ret = ACCT_ERROR;
	int found;
	int rc;

	memset(&u, 0, sizeof(u));
	ret = acct_client_take(db, c, cl, LIMIT_SCOPE_RESEND_OTP, r->email, o);
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
	if (found == 0 || u.verified) {
		ret = ACCT_OK; /* nothing to send, and nothing said about it */
		goto out;
	}
	rc = limit_mail(db, "otp", r->email, LIMIT_OTP_MAIL_GAP, LIMIT_OTP_MAIL_HOUR_MAX,
	                &o->retry_after);
	if (rc != 0) {
		ret = rc == 1 ? ACCT_LIMITED : acct_fault(rc);
		o->limit_detail = DETAIL_OTP_LIMIT;
		goto out;
	}
	rc = acct_new_otp(db, c, u.id, r->email, u.full_name, &mail_id);
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	log_info("account %" PRId64 ", new verification code sent", u.id);
	mail_outbox_deliver_id(db, c, mail_id);
	ret = ACCT_OK;
out:
	db_rollback(db);
	user_release(&u);
	return ret;
}

/*
 * After a login matched: replaces a bcrypt hash (an account migrated from the
 * FastAPI version) or an Argon2id hash below the configured cost with a new
 * one from pw (pwlen bytes, NULs included), inside the open transaction.
 * DB_OK (also when hashing failed: logged, and the old hash stays) or a db_rc.
 */
static int acct_rehash(PGconn *db, const struct conf *c, const struct user *u, const char *pw,
                       size_t pwlen)
{
	struct pw_cost cost;
	char id_s[24];
	char *phc = NULL;
	const char *params[3];
	int rc;

	if (!pw_needs_rehash(u->password_hash, acct_cost(c, &cost)))
		return DB_OK;
	if (pw_hash(pw, pwlen, &cost, &phc) != 0)
		return DB_OK;
	snprintf(id_s, sizeof(id_s), "%" PRId64, u->id);
	params[0] = id_s;
	params[1] = u->password_hash;
	params[2] = phc;
	rc = db_exec(db, ST_USER_SET_HASH, params, 3, NULL);
	if (rc == DB_OK)
		log_info("password hash of user %" PRId64 " upgraded to argon2id", u->id);
	OPENSSL_cleanse(phc, strlen(phc));
	free(phc);
	return rc;
}

enum acct_rc account_login(PGconn *db, const struct conf *c, const struct client *cl,
                           const struct login_req *r, time_t now, struct acct_out *o)
{
	struct pw_cost cost;
	struct user u;
	enum acct_rc ret = ACCT_ERROR;
	int found;
	int match = 0;
	int locked = 0;
	int rc;

	memset(&u, 0, sizeof(u));
	/* A locked-out address does no password work at all. */
	ret = acct_client_check(db, c, cl, LIMIT_SCOPE_LOGIN, o);
	if (ret != ACCT_OK)
		goto out;
	ret = ACCT_ERROR;
	rc = acct_begin_locked(db, r->email);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	rc = limit_login_locked(db, r->email, &o->retry_after);
	if (rc != 0) {
		ret = rc == 1 ? ACCT_LIMITED : acct_fault(rc);
		o->limit_detail = DETAIL_LOGIN_LIMIT;
		goto out;
	}
	found = user_by_email(db, r->email, &u);
	if (found < 0) {
		ret = acct_fault(found);
		goto out;
	}
	if (found) {
		match = pw_verify(u.password_hash, r->password, r->password_len);
		if (match < 0)
			goto out;
	} else {
		/* The same work as a verify, so timing does not tell. */
		pw_burn(r->password, r->password_len, acct_cost(c, &cost));
	}
	if (!match) {
		rc = limit_login_failed(db, r->email, &locked);
		if (rc == DB_OK)
			rc = audit_write(db, AUDIT_LOGIN_FAILURE, found ? u.id : 0, r->email, cl,
			                 found ? "wrong password" : "unknown email");
		if (rc == DB_OK && locked)
			rc = audit_write(db, AUDIT_LOCKOUT, found ? u.id : 0, r->email, cl, NULL);
		if (rc == DB_OK)
			rc = acct_client_fail(db, c, cl, LIMIT_SCOPE_LOGIN, r->email);
		if (rc == DB_OK)
			rc = db_commit(db);
		if (rc != DB_OK) {
			ret = acct_fault(rc);
			goto out;
		}
		if (locked)
			log_warn("too many failures, address locked for %d s", LIMIT_LOGIN_LOCK);
		ret = ACCT_BAD_LOGIN;
		goto out;
	}
	rc = limit_login_clear(db, r->email);
	if (rc == DB_OK)
		rc = acct_rehash(db, c, &u, r->password, r->password_len);
	if (rc == DB_OK)
		rc = audit_write(db, u.verified ? AUDIT_LOGIN_SUCCESS : AUDIT_LOGIN_FAILURE, u.id,
		                 r->email, cl, u.verified ? NULL : "not verified");
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	if (!u.verified) {
		ret = ACCT_NOT_VERIFIED;
		goto out;
	}
	if (acct_issue_token(c, u.id, r->email, u.token_min_iat, now, &o->access_token) != 0)
		goto out;
	ret = ACCT_OK;
out:
	db_rollback(db);
	user_release(&u);
	return ret;
}

enum acct_rc account_forgot_password(PGconn *db, const struct conf *c, const struct client *cl,
                                     const struct email_req *r, struct acct_out *o)
{
	struct user u;
	char token[TOKEN_RESET_LEN + 1];
	unsigned char digest[TOKEN_DIGEST_LEN];
	char hex[2 * TOKEN_DIGEST_LEN + 1];
	char id_s[24];
	char mins[16];
	char link[1024];
	struct mail_vars v;
	int64_t mail_id = 0;
	enum acct_rc ret = ACCT_ERROR;
	int found;
	int rc;

	memset(&u, 0, sizeof(u));
	memset(token, 0, sizeof(token));
	memset(link, 0, sizeof(link));
	ret = acct_client_take(db, c, cl, LIMIT_SCOPE_FORGOT, r->email, o);
	if (ret != ACCT_OK)
		goto out;
	ret = ACCT_ERROR;
	rc = acct_begin_locked(db, r->email);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	found = user_by_email(db, r->email, &u);
	if (found <= 0) {
		ret = found < 0 ? acct_fault(found) : ACCT_OK;
		goto out;
	}
	rc = limit_mail(db, "reset", r->email, LIMIT_RESET_MAIL_GAP, 0, &o->retry_after);
	if (rc != 0) {
		/* Within the cooldown: the same answer, and no mail. */
		ret = rc == 1 ? ACCT_OK : acct_fault(rc);
		o->retry_after = 0;
		goto out;
	}
	if (token_reset_new(token) != 0)
		goto out;
	token_sha256(token, strlen(token), digest);
	token_hex(digest, hex);
	snprintf(id_s, sizeof(id_s), "%" PRId64, u.id);
	snprintf(mins, sizeof(mins), "%d", c->reset_token_expire_minutes);
	if ((size_t)snprintf(link, sizeof(link), "%s/reset-password?token=%s", c->frontend_url,
	                     token) >= sizeof(link)) {
		log_error("FRONTEND_URL is too long for a reset link");
		goto out;
	}
	{
		const char *params[3] = {id_s, hex, mins};

		rc = db_exec(db, ST_RESET_INSERT, params, 3, NULL);
	}
	if (rc == DB_OK) {
		memset(&v, 0, sizeof(v));
		v.to = r->email;
		v.full_name = u.full_name;
		v.link = link;
		v.expire_minutes = c->reset_token_expire_minutes;
		rc = mail_enqueue(db, c, MAIL_RESET, u.id, &v, &mail_id);
	}
	if (rc == DB_OK)
		rc = audit_write(db, AUDIT_RESET_REQUESTED, u.id, r->email, cl, NULL);
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	log_info("account %" PRId64 ", reset link sent", u.id);
	mail_outbox_deliver_id(db, c, mail_id);
	ret = ACCT_OK;
out:
	db_rollback(db);
	OPENSSL_cleanse(token, sizeof(token));
	OPENSSL_cleanse(link, sizeof(link));
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
	char id_s[24];
	const char *by_id[1] = {id_s};
	struct mail_vars v;
	int64_t mail_id = 0;
	enum acct_rc ret = ACCT_ERROR;
	int rc;

	token_sha256(r->token, strlen(r->token), digest);
	token_hex(digest, hex);
	rc = db_begin(db);
	if (rc == DB_OK)
		rc = db_exec(db, ST_RESET_FIND, find, 1, &res);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	if (PQntuples(res) == 0) {
		ret = ACCT_BAD_RESET_TOKEN;
		goto out;
	}
	snprintf(id_s, sizeof(id_s), "%s", PQgetvalue(res, 0, 1));
	email = strdup(PQgetvalue(res, 0, 2));
	full_name = strdup(PQgetvalue(res, 0, 3));
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
	if (pw_hash(r->new_password, strlen(r->new_password), acct_cost(c, &cost), &hash) != 0)
		goto out;
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
		v.full_name = full_name;
		rc = mail_enqueue(db, c, MAIL_PASSWORD_CHANGED, strtoll(id_s, NULL, 10), &v,
		                  &mail_id);
	}
	if (rc == DB_OK)
		rc = audit_write(db, AUDIT_RESET_COMPLETED, strtoll(id_s, NULL, 10), email, cl,
		                 NULL);
	if (rc == DB_OK)
		rc = db_commit(db);
	if (rc != DB_OK) {
		ret = acct_fault(rc);
		goto out;
	}
	log_info("account %s, password changed", id_s);
	mail_outbox_deliver_id(db, c, mail_id);
	ret = ACCT_OK;
out:
	db_rollback(db);
	PQclear(res);
	free(hash);
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

void account_token_rejected(PGconn *db, const struct client *cl, int64_t user_id, const char *why)
{
	if (audit_write(db, AUDIT_TOKEN_REJECTED, user_id, NULL, cl, why) != DB_OK)
		log_error("could not record a token_rejected event");
}

enum acct_rc account_profile(PGconn *db, const struct client *cl, int64_t user_id, int64_t iat,
                             struct acct_out *o)
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
		account_token_rejected(db, cl, 0, "account gone");
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	if (iat < strtoll(PQgetvalue(res, 0, 4), NULL, 10)) {
		log_info("access token rejected: revoked by a password reset");
		account_token_rejected(db, cl, user_id, "token revoked");
		ret = ACCT_BAD_TOKEN;
		goto out;
	}
	o->id = user_id;
	o->full_name = strdup(PQgetvalue(res, 0, 1));
	o->email = strdup(PQgetvalue(res, 0, 2));
	o->is_verified = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
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
