/* sql_self: the statements of account self-service: the profile changed, the account deleted (a part of the sql module, sql.h). */
#include "sql.h"

const struct sql_def sql_part_self[ST__COUNT] = {
    /* Account self-service (account_self.h). PATCH /user/profile: $1 id, $2
	 * full_name, for a token issued at $3 (a token revoked since changes
	 * nothing). -> the columns of enum user_set_name_col, no row when the
	 * account is gone or the token revoked */
    [ST_USER_SET_NAME] = {"user_set_name",
                          "UPDATE users SET full_name = $2::text, updated_at = now()"
                          " WHERE id = $1::bigint AND token_min_iat <= $3::bigint"
                          " RETURNING id, full_name, email, is_verified",
                          3, PGRES_TUPLES_OK, USN__NCOLS},

    /* delete-account: the account $1 whose hash is still $2 (a change
	 * committed since keeps it); its codes, reset tokens, known clients go
	 * with it (ON DELETE CASCADE). -> id, no row when it did not match */
    [ST_USER_DELETE] = {"user_delete",
                        "DELETE FROM users WHERE id = $1::bigint AND password_hash = $2::text"
                        " RETURNING id",
                        2, PGRES_TUPLES_OK, SQL_ONE__NCOLS},

    /* delete-account: every outbox row of account $1 or to its address $2,
	 * queued or finished (a finished one still names the address). */
    [ST_DELETE_MAIL_OF] = {"delete_mail_of",
                           "DELETE FROM mail_outbox WHERE user_id = $1::bigint"
                           " OR recipient = $2::text",
                           2, PGRES_COMMAND_OK, 0},

    /* delete-account: the login failures, locks and checks in progress of address $1. */
    [ST_DELETE_LOGINS_OF] =
        {"delete_logins_of",
         "WITH each_client AS (DELETE FROM login_failures WHERE email = $1::text),"
         " checks AS (DELETE FROM login_attempts WHERE email = $1::text)"
         " DELETE FROM login_email_failures WHERE email = $1::text",
         1, PGRES_COMMAND_OK, 0},

    /* delete-account: the events of account $1, or naming its address $2,
	 * keep the account id and only the address's keyed hash ($3). */
    [ST_AUDIT_FORGET_ACCOUNT] = {"audit_forget_account",
                                 "UPDATE audit_events SET email = NULL, email_hmac = $3::text"
                                 " WHERE email IS NOT NULL"
                                 " AND (user_id = $1::bigint OR email = $2::text)",
                                 3, PGRES_COMMAND_OK, 0},
};
