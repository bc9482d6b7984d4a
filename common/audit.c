#include "audit.h"

#include <inttypes.h>
#include <stdio.h>

#include "db.h"

const char *audit_event_name(enum audit_event e)
{
	switch (e) {
	case AUDIT_SIGNUP:
		return "signup";
	case AUDIT_OTP_VERIFIED:
		return "otp_verified";
	case AUDIT_LOGIN_SUCCESS:
		return "login_success";
	case AUDIT_LOGIN_FAILURE:
		return "login_failure";
	case AUDIT_LOCKOUT:
		return "lockout";
	case AUDIT_RESET_REQUESTED:
		return "reset_requested";
	case AUDIT_RESET_COMPLETED:
		return "reset_completed";
	case AUDIT_TOKEN_REJECTED:
		return "token_rejected";
	case AUDIT_CLIENT_LIMITED:
		return "client_limited";
	}
	return "unknown";
}

int audit_write(PGconn *db, enum audit_event e, int64_t user_id, const char *email,
                const struct client *cl, const char *detail)
{
	char id_s[24];
	const char *params[6];

	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	params[0] = audit_event_name(e);
	params[1] = user_id > 0 ? id_s : NULL;
	params[2] = email != NULL && email[0] != '\0' ? email : NULL;
	params[3] = cl != NULL && cl->addr[0] != '\0' ? cl->addr : NULL;
	params[4] = cl != NULL && cl->user_agent[0] != '\0' ? cl->user_agent : NULL;
	params[5] = detail;
	return db_exec(db, ST_AUDIT_INSERT, params, 6, NULL);
}
