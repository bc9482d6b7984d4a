/*
 * conf_pg: checks of the PostgreSQL connection settings that libpq itself
 * would refuse only when connecting (a 503 on every request): a port list,
 * an sslmode, and a whole DATABASE_URL. Pure but for conf_pg_check_url(),
 * which parses with libpq (loading it: see libpq.h), so conf_load() checks
 * the DB_* parts and db_connect() the URL.
 */
#ifndef MC_CONF_PG_H
#define MC_CONF_PG_H

#include <stddef.h>

/*
 * A port value: NULL or empty, or a comma-separated list (one per host) of
 * empty entries or integers 1..65535. 0, or -1 with err naming what.
 */
int conf_pg_check_port(const char *ports, const char *what, char *err, size_t errlen);

/* An sslmode value (NULL or empty: libpq's default). 0, or -1 with err naming what. */
int conf_pg_check_sslmode(const char *mode, const char *what, char *err, size_t errlen);

/*
 * Checks url (NULL: nothing to check) with libpq's own parser, and its port
 * and sslmode as above: 0, or -1 with one line naming DATABASE_URL in err,
 * never quoting it (it may hold the password).
 */
int conf_pg_check_url(const char *url, char *err, size_t errlen);

#endif
