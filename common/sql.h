/*
 * sql: every SQL statement the service runs, as one enum and one table of
 * text (sql.c), run only through db_exec() with typed $n parameters.
 * The schema they expect is sql/NNN_*.sql.
 */
#ifndef MC_SQL_H
#define MC_SQL_H

#include <libpq-fe.h>

enum sql_stmt {
	ST_PING,
	ST_LOCK_EMAIL,
	ST_USER_BY_EMAIL,
	ST_USER_BY_ID,
	ST_USER_INSERT,
	ST_USER_DISABLE_OTP,
	ST_USER_SET_VERIFIED,
	ST_USER_SET_PASSWORD,
	ST_USER_SET_HASH,
	ST_OTP_UPSERT,
	ST_OTP_GET,
	ST_OTP_FAIL,
	ST_OTP_DELETE,
	ST_MAIL_COUNTS,
	ST_LOGIN_LOCKED,
	ST_LOGIN_FAIL,
	ST_LOGIN_EMAIL_FAIL,
	ST_LOGIN_SUCCEEDED,
	ST_LOGIN_CLEAR,
	ST_LOGIN_RESERVE,
	ST_LOGIN_UNRESERVE,
	ST_RESET_INSERT,
	ST_RESET_FIND,
	ST_RESET_KILL_ALL,
	ST_OUTBOX_INSERT,
	ST_OUTBOX_CLAIM_ID,
	ST_OUTBOX_CLAIM_DUE,
	ST_OUTBOX_SENT,
	ST_OUTBOX_RETRY,
	ST_OUTBOX_FAILED,
	ST_OUTBOX_EXPIRED,
	ST_OUTBOX_EXPIRE_DUE,
	ST_OUTBOX_NOTE_FOREIGN,
	ST_OUTBOX_RELEASE_UNREADABLE,
	ST_CLIENT_LIMITED,
	ST_CLIENT_TAKE,
	ST_CLIENT_GIVE_BACK,
	ST_AUDIT_INSERT,
	ST_AUDIT_FORGET_EMAIL,
	ST_NOTICE_DUE,
	ST_PRUNE_AUDIT,
	ST_PRUNE_OTP,
	ST_PRUNE_RESET,
	ST_PRUNE_CLIENT,
	ST_PRUNE_LOGIN,
	ST_PRUNE_LOGIN_EMAIL,
	ST_PRUNE_LOGIN_ATTEMPTS,
	ST_PRUNE_KNOWN_CLIENTS,
	ST_PRUNE_UNVERIFIED,
	ST_PRUNE_OUTBOX,
	ST_IMPORT_CREATE,
	ST_IMPORT_COPY,
	ST_IMPORT_COPY_OLD,
	ST_IMPORT_ROWS,
	ST_IMPORT_INSERT,
	ST_SCHEMA_VERSIONS,
	ST__COUNT
};

/*
 * The columns of ST_USER_BY_EMAIL ($1 email, $2 seconds: "recent" means made
 * within them), in order.
 */
enum user_by_email_col {
	UBE_ID,
	UBE_FULL_NAME,
	UBE_PASSWORD_HASH,
	UBE_IS_VERIFIED, /* 't'/'f' */
	UBE_TOKEN_MIN_IAT,
	UBE_OTP_DISABLED, /* 't'/'f': a second sign-up killed its codes for good */
	UBE_RECENT,       /* 't'/'f': made within $2 seconds */
};

/* The columns of ST_SCHEMA_VERSIONS (the migrations applied, sql/migrate.sh). */
enum schema_versions_col {
	SV_VERSION, /* "001_init.sql" */
};

struct sql_def {
	const char *name; /* for the log: "user_by_email" */
	const char *text;
	int nparams;
	ExecStatusType expect; /* PGRES_TUPLES_OK or PGRES_COMMAND_OK */
};

/* The definition of s; s must be below ST__COUNT. Borrowed, static. */
const struct sql_def *sql_def(enum sql_stmt s);

#endif
