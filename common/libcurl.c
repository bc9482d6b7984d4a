/*
 * libcurl: the libcurl functions mail_smtp.c calls, forwarded to libcurl.so.4
 * loaded on first use (libcurl.h, lazy.h).
 */
#include "libcurl.h"

#include "lazy.h"
#include "libcrypto.h"

#include <curl/curl.h>
#include <stdarg.h>

/* The functions themselves are defined here, not curl.h's checking macros. */
#undef curl_easy_setopt
#undef curl_easy_getinfo

/*
 * Every libcurl function called. F: return type, name, parameters,
 * arguments, the value returned when libcurl cannot be loaded. V: a function
 * that frees its one argument, which does not load libcurl for NULL. The two
 * of variable arguments are defined by hand below.
 */
#define CURL_FUNCTIONS(F, V)                                                                    \
	F(CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT)                 \
	F(CURL *, curl_easy_init, (void), (), NULL)                                             \
	F(CURLcode, curl_easy_perform, (CURL * curl), (curl), CURLE_FAILED_INIT)                \
	F(const char *, curl_easy_strerror, (CURLcode code), (code), curl_no_library)           \
	F(struct curl_slist *, curl_slist_append, (struct curl_slist * list, const char *data), \
	  (list, data), NULL)                                                                   \
	V(curl_easy_cleanup, CURL *, curl)                                                      \
	V(curl_slist_free_all, struct curl_slist *, list)

/* The others, each with its index in the table. */
#define CURL_OTHERS(X) X(curl_global_cleanup) X(curl_easy_setopt) X(curl_easy_getinfo)

static const char curl_no_library[] = "could not load " LIBCURL_SONAME;

#define CURL_XINDEX(name) LAZY_FN_##name,
#define CURL_XNAME(name) #name,
enum { CURL_FUNCTIONS(LAZY_INDEX, LAZY_VINDEX) CURL_OTHERS(CURL_XINDEX) LAZY_COUNT };
static const char *const curl_names[] = {CURL_FUNCTIONS(LAZY_NAME, LAZY_VNAME)
                                             CURL_OTHERS(CURL_XNAME) NULL};
static LAZY_TABLE_OF(LAZY_COUNT) curl_table;
/* libcrypto first, started as libcrypto.h says, before libcurl can start it. */
static struct lazy curl_lib = {.soname = LIBCURL_SONAME,
                               .names = curl_names,
                               .table = curl_table.fn,
                               .before = libcrypto_ready};

int libcurl_load(char *err, size_t errlen)
{
	return lazy_load(&curl_lib, err, errlen);
}

int libcurl_loaded(void)
{
	return curl_lib.state == LAZY_LOADED;
}

#define LAZY_LIB curl_lib
#define LAZY_TABLE curl_table
CURL_FUNCTIONS(LAZY_DEFINE, LAZY_VDEFINE)

/* Nothing to clean up in a process that never loaded libcurl. */
void curl_global_cleanup(void)
{
	if (libcurl_loaded())
		((void (*)(void))curl_table.fn[LAZY_FN_curl_global_cleanup])();
}

/*
 * The third argument is of the type the option's number says (curl.h's
 * CURLOPTTYPE_ ranges), as libcurl itself reads it: a long, an object
 * pointer, a function pointer (passed on as one), a curl_off_t, or a blob
 * pointer.
 */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);
	setopt_fn fn;
	va_list ap;
	CURLcode rc;

	if (!lazy_ready(&curl_lib))
		return CURLE_FAILED_INIT;
	fn = (setopt_fn)curl_table.fn[LAZY_FN_curl_easy_setopt];
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = fn(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = fn(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = fn(curl, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		rc = fn(curl, option, va_arg(ap, curl_off_t));
	else
		rc = fn(curl, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* The third argument is always a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	typedef CURLcode (*getinfo_fn)(CURL *, CURLINFO, ...);
	va_list ap;
	void *arg;

	if (!lazy_ready(&curl_lib))
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	arg = va_arg(ap, void *);
	va_end(ap);
	return ((getinfo_fn)curl_table.fn[LAZY_FN_curl_easy_getinfo])(curl, info, arg);
}
