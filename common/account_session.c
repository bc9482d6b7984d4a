/* account_session.h: refresh, logout, the list of sessions, revoking one. */
#include "account_session.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "audit.h"
#include "db.h"
#include "log.h"
#include "session.h"

/* How many successors a refresh within the reuse window follows to the current token. */
#define ACCT_REFRESH_CHAIN_MAX 16

/* The minutes of a live session, as text for the statements. */
struct acct_live {
	char idle[16];
	char most[16];
};

static void acct_live_init(struct acct_live *l, const struct conf *c)
{
	snprintf(l->idle, sizeof(l->idle), "%d", c->session_idle_minutes);
	snprintf(l->most, sizeof(l->most), "%d", c->session_max_minutes);
}

/* ST_REFRESH_FIND of refresh token tok into *res (a row when known). ACCT_OK or a fault. */
static enum acct_rc acct_refresh_find(PGconn *db, const struct acct_live *l, const char *tok,
                                      PGresult **res)
{
	char hex[2 * TOKEN_DIGEST_LEN + 1];
	const char *params[3] = {hex, l->idle, l->most};

	session_refresh_digest(tok, hex);
	return acct_db(db_exec(db, ST_REFRESH_FIND, params, 3, res));
}

/* 1 if column col of row 0 is 't'. */
static int acct_true(const PGresult *res, int col)
{
	return strcmp(PQgetvalue(res, 0, col), "t") == 0;
}

/*
 * Ends session sid of user_id if it is live. ACCT_OK (*ended 1 if it was),
 * or a fault.
 */
static enum acct_rc acct_session_end(PGconn *db, const struct acct_live *l, const char *sid,
                                     const char *user_id, int *ended)
{
	const char *params[4] = {sid, user_id, l->idle, l->most};
	PGresult *res = NULL;
	enum acct_rc ret = acct_db(db_exec(db, ST_SESSION_REVOKE, params, 4, &res));

	*ended = ret == ACCT_OK && PQntuples(res) > 0;
	PQclear(res);
	return ret;
}

/*
 * A spent token presented within the reuse window: follows the successors
 * from tok to the session's unspent one, into o->tokens.refresh_token.
 * ACCT_OK, ACCT_BAD_REFRESH_TOKEN (the chain ends: the key changed, or it
 * runs too long), or a fault.
 */
static enum acct_rc acct_refresh_current(PGconn *db, const struct conf *c,
                                         const struct acct_live *l, const char *tok,
                                         struct acct_out *o)
{
	char cur[SESSION_REFRESH_LEN + 1];
	char next[SESSION_REFRESH_LEN + 1];
	enum acct_rc ret = ACCT_BAD_REFRESH_TOKEN;

	snprintf(cur, sizeof(cur), "%s", tok);
	for (int i = 0; i < ACCT_REFRESH_CHAIN_MAX; i++) {
		PGresult *res = NULL;
		int found, spent;

		if (session_successor(c, cur, next) != 0) {
			ret = ACCT_ERROR;
			break;
		}
		ret = acct_refresh_find(db, l, next, &res);
		if (ret != ACCT_OK)
			break;
		found = PQntuples(res) > 0;
		spent = found && acct_true(res, RT_SPENT);
		PQclear(res);
		if (!found) {
			ret = ACCT_BAD_REFRESH_TOKEN;
			break;
		}
		memcpy(cur, next, sizeof(cur));
		if (!spent) {
			memcpy(o->tokens.refresh_token, cur, sizeof(cur));
			ret = ACCT_OK;
			break;
		}
		ret = ACCT_BAD_REFRESH_TOKEN;
	}
	OPENSSL_cleanse(cur, sizeof(cur));
	OPENSSL_cleanse(next, sizeof(next));
	return ret;
}

enum acct_rc account_refresh(PGconn *db, const struct conf *c, const struct client *cl,
                             const char *refresh_token, time_t now, struct acct_out *o)
{
	struct acct_live l;
	PGresult *res = NULL;
	char succ[SESSION_REFRESH_LEN + 1] = "";
	char succ_hex[2 * TOKEN_DIGEST_LEN + 1];
	char rid[24], uid[24];
	char *email = NULL;
	int64_t user_id, min_iat;
	enum acct_rc ret;

	acct_live_init(&l, c);
	if (!session_refresh_well_formed(refresh_token)) {
		log_info("refresh token rejected: not one of ours");
		return ACCT_BAD_REFRESH_TOKEN;
	}
	ret = acct_db(db_begin(db));
	if (ret == ACCT_OK)
		ret = acct_refresh_find(db, &l, refresh_token, &res);
	if (ret != ACCT_OK)
		goto out;
	if (PQntuples(res) == 0 || !acct_true(res, RT_LIVE)) {
		log_info("refresh token rejected: %s",
		         PQntuples(res) == 0 ? "unknown" : "its session ended");
		ret = ACCT_BAD_REFRESH_TOKEN;
		goto out;
	}
	snprintf(rid, sizeof(rid), "%s", PQgetvalue(res, 0, RT_ID));
	snprintf(uid, sizeof(uid), "%s", PQgetvalue(res, 0, RT_USER_ID));
	snprintf(o->tokens.sid, sizeof(o->tokens.sid), "%s", PQgetvalue(res, 0, RT_SESSION_ID));
	user_id = strtoll(uid, NULL, 10);
	min_iat = strtoll(PQgetvalue(res, 0, RT_TOKEN_MIN_IAT), NULL, 10);
	email = strdup(PQgetvalue(res, 0, RT_EMAIL));
	if (email == NULL) {
		log_error("out of memory");
		ret = ACCT_ERROR;
		goto out;
	}
	if (acct_true(res, RT_SPENT)) {
		double ago = strtod(PQgetvalue(res, 0, RT_SPENT_AGO), NULL);

		if (ago > (double)c->refresh_reuse_seconds) {
			int ended = 0;

			/* RFC 9700 4.14.2: a thief or the owner holds a spent token: the session ends. */
			ret = acct_session_end(db, &l, o->tokens.sid, uid, &ended);
			if (ret == ACCT_OK)
				ret = acct_db(audit_write(db, c, AUDIT_REFRESH_REUSED, user_id,
				                          NULL, cl, NULL));
			if (ret == ACCT_OK)
				ret = acct_db(db_commit(db));
			if (ret == ACCT_OK) {
				log_warn("account %" PRId64
				         ": a refresh token spent %.0f s ago came "
				         "again: its session is revoked",
				         user_id, ago);
				ret = ACCT_BAD_REFRESH_TOKEN;
			}
			goto out;
		}
		/* Within the window: the session's current token, nothing more spent. */
		ret = acct_refresh_current(db, c, &l, refresh_token, o);
	} else {
		const char *params[2] = {rid, succ_hex};
		PGresult *ins = NULL;

		if (session_successor(c, refresh_token, succ) != 0) {
			ret = ACCT_ERROR;
			goto out;
		}
		session_refresh_digest(succ, succ_hex);
		ret = acct_db(db_exec(db, ST_REFRESH_SPEND, params, 2, &ins));
		if (ret == ACCT_OK && PQntuples(ins) != 1) {
			log_error("a locked, unspent refresh token could not be spent");
			ret = ACCT_ERROR;
		}
		PQclear(ins);
		if (ret == ACCT_OK)
			memcpy(o->tokens.refresh_token, succ, sizeof(succ));
	}
	if (ret != ACCT_OK)
		goto out;
	if (session_sign(c, user_id, email, min_iat, o->tokens.sid, now, &o->tokens.access_token) !=
	    0) {
		ret = ACCT_ERROR;
		goto out;
	}
	o->tokens.expires_in = c->jwt_expire_minutes * 60;
	ret = acct_db(db_commit(db));
out:
	if (ret != ACCT_OK)
		session_tokens_release(&o->tokens);
	db_rollback(db);
	PQclear(res);
	OPENSSL_cleanse(succ, sizeof(succ));
	free(email);
	return ret;
}

enum acct_rc account_logout(PGconn *db, const struct conf *c, const struct client *cl,
                            const struct acct_token *t, const char *refresh_token, int everywhere)
{
	struct acct_live l;
	PGresult *res = NULL;
	char r_sid[SESSION_ID_LEN + 1] = "";
	char r_uid[24] = "";
	char t_uid[24] = "";
	const char *all_uid = NULL;
	int64_t audit_uid = 0;
	int ended = 0;
	int any = 0;
	enum acct_rc ret;

	acct_live_init(&l, c);
	ret = acct_db(db_begin(db));
	if (ret != ACCT_OK)
		goto out;
	if (refresh_token != NULL && session_refresh_well_formed(refresh_token)) {
		ret = acct_refresh_find(db, &l, refresh_token, &res);
		if (ret != ACCT_OK)
			goto out;
		if (PQntuples(res) > 0) {
			snprintf(r_sid, sizeof(r_sid), "%s", PQgetvalue(res, 0, RT_SESSION_ID));
			snprintf(r_uid, sizeof(r_uid), "%s", PQgetvalue(res, 0, RT_USER_ID));
			audit_uid = strtoll(r_uid, NULL, 10);
		}
	}
	if (t != NULL) {
		snprintf(t_uid, sizeof(t_uid), "%" PRId64, t->user_id);
		audit_uid = t->user_id;
	}
	/* Everywhere, or a token without a session: every session and access token. */
	if (everywhere || (t != NULL && t->sid[0] == '\0'))
		all_uid = t != NULL ? t_uid : r_uid[0] != '\0' ? r_uid : NULL;
	if (all_uid != NULL) {
		const char *params[2] = {all_uid, "t"};
		PGresult *upd = NULL;

		ret = acct_db(db_exec(db, ST_SESSION_END_ALL, params, 2, &upd));
		/* The account's revocation point moved: it exists (else no event). */
		any = ret == ACCT_OK && strcmp(PQcmdTuples(upd), "1") == 0;
		PQclear(upd);
	}
	/* The refresh token's session (of whichever user), and the bearer's. */
	if (ret == ACCT_OK && r_sid[0] != '\0') {
		ret = acct_session_end(db, &l, r_sid, r_uid, &ended);
		any |= ended;
	}
	if (ret == ACCT_OK && t != NULL && t->sid[0] != '\0') {
		ret = acct_session_end(db, &l, t->sid, t_uid, &ended);
		any |= ended;
	}
	/* An event when something ended (an account that is gone gets none). */
	if (ret == ACCT_OK && any && audit_uid > 0)
		ret = acct_db(audit_write(db, c, AUDIT_LOGOUT, audit_uid, NULL, cl,
		                          all_uid != NULL ? "everywhere" : "this session"));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
out:
	db_rollback(db);
	PQclear(res);
	return ret;
}

void acct_sessions_release(struct acct_sessions *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].id);
		free(s->v[i].created_at);
		free(s->v[i].last_used_at);
		free(s->v[i].user_agent);
		free(s->v[i].ip);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* A copy of column col of row i, or NULL for SQL NULL. 0, or -1 out of memory. */
static int acct_col(const PGresult *res, int i, int col, char **out)
{
	*out = NULL;
	if (PQgetisnull(res, i, col))
		return 0;
	*out = strdup(PQgetvalue(res, i, col));
	return *out == NULL ? -1 : 0;
}

enum acct_rc account_sessions(PGconn *db, const struct conf *c, const struct acct_token *t,
                              struct acct_sessions *out)
{
	struct acct_live l;
	char uid[24];
	const char *params[3] = {uid, l.idle, l.most};
	PGresult *res = NULL;
	enum acct_rc ret;
	int n;

	memset(out, 0, sizeof(*out));
	acct_live_init(&l, c);
	snprintf(uid, sizeof(uid), "%" PRId64, t->user_id);
	ret = acct_db(db_exec(db, ST_SESSION_LIST, params, 3, &res));
	if (ret != ACCT_OK)
		return ret;
	n = PQntuples(res);
	if (n > 0) {
		out->v = calloc((size_t)n, sizeof(*out->v));
		if (out->v == NULL)
			goto oom;
	}
	for (int i = 0; i < n; i++) {
		struct acct_session *s = &out->v[i];

		out->n++;
		if (acct_col(res, i, SL_ID, &s->id) != 0 ||
		    acct_col(res, i, SL_CREATED_AT, &s->created_at) != 0 ||
		    acct_col(res, i, SL_LAST_USED_AT, &s->last_used_at) != 0 ||
		    acct_col(res, i, SL_USER_AGENT, &s->user_agent) != 0 ||
		    acct_col(res, i, SL_IP, &s->ip) != 0)
			goto oom;
		s->current = t->sid[0] != '\0' && strcmp(s->id, t->sid) == 0;
	}
	PQclear(res);
	return ACCT_OK;
oom:
	log_error("out of memory");
	PQclear(res);
	acct_sessions_release(out);
	return ACCT_ERROR;
}

enum acct_rc account_session_revoke(PGconn *db, const struct conf *c, const struct client *cl,
                                    const struct acct_token *t, const char *id)
{
	struct acct_live l;
	char uid[24];
	int ended = 0;
	enum acct_rc ret;

	acct_live_init(&l, c);
	snprintf(uid, sizeof(uid), "%" PRId64, t->user_id);
	ret = acct_db(db_begin(db));
	if (ret == ACCT_OK)
		ret = acct_session_end(db, &l, id, uid, &ended);
	if (ret == ACCT_OK && ended)
		ret =
		    acct_db(audit_write(db, c, AUDIT_SESSION_REVOKED, t->user_id, NULL, cl, NULL));
	if (ret == ACCT_OK)
		ret = acct_db(db_commit(db));
	if (ret == ACCT_OK && !ended)
		ret = ACCT_SESSION_NOT_FOUND;
	db_rollback(db);
	return ret;
}
