#include "limit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

int limit_mail(PGconn *db, const char *kind, const char *email, int gap, int hour_max,
               long *retry_after)
{
	char gap_s[16];
	char hour_s[16];
	const char *params[4];
	PGresult *res = NULL;
	long short_n, long_n, short_wait, long_wait;
	int rc;

	*retry_after = 0;
	snprintf(gap_s, sizeof(gap_s), "%d", gap);
	snprintf(hour_s, sizeof(hour_s), "%d", 3600);
	params[0] = kind;
	params[1] = email;
	params[2] = gap_s;
	params[3] = hour_s;
	rc = db_exec(db, ST_MAIL_COUNTS, params, 4, &res);
	if (rc != DB_OK)
		return rc;
	short_n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	long_n = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	short_wait = strtol(PQgetvalue(res, 0, 2), NULL, 10);
	long_wait = strtol(PQgetvalue(res, 0, 3), NULL, 10);
	PQclear(res);

	rc = 0;
	if (short_n >= 1) {
		*retry_after = short_wait;
		rc = 1;
	}
	if (hour_max > 0 && long_n >= hour_max) {
		if (long_wait > *retry_after)
			*retry_after = long_wait;
		rc = 1;
	}
	if (rc == 1 && *retry_after < 1)
		*retry_after = 1;
	return rc;
}

int limit_login_locked(PGconn *db, const char *email, long *retry_after)
{
	const char *params[1] = {email};
	PGresult *res = NULL;
	int rc;

	*retry_after = 0;
	rc = db_exec(db, ST_LOGIN_LOCKED, params, 1, &res);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	*retry_after = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	if (*retry_after < 1)
		*retry_after = 1;
	PQclear(res);
	return 1;
}

int limit_login_failed(PGconn *db, const char *email, int *locked)
{
	char window[16];
	char max[16];
	char lock[16];
	const char *params[4];
	PGresult *res = NULL;
	int rc;

	*locked = 0;
	snprintf(window, sizeof(window), "%d", LIMIT_LOGIN_WINDOW);
	snprintf(max, sizeof(max), "%d", LIMIT_LOGIN_MAX_FAILURES);
	snprintf(lock, sizeof(lock), "%d", LIMIT_LOGIN_LOCK);
	params[0] = email;
	params[1] = window;
	params[2] = max;
	params[3] = lock;
	rc = db_exec(db, ST_LOGIN_FAIL, params, 4, &res);
	if (rc != DB_OK)
		return rc;
	*locked = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	return DB_OK;
}

int limit_login_clear(PGconn *db, const char *email)
{
	const char *params[1] = {email};

	return db_exec(db, ST_LOGIN_CLEAR, params, 1, NULL);
}

const char *limit_scope_name(enum limit_scope s)
{
	switch (s) {
	case LIMIT_SCOPE_LOGIN:
		return "login";
	case LIMIT_SCOPE_SIGNUP:
		return "signup";
	case LIMIT_SCOPE_VERIFY_OTP:
		return "verify_otp";
	case LIMIT_SCOPE_RESEND_OTP:
		return "resend_otp";
	case LIMIT_SCOPE_FORGOT:
		return "forgot_password";
	}
	return "unknown";
}

/* The scope's budget per window (0: no limit). */
static int limit_client_max(const struct conf *c, enum limit_scope s)
{
	switch (s) {
	case LIMIT_SCOPE_LOGIN:
		return c->client_limit_login;
	case LIMIT_SCOPE_SIGNUP:
		return c->client_limit_signup;
	case LIMIT_SCOPE_VERIFY_OTP:
		return c->client_limit_verify_otp;
	case LIMIT_SCOPE_RESEND_OTP:
		return c->client_limit_resend_otp;
	case LIMIT_SCOPE_FORGOT:
		return c->client_limit_forgot;
	}
	return 0;
}

/* Fills params[0..3] (scope, address, window, max) for scope s; 0, or 1 when there is no limit. */
static int limit_client_params(const struct conf *c, enum limit_scope s, const char *addr,
                               char *window, char *max, size_t len, const char *params[4])
{
	int m = limit_client_max(c, s);

	if (addr == NULL || addr[0] == '\0' || m <= 0)
		return 1;
	snprintf(window, len, "%d", c->client_limit_window);
	snprintf(max, len, "%d", m);
	params[0] = limit_scope_name(s);
	params[1] = addr;
	params[2] = window;
	params[3] = max;
	return 0;
}

int limit_client_check(PGconn *db, const struct conf *c, enum limit_scope s, const char *addr,
                       long *retry_after)
{
	char window[16], max[16];
	const char *params[4];
	PGresult *res = NULL;
	int rc;

	*retry_after = 0;
	if (limit_client_params(c, s, addr, window, max, sizeof(window), params) != 0)
		return 0;
	rc = db_exec(db, ST_CLIENT_LIMITED, params, 4, &res);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	*retry_after = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	if (*retry_after < 1)
		*retry_after = 1;
	PQclear(res);
	return 1;
}

int limit_client_take(PGconn *db, const struct conf *c, enum limit_scope s, const char *addr,
                      long *retry_after, int *reached)
{
	char window[16], max[16];
	const char *params[4];
	PGresult *res = NULL;
	int rc;

	*retry_after = 0;
	*reached = 0;
	if (limit_client_params(c, s, addr, window, max, sizeof(window), params) != 0)
		return 0;
	rc = db_exec(db, ST_CLIENT_TAKE, params, 4, &res);
	if (rc != DB_OK)
		return rc;
	if (PQntuples(res) == 1) {
		*reached = strtol(PQgetvalue(res, 0, 0), NULL, 10) >= limit_client_max(c, s);
		PQclear(res);
		return 0;
	}
	PQclear(res);
	/* Refused: how long until the window ends (it may just have). */
	rc = limit_client_check(db, c, s, addr, retry_after);
	if (rc < 0)
		return rc;
	if (*retry_after < 1)
		*retry_after = 1;
	return 1;
}

int limit_client_fail(PGconn *db, const struct conf *c, enum limit_scope s, const char *addr,
                      int *reached)
{
	char window[16], max[16];
	const char *params[4];
	PGresult *res = NULL;
	int rc;

	*reached = 0;
	if (limit_client_params(c, s, addr, window, max, sizeof(window), params) != 0)
		return DB_OK;
	rc = db_exec(db, ST_CLIENT_HIT, params, 3, &res);
	if (rc != DB_OK)
		return rc;
	*reached = strtol(PQgetvalue(res, 0, 0), NULL, 10) == limit_client_max(c, s);
	PQclear(res);
	return DB_OK;
}
