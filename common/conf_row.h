/*
 * conf_row: what a row of the settings table (conf.c) is, and how a value
 * is checked against its row and stored in, or released from, the field
 * the row names: strings copied, secrets and keys wiped on release,
 * integers strictly parsed and bounds checked, enums by name. The rows
 * themselves, and where a value comes from, are conf.c's.
 */
#ifndef MC_CONF_ROW_H
#define MC_CONF_ROW_H

#include <stddef.h>

enum conf_type {
	CONF_STRING, /* char *, copied */
	CONF_SECRET, /* char *, copied, wiped on release */
	CONF_KEY,    /* unsigned char * and a size_t length, wiped on release */
	CONF_INT,    /* int or uint32_t, strictly parsed and bounds checked */
	CONF_ENUM,   /* an enum: the index of the value in choices */
};

/* Read from the process environment only (the env file cannot name itself). */
#define CONF_ENV_ONLY 0x1u
/* No default: unset is an error. */
#define CONF_REQUIRED 0x2u
/* Its default depends on other settings: the row's given_off field records
 * whether it was set, for conf_finish(). */
#define CONF_DEFAULT_LATER 0x4u

struct conf_setting {
	const char *name;
	enum conf_type type;
	unsigned flags;
	size_t off;     /* of the target field in struct conf */
	size_t len_off; /* CONF_KEY: of its length field */
	long min;       /* CONF_INT: bounds; CONF_KEY: least length in bytes */
	long max;
	const char *def;            /* CONF_STRING, CONF_SECRET: default, NULL for none */
	int def_int;                /* CONF_INT, CONF_ENUM: default (an enum's -1: computed) */
	const char *const *choices; /* CONF_ENUM: NULL-terminated names */
	size_t given_off;           /* CONF_DEFAULT_LATER: of an int set to 1 when given */
};

/*
 * Applies val (NULL: unset, so the row's default) to the field of row s in
 * the struct at base. 0, or -1 with one line naming the setting in err.
 */
int conf_row_apply(void *base, const struct conf_setting *s, const char *val, char *err,
                   size_t errlen);

/* Records that a CONF_DEFAULT_LATER setting was given (its given_off field). */
void conf_row_given(void *base, const struct conf_setting *s);

/* Frees the field of row s (a string or key, wiped if secret); others are left. */
void conf_row_release(void *base, const struct conf_setting *s);

#endif
