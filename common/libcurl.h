/*
 * libcurl: the transfer library of the SMTP transport (mail_smtp.h), loaded
 * by the first mail that goes out by SMTP (lazy.h) instead of by the loader
 * at every start of signup, resend-otp, forgot-password, reset-password,
 * change-password, delete-account, mfa-setup, mfa-enable, mfa-verify,
 * mfa-recovery-codes and mfa-disable:
 * libcurl maps some two dozen libraries (nghttp2, ssh2, rtmp, psl, LDAP,
 * GnuTLS, ...), and those programs deliver their mail after the answer, so
 * the answer no longer waits for them.
 *
 * libcurl.c defines each libcurl function mail_smtp.c calls, with the
 * prototype of <curl/curl.h>, forwarding it to libcurl.so.4; the programs
 * are not linked with -lcurl, so a libcurl function not listed there fails
 * the link: add it to CURL_FUNCTIONS. Until libcurl is loaded, freeing
 * nothing (curl_easy_cleanup(NULL), curl_slist_free_all(NULL),
 * curl_global_cleanup()) does not load it; any other call does, and if that
 * fails it returns CURLE_FAILED_INIT or NULL.
 */
#ifndef MC_LIBCURL_H
#define MC_LIBCURL_H

#include <stddef.h>

/* The library loaded: libcurl's soname, as -lcurl would have recorded it. */
#define LIBCURL_SONAME "libcurl.so.4"

/*
 * Loads libcurl unless it is loaded: 0, or -1 with the reason in err. After
 * a failure every later call fails the same way without trying again.
 */
int libcurl_load(char *err, size_t errlen);

/* 1 if libcurl is loaded, else 0. */
int libcurl_loaded(void);

#endif
