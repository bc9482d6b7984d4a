/*
 * libfcgi: the FastCGI library, loaded by the first FCGX_ call (lazy.h):
 * a program started as plain CGI never makes one, so it never maps libfcgi;
 * one started by a FastCGI process manager loads it once, before its first
 * request (app.c).
 *
 * libfcgi.c defines each FCGX_ function app.c calls, and OS_LibShutdown(),
 * with the prototypes of <fcgiapp.h> and <fcgios.h>, forwarding them to
 * libfcgi.so.0 (not linked: a function not listed there fails the link).
 * If the library cannot be loaded, FCGX_Init() and FCGX_InitRequest()
 * return -1, and that is logged.
 */
#ifndef MC_LIBFCGI_H
#define MC_LIBFCGI_H

/* The library loaded: libfcgi's soname, as -lfcgi would have recorded it. */
#define LIBFCGI_SONAME "libfcgi.so.0"

#endif
