/*
 * conf_pg: the PostgreSQL connection settings' checks (conf_pg.h).
 */
#include "conf_pg.h"

#include <libpq-fe.h>

#include <stdio.h>
#include <string.h>

int conf_pg_check_port(const char *ports, const char *what, char *err, size_t errlen)
{
	const char *p = ports;

	while (p != NULL) {
		size_t n = strcspn(p, ",");
		long v = 0;

		for (size_t i = 0; i < n && v <= 65535; i++)
			v = p[i] >= '0' && p[i] <= '9' ? v * 10 + (p[i] - '0') : 65536;
		if (n > 0 && (v < 1 || v > 65535)) {
			snprintf(err, errlen, "%s must be an integer between 1 and 65535", what);
			return -1;
		}
		p = p[n] == ',' ? p + n + 1 : NULL;
	}
	return 0;
}

int conf_pg_check_sslmode(const char *mode, const char *what, char *err, size_t errlen)
{
	static const char *const modes[] = {"disable",   "allow",       "prefer", "require",
	                                    "verify-ca", "verify-full", NULL};

	if (mode == NULL || *mode == '\0')
		return 0;
	for (int k = 0; modes[k] != NULL; k++)
		if (strcmp(mode, modes[k]) == 0)
			return 0;
	snprintf(err, errlen,
	         "%s must be one of: disable, allow, prefer, require, verify-ca, verify-full",
	         what);
	return -1;
}

int conf_pg_check_url(const char *url, char *err, size_t errlen)
{
	char *perr = NULL;
	PQconninfoOption *opts;
	int bad = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (url == NULL)
		return 0;
	/* libpq's message may quote the URL, password and all: not logged. */
	opts = PQconninfoParse(url, &perr);
	PQfreemem(perr);
	if (opts == NULL) {
		snprintf(err, errlen, "DATABASE_URL is not a valid PostgreSQL connection URL");
		return -1;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL && !bad; o++) {
		if (strcmp(o->keyword, "port") == 0)
			bad = conf_pg_check_port(o->val, "DATABASE_URL's port", err, errlen);
		else if (strcmp(o->keyword, "sslmode") == 0)
			bad = conf_pg_check_sslmode(o->val, "DATABASE_URL's sslmode", err, errlen);
	}
	PQconninfoFree(opts);
	return bad ? -1 : 0;
}
