/*
 * medicalcare-check: reads the settings as the programs do (conf.h: the
 * environment, then MEDICALCARE_ENV_FILE, else the project's .env) and says
 * what would break or weaken production, one line per finding, each with what
 * to do:
 *
 *   problem: ...   would break production or expose it; the exit status is 1
 *   note: ...      worth knowing, harmless (exit status unchanged)
 *
 * What it looks at: the env file (present, its mode, names in it that are not
 * settings), every setting as the programs check it, a weak JWT_SECRET_KEY,
 * a missing or weak MFA_ENCRYPTION_KEY (or the JWT key again),
 * mail that is written to files instead of sent, SMTP passwords sent in clear,
 * FRONTEND_URL and CORS_ORIGINS that are not https, LOG_LEVEL, and (unless
 * --no-database) that the database answers and every migration of the sql/
 * folder is applied. With --local the findings that only matter in production
 * (the file transport, http:// origins, a missing MFA_ENCRYPTION_KEY) are
 * notes: for a development checkout.
 *
 * The last line is "medicalcare-check: <env file>: N problems, M notes".
 * Exit status: 0 when no problem, 1 when any, 2 on a usage error.
 */
#include "conf.h"
#include "db.h"
#include "log.h"
#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK_ENV_MAX (64 * 1024)
#define CHECK_MAX_MIGRATIONS 256
/* A random key has many more: 64 hex digits show all 16 but rarely fewer than 14. */
#define CHECK_KEY_MIN_DISTINCT 10

struct check {
	const char *env_path; /* borrowed: the env file looked at, "" when none */
	int local;            /* --local: production-only findings are notes */
	int problems;
	int notes;
};

static void usage(FILE *f)
{
	fputs("usage: medicalcare-check [--local] [--no-database] [--sql-dir DIR]\n"
	      "\n"
	      "Checks the settings the programs would read (MEDICALCARE_ENV_FILE, else\n"
	      ".env of the project) and prints each problem on its own line with what\n"
	      "to do. Exit status 1 when something would break production, else 0.\n"
	      "  --local        a development checkout: mail written to files and\n"
	      "                 http:// origins are notes, not problems\n"
	      "  --no-database  do not connect to the database\n"
	      "  --sql-dir DIR  the migrations to expect (default: sql/ of the project)\n"
	      "e.g. MEDICALCARE_ENV_FILE=/etc/medicalcare/env bin/medicalcare-check\n",
	      f);
}

static void vsay(struct check *k, int problem, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void say(struct check *k, int problem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say_prod(struct check *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One finding on stdout: a problem, or a note. */
static void vsay(struct check *k, int problem, const char *fmt, va_list ap)
{
	char raw[1024];
	char line[2048];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(raw, line, sizeof(line));
	printf("%s: %s\n", problem ? "problem" : "note", line);
	if (problem)
		k->problems++;
	else
		k->notes++;
}

static void say(struct check *k, int problem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(k, problem, fmt, ap);
	va_end(ap);
}

/* A finding that matters in production only: a note under --local. */
static void say_prod(struct check *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(k, !k->local, fmt, ap);
	va_end(ap);
}

static void unknown_cb(void *arg, int line, const char *name, const char *closest, int env_only)
{
	struct check *k = arg;

	if (env_only)
		say(k, 1,
		    "%s line %d: %s has no effect in an env file: remove the line and set it in"
		    " the environment of the programs and tools",
		    k->env_path, line, name);
	else if (closest != NULL)
		say(k, 1, "%s line %d: %s is not a setting, so it is ignored: did you mean %s?",
		    k->env_path, line, name, closest);
	else
		say(k, 1,
		    "%s line %d: %s is not a setting, so it is ignored: remove it or fix its"
		    " name (env.sample lists every setting)",
		    k->env_path, line, name);
}

/* The env file: there, not readable by everyone, no unknown names. */
static void check_env_file(struct check *k, const char *path, int named)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (!named && errno == ENOENT) {
			say(k, 0,
			    "no env file %s: settings come from the environment only (or set"
			    " MEDICALCARE_ENV_FILE to the install's env file)",
			    path);
			k->env_path = "";
		}
		/* Else conf_load() reports it. */
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out; /* conf_load() reports it */
	if (st.st_mode & (S_IROTH | S_IWOTH))
		say(k, 1,
		    "%s is readable or writable by every user (mode %04o) and holds"
		    " JWT_SECRET_KEY: chmod 0640 it (group of the web server's user) or 0600",
		    path, (unsigned)(st.st_mode & 07777));
	else if (st.st_mode & S_IWGRP)
		say(k, 1, "%s is writable by its group (mode %04o): chmod 0640 it", path,
		    (unsigned)(st.st_mode & 07777));
	text = malloc(CHECK_ENV_MAX);
	if (text == NULL)
		goto out;
	while (len < CHECK_ENV_MAX) {
		ssize_t n = read(fd, text + len, CHECK_ENV_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	conf_env_unknown(text, len, unknown_cb, k); /* a syntax error: conf_load() says */
out:
	if (text != NULL) {
		explicit_bzero(text, CHECK_ENV_MAX);
		free(text);
	}
	if (fd >= 0)
		close(fd);
}

/* The number of different bytes of a key: fewer than CHECK_KEY_MIN_DISTINCT is typed, not random. */
static int key_distinct(const unsigned char *key, size_t len)
{
	unsigned char seen[256] = {0};
	int distinct = 0;

	for (size_t i = 0; i < len; i++) {
		if (!seen[key[i]])
			distinct++;
		seen[key[i]] = 1;
	}
	return distinct;
}

/*
 * JWT_SECRET_KEY weak; MFA_ENCRYPTION_KEY missing (the programs run without
 * it, two-factor sign-in does not: a problem in production), weak, or the
 * same as JWT_SECRET_KEY.
 */
static void check_keys(struct check *k, const struct conf *c)
{
	int distinct = key_distinct(c->jwt_secret, c->jwt_secret_len);

	if (distinct < CHECK_KEY_MIN_DISTINCT)
		say(k, 1,
		    "JWT_SECRET_KEY has only %d different character%s, so it can be guessed: set"
		    " a random one (openssl rand -base64 48); this logs everyone out",
		    distinct, distinct == 1 ? "" : "s");
	if (c->mfa_key == NULL) {
		say_prod(k, "MFA_ENCRYPTION_KEY is not set: two-factor sign-in answers 500 until it"
		            " is; set a random one (openssl rand -base64 48), the same on every"
		            " server of the install");
		return;
	}
	distinct = key_distinct(c->mfa_key, c->mfa_key_len);
	if (distinct < CHECK_KEY_MIN_DISTINCT)
		say(k, 1,
		    "MFA_ENCRYPTION_KEY has only %d different character%s, so it can be guessed:"
		    " set a random one (openssl rand -base64 48); the two-factor secrets sealed"
		    " under it stop working",
		    distinct, distinct == 1 ? "" : "s");
	else if (c->mfa_key_len == c->jwt_secret_len &&
	         memcmp(c->mfa_key, c->jwt_secret, c->mfa_key_len) == 0)
		say(k, 1,
		    "MFA_ENCRYPTION_KEY is the same as JWT_SECRET_KEY: set a key of its own"
		    " (openssl rand -base64 48), so that rotating JWT_SECRET_KEY never reaches"
		    " the two-factor secrets; those sealed under it stop working");
}

static int is_https(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0;
}

/* 1 for a host name of env.sample's examples (example.com, .org, .net). */
static int is_example(const char *s)
{
	return strstr(s, "example.com") != NULL || strstr(s, "example.org") != NULL ||
	       strstr(s, "example.net") != NULL;
}

static void check_urls(struct check *k, const struct conf *c)
{
	char *list = NULL, *save = NULL;

	if (is_example(c->frontend_url))
		say_prod(k, "FRONTEND_URL is env.sample's example %s: set the frontend's origin",
		         c->frontend_url);

	if (!is_https(c->frontend_url))
		say_prod(k,
		         "FRONTEND_URL is %s: reset links would go out over plain http; set it to"
		         " the frontend's https:// origin",
		         c->frontend_url);
	if (c->cors_origins == NULL)
		return;
	list = strdup(c->cors_origins);
	if (list == NULL)
		return;
	for (char *o = strtok_r(list, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
		while (*o == ' ')
			o++;
		if (*o != '\0' && !is_https(o) && strcmp(o, c->frontend_url) != 0)
			say_prod(k,
			         "CORS_ORIGINS allows %s, which is not https: list only the"
			         " frontend's https:// origins",
			         o);
	}
	free(list);
}

static void check_mail(struct check *k, const struct conf *c)
{
	if (c->mail_transport == MAIL_TRANSPORT_FILE) {
		say_prod(k,
		         "MAIL_TRANSPORT is file: mail is written to %s and never sent (sign-up"
		         " answers 201 and no code reaches anyone); set MAIL_TRANSPORT=smtp,"
		         " SMTP_SERVER, SMTP_PORT, SMTP_EMAIL and SMTP_PASSWORD, then try"
		         " bin/medicalcare-outbox --test-to you@example.com",
		         c->mail_dir);
		return;
	}
	if (is_example(c->smtp_server))
		say(k, 1,
		    "SMTP_SERVER is env.sample's example %s: set your mail provider's server,"
		    " SMTP_EMAIL and SMTP_PASSWORD",
		    c->smtp_server);
	else if (strcmp(c->smtp_server, "localhost") == 0 ||
	         strcmp(c->smtp_server, "127.0.0.1") == 0)
		say(k, 0,
		    "SMTP_SERVER is %s: a mail server must listen there; else set SMTP_SERVER"
		    " to your provider's and try bin/medicalcare-outbox --test-to"
		    " you@example.com",
		    c->smtp_server);
	else if (c->smtp_security == SMTP_SECURITY_NONE && c->smtp_password != NULL)
		say(k, 1,
		    "SMTP_SECURITY is none with SMTP_PASSWORD set: the password crosses the"
		    " network in clear to %s; set SMTP_SECURITY=starttls (port 587) or tls (465)",
		    c->smtp_server);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The migrations of dir ("NNN_*.sql"), sorted; returns their count. */
static int read_migrations(const char *dir, char names[][256], int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL && n < max) {
		size_t len = strlen(e->d_name);

		if (len < 8 || len >= 256 || strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || e->d_name[1] < '0' ||
		    e->d_name[1] > '9' || e->d_name[2] < '0' || e->d_name[2] > '9' ||
		    e->d_name[3] != '_')
			continue;
		snprintf(names[n++], 256, "%s", e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, 256, name_cmp);
	return n;
}

static void check_database(struct check *k, const struct conf *c, const char *sql_dir_opt)
{
	static char names[CHECK_MAX_MIGRATIONS][256];
	char sql_dir[4200];
	char missing[1024] = "";
	const char *env = k->env_path[0] != '\0' ? k->env_path : NULL;
	PGconn *db = NULL;
	PGresult *res = NULL;
	int n, rc, nmissing = 0;

	rc = db_connect(c, &db);
	if (rc != DB_OK) {
		say(k, 1,
		    "the database cannot be reached or refuses the settings (the line above"
		    " says why): fix DATABASE_URL (or DB_*) in %s, or start PostgreSQL",
		    env != NULL ? env : "the environment");
		goto out;
	}
	if (sql_dir_opt != NULL)
		snprintf(sql_dir, sizeof(sql_dir), "%s", sql_dir_opt);
	else if (paths_project("sql", sql_dir, sizeof(sql_dir)) != 0)
		sql_dir[0] = '\0';
	n = sql_dir[0] != '\0' ? read_migrations(sql_dir, names, CHECK_MAX_MIGRATIONS) : -1;
	if (n < 0) {
		say(k, 0, "no migrations folder %s: the schema was not compared (--sql-dir DIR)",
		    sql_dir);
		goto out;
	}
	if (db_exec(db, ST_SCHEMA_VERSIONS, NULL, 0, &res) != DB_OK) {
		say(k, 1,
		    "the database has no schema_migrations table: apply the schema with"
		    " MEDICALCARE_ENV_FILE=%s sql/migrate.sh",
		    env != NULL ? env : "<env file>");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		int found = 0;

		for (int r = 0; r < PQntuples(res) && !found; r++)
			found = strcmp(PQgetvalue(res, r, SQL_ONLY_COL), names[i]) == 0;
		if (!found) {
			size_t used = strlen(missing);

			if (nmissing++ < 8 && used < sizeof(missing))
				snprintf(missing + used, sizeof(missing) - used, "%s%s",
				         used > 0 ? ", " : "", names[i]);
		}
	}
	if (nmissing > 0)
		say(k, 1,
		    "%d migration%s not applied (%s): run MEDICALCARE_ENV_FILE=%s sql/migrate.sh"
		    " before the programs of this release serve",
		    nmissing, nmissing == 1 ? "" : "s", missing, env != NULL ? env : "<env file>");
out:
	PQclear(res);
	if (db != NULL)
		db_close(db);
}

int main(int argc, char **argv)
{
	struct check k = {0};
	struct conf c;
	const char *sql_dir = NULL;
	const char *named = getenv("MEDICALCARE_ENV_FILE");
	char path[4200] = "";
	char err[512];
	int no_db = 0;
	int loaded = 0;

	log_set_program("check");
	/* Its findings go to stdout; conf_load()'s own warnings would repeat them. */
	log_set_level(LOG_LEVEL_ERROR);
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--local") == 0) {
			k.local = 1;
		} else if (strcmp(argv[i], "--no-database") == 0) {
			no_db = 1;
		} else if (strcmp(argv[i], "--sql-dir") == 0 && i + 1 < argc) {
			sql_dir = argv[++i];
		} else {
			usage(stderr);
			return 2;
		}
	}

	if (paths_env_file(path, sizeof(path)) == 0) {
		k.env_path = path;
		check_env_file(&k, path, named != NULL && *named != '\0');
	} else {
		k.env_path = "";
	}
	if (conf_load(&c, err, sizeof(err)) != 0) {
		say(&k, 1, "%s: fix it in %s; every request answers 500 until then", err,
		    k.env_path[0] != '\0' ? k.env_path : "the environment");
		goto out;
	}
	loaded = 1;
	log_set_level(LOG_LEVEL_ERROR);
	check_keys(&k, &c);
	check_mail(&k, &c);
	check_urls(&k, &c);
	if (c.log_level == LOG_LEVEL_INFO)
		say(&k, 0,
		    "LOG_LEVEL is info: every routine event is written to the error log (at"
		    " the web server's error level); warning is the default");
	if (!no_db)
		check_database(&k, &c, sql_dir);
out:
	printf("medicalcare-check: %s: %d problem%s, %d note%s\n",
	       k.env_path[0] != '\0' ? k.env_path : "(no env file)", k.problems,
	       k.problems == 1 ? "" : "s", k.notes, k.notes == 1 ? "" : "s");
	if (loaded)
		conf_release(&c);
	if (fflush(stdout) != 0)
		return 1;
	return k.problems > 0 ? 1 : 0;
}
