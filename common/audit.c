#include "audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conf_keys.h"
#include "db.h"
#include "log.h"
#include "token.h"

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
	case AUDIT_OTP_REQUESTED:
		return "otp_requested";
	case AUDIT_PASSWORD_CHANGED:
		return "password_changed";
	case AUDIT_ACCOUNT_DELETED:
		return "account_deleted";
	case AUDIT_LOGOUT:
		return "logout";
	case AUDIT_SESSION_REVOKED:
		return "session_revoked";
	case AUDIT_REFRESH_REUSED:
		return "refresh_reused";
	case AUDIT_MFA_SETUP:
		return "mfa_setup";
	case AUDIT_MFA_ENABLED:
		return "mfa_enabled";
	case AUDIT_MFA_FAILURE:
		return "mfa_failure";
	case AUDIT_MFA_LOCKOUT:
		return "mfa_lockout";
	case AUDIT_MFA_VERIFIED:
		return "mfa_verified";
	case AUDIT_MFA_RECOVERY_USED:
		return "mfa_recovery_used";
	case AUDIT_MFA_RECOVERY_CODES:
		return "mfa_recovery_codes";
	case AUDIT_MFA_DISABLED:
		return "mfa_disabled";
	}
	return "unknown";
}

int audit_email_hmac(const struct conf *c, const char *email, char out[AUDIT_HMAC_HEX])
{
	const struct conf_keys *keys = conf_keys(c);
	unsigned char d[TOKEN_DIGEST_LEN];

	out[0] = '\0';
	if (keys == NULL ||
	    token_hmac(keys->audit, sizeof(keys->audit), email, strlen(email), d) != 0)
		return -1;
	token_hex(d, out);
	return 0;
}

int audit_write(PGconn *db, const struct conf *c, enum audit_event e, int64_t user_id,
                const char *email, const struct client *cl, const char *detail)
{
	char id_s[24];
	char hmac[AUDIT_HMAC_HEX];
	const char *params[7];
	int has_email = email != NULL && email[0] != '\0';

	snprintf(id_s, sizeof(id_s), "%" PRId64, user_id);
	if (has_email && user_id <= 0 && audit_email_hmac(c, email, hmac) != 0) {
		log_error("could not hash an address for the audit trail");
		return DB_ERROR;
	}
	params[0] = audit_event_name(e);
	params[1] = user_id > 0 ? id_s : NULL;
	params[2] = has_email && user_id > 0 ? email : NULL;
	params[3] = cl != NULL && cl->addr[0] != '\0' ? cl->addr : NULL;
	params[4] = cl != NULL && cl->user_agent[0] != '\0' ? cl->user_agent : NULL;
	params[5] = detail;
	params[6] = has_email && user_id <= 0 ? hmac : NULL;
	return db_exec(db, ST_AUDIT_INSERT, params, 7, NULL);
}
