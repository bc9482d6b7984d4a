/*
 * conf: the service's settings, read once per process into a read-only struct.
 *
 * Every setting is one row of a table in conf.c (name, type, bounds, default,
 * target field), and env.sample lists the same names (a test checks that).
 * A value comes from the process environment (what the web server sets) or,
 * failing that, from the env file: MEDICALCARE_ENV_FILE, else ".env" in the
 * parent directory of the running program's directory (the project root, for
 * cgi-bin/x.cgi). A missing default env file is fine; a MEDICALCARE_ENV_FILE
 * that cannot be read is an error.
 */
#ifndef MC_CONF_H
#define MC_CONF_H

#include <stddef.h>
#include <stdint.h>

enum mail_transport { MAIL_TRANSPORT_SMTP, MAIL_TRANSPORT_FILE };
/* none: plain SMTP; starttls: upgrade required (587); tls: implicit TLS (465). */
enum smtp_security { SMTP_SECURITY_NONE, SMTP_SECURITY_STARTTLS, SMTP_SECURITY_TLS };

#define CONF_JWT_SECRET_MIN 32

struct conf {
	/* Database: DATABASE_URL wins; else INSTANCE_CONNECTION_NAME (host
	 * /cloudsql/<name>); else the DB_* parts. All strings NULL when unset. */
	char *database_url;
	char *db_host;
	char *db_port;
	char *db_name;
	char *db_user;
	char *db_password;
	char *db_sslmode;
	char *instance_connection_name;
	int db_connect_timeout; /* DB_CONNECT_TIMEOUT seconds, default 5 */
	int db_prepare;         /* DB_PREPARE on (1, default) or off (0): see db_keep_acquire() */

	unsigned char *jwt_secret; /* JWT_SECRET_KEY bytes, >= 32 */
	size_t jwt_secret_len;
	int jwt_expire_minutes;         /* default 60 */
	int otp_expire_minutes;         /* default 10 */
	int reset_token_expire_minutes; /* default 15 */
	/* Sessions (session.h) */
	int session_idle_minutes;  /* SESSION_IDLE_MINUTES, default 10080 (7 days) */
	int session_max_minutes;   /* SESSION_MAX_MINUTES, default 43200 (30 days) */
	int refresh_reuse_seconds; /* REFRESH_REUSE_SECONDS, 0 to 60, default 10 */
	char *legacy_tokens_until; /* LEGACY_TOKENS_UNTIL as given, NULL when unset */
	int64_t
	    legacy_tokens_until_t; /* ... in seconds since the epoch, 0 when unset (isotime.h) */

	uint32_t argon2_memory_kib;  /* default 19456 */
	uint32_t argon2_iterations;  /* default 2 */
	uint32_t argon2_parallelism; /* default 1 */
	/* At most hash_concurrency hashes at once across the install, counted
	 * with byte locks on hash_lock_file (hashgate.h). */
	int hash_concurrency; /* HASH_CONCURRENCY, default: the number of online cores */
	char *hash_lock_file; /* HASH_LOCK_FILE, absolute; default in hashgate.h */

	char *frontend_url; /* FRONTEND_URL, default http://localhost:3000, no trailing slash */
	char *cors_origins; /* CORS_ORIGINS, default: frontend_url */

	enum mail_transport mail_transport; /* MAIL_TRANSPORT smtp|file, default smtp */
	char *mail_dir;                     /* MAIL_DIR, default ./mail (file transport) */
	char *smtp_server;                  /* SMTP_SERVER, default localhost */
	int smtp_port;                      /* SMTP_PORT, default 587 */
	enum smtp_security
	    smtp_security; /* SMTP_SECURITY, default: tls for 465, starttls for 587, else none */
	int smtp_security_given; /* 1 when SMTP_SECURITY was set (else picked by SMTP_PORT) */
	char *smtp_email;        /* SMTP_EMAIL: login user and From address */
	char *smtp_password;     /* SMTP_PASSWORD: login password (no login when unset) */
	char *smtp_from; /* SMTP_FROM: From address, default smtp_email, else no-reply@localhost */
	char *smtp_from_name; /* SMTP_FROM_NAME, default "MedicalCare" */
	char *smtp_ca_file;   /* SMTP_CA_FILE: extra CA bundle for the SMTP server's certificate */
	int smtp_timeout;     /* SMTP_TIMEOUT seconds, default 10 */

	/* Per-client-address limits (limit.h): the address is REMOTE_ADDR, or
	 * the right X-Forwarded-For entry when REMOTE_ADDR is in TRUSTED_PROXIES. */
	char *trusted_proxies;   /* TRUSTED_PROXIES: comma-separated IPs or CIDRs, NULL = none */
	int client_limit_window; /* CLIENT_LIMIT_WINDOW seconds, default 900 */
	int client_limit_login;  /* CLIENT_LIMIT_LOGIN failed logins per window, default 30 */
	int client_limit_signup; /* CLIENT_LIMIT_SIGNUP sign-ups per window, default 10 */
	int client_limit_verify_otp; /* CLIENT_LIMIT_VERIFY_OTP failed codes per window, default 30 */
	int client_limit_resend_otp; /* CLIENT_LIMIT_RESEND_OTP requests per window, default 10 */
	int client_limit_forgot;  /* CLIENT_LIMIT_FORGOT_PASSWORD requests per window, default 10 */
	int audit_retention_days; /* AUDIT_RETENTION_DAYS, default 2190 (six years) */
	int unverified_account_days; /* UNVERIFIED_ACCOUNT_DAYS, default 7: prune deletes older ones */
	int fcgi_max_requests;  /* FCGI_MAX_REQUESTS, default 10000: a FastCGI process then exits */
	int fcgi_processes;     /* FCGI_PROCESSES, default 0: as many as cores, per program */
	int db_max_connections; /* DB_MAX_CONNECTIONS, default 40: the launcher keeps under it */
	int log_level; /* LOG_LEVEL error|warning|info (log.h's enum log_level), default warning */

	char *app_name; /* APP_NAME, default "MedicalCare": used in mail subjects */
	char *env_file; /* the env file path that was read, or NULL */

	/* The keys derived from jwt_secret, made on first use: conf_keys(). */
	struct conf_keys *keys;
};

/*
 * Keys derived from JWT_SECRET_KEY with HMAC-SHA256 under fixed labels: otp
 * hashes OTP codes, outbox seals queued mail, audit hashes the addresses of
 * no account in the audit trail. ready: set once they are made.
 */
struct conf_keys {
	int ready;
	unsigned char otp[32];
	unsigned char outbox[32];
	unsigned char audit[32];
};

/*
 * Reads every setting. On error returns -1 and writes one clear line naming the
 * setting into err (e.g. "JWT_SECRET_KEY must be at least 32 bytes"), which the
 * caller logs; c is then released. Returns 0 on success; release with conf_release().
 * On success it also sets the log level (log_set_level) from LOG_LEVEL. Each
 * name in the env file that is not a setting is logged as one warning naming
 * the file, the line and the closest setting, on every read of the file.
 */
int conf_load(struct conf *c, char *err, size_t errlen);

/*
 * Checks DATABASE_URL, if set, with libpq's own parser, and its port and
 * sslmode as DB_PORT and DB_SSLMODE are checked: 0, or -1 with one line
 * naming it in err (never quoting it: it may hold the password). Not part of
 * conf_load(), since parsing loads libpq (libpq.h), which a request that never
 * reaches the database should not pay for: db_connect() calls it first.
 */
int conf_check_database_url(const struct conf *c, char *err, size_t errlen);

/* Frees every string and wipes the secrets. Safe on a zeroed or released struct. */
void conf_release(struct conf *c);

/*
 * The derived keys of c (borrowed from c), made by the first call rather than
 * by conf_load(): a request that needs none (a 401 without a token, a 4xx of
 * the gates) then never starts OpenSSL's algorithm fetching, a quarter of
 * the CPU of a plain CGI start. NULL (logged) when they cannot be made: the
 * request is a 500.
 */
const struct conf_keys *conf_keys(const struct conf *c);

/*
 * The name of the i-th setting of the table (static), or NULL past its end:
 * for checking that env.sample names exactly these settings.
 */
const char *conf_setting_name(size_t i);

/*
 * Calls cb for each name in env-file text that is not a setting of the table
 * (closest: the setting it is most likely a typo of, or NULL), or that is
 * read only from the environment (env_only 1, closest NULL), with its 1-based
 * line. name and closest are borrowed for the call. Pure. 0, or -1 when the
 * text does not parse (conf_load() reports that) or on out of memory.
 */
int conf_env_unknown(const char *text, size_t len,
                     void (*cb)(void *arg, int line, const char *name, const char *closest,
                                int env_only),
                     void *arg);

/*
 * The setting whose name is nearest to name (ignoring case, at most 2 edits,
 * 3 for names of 12 characters or more), static, or NULL when none is that near.
 */
const char *conf_closest_setting(const char *name);

#endif
