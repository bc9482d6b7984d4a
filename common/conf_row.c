/*
 * conf_row: a row of the settings table and its value (conf_row.h).
 */
#include "conf_row.h"

#include "secret.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *field(void *base, size_t off)
{
	return (char *)base + off;
}

/* 1 if s holds a control character (C0 or DEL). */
static int has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Strict decimal: the whole string, no sign other than '-', no blanks. */
static int parse_long(const char *s, long *out)
{
	char *end = NULL;
	long v;

	if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

void conf_row_given(void *base, const struct conf_setting *s)
{
	int one = 1;

	memcpy((char *)base + s->given_off, &one, sizeof(one));
}

static void set_int(void *base, const struct conf_setting *s, int v)
{
	memcpy(field(base, s->off), &v, sizeof(v));
}

int conf_row_apply(void *base, const struct conf_setting *s, const char *val, char *err,
                   size_t errlen)
{
	if (val == NULL && (s->flags & CONF_REQUIRED)) {
		snprintf(err, errlen, "%s is not set", s->name);
		return -1;
	}
	switch (s->type) {
	case CONF_STRING:
	case CONF_SECRET: {
		char **p = field(base, s->off);

		if (val == NULL)
			val = s->def;
		if (val == NULL)
			return 0;
		if (s->type == CONF_STRING && has_control(val)) {
			snprintf(err, errlen, "%s must not contain control characters", s->name);
			return -1;
		}
		*p = strdup(val);
		if (*p == NULL)
			goto oom;
		return 0;
	}
	case CONF_KEY: {
		unsigned char **p = field(base, s->off);
		size_t *len = field(base, s->len_off);
		size_t n;

		if (val == NULL)
			return 0;
		n = strlen(val);
		if (n < (size_t)s->min) {
			snprintf(err, errlen, "%s must be at least %ld bytes", s->name, s->min);
			return -1;
		}
		*p = malloc(n);
		if (*p == NULL)
			goto oom;
		memcpy(*p, val, n);
		*len = n;
		return 0;
	}
	case CONF_INT: {
		long v = s->def_int;

		if (val != NULL && (parse_long(val, &v) != 0 || v < s->min || v > s->max)) {
			snprintf(err, errlen, "%s must be an integer between %ld and %ld", s->name,
			         s->min, s->max);
			return -1;
		}
		set_int(base, s, (int)v);
		return 0;
	}
	case CONF_ENUM: {
		int v = s->def_int;

		if (val != NULL) {
			v = -1;
			for (int k = 0; s->choices[k] != NULL; k++)
				if (strcmp(val, s->choices[k]) == 0)
					v = k;
			if (v < 0) {
				size_t o;

				o = (size_t)snprintf(err, errlen, "%s must be one of:", s->name);
				for (int k = 0; s->choices[k] != NULL && o < errlen; k++)
					o += (size_t)snprintf(err + o, errlen - o, "%s %s",
					                      k > 0 ? "," : "", s->choices[k]);
				return -1;
			}
		}
		if (v >= 0)
			set_int(base, s, v);
		return 0;
	}
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory reading %s", s->name);
	return -1;
}

void conf_row_release(void *base, const struct conf_setting *s)
{
	if (s->type == CONF_STRING || s->type == CONF_SECRET) {
		char **p = field(base, s->off);

		if (s->type == CONF_SECRET)
			secret_free_str(*p);
		else
			free(*p);
		*p = NULL;
	} else if (s->type == CONF_KEY) {
		unsigned char **p = field(base, s->off);
		size_t *len = field(base, s->len_off);

		if (*p != NULL)
			OPENSSL_cleanse(*p, *len);
		free(*p);
		*p = NULL;
		*len = 0;
	}
}
