/*
 * origins: the frontend's origins as the settings give them (origins.h).
 */
#include "origins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A space or a tab. */
static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* 1 if url starts with http:// or https:// and has something after it. */
static int is_http_url(const char *url)
{
	size_t n = strlen(url);

	if (strncmp(url, "http://", 7) == 0)
		return n > 7;
	if (strncmp(url, "https://", 8) == 0)
		return n > 8;
	return 0;
}

static void strip_trailing_slashes(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

int origins_frontend_url(char *url, char *err, size_t errlen)
{
	strip_trailing_slashes(url);
	if (!is_http_url(url) || strchr(url, ' ') != NULL) {
		snprintf(err, errlen, "FRONTEND_URL must start with http:// or https://");
		return -1;
	}
	return 0;
}

int origins_list(char **list_io, const char *frontend_url, char *err, size_t errlen)
{
	char *list = *list_io;
	char *out = NULL;
	size_t o = 0;

	if (list == NULL)
		goto use_frontend;
	out = malloc(strlen(list) + 1);
	if (out == NULL)
		goto oom;
	for (char *p = list; *p != '\0';) {
		char *comma = strchr(p, ',');
		char *end = comma != NULL ? comma : p + strlen(p);
		char *next = comma != NULL ? comma + 1 : end;

		while (p < end && is_blank(*p))
			p++;
		while (end > p && (is_blank(end[-1]) || end[-1] == '/'))
			end--;
		if (end > p) {
			char save = *end;

			*end = '\0';
			if (!is_http_url(p) || strpbrk(p, " \t") != NULL) {
				snprintf(
				    err, errlen,
				    "CORS_ORIGINS must be a comma-separated list of http:// or https:// origins");
				free(out);
				return -1;
			}
			*end = save;
			if (o > 0)
				out[o++] = ',';
			memcpy(out + o, p, (size_t)(end - p));
			o += (size_t)(end - p);
		}
		p = next;
	}
	out[o] = '\0';
	if (o == 0) {
		free(out);
		free(list);
		*list_io = NULL;
		goto use_frontend;
	}
	free(list);
	*list_io = out;
	return 0;
use_frontend:
	*list_io = strdup(frontend_url);
	if (*list_io != NULL)
		return 0;
oom:
	snprintf(err, errlen, "out of memory reading CORS_ORIGINS");
	return -1;
}
