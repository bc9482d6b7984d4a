/*
 * Tests for reload.c: a long-lived process's configuration, read again when
 * the env file changes (MEDICALCARE_ENV_FILE, a temporary file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "reload.h"

#define KEY32 "0123456789abcdef0123456789abcdef"

static char envpath[] = "/tmp/mc-test-reload.XXXXXX";

static void write_env(const char *text)
{
	FILE *f = fopen(envpath, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Makes the next reload_current() look at the file (as if a second went by). */
static void look_now(struct reload *r)
{
	r->checked.tv_sec -= 2;
}

static int setup(void **state)
{
	int fd = mkstemp(envpath);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	setenv("MEDICALCARE_ENV_FILE", envpath, 1);
	unsetenv("CORS_ORIGINS");
	unsetenv("JWT_SECRET_KEY");
	unsetenv("FCGI_MAX_REQUESTS");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(envpath);
	unsetenv("MEDICALCARE_ENV_FILE");
	return 0;
}

static void loads_once_and_again_when_the_file_changes(void **state)
{
	struct reload r;
	const struct conf *c;
	int changed = -1;

	(void)state;
	memset(&r, 0, sizeof(r));
	write_env("JWT_SECRET_KEY=" KEY32 "\nCORS_ORIGINS=http://a.test\n");
	c = reload_current(&r, &changed);
	assert_non_null(c);
	assert_int_equal(changed, 1);
	assert_string_equal(c->cors_origins, "http://a.test");
	assert_int_equal(c->fcgi_max_requests, 10000);

	/* Within the second: not looked at, even though it changed. */
	write_env("JWT_SECRET_KEY=" KEY32 "\nCORS_ORIGINS=http://bb.test\n");
	c = reload_current(&r, &changed);
	assert_int_equal(changed, 0);
	assert_string_equal(c->cors_origins, "http://a.test");

	look_now(&r);
	c = reload_current(&r, &changed);
	assert_non_null(c);
	assert_int_equal(changed, 1);
	assert_string_equal(c->cors_origins, "http://bb.test");

	/* Looked at again, unchanged: kept. */
	look_now(&r);
	c = reload_current(&r, &changed);
	assert_int_equal(changed, 0);
	assert_string_equal(c->cors_origins, "http://bb.test");
	reload_release(&r);
}

static void a_broken_file_gives_null_until_it_is_fixed(void **state)
{
	struct reload r;
	const struct conf *c;
	int changed = -1;

	(void)state;
	memset(&r, 0, sizeof(r));
	write_env("JWT_SECRET_KEY=" KEY32 "\n");
	assert_non_null(reload_current(&r, &changed));

	write_env("JWT_SECRET_KEY=short\n");
	look_now(&r);
	assert_null(reload_current(&r, &changed));
	assert_int_equal(changed, 1);
	/* Not read again while it stays the same. */
	look_now(&r);
	assert_null(reload_current(&r, &changed));
	assert_int_equal(changed, 0);

	write_env("JWT_SECRET_KEY=" KEY32 "\nFCGI_MAX_REQUESTS=7\n");
	look_now(&r);
	c = reload_current(&r, &changed);
	assert_non_null(c);
	assert_int_equal(changed, 1);
	assert_int_equal(c->fcgi_max_requests, 7);
	reload_release(&r);
}

static void stamps_tell_absent_present_and_changed_files(void **state)
{
	struct reload_stamp a, b;

	(void)state;
	reload_stamp_of("/nonexistent/mc-test", &a);
	reload_stamp_of("/nonexistent/mc-test2", &b);
	assert_int_equal(a.present, 0);
	assert_int_equal(reload_stamp_differs(&a, &b), 0);
	write_env("A=1\n");
	reload_stamp_of(envpath, &b);
	assert_int_equal(b.present, 1);
	assert_int_equal(reload_stamp_differs(&a, &b), 1);
	reload_stamp_of(envpath, &a);
	assert_int_equal(reload_stamp_differs(&a, &b), 0);
	write_env("A=12\n");
	reload_stamp_of(envpath, &a);
	assert_int_equal(reload_stamp_differs(&a, &b), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(loads_once_and_again_when_the_file_changes),
	    cmocka_unit_test(a_broken_file_gives_null_until_it_is_fixed),
	    cmocka_unit_test(stamps_tell_absent_present_and_changed_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
