/* Unit tests of log: control bytes are escaped so no client value forges a line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static void log_escape_escapes_control_bytes_and_backslash(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
	    {"plain text", "plain text"},
	    {"a\nb", "a\\nb"},
	    {"a\r\nforged: line", "a\\r\\nforged: line"},
	    {"tab\there", "tab\\there"},
	    {"esc\x1b[31m", "esc\\x1b[31m"},
	    {"del\x7f", "del\\x7f"},
	    {"back\\slash", "back\\\\slash"},
	    {"caf\xc3\xa9", "caf\xc3\xa9"},
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		log_escape(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
}

static void log_escape_truncates_without_splitting_an_escape(void **state)
{
	char out[6];

	(void)state;
	log_escape("abcd\n", out, sizeof(out));
	assert_string_equal(out, "abcd");
	log_escape("abcdefgh", out, sizeof(out));
	assert_string_equal(out, "abcde");
}

static void log_error_writes_one_prefixed_line_to_stderr(void **state)
{
	char path[] = "/tmp/mc-log-XXXXXX";
	char line[256];
	int fd = mkstemp(path);
	int saved = dup(2);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	assert_true(dup2(fd, 2) >= 0);
	log_set_program("test");
	log_error("could not connect to database: %s", "bad\nthing");
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(
	    line, "medicalcare test: error: could not connect to database: bad\\nthing\n");
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(log_escape_escapes_control_bytes_and_backslash),
	    cmocka_unit_test(log_escape_truncates_without_splitting_an_escape),
	    cmocka_unit_test(log_error_writes_one_prefixed_line_to_stderr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
