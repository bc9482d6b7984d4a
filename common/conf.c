/*
 * conf: every setting is one row of conf_table (after redis's config.c): its
 * name, type, bounds, default and the struct conf field it fills. conf_load()
 * resolves each name (environment, then env file, then default), checks it
 * against its row, then applies the rules that tie settings together.
 */
#include "conf.h"

#include "client.h"
#include "conf_pg.h"
#include "conf_row.h"
#include "envfile.h"
#include "hashgate.h"
#include "isotime.h"
#include "log.h"
#include "names.h"
#include "origins.h"
#include "paths.h"
#include "secret.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
    /* Optional: without it two-factor sign-in is unavailable (conf_mfa_keys()) */
    {.name = "MFA_ENCRYPTION_KEY",
     .type = CONF_KEY,
     F(mfa_key),
     .len_off = offsetof(struct conf, mfa_key_len),
     .min = CONF_MFA_KEY_MIN},
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
	for (size_t i = 0; i < CONF_N; i++)
		conf_row_release(c, &conf_table[i]);
	if (c->keys != NULL) {
		OPENSSL_cleanse(c->keys, sizeof(*c->keys));
		free(c->keys);
		c->keys = NULL;
	}
	memset(c, 0, sizeof(*c));
}

/* ---- names that are not settings ---- */

/* names_closest()'s list: the settings an env file may set. */
static const char *conf_file_setting(size_t i)
{
	return conf_table[i].flags & CONF_ENV_ONLY ? NULL : conf_table[i].name;
}

const char *conf_closest_setting(const char *name)
{
	return names_closest(name, conf_file_setting, CONF_N);
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

/* The rules that tie settings together. 0, or -1 with err. */
static int conf_finish(struct conf *c, char *err, size_t errlen)
{
	if (origins_frontend_url(c->frontend_url, err, errlen) != 0 ||
	    origins_list(&c->cors_origins, c->frontend_url, err, errlen) != 0)
		return -1;
	/* A relative MAIL_DIR is from the project root, not the working directory. */
	if (paths_from_root(&c->mail_dir) != 0) {
		snprintf(err, errlen, "out of memory reading MAIL_DIR");
		return -1;
	}
	if (client_proxies_check(c->trusted_proxies, err, errlen) != 0)
		return -1;
	if (c->legacy_tokens_until != NULL &&
	    isotime_parse(c->legacy_tokens_until, &c->legacy_tokens_until_t) != 0) {
		snprintf(err, errlen,
		         "LEGACY_TOKENS_UNTIL must be Unix seconds or an ISO 8601 time such as "
		         "2026-12-31T23:59:59Z");
		return -1;
	}
	/* DATABASE_URL is checked when a connection is made: conf_pg_check_url(). */
	if (c->database_url == NULL && c->instance_connection_name == NULL &&
	    (conf_pg_check_port(c->db_port, "DB_PORT", err, errlen) != 0 ||
	     conf_pg_check_sslmode(c->db_sslmode, "DB_SSLMODE", err, errlen) != 0))
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
			conf_row_given(c, s);
		if (conf_row_apply(c, s, val, err, errlen) != 0)
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
