#include "notice.h"

#include <stdio.h>

#include "db.h"

int notice_due(PGconn *db, const char *name, int every)
{
	char every_s[16];
	const char *params[2] = {name, every_s};
	PGresult *res = NULL;
	int rc;

	snprintf(every_s, sizeof(every_s), "%d", every);
	rc = db_exec(db, ST_NOTICE_DUE, params, 2, &res);
	if (rc != DB_OK)
		return rc;
	rc = PQntuples(res) == 1;
	PQclear(res);
	return rc;
}
