#include "limit.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* Whether one more mail of kind to email fits: 1 per gap s, max per window s. As limit_otp_mail(). */
static int limit_mail(PGconn *db, const char *kind, const char *email, int gap, int window, int max,
                      long *retry_after)
{
	char gap_s[16];
	char window_s[16];
	const char *params[4];
	PGresult *res = NULL;
	long short_n, long_n, short_wait, long_wait;
	int rc;

	*retry_after = 0;
	snprintf(gap_s, sizeof(gap_s), "%d", gap);
	snprintf(window_s, sizeof(window_s), "%d", window);
	params[0] = kind;
	params[1] = email;
	params[2] = gap_s;
	params[3] = window_s;
	rc = db_exec(db, ST_MAIL_COUNTS, params, 4, &res);
	if (rc != DB_OK)
		return rc;
	short_n = strtol(PQgetvalue(res, 0, MC_IN_GAP), NULL, 10);
	long_n = strtol(PQgetvalue(res, 0, MC_IN_WINDOW), NULL, 10);
	short_wait = strtol(PQgetvalue(res, 0, MC_GAP_WAIT), NULL, 10);
	long_wait = strtol(PQgetvalue(res, 0, MC_WINDOW_WAIT), NULL, 10);
	PQclear(res);

	rc = 0;
	if (short_n >= 1) {
		*retry_after = short_wait;
		rc = 1;
	}
	if (long_n >= max) {
		if (long_wait > *retry_after)
			*retry_after = long_wait;
		rc = 1;
	}
	if (rc == 1 && *retry_after < 1)
		*retry_after = 1;
	return rc;
}

int limit_otp_mail(PGconn *db, const char *email, long *retry_after)
{
	return limit_mail(db, "otp", email, LIMIT_OTP_MAIL_GAP, LIMIT_OTP_MAIL_WINDOW,
	                  LIMIT_OTP_MAIL_MAX, retry_after);
}

int limit_mfa_mail(PGconn *db, const char *email, long *retry_after)
{
	return limit_mail(db, "mfa_setup", email, LIMIT_OTP_MAIL_GAP, LIMIT_OTP_MAIL_WINDOW,
	                  LIMIT_OTP_MAIL_MAX, retry_after);
}

int limit_reset_mail(PGconn *db, const char *email, long *retry_after)
{
	return limit_mail(db, "reset", email, LIMIT_RESET_MAIL_GAP, LIMIT_RESET_MAIL_WINDOW,
	                  LIMIT_RESET_MAIL_MAX, retry_after);
}

int limit_login_locked(PGconn *db, const char *email, const char *client, int64_t user_id,
                       long *retry_after)
{
	char id_s[24], days[16];
	const char *params[4] = {email, client != NULL ? client : "", user_id > 0 ? id_s : NULL,
	                         days};
	PGresult *res = NULL;
	int rc;

	*retry_after = 0;
	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	snprintf(days, sizeof(days), "%d", LIMIT_LOGIN_KNOWN_DAYS);
	rc = db_exec(db, ST_LOGIN_LOCKED, params, 4, &res);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, SQL_ONLY_COL)) {
		PQclear(res);
		return 0;
	}
	*retry_after = strtol(PQgetvalue(res, 0, SQL_ONLY_COL), NULL, 10);
	if (*retry_after < 1)
		*retry_after = 1;
	PQclear(res);
	return 1;
}

/* Runs a failure count (ST_LOGIN_FAIL, ST_LOGIN_EMAIL_FAIL); *locked = 1 if it started a lock. */
static int limit_count_failure(PGconn *db, enum sql_stmt st, const char *const *params, int nparams,
                               int *locked)
{
	PGresult *res = NULL;
	int rc = db_exec(db, st, params, nparams, &res);

	*locked = 0;
	if (rc != DB_OK)
		return rc;
	*locked = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, LF_LOCKED_NOW), "t") == 0;
	PQclear(res);
	return DB_OK;
}

int limit_login_failed(PGconn *db, const char *email, const char *client, int *locked)
{
	char window[16], max[16], lock[16];
	char ewindow[16], emax[16], elock[16];
	const char *pair[5] = {email, client != NULL ? client : "", window, max, lock};
	const char *wide[4] = {email, ewindow, emax, elock};
	int one = 0, all = 0;
	int rc;

	*locked = 0;
	snprintf(window, sizeof(window), "%d", LIMIT_LOGIN_WINDOW);
	snprintf(max, sizeof(max), "%d", LIMIT_LOGIN_MAX_FAILURES);
	snprintf(lock, sizeof(lock), "%d", LIMIT_LOGIN_LOCK);
	snprintf(ewindow, sizeof(ewindow), "%d", LIMIT_LOGIN_EMAIL_WINDOW);
	snprintf(emax, sizeof(emax), "%d", LIMIT_LOGIN_EMAIL_MAX_FAILURES);
	snprintf(elock, sizeof(elock), "%d", LIMIT_LOGIN_EMAIL_LOCK);
	rc = limit_count_failure(db, ST_LOGIN_FAIL, pair, 5, &one);
	if (rc == DB_OK)
		rc = limit_count_failure(db, ST_LOGIN_EMAIL_FAIL, wide, 4, &all);
	if (rc != DB_OK)
		return rc;
	*locked = (one ? LIMIT_LOCKED_CLIENT : 0) | (all ? LIMIT_LOCKED_EMAIL : 0);
	return DB_OK;
}

int limit_login_succeeded(PGconn *db, const char *email, const char *client, int64_t user_id)
{
	char id_s[24];
	const char *params[3] = {email, client != NULL ? client : "", user_id > 0 ? id_s : NULL};

	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	return db_exec(db, ST_LOGIN_SUCCEEDED, params, 3, NULL);
}

int limit_login_reserve(PGconn *db, const char *email, const char *client, int64_t user_id,
                        int64_t *attempt)
{
	char id_s[24], days[16], max[16], window[16], emax[16], ewindow[16], ttl[16];
	const char *params[9] = {email,
	                         client != NULL ? client : "",
	                         user_id > 0 ? id_s : NULL,
	                         days,
	                         max,
	                         window,
	                         emax,
	                         ewindow,
	                         ttl};
	PGresult *res = NULL;
	int rc;

	*attempt = 0;
	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	snprintf(days, sizeof(days), "%d", LIMIT_LOGIN_KNOWN_DAYS);
	snprintf(max, sizeof(max), "%d", LIMIT_LOGIN_MAX_FAILURES);
	snprintf(window, sizeof(window), "%d", LIMIT_LOGIN_WINDOW);
	snprintf(emax, sizeof(emax), "%d", LIMIT_LOGIN_EMAIL_MAX_FAILURES);
	snprintf(ewindow, sizeof(ewindow), "%d", LIMIT_LOGIN_EMAIL_WINDOW);
	snprintf(ttl, sizeof(ttl), "%d", LIMIT_LOGIN_ATTEMPT_TTL);
	rc = db_exec(db, ST_LOGIN_RESERVE, params, 9, &res);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 1;
	}
	*attempt = strtoll(PQgetvalue(res, 0, SQL_ONLY_COL), NULL, 10);
	PQclear(res);
	return 0;
}

int limit_login_unreserve(PGconn *db, int64_t attempt)
{
	char id_s[24], ttl[16];
	const char *params[2] = {id_s, ttl};
	PGresult *res = NULL;
	int live;
	int rc;

	if (attempt <= 0)
		return 0;
	snprintf(id_s, sizeof(id_s), "%" PRId64, attempt);
	snprintf(ttl, sizeof(ttl), "%d", LIMIT_LOGIN_ATTEMPT_TTL);
	rc = db_exec(db, ST_LOGIN_UNRESERVE, params, 2, &res);
	if (rc != DB_OK)
		return rc;
	live = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, SQL_ONLY_COL), "t") == 0;
	PQclear(res);
	return live;
}

int limit_login_clear(PGconn *db, const char *email)
{
	const char *params[1] = {email};

	return db_exec(db, ST_LOGIN_CLEAR, params, 1, NULL);
}

#define DETAIL_CLIENT_FAILED_LOGINS \
	"Too many failed login attempts from this address. Please try again later."
#define DETAIL_CLIENT_FAILED_CODES \
	"Too many failed verification attempts from this address. Please try again later."
#define DETAIL_CLIENT_REQUESTS "Too many requests from this address. Please try again later."

/* Everything that differs between the per-address scopes, one row each. */
static const struct limit_scope_row {
	const char *name;   /* client_limits.scope and the audit detail */
	size_t budget;      /* offset of the scope's CLIENT_LIMIT_* in struct conf */
	const char *detail; /* the 429's detail */
} limit_scopes[] = {
    [LIMIT_SCOPE_LOGIN] = {"login", offsetof(struct conf, client_limit_login),
                           DETAIL_CLIENT_FAILED_LOGINS},
    [LIMIT_SCOPE_SIGNUP] = {"signup", offsetof(struct conf, client_limit_signup),
                            DETAIL_CLIENT_REQUESTS},
    [LIMIT_SCOPE_VERIFY_OTP] = {"verify_otp", offsetof(struct conf, client_limit_verify_otp),
                                DETAIL_CLIENT_FAILED_CODES},
    [LIMIT_SCOPE_RESEND_OTP] = {"resend_otp", offsetof(struct conf, client_limit_resend_otp),
                                DETAIL_CLIENT_REQUESTS},
    [LIMIT_SCOPE_FORGOT] = {"forgot_password", offsetof(struct conf, client_limit_forgot),
                            DETAIL_CLIENT_REQUESTS},
};
_Static_assert(sizeof(limit_scopes) / sizeof(limit_scopes[0]) == LIMIT_SCOPE_COUNT,
               "one row per limit scope");

/* The row of scope s, or NULL for a value outside the enum. */
static const struct limit_scope_row *limit_scope_row(enum limit_scope s)
{
	return (unsigned)s < LIMIT_SCOPE_COUNT ? &limit_scopes[s] : NULL;
}

const char *limit_scope_name(enum limit_scope s)
{
	const struct limit_scope_row *r = limit_scope_row(s);

	return r != NULL ? r->name : "unknown";
}

const char *limit_scope_detail(enum limit_scope s)
{
	const struct limit_scope_row *r = limit_scope_row(s);

	return r != NULL ? r->detail : DETAIL_CLIENT_REQUESTS;
}

/* The scope's budget per window (0: no limit). */
static int limit_client_max(const struct conf *c, enum limit_scope s)
{
	const struct limit_scope_row *r = limit_scope_row(s);
	int max;

	if (r == NULL)
		return 0;
	memcpy(&max, (const char *)c + r->budget, sizeof(max));
	return max;
}

int limit_client_take(PGconn *db, const struct conf *c, enum limit_scope s, const char *key,
                      struct limit_hit *hit, long *retry_after, int *reached)
{
	char window[16], max[16];
	const char *params[4] = {limit_scope_name(s), key, window, max};
	PGresult *res = NULL;
	int m = limit_client_max(c, s);
	int rc;

	memset(hit, 0, sizeof(*hit));
	*retry_after = 0;
	*reached = 0;
	if (key == NULL || key[0] == '\0' || m <= 0)
		return 0;
	snprintf(window, sizeof(window), "%d", c->client_limit_window);
	snprintf(max, sizeof(max), "%d", m);
	rc = db_exec(db, ST_CLIENT_TAKE, params, 4, &res);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 1) {
		*reached = strtol(PQgetvalue(res, 0, CT_HITS), NULL, 10) >= m;
		hit->taken = (size_t)snprintf(hit->window_start, sizeof(hit->window_start), "%s",
		                              PQgetvalue(res, 0, CT_WINDOW_START)) <
		             sizeof(hit->window_start);
		PQclear(res);
		return 0;
	}
	PQclear(res);
	/* Refused: how long until the window ends (it may just have). */
	rc = db_exec(db, ST_CLIENT_LIMITED, params, 3, &res);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 1)
		*retry_after = strtol(PQgetvalue(res, 0, SQL_ONLY_COL), NULL, 10);
	PQclear(res);
	if (*retry_after < 1)
		*retry_after = 1;
	return 1;
}

int limit_client_give_back(PGconn *db, enum limit_scope s, const char *key, struct limit_hit *hit)
{
	const char *params[3] = {limit_scope_name(s), key, hit->window_start};
	int rc;

	if (!hit->taken || key == NULL || key[0] == '\0')
		return DB_OK;
	rc = db_exec(db, ST_CLIENT_GIVE_BACK, params, 3, NULL);
	if (rc == DB_OK)
		hit->taken = 0;
	return rc;
}
