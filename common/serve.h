/*
 * serve: a program's process. main() of every program in cgi-bin/ is
 * "return serve_main(&endpoint);": started by a FastCGI process manager
 * (standard input a listening socket) it serves requests in a loop, else it
 * serves the one CGI request of its environment and standard input (a web
 * server's mod_cgi, or the shell).
 *
 * FastCGI: the settings are read once and again when the env file changes
 * (reload.h), the database connection is kept (db.h), each answer is finished
 * (FCGX_Finish_r) before its mail is delivered, and the process ends after
 * FCGI_MAX_REQUESTS requests or on SIGTERM, once the request in hand is
 * answered. CGI: the answer's end is sent at once (shutdown, stdout closed,
 * a refused body drained), then mail goes out from a child (app.h).
 */
#ifndef MC_SERVE_H
#define MC_SERVE_H

#include "app.h"

/*
 * Serves as above. One CGI request: loads the configuration (logging its
 * error), reads the request from the environment and stdin (413 unread),
 * serves it, writes the response to stdout and closes it, delivers queued
 * mail (app.h), frees everything. Returns the process exit status (0; 1 when FastCGI cannot start).
 */
int serve_main(const struct endpoint *ep);

#endif
