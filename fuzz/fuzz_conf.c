/*
 * fuzz_conf: conf_load() with the input as the env file's content.
 *
 * The harness clears every setting from its own environment once, points
 * MEDICALCARE_ENV_FILE at a private temporary file, and for each input
 * rewrites that file and calls conf_load(), then conf_release().
 *
 * Properties: no crash, leak or undefined behaviour; a failure leaves one
 * non-empty line of printable text in err and the struct released (no
 * secret left); a success holds a JWT key of at least 32 bytes, an http(s)
 * FRONTEND_URL without a trailing slash, a non-empty CORS list of http(s)
 * origins without blanks or empty entries, ARGON2_MEMORY_KIB >= 8 x
 * ARGON2_PARALLELISM, a From address, and env_file naming the file read.
 */
#include "conf.h"
#include "fuzz.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4096];
static int fd = -1;

static void remove_file(void)
{
	if (path[0] != '\0')
		unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	const char *name;

	(void)argc;
	(void)argv;
	for (size_t i = 0; (name = conf_setting_name(i)) != NULL; i++)
		unsetenv(name);
	snprintf(path, sizeof(path), "%s/mc-fuzz-conf.XXXXXX",
	         tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("fuzz_conf: mkstemp");
		abort();
	}
	atexit(remove_file);
	setenv("MEDICALCARE_ENV_FILE", path, 1);
	return 0;
}

static int is_origin(const char *s, size_t n)
{
	if (n > 7 && strncmp(s, "http://", 7) == 0)
		return 1;
	return n > 8 && strncmp(s, "https://", 8) == 0;
}

static void check_loaded(const struct conf *c)
{
	const char *p;

	FUZZ_CHECK(c->jwt_secret != NULL && c->jwt_secret_len >= CONF_JWT_SECRET_MIN);
	FUZZ_CHECK(c->frontend_url != NULL && is_origin(c->frontend_url, strlen(c->frontend_url)));
	FUZZ_CHECK(c->frontend_url[strlen(c->frontend_url) - 1] != '/');
	FUZZ_CHECK(c->cors_origins != NULL && c->cors_origins[0] != '\0');
	p = c->cors_origins;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);

		FUZZ_CHECK(is_origin(p, n));
		FUZZ_CHECK(memchr(p, ' ', n) == NULL && memchr(p, '\t', n) == NULL);
		FUZZ_CHECK(p[n - 1] != '/');
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	FUZZ_CHECK(c->argon2_parallelism >= 1 && c->argon2_memory_kib >= 8 * c->argon2_parallelism);
	FUZZ_CHECK(c->smtp_from != NULL);
	FUZZ_CHECK(c->env_file != NULL && strcmp(c->env_file, path) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char err[512];

	if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz_conf: writing the env file");
		abort();
	}
	memset(err, 'x', sizeof(err));
	if (conf_load(&c, err, sizeof(err)) == 0) {
		check_loaded(&c);
	} else {
		size_t n = strnlen(err, sizeof(err));

		FUZZ_CHECK(n > 0 && n < sizeof(err));
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK((unsigned char)err[i] >= 0x20);
		FUZZ_CHECK(c.jwt_secret == NULL && c.jwt_secret_len == 0 &&
		           c.database_url == NULL && c.db_password == NULL &&
		           c.smtp_password == NULL);
	}
	conf_release(&c);
	return 0;
}
