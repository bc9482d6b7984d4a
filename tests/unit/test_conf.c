/*
 * Tests for conf.c: the env-file parser, conf_load() against the process
 * environment and a temporary env file, and env.sample against the table.
 *
 * env.sample is found in $MC_SOURCE_DIR (default ".": run from the repo root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "conf.h"
#include "conf_fixture.h"
#include "conf_keys.h"
#include "conf_pg.h"
#include "envfile.h"

#define S(lit) lit, sizeof(lit) - 1

#define KEY32 "0123456789abcdef0123456789abcdef"

/* ---- envfile_parse ---- */

struct pairs {
	char text[512]; /* "K=V|K=V" */
	int calls;
	int stop_at; /* return 7 from this call (1-based), 0: never */
};

static int collect(void *arg, const char *key, const char *val)
{
	struct pairs *p = arg;
	size_t o = strlen(p->text);

	snprintf(p->text + o, sizeof(p->text) - o, "%s%s=%s", o ? "|" : "", key, val);
	p->calls++;
	return p->calls == p->stop_at ? 7 : 0;
}

static const struct {
	const char *name;
	const char *text;
	size_t len;
	int ret;
	int bad_line;
	const char *pairs;
} envfile_cases[] = {
    {"plain lines", S("A=1\nB=two\n"), 0, 0, "A=1|B=two"},
    {"CRLF line ends", S("A=1\r\nB=2\r\n"), 0, 0, "A=1|B=2"},
    {"no final newline", S("A=1\nB=2"), 0, 0, "A=1|B=2"},
    {"empty text", S(""), 0, 0, ""},
    {"comments and blank lines", S("# c\n\n   \n\t# c2\r\nA=1\n"), 0, 0, "A=1"},
    {"export prefix", S("export A=1\nexport\tB=2\n"), 0, 0, "A=1|B=2"},
    {"key named export", S("export=1"), 0, 0, "export=1"},
    {"blanks around = and value", S("  A =  1  \n"), 0, 0, "A=1"},
    {"empty value", S("A=\nB=  \n"), 0, 0, "A=|B="},
    {"double quotes", S("A=\"x y\"\n"), 0, 0, "A=x y"},
    {"double-quote escapes", S("A=\"a\\\"b\\\\c\\nd\\te\"\n"), 0, 0, "A=a\"b\\c\nd\\te"},
    {"single quotes are literal", S("A='a\\nb # c \"d\"'\n"), 0, 0, "A=a\\nb # c \"d\""},
    {"comment after quoted value", S("A=\"x\"  # note\n"), 0, 0, "A=x"},
    {"comment after unquoted value", S("A=x y # note\n"), 0, 0, "A=x y"},
    {"hash inside a word is kept", S("A=x#y\n"), 0, 0, "A=x#y"},
    {"hash right after = is kept", S("A=#x\n"), 0, 0, "A=#x"},
    {"blank then hash is a comment", S("A= #x\n"), 0, 0, "A="},
    {"= inside value", S("A=b=c\n"), 0, 0, "A=b=c"},
    {"underscore and digits in key", S("_a1=z\n"), 0, 0, "_a1=z"},
    {"duplicates all reported", S("A=1\nA=2\n"), 0, 0, "A=1|A=2"},
    {"no =", S("A\n"), -1, 1, ""},
    {"bad line after good ones", S("A=1\r\nB=2\r\nnot a setting\r\n"), -1, 3, "A=1|B=2"},
    {"key starts with a digit", S("1A=x\n"), -1, 1, ""},
    {"key with a dash", S("A-B=1\n"), -1, 1, ""},
    {"empty key", S("=x\n"), -1, 1, ""},
    {"unterminated double quote", S("A=\"abc\nB=1\n"), -1, 1, ""},
    {"unterminated single quote", S("X=1\nA='abc\n"), -1, 2, "X=1"},
    {"text after closing quote", S("A=\"x\"y\n"), -1, 1, ""},
    {"NUL byte", S("A\0=1\n"), -1, 1, ""},
};

static void envfile_parse_reads_dotenv_syntax(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(envfile_cases) / sizeof(envfile_cases[0]); i++) {
		struct pairs p = {.text = ""};
		int bad = -5;
		int r =
		    envfile_parse(envfile_cases[i].text, envfile_cases[i].len, collect, &p, &bad);

		if (r != envfile_cases[i].ret || bad != envfile_cases[i].bad_line)
			fail_msg("%s: expected %d line %d, got %d line %d", envfile_cases[i].name,
			         envfile_cases[i].ret, envfile_cases[i].bad_line, r, bad);
		if (strcmp(p.text, envfile_cases[i].pairs) != 0)
			fail_msg("%s: expected pairs \"%s\", got \"%s\"", envfile_cases[i].name,
			         envfile_cases[i].pairs, p.text);
	}
}

static void envfile_parse_stops_when_callback_fails(void **state)
{
	struct pairs p = {.text = "", .stop_at = 2};
	int bad = -5;

	(void)state;
	assert_int_equal(envfile_parse(S("A=1\nB=2\nC=3\n"), collect, &p, &bad), 7);
	assert_int_equal(bad, 0);
	assert_string_equal(p.text, "A=1|B=2");
}

/* ---- conf_load ---- */

/* Clears every setting from the environment; points the env file at a fresh empty file. */
static int setup(void **state)
{
	(void)state;
	return conf_fixture_setup("test_conf");
}

static int teardown(void **state)
{
	(void)state;
	return conf_fixture_teardown();
}

static void write_env(const char *text)
{
	FILE *f = fopen(conf_fixture_path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Loads and expects failure with exactly msg; c must come back zeroed. */
static void load_fails(const char *what, const char *msg)
{
	static const struct conf zero;
	struct conf c;
	char err[512] = "";

	memset(&c, 0x5a, sizeof(c));
	if (conf_load(&c, err, sizeof(err)) != -1)
		fail_msg("%s: conf_load succeeded, expected \"%s\"", what, msg);
	if (strcmp(err, msg) != 0)
		fail_msg("%s: expected \"%s\", got \"%s\"", what, msg, err);
	if (memcmp(&c, &zero, sizeof(c)) != 0)
		fail_msg("%s: struct not released on failure", what);
}

static void conf_load_gives_documented_defaults(void **state)
{
	struct conf c;

	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\n");
	conf_fixture_load_ok(&c);
	assert_null(c.database_url);
	assert_null(c.db_host);
	assert_null(c.db_port);
	assert_null(c.db_name);
	assert_null(c.db_user);
	assert_null(c.db_password);
	assert_null(c.db_sslmode);
	assert_null(c.instance_connection_name);
	assert_int_equal(c.db_connect_timeout, 5);
	assert_int_equal(c.jwt_secret_len, 32);
	assert_memory_equal(c.jwt_secret, KEY32, 32);
	assert_int_equal(c.jwt_expire_minutes, 60);
	assert_int_equal(c.otp_expire_minutes, 10);
	assert_int_equal(c.reset_token_expire_minutes, 15);
	assert_int_equal(c.argon2_memory_kib, 19456);
	assert_int_equal(c.argon2_iterations, 2);
	assert_int_equal(c.argon2_parallelism, 1);
	assert_int_equal(c.hash_concurrency, sysconf(_SC_NPROCESSORS_ONLN));
	{
		char want[64];

		snprintf(want, sizeof(want), "/tmp/medicalcare-hashgate-%lu",
		         (unsigned long)geteuid());
		assert_string_equal(c.hash_lock_file, want);
	}
	assert_string_equal(c.frontend_url, "http://localhost:3000");
	assert_string_equal(c.cors_origins, "http://localhost:3000");
	assert_int_equal(c.mail_transport, MAIL_TRANSPORT_SMTP);
	/* "./mail", taken from the project root: the parent of this program's directory. */
	assert_int_equal(c.mail_dir[0], '/');
	assert_true(strlen(c.mail_dir) > 5);
	assert_string_equal(c.mail_dir + strlen(c.mail_dir) - 5, "/mail");
	assert_null(strstr(c.mail_dir, "/tests/mail"));
	assert_null(strstr(c.mail_dir, "./"));
	assert_string_equal(c.smtp_server, "localhost");
	assert_int_equal(c.smtp_port, 587);
	assert_int_equal(c.smtp_security, SMTP_SECURITY_STARTTLS);
	assert_null(c.smtp_email);
	assert_null(c.smtp_password);
	assert_string_equal(c.smtp_from, "no-reply@localhost");
	assert_string_equal(c.smtp_from_name, "MedicalCare");
	assert_null(c.smtp_ca_file);
	assert_int_equal(c.smtp_timeout, 10);
	assert_string_equal(c.app_name, "MedicalCare");
	assert_string_equal(c.env_file, conf_fixture_path);
	conf_release(&c);
}

static void conf_load_reads_every_setting_from_the_env_file(void **state)
{
	struct conf c;

	(void)state;
	write_env("# settings\n"
	          "DATABASE_URL=postgresql://u:p@db/x\n"
	          "export DB_HOST=dbhost\n"
	          "DB_PORT=6543\n"
	          "DB_NAME=name\n"
	          "DB_USER=user\n"
	          "DB_PASSWORD='pa ss#word'\n"
	          "DB_SSLMODE=require\n"
	          "INSTANCE_CONNECTION_NAME=p:r:i\n"
	          "DB_CONNECT_TIMEOUT=60\n"
	          "JWT_SECRET_KEY=\"" KEY32 "!\"\n"
	          "JWT_EXPIRE_MINUTES=1440\n"
	          "OTP_EXPIRE_MINUTES=1\n"
	          "RESET_TOKEN_EXPIRE_MINUTES=30\n"
	          "ARGON2_MEMORY_KIB=65536\n"
	          "ARGON2_ITERATIONS=3\n"
	          "ARGON2_PARALLELISM=4\n"
	          "HASH_CONCURRENCY=7\n"
	          "HASH_LOCK_FILE=/run/mc/hash.lock\n"
	          "FRONTEND_URL=https://app.example.com/\n"
	          "MAIL_TRANSPORT=file\n"
	          "MAIL_DIR=/var/mail/mc\n"
	          "SMTP_SERVER=smtp.example.com\n"
	          "SMTP_PORT=465\n"
	          "SMTP_EMAIL=bot@example.com\n"
	          "SMTP_PASSWORD=secret\n"
	          "SMTP_FROM_NAME=\"Medical Care\"\n"
	          "SMTP_CA_FILE=/etc/ca.pem\n"
	          "SMTP_TIMEOUT=300\n"
	          "APP_NAME=MC\n"
	          "UNRELATED=ignored\n");
	conf_fixture_load_ok(&c);
	assert_string_equal(c.database_url, "postgresql://u:p@db/x");
	assert_string_equal(c.db_host, "dbhost");
	assert_string_equal(c.db_port, "6543");
	assert_string_equal(c.db_name, "name");
	assert_string_equal(c.db_user, "user");
	assert_string_equal(c.db_password, "pa ss#word");
	assert_string_equal(c.db_sslmode, "require");
	assert_string_equal(c.instance_connection_name, "p:r:i");
	assert_int_equal(c.db_connect_timeout, 60);
	assert_int_equal(c.jwt_secret_len, 33);
	assert_memory_equal(c.jwt_secret, KEY32 "!", 33);
	assert_int_equal(c.jwt_expire_minutes, 1440);
	assert_int_equal(c.otp_expire_minutes, 1);
	assert_int_equal(c.reset_token_expire_minutes, 30);
	assert_int_equal(c.argon2_memory_kib, 65536);
	assert_int_equal(c.argon2_iterations, 3);
	assert_int_equal(c.argon2_parallelism, 4);
	assert_int_equal(c.hash_concurrency, 7);
	assert_string_equal(c.hash_lock_file, "/run/mc/hash.lock");
	assert_string_equal(c.frontend_url, "https://app.example.com");
	assert_string_equal(c.cors_origins, "https://app.example.com");
	assert_int_equal(c.mail_transport, MAIL_TRANSPORT_FILE);
	assert_string_equal(c.mail_dir, "/var/mail/mc");
	assert_string_equal(c.smtp_server, "smtp.example.com");
	assert_int_equal(c.smtp_port, 465);
	assert_int_equal(c.smtp_security, SMTP_SECURITY_TLS);
	assert_string_equal(c.smtp_email, "bot@example.com");
	assert_string_equal(c.smtp_password, "secret");
	assert_string_equal(c.smtp_from, "bot@example.com");
	assert_string_equal(c.smtp_from_name, "Medical Care");
	assert_string_equal(c.smtp_ca_file, "/etc/ca.pem");
	assert_int_equal(c.smtp_timeout, 300);
	assert_string_equal(c.app_name, "MC");
	conf_release(&c);
}

static void conf_load_prefers_environment_over_env_file(void **state)
{
	struct conf c;

	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\n"
	          "SMTP_PORT=2525\n"
	          "SMTP_SERVER=file.example.com\n"
	          "APP_NAME=FromFile\n"
	          "SMTP_FROM=file@example.com\n"
	          "SMTP_FROM=last@example.com\n");
	setenv("SMTP_PORT", "465", 1);
	setenv("APP_NAME", "FromEnv", 1);
	setenv("SMTP_SERVER", "", 1); /* empty counts as unset: the file's value applies */
	conf_fixture_load_ok(&c);
	assert_int_equal(c.smtp_port, 465);
	assert_int_equal(c.smtp_security, SMTP_SECURITY_TLS);
	assert_string_equal(c.app_name, "FromEnv");
	assert_string_equal(c.smtp_server, "file.example.com");
	assert_string_equal(c.smtp_from, "last@example.com"); /* the last of duplicates wins */
	conf_release(&c);
}

static void conf_load_treats_empty_values_as_unset(void **state)
{
	struct conf c;

	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\nSMTP_PORT=\nAPP_NAME=\"\"\n");
	setenv("JWT_EXPIRE_MINUTES", "", 1);
	conf_fixture_load_ok(&c);
	assert_int_equal(c.smtp_port, 587);
	assert_string_equal(c.app_name, "MedicalCare");
	assert_int_equal(c.jwt_expire_minutes, 60);
	conf_release(&c);
}

static void conf_load_rejects_integers_out_of_bounds(void **state)
{
	static const struct {
		const char *name;
		const char *lo, *hi;       /* the bounds, accepted */
		const char *below, *above; /* rejected */
		const char *msg;
	} ints[] = {
	    {"JWT_EXPIRE_MINUTES", "1", "1440", "0", "1441",
	     "JWT_EXPIRE_MINUTES must be an integer between 1 and 1440"},
	    {"OTP_EXPIRE_MINUTES", "1", "60", "0", "61",
	     "OTP_EXPIRE_MINUTES must be an integer between 1 and 60"},
	    {"RESET_TOKEN_EXPIRE_MINUTES", "1", "1440", "0", "1441",
	     "RESET_TOKEN_EXPIRE_MINUTES must be an integer between 1 and 1440"},
	    {"ARGON2_MEMORY_KIB", "8", "4194304", "7", "4194305",
	     "ARGON2_MEMORY_KIB must be an integer between 8 and 4194304"},
	    {"ARGON2_ITERATIONS", "1", "100", "0", "101",
	     "ARGON2_ITERATIONS must be an integer between 1 and 100"},
	    {"ARGON2_PARALLELISM", "1", "64", "0", "65",
	     "ARGON2_PARALLELISM must be an integer between 1 and 64"},
	    {"HASH_CONCURRENCY", "1", "1024", "0", "1025",
	     "HASH_CONCURRENCY must be an integer between 1 and 1024"},
	    {"DB_CONNECT_TIMEOUT", "1", "60", "0", "61",
	     "DB_CONNECT_TIMEOUT must be an integer between 1 and 60"},
	    {"SMTP_TIMEOUT", "1", "300", "0", "301",
	     "SMTP_TIMEOUT must be an integer between 1 and 300"},
	    {"SMTP_PORT", "1", "65535", "0", "65536",
	     "SMTP_PORT must be an integer between 1 and 65535"},
	};
	static const char *const junk[] = {
	    "-1", "5x", " 5", "5 ", "+5", "0x10", "1e3", "abc", "99999999999999999999999"};

	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\n");
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		struct conf c;

		setenv(ints[i].name, ints[i].lo, 1);
		conf_fixture_load_ok(&c);
		conf_release(&c);
		setenv(ints[i].name, ints[i].hi, 1);
		conf_fixture_load_ok(&c);
		conf_release(&c);
		setenv(ints[i].name, ints[i].below, 1);
		load_fails(ints[i].name, ints[i].msg);
		setenv(ints[i].name, ints[i].above, 1);
		load_fails(ints[i].name, ints[i].msg);
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			setenv(ints[i].name, junk[j], 1);
			load_fails(junk[j], ints[i].msg);
		}
		unsetenv(ints[i].name);
	}
}

static void conf_load_checks_argon2_memory_against_parallelism(void **state)
{
	struct conf c;

	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\n");
	setenv("ARGON2_PARALLELISM", "16", 1);
	setenv("ARGON2_MEMORY_KIB", "127", 1);
	load_fails("127 KiB", "ARGON2_MEMORY_KIB must be at least 8 times ARGON2_PARALLELISM");
	setenv("ARGON2_MEMORY_KIB", "128", 1);
	conf_fixture_load_ok(&c);
	assert_int_equal(c.argon2_memory_kib, 128);
	assert_int_equal(c.argon2_parallelism, 16);
	conf_release(&c);
}

static void conf_load_requires_an_absolute_hash_lock_file(void **state)
{
	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\n");
	setenv("HASH_LOCK_FILE", "run/hash.lock", 1);
	load_fails("relative", "HASH_LOCK_FILE must be an absolute path");
	setenv("HASH_LOCK_FILE", "./hash.lock", 1);
	load_fails("dot", "HASH_LOCK_FILE must be an absolute path");
}

static void conf_load_rejects_unknown_enum_values(void **state)
{
	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\n");
	setenv("MAIL_TRANSPORT", "sendmail", 1);
	load_fails("transport", "MAIL_TRANSPORT must be one of: smtp, file");
	unsetenv("MAIL_TRANSPORT");
	setenv("SMTP_SECURITY", "ssl", 1);
	load_fails("security", "SMTP_SECURITY must be one of: none, starttls, tls");
}

/* conf_load() keeps DATABASE_URL as it is; conf_pg_check_url() judges it. */
static void conf_check_database_url_rejects_a_malformed_url_without_quoting_it(void **state)
{
	static const struct {
		const char *url, *msg;
	} bad[] = {
	    {"postgresql://user:s3cret%zz@db/x",
	     "DATABASE_URL is not a valid PostgreSQL connection URL"},
	    {"postgresql://user:s3cret@db/x?colour=blue",
	     "DATABASE_URL is not a valid PostgreSQL connection URL"},
	    {"postgresql://user:s3cret@db:0/x",
	     "DATABASE_URL's port must be an integer between 1 and 65535"},
	    {"postgresql://user:s3cret@db/x?sslmode=sometimes",
	     "DATABASE_URL's sslmode must be one of: disable, allow, prefer, require, "
	     "verify-ca, verify-full"},
	};
	char err[512];
	struct conf c;

	(void)state;
	setenv("JWT_SECRET_KEY", KEY32, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("DATABASE_URL", bad[i].url, 1);
		conf_fixture_load_ok(&c);
		assert_string_equal(c.database_url, bad[i].url);
		assert_int_equal(conf_pg_check_url(c.database_url, err, sizeof(err)), -1);
		assert_string_equal(err, bad[i].msg);
		assert_null(strstr(err, "s3cret"));
		conf_release(&c);
	}
	setenv("DATABASE_URL", "postgresql://user:s3cret@db:5432,db2:5433/x?sslmode=require", 1);
	conf_fixture_load_ok(&c);
	assert_int_equal(conf_pg_check_url(c.database_url, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	conf_release(&c);
	unsetenv("DATABASE_URL");
	conf_fixture_load_ok(&c);
	assert_int_equal(conf_pg_check_url(c.database_url, err, sizeof(err)), 0);
	conf_release(&c);
}

static void conf_load_requires_a_jwt_key_of_32_bytes(void **state)
{
	struct conf c;

	(void)state;
	load_fails("missing", "JWT_SECRET_KEY is not set");
	write_env("JWT_SECRET_KEY=\n");
	load_fails("empty in file", "JWT_SECRET_KEY is not set");
	setenv("JWT_SECRET_KEY", "0123456789abcdef0123456789abcde", 1);
	load_fails("31 bytes", "JWT_SECRET_KEY must be at least 32 bytes");
	setenv("JWT_SECRET_KEY", KEY32, 1);
	conf_fixture_load_ok(&c);
	assert_int_equal(c.jwt_secret_len, 32);
	conf_release(&c);
	/* Bytes, not characters: 16 two-byte characters are 32 bytes. */
	setenv("JWT_SECRET_KEY",
	       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	       1);
	conf_fixture_load_ok(&c);
	assert_int_equal(c.jwt_secret_len, 32);
	conf_release(&c);
}

static void conf_load_fails_on_unreadable_explicit_env_file(void **state)
{
	(void)state;
	setenv("MEDICALCARE_ENV_FILE", "/nonexistent/medicalcare.env", 1);
	setenv("JWT_SECRET_KEY", KEY32, 1);
	load_fails("missing file",
	           "could not read MEDICALCARE_ENV_FILE /nonexistent/medicalcare.env: "
	           "No such file or directory");
	setenv("MEDICALCARE_ENV_FILE", "/", 1);
	load_fails("directory", "could not read MEDICALCARE_ENV_FILE /: Is a directory");
}

/* A FIFO without a writer would block open() and read() forever: refused at once. */
static void conf_load_refuses_a_fifo_env_file(void **state)
{
	char dir[] = "/tmp/mc-conf-fifo.XXXXXX";
	char path[sizeof(dir) + 8];
	char msg[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	setenv("MEDICALCARE_ENV_FILE", path, 1);
	setenv("JWT_SECRET_KEY", KEY32, 1);
	snprintf(msg, sizeof(msg), "MEDICALCARE_ENV_FILE %s is a pipe or socket, not a file", path);
	load_fails("fifo", msg);
	unlink(path);
	rmdir(dir);
}

static void conf_load_reports_env_file_syntax_errors_by_line(void **state)
{
	char msg[256];

	(void)state;
	setenv("JWT_SECRET_KEY", KEY32, 1);
	write_env("A=1\nthis is not a setting\n");
	snprintf(msg, sizeof(msg), "syntax error in MEDICALCARE_ENV_FILE %s at line 2",
	         conf_fixture_path);
	load_fails("syntax", msg);
}

static void conf_load_refuses_env_file_over_64_kib(void **state)
{
	char msg[256];
	char *big = malloc(64 * 1024 + 2);
	struct conf c;

	(void)state;
	assert_non_null(big);
	setenv("JWT_SECRET_KEY", KEY32, 1);
	memset(big, '#', 64 * 1024);
	big[64 * 1024 - 1] = '\n';
	big[64 * 1024] = '\0';
	write_env(big); /* exactly 64 KiB: fine */
	conf_fixture_load_ok(&c);
	conf_release(&c);
	big[64 * 1024] = '\n';
	big[64 * 1024 + 1] = '\0';
	write_env(big);
	snprintf(msg, sizeof(msg), "MEDICALCARE_ENV_FILE %s is larger than 65536 bytes",
	         conf_fixture_path);
	load_fails("65537 bytes", msg);
	free(big);
}

static void conf_keys_are_distinct_deterministic_and_made_on_first_use(void **state)
{
	static const char otp_label[] = "medicalcare otp key v1";
	static const char outbox_label[] = "medicalcare outbox key v1";
	static const char audit_label[] = "medicalcare audit email key v1";
	unsigned char want_otp[32], want_outbox[32], want_audit[32];
	const struct conf_keys *ka, *kb;
	unsigned int n = 0;
	struct conf a, b;

	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\n");
	conf_fixture_load_ok(&a);
	conf_fixture_load_ok(&b);
	/* conf_load() leaves them to the first conf_keys(). */
	assert_non_null(a.keys);
	assert_int_equal(a.keys->ready, 0);
	ka = conf_keys(&a);
	kb = conf_keys(&b);
	assert_non_null(ka);
	assert_non_null(kb);
	assert_ptr_equal(ka, a.keys);
	assert_int_equal(ka->ready, 1);
	assert_ptr_equal(conf_keys(&a), ka);
	assert_memory_equal(ka->otp, kb->otp, 32);
	assert_memory_equal(ka->outbox, kb->outbox, 32);
	assert_memory_equal(ka->audit, kb->audit, 32);
	assert_memory_not_equal(ka->otp, ka->outbox, 32);
	assert_memory_not_equal(ka->otp, ka->audit, 32);
	/* HMAC-SHA256(JWT_SECRET_KEY, label), computed independently. */
	assert_non_null(HMAC(EVP_sha256(), KEY32, 32, (const unsigned char *)otp_label,
	                     strlen(otp_label), want_otp, &n));
	assert_non_null(HMAC(EVP_sha256(), KEY32, 32, (const unsigned char *)outbox_label,
	                     strlen(outbox_label), want_outbox, &n));
	assert_non_null(HMAC(EVP_sha256(), KEY32, 32, (const unsigned char *)audit_label,
	                     strlen(audit_label), want_audit, &n));
	assert_memory_equal(ka->otp, want_otp, 32);
	assert_memory_equal(ka->outbox, want_outbox, 32);
	assert_memory_equal(ka->audit, want_audit, 32);
	conf_release(&b);
	assert_null(b.keys);
	assert_null(conf_keys(&b));

	setenv("JWT_SECRET_KEY", KEY32 "x", 1);
	conf_fixture_load_ok(&b);
	kb = conf_keys(&b);
	assert_non_null(kb);
	assert_memory_not_equal(ka->otp, kb->otp, 32);
	assert_memory_not_equal(ka->outbox, kb->outbox, 32);
	assert_memory_not_equal(ka->audit, kb->audit, 32);
	conf_release(&a);
	conf_release(&b);
}

static void conf_load_picks_smtp_security_by_port(void **state)
{
	static const struct {
		const char *port, *security;
		enum smtp_security want;
	} cases[] = {
	    {"465", NULL, SMTP_SECURITY_TLS},    {"587", NULL, SMTP_SECURITY_STARTTLS},
	    {"25", NULL, SMTP_SECURITY_NONE},    {"2525", NULL, SMTP_SECURITY_NONE},
	    {"465", "none", SMTP_SECURITY_NONE}, {"25", "starttls", SMTP_SECURITY_STARTTLS},
	    {"587", "tls", SMTP_SECURITY_TLS},
	};

	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf c;

		setenv("SMTP_PORT", cases[i].port, 1);
		if (cases[i].security != NULL)
			setenv("SMTP_SECURITY", cases[i].security, 1);
		else
			unsetenv("SMTP_SECURITY");
		conf_fixture_load_ok(&c);
		if (c.smtp_security != cases[i].want)
			fail_msg("port %s security %s: got %d", cases[i].port,
			         cases[i].security ? cases[i].security : "unset", c.smtp_security);
		conf_release(&c);
	}
}

static void conf_load_normalizes_frontend_url_and_cors_origins(void **state)
{
	static const struct {
		const char *frontend, *cors;
		const char *want_frontend, *want_cors;
	} cases[] = {
	    {NULL, NULL, "http://localhost:3000", "http://localhost:3000"},
	    {"https://app.example.com///", NULL, "https://app.example.com",
	     "https://app.example.com"},
	    {"http://a.example:8080/base/", NULL, "http://a.example:8080/base",
	     "http://a.example:8080/base"},
	    {NULL, " http://a.com/ , ,https://b.com  ", "http://localhost:3000",
	     "http://a.com,https://b.com"},
	    {"https://x.org", " , ", "https://x.org", "https://x.org"},
	    {NULL, "http://one.example", "http://localhost:3000", "http://one.example"},
	};

	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf c;

		if (cases[i].frontend)
			setenv("FRONTEND_URL", cases[i].frontend, 1);
		else
			unsetenv("FRONTEND_URL");
		if (cases[i].cors)
			setenv("CORS_ORIGINS", cases[i].cors, 1);
		else
			unsetenv("CORS_ORIGINS");
		conf_fixture_load_ok(&c);
		assert_string_equal(c.frontend_url, cases[i].want_frontend);
		assert_string_equal(c.cors_origins, cases[i].want_cors);
		conf_release(&c);
	}
}

static void conf_load_rejects_bad_urls_and_control_characters(void **state)
{
	static const struct {
		const char *name, *value, *msg;
	} cases[] = {
	    {"FRONTEND_URL", "ftp://x.org", "FRONTEND_URL must start with http:// or https://"},
	    {"FRONTEND_URL", "localhost:3000", "FRONTEND_URL must start with http:// or https://"},
	    {"FRONTEND_URL", "http://", "FRONTEND_URL must start with http:// or https://"},
	    {"FRONTEND_URL", "http:///", "FRONTEND_URL must start with http:// or https://"},
	    {"FRONTEND_URL", "http://a\r\nX: y",
	     "FRONTEND_URL must not contain control characters"},
	    {"CORS_ORIGINS", "http://a.com,b.com",
	     "CORS_ORIGINS must be a comma-separated list of http:// or https:// origins"},
	    {"CORS_ORIGINS", "http://a b.com",
	     "CORS_ORIGINS must be a comma-separated list of http:// or https:// origins"},
	    {"SMTP_FROM_NAME", "Evil\nBcc: x@y.z",
	     "SMTP_FROM_NAME must not contain control characters"},
	};

	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv(cases[i].name, cases[i].value, 1);
		load_fails(cases[i].value, cases[i].msg);
		unsetenv(cases[i].name);
	}
}

static void conf_release_wipes_and_is_idempotent(void **state)
{
	static const struct conf zero;
	struct conf c;

	(void)state;
	write_env("JWT_SECRET_KEY=" KEY32 "\nSMTP_PASSWORD=pw\nDB_PASSWORD=pw\n");
	conf_fixture_load_ok(&c);
	conf_release(&c);
	assert_memory_equal(&c, &zero, sizeof(c));
	conf_release(&c);
	assert_memory_equal(&c, &zero, sizeof(c));
}

/* ---- env.sample ---- */

/* The name a line of env.sample sets, as "NAME=" or "# NAME=": 1 and name, else 0. */
static int sample_name(const char *line, char *name, size_t namelen)
{
	size_t n = 0;

	if (strncmp(line, "# ", 2) == 0)
		line += 2;
	while ((line[n] >= 'A' && line[n] <= 'Z') || (line[n] >= '0' && line[n] <= '9') ||
	       line[n] == '_')
		n++;
	if (n == 0 || line[n] != '=' || n >= namelen)
		return 0;
	memcpy(name, line, n);
	name[n] = '\0';
	return 1;
}

static int ignore_pair(void *arg, const char *key, const char *val)
{
	(void)arg;
	(void)key;
	(void)val;
	return 0;
}

static void env_sample_names_exactly_the_settings(void **state)
{
	const char *dir = getenv("MC_SOURCE_DIR");
	char path[1024];
	char text[32768];
	char seen[64] = {0};
	char prev[512] = "";
	char line[512];
	size_t len;
	int bad = 0;
	int found = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/env.sample", dir && *dir ? dir : ".");
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s (set MC_SOURCE_DIR to the repo root)", path);
	len = fread(text, 1, sizeof(text) - 1, f);
	text[len] = '\0';
	fclose(f);
	assert_true(len < sizeof(text) - 1);
	assert_int_equal(envfile_parse(text, len, ignore_pair, NULL, &bad), 0);

	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char name[128];

		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl != NULL);
		if (sample_name(line, name, sizeof(name))) {
			size_t i;

			for (i = 0; conf_setting_name(i) != NULL; i++)
				if (strcmp(conf_setting_name(i), name) == 0)
					break;
			if (conf_setting_name(i) == NULL)
				fail_msg("env.sample names %s, which is not a setting", name);
			if (seen[i])
				fail_msg("env.sample names %s twice", name);
			seen[i] = 1;
			found++;
			/* Every setting is explained by the comment just above it. */
			if (prev[0] != '#' || sample_name(prev, name, sizeof(name)))
				fail_msg("env.sample: no comment above %s", line);
		}
		memcpy(prev, line, n + 1);
	}
	for (size_t i = 0; conf_setting_name(i) != NULL; i++) {
		assert_true(i < sizeof(seen));
		if (!seen[i])
			fail_msg("env.sample does not name %s", conf_setting_name(i));
	}
	assert_true(found > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(envfile_parse_reads_dotenv_syntax),
	    cmocka_unit_test(envfile_parse_stops_when_callback_fails),
	    cmocka_unit_test_setup_teardown(conf_load_gives_documented_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(conf_load_reads_every_setting_from_the_env_file, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(conf_load_prefers_environment_over_env_file, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(conf_load_treats_empty_values_as_unset, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(conf_load_rejects_integers_out_of_bounds, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(conf_load_checks_argon2_memory_against_parallelism,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(conf_load_requires_an_absolute_hash_lock_file, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(conf_load_rejects_unknown_enum_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        conf_check_database_url_rejects_a_malformed_url_without_quoting_it, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(conf_load_requires_a_jwt_key_of_32_bytes, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(conf_load_refuses_a_fifo_env_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(conf_load_fails_on_unreadable_explicit_env_file, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(conf_load_reports_env_file_syntax_errors_by_line, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(conf_load_refuses_env_file_over_64_kib, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        conf_keys_are_distinct_deterministic_and_made_on_first_use, setup, teardown),
	    cmocka_unit_test_setup_teardown(conf_load_picks_smtp_security_by_port, setup, teardown),
	    cmocka_unit_test_setup_teardown(conf_load_normalizes_frontend_url_and_cors_origins,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(conf_load_rejects_bad_urls_and_control_characters,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(conf_release_wipes_and_is_idempotent, setup, teardown),
	    cmocka_unit_test(env_sample_names_exactly_the_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
