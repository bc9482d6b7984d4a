#include "sql.h"

#include <stddef.h>

static const struct sql_def *const sql_parts[] = {
    sql_part_account, sql_part_self,   sql_part_session,
    sql_part_mfa,     sql_part_outbox, sql_part_tools,
};

const struct sql_def *sql_def(enum sql_stmt s)
{
	for (size_t i = 0; i < sizeof sql_parts / sizeof sql_parts[0]; i++)
		if (sql_parts[i][s].name)
			return &sql_parts[i][s];
	return NULL;
}
