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
