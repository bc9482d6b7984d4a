/*
 * notice: warnings that must not repeat on every request. A CGI program lives
 * for one request, so "already said" is kept in the database (table
 * log_notices), shared by every process and every server in front of it.
 */
#ifndef MC_NOTICE_H
#define MC_NOTICE_H

#include <libpq-fe.h>

#define NOTICE_EVERY_DAY 86400

/*
 * Whether the warning called name is due: never written, or last written
 * more than every seconds ago. When due, records that it is written now, in
 * one statement, so of many concurrent requests one gets 1. 1 due (the
 * caller logs it), 0 not due, or a db_rc (< 0).
 */
int notice_due(PGconn *db, const char *name, int every);

#endif
