/*
 * conf_fixture: the unit tests' clean configuration, shared by the test
 * programs that load settings (test_conf.c, test_mfa_secret.c): every setting
 * cleared from the environment, MEDICALCARE_ENV_FILE naming an empty file of
 * the test's own (conf_fixture_path, removed again by the teardown), and
 * conf_fixture_load_ok() to load and expect success. Header-only, so that
 * each test program stays one file; include it once per program.
 */
#ifndef MC_TEST_CONF_FIXTURE_H
#define MC_TEST_CONF_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"

/* The env file of the running test ("" outside one). */
static char conf_fixture_path[64];

/* Clears every setting and makes the empty env file, named after prefix
 * ("test_conf"). 0, or -1 when the file cannot be made. */
static inline int conf_fixture_setup(const char *prefix)
{
	int fd;

	for (size_t i = 0; conf_setting_name(i) != NULL; i++)
		unsetenv(conf_setting_name(i));
	snprintf(conf_fixture_path, sizeof(conf_fixture_path), "/tmp/%s_XXXXXX", prefix);
	fd = mkstemp(conf_fixture_path);
	if (fd < 0)
		return -1;
	close(fd);
	setenv("MEDICALCARE_ENV_FILE", conf_fixture_path, 1);
	return 0;
}

/* Removes the env file and clears every setting again. Returns 0. */
static inline int conf_fixture_teardown(void)
{
	unlink(conf_fixture_path);
	for (size_t i = 0; conf_setting_name(i) != NULL; i++)
		unsetenv(conf_setting_name(i));
	return 0;
}

/* Loads the settings into *c and fails the test with conf_load()'s message
 * when that fails. */
static inline void conf_fixture_load_ok(struct conf *c)
{
	char err[256] = "";

	if (conf_load(c, err, sizeof(err)) != 0)
		fail_msg("conf_load failed: %s", err);
}

#endif
