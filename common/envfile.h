/*
 * envfile: the env file, the settings file of an install (env.sample):
 * reading it safely (envfile_read(): a regular file of at most ENVFILE_MAX
 * bytes, no FIFO or socket) and parsing its text (envfile_parse(), pure: no
 * I/O, no environment), which conf.h turns into settings. The fuzz harness
 * fuzz/fuzz_envfile.c drives envfile_parse().
 */
#ifndef MC_ENVFILE_H
#define MC_ENVFILE_H

#include <stddef.h>

#define ENVFILE_MAX (64 * 1024)
/* The variable that names the env file (default: <project root>/.env, paths.h). */
#define ENVFILE_VAR "MEDICALCARE_ENV_FILE"

/*
 * Parses env-file text: lines "NAME=value", "export NAME=value", blank lines and
 * "#" comments; values may be single- or double-quoted (in double quotes \" \\ \n
 * are escapes), and an unquoted value ends at " #". Calls cb for each pair, in
 * order; a cb returning non-zero stops the parse with that value. Returns 0,
 * or -1 with the 1-based line number in *bad_line for a malformed line (a key
 * not matching [A-Za-z_][A-Za-z0-9_]*, no '=', an unterminated quote or text
 * after the closing one, a NUL byte); *bad_line is 0 when out of memory.
 * Lines may end in LF or CRLF; the last needs no line end.
 * Pure: no I/O, no environment. key and val are borrowed for the call only.
 */
int envfile_parse(const char *text, size_t len,
                  int (*cb)(void *arg, const char *key, const char *val), void *arg, int *bad_line);

/* envfile_parse() with the 1-based line number of each pair passed to cb. */
int envfile_walk(const char *text, size_t len,
                 int (*cb)(void *arg, int line, const char *key, const char *val), void *arg,
                 int *bad_line);

/*
 * Reads the file at path: 0 with *text (ENVFILE_MAX bytes allocated, the
 * caller frees it with envfile_free()) and *len; 1 when the file does not
 * exist and missing_ok; -1 with a message naming what and path in err.
 */
int envfile_read(const char *path, int missing_ok, const char *what, char **text, size_t *len,
                 char *err, size_t errlen);

/* Wipes and frees what envfile_read() gave (NULL: nothing). */
void envfile_free(char *text);

#endif
