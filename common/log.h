/*
 * log: one line per event on stderr, which a web server puts in its error log.
 *
 * Lines read "medicalcare <program>: <message>", lower case and without a final
 * period, as PostgreSQL and git word theirs. Control bytes in the message are
 * escaped (\n, \x1b, ...) so that a client-supplied value cannot forge lines.
 * Never log a password, an OTP, a reset token, a JWT or a secret.
 *
 * Levels: a web server files all of a CGI program's stderr at its own "error"
 * level, so routine events (log_info) are written only when LOG_LEVEL asks
 * for them; the default, warning, writes warnings and errors. conf_load()
 * sets the level from LOG_LEVEL. The cron tools also stamp each line with
 * the time (log_set_timestamps), since cron's output has none.
 */
#ifndef MC_LOG_H
#define MC_LOG_H

#include <stdarg.h>

/* The levels of LOG_LEVEL, in the order of conf.c's choices. */
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO };

/* Lines below level (less severe) are dropped; the default is LOG_LEVEL_WARNING. */
void log_set_level(int level);

/* 1: every line starts with the time, ISO 8601 UTC ("2026-12-07T12:00:00Z "). */
void log_set_timestamps(int on);

/*
 * Writes the current time, ISO 8601 UTC to the second ("2026-12-07T12:00:00Z"),
 * into out (at least 21 bytes). For the tools' own lines on stdout.
 */
void log_time(char *out, unsigned long outlen);

/*
 * Writes the time and a space to stdout when timestamps are on: called at the
 * start of each line a cron tool prints there (its counts), so a cron log has
 * a time on every line.
 */
void log_stdout_time(void);

/* Sets the program name used in every line ("signup"); borrowed, must outlive use. */
void log_set_program(const char *name);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formats into out (always NUL-terminated), escaping control bytes and backslash. */
void log_escape(const char *in, char *out, unsigned long outlen);

#endif
