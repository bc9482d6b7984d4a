/*
 * conf: every setting is one row of conf_table (after redis's config.c): its
 * name, type, bounds, default and the struct conf field it fills. conf_load()
 * resolves each name (environment, then env file, then default), checks it
 * against its row, then applies the rules that tie settings together.
 */
#include "conf.h"

#include "client.h"
#include "envfile.h"
#include "hashgate.h"
#include "isotime.h"
#include "log.h"
#include "paths.h"
#include "secret.h"

#include <libpq-fe.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OTP_KEY_LABEL "medicalcare otp key v1"
#define OUTBOX_KEY_LABEL "medicalcare outbox key v1"
#define AUDIT_KEY_LABEL "medicalcare audit email key v1"

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

/* Integers and enums are written as an int: every one is 4 bytes and never negative. */
_Static_assert(sizeof(uint32_t) == sizeof(int), "uint32_t fields are written as int");
_Static_assert(sizeof(enum mail_transport) == sizeof(int), "enum fields are written as int");
_Static_assert(sizeof(enum smtp_security) == sizeof(int), "enum fields are written as int");

static const char *const transport_names[] = {"smtp", "file", NULL};
static const char *const security_names[] = {"none", "starttls", "tls", NULL};
static const char *const onoff_names[] = {"off", "on", NULL};
/* In the order of log.h's enum log_level. */
static const char *const level_names[] = {"error", "warning", "info", NULL};

#define F(field) .off = offsetof(struct conf, field)
#define STR(n, field, d)                                           \
	{                                                          \
		.name = n, .type = CONF_STRING, F(field), .def = d \
	}
#define SECRET(n, field)                                 \
	{                                                \
		.name = n, .type = CONF_SECRET, F(field) \
	}
#define INT(n, field, lo, hi, d)                                                          \
	{                                                                                 \
		.name = n, .type = CONF_INT, F(field), .min = lo, .max = hi, .def_int = d \
	}

static const struct conf_setting conf_table[] = {
    /* Database */
    STR("DATABASE_URL", database_url, NULL),
    STR("DB_HOST", db_host, NULL),
    STR("DB_PORT", db_port, NULL),
    STR("DB_NAME", db_name, NULL),
    STR("DB_USER", db_user, NULL),
    SECRET("DB_PASSWORD", db_password),
    STR("DB_SSLMODE", db_sslmode, NULL),
    STR("INSTANCE_CONNECTION_NAME", instance_connection_name, NULL),
    INT("DB_CONNECT_TIMEOUT", db_connect_timeout, 1, 60, 5),
    {.name = "DB_PREPARE", .type = CONF_ENUM, F(db_prepare), .def_int = 1, .choices = onoff_names},
    /* Tokens */
    {.name = "JWT_SECRET_KEY",
     .type = CONF_KEY,
     .flags = CONF_REQUIRED,
     F(jwt_secret),
     .len_off = offsetof(struct conf, jwt_secret_len),
     .min = CONF_JWT_SECRET_MIN},
    INT("JWT_EXPIRE_MINUTES", jwt_expire_minutes, 1, 1440, 60),
    INT("OTP_EXPIRE_MINUTES", otp_expire_minutes, 1, 60, 10),
    INT("RESET_TOKEN_EXPIRE_MINUTES", reset_token_expire_minutes, 1, 1440, 15),
    /* Sessions (session.h); LEGACY_TOKENS_UNTIL is parsed by conf_finish() */
    INT("SESSION_IDLE_MINUTES", session_idle_minutes, 1, 525600, 10080),
    INT("SESSION_MAX_MINUTES", session_max_minutes, 1, 5256000, 43200),
    INT("REFRESH_REUSE_SECONDS", refresh_reuse_seconds, 0, 60, 10),
    STR("LEGACY_TOKENS_UNTIL", legacy_tokens_until, NULL),
    /* Passwords */
    INT("ARGON2_MEMORY_KIB", argon2_memory_kib, 8, 4194304, 19456),
    INT("ARGON2_ITERATIONS", argon2_iterations, 1, 100, 2),
    INT("ARGON2_PARALLELISM", argon2_parallelism, 1, 64, 1),
    /* 0: the number of online cores (conf_finish()) */
    INT("HASH_CONCURRENCY", hash_concurrency, 1, HASHGATE_MAX_SLOTS, 0),
    /* NULL: hashgate_default_path() (conf_finish()) */
    STR("HASH_LOCK_FILE", hash_lock_file, NULL),
    /* Frontend and CORS (checked and completed by conf_finish()) */
    STR("FRONTEND_URL", frontend_url, "http://localhost:3000"),
    STR("CORS_ORIGINS", cors_origins, NULL),
    /* Mail */
    {.name = "MAIL_TRANSPORT",
     .type = CONF_ENUM,
     F(mail_transport),
     .def_int = MAIL_TRANSPORT_SMTP,
     .choices = transport_names},
    STR("MAIL_DIR", mail_dir, "./mail"),
    STR("SMTP_SERVER", smtp_server, "localhost"),
    INT("SMTP_PORT", smtp_port, 1, 65535, 587),
    {.name = "SMTP_SECURITY",
     .type = CONF_ENUM,
     .flags = CONF_DEFAULT_LATER,
     F(smtp_security),
     .def_int = -1,
     .choices = security_names,
     .given_off = offsetof(struct conf, smtp_security_given)},
    STR("SMTP_EMAIL", smtp_email, NULL),
    SECRET("SMTP_PASSWORD", smtp_password),
    STR("SMTP_FROM", smtp_from, NULL),
    STR("SMTP_FROM_NAME", smtp_from_name, "MedicalCare"),
    STR("SMTP_CA_FILE", smtp_ca_file, NULL),
    INT("SMTP_TIMEOUT", smtp_timeout, 1, 300, 10),
    STR("APP_NAME", app_name, "MedicalCare"),
    /* Abuse limits per client address, and the audit trail */
    STR("TRUSTED_PROXIES", trusted_proxies, NULL),
    INT("CLIENT_LIMIT_WINDOW", client_limit_window, 60, 86400, 900),
    INT("CLIENT_LIMIT_LOGIN", client_limit_login, 0, 1000000, 30),
    INT("CLIENT_LIMIT_SIGNUP", client_limit_signup, 0, 1000000, 10),
    INT("CLIENT_LIMIT_VERIFY_OTP", client_limit_verify_otp, 0, 1000000, 30),
    INT("CLIENT_LIMIT_RESEND_OTP", client_limit_resend_otp, 0, 1000000, 10),
    INT("CLIENT_LIMIT_FORGOT_PASSWORD", client_limit_forgot, 0, 1000000, 10),
    INT("AUDIT_RETENTION_DAYS", audit_retention_days, 1, 36500, 2190),
    INT("UNVERIFIED_ACCOUNT_DAYS", unverified_account_days, 1, 3650, 7),
    /* Long-lived (FastCGI) processes: read by the programs and the launcher */
    INT("FCGI_MAX_REQUESTS", fcgi_max_requests, 1, 1000000000, 10000),
    INT("FCGI_PROCESSES", fcgi_processes, 0, 256, 0),
    INT("DB_MAX_CONNECTIONS", db_max_connections, 1, 10000, 40),
    /* What is written to the error log (log.h): conf_load() sets it. */
    {.name = "LOG_LEVEL",
     .type = CONF_ENUM,
     F(log_level),
     .def_int = LOG_LEVEL_WARNING,
     .choices = level_names},
    /* The env file itself: env_file is set to the file actually read. */
    {.name = ENVFILE_VAR, .type = CONF_STRING, .flags = CONF_ENV_ONLY, F(env_file)},
};

#undef F
#undef STR
#undef SECRET
#undef INT

#define CONF_N (sizeof(conf_table) / sizeof(conf_table[0]))

const char *conf_setting_name(size_t i)
{
	return i < CONF_N ? conf_table[i].name : NULL;
}

static void *conf_field(struct conf *c, size_t off)
{
	return (char *)c + off;
}

/* Index of name in conf_table, or -1. */
static int conf_index(const char *name)
{
	for (size_t i = 0; i < CONF_N; i++)
		if (strcmp(conf_table[i].name, name) == 0)
			return (int)i;
	return -1;
}

void conf_release(struct conf *c)
{
	for (size_t i = 0; i < CONF_N; i++) {
		const struct conf_setting *s = &conf_table[i];

		if (s->type == CONF_STRING || s->type == CONF_SECRET) {
			char **p = conf_field(c, s->off);

			if (s->type == CONF_SECRET)
				secret_free_str(*p);
			else
				free(*p);
			*p = NULL;
		} else if (s->type == CONF_KEY) {
			unsigned char **p = conf_field(c, s->off);
			size_t *len = conf_field(c, s->len_off);

			if (*p != NULL)
				OPENSSL_cleanse(*p, *len);
			free(*p);
			*p = NULL;
			*len = 0;
		}
	}
	if (c->keys != NULL) {
		OPENSSL_cleanse(c->keys, sizeof(*c->keys));
		free(c->keys);
		c->keys = NULL;
	}
	memset(c, 0, sizeof(*c));
}

/* A space or a tab. */
static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* ---- names that are not settings ---- */

static int lower_ascii(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Levenshtein distance of a and b ignoring ASCII case, capped at 64 characters each. */
static size_t name_distance(const char *a, const char *b)
{
	size_t la = strnlen(a, 64), lb = strnlen(b, 64);
	size_t row[65];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (lower_ascii(a[i - 1]) != lower_ascii(b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

const char *conf_closest_setting(const char *name)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	size_t len = strlen(name);
	size_t limit = len < 12 ? 2 : 3;

	for (size_t i = 0; i < CONF_N; i++) {
		size_t d;

		if (conf_table[i].flags & CONF_ENV_ONLY)
			continue;
		d = name_distance(name, conf_table[i].name);
		if (d < best_d) {
			best_d = d;
			best = conf_table[i].name;
		}
	}
	return best_d <= limit ? best : NULL;
}

struct unknown_walk {
	void (*cb)(void *arg, int line, const char *name, const char *closest, int env_only);
	void *arg;
};

static int unknown_walk_cb(void *arg, int line, const char *key, const char *val)
{
	const struct unknown_walk *w = arg;
	int i = conf_index(key);

	(void)val;
	if (i >= 0 && !(conf_table[i].flags & CONF_ENV_ONLY))
		return 0;
	w->cb(w->arg, line, key, i >= 0 ? NULL : conf_closest_setting(key), i >= 0);
	return 0;
}

int conf_env_unknown(const char *text, size_t len,
                     void (*cb)(void *arg, int line, const char *name, const char *closest,
                                int env_only),
                     void *arg)
{
	struct unknown_walk w = {.cb = cb, .arg = arg};
	int bad_line = 0;

	return envfile_walk(text, len, unknown_walk_cb, &w, &bad_line) == 0 ? 0 : -1;
}

struct unknown_where {
	const char *path;
};

/* conf_env_unknown()'s callback of conf_load(): one warning per name. */
static void warn_unknown(void *arg, int line, const char *name, const char *closest, int env_only)
{
	const char *path = ((const struct unknown_where *)arg)->path;

	if (env_only)
		log_warn("env file %s line %d: %s has no effect in an env file (set it in the"
		         " environment): ignored",
		         path, line, name);
	else if (closest != NULL)
		log_warn("env file %s line %d: %s is not a setting (did you mean %s?): ignored",
		         path, line, name, closest);
	else
		log_warn("env file %s line %d: %s is not a setting (see env.sample): ignored", path,
		         line, name);
}

/* ---- reading the env file ---- */

struct file_vals {
	char *v[CONF_N]; /* owned; the last value the file gave each setting */
};

static void file_vals_release(struct file_vals *fv)
{
	for (size_t i = 0; i < CONF_N; i++) {
		secret_free_str(fv->v[i]);
		fv->v[i] = NULL;
	}
}

static int file_vals_cb(void *arg, const char *key, const char *val)
{
	struct file_vals *fv = arg;
	int i = conf_index(key);
	char *copy;

	if (i < 0 || (conf_table[i].flags & CONF_ENV_ONLY))
		return 0; /* not ours: other tools may share the file */
	copy = strdup(val);
	if (copy == NULL)
		return -2;
	secret_free_str(fv->v[i]);
	fv->v[i] = copy;
	return 0;
}

/*
 * A relative MAIL_DIR is taken from the project root, not from the working
 * directory (a web server runs a CGI program in cgi-bin/). 0 or -1.
 */
static int conf_mail_dir(struct conf *c, char *err, size_t errlen)
{
	char root[4096];
	const char *rel = c->mail_dir;
	char *abs;
	size_t len;

	if (c->mail_dir[0] == '/' || paths_root(root, sizeof(root)) != 0)
		return 0;
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	len = strlen(root) + 1 + strlen(rel) + 1;
	abs = malloc(len);
	if (abs == NULL) {
		snprintf(err, errlen, "out of memory reading MAIL_DIR");
		return -1;
	}
	snprintf(abs, len, "%s/%s", root, rel);
	free(c->mail_dir);
	c->mail_dir = abs;
	return 0;
}

/*
 * Reads path (envfile_read()) and parses it into fv. Returns 0, 1 if the
 * file does not exist and missing_ok, or -1 with a message in err.
 */
static int read_env_file(const char *path, int missing_ok, const char *what, struct file_vals *fv,
                         char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int bad_line = 0;
	int ret;

	ret = envfile_read(path, missing_ok, what, &text, &len, err, errlen);
	if (ret != 0)
		return ret;
	ret = -1;
	if (envfile_parse(text, len, file_vals_cb, fv, &bad_line) != 0) {
		if (bad_line > 0)
			snprintf(err, errlen, "syntax error in %s %s at line %d", what, path,
			         bad_line);
		else
			snprintf(err, errlen, "out of memory reading %s %s", what, path);
		goto out;
	}
	/* Said on every read: once per process, and again after each change. */
	{
		struct unknown_where where = {.path = path};

		conf_env_unknown(text, len, warn_unknown, &where);
	}
	ret = 0;
out:
	envfile_free(text);
	return ret;
}

/* ---- values ---- */

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

/* Records that a CONF_DEFAULT_LATER setting was given. */
static void set_given(struct conf *c, const struct conf_setting *s)
{
	int one = 1;

	memcpy((char *)c + s->given_off, &one, sizeof(one));
}

static void set_int(struct conf *c, const struct conf_setting *s, int v)
{
	memcpy(conf_field(c, s->off), &v, sizeof(v));
}

/* Applies val (NULL: unset) to the field of row s. 0, or -1 with err. */
static int conf_apply(struct conf *c, const struct conf_setting *s, const char *val, char *err,
                      size_t errlen)
{
	if (val == NULL && (s->flags & CONF_REQUIRED)) {
		snprintf(err, errlen, "%s is not set", s->name);
		return -1;
	}
	switch (s->type) {
	case CONF_STRING:
	case CONF_SECRET: {
		char **p = conf_field(c, s->off);

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
		unsigned char **p = conf_field(c, s->off);
		size_t *len = conf_field(c, s->len_off);
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
		set_int(c, s, (int)v);
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
			set_int(c, s, v);
		return 0;
	}
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory reading %s", s->name);
	return -1;
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

/*
 * Rewrites CORS_ORIGINS as "a,b,c": each entry trimmed of blanks and trailing
 * slashes, empty entries dropped. An empty list means FRONTEND_URL.
 */
static int conf_cors(struct conf *c, char *err, size_t errlen)
{
	char *list = c->cors_origins;
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
		c->cors_origins = NULL;
		goto use_frontend;
	}
	free(list);
	c->cors_origins = out;
	return 0;
use_frontend:
	c->cors_origins = strdup(c->frontend_url);
	if (c->cors_origins != NULL)
		return 0;
oom:
	snprintf(err, errlen, "out of memory reading CORS_ORIGINS");
	return -1;
}

/*
 * A PostgreSQL port value, which libpq would refuse only when connecting (a
 * 503 on every request): NULL or empty, or a comma-separated list (one per
 * host) of empty entries or integers 1..65535. 0, or -1 with err naming what.
 */
static int conf_pg_port(const char *ports, const char *what, char *err, size_t errlen)
{
	const char *p = ports;

	while (p != NULL) {
		size_t n = strcspn(p, ",");
		long v = 0;

		for (size_t i = 0; i < n && v <= 65535; i++)
			v = p[i] >= '0' && p[i] <= '9' ? v * 10 + (p[i] - '0') : 65536;
		if (n > 0 && (v < 1 || v > 65535)) {
			snprintf(err, errlen, "%s must be an integer between 1 and 65535", what);
			return -1;
		}
		p = p[n] == ',' ? p + n + 1 : NULL;
	}
	return 0;
}

/* A PostgreSQL sslmode value (NULL or empty: libpq's default). 0, or -1 with err. */
static int conf_pg_sslmode(const char *mode, const char *what, char *err, size_t errlen)
{
	static const char *const modes[] = {"disable",   "allow",       "prefer", "require",
	                                    "verify-ca", "verify-full", NULL};

	if (mode == NULL || *mode == '\0')
		return 0;
	for (int k = 0; modes[k] != NULL; k++)
		if (strcmp(mode, modes[k]) == 0)
			return 0;
	snprintf(err, errlen,
	         "%s must be one of: disable, allow, prefer, require, verify-ca, verify-full",
	         what);
	return -1;
}

/* The rules that tie settings together. 0, or -1 with err. */
static int conf_finish(struct conf *c, char *err, size_t errlen)
{
	strip_trailing_slashes(c->frontend_url);
	if (!is_http_url(c->frontend_url) || strchr(c->frontend_url, ' ') != NULL) {
		snprintf(err, errlen, "FRONTEND_URL must start with http:// or https://");
		return -1;
	}
	if (conf_cors(c, err, errlen) != 0 || conf_mail_dir(c, err, errlen) != 0)
		return -1;
	if (client_proxies_check(c->trusted_proxies, err, errlen) != 0)
		return -1;
	if (c->legacy_tokens_until != NULL &&
	    isotime_parse(c->legacy_tokens_until, &c->legacy_tokens_until_t) != 0) {
		snprintf(err, errlen,
		         "LEGACY_TOKENS_UNTIL must be Unix seconds or an ISO 8601 time such as "
		         "2026-12-31T23:59:59Z");
		return -1;
	}
	/* DATABASE_URL is checked when a connection is made: conf_check_database_url(). */
	if (c->database_url == NULL && c->instance_connection_name == NULL &&
	    (conf_pg_port(c->db_port, "DB_PORT", err, errlen) != 0 ||
	     conf_pg_sslmode(c->db_sslmode, "DB_SSLMODE", err, errlen) != 0))
		return -1;
	if (c->argon2_memory_kib < 8 * c->argon2_parallelism) {
		snprintf(err, errlen,
		         "ARGON2_MEMORY_KIB must be at least 8 times ARGON2_PARALLELISM");
		return -1;
	}
	if (c->hash_concurrency < 1) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		c->hash_concurrency = cores < 1                    ? 1
		                      : cores > HASHGATE_MAX_SLOTS ? HASHGATE_MAX_SLOTS
		                                                   : (int)cores;
	}
	if (c->hash_lock_file == NULL) {
		char path[256];

		if (hashgate_default_path(path, sizeof(path)) != 0 ||
		    (c->hash_lock_file = strdup(path)) == NULL) {
			snprintf(err, errlen, "out of memory reading HASH_LOCK_FILE");
			return -1;
		}
	} else if (c->hash_lock_file[0] != '/') {
		snprintf(err, errlen, "HASH_LOCK_FILE must be an absolute path");
		return -1;
	}
	if (!c->smtp_security_given)
		c->smtp_security = c->smtp_port == 465   ? SMTP_SECURITY_TLS
		                   : c->smtp_port == 587 ? SMTP_SECURITY_STARTTLS
		                                         : SMTP_SECURITY_NONE;
	if (c->smtp_from == NULL) {
		c->smtp_from = strdup(c->smtp_email != NULL ? c->smtp_email : "no-reply@localhost");
		if (c->smtp_from == NULL) {
			snprintf(err, errlen, "out of memory reading SMTP_FROM");
			return -1;
		}
	}
	/* Made on first use (conf_keys()); the room for them now. */
	c->keys = calloc(1, sizeof(*c->keys));
	if (c->keys == NULL) {
		snprintf(err, errlen, "out of memory reading JWT_SECRET_KEY");
		return -1;
	}
	return 0;
}

/* key = HMAC-SHA256(JWT_SECRET_KEY, label). 0, or -1. */
static int conf_derive(const struct conf *c, const char *label, unsigned char key[32])
{
	unsigned int n = 0;

	return HMAC(EVP_sha256(), c->jwt_secret, (int)c->jwt_secret_len,
	            (const unsigned char *)label, strlen(label), key, &n) != NULL &&
	               n == 32
	           ? 0
	           : -1;
}

const struct conf_keys *conf_keys(const struct conf *c)
{
	struct conf_keys *k = c->keys;

	if (k == NULL || c->jwt_secret == NULL)
		return NULL;
	if (k->ready)
		return k;
	if (conf_derive(c, OTP_KEY_LABEL, k->otp) != 0 ||
	    conf_derive(c, OUTBOX_KEY_LABEL, k->outbox) != 0 ||
	    conf_derive(c, AUDIT_KEY_LABEL, k->audit) != 0) {
		OPENSSL_cleanse(k, sizeof(*k));
		log_error("could not derive keys from JWT_SECRET_KEY");
		return NULL;
	}
	k->ready = 1;
	return k;
}

int conf_check_database_url(const struct conf *c, char *err, size_t errlen)
{
	char *perr = NULL;
	PQconninfoOption *opts;
	int bad = 0;

	if (errlen > 0)
		err[0] = '\0';
	if (c->database_url == NULL)
		return 0;
	/* libpq's message may quote the URL, password and all: not logged. */
	opts = PQconninfoParse(c->database_url, &perr);
	PQfreemem(perr);
	if (opts == NULL) {
		snprintf(err, errlen, "DATABASE_URL is not a valid PostgreSQL connection URL");
		return -1;
	}
	for (PQconninfoOption *o = opts; o->keyword != NULL && !bad; o++) {
		if (strcmp(o->keyword, "port") == 0)
			bad = conf_pg_port(o->val, "DATABASE_URL's port", err, errlen);
		else if (strcmp(o->keyword, "sslmode") == 0)
			bad = conf_pg_sslmode(o->val, "DATABASE_URL's sslmode", err, errlen);
	}
	PQconninfoFree(opts);
	return bad ? -1 : 0;
}

int conf_load(struct conf *c, char *err, size_t errlen)
{
	struct file_vals fv = {0};
	char defpath[4200];
	const char *path = getenv(ENVFILE_VAR);
	int ret = -1;
	int r;

	memset(c, 0, sizeof(*c));
	if (errlen > 0)
		err[0] = '\0';
	if (path != NULL && *path != '\0') {
		r = read_env_file(path, 0, ENVFILE_VAR, &fv, err, errlen);
	} else if (paths_default_env(defpath, sizeof(defpath)) == 0) {
		path = defpath;
		r = read_env_file(path, 1, "env file", &fv, err, errlen);
	} else {
		r = 1;
	}
	if (r < 0)
		goto out;
	if (r == 0) {
		c->env_file = strdup(path);
		if (c->env_file == NULL) {
			snprintf(err, errlen, "out of memory reading %s", ENVFILE_VAR);
			goto out;
		}
	}

	for (size_t i = 0; i < CONF_N; i++) {
		const struct conf_setting *s = &conf_table[i];
		const char *val;

		if (s->flags & CONF_ENV_ONLY)
			continue;
		/* An empty value counts as unset. */
		val = getenv(s->name);
		if (val == NULL || *val == '\0')
			val = fv.v[i];
		if (val != NULL && *val == '\0')
			val = NULL;
		if ((s->flags & CONF_DEFAULT_LATER) && val != NULL)
			set_given(c, s);
		if (conf_apply(c, s, val, err, errlen) != 0)
			goto out;
	}
	if (conf_finish(c, err, errlen) != 0)
		goto out;
	log_set_level(c->log_level);
	ret = 0;
out:
	file_vals_release(&fv);
	if (ret != 0)
		conf_release(c);
	return ret;
}
