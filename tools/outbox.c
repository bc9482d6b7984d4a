/*
 * medicalcare-outbox: delivers the mail that is due in the outbox (for cron),
 * or sends one test message straight through the configured transport.
 *
 *   medicalcare-outbox [--max N]          deliver up to N due mails (100)
 *   medicalcare-outbox --test-to ADDRESS  send a test message, no database
 *   medicalcare-outbox --key-id           print the id of this install's
 *                                         outbox key, no database
 *
 * Prints one line on stdout: "sent 3, retried 0, failed 0, expired 1"; for a
 * test message "sent", "temporary failure: <reason>" (the outbox would retry)
 * or "permanent failure: <reason>" (it would give up); for --key-id the 16 hex
 * digits that mail_outbox.key_id holds for mail this install sealed (outbox.h),
 * to tell whose mail is still pending after a key rotation. Exit status: 0 on
 * success, 1 on a configuration, database or delivery error (logged on
 * stderr), 2 on a usage error.
 */
#include "outbox.h"
#include "conf.h"
#include "conf_keys.h"
#include "db.h"
#include "log.h"
#include "mail.h"
#include "mail_smtp.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OUTBOX_MAX_DEFAULT 100
#define OUTBOX_MAX_LIMIT 100000

static void usage(FILE *f)
{
	fputs("usage: medicalcare-outbox [--max N]\n"
	      "       medicalcare-outbox --test-to ADDRESS\n"
	      "       medicalcare-outbox --key-id\n"
	      "\n"
	      "Delivers up to N (default 100) due messages from the mail outbox and\n"
	      "prints \"sent N, retried N, failed N, expired N\". With --test-to, sends a\n"
	      "test message to ADDRESS through the configured transport (MAIL_TRANSPORT,\n"
	      "SMTP_*), without the database, and prints \"sent\", or \"temporary failure: ...\"\n"
	      "or \"permanent failure: ...\" as the outbox would classify the error.\n"
	      "With --key-id, prints the id of the key this install seals mail with\n"
	      "(JWT_SECRET_KEY), as mail_outbox.key_id holds it, in hex.\n"
	      "The settings: MEDICALCARE_ENV_FILE, else .env of the project. From cron:\n"
	      "  * * * * * MEDICALCARE_ENV_FILE=/etc/medicalcare/env"
	      " /srv/medicalcare/bin/medicalcare-outbox >> /var/log/medicalcare/outbox.log 2>&1\n"
	      "Each line of a run starts with the time (ISO 8601 UTC).\n",
	      f);
}

/* Parses a decimal integer in [min, max]. 0, or -1. */
static int parse_int(const char *s, long min, long max, int *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int send_test(const struct conf *c, const char *to)
{
	const char *app = c->app_name != NULL ? c->app_name : "MedicalCare";
	char subject[256], text[512], html[512];
	char err[256];
	char *msg = NULL;
	size_t len = 0;
	int rc = 1;

	snprintf(subject, sizeof(subject), "%s test message", app);
	snprintf(text, sizeof(text),
	         "This is a test message from medicalcare-outbox.\n\n"
	         "It arrived, so the mail settings of %s work.\n",
	         app);
	snprintf(html, sizeof(html),
	         "<!DOCTYPE html>\n<html>\n<body>\n"
	         "<p>This is a test message from medicalcare-outbox.</p>\n"
	         "<p>It arrived, so the mail settings work.</p>\n"
	         "</body>\n</html>\n");
	if (mail_compose(c, to, subject, text, html, time(NULL), &msg, &len) != 0) {
		printf("permanent failure: could not compose a message to that address\n");
		goto out;
	}
	switch (mail_transport_send(c, to, msg, len, err, sizeof(err))) {
	case MAIL_SENT:
		break;
	case MAIL_TEMPFAIL:
		log_error("could not send the test message: %s", err);
		printf("temporary failure: %s\n", err);
		goto out;
	case MAIL_PERMFAIL:
		log_error("could not send the test message: %s", err);
		printf("permanent failure: %s\n", err);
		goto out;
	}
	printf("sent\n");
	rc = 0;
out:
	if (msg != NULL) {
		OPENSSL_cleanse(msg, len);
		free(msg);
	}
	return rc;
}

static int print_key_id(const struct conf *c)
{
	const struct conf_keys *keys = conf_keys(c);
	char id[OUTBOX_KEY_ID_HEX];

	if (keys == NULL || outbox_key_id(keys->outbox, id) != 0) {
		log_error("could not derive the outbox key id");
		return 1;
	}
	printf("%s\n", id);
	return 0;
}

static int flush(const struct conf *c, int max)
{
	struct mail_flush_stats st;
	PGconn *db = NULL;
	int rc = 1;

	if (db_connect(c, &db) != DB_OK)
		goto out; /* logged by db_connect() */
	if (mail_outbox_flush(db, c, max, &st) != 0) {
		log_error("could not process the mail outbox");
		log_stdout_time();
		printf("sent %d, retried %d, failed %d, expired %d\n", st.sent, st.retried,
		       st.failed, st.expired);
		goto out;
	}
	log_stdout_time();
	printf("sent %d, retried %d, failed %d, expired %d\n", st.sent, st.retried, st.failed,
	       st.expired);
	rc = 0;
out:
	if (db != NULL)
		db_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	struct conf c;
	const char *test_to = NULL;
	int key_id = 0;
	char err[512];
	int max = OUTBOX_MAX_DEFAULT;
	int rc;

	log_set_program("outbox");
	log_set_timestamps(1);
	mail_smtp_enable(); /* delivers mail: links the SMTP transport (libcurl) */
	/* A closed pipe is an error to report, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
			if (parse_int(argv[++i], 1, OUTBOX_MAX_LIMIT, &max) != 0) {
				fprintf(stderr, "medicalcare-outbox: --max takes 1 to %d\n",
				        OUTBOX_MAX_LIMIT);
				return 2;
			}
		} else if (strcmp(argv[i], "--test-to") == 0 && i + 1 < argc) {
			test_to = argv[++i];
		} else if (strcmp(argv[i], "--key-id") == 0) {
			key_id = 1;
		} else {
			usage(stderr);
			return 2;
		}
	}

	if (conf_load(&c, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return 1;
	}
	if (key_id)
		rc = print_key_id(&c);
	else
		rc = test_to != NULL ? send_test(&c, test_to) : flush(&c, max);
	if (fflush(stdout) != 0)
		rc = 1;
	conf_release(&c);
	mail_global_cleanup();
	return rc;
}
