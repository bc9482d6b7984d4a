/*
 * log: one line per event on stderr, which a web server puts in its error log.
 *
 * Lines read "medicalcare <program>: <message>", lower case and without a final
 * period, as PostgreSQL and git word theirs. Control bytes in the message are
 * escaped (\n, \x1b, ...) so that a client-supplied value cannot forge lines.
 * Never log a password, an OTP, a reset token, a JWT or a secret.
 */
#ifndef MC_LOG_H
#define MC_LOG_H

#include <stdarg.h>

/* Sets the program name used in every line ("signup"); borrowed, must outlive use. */
void log_set_program(const char *name);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formats into out (always NUL-terminated), escaping control bytes and backslash. */
void log_escape(const char *in, char *out, unsigned long outlen);

#endif
