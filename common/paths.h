/*
 * paths: where an install's files are. The project root is the parent of
 * the running program's directory ("/srv/mc" for /srv/mc/cgi-bin/login.cgi,
 * or for /srv/mc/bin/medicalcare-prune); the env file is MEDICALCARE_ENV_FILE
 * (envfile.h) or "<project root>/.env".
 */
#ifndef MC_PATHS_H
#define MC_PATHS_H

#include <stddef.h>

/* Writes the project root into out. 0, or -1 when unknown or out is too small. */
int paths_root(char *out, size_t outlen);

/*
 * Writes "<project root>/<rel>" into out (e.g. "docs/openapi.json"). rel must
 * be relative. Returns 0, or -1 when the root is unknown, rel is absolute or
 * out is too small.
 */
int paths_project(const char *rel, char *out, size_t outlen);

/* Writes the default env file path, "<project root>/.env", into out. 0 or -1. */
int paths_default_env(char *out, size_t outlen);

/* Writes the env file's path (MEDICALCARE_ENV_FILE, else the default) into out. 0 or -1. */
int paths_env_file(char *out, size_t outlen);

/*
 * A relative path made absolute from the project root (a web server runs a
 * CGI program in cgi-bin/, not there): *path (owned, "./" prefixes dropped)
 * is replaced by "<project root>/<path>" and freed. An absolute path, or one
 * when the root is unknown or the result too long, is kept as it is. 0, or -1
 * out of memory (*path is kept). The caller frees *path.
 */
int paths_from_root(char **path);

#endif
