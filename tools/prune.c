/*
 * medicalcare-prune: deletes what the service no longer needs (for a daily
 * cron job):
 *
 *   users                 never verified, older than UNVERIFIED_ACCOUNT_DAYS
 *                         (default 7), with their codes and reset tokens; their
 *                         audit events keep only the keyed hash of the address
 *   audit_events          older than AUDIT_RETENTION_DAYS (default 2190)
 *   otp_codes             expired
 *   reset_tokens          past their expiry (used or not)
 *   client_limits         whose window (CLIENT_LIMIT_WINDOW) is over
 *   login_failures        that count no more (window over and no lock, or lock over)
 *   login_email_failures  the same for the email-wide counts
 *   login_attempts        reservations of password checks past their life
 *                         (LIMIT_LOGIN_ATTEMPT_TTL): their process died
 *   login_known_clients   last signed in from more than 30 days ago
 *   mail_outbox           sent, failed or expired, older than PRUNE_OUTBOX_HOURS
 *                         (longer than every mail cap's window)
 *   mfa_tokens            expired (a sign-in that never gave its second factor)
 *   sessions              revoked, idle over SESSION_IDLE_MINUTES or started
 *                         over SESSION_MAX_MINUTES ago
 *   refresh_tokens        those of the sessions deleted (a live session keeps
 *                         its spent ones: a spent one presented again must
 *                         still end it, docs/CONTRACT.md SE-7)
 *
 * Prints one line per table, "audit_events 12", in that order. Each table is
 * one statement of its own (unverified accounts: one transaction per batch of
 * PRUNE_BATCH): a fault stops the run and keeps what was done.
 * Exit status: 0 on success, 1 on a configuration or database error (logged
 * on stderr), 2 on a usage error.
 */
#include "audit.h"
#include "conf.h"
#include "db.h"
#include "limit.h"
#include "log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRUNE_OUTBOX_HOURS 48 /* over LIMIT_RESET_MAIL_WINDOW: the caps count these rows */
#define PRUNE_BATCH 500

static void usage(FILE *f)
{
	fputs(
	    "usage: medicalcare-prune\n"
	    "\n"
	    "Deletes accounts never verified within UNVERIFIED_ACCOUNT_DAYS, audit\n"
	    "events older than AUDIT_RETENTION_DAYS, expired one-time codes and reset\n"
	    "tokens, per-address limit rows whose window is over, login failures that\n"
	    "count no more, reservations of password checks whose process died,\n"
	    "sign-in addresses unused for 30 days, sent, failed or expired mail\n"
	    "older than two days, and expired two-factor sign-in tokens. Prints \"<table> <rows deleted>\" per table. Run it\n"
	    "daily from cron, e.g.\n"
	    "  17 3 * * * MEDICALCARE_ENV_FILE=/etc/medicalcare/env"
	    " /srv/medicalcare/bin/medicalcare-prune >> /var/log/medicalcare/prune.log 2>&1\n"
	    "Every line it prints starts with the time (ISO 8601 UTC).\n",
	    f);
}

struct prune_step {
	const char *table;
	enum sql_stmt stmt;
	int nparams;
};

/* Runs one DELETE; prints its count. 0, or -1 (logged by db.h). */
static int prune_one(PGconn *db, const struct prune_step *st, const char *param)
{
	const char *params[1] = {param};
	PGresult *res = NULL;

	if (db_exec(db, st->stmt, params, st->nparams, &res) != DB_OK)
		return -1;
	log_stdout_time();
	printf("%s %s\n", st->table, PQcmdTuples(res));
	PQclear(res);
	return 0;
}

/*
 * Deletes one batch of accounts never verified in time, in one transaction
 * with the audit events that named them: those keep the address's keyed hash
 * only (audit.h). Adds the count to *total; 1 when a full batch went (more may
 * be left), 0 when done, -1 on a fault (logged).
 */
static int prune_unverified_batch(PGconn *db, const struct conf *c, long *total)
{
	char days[16], batch[16];
	const char *params[2] = {days, batch};
	PGresult *res = NULL;
	int n = 0, ret = -1;

	snprintf(days, sizeof(days), "%d", c->unverified_account_days);
	snprintf(batch, sizeof(batch), "%d", PRUNE_BATCH);
	if (db_begin(db) != DB_OK || db_exec(db, ST_PRUNE_UNVERIFIED, params, 2, &res) != DB_OK)
		goto out;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		char hmac[AUDIT_HMAC_HEX];
		const char *forget[3] = {PQgetvalue(res, i, 1), hmac, PQgetvalue(res, i, 0)};

		if (audit_email_hmac(c, forget[0], hmac) != 0 ||
		    db_exec(db, ST_AUDIT_FORGET_EMAIL, forget, 3, NULL) != DB_OK)
			goto out;
	}
	if (db_commit(db) != DB_OK)
		goto out;
	*total += n;
	ret = n == PRUNE_BATCH;
out:
	db_rollback(db);
	PQclear(res);
	return ret;
}

/* Deletes the sessions that ended, with their refresh tokens; prints both counts. 0, or -1. */
static int prune_sessions(PGconn *db, const struct conf *c)
{
	char idle[16], most[16];
	const char *params[2] = {idle, most};
	PGresult *res = NULL;

	snprintf(idle, sizeof(idle), "%d", c->session_idle_minutes);
	snprintf(most, sizeof(most), "%d", c->session_max_minutes);
	if (db_exec(db, ST_PRUNE_SESSIONS, params, 2, &res) != DB_OK)
		return -1;
	log_stdout_time();
	printf("sessions %s\n", PQgetvalue(res, 0, 0));
	log_stdout_time();
	printf("refresh_tokens %s\n", PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

static int prune(const struct conf *c)
{
	char days[16], window[16], login_window[16], email_window[16], ttl[16], known[16];
	char hours[16];
	const struct prune_step steps[] = {
	    {"audit_events", ST_PRUNE_AUDIT, 1},
	    {"otp_codes", ST_PRUNE_OTP, 0},
	    {"reset_tokens", ST_PRUNE_RESET, 0},
	    {"client_limits", ST_PRUNE_CLIENT, 1},
	    {"login_failures", ST_PRUNE_LOGIN, 1},
	    {"login_email_failures", ST_PRUNE_LOGIN_EMAIL, 1},
	    {"login_attempts", ST_PRUNE_LOGIN_ATTEMPTS, 1},
	    {"login_known_clients", ST_PRUNE_KNOWN_CLIENTS, 1},
	    {"mail_outbox", ST_PRUNE_OUTBOX, 1},
	    {"mfa_tokens", ST_PRUNE_MFA_TOKENS, 0},
	};
	const char *params[] = {days,         NULL, NULL,  window, login_window,
	                        email_window, ttl,  known, hours,  NULL};
	PGconn *db = NULL;
	long users = 0;
	int more, rc = 1;

	snprintf(days, sizeof(days), "%d", c->audit_retention_days);
	snprintf(window, sizeof(window), "%d", c->client_limit_window);
	snprintf(login_window, sizeof(login_window), "%d", LIMIT_LOGIN_WINDOW);
	snprintf(email_window, sizeof(email_window), "%d", LIMIT_LOGIN_EMAIL_WINDOW);
	snprintf(ttl, sizeof(ttl), "%d", LIMIT_LOGIN_ATTEMPT_TTL);
	snprintf(known, sizeof(known), "%d", LIMIT_LOGIN_KNOWN_DAYS);
	snprintf(hours, sizeof(hours), "%d", PRUNE_OUTBOX_HOURS);
	if (db_connect(c, &db) != DB_OK)
		goto out; /* logged by db_connect() */
	do {
		more = prune_unverified_batch(db, c, &users);
	} while (more == 1);
	if (more < 0) {
		log_error("could not prune users");
		goto out;
	}
	log_stdout_time();
	printf("users %ld\n", users);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (prune_one(db, &steps[i], params[i]) != 0) {
			log_error("could not prune %s", steps[i].table);
			goto out;
		}
	}
	if (prune_sessions(db, c) != 0) {
		log_error("could not prune sessions");
		goto out;
	}
	rc = 0;
out:
	if (db != NULL)
		db_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	struct conf c;
	char err[512];
	int rc;

	log_set_program("prune");
	log_set_timestamps(1);
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		usage(stderr);
		return 2;
	}
	if (conf_load(&c, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return 1;
	}
	rc = prune(&c);
	if (fflush(stdout) != 0)
		rc = 1;
	conf_release(&c);
	return rc;
}
