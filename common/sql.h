/*
 * sql: every SQL statement the service runs, as one enum and its text, run
 * only through db_exec() with typed $n parameters. The text is in one part
 * per flow (sql_account.c, sql_self.c, sql_session.c, sql_mfa.c,
 * sql_outbox.c, sql_tools.c); sql.c finds a statement's part.
 * The schema they expect is sql/NNN_*.sql.
 *
 * Parameters are text; each is cast where used. Digests travel as lower-case
 * hex and are stored as bytea. Intervals are whole seconds or minutes.
 */
#ifndef MC_SQL_H
#define MC_SQL_H

#include <libpq-fe.h>

enum sql_stmt {
	ST_PING,
	ST_LOCK_EMAIL,
	ST_USER_BY_EMAIL,
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
	ST_USER_SET_NAME,
	ST_USER_DELETE,
	ST_DELETE_MAIL_OF,
	ST_DELETE_LOGINS_OF,
	ST_AUDIT_FORGET_ACCOUNT,
	ST_SESSION_STARTED,
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
	ST_USER_BY_TOKEN,
	ST_SESSION_START,
	ST_SESSION_REVOKE,
	ST_SESSION_END_ALL,
	ST_SESSION_LIST,
	ST_REFRESH_FIND,
	ST_REFRESH_SPEND,
	ST_PRUNE_SESSIONS,
	ST_MFA_ENABLED,
	ST_MFA_SET_PENDING,
	ST_MFA_READ,
	ST_MFA_EMAIL_FAIL,
	ST_MFA_FAIL,
	ST_MFA_ENABLE,
	ST_MFA_RECOVERY_SET,
	ST_SESSION_END_OTHERS,
	ST_MFA_TOKEN_NEW,
	ST_MFA_TOKEN_FIND,
	ST_MFA_TOKEN_TRY,
	ST_MFA_TOKEN_USE,
	ST_MFA_ACCEPT,
	ST_MFA_RECOVERY_USE,
	ST_MFA_CLEAR,
	ST_MFA_TOKENS_END,
	ST_MFA_STATE,
	ST_MFA_DISABLE,
	ST_PRUNE_MFA_TOKENS,
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
	UBE__NCOLS
};

/*
 * The columns of the other statements whose results are read, each in the
 * order of its text in sql.c (each row there names its enum, and db_exec()
 * refuses a result with another number of columns than the row's ncols).
 */
enum sql_one_col { SQL_ONLY_COL, SQL_ONE__NCOLS }; /* a result of one column */
enum otp_get_col {
	OG_CODE_HASH_HEX, /* the code's digest, hex */
	OG_LIVE,          /* 't'/'f': not expired */
	OG_ATTEMPTS,      /* wrong codes so far */
	OG__NCOLS
};
enum mail_counts_col {
	MC_IN_GAP,      /* mails of the kind to the address within the gap ($3 s) */
	MC_IN_WINDOW,   /* ... within the window ($4 s) */
	MC_GAP_WAIT,    /* seconds until the gap's newest leaves it */
	MC_WINDOW_WAIT, /* seconds until the window's oldest leaves it */
	MC__NCOLS
};
enum login_fail_col { /* ST_LOGIN_FAIL and ST_LOGIN_EMAIL_FAIL */
	              LF_FAILURES,
	              LF_LOCKED_NOW, /* 't'/'f': this failure started the lock */
	              LF__NCOLS
};
enum client_take_col {
	CT_HITS,         /* hits in the window, this one counted */
	CT_WINDOW_START, /* the window's start, PostgreSQL's text */
	CT__NCOLS
};
/* ST_USER_SET_NAME: the profile as stored now. */
enum user_set_name_col {
	USN_ID,
	USN_FULL_NAME,
	USN_EMAIL,
	USN_IS_VERIFIED, /* 't'/'f' */
	USN__NCOLS
};
/* ST_USER_BY_TOKEN: the account's profile and token_min_iat, then whether the token's session is live. */
enum user_by_token_col {
	UBT_ID,
	UBT_FULL_NAME,
	UBT_EMAIL,
	UBT_IS_VERIFIED,
	UBT_TOKEN_MIN_IAT,
	UBT_SESSION_LIVE, /* 't'/'f' */
	UBT__NCOLS
};
enum refresh_find_col {
	RT_ID,
	RT_SESSION_ID,
	RT_USER_ID,
	RT_EMAIL,
	RT_TOKEN_MIN_IAT,
	RT_SPENT,     /* 't'/'f' */
	RT_SPENT_AGO, /* seconds since it was spent (a decimal), 0 when unspent */
	RT_LIVE,      /* 't'/'f': the session is not revoked, idle or too old */
	RT__NCOLS
};
enum session_list_col {
	SL_ID,
	SL_CREATED_AT,   /* ISO 8601 UTC */
	SL_LAST_USED_AT, /* ISO 8601 UTC */
	SL_USER_AGENT,   /* NULL when unknown */
	SL_IP,           /* NULL when unknown */
	SL__NCOLS
};
/* ST_MFA_READ: an account's user_mfa row, locked. */
enum mfa_read_col {
	MR_PENDING_SEALED, /* hex, '' for none */
	MR_PENDING_CODE,   /* the emailed code's digest, hex, '' for none */
	MR_PENDING_LIVE,   /* 't' while the emailed code is in time and has tries left */
	MR_LAST_STEP,      /* the last TOTP step accepted, -1 for none */
	MR_ENABLED,        /* 't' when two-factor sign-in is on */
	MR_LOCKED_FOR,     /* seconds the second-factor lock still holds, 0 for none */
	MR_SECRET_SEALED,  /* the secret in use, hex, '' while MFA is off */
	MR__NCOLS
};
/* ST_MFA_STATE: whether two-factor sign-in is on, and its lock. */
enum mfa_state_col {
	MS_ENABLED,    /* 't' when two-factor sign-in is on */
	MS_LOCKED_FOR, /* seconds the second-factor lock still holds, 0 for none */
	MS__NCOLS
};
/* ST_MFA_TOKEN_FIND: the account of a live mfa_token. */
enum mfa_token_col { MT_USER_ID, MT_EMAIL, MT__NCOLS };
/* ST_MFA_RECOVERY_USE: whether the code was spent now, and how many are left. */
enum mfa_recovery_use_col {
	MRU_USED, /* 1 when spent by this statement, else 0 */
	MRU_LEFT, /* the account's unused codes after it */
	MRU__NCOLS
};
enum reset_find_col { RF_TOKEN_ID, RF_USER_ID, RF_EMAIL, RF_FULL_NAME, RF_IS_VERIFIED, RF__NCOLS };

struct sql_def {
	const char *name; /* for the log: "user_by_email" */
	const char *text;
	int nparams;
	ExecStatusType expect; /* PGRES_TUPLES_OK or PGRES_COMMAND_OK */
	int ncols;             /* the columns of a PGRES_TUPLES_OK result; 0 for COMMAND_OK */
};

/* The definition of s; s must be below ST__COUNT. Borrowed, static. */
const struct sql_def *sql_def(enum sql_stmt s);

/*
 * The parts, indexed by enum sql_stmt: each defines only its flow's rows
 * (the others have a NULL name), and every statement is in exactly one
 * (tests/unit/test_sql.c). Read only through sql_def().
 */
extern const struct sql_def sql_part_account[ST__COUNT];
extern const struct sql_def sql_part_self[ST__COUNT];
extern const struct sql_def sql_part_session[ST__COUNT];
extern const struct sql_def sql_part_mfa[ST__COUNT];
extern const struct sql_def sql_part_outbox[ST__COUNT];
extern const struct sql_def sql_part_tools[ST__COUNT];

#endif
