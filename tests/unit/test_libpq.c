/*
 * Unit tests for libpq (libpq.h): libpq is not mapped until a call needs it, then it is,
 * once, and the forwarded functions are libpq's. The tests run in order, in
 * one process that is not linked with libpq (the Makefile links none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <libpq-fe.h>
#include <string.h>

#include "libpq.h"

/* 1 if libpq is mapped into this process, whoever loaded it. */
static int libpq_mapped(void)
{
	void *h = dlopen(LIBPQ_SONAME, RTLD_NOW | RTLD_NOLOAD);

	if (h == NULL)
		return 0;
	dlclose(h);
	return 1;
}

static void freeing_nothing_does_not_load_libpq(void **state)
{
	(void)state;
	assert_int_equal(libpq_mapped(), 0);
	PQclear(NULL);
	PQfinish(NULL);
	PQfreemem(NULL);
	PQconninfoFree(NULL);
	assert_int_equal(libpq_loaded(), 0);
	assert_int_equal(libpq_mapped(), 0);
}

static void the_first_call_that_needs_libpq_loads_it(void **state)
{
	PQconninfoOption *opts;
	char *err = NULL;
	const char *port = NULL;

	(void)state;
	opts = PQconninfoParse("postgresql://ann@db.example:5433/clinic", &err);
	assert_non_null(opts);
	assert_null(err);
	assert_int_equal(libpq_loaded(), 1);
	assert_int_equal(libpq_mapped(), 1);
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "port") == 0)
			port = o->val;
	assert_non_null(port);
	assert_string_equal(port, "5433");
	PQconninfoFree(opts);

	/* libpq's own answers, errors included. */
	opts = PQconninfoParse("postgresql://%zz", &err);
	assert_null(opts);
	assert_non_null(err);
	PQfreemem(err);
	assert_int_equal(PQstatus(NULL), CONNECTION_BAD);
}

static void libpq_load_after_loading_succeeds_at_once(void **state)
{
	char err[256] = "untouched";

	(void)state;
	assert_int_equal(libpq_load(err, sizeof(err)), 0);
	assert_int_equal(libpq_load(err, sizeof(err)), 0);
	assert_string_equal(err, "untouched");
	assert_int_equal(libpq_loaded(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(freeing_nothing_does_not_load_libpq),
	    cmocka_unit_test(the_first_call_that_needs_libpq_loads_it),
	    cmocka_unit_test(libpq_load_after_loading_succeeds_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
