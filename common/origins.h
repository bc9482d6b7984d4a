/*
 * origins: the frontend's origins as the settings give them: FRONTEND_URL
 * (the reset link's base and the default origin) and CORS_ORIGINS, checked
 * and normalized once by conf_load(), so that cors.h compares them as they
 * are. Pure string work (no HTTP, no allocation but the list).
 */
#ifndef MC_ORIGINS_H
#define MC_ORIGINS_H

#include <stddef.h>

/*
 * FRONTEND_URL: strips its trailing slashes in place and checks that it is
 * an http:// or https:// URL without blanks. 0, or -1 with err naming it.
 */
int origins_frontend_url(char *url, char *err, size_t errlen);

/*
 * Rewrites *list (CORS_ORIGINS, owned, may be NULL) as "a,b,c": each entry
 * trimmed of blanks and trailing slashes, empty entries dropped; an empty or
 * unset list becomes a copy of frontend_url. Each entry must be an http:// or
 * https:// origin. 0, or -1 with err (*list then is still owned by the caller,
 * and may have been replaced). The caller frees *list.
 */
int origins_list(char **list, const char *frontend_url, char *err, size_t errlen);

#endif
