/*
 * medicalcare-prune: deletes what the service no longer needs (for a daily
 * cron job):
 *
 *   audit_events     older than AUDIT_RETENTION_DAYS (default 2190)
 *   otp_codes        expired
 *   reset_tokens     past their expiry (used or not)
 *   client_limits    whose window (CLIENT_LIMIT_WINDOW) is over
 *   login_failures   that count no more (window over and no lock, or lock over)
 *   mail_outbox      sent, failed or expired, older than PRUNE_OUTBOX_HOURS
 *
 * Prints one line per table, "audit_events 12", in that order. Each table is
 * one statement of its own: a fault stops the run and keeps what was done.
 * Exit status: 0 on success, 1 on a configuration or database error (logged
 * on stderr), 2 on a usage error.
 */
#include "conf.h"
#include "db.h"
#include "limit.h"
#include "log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRUNE_OUTBOX_HOURS 24

static void usage(FILE *f)
{
	fputs("usage: medicalcare-prune\n"
	      "\n"
	      "Deletes audit events older than AUDIT_RETENTION_DAYS, expired one-time\n"
	      "codes and reset tokens, per-address limit rows whose window is over,\n"
	      "login failures that count no more, and sent, failed or expired mail\n"
	      "older than a day. Prints \"<table> <rows deleted>\" per table. Run it\n"
	      "daily from cron, e.g.\n"
	      "  17 3 * * * /srv/medicalcare/bin/medicalcare-prune >/dev/null\n",
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
	printf("%s %s\n", st->table, PQcmdTuples(res));
	PQclear(res);
	return 0;
}

static int prune(const struct conf *c)
{
	char days[16], window[16], login_window[16], hours[16];
	const struct prune_step steps[] = {
	    {"audit_events", ST_PRUNE_AUDIT, 1},   {"otp_codes", ST_PRUNE_OTP, 0},
	    {"reset_tokens", ST_PRUNE_RESET, 0},   {"client_limits", ST_PRUNE_CLIENT, 1},
	    {"login_failures", ST_PRUNE_LOGIN, 1}, {"mail_outbox", ST_PRUNE_OUTBOX, 1},
	};
	const char *params[] = {days, NULL, NULL, window, login_window, hours};
	PGconn *db = NULL;
	int rc = 1;

	snprintf(days, sizeof(days), "%d", c->audit_retention_days);
	snprintf(window, sizeof(window), "%d", c->client_limit_window);
	snprintf(login_window, sizeof(login_window), "%d", LIMIT_LOGIN_WINDOW);
	snprintf(hours, sizeof(hours), "%d", PRUNE_OUTBOX_HOURS);
	if (db_connect(c, &db) != DB_OK)
		goto out; /* logged by db_connect() */
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (prune_one(db, &steps[i], params[i]) != 0) {
			log_error("could not prune %s", steps[i].table);
			goto out;
		}
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
