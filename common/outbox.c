/*
 * outbox: key ids of outbox rows, the expiry sweep, and the record of rows an
 * install cannot unseal (outbox.h).
 */
#include "outbox.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "db.h"
#include "hex.h"
#include "log.h"

#define OUTBOX_KEY_ID_LABEL "medicalcare outbox key id v1"

int outbox_key_id(const unsigned char key[32], char out[OUTBOX_KEY_ID_HEX])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (HMAC(EVP_sha256(), key, 32, (const unsigned char *)OUTBOX_KEY_ID_LABEL,
	         strlen(OUTBOX_KEY_ID_LABEL), mac, &n) == NULL ||
	    n < OUTBOX_KEY_ID_LEN)
		return -1;
	hex_encode(mac, OUTBOX_KEY_ID_LEN, out);
	return 0;
}

int outbox_expire_due(PGconn *db, int max, int *n)
{
	char limit[16], mins[16];
	const char *p[2] = {limit, mins};
	PGresult *res = NULL;
	int rc = -1;

	*n = 0;
	snprintf(limit, sizeof(limit), "%d", max);
	snprintf(mins, sizeof(mins), "%d", OUTBOX_NOTICE_MINUTES);
	if (db_exec(db, ST_OUTBOX_EXPIRE_DUE, p, 2, &res) != DB_OK)
		goto out;
	if (PQnfields(res) < 2)
		goto out;
	for (int i = 0; i < PQntuples(res); i++)
		log_info("outbox %s (%s): expired before delivery", PQgetvalue(res, i, 0),
		         PQgetvalue(res, i, 1));
	*n = PQntuples(res);
	rc = 0;
out:
	if (res != NULL)
		PQclear(res);
	return rc;
}

int outbox_note_foreign(PGconn *db, const char *key_id)
{
	const char *p[1] = {key_id};
	PGresult *res = NULL;
	int rc = -1;

	if (db_exec(db, ST_OUTBOX_NOTE_FOREIGN, p, 1, &res) != DB_OK)
		goto out;
	if (PQnfields(res) < 4)
		goto out;
	/* Columns: other key id, rows, lowest id, highest id. */
	for (int i = 0; i < PQntuples(res); i++) {
		const char *other = PQgetvalue(res, i, 0);
		const char *rows = PQgetvalue(res, i, 1);
		const char *lo = PQgetvalue(res, i, 2);
		const char *hi = PQgetvalue(res, i, 3);

		if (strcmp(rows, "1") == 0)
			log_warn("outbox %s: sealed under another key (key id %s), left pending "
			         "for the install that holds it",
			         lo, other);
		else
			log_warn("outbox: %s pending mails (ids %s to %s) sealed under another "
			         "key (key id %s), left for the install that holds it",
			         rows, lo, hi, other);
	}
	rc = 0;
out:
	if (res != NULL)
		PQclear(res);
	return rc;
}

int outbox_release_unreadable(PGconn *db, const char *id, const char *kind, const char *key_id)
{
	const char *p[2] = {id, key_id};
	PGresult *res = NULL;
	int rc = -1;

	if (db_exec(db, ST_OUTBOX_RELEASE_UNREADABLE, p, 2, &res) != DB_OK)
		goto out;
	if (PQntuples(res) > 0)
		log_warn("outbox %s (%s): could not unseal message with this key (key id %s), "
		         "left pending for an install that can until it expires",
		         id, kind, key_id);
	rc = 0;
out:
	if (res != NULL)
		PQclear(res);
	return rc;
}
